/*
 * exchange.c: run exchanges, several at once, in one process with poll().
 *
 * Why poll and not threads: each exchange mostly waits, so one loop keeps
 * hundreds in flight with no locks, takes every time stamp from one place,
 * and leaves the machine's two cores to the server being measured.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/kernel.h"
#include "../common/log.h"
#include "../common/sock.h"
#include "../common/util.h"
#include "client.h"

/* The steps of an exchange, in order. */
enum { CONNECTING, SENDING, AFTER, READING, DONE };

static void
finish(struct exchange *x, enum end end, int64_t t)
{
	if (x->end == END_NONE) {
		x->end = end;
		x->end_t = t;
	}
}

/* Close the socket at the end of the exchange, logging its last state. */
static void
close_exchange(struct exchange *x)
{
	const char *state = log_on() ? kernel_tcp_state(x->fd) : NULL;
	int64_t t = now_ns();

	log_sock(-1);
	close(x->fd);
	if (x->step != CONNECTING)
		logat(t, x->id, EV_CLOSE, "fd=%d linger=%s%s%s", x->fd,
		    opt.then == THEN_ABORT ? "0" : "off",
		    state ? " state=" : "", state ? state : "");
	x->fd = -1;
	x->step = DONE;
}

/* Print received bytes as one line, escaping what is not printable. */
static void
print_recv(const unsigned char *buf, ssize_t n)
{
	ssize_t i;

	printf("recv bytes=%zd data=", n);
	for (i = 0; i < n; i++) {
		if (buf[i] == '\\')
			fputs("\\\\", stdout);
		else if (buf[i] >= 0x20 && buf[i] < 0x7f)
			putchar(buf[i]);
		else
			printf("\\x%02x", buf[i]);
	}
	putchar('\n');
}

/* Whether buf, received at offset from, is what was sent there. */
static int
echoed(const char *buf, size_t n, long long from)
{
	long long pos = 0;
	int i;
	size_t len, k;

	for (i = 0; i < opt.nsend && n > 0; i++) {
		len = strlen(opt.send[i]);
		if (from >= pos + (long long)len) {
			pos += len;
			continue;
		}
		k = len - (size_t)(from - pos);
		if (k > n)
			k = n;
		if (memcmp(buf, opt.send[i] + (from - pos), k) != 0)
			return 0;
		buf += k;
		n -= k;
		from += k;
		pos += len;
	}
	return n == 0;	/* more than was sent cannot be an echo */
}

/*
 * SIGUSR1 is a cue: from then on --interval and --read-after wait no more,
 * for every exchange. The handler also writes a byte into a pipe that the
 * loop polls, so that a cue that comes just before poll() still wakes it.
 */
static volatile sig_atomic_t cued;
static int cue_pipe[2] = { -1, -1 };

static void
on_usr1(int sig)
{
	int err = errno;

	(void)sig;
	cued = 1;
	if (write(cue_pipe[1], "", 1) == -1) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = err;
}

int
cue_on_usr1(void)
{
	/* SA_RESTART: a write to stdout goes on; poll() is woken by the pipe */
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };

	if (wake_pipe(cue_pipe) == -1)
		return -1;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

/* Whether --read-after (or a cue since) lets the exchange read now. */
static int
may_read(const struct exchange *x)
{
	return x->read_from == 0 || cued || now_ns() >= x->read_from;
}

/* Read what is there; note the end at EOF or a reset. */
static void
take(struct exchange *x, int print)
{
	char buf[16384];
	ssize_t n;
	int64_t t;

	while ((n = read(x->fd, buf, sizeof buf)) == -1 && errno == EINTR)
		;
	if (n > 0) {
		logev(x->id, EV_READ, "fd=%d bytes=%zd", x->fd, n);
		if (!echoed(buf, n, x->received))
			x->mismatch = 1;
		x->received += n;
		if (print)
			print_recv((unsigned char *)buf, n);
	} else if (n == 0) {
		t = logev(x->id, EV_EOF, "fd=%d", x->fd);
		finish(x, END_EOF, t);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		t = logev(x->id, EV_RST, "fd=%d err=%s", x->fd, errname(errno));
		finish(x, END_RST, t);
	}
}

/* Connect to the address in x->peer, without blocking; -1 on an error. */
static int
dial(struct exchange *x)
{
	const struct peer *p = &opt.peers[x->peer];
	int r, rcvbuf = (int)opt.rcvbuf;

	/* --timeout bounds the wait for the connection too */
	x->dialed = now_ns();
	if (x->start == 0)
		x->start = x->dialed;
	x->wake = deadline(opt.timeout);
	if ((x->fd = sock_stream(p->addr.ss_family, 1)) == -1) {
		x->err = errno;
		return -1;
	}
	/* before connect(): the window scale is agreed in the handshake */
	if (opt.rcvbuf && setsockopt(x->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) == -1)
		r = -1;
	else
		r = connect(x->fd, (const struct sockaddr *)&p->addr, p->len);
	if (r == -1 && errno != EINPROGRESS && errno != EINTR) {
		x->err = errno;
		close(x->fd);
		x->fd = -1;
		return -1;
	}
	return 0;
}

/*
 * Connect to the address in x->peer, or to the next ones if it fails at
 * once; when none is left, the exchange ends with the last one's error.
 */
static void
dial_from(struct exchange *x)
{
	while (dial(x) == -1) {
		if (x->peer + 1 == opt.npeers) {
			finish(x, END_ERROR, now_ns());
			x->step = DONE;
			return;
		}
		x->peer++;
	}
}

/* Start an exchange: connect to the first address that answers. */
static void
start(struct exchange *x)
{
	memset(x, 0, sizeof *x);
	x->step = CONNECTING;
	snprintf(x->id, sizeof x->id, "?");
	dial_from(x);
}

/* Write what is left of the current message; 0 when it is all written. */
static int
send_some(struct exchange *x)
{
	const char *msg = opt.send[x->next_msg];
	size_t len = strlen(msg);
	ssize_t n;

	if (x->off == 0)
		x->sending = log_stamp();	/* the call's time, for the log */
	while (x->off < len) {
		n = write(x->fd, msg + x->off, len - x->off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* the socket is full: wait for room, --timeout at most */
			if (!x->blocked)
				x->wake = deadline(opt.timeout);
			x->blocked = 1;
			return -1;
		}
		if (n == -1) {
			/* EPIPE or ECONNRESET: the server reset the connection */
			logsent(x->sending, x->id, EV_WRITE, "fd=%d err=%s", x->fd, errname(errno));
			finish(x, END_RST, now_ns());
			return 0;
		}
		x->off += n;
		x->blocked = 0;
	}
	x->sent += len;
	logsent(x->sending, x->id, EV_WRITE, "fd=%d bytes=%zu", x->fd, len);
	return 0;
}

/* The --then step; the exchange reads on, or is done. */
static void
then(struct exchange *x)
{
	struct linger l = { 1, 0 };
	struct stamp st = log_stamp();

	/* even after an EOF: the server may only have half-closed */
	if (opt.then == THEN_SHUTDOWN && x->end != END_RST) {
		int r = shutdown(x->fd, SHUT_WR);

		log_then(&st);
		if (r == -1)
			logsent(st, x->id, EV_SHUTDOWN, "how=SHUT_WR err=%s", errname(errno));
		else
			logsent(st, x->id, EV_SHUTDOWN, "how=SHUT_WR");
	}
	if (opt.then == THEN_CLOSE || opt.then == THEN_ABORT) {
		if (opt.then == THEN_ABORT &&
		    setsockopt(x->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == -1)
			die(EXIT_RUNTIME, "SO_LINGER:");
		finish(x, END_CLOSED, now_ns());
		close_exchange(x);
		return;
	}
	x->step = READING;
	x->wake = deadline(opt.timeout);
}

/* Nothing came for --timeout: the exchange ends there. */
static void
time_out(struct exchange *x)
{
	finish(x, END_TIMEOUT, logev(x->id, EV_TIMEOUT, "fd=%d ms=%ld", x->fd, opt.timeout));
	close_exchange(x);
}

/* Take the exchange as far as it can go now; revents from poll(). */
static void
advance(struct exchange *x, short revents, int print)
{
	int64_t now;
	socklen_t len = sizeof x->err;

	if (x->step == CONNECTING) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP))) {
			if (now_ns() >= x->wake)
				time_out(x);	/* no answer, not even a refusal */
			return;
		}
		if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &x->err, &len) == -1)
			x->err = errno;
		if (x->err != 0) {
			/* refused: the next address the name has, if any */
			close(x->fd);
			x->fd = -1;
			if (x->peer + 1 == opt.npeers) {
				finish(x, END_ERROR, now_ns());
				x->step = DONE;
				return;
			}
			x->peer++;
			dial_from(x);
			return;
		}
		/* the id names it in the logs; only they need it */
		if (log_on() || opt.server_log || opt.repeat == 1)
			sock_local(x->fd, x->id, sizeof x->id);
		/* one exchange at a time: its lines end with the socket's state */
		if (opt.concurrency == 1)
			log_sock(x->fd);
		/* stamped at the call, when nobody looked at its state */
		logsent((struct stamp){ x->dialed, NULL, NULL }, x->id, EV_CONNECT, "fd=%d peer=%s", x->fd,
		    opt.peers[x->peer].where);
		x->step = SENDING;
		x->wake = 0;
		if (opt.read_after)
			x->read_from = x->dialed + (int64_t)opt.read_after * 1000000;
	}
	if (x->end == END_NONE && (revents & (POLLIN | POLLERR | POLLHUP)) && may_read(x))
		take(x, print);
	for (;;) {
		now = now_ns();
		switch (x->step) {
		case SENDING:
			if (x->next_msg == opt.nsend || x->end == END_RST) {
				x->step = AFTER;
				x->wake = deadline(opt.after);
				continue;
			}
			if (x->blocked && now >= x->wake) {
				time_out(x);	/* no room for --timeout */
				return;
			}
			if (!x->blocked && x->off == 0 && now < x->wake && !cued)
				return;		/* --interval */
			if (send_some(x) == -1)
				return;		/* the socket is full: wait for POLLOUT */
			x->next_msg++;
			x->off = 0;
			x->wake = deadline(opt.interval);
			continue;
		case AFTER:
			if (now < x->wake)
				return;
			then(x);
			continue;
		case READING:
			if (x->end == END_NONE && now < x->wake)
				return;
			if (x->end == END_NONE)
				time_out(x);
			else
				close_exchange(x);
			return;
		default:
			return;
		}
	}
}

/*
 * What poll() should wait for on the exchange's socket (0: nothing, and its
 * socket is left out, so that a reset socket cannot wake the loop), and until
 * when (the earliest wake).
 */
static short
wants(const struct exchange *x, int64_t *wake)
{
	short ev = 0;

	if (x->step == CONNECTING || (x->step == SENDING && x->blocked))
		ev |= POLLOUT;
	if (x->step != CONNECTING && x->end == END_NONE) {
		if (may_read(x))
			ev |= POLLIN;
		else if (*wake == 0 || x->read_from < *wake)
			*wake = x->read_from;
	}
	if (x->wake && (*wake == 0 || x->wake < *wake))
		*wake = x->wake;
	return ev;
}

/* Start exchanges in slot k until one is in flight there, or none is left. */
static void
fill(long *slot, long k, struct exchange *ex, long *started, long *done, int print)
{
	while (slot[k] == -1 && *started < opt.repeat) {
		struct exchange *x = &ex[*started];
		start(x);
		advance(x, 0, print);
		/* one that failed at once (refused, EMFILE) is over at once */
		if (x->step == DONE)
			(*done)++;
		else
			slot[k] = *started;
		(*started)++;
	}
}

void
run_exchanges(struct exchange *ex, int print)
{
	struct pollfd *pfd;
	long *slot;		/* which exchange each pollfd serves */
	long started = 0, done = 0, c = opt.concurrency, i, k;
	int64_t wake;
	char drain[64];

	/* one pollfd a slot, and the cue's pipe last */
	pfd = calloc(c + 1, sizeof *pfd);
	slot = calloc(c, sizeof *slot);
	if (pfd == NULL || slot == NULL)
		die(EXIT_RUNTIME, "out of memory");
	for (k = 0; k < c; k++)
		slot[k] = -1;
	for (;;) {
		/* keep c exchanges in flight */
		for (k = 0; k < c; k++)
			fill(slot, k, ex, &started, &done, print);
		if (done == opt.repeat)
			break;
		wake = 0;
		for (k = 0; k < c; k++) {
			pfd[k] = (struct pollfd){ -1, 0, 0 };
			if (slot[k] == -1)
				continue;
			if ((pfd[k].events = wants(&ex[slot[k]], &wake)) != 0)
				pfd[k].fd = ex[slot[k]].fd;
		}
		pfd[c] = (struct pollfd){ cue_pipe[0], POLLIN, 0 };
		if (poll(pfd, c + 1, wake ? ms_until(wake) : -1) == -1 && errno != EINTR)
			die(EXIT_RUNTIME, "poll:");
		/* cued is set: the waits below are over */
		while ((pfd[c].revents & POLLIN) && read(cue_pipe[0], drain, sizeof drain) > 0)
			;
		for (k = 0; k < c; k++) {
			if ((i = slot[k]) == -1)
				continue;
			advance(&ex[i], pfd[k].revents, print);
			if (ex[i].step == DONE) {
				slot[k] = -1;
				done++;
			}
		}
	}
	free(pfd);
	free(slot);
}
