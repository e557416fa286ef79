/*
 * serverlog.c: the server's side of each exchange, from its log: the line
 * that ended it, its shutdown that sent the FIN, its last close, or the
 * return of a call that held the socket after the last close. The
 * server writes that line just after the call, so maybe after our EOF
 * came: the log is read again until every line needed is there, or a
 * deadline. Only lines of this run count, stamped after its first
 * connect(): a log appended to across runs holds other connections with
 * the same addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "client.h"

/* How long to wait for the server's lines: it writes them within microseconds. */
enum { SERVER_LOG_WAIT_MS = 5000, SERVER_LOG_LOOK_MS = 10 };

/* A line of the server's log that matters: an accept, or an end. */
struct mark {
	int64_t t;
	long group;		/* the first of the sorted exchanges with its id */
	const char *what;	/* NULL: an accept; "shutdown", "close", "exit" or "release": an end */
};

/* Exchanges ordered by connection id, then by start: ports get reused. */
static const struct exchange *sorted_ex;

static int
cmp_id(const void *a, const void *b)
{
	const struct exchange *x = &sorted_ex[*(const long *)a];
	const struct exchange *y = &sorted_ex[*(const long *)b];
	int c = strcmp(x->id, y->id);

	return c ? c : (x->start > y->start) - (x->start < y->start);
}

static int
cmp_mark(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

/* The first of the sorted exchanges with this id, or -1. */
static long
find(const long *order, long n, const char *id)
{
	long lo = 0, hi = n;

	while (lo < hi) {
		long mid = (lo + hi) / 2;
		if (strcmp(sorted_ex[order[mid]].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(sorted_ex[order[lo]].id, id) == 0 ? lo : -1;
}

/* What a line says of an exchange: an accept, the end of one (NULL: neither). */
static int
classify(const char *line, const struct logline *l, const char **what)
{
	char how[16], holders[16], by[8], err[64];

	*what = NULL;
	if (log_field(line, "err", err, sizeof err))
		return 0;
	switch (l->event) {
	case EV_ACCEPT:
		return 1;
	case EV_SHUTDOWN:
		if (log_field(line, "how", how, sizeof how) && strcmp(how, "SHUT_RD") != 0)
			*what = events[EV_SHUTDOWN].name;
		break;
	case EV_CLOSE:
		/* by=exit: the kernel sent the FIN at an exit, stamped only when
		 * reaped; calls=: a call in another thread still held the socket,
		 * and its return (release) ends it */
		if (log_field(line, "holders", holders, sizeof holders) && strstr(holders, "->0") &&
		    !log_field(line, "calls", how, sizeof how))
			*what = log_field(line, "by", by, sizeof by) && strcmp(by, "exit") == 0
			    ? "exit" : events[EV_CLOSE].name;
		break;
	case EV_RELEASE:
		*what = events[EV_RELEASE].name;
		break;
	}
	return *what != NULL;
}

/* The marks of this run in the log, sorted: how many; -1 if it cannot be read (errno). */
static long
read_marks(const char *path, const long *order, long n, int64_t since, struct mark **marks)
{
	char line[1024];
	struct logline l;
	const char *what;
	long m = 0, cap = 0, g;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (log_parse(line, &l) == -1 || l.t < since || (g = find(order, n, l.conn)) == -1 ||
		    !classify(line, &l, &what))
			continue;
		if (m == cap && (*marks = realloc(*marks, (cap = cap ? 2 * cap : 256) * sizeof **marks)) == NULL)
			die(EXIT_RUNTIME, "out of memory");
		(*marks)[m++] = (struct mark){ l.t, g, what };
	}
	if (ferror(f)) {
		int e = errno;	/* fgets() failed, and set it */

		fclose(f);
		errno = e;
		return -1;
	}
	fclose(f);
	if (m > 1)
		qsort(*marks, m, sizeof **marks, cmp_mark);
	return m;
}

/*
 * Match the marks to the exchanges: the i-th exchange of an id (by start)
 * takes the first accept after its connect(), and the first end after that
 * accept and before the next. How many that ended still have no end.
 */
static long
match(const struct exchange *ex, const long *order, long n, const struct mark *mk, long m,
    int64_t *server_t, const char **what)
{
	long i, k = 0, missing = 0, group = -1;

	for (i = 0; i < n; i++) {
		long x = order[i];

		/* the first exchange of an id starts its group */
		if (i == 0 || strcmp(ex[order[i - 1]].id, ex[x].id) != 0) {
			group = i;
			while (k < m && mk[k].group < group)
				k++;
		}
		/* its accept: the first one after its connect() */
		while (k < m && mk[k].group == group && (mk[k].what || mk[k].t < ex[x].start))
			k++;
		/* its end: the first after that accept, and before the next accept */
		if (k < m && mk[k].group == group) {
			for (k++; k < m && mk[k].group == group && mk[k].what; k++) {
				if (!server_t[x]) {
					server_t[x] = mk[k].t;
					what[x] = mk[k].what;
				}
			}
		}
		if (!server_t[x] && (ex[x].end == END_EOF || ex[x].end == END_RST))
			missing++;
	}
	return missing;
}

void
server_ends(const struct exchange *ex, long n, const char *path, int64_t *server_t,
    const char **what)
{
	struct mark *marks = NULL;
	int64_t since = INT64_MAX, until = deadline(SERVER_LOG_WAIT_MS);
	long *order, i, m, missing;

	if ((order = malloc(n * sizeof *order)) == NULL)
		die(EXIT_RUNTIME, "out of memory");
	for (i = 0; i < n; i++) {
		order[i] = i;
		if (ex[i].start < since)
			since = ex[i].start;
	}
	sorted_ex = ex;
	qsort(order, n, sizeof *order, cmp_id);
	for (;;) {
		memset(server_t, 0, n * sizeof *server_t);
		if ((m = read_marks(path, order, n, since, &marks)) == -1)
			die(EXIT_RUNTIME, "cannot read server log %s:", path);
		if ((missing = match(ex, order, n, marks, m, server_t, what)) == 0)
			break;
		if (now_ns() >= until)
			die(EXIT_RUNTIME, "server log %s: no end for %ld of the connections "
			    "(after %d ms): is it this server's log?", path, missing, SERVER_LOG_WAIT_MS);
		sleep_ms(SERVER_LOG_LOOK_MS);
	}
	free(marks);
	free(order);
}
