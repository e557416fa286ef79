/* log.h: one key=value line per event, with a CLOCK_MONOTONIC timestamp */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <stdint.h>

/* Log to path ("-": stderr; NULL: nowhere) as role; -1 if it cannot be opened. */
int log_open(const char *path, const char *role);
/* Change the role of this process, e.g. after fork(). */
void log_role(const char *role);
/* Whether events are being logged (callers may skip work when not). */
int log_on(void);
/*
 * The socket this process is serving (-1: none): each line then ends with
 * its TCP state, where the kernel tells it (state=ESTABLISHED, ...).
 */
void log_sock(int fd);

/*
 * Append "t=<ns> pid=<pid> role=<role> conn=<conn> ev=<ev> <fmt...>" as one
 * write(), so lines of several processes sharing the file never interleave.
 */
void logat(int64_t t, const char *conn, const char *ev, const char *fmt, ...);
/* logat() at the present time. */
#define logev(...) logat(now_ns(), __VA_ARGS__)

/* The value of key in a log line, copied into buf (cut to len); NULL if absent. */
const char *log_field(const char *line, const char *key, char *buf, size_t len);

#endif
