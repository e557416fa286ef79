/*
 * worker.c: a worker's life and what it does with one connection: take it,
 * run the --spawn helper, read and answer as --reads says, then end it the
 * --end way (ends.c). A forked child (--model fork) serves one and exits.
 *
 * --idle-timeout is the listener's SO_RCVTIMEO and SO_SNDTIMEO, which every
 * accepted socket inherits: a read that gets nothing, or a write that sends
 * nothing, for that long fails with EAGAIN, and the connection is ended.
 *
 * The lines of a connection are written together (log_batch()), at the
 * latest when it has been served, and before every call that may wait: a
 * read or write that cannot be done at once, poll(), a sleep, waitpid() and
 * fork(). A line is never kept back from whoever waits for it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

/* The --spawn helper of the connection being served, or -1. */
static pid_t helper = -1;

void
worker_loop(int chan)
{
	static const char ready = 'r';
	struct conn c;
	int r;

	while ((r = handoff_recv(chan, &c)) == 1) {
		serve(&c);
		if (write(chan, &ready, 1) != 1)
			break;
	}
	if (r == -1)
		warn("worker: receiving a connection:");
	_exit(r == -1 || !log_ok());
}

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

/* Log that fd is ending because the peer was silent, or read nothing, for long. */
static void
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

/* Write all of buf, across short writes; log it, stamped at the call; -1 on error. */
static int
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

/*
 * Read and answer as --reads says until the peer's EOF, an error, --end-after
 * (end_at, 0: none) or --idle-timeout.
 */
static void
converse(struct conn *c, int64_t end_at)
{
	char buf[16384];
	int64_t wake;
	ssize_t n;

	for (;;) {
		/* --end-after: wait for data no later than then */
		if (end_at) {
			wake = end_at;
			if (opt.idle_timeout > 0 && deadline(opt.idle_timeout) < wake)
				wake = deadline(opt.idle_timeout);
			if (!wait_readable(c->fd, wake)) {
				if (wake != end_at)
					log_idle(c, "read");
				return;
			}
		}
		if ((n = logged_read(c, buf, sizeof buf)) <= 0)
			return;
		if (opt.reads != READS_ECHO)
			continue;
		if (opt.reply_delay > 0)
			worker_sleep(opt.reply_delay);
		if (logged_write(c, buf, n) == -1)
			return;
	}
}

/*
 * Start --spawn CMD with /bin/sh, as a CGI server starts a script. Unless
 * --cloexec, the helper inherits the socket, and holds it too.
 */
static void
spawn_helper(struct conn *c)
{
	struct stamp st = log_stamp();
	sigset_t all, old;
	pid_t pid;

	/* a stop signal waits until the helper is counted by its pid */
	log_flush();
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* counted before it can possibly close its copy */
	if (!opt.cloexec)
		holders_set(c->slot, HELPER, -1);
	if ((pid = fork()) == 0) {
		char fd[16];

		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGUSR1, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* which descriptor is the connection, as a CGI script would want */
		if (!opt.cloexec) {
			snprintf(fd, sizeof fd, "%d", c->fd);
			setenv("CLOSELAB_FD", fd, 1);
			fd_cloexec(c->fd, 0);
		}
		execl("/bin/sh", "sh", "-c", opt.spawn, (char *)NULL);
		_exit(127);
	}
	if (pid == -1) {
		holders_set(c->slot, HELPER, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		logev(c->id, EV_SPAWN, "err=%s", errname(errno));
		return;
	}
	helper = pid;
	if (!opt.cloexec)
		holders_set(c->slot, HELPER, pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	logsent(st, c->id, EV_SPAWN, "helper=%ld inherits=%s holders=%d", (long)pid,
	    opt.cloexec ? "no" : "yes", holders_count(c->slot));
}

/* Reap the helper (waiting for it, or only if it has exited), and count it closed. */
static void
reap_helper(struct conn *c, int wait)
{
	int status;
	pid_t r;

	if (helper == -1)
		return;
	if (wait)
		log_flush();
	while ((r = waitpid(helper, &status, wait ? 0 : WNOHANG)) == -1 && errno == EINTR)
		;
	if (r != helper)
		return;
	log_exit(c->id, "helper", helper, status);
	conn_holder_exited(helper);
	helper = -1;
}

void
worker_recount(struct conn *c)
{
	pid_t parent = holders_pid(c->slot, PARENT);

	reap_helper(c, 0);
	/* a parent that died (the kernel closed its copy) has left us to init */
	if (parent > 0 && getppid() != parent)
		conn_holder_exited(parent);
}

void
serve(struct conn *c)
{
	static pid_t me;
	int64_t end_at = 0;

	if (me == 0)
		me = getpid();
	log_batch(1);
	holders_set(c->slot, CHILD, me);
	log_sock(c->fd);
	logev(c->id, EV_TAKE, "fd=%d holders=%d", c->fd, holders_count(c->slot));
	if (opt.end_after != END_AT_PEER_EOF)
		end_at = deadline(opt.end_after);
	if (opt.spawn)
		spawn_helper(c);
	if (opt.reads != READS_NONE)
		converse(c, end_at);
	/* --end-after MS: end then, whatever the peer did meanwhile */
	if (end_at)
		worker_sleep(ms_until(end_at));
	opt.end->run(c);
	log_sock(-1);
	reap_helper(c, 1);
	log_batch(0);
}
