/*
 * parent.c: the server's parent process. It accepts each connection and
 * hands it to an idle pre-forked worker (SCM_RIGHTS) or forks a child for
 * it, keeps its own copy as long as --parent-keeps says, and reaps children.
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

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

/* Connections the parent may hold at once, at most: each needs a slot. */
enum { MAXCONN = 1024 };

/* A prefork worker, or (fork model) a place for one child at a time. */
struct worker {
	pid_t pid;	/* 0: none */
	int chan;	/* prefork: the parent's end of the socketpair; else -1 */
	int slot;	/* the connection it serves, or -1 when idle */
};

/* A connection the parent still holds, indexed by its holders slot. */
struct held {
	int fd;		/* -1: the parent holds no copy */
	int64_t until;	/* when to close: ns, KEEP_NEVER or KEEP_SIGNAL; 0: queued */
};

static struct worker *workers;
static struct held held[MAXCONN];
/* Connections accepted and not yet given to a worker, oldest first. */
static int waitq[MAXCONN];
static int qhead, qlen;
static int maxconn = MAXCONN;	/* lower where the descriptor limit says so */
static int nkept;	/* how many held[] the parent keeps after the handoff */
static int lfd = -1;
static int sigpipe[2] = { -1, -1 };
static int stopping;
static pid_t wirepid;	/* the capture process, or 0 */

static void
on_signal(int sig)
{
	unsigned char b = sig;
	int err = errno;

	if (write(sigpipe[1], &b, 1) == -1) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = err;
}

static void
set_signals(void (*handler)(int))
{
	struct sigaction sa;
	int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGUSR1 };
	size_t i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = handler;
	sa.sa_flags = SA_NOCLDSTOP;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

/*
 * fork() with every signal blocked, so that the child never runs the
 * parent's handlers: it takes the default actions before any signal can
 * reach it. SIGINT from a terminal and SIGUSR1 are the parent's to handle.
 */
static pid_t
fork_blocked(void)
{
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0) {
		set_signals(SIG_DFL);
		signal(SIGINT, SIG_IGN);
		signal(SIGUSR1, SIG_IGN);
	}
	/* a process group of its own, on both sides to win the race, so that
	 * stopping the child stops a helper it spawned too */
	if (pid != -1)
		setpgid(pid == 0 ? 0 : pid, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/*
 * In a new child: drop every descriptor of the parent's but the log and
 * keep, so that no child holds a socket it does not serve.
 */
static void
become_child(int keep)
{
	int i;

	log_role("worker");
	close(lfd);
	close(sigpipe[0]);
	close(sigpipe[1]);
	for (i = 0; i < opt.workers; i++)
		if (workers[i].chan != -1 && workers[i].chan != keep)
			close(workers[i].chan);
	for (i = 0; i < MAXCONN; i++)
		if (held[i].fd != -1 && held[i].fd != keep)
			close(held[i].fd);
}

/* A worker's life: take a connection, serve it, say "free", again. */
static void
worker_loop(int chan)
{
	struct conn c;
	char free = 'f';
	int r;

	while ((r = handoff_recv(chan, &c)) == 1) {
		serve(&c);
		if (write(chan, &free, 1) != 1)
			break;
	}
	if (r == -1)
		warn("worker: receiving a connection:");
	_exit(r == -1);
}

/* Fork the prefork worker w with its socketpair; -1 on error. */
static int
spawn_worker(struct worker *w)
{
	int sv[2], err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	fd_cloexec(sv[0], 1);
	fd_cloexec(sv[1], 1);
	if ((pid = fork_blocked()) == -1) {
		err = errno;
		close(sv[0]);
		close(sv[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		become_child(sv[1]);
		worker_loop(sv[1]);
	}
	close(sv[1]);
	*w = (struct worker){ pid, sv[0], -1 };
	logev(NULL, "spawn", "worker=%ld", (long)pid);
	return 0;
}

/* Close the parent's copy of a connection, logging the holders. */
static void
release(int slot, const char *why)
{
	char keep[32];

	snprintf(keep, sizeof keep, " keep=%s", why);
	holders_close(slot, PARENT, held[slot].fd, keep);
	held[slot].fd = -1;
}

/* After a handoff or fork: close now, or note when --parent-keeps says. */
static void
keep_or_release(int slot)
{
	struct held *h = &held[slot];

	if (opt.parent_keeps == 0) {
		release(slot, "0");
		return;
	}
	/* until != 0 marks a kept copy */
	nkept++;
	if (opt.parent_keeps > 0)
		h->until = now_ns() + opt.parent_keeps * 1000000;
	else
		h->until = opt.parent_keeps;
}

/* An idle worker (prefork) or a free place for a child (fork); NULL if none. */
static struct worker *
idle_worker(void)
{
	int i;

	for (i = 0; i < opt.workers; i++) {
		struct worker *w = &workers[i];
		if (opt.model == MODEL_PREFORK ? w->pid && w->chan != -1 && w->slot == -1
		    : w->pid == 0)
			return w;
	}
	return NULL;
}

/* Fork a child to serve the connection in slot; -1 if fork() failed. */
static int
fork_child(struct worker *w, int slot)
{
	struct conn c = { held[slot].fd, slot, holders_id(slot) };
	int64_t t;
	pid_t pid;

	/* count the child before it can possibly close its copy */
	holders_set(slot, CHILD, -1);
	t = now_ns();
	if ((pid = fork_blocked()) == -1) {
		holders_set(slot, CHILD, 0);
		return -1;
	}
	if (pid == 0) {
		become_child(c.fd);
		serve(&c);
		_exit(0);
	}
	*w = (struct worker){ pid, -1, slot };
	logat(t, c.id, "fork", "child=%ld fd=%d holders=1->2", (long)pid, c.fd);
	return 0;
}

/* Send the connection in slot to worker w; -1 if the worker is gone. */
static int
hand_off(struct worker *w, int slot)
{
	struct conn c = { held[slot].fd, slot, holders_id(slot) };
	int64_t t;

	holders_set(slot, CHILD, -1);
	t = now_ns();
	if (handoff_send(w->chan, &c) == -1) {
		holders_set(slot, CHILD, 0);
		logev(c.id, "handoff", "worker=%ld err=%s", (long)w->pid, errname(errno));
		close(w->chan);
		w->chan = -1;	/* dead or dying: the reaper replaces it */
		return -1;
	}
	w->slot = slot;
	logat(t, c.id, "handoff", "worker=%ld fd=%d holders=1->2", (long)w->pid, c.fd);
	return 0;
}

/* Give the waiting connections to idle workers, oldest first. */
static void
dispatch(void)
{
	struct worker *w;
	int slot;

	while (qlen > 0 && (w = idle_worker()) != NULL) {
		slot = waitq[qhead];
		if (opt.model == MODEL_PREFORK && hand_off(w, slot) == -1)
			continue;	/* that worker is gone: the next one */
		qhead = (qhead + 1) % MAXCONN;
		qlen--;
		if (opt.model == MODEL_PREFORK || fork_child(w, slot) == 0) {
			keep_or_release(slot);
		} else {
			/* as s6 does: no child, no connection; never a leak */
			logev(holders_id(slot), "fork", "err=%s", errname(errno));
			release(slot, "fork-failed");
		}
	}
}

/*
 * Whether to accept now: when a worker is idle to take the connection, or
 * while fewer than --queue connections wait for one. Otherwise they wait
 * in the kernel's listen backlog.
 */
static int
can_accept(void)
{
	if (stopping || holders_full() || qlen + nkept >= maxconn)
		return 0;
	if (qlen < opt.queue)
		return 1;
	return qlen == 0 && idle_worker() != NULL;
}

/* Accept one connection, if one is waiting, for the next idle worker. */
static void
accept_one(void)
{
	char id[ADDRSTRLEN];
	int fd, slot;

	if ((fd = sock_accept(lfd)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
			logev(NULL, "accept", "err=%s", errname(errno));
		return;
	}
	if (sock_peer(fd, id, sizeof id) == -1)
		snprintf(id, sizeof id, "?");
	/* the loop polls the listener only while a slot is free */
	if ((slot = holders_new(id)) == -1) {
		logev(id, "accept", "fd=%d err=no-slot", fd);
		close(fd);
		return;
	}
	held[slot] = (struct held){ fd, 0 };
	waitq[(qhead + qlen++) % MAXCONN] = slot;
	logev(id, "accept", "fd=%d holders=0->1 queued=%d", fd, qlen - 1);
}

static void log_exit(const char *what, pid_t pid, int status);

/* The worker (or child) w has exited: the kernel closed its copies. */
static void
child_gone(struct worker *w, int status)
{
	log_exit("child", w->pid, status);
	holders_gone(w->pid, w->slot);
	if (w->chan != -1)
		close(w->chan);
	*w = (struct worker){ 0, -1, -1 };
}

/* Log how a child ended. */
static void
log_exit(const char *what, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		logev(NULL, "exit", "%s=%ld signal=%d", what, (long)pid, WTERMSIG(status));
	else
		logev(NULL, "exit", "%s=%ld status=%d", what, (long)pid, WEXITSTATUS(status));
}

/* Reap the children that have exited; with block, wait until no worker is left. */
static void
reap(int block)
{
	int status, i, alive;
	pid_t pid;

	for (;;) {
		for (alive = 0, i = 0; i < opt.workers; i++)
			alive |= workers[i].pid != 0;
		if (block && !alive)
			break;
		pid = waitpid(-1, &status, block ? 0 : WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if (pid == wirepid) {
			log_exit("wire", pid, status);
			wirepid = 0;
		}
		for (i = 0; i < opt.workers; i++)
			if (workers[i].pid == pid)
				child_gone(&workers[i], status);
	}
}

/* Keep the pool at its size; -1 if a worker could not be forked. */
static int
fill_pool(void)
{
	int i;

	for (i = 0; i < opt.workers; i++)
		if (workers[i].pid == 0 && spawn_worker(&workers[i]) == -1)
			return -1;
	return 0;
}

/*
 * Close the parent's copies whose time has come (all: every copy, those
 * waiting too; sig: those kept until SIGUSR1); the next deadline, or 0.
 */
static int64_t
release_due(int all, int sig)
{
	int64_t now, next = 0;
	int i;

	if (nkept == 0 && !all)
		return 0;
	now = now_ns();
	for (i = 0; i < MAXCONN; i++) {
		struct held *h = &held[i];
		if (h->fd == -1 || (h->until == 0 && !all))
			continue;	/* free, or still waiting for a worker */
		if (all)
			release(i, "exit");
		else if (sig && h->until == KEEP_SIGNAL)
			release(i, "signal");
		else if (h->until >= 0 && h->until <= now)
			release(i, "timer");
		else if (h->until >= 0 && (next == 0 || h->until < next))
			next = h->until;
		if (h->fd == -1 && h->until != 0)
			nkept--;
	}
	return next;
}

/* A worker's byte on its channel: it is free again (EOF: it died). */
static void
read_chan(struct worker *w)
{
	char buf[16];
	ssize_t n = read(w->chan, buf, sizeof buf);

	if (n > 0) {
		w->slot = -1;
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(w->chan);
		w->chan = -1;
	}
}

/* Handle the signals noted on the self-pipe; a second stop (-1) cuts the drain. */
static void
take_signals(int draining)
{
	unsigned char sig[64];
	ssize_t n, i;

	while ((n = read(sigpipe[0], sig, sizeof sig)) > 0) {
		for (i = 0; i < n; i++) {
			if (sig[i] == SIGCHLD)
				reap(0);
			else if (sig[i] == SIGUSR1)
				release_due(0, 1);
			else
				stopping = draining ? -1 : sig[i];
		}
	}
}

static int workers_alive(void);

/* Stop now: end the workers left, reap them all, close the rest. */
void
parent_stop(void)
{
	int i;

	if (lfd != -1)
		close(lfd);
	lfd = -1;
	/* an idle worker exits at the EOF of its channel, a busy one at SIGTERM */
	if (workers_alive())
		logev(NULL, "abort", "workers=%d", workers_alive());
	for (i = 0; i < opt.workers; i++) {
		if (workers[i].chan != -1) {
			close(workers[i].chan);
			workers[i].chan = -1;
		}
		if (workers[i].pid && kill(-workers[i].pid, SIGTERM) == -1)
			kill(workers[i].pid, SIGTERM);
	}
	reap(1);
	release_due(1, 0);
	/* the capture goes last, to see the last segments */
	if (wirepid) {
		kill(wirepid, SIGTERM);
		while (waitpid(wirepid, NULL, 0) == -1 && errno == EINTR)
			;
		logev(NULL, "exit", "wire=%ld", (long)wirepid);
		wirepid = 0;
	}
}

/* Fork the capture process, if capture is possible here; -1 on an error. */
static int
start_wire(int port)
{
	int fd = wire_open(opt.pcap);

	if (fd == WIRE_NONE)
		return 0;
	if (fd == -1)
		return -1;
	if ((wirepid = fork_blocked()) == 0) {
		become_child(fd);
		log_role("wire");
		wire_capture(fd, port);
	}
	close(fd);
	wire_opened();
	if (wirepid == -1) {
		warn("cannot fork the capture process:");
		wirepid = 0;
		return -1;
	}
	logev(NULL, "spawn", "wire=%ld", (long)wirepid);
	return 0;
}

void
parent_limit(long n)
{
	if (n < maxconn)
		maxconn = n;
}

int
parent_start(int listenfd)
{
	int i;

	lfd = listenfd;
	if (holders_init(MAXCONN) == -1) {
		warn("cannot share the holders table:");
		return -1;
	}
	for (i = 0; i < MAXCONN; i++)
		held[i].fd = -1;
	if ((workers = calloc(opt.workers, sizeof *workers)) == NULL) {
		warn("out of memory");
		return -1;
	}
	for (i = 0; i < opt.workers; i++)
		workers[i] = (struct worker){ 0, -1, -1 };
	if (pipe(sigpipe) == -1 ||
	    fd_cloexec(sigpipe[0], 1) == -1 || fd_nonblock(sigpipe[0], 1) == -1 ||
	    fd_cloexec(sigpipe[1], 1) == -1 || fd_nonblock(sigpipe[1], 1) == -1) {
		warn("self-pipe:");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	set_signals(on_signal);
	if (opt.model == MODEL_PREFORK && fill_pool() == -1) {
		warn("cannot fork the workers:");
		parent_stop();
		return -1;
	}
	if (opt.wire && start_wire(sock_port(lfd)) == -1) {
		parent_stop();
		return -1;
	}
	return 0;
}

/*
 * Draining after SIGTERM or SIGINT: serve what was accepted, let an idle
 * worker go (the EOF of its channel ends it), and wait for the busy ones,
 * until none is left or --grace runs out. Another signal cuts it short.
 */
static void
drain(void)
{
	int i;

	for (i = 0; i < opt.workers; i++) {
		struct worker *w = &workers[i];
		if (w->chan != -1 && w->slot == -1 && qlen == 0) {
			close(w->chan);
			w->chan = -1;
		}
	}
}

static int
workers_alive(void)
{
	int i, n = 0;

	for (i = 0; i < opt.workers; i++)
		n += workers[i].pid != 0;
	return n;
}

int
parent_loop(void)
{
	struct pollfd pfd[2 + MAXWORKERS];
	int i, n, timeout, seen = 0;
	int64_t next, grace_end = 0;

	for (;;) {
		if (stopping && !seen) {
			/* the first stop signal: no more accepts, drain */
			seen = stopping;
			logev(NULL, "stop", "signal=%d grace=%ld", stopping, opt.grace);
			close(lfd);
			lfd = -1;
			grace_end = now_ns() + opt.grace * 1000000;
		}
		timeout = -1;
		/* a dead worker is replaced; if fork fails, try again soon */
		if (!stopping && opt.model == MODEL_PREFORK && fill_pool() == -1) {
			logev(NULL, "spawn", "err=%s", errname(errno));
			timeout = 100;
		}
		dispatch();
		next = release_due(0, 0);
		if (stopping) {
			drain();
			if (!workers_alive() || now_ns() >= grace_end || stopping == -1)
				break;
			if (next == 0 || grace_end < next)
				next = grace_end;
		}
		if (next && (timeout == -1 || ms_until(next) < timeout))
			timeout = ms_until(next);

		n = 0;
		pfd[n++] = (struct pollfd){ sigpipe[0], POLLIN, 0 };
		pfd[n++] = (struct pollfd){ can_accept() ? lfd : -1, POLLIN, 0 };
		for (i = 0; i < opt.workers; i++)
			pfd[n++] = (struct pollfd){ workers[i].chan, POLLIN, 0 };

		if (poll(pfd, n, timeout) == -1 && errno != EINTR) {
			warn("poll:");
			break;
		}
		if (pfd[0].revents)
			take_signals(seen);
		for (i = 0; i < opt.workers; i++)
			if (pfd[2 + i].revents && workers[i].chan == pfd[2 + i].fd)
				read_chan(&workers[i]);
		if (pfd[1].revents)
			accept_one();
	}
	parent_stop();
	return 0;
}
