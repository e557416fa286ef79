/* worker.c: what a worker (or a forked child) does with one connection */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

void
conn_close(struct conn *c)
{
	int before, after;
	int64_t t;

	if (holders_close(c->slot, CHILD, c->fd, &before, &after, &t) == -1)
		logat(t, c->id, "close", "fd=%d err=%s", c->fd, errname(errno));
	else
		logat(t, c->id, "close", "fd=%d holders=%d->%d", c->fd, before, after);
	c->fd = -1;
}

static void
end_close(struct conn *c)
{
	conn_close(c);
}

static void
end_shutdown(struct conn *c)
{
	int64_t t = now_ns();

	if (shutdown(c->fd, SHUT_WR) == -1)
		logat(t, c->id, "shutdown", "how=SHUT_WR err=%s", errname(errno));
	else
		logat(t, c->id, "shutdown", "how=SHUT_WR holders=%d", holders_count(c->slot));
	conn_close(c);
}

const struct end ends[] = {
	{ "close", "close(fd): sends a FIN only if no other process holds it", end_close },
	{ "shutdown", "shutdown(fd, SHUT_WR), then close(fd): FIN at once", end_shutdown },
	{ NULL, NULL, NULL },
};

/* Write all of buf, across short writes and signals; -1 on error. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Wait until fd is readable or the deadline (0: none) passes; 1 if readable.
 */
static int
wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	do
		r = poll(&p, 1, deadline ? ms_until(deadline) : -1);
	while (r == -1 && errno == EINTR);
	return r > 0;
}

/*
 * Read and answer as --reads says until the peer's EOF, an error or the
 * deadline (0: none). Events that send are logged at the time of the call,
 * events that receive at the time of the return, so that cause comes
 * before effect across processes.
 */
static void
converse(struct conn *c, int64_t deadline)
{
	char buf[16384];
	ssize_t n;
	int64_t t;

	while (!deadline || now_ns() < deadline) {
		if (deadline && !wait_readable(c->fd, deadline))
			break;
		n = read(c->fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			logev(c->id, "read", "fd=%d err=%s", c->fd, errname(errno));
			return;
		}
		if (n == 0) {
			logev(c->id, "eof", "fd=%d", c->fd);
			return;
		}
		logev(c->id, "read", "fd=%d bytes=%zd", c->fd, n);
		if (opt.reads != READS_ECHO)
			continue;
		if (opt.reply_delay > 0)
			sleep_ms(opt.reply_delay);
		t = now_ns();
		if (write_all(c->fd, buf, n) == -1) {
			logat(t, c->id, "write", "fd=%d err=%s", c->fd, errname(errno));
			return;
		}
		logat(t, c->id, "write", "fd=%d bytes=%zd", c->fd, n);
	}
}

void
serve(struct conn *c)
{
	int64_t deadline = 0;

	fd_cloexec(c->fd, 1);
	logev(c->id, "take", "fd=%d holders=%d", c->fd, holders_count(c->slot));
	if (opt.end_after != END_AT_PEER_EOF)
		deadline = now_ns() + opt.end_after * 1000000;
	if (opt.reads != READS_NONE)
		converse(c, deadline);
	/* --end-after MS: end then, whatever the peer did meanwhile */
	if (deadline)
		sleep_ms(ms_until(deadline));
	opt.end->run(c);
}
