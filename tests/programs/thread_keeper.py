#!/usr/bin/env python3
"""A server whose thread keeps each connection in a descriptor table of its own.

For each connection, a thread calls unshare(CLONE_FILES): its table becomes a
copy, holding the connection too. The main thread then closes its own copy,
and the thread keeps the connection for --keep seconds. /proc/PID/fd, the
main thread's table, no longer shows the socket; /proc/PID/task/TID/fd does.

With --correct the thread closes its copy at once.
"""
import ctypes
import os
import socket
import threading
import time

from common import options, write_port

CLONE_FILES = 0x400
args = options(__doc__)
os.setpgrp()        # the test ends the program as one group
libc = ctypes.CDLL(None, use_errno=True)


def keep(conn, ready):
    if libc.unshare(CLONE_FILES) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_FILES)")
    ready.set()
    if not args.correct:
        time.sleep(args.keep)
    os.close(conn)


listener = socket.socket(socket.AF_INET6 if ":" in args.addr else socket.AF_INET)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((args.addr, 0))
listener.listen(8)
write_port(args.port_file, listener.getsockname()[1])
while True:
    conn, _ = listener.accept()
    ready = threading.Event()
    threading.Thread(target=keep, args=(conn.fileno(), ready), daemon=True).start()
    ready.wait()
    conn.recv(4096)
    conn.close()
