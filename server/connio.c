/*
 * connio.c: a worker's calls on its connection, each logged: read, write,
 * wait for data, sleep.
 *
 * The lines of a connection are written together (log_batch()), at the
 * latest when it has been served, and before every call that may wait: a
 * read or write that cannot be done at once, poll(), a sleep. A line is
 * never kept back from whoever waits for it.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

/*
 * read() or write() of the connection (its peer's signals apart, as the
 * server ignores SIGPIPE). With lines waiting, first without waiting: if the
 * call would wait, the lines go out before it does.
 */
static ssize_t
sock_io(int fd, char *buf, size_t len, int writing)
{
	ssize_t n;

#ifdef MSG_DONTWAIT
	if (log_pending()) {
		do
			n = writing ? send(fd, buf, len, MSG_DONTWAIT) :
			    recv(fd, buf, len, MSG_DONTWAIT);
		while (n == -1 && errno == EINTR);
		if (n != -1 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
	}
#endif
	log_flush();
	do
		n = writing ? write(fd, buf, len) : read(fd, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

/*
 * sock_io() on c, as its guard says (--model thread, with a closer): -2,
 * and nothing called, once the closer has closed it; after the call, *g
 * says whether it closed it meanwhile, and then this thread stops asking
 * the socket's state through a number that may be another's by now.
 */
static ssize_t
guarded_io(struct conn *c, char *buf, size_t len, int writing, int *g)
{
	ssize_t n;
	int err;

	*g = GUARD_OPEN;
	if (!guard_enter(c))
		return -2;
	n = sock_io(c->fd, buf, len, writing);
	err = errno;
	*g = guard_leave(c, now_ns());
	/* a call that found the number closed held nothing */
	if (*g == GUARD_RELEASED && n == -1 && err == EBADF)
		*g = GUARD_CLOSED;
	if (*g != GUARD_OPEN)
		log_sock(-1);
	errno = err;
	return n;
}

/* A call that held the socket after the closer's close has returned: the reference it held goes. */
static void
log_release(struct conn *c, int g, const char *call)
{
	if (g == GUARD_RELEASED)
		logev(c->id, EV_RELEASE, "fd=%d call=%s", c->fd, call);
}

void
worker_sleep(long ms)
{
	log_flush();
	sleep_ms(ms);
}

void
log_idle(struct conn *c, const char *waiting)
{
	logev(c->id, EV_IDLE, "fd=%d ms=%ld waiting=%s", c->fd, opt.idle_timeout, waiting);
}

ssize_t
logged_read(struct conn *c, char *buf, size_t len)
{
	int g;
	ssize_t n = guarded_io(c, buf, len, 0, &g);

	if (n == -2)
		return -1;
	if (n > 0)
		logev(c->id, EV_READ, "fd=%d bytes=%zd", c->fd, n);
	else if (n == 0)
		logev(c->id, EV_EOF, "fd=%d", c->fd);
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		log_idle(c, "read");
	else
		logev(c->id, EV_READ, "fd=%d err=%s", c->fd, errname(errno));
	log_release(c, g, "read");
	return n;
}

int
logged_write(struct conn *c, char *buf, size_t len)
{
	struct stamp st = log_stamp();
	size_t left = len;
	ssize_t n;
	int g = GUARD_OPEN;

	while (left > 0 && g == GUARD_OPEN) {
		if ((n = guarded_io(c, buf, left, 1, &g)) == -2) {
			/* closed by the closer: what went out before, and no more */
			if (left < len)
				logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu", c->fd, len - left);
			return -1;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* what did go out, then nothing for --idle-timeout */
			if (left < len)
				logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu", c->fd, len - left);
			log_idle(c, "write");
			return -1;
		}
		if (n == -1 && left < len) {
			/* what did go out, and why the rest did not */
			logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu err=%s", c->fd, len - left,
			    errname(errno));
			return -1;
		}
		if (n == -1) {
			logsent(st, c->id, EV_WRITE, "fd=%d err=%s", c->fd, errname(errno));
			return -1;
		}
		buf += n;
		left -= n;
	}
	logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu", c->fd, len - left);
	log_release(c, g, "write");
	return left > 0 ? -1 : 0;
}

int
wait_readable(int fd, int64_t until)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	if (until > now_ns())
		log_flush();
	do
		r = poll(&p, 1, ms_until(until));
	while (r == -1 && errno == EINTR);
	return r > 0;
}
