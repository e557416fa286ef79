"""A peer that never answers: --queue-full, a listener whose accept queue is
full, so that a connect() to it gets no answer at all; --never-reads, a
server that accepts and never reads, its receive buffer as small as can be,
so that a client's writes find no room. For the client's --timeout."""
import argparse
import os
import socket
import time

from common import write_port

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--port-file", required=True, help="once listening, write the port here")
p.add_argument("--keep", type=int, default=30, help="seconds it runs at most")
p.add_argument("--queue-full", action="store_true", help="a full accept queue")
p.add_argument("--never-reads", action="store_true", help="accept, and never read")
args = p.parse_args()
os.setpgrp()

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
listener.bind(("127.0.0.1", 0))
# a backlog of 0: one connection fills the queue, the next SYNs are dropped
listener.listen(0)
if args.queue_full:
    held = socket.create_connection(listener.getsockname())
write_port(args.port_file, listener.getsockname()[1])
if args.never_reads:
    conn, _ = listener.accept()
time.sleep(args.keep)
