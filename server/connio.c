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
	ssize_t n = sock_io(c->fd, buf, len, 0);

	if (n > 0)
		logev(c->id, EV_READ, "fd=%d bytes=%zd", c->fd, n);
	else if (n == 0)
		logev(c->id, EV_EOF, "fd=%d", c->fd);
	else if (errno == EAGAIN || errno == EWOULDBLOCK)
		log_idle(c, "read");
	else
		logev(c->id, EV_READ, "fd=%d err=%s", c->fd, errname(errno));
	return n;
}

int
logged_write(struct conn *c, char *buf, size_t len)
{
	struct stamp st = log_stamp();
	size_t left = len;
	ssize_t n;

	while (left > 0) {
		n = sock_io(c->fd, buf, left, 1);
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
	logsent(st, c->id, EV_WRITE, "fd=%d bytes=%zu", c->fd, len);
	return 0;
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
