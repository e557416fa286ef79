/*
 * bpfout.c: a line of bpftrace's output (-f json) taken apart. A printf's
 * text comes back whole and byte for byte, whatever a command name in it
 * holds (a newline, a quote, "t=", any byte): JSON quotes it, and only the
 * end of the JSON line ends a record. Anything else bpftrace says becomes
 * a message: its readiness, lost events, its errors (plain text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define PRINTF "{\"type\": \"printf\", \"data\": \""
#define PROBES "{\"type\": \"attached_probes\", \"data\": {\"probes\": "
#define LOST "{\"type\": \"lost_events\", \"data\": {\"events\": "

/* The value of n hex digits at s, or -1. */
static long
hex(const char *s, int n)
{
	char digits[9], *end;
	long v;

	if ((int)strnlen(s, (size_t)n) < n)
		return -1;
	memcpy(digits, s, (size_t)n);
	digits[n] = '\0';
	v = strtol(digits, &end, 16);
	return *end == '\0' && digits[0] != '-' && digits[0] != '+' ? v : -1;
}

/* One code unit, as the byte it stands for (below 0x100) or as UTF-8. */
static size_t
put_unit(long u, char *out)
{
	if (u < 0x100) {
		out[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | u >> 6);
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | u >> 12);
	out[1] = (char)(0x80 | (u >> 6 & 0x3f));
	out[2] = (char)(0x80 | (u & 0x3f));
	return 3;
}

/*
 * The JSON string at s (after its opening quote) into out (room for len,
 * and a '\0'); 0, or -1 if it is not a whole string followed by "}" and
 * nothing. bpftrace 0.17 writes a byte from 0x80 as "\uffffff" and two hex
 * digits (a char sign-extended): that is the byte.
 */
static int
json_string(const char *s, char *out, size_t len)
{
	static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
	const char *e;
	size_t n = 0;
	long u;

	while (*s != '"') {
		if (*s == '\0' || n + 3 >= len)
			return -1;
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		if (*s != '\0' && (e = strchr(plain, *s)) != NULL) {
			out[n++] = meant[e - plain];
			s++;
		} else if (*s == 'u' && (u = hex(s + 1, 4)) != -1) {
			s += 5;
			if (u == 0xffff && hex(s, 4) >= 0xff00) {
				u = hex(s, 4) & 0xff;
				s += 4;
			}
			n += put_unit(u, out + n);
		} else {
			return -1;
		}
	}
	out[n] = '\0';
	return strcmp(s, "\"}") == 0 ? 0 : -1;
}

int
bpfout_line(const char *line, char *out, size_t len)
{
	if (strncmp(line, PRINTF, strlen(PRINTF)) == 0) {
		if (json_string(line + strlen(PRINTF), out, len) == -1) {
			out[0] = '\0';
			return -1;
		}
		if (*out && out[strlen(out) - 1] == '\n')
			out[strlen(out) - 1] = '\0';	/* the format's own */
		return 1;
	}
	if (strncmp(line, PROBES, strlen(PROBES)) == 0)
		snprintf(out, len, "Attaching %ld probes...", atol(line + strlen(PROBES)));
	else if (strncmp(line, LOST, strlen(LOST)) == 0)
		snprintf(out, len, "Lost %ld events", atol(line + strlen(LOST)));
	else if (line[0] == '{')
		out[0] = '\0';		/* maps at the end, and the like: nothing to say */
	else
		snprintf(out, len, "%s", line);
	return 0;
}
