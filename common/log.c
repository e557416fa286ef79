/* log.c: one key=value line per event, with a CLOCK_MONOTONIC timestamp */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "log.h"
#include "util.h"

static int logfd = -1;
static int sockfd = -1;
static const char *logrole = "?";

int
log_open(const char *path, const char *role)
{
	logrole = role;
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
}

int
log_on(void)
{
	return logfd != -1;
}

void
log_sock(int fd)
{
	sockfd = fd;
}

void
logat(int64_t t, const char *conn, const char *ev, const char *fmt, ...)
{
	char line[1024];
	const char *state;
	int n, m = 0;
	va_list ap;
	int err = errno;

	if (logfd == -1)
		return;
	n = snprintf(line, sizeof line, "t=%lld pid=%ld role=%s conn=%s ev=%s",
	    (long long)t, (long)getpid(), logrole, conn ? conn : "-", ev);
	if (fmt && *fmt && n > 0 && (size_t)n < sizeof line - 2) {
		line[n++] = ' ';
		va_start(ap, fmt);
		m = vsnprintf(line + n, sizeof line - n, fmt, ap);
		va_end(ap);
	}
	if (n < 0 || m < 0)
		return;
	n += m;
	if (sockfd != -1 && (state = kernel_tcp_state(sockfd)) && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - n, " state=%s", state);
	if ((size_t)n >= sizeof line - 1)
		n = sizeof line - 2;	/* truncated: still one line */
	line[n++] = '\n';
	/* a short write to a log is not worth a retry loop that could split lines */
	if (write(logfd, line, n) == -1) {
		/* nothing sensible to do; the program's own work goes on */
	}
	errno = err;
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
