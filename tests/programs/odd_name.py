#!/usr/bin/env python3
"""A listener held by a process whose command name has odd bytes.

The name has a quote, a backslash, a tab, a control byte, UTF-8, a byte
that is not UTF-8, and the C1 control CSI both in UTF-8 (U+009B) and as the
one byte 0x9b, as any program may give itself (/proc/self/comm), for the
escaping of names in text and in JSON.
"""
import os
import socket
import time

from common import options, write_port

NAME = b'q"b\\t\t\x01\xc3\xa9\xff\xc2\x9b\x9b'

args = options(__doc__)
os.setpgrp()
listener = socket.create_server((args.addr, 0))
with open("/proc/self/comm", "wb") as f:
    f.write(NAME)
write_port(args.port_file, listener.getsockname()[1])
time.sleep(args.keep)
