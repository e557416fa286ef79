/* escape.c: a name that any process chose, made safe to show */
#include <stdio.h>
#include <string.h>

#include "escape.h"

size_t
escape(char *buf, size_t len, const char *s, const char *also)
{
	size_t n = 0;

	if (len == 0)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= ' ' && c < 0x7f && c != '\\' && strchr(also, c) == NULL) {
			if (n + 1 >= len)
				break;
			buf[n++] = (char)c;
		} else {
			if (n + 4 >= len)
				break;
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		}
	}
	buf[n] = '\0';
	return n;
}
