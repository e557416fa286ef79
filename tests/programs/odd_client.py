#!/usr/bin/env python3
"""A client that names itself oddly before it closes its connection.

It connects to 127.0.0.1:PORT, sends hello, gives itself the command name
NAME (hex: any bytes a process may put in /proc/self/comm, a newline and
"t=" included), closes and exits: for bin/trace, whose lines must stay
whole and true whatever the name.
"""
import argparse
import socket

p = argparse.ArgumentParser(description=__doc__)
p.add_argument("--port", type=int, required=True)
p.add_argument("--name-hex", required=True, help="the command name's bytes, in hex")
args = p.parse_args()

s = socket.create_connection(("127.0.0.1", args.port), timeout=10)
s.sendall(b"hello")
with open("/proc/self/comm", "wb") as f:
    f.write(bytes.fromhex(args.name_hex))
s.close()
