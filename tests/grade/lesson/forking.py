#!/usr/bin/env python3
# forking.py: an answer to docs/assignment.md, forking: the parent accepts
# and forks a child for each connection. With MISTAKE=NAME in the
# environment it makes one classic mistake instead (tests/grade/lesson.sh).
import argparse, os, signal, socket, time

MISTAKE = os.environ.get("MISTAKE", "")

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--end", choices=["close", "shutdown"], required=True)
p.add_argument("--parent-keeps", required=True)
a = p.parse_args()
keep = None if a.parent_keeps == "never" else int(a.parent_keeps) / 1000

def reap(sig, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass

if MISTAKE not in ("no-reap", "reap-late"):
    signal.signal(signal.SIGCHLD, reap)
# SIGTERM at its default: the kernel ends the parent (a handler that raised
# SystemExit was seen, once in some fifteen sandboxed gradings, to leave the
# parent running 5 s later; docs/testing.md)

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", a.port))
listener.listen(64)
if MISTAKE == "reap-late":
    listener.settimeout(3.5)  # reaps after 3.5 s without a connection
kept = []
while True:
    try:
        conn, _ = listener.accept()
    except socket.timeout:
        reap(None, None)
        continue
    if os.fork() == 0:
        listener.close()
        if MISTAKE != "inherits":
            for k in kept:
                k.close()
        while True:
            data = conn.recv(4096)
            if not data:
                break
            conn.sendall(data)
        if a.end == "shutdown":
            conn.shutdown(socket.SHUT_WR)
        conn.close()
        os._exit(0)
    if keep is None:
        kept.append(conn)
        continue
    time.sleep(keep)
    conn.close()
