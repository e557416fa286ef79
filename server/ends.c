/*
 * ends.c: the ways a worker ends a connection, one table entry per --end
 * mode. Before each count of the holders, a holder that has exited (the
 * helper, the parent) is dropped: it holds nothing any more.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

/* How many of the server's processes hold the socket now. */
static int
holders_now(struct conn *c)
{
	worker_recount(c);
	return holders_count(c->slot);
}

/* Close the worker's copy, logging the holders before and after. */
static void
close_copy(struct conn *c)
{
	guard_close_begin(c);
	/* the close line tells the state before the close itself */
	log_sock(-1);
	worker_recount(c);
	conn_close(c->slot, CHILD, c->fd, c->id, NULL, c);
	guard_close_end(c);
	c->fd = -1;
}

static void
logged_shutdown(struct conn *c, int how, const char *name)
{
	char kernel[128];
	struct stamp st = log_stamp();
	int r = shutdown(c->fd, how);

	log_then(&st);
	if (r == -1) {
		logsent(st, c->id, EV_SHUTDOWN, "how=%s err=%s", name, errname(errno));
		return;
	}
	/* shutdown() acts on the socket, whoever holds it */
	logsent(st, c->id, EV_SHUTDOWN, "how=%s holders=%d%s", name, holders_now(c),
	    conn_kernel_holders(c->fd, kernel, sizeof kernel));
}

/*
 * After shutting down the reading side: read now, then once more after
 * --end-wait, to show what became of data the peer sent meanwhile.
 */
static void
read_after_shutdown(struct conn *c)
{
	char buf[16384];

	if (wait_readable(c->fd, now_ns()))
		logged_read(c, buf, sizeof buf);
	worker_sleep(opt.end_wait);
	if (wait_readable(c->fd, now_ns()))
		logged_read(c, buf, sizeof buf);
	else
		logev(c->id, EV_READ, "fd=%d nothing=1", c->fd);
}

static void
end_close(struct conn *c)
{
	close_copy(c);
}

static void
end_shutdown(struct conn *c)
{
	logged_shutdown(c, SHUT_WR, "SHUT_WR");
	close_copy(c);
}

static void
end_shutdown_rd(struct conn *c)
{
	logged_shutdown(c, SHUT_RD, "SHUT_RD");
	read_after_shutdown(c);
	close_copy(c);
}

static void
end_shutdown_rdwr(struct conn *c)
{
	logged_shutdown(c, SHUT_RDWR, "SHUT_RDWR");
	read_after_shutdown(c);
	close_copy(c);
}

static void
end_abort(struct conn *c)
{
	struct linger l = { 1, 0 };

	/* linger belongs to the socket, not to this descriptor: all holders share it */
	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == -1)
		logev(c->id, EV_LINGER, "fd=%d err=%s", c->fd, errname(errno));
	else
		logev(c->id, EV_LINGER, "fd=%d onoff=1 secs=0", c->fd);
	close_copy(c);
}

/*
 * SO_LINGER {1, S}, S the --end-wait in seconds (at least 1): the last
 * close waits until the peer has acknowledged the FIN, and so every byte
 * before it, or until S seconds have passed. Only the last close: a close
 * that leaves the socket held returns at once.
 */
static void
end_linger(struct conn *c)
{
	struct linger l = { 1, (int)((opt.end_wait + 999) / 1000) };

	if (l.l_linger == 0)
		l.l_linger = 1;
	if (setsockopt(c->fd, SOL_SOCKET, SOCK_LINGER_SECONDS, &l, sizeof l) == -1)
		logev(c->id, EV_LINGER, "fd=%d err=%s", c->fd, errname(errno));
	else
		logev(c->id, EV_LINGER, "fd=%d onoff=1 secs=%d", c->fd, l.l_linger);
	close_copy(c);
}

static void
end_lingering(struct conn *c)
{
	int64_t until = deadline(opt.end_wait);
	char buf[16384];

	logged_shutdown(c, SHUT_WR, "SHUT_WR");
	/* drain what the peer still sends, so that the last close sends no RST */
	while (wait_readable(c->fd, until) && logged_read(c, buf, sizeof buf) > 0)
		;
	close_copy(c);
}

static void
end_leak(struct conn *c)
{
	/* the descriptor stays open for the rest of this process's life */
	logev(c->id, EV_LEAK, "fd=%d holders=%d", c->fd, holders_now(c));
}

static void
end_dup(struct conn *c)
{
	int first = c->fd;

	if ((c->fd = sock_dup(first)) == -1) {
		logev(c->id, EV_DUP, "fd=%d err=%s", first, errname(errno));
		c->fd = first;
	} else {
		log_sock(c->fd);
		logev(c->id, EV_DUP, "fd=%d dup=%d", first, c->fd);
		/* one of two descriptors of this process: the socket stays open */
		if (close(first) == -1)
			logev(c->id, EV_CLOSE, "fd=%d err=%s", first, errname(errno));
		else
			logev(c->id, EV_CLOSE, "fd=%d dups=2->1 holders=%d", first, holders_now(c));
		worker_sleep(opt.end_wait);
	}
	close_copy(c);
}

const struct end ends[] = {
	{ "close", "close(fd): FIN only if no other process holds it", end_close },
	{ "shutdown", "shutdown(fd, SHUT_WR), then close(fd): FIN at once", end_shutdown },
	{ "shutdown-rd", "shutdown(fd, SHUT_RD), read, wait, read, close", end_shutdown_rd },
	{ "shutdown-rdwr", "shutdown(fd, SHUT_RDWR), read, wait, read, close",
	    end_shutdown_rdwr },
	{ "abort", "SO_LINGER {1, 0}, then close(fd): RST at the last close", end_abort },
	{ "linger", "SO_LINGER {1, the wait in s}: the last close waits for the ACK",
	    end_linger },
	{ "lingering", "shutdown(SHUT_WR), read until EOF (at most the wait), close",
	    end_lingering },
	{ "leak", "never close(fd): CLOSE_WAIT until the worker exits", end_leak },
	{ "dup", "dup(fd), close one, wait, close the other: FIN at the last", end_dup },
	{ NULL, NULL, NULL },
};
