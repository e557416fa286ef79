"""What the test programs share: their options, and the port file."""
import argparse
import os


def options(description, detach=False):
    """Parse --addr, --port-file, --keep and --correct; --detach if asked."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--addr", default="127.0.0.1", help="address to listen on (IPv4 or IPv6)")
    p.add_argument("--port-file", required=True, help="once listening, write the port here")
    p.add_argument("--keep", type=int, default=30,
                   help="seconds a background job or helper runs (bounded, so that "
                        "nothing outlives a test for long)")
    p.add_argument("--correct", action="store_true", help="the fixed version of the program")
    if detach:
        p.add_argument("--detach", action="store_true",
                       help="start the helper in the background, through the shell")
    return p.parse_args()


def write_port(path, port):
    """Write the port whole: a temporary file, then rename()."""
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(path + ".tmp", path)
