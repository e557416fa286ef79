/* log.h: one key=value line per event, with a CLOCK_MONOTONIC timestamp */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* Log to path ("-": stderr; NULL: nowhere) as role; -1 if it cannot be opened. */
int log_open(const char *path, const char *role);
/* Change the role of this process, e.g. after fork(). */
void log_role(const char *role);
/*
 * In a new thread: its role, and its id (the kernel's, where there is one),
 * which its lines give as tid=. Its socket and batch are its own, too.
 */
void log_thread(const char *role, long tid);
/*
 * Batch the lines (on: 1) until log_flush(), which a process that batches
 * calls before anything that may block it, and before fork(): a line is
 * never kept from a reader waiting for it, nor written twice. 0: a write()
 * a line, as at the start.
 */
void log_batch(int on);
void log_flush(void);
/* Whether lines wait for log_flush(). */
int log_pending(void);
/* Whether events are being logged (callers may skip work when not). */
int log_on(void);
/*
 * Whether every line so far was written whole. The first line that could
 * not be is said once on stderr, and the log is incomplete from then on.
 */
int log_ok(void);
/*
 * The socket this process is serving (-1: none): each line then ends with
 * its TCP state, where the kernel tells it (state=ESTABLISHED, ...).
 */
void log_sock(int fd);

/*
 * Append "t=<ns> pid=<pid> role=<role> conn=<conn> ev=<name> <fmt...>" as one
 * write(), so lines of several processes sharing the file never interleave.
 * A line's state= is the socket's state at its stamp, never later.
 */
void logat(int64_t t, const char *conn, enum event ev, const char *fmt, ...);
/*
 * logat() for an event that has just happened: the state is sampled, then
 * the stamp taken. The stamp, logged or not.
 */
int64_t logev(const char *conn, enum event ev, const char *fmt, ...);

/* logev() for a call that returned at t (ns; 0: now), stamped then. */
void logreturned(int64_t t, const char *conn, enum event ev, const char *fmt, ...);

/* The stamp of a call that sends, taken just before it, with the state. */
struct stamp {
	int64_t t;
	const char *state;
	const char *then;	/* the state the call left, if log_then() saw it */
};
struct stamp log_stamp(void);
/* Right after the call: the state it left. */
void log_then(struct stamp *st);
/*
 * Log the event of a call stamped by log_stamp(): state= at the stamp, and
 * then= the state it left (log_then(), or now), where that differs. Stamped
 * at the call, a send comes before its effect in every other process's log.
 */
void logsent(struct stamp st, const char *conn, enum event ev, const char *fmt, ...);

/* The fixed fields of a line, and the socket's state, for log_format(). */
struct loghead {
	int64_t t;
	long pid;
	const char *role, *conn;	/* conn NULL: "-" */
	enum event ev;
	const char *state, *then;	/* NULL: left out; then also where it is state */
	long tid;			/* a thread's id, 0: left out */
};
/*
 * The one format of a line, for a program that writes its own: into line
 * (len at least 2), h's fixed fields, then fmt's, then state= and then=,
 * and a newline; a line too long is cut, still one line. Its length, 0 if
 * it cannot be formatted.
 */
size_t log_format(char *line, size_t len, const struct loghead *h, const char *fmt, ...);

/* A log line taken apart: the fields every line has. */
struct logline {
	int64_t t;
	long pid;
	char role[16], conn[64], ev[16];
	int event;			/* ev as an enum event; -1: not in the vocabulary */
};
/* Parse the fixed fields of a line; -1 if it is not a closelab event line. */
int log_parse(const char *line, struct logline *l);
/* The value of key in a log line, copied into buf (cut to len); NULL if absent. */
const char *log_field(const char *line, const char *key, char *buf, size_t len);

#endif
