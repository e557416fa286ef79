#!/usr/bin/env python3
"""A socketserver.ForkingTCPServer whose handler forks a background job.

The client sends a job and half-closes. The handler forks a child to run the
job, answers "queued", closes the connection and waits for the job. The
child holds a copy of the connection, and so does the handler: close() on
a socket whose makefile() objects are still open drops only the socket
object's reference. The connection waits in CLOSE_WAIT for the job.

With --correct the child closes its copies at once, and the handler ends
the connection with shutdown(SHUT_WR) before it waits for the job.
"""
import os
import socket
import socketserver
import sys
import time

from common import options, write_port

args = options(__doc__)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        # who the handler is, for a test that cannot ask /proc once it has gone
        print("handler %d of %d" % (os.getpid(), os.getppid()), file=sys.stderr, flush=True)
        job = self.rfile.readline()
        child = os.fork()
        if child == 0:
            if args.correct:
                self.rfile.close()
                self.wfile.close()
                self.request.close()
            time.sleep(args.keep)        # the job, as long as it takes
            os._exit(0)
        self.wfile.write(b"queued " + job.strip() + b"\n")
        self.wfile.flush()
        if args.correct:
            self.request.shutdown(socket.SHUT_WR)
        self.request.close()
        os.waitpid(child, 0)


class Server(socketserver.ForkingTCPServer):
    address_family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET


os.setpgrp()        # the test ends the program, its handlers and jobs as one group
with Server((args.addr, 0), Handler) as server:
    write_port(args.port_file, server.server_address[1])
    server.serve_forever()
