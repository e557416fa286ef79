/* worker.h: the worker's helpers, for its --end modes (ends.c) */
#ifndef WORKER_H
#define WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "server.h"

/* Before a count: a helper or parent that has exited holds nothing. */
void worker_recount(struct conn *c);
/* read() once and log what it returned: bytes, EOF, idle or an error. */
ssize_t logged_read(struct conn *c, char *buf, size_t len);
/* Whether fd becomes readable before until (ns). */
int wait_readable(int fd, int64_t until);
/* Sleep ms, with this process's lines written first. */
void worker_sleep(long ms);

#endif
