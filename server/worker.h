/* worker.h: the parts of serving one connection, for worker.c and its --end modes (ends.c) */
#ifndef WORKER_H
#define WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server.h"

/* connio.c: the connection's calls, logged. */
/* read() once and log what it returned: bytes, EOF, idle or an error. */
ssize_t logged_read(struct conn *c, char *buf, size_t len);
/* Write all of buf, across short writes; log it, stamped at the call; -1 on error. */
int logged_write(struct conn *c, char *buf, size_t len);
/* Log that the connection ends: the peer sent nothing, or read nothing (waiting), for long. */
void log_idle(struct conn *c, const char *waiting);
/* Whether fd becomes readable before until (ns). */
int wait_readable(int fd, int64_t until);
/* Sleep ms, with this process's lines written first. */
void worker_sleep(long ms);

/* helper.c: the --spawn helper. */
/*
 * Start --spawn CMD with /bin/sh, as a CGI server starts a script. Unless
 * --cloexec, the helper inherits the socket, and holds it too.
 */
void helper_spawn(struct conn *c);
/* Reap the helper (waiting for it, or only if it has exited), and count it closed. */
void helper_reap(struct conn *c, int wait);
/* Before a count: a helper or parent that has exited holds nothing. */
void worker_recount(struct conn *c);

/* threads.c: the serving thread's calls, against its closer's close. */
/* Before a call on c: 0 if the closer has closed it (call nothing), else 1. */
int guard_enter(struct conn *c);
/* After it, returned at (ns): whether the closer took it over (closed), or
 * closed it while the call held the socket (released: the call's return
 * dropped it). skipped: guarded_io() called nothing. */
enum { GUARD_OPEN, GUARD_CLOSED, GUARD_RELEASED, GUARD_SKIPPED };
int guard_leave(struct conn *c, int64_t returned);
/*
 * The closer's close() is bracketed by these: begin waits until the
 * serving thread is out of its call or blocked in it, and keeps it from
 * leaving until end; guard_closed(), just after the close() (which
 * returned at returned, ns), says whether that call held the socket
 * through it. For another close (c NULL: the parent's) they do nothing,
 * and say 0.
 */
void guard_close_begin(struct conn *c);
int guard_closed(const struct conn *c, int64_t returned);
void guard_close_end(struct conn *c);

#endif
