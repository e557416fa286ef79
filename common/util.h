/* util.h: messages, numbers and time shared by server and client */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes shared by both programs (documented in README.md). */
enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

extern const char *argv0;

/* Print "argv0: msg" on stderr; a format ending in ':' appends strerror(errno). */
void warn(const char *fmt, ...);
/* warn(), then exit with status. */
_Noreturn void die(int status, const char *fmt, ...);

/* Parse a decimal integer in [min, max] with nothing after it; -1 if not. */
int parse_num(const char *s, long min, long max, long *out);

/* CLOCK_MONOTONIC in nanoseconds: one clock for every process on the host. */
int64_t now_ns(void);
/* now_ns() ms milliseconds from now: 64-bit arithmetic, where long may be 32. */
int64_t deadline(long ms);
/* Sleep for ms milliseconds, resuming after signals. */
void sleep_ms(long ms);
/* Milliseconds left until deadline (ns), clamped to [0, INT_MAX]. */
int ms_until(int64_t deadline);

/* "EPIPE" for EPIPE: the symbolic name of an errno value, or its number. */
const char *errname(int err);

/* "$TMPDIR/name" (or /tmp/name) in buf; -1 (ENAMETOOLONG) if it does not fit. */
int tmp_path(char *buf, size_t len, const char *name);
/*
 * The descriptor limit (ulimit -n), LONG_MAX for none worth counting; and in
 * *open how many descriptors are open now, inherited ones included.
 */
long fds_limit(long *open);

#endif
