#!/usr/bin/env python3
"""A listener and 100 loopback connections to it, both ends held here.

Enough sockets for a report larger than the buffer of standard output, so
that a write fails in the middle of a report, not only at its end.
"""
import os
import socket
import time

from common import options, write_port

args = options(__doc__)
os.setpgrp()
listener = socket.create_server((args.addr, 0), backlog=128)
held = []
for _ in range(100):
    client = socket.create_connection(listener.getsockname()[:2])
    server, _ = listener.accept()
    held += [client, server]
write_port(args.port_file, listener.getsockname()[1])
time.sleep(args.keep)
