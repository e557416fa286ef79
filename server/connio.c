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
 * call would wait, the lines go out before it does. nowait: never wait.
 */
static ssize_t
sock_io(int fd, char *buf, size_t len, int writing, int nowait)
{
	ssize_t n;

#ifdef MSG_DONTWAIT
	if (nowait || log_pending()) {
		do
			n = writing ? send(fd, buf, len, MSG_DONTWAIT) :
			    recv(fd, buf, len, MSG_DONTWAIT);
		while (n == -1 && errno == EINTR);
		if (nowait || n != -1 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return n;
	}
#else
	(void)nowait;
#endif
	log_flush();
	do
		n = writing ? write(fd, buf, len) : read(fd, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

/*
 * sock_io() on c, as its guard says (--model thread, with a closer, whose
 * own calls never wait: the serving thread's blocked read would take what
 * they wait for). Once the closer has taken c over, nothing is called: -1,
 * *g GUARD_SKIPPED. After a call of the serving thread's, stamped at its
 * return (*t, else 0), *g says what the closer did meanwhile.
 */
static ssize_t
guarded_io(struct conn *c, char *buf, size_t len, int writing, int *g, int64_t *t)
{
	ssize_t n;
	int err;

	*g = GUARD_OPEN;
	*t = 0;
	if (!guard_enter(c)) {
		*g = GUARD_SKIPPED;
		return -1;
	}
	n = sock_io(c->fd, buf, len, writing, c->closer);
	err = errno;
	if (c->guard && !c->closer)
		*g = guard_leave(c, *t = now_ns());
	errno = err;
	return n;
}

/*
 * A call that held the socket through the closer's close() has returned at
 * t: the reference it held went. full: a read that filled its buffer, which
 * may have left bytes unread (then the last reference's release sent RST).
 */
static void
log_release(struct conn *c, int g, int64_t t, const char *call, int full)
{
	if (g == GUARD_RELEASED)
		logreturned(t, c->id, EV_RELEASE, "fd=%d call=%s%s", c->fd, call,
		    full ? " full=1" : "");
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
	int64_t t;
	int g;
	ssize_t n = guarded_io(c, buf, len, 0, &g, &t);

	if (g == GUARD_SKIPPED)
		return -1;
	if (n > 0)
		logreturned(t, c->id, EV_READ, "fd=%d bytes=%zd", c->fd, n);
	else if (n == 0)
		logreturned(t, c->id, EV_EOF, "fd=%d", c->fd);
	else if (c->closer && (errno == EAGAIN || errno == EWOULDBLOCK))
		logreturned(t, c->id, EV_READ, "fd=%d nothing=1", c->fd);
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		log_idle(c, "read");
	else
		logreturned(t, c->id, EV_READ, "fd=%d err=%s", c->fd, errname(errno));
	log_release(c, g, t, "read", n == (ssize_t)len);
	return n;
}

int
logged_write(struct conn *c, char *buf, size_t len)
{
	struct stamp st = log_stamp();
	size_t left = len;
	ssize_t n;
	int64_t t = 0;
	int g = GUARD_OPEN, err = 0;

	while (left > 0 && g == GUARD_OPEN) {
		if ((n = guarded_io(c, buf, left, 1, &g, &t)) == -1) {
			err = errno;
			break;
		}
		buf += n;
		left -= n;
	}
	if (left < len && (g == GUARD_SKIPPED || err == EAGAIN || err == EWOULDBLOCK))
		/* what did go out, then: the closer took it over, or nothing more for --idle-timeout */
		logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu", c->fd, len - left);
	if (g == GUARD_SKIPPED)
		return -1;
	if (err == EAGAIN || err == EWOULDBLOCK)
		log_idle(c, "write");
	else if (err && left < len)
		/* what did go out, and why the rest did not */
		logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu err=%s", c->fd, len - left,
		    errname(err));
	else if (err)
		logsent(st, c->id, EV_WRITE, "fd=%d err=%s", c->fd, errname(err));
	else
		logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu", c->fd, len - left);
	log_release(c, g, t, "write", 0);
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
