# closelab version
VERSION = 0.2

# paths
PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man

# flags: C11 on POSIX.1-2008; _DARWIN_C_SOURCE only lets macOS show
# CMSG_SPACE and friends under _POSIX_C_SOURCE, and changes nothing elsewhere
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -DVERSION=\"$(VERSION)\"
CFLAGS = -std=c11 -pedantic -Wall -Wextra -Werror -O2
LDFLAGS =
# the server's threads (--model thread): POSIX threads, where the C library
# does not have them already
THREADS = -pthread

# compiler and linker
CC = cc
