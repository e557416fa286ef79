/* util.c: messages, numbers and time shared by server and client */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

const char *argv0 = "closelab";

/* The message, whole, in one write(): processes sharing stderr never mix theirs. */
static void
vwarn(const char *fmt, va_list ap)
{
	char msg[1024];
	int err = errno, k, m;
	size_t n = strlen(fmt), len;

	k = snprintf(msg, sizeof msg, "%s: ", argv0);
	m = vsnprintf(msg + k, sizeof msg - k, fmt, ap);
	len = m < 0 ? (size_t)k : strnlen(msg, sizeof msg - 1);
	if (n > 0 && fmt[n - 1] == ':')
		len += snprintf(msg + len, sizeof msg - len, " %s", strerror(err));
	if (len > sizeof msg - 2)
		len = sizeof msg - 2;	/* cut short: still one line */
	msg[len++] = '\n';
	fflush(stderr);
	while (write(STDERR_FILENO, msg, len) == -1 && errno == EINTR)
		;
	errno = err;
}

void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

_Noreturn void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

int
parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol accepts leading blanks and signs: a number here is digits only */
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
deadline(long ms)
{
	return now_ns() + (int64_t)ms * 1000000;
}

void
sleep_ms(long ms)
{
	struct timespec left = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&left, &left) == -1 && errno == EINTR)
		;
}

int
ms_until(int64_t deadline)
{
	int64_t left = deadline - now_ns();

	if (left <= 0)
		return 0;
	/* round up, so that a poll() with this timeout never wakes early */
	left = (left + 999999) / 1000000;
	return left > INT_MAX ? INT_MAX : (int)left;
}

const char *
errname(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EPIPE, "EPIPE" }, { ECONNRESET, "ECONNRESET" },
		{ ECONNREFUSED, "ECONNREFUSED" }, { ECONNABORTED, "ECONNABORTED" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ENOTCONN, "ENOTCONN" },
		{ EAGAIN, "EAGAIN" }, { EINTR, "EINTR" }, { EBADF, "EBADF" },
		{ EINVAL, "EINVAL" }, { EMFILE, "EMFILE" }, { ENFILE, "ENFILE" },
		{ ENOBUFS, "ENOBUFS" }, { ENOMEM, "ENOMEM" }, { EHOSTUNREACH, "EHOSTUNREACH" },
		{ ENETUNREACH, "ENETUNREACH" }, { EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	};
	static _Thread_local char num[16];
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(num, sizeof num, "%d", err);
	return num;
}

int
tmp_path(char *buf, size_t len, const char *name)
{
	const char *dir = getenv("TMPDIR");

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Descriptors probed at most: a limit higher than that is room enough. */
enum { FDS_PROBED = 65536 };

long
fds_limit(long *open)
{
	struct pollfd batch[256];
	struct rlimit rl;
	long fd, n, i;

	*open = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > FDS_PROBED)
		return LONG_MAX;
	/*
	 * inherited descriptors can be anywhere below the limit: poll() says
	 * POLLNVAL of each one that is not open, a batch at a time
	 */
	for (fd = 0; fd < (long)rl.rlim_cur; fd += n) {
		n = (long)rl.rlim_cur - fd < 256 ? (long)rl.rlim_cur - fd : 256;
		for (i = 0; i < n; i++)
			batch[i] = (struct pollfd){ (int)(fd + i), 0, 0 };
		if (poll(batch, (nfds_t)n, 0) == -1)
			return LONG_MAX;
		for (i = 0; i < n; i++)
			*open += !(batch[i].revents & POLLNVAL);
	}
	return (long)rl.rlim_cur;
}
