/* escape.h: a name that any process chose, made safe to show */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>

/*
 * s in buf, with every byte outside printable ASCII (controls, DEL, and
 * every byte from 0x80: C1 controls and their UTF-8 forms too), the
 * backslash, and each byte of also, written \xHH; cut at a whole byte or
 * escape. Safe on a terminal, and one word of a log line when also holds
 * " ". Returns the length written.
 */
size_t escape(char *buf, size_t len, const char *s, const char *also);

/* Bytes that also end a log value or a holder's name: for escape()'s also. */
#define ESCAPE_LOG " (),"

#endif
