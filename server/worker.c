/*
 * worker.c: what a worker (or a forked child) does with one connection:
 * read and answer as --reads says, then end it the --end way.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/kernel.h"
#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

void
conn_close(struct conn *c)
{
	/* the close line tells the state before the close itself */
	log_sock(-1);
	holders_close(c->slot, CHILD, c->fd, "");
	c->fd = -1;
}

/*
 * read() once and log what it returned: bytes, EOF (0) or an error.
 * Events that receive are logged at the return, events that send at the
 * call, so that cause comes before effect across processes.
 */
static ssize_t
logged_read(struct conn *c, char *buf, size_t len)
{
	ssize_t n;

	while ((n = read(c->fd, buf, len)) == -1 && errno == EINTR)
		;
	if (n > 0)
		logev(c->id, "read", "fd=%d bytes=%zd", c->fd, n);
	else if (n == 0)
		logev(c->id, "eof", "fd=%d", c->fd);
	else
		logev(c->id, "read", "fd=%d err=%s", c->fd, errname(errno));
	return n;
}

/* Wait until fd is readable or the deadline (0: none) passes; 1 if readable. */
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

static void
logged_shutdown(struct conn *c, int how, const char *name)
{
	char kernel[128] = "";
	int64_t t = now_ns();

	if (shutdown(c->fd, how) == -1) {
		logat(t, c->id, "shutdown", "how=%s err=%s", name, errname(errno));
		return;
	}
	/* shutdown() acts on the socket, whoever holds it: the kernel's list */
	if (log_on() && opt.kernel_holders &&
	    kernel_holders(kernel_sock_id(c->fd), kernel + 8, sizeof kernel - 8) == 0)
		memcpy(kernel, " kernel=", 8);
	logat(t, c->id, "shutdown", "how=%s holders=%d%s", name, holders_count(c->slot), kernel);
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
	sleep_ms(opt.end_wait);
	if (wait_readable(c->fd, now_ns()))
		logged_read(c, buf, sizeof buf);
	else
		logev(c->id, "read", "fd=%d nothing=1", c->fd);
}

static void
end_close(struct conn *c)
{
	conn_close(c);
}

static void
end_shutdown(struct conn *c)
{
	logged_shutdown(c, SHUT_WR, "SHUT_WR");
	conn_close(c);
}

static void
end_shutdown_rd(struct conn *c)
{
	logged_shutdown(c, SHUT_RD, "SHUT_RD");
	read_after_shutdown(c);
	conn_close(c);
}

static void
end_shutdown_rdwr(struct conn *c)
{
	logged_shutdown(c, SHUT_RDWR, "SHUT_RDWR");
	read_after_shutdown(c);
	conn_close(c);
}

static void
end_abort(struct conn *c)
{
	struct linger l = { 1, 0 };

	/* linger belongs to the socket, not to this descriptor: all holders share it */
	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == -1)
		logev(c->id, "linger", "fd=%d err=%s", c->fd, errname(errno));
	else
		logev(c->id, "linger", "fd=%d onoff=1 secs=0", c->fd);
	conn_close(c);
}

static void
end_lingering(struct conn *c)
{
	int64_t deadline = now_ns() + opt.end_wait * 1000000;
	char buf[16384];

	logged_shutdown(c, SHUT_WR, "SHUT_WR");
	/* drain what the peer still sends, so that the last close sends no RST */
	while (wait_readable(c->fd, deadline) && logged_read(c, buf, sizeof buf) > 0)
		;
	conn_close(c);
}

static void
end_leak(struct conn *c)
{
	/* the descriptor stays open for the rest of this process's life */
	logev(c->id, "leak", "fd=%d holders=%d", c->fd, holders_count(c->slot));
}

static void
end_dup(struct conn *c)
{
	int first = c->fd;

	if ((c->fd = dup(first)) == -1) {
		logev(c->id, "dup", "fd=%d err=%s", first, errname(errno));
		c->fd = first;
	} else {
		fd_cloexec(c->fd, 1);
		log_sock(c->fd);
		logev(c->id, "dup", "fd=%d dup=%d", first, c->fd);
		/* one of two descriptors of this process: the socket stays open */
		if (close(first) == -1)
			logev(c->id, "close", "fd=%d err=%s", first, errname(errno));
		else
			logev(c->id, "close", "fd=%d dups=2->1 holders=%d",
			    first, holders_count(c->slot));
		sleep_ms(opt.end_wait);
	}
	conn_close(c);
}

const struct end ends[] = {
	{ "close", "close(fd): FIN only if no other process holds it", end_close },
	{ "shutdown", "shutdown(fd, SHUT_WR), then close(fd): FIN at once", end_shutdown },
	{ "shutdown-rd", "shutdown(fd, SHUT_RD), read, wait, read, close", end_shutdown_rd },
	{ "shutdown-rdwr", "shutdown(fd, SHUT_RDWR), read, wait, read, close",
	    end_shutdown_rdwr },
	{ "abort", "SO_LINGER {1, 0}, then close(fd): RST at the last close", end_abort },
	{ "lingering", "shutdown(SHUT_WR), read until EOF (at most the wait), close",
	    end_lingering },
	{ "leak", "never close(fd): CLOSE_WAIT until the worker exits", end_leak },
	{ "dup", "dup(fd), close one, wait, close the other: FIN at the last", end_dup },
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
 * Read and answer as --reads says until the peer's EOF, an error, the
 * deadline (0: none) or --idle-timeout without a byte from the peer.
 */
static void
converse(struct conn *c, int64_t deadline)
{
	char buf[16384];
	ssize_t n;
	int64_t t, wake;

	for (;;) {
		wake = deadline;
		if (opt.idle_timeout > 0) {
			t = now_ns() + opt.idle_timeout * 1000000;
			if (wake == 0 || t < wake)
				wake = t;
		}
		if (wake && !wait_readable(c->fd, wake)) {
			if (deadline == 0 || wake < deadline)
				logev(c->id, "idle", "fd=%d ms=%ld", c->fd, opt.idle_timeout);
			return;
		}
		if ((n = logged_read(c, buf, sizeof buf)) <= 0)
			return;
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

/*
 * Start --spawn CMD with /bin/sh, as a CGI server starts a script. Unless
 * --cloexec, the socket is inheritable, and the helper holds it too.
 */
static pid_t
spawn_helper(struct conn *c)
{
	int64_t t = now_ns();
	pid_t pid;

	if (!opt.cloexec)
		fd_cloexec(c->fd, 0);
	if ((pid = fork()) == 0) {
		char fd[16];

		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGUSR1, SIG_DFL);
		/* which descriptor is the connection, as a CGI script would want */
		snprintf(fd, sizeof fd, "%d", c->fd);
		if (!opt.cloexec)
			setenv("CLOSELAB_FD", fd, 1);
		execl("/bin/sh", "sh", "-c", opt.spawn, (char *)NULL);
		_exit(127);
	}
	fd_cloexec(c->fd, 1);
	if (pid == -1) {
		logev(c->id, "spawn", "err=%s", errname(errno));
		return -1;
	}
	if (!opt.cloexec)
		holders_set(c->slot, HELPER, pid);
	logat(t, c->id, "spawn", "helper=%ld inherits=%s holders=%d", (long)pid,
	    opt.cloexec ? "no" : "yes", holders_count(c->slot));
	return pid;
}

/* Wait for the helper and count its copy closed. */
static void
reap_helper(struct conn *c, pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	logev(c->id, "exit", "helper=%ld status=%d", (long)pid,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	holders_gone(pid, -1);
}

void
serve(struct conn *c)
{
	int64_t deadline = 0;
	pid_t helper = -1;

	holders_set(c->slot, CHILD, getpid());
	fd_cloexec(c->fd, 1);
	log_sock(c->fd);
	logev(c->id, "take", "fd=%d holders=%d", c->fd, holders_count(c->slot));
	if (opt.end_after != END_AT_PEER_EOF)
		deadline = now_ns() + opt.end_after * 1000000;
	if (opt.spawn)
		helper = spawn_helper(c);
	if (opt.reads != READS_NONE)
		converse(c, deadline);
	/* --end-after MS: end then, whatever the peer did meanwhile */
	if (deadline)
		sleep_ms(ms_until(deadline));
	opt.end->run(c);
	log_sock(-1);
	if (helper != -1)
		reap_helper(c, helper);
}
