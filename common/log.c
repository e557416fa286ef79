/* log.c: one key=value line per event, with a CLOCK_MONOTONIC timestamp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "log.h"
#include "util.h"

static _Atomic int logfd = -1;	/* any thread may find it broken, and say so */
static _Atomic int failed;
static const char *logpath;
static long logpid;

/*
 * Each thread's own: its role, its id (0: the process's first thread, or
 * the only one), the socket it serves, and the lines that wait for
 * log_flush(), with log_batch(1): at most PIPE_BUF bytes, so that one
 * write() of them is whole even on a pipe.
 */
static _Thread_local const char *logrole = "?";
static _Thread_local long logtid;
static _Thread_local int sockfd = -1;
static _Thread_local int batching;
static _Thread_local char pending[PIPE_BUF];
static _Thread_local size_t npending;

int
log_open(const char *path, const char *role)
{
	log_role(role);
	logpath = path;
	if (path == NULL)
		return 0;
	if (strcmp(path, "-") == 0) {
		logfd = STDERR_FILENO;
		return 0;
	}
	/* O_APPEND: every process's write() lands at the end, whole */
	logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	return logfd == -1 ? -1 : 0;
}

void
log_role(const char *role)
{
	logrole = role;
	logpid = (long)getpid();
}

void
log_thread(const char *role, long tid)
{
	logrole = role;
	logtid = tid;
}

int
log_on(void)
{
	return logfd != -1;
}

int
log_ok(void)
{
	return !failed;
}

void
log_sock(int fd)
{
	sockfd = fd;
}

#ifdef LOG_CHECK
/*
 * A build for the checks (make check): every field of every line is one
 * that events.h lists for its event (or state= and then=), or the program
 * stops here.
 */
static void
check_fields(enum event ev, const char *line)
{
	const char *p = strstr(line, " ev="), *f;
	size_t k;

	for (p = strchr(p + 1, ' '); p != NULL; p = strchr(p + 1, ' ')) {
		k = strcspn(p + 1, "= \n");
		if ((k == 5 && strncmp(p + 1, "state", 5) == 0) ||
		    (k == 4 && strncmp(p + 1, "then", 4) == 0) ||
		    (k == 3 && strncmp(p + 1, "tid", 3) == 0))
			continue;
		for (f = events[ev].fields; (f = strstr(f, "=")) != NULL; f++)
			if ((size_t)(f - events[ev].fields) >= k && strncmp(f - k, p + 1, k) == 0 &&
			    (f - k == events[ev].fields || f[-(long)k - 1] == ' '))
				break;
		if (f == NULL) {
			fprintf(stderr, "log: ev=%s has no field '%.*s' in events.h\n",
			    events[ev].name, (int)k, p + 1);
			log_flush();
			abort();
		}
	}
}
#endif

/* The state of the socket being served, or NULL. */
static const char *
state_now(void)
{
	return sockfd != -1 ? kernel_tcp_state(sockfd) : NULL;
}

/* Lines, whole, in one write(); after a failure, nothing more. */
static void
put(const char *lines, size_t n)
{
	ssize_t w;

	if (logfd == -1)
		return;
	/*
	 * a signal before anything was written: again. A retry after a short
	 * write could split a line: that is a failure.
	 */
	while ((w = write(logfd, lines, n)) == -1 && errno == EINTR)
		;
	if (w != (ssize_t)n) {
		if (w >= 0)
			errno = ENOSPC;
		warn("cannot write log %s (it is incomplete from here on):",
		    strcmp(logpath, "-") == 0 ? "on stderr" : logpath);
		failed = 1;
		logfd = -1;
	}
}

void
log_batch(int on)
{
	static int at_exit;

	log_flush();
	batching = on;
	/* an exit() writes what waits, too */
	if (on && !at_exit)
		at_exit = atexit(log_flush) == 0;
}

void
log_flush(void)
{
	int err = errno;

	if (npending > 0)
		put(pending, npending);
	npending = 0;
	errno = err;
}

int
log_pending(void)
{
	return npending > 0;
}

/* log_format(), with fmt's arguments in ap. */
static size_t
log_vformat(char *line, size_t len, const struct loghead *h, const char *fmt, va_list ap)
{
	int n, m = 0;

	n = snprintf(line, len, "t=%lld pid=%ld role=%s conn=%s ev=%s", (long long)h->t, h->pid,
	    h->role, h->conn ? h->conn : "-", events[h->ev].name);
	if (h->tid && n > 0 && (size_t)n < len)
		n += snprintf(line + n, len - n, " tid=%ld", h->tid);
	if (fmt && *fmt && n > 0 && (size_t)n < len - 2) {
		line[n++] = ' ';
		m = vsnprintf(line + n, len - n, fmt, ap);
	}
	if (n < 0 || m < 0)
		return 0;
	n += m;
	if (h->state && (size_t)n < len)
		n += snprintf(line + n, len - n, " state=%s", h->state);
	if (h->then && (!h->state || strcmp(h->then, h->state) != 0) && (size_t)n < len)
		n += snprintf(line + n, len - n, " then=%s", h->then);
	if ((size_t)n >= len - 1)
		n = len - 2;	/* truncated: still one line */
	line[n++] = '\n';
	line[n] = '\0';
#ifdef LOG_CHECK
	check_fields(h->ev, line);
#endif
	return (size_t)n;
}

size_t
log_format(char *line, size_t len, const struct loghead *h, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = log_vformat(line, len, h, fmt, ap);
	va_end(ap);
	return n;
}

/* The line, whole, in one write(), or with the batch. */
static void
emit(int64_t t, const char *state, const char *then, const char *conn, enum event ev,
    const char *fmt, va_list ap)
{
	struct loghead h = { t, logpid, logrole, conn, ev, state, then, logtid };
	char line[1024];
	size_t n = log_vformat(line, sizeof line, &h, fmt, ap);

	if (n == 0)
		return;
	if (batching) {
		if (npending + n > sizeof pending)
			log_flush();
		if (logfd != -1 && n <= sizeof pending) {
			memcpy(pending + npending, line, n);
			npending += n;
			return;
		}
	}
	put(line, n);
}

void
logat(int64_t t, const char *conn, enum event ev, const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	if (logfd == -1)
		return;
	va_start(ap, fmt);
	emit(t, NULL, NULL, conn, ev, fmt, ap);
	va_end(ap);
	errno = err;
}

int64_t
logev(const char *conn, enum event ev, const char *fmt, ...)
{
	const char *state;
	int64_t t;
	va_list ap;
	int err = errno;

	if (logfd == -1)
		return now_ns();
	state = state_now();
	t = now_ns();
	va_start(ap, fmt);
	emit(t, state, NULL, conn, ev, fmt, ap);
	va_end(ap);
	errno = err;
	return t;
}

void
logreturned(int64_t t, const char *conn, enum event ev, const char *fmt, ...)
{
	const char *state;
	va_list ap;
	int err = errno;

	if (logfd == -1)
		return;
	state = state_now();
	va_start(ap, fmt);
	emit(t ? t : now_ns(), state, NULL, conn, ev, fmt, ap);
	va_end(ap);
	errno = err;
}

struct stamp
log_stamp(void)
{
	struct stamp st = { 0, NULL, NULL };

	if (logfd != -1)
		st.state = state_now();
	st.t = now_ns();
	return st;
}

void
log_then(struct stamp *st)
{
	if (logfd != -1)
		st->then = state_now();
}

void
logsent(struct stamp st, const char *conn, enum event ev, const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	if (logfd == -1)
		return;
	va_start(ap, fmt);
	emit(st.t, st.state, st.then ? st.then : state_now(), conn, ev, fmt, ap);
	va_end(ap);
	errno = err;
}

/* Copy the value of "key=" at p (a word up to a space) into buf; its end, or NULL. */
static const char *
word(const char *p, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key), n;

	if (strncmp(p, key, k) != 0 || p[k] != '=')
		return NULL;
	p += k + 1;
	n = strcspn(p, " \n");
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return p[n] == ' ' ? p + n + 1 : p + n;
}

/* Whether s is all decimal digits, at least one. */
static int
digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int
log_parse(const char *line, struct logline *l)
{
	char t[19], pid[10];
	const char *p = line;

	/* common/log.awk's log_parse() says the same of every line */
	if ((p = word(p, "t", t, sizeof t)) == NULL || (p = word(p, "pid", pid, sizeof pid)) == NULL ||
	    (p = word(p, "role", l->role, sizeof l->role)) == NULL ||
	    (p = word(p, "conn", l->conn, sizeof l->conn)) == NULL ||
	    word(p, "ev", l->ev, sizeof l->ev) == NULL || !digits(t) || !digits(pid))
		return -1;
	l->t = strtoll(t, NULL, 10);
	l->pid = strtol(pid, NULL, 10);
	l->event = event_named(l->ev);
	return 0;
}

const char *
log_field(const char *line, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key), n;
	const char *p;

	for (p = line; (p = strstr(p, key)) != NULL; p += k) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			p += k + 1;
			n = strcspn(p, " \n");
			if (n >= len)
				n = len - 1;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return buf;
		}
	}
	return NULL;
}
