#!/usr/bin/env python3
"""A server whose main thread leaves (pthread_exit()) while another serves.

The process goes on in its other thread, which accepts each connection and
keeps it, never reading it, for --keep seconds. Its leader is a zombie now:
/proc/PID/stat says Z and /proc/PID/fd is empty, while the thread's
/proc/PID/task/TID/fd shows every socket the process holds.
"""
import ctypes
import os
import socket
import threading
import time

from common import options, write_port

args = options(__doc__)
os.setpgrp()        # the test ends the program as one group


def leader_state():
    with open("/proc/%d/stat" % os.getpid()) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def serve():
    listener = socket.socket(socket.AF_INET6 if ":" in args.addr else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.addr, 0))
    listener.listen(8)
    held = []
    end = time.monotonic() + args.keep
    listener.settimeout(args.keep)
    # the port file once the main thread has left: its leader a zombie
    while leader_state() != "Z":
        time.sleep(0.01)
    write_port(args.port_file, listener.getsockname()[1])
    while time.monotonic() < end:
        try:
            held.append(listener.accept()[0])
        except socket.timeout:
            break
    os._exit(0)


threading.Thread(target=serve).start()
ctypes.CDLL(None).pthread_exit(None)
