#!/usr/bin/env python3
"""A server that starts a helper for each connection with Popen(close_fds=False).

Its sockets are inheritable, as every socket was before Python 3.4 (PEP
446) and as code that hands a socket to a child makes them. The helper
(sleep, standing for a notifier or a cache warmer) runs on after the
answer, and holds the connection and the listener across exec. The server
closes its copy; the client sees no EOF until the helper exits.

With --detach the helper is started through the shell in the background,
so that it is no longer the server's child: the listener is then held by
unrelated processes. With --correct the sockets stay non-inheritable, and
Popen closes what the helper should not have (close_fds=True).
"""
import os
import socket
import subprocess

from common import options, write_port

args = options(__doc__, detach=True)
inheritable = not args.correct

os.setpgrp()        # the test ends the program and its helpers as one group
family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
listener = socket.create_server((args.addr, 0), family=family)
listener.set_inheritable(inheritable)
write_port(args.port_file, listener.getsockname()[1])
while True:
    conn, peer = listener.accept()
    conn.set_inheritable(inheritable)
    conn.recv(1024)
    if args.detach:
        subprocess.Popen("sleep %d &" % args.keep, shell=True, close_fds=not inheritable).wait()
    else:
        subprocess.Popen(["sleep", str(args.keep)], close_fds=not inheritable)
    conn.sendall(b"started\n")
    conn.close()
