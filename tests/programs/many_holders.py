#!/usr/bin/env python3
"""A connection held by N children at once, whose parent closes first.

It accepts one connection and forks N children (--holders, 300), each
holding it. Once all run, the parent closes its copy: nothing is sent, N
processes still hold it. At SIGUSR1 (or after --keep seconds) the children
exit together, the last one's exit sending the FIN: for bin/trace, which
must name every holder and report every exit.
"""
import argparse
import os
import signal
import socket

from common import write_port

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--port-file", required=True)
p.add_argument("--holders", type=int, default=300)
p.add_argument("--keep", type=int, default=30)
args = p.parse_args()

os.setpgrp()	# the test stops the group
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
listener = socket.create_server(("127.0.0.1", 0))
write_port(args.port_file, listener.getsockname()[1])
conn, _ = listener.accept()
listener.close()
ready_r, ready_w = os.pipe()
go_r, go_w = os.pipe()
for _ in range(args.holders):
    if os.fork() == 0:
        os.close(ready_r)
        os.close(go_w)
        os.write(ready_w, b".")
        os.read(go_r, 1)	# EOF: the parent let go of the pipe
        os._exit(0)
os.close(ready_w)
os.close(go_r)
got = 0
while got < args.holders:
    got += len(os.read(ready_r, args.holders))
conn.close()
signal.sigtimedwait({signal.SIGUSR1}, args.keep)
os.close(go_w)
for _ in range(args.holders):
    os.wait()
