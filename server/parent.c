/*
 * parent.c: the server's parent. It accepts each connection, gives it to a
 * worker (pool.c), keeps its own copy as --parent-keeps says (keep.c),
 * takes signals (signals.c), reaps its children, and stops.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

/*
 * After accept() failed for want of a resource (EMFILE...), the listener
 * rests this long: the error is logged once, not in a loop.
 */
enum { ACCEPT_REST_MS = 100 };
/* At the stop: how long children get between SIGTERM and SIGKILL. */
enum { KILL_AFTER_MS = 1000 };
/* How often to look for helpers that are not our children to reap. */
enum { ORPHAN_LOOK_MS = 10 };

static enum { SERVING, DRAINING, ENDING } state;
static int lfd = -1;
static long maxconn = MAXCONN;	/* lower where the descriptor limit says so */
static pid_t wirepid;		/* the capture process, or 0 */
static int64_t grace_end;
static int64_t accept_rests_until;	/* 0: accept() is not resting */
static int accept_failing;
static int children_failed;	/* a worker or the capture exited with status 1 */

/* A child was reaped: a worker, the capture process, or (we are the
 * subreaper, on Linux) a helper whose worker died before it. */
static void
reaped(pid_t pid, int status)
{
	/* a worker or the capture that failed (its log, say) fails the server */
	int failed = WIFEXITED(status) && WEXITSTATUS(status) != 0;

	if (pool_exited(pid, status)) {
		children_failed |= failed;
		return;
	}
	if (pid != wirepid) {
		conn_holder_exited(pid);
		return;
	}
	children_failed |= failed;
	log_exit(NULL, "wire", pid, status);
	wirepid = 0;
}

static void
reap_all(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) != 0) {
		if (pid > 0)
			reaped(pid, status);
		else if (errno != EINTR)
			break;
	}
}

/*
 * Reap the children that have exited, if any has (SIGCHLD seen): before the
 * parent closes a copy, so that a worker that has exited is not counted as
 * a holder.
 */
static void
reap(void)
{
	if (signals_child_exited())
		reap_all();
}

/* Give the waiting connections to idle workers, oldest first. */
static void
dispatch(void)
{
	int slot, r;

	while ((slot = keep_first_waiting()) != -1) {
		if ((r = pool_give(slot, keep_fd(slot))) == -1)
			return;		/* every worker is busy: it waits */
		reap();
		if (r == 0)
			keep_after_handoff(slot);
		else	/* as s6 does: no child, no connection; never a leak */
			keep_release(slot, opt.model == MODEL_THREAD ? "thread-failed" : "fork-failed");
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
	int waiting = keep_waiting_count();

	if (state != SERVING || accept_rests_until || holders_full() ||
	    waiting + keep_count() >= maxconn)
		return 0;
	if (waiting < opt.queue)
		return 1;
	return waiting == 0 && pool_idle();
}

/* accept() failed: go on, or rest the listener, logging it once. */
static void
accept_failed(int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK || err == ECONNABORTED)
		return;		/* nothing waits, or it went away */
	if (!accept_failing)
		logev(NULL, EV_ACCEPT, "err=%s", errname(err));
	accept_failing = 1;
	accept_rests_until = deadline(ACCEPT_REST_MS);
}

/* Accept one connection and queue it for the next idle worker; -1 if none. */
static int
accept_one(void)
{
	struct sockaddr_storage ss;
	int fd, slot;

	if ((fd = sock_accept(lfd, &ss)) == -1) {
		accept_failed(errno);
		return -1;
	}
	accept_failing = 0;
	slot = holders_new();	/* can_accept() saw a free one */
	if (log_on())
		sock_addrstr((struct sockaddr *)&ss, holders_id(slot), CONNID_LEN);
	keep_hold(slot, fd);
	logev(holders_id(slot), EV_ACCEPT, "fd=%d holders=0->1 queued=%d", fd,
	    keep_waiting_count() - 1);
	return 0;
}

/* SIGTERM, SIGINT or SIGHUP: drain; a second one: end at once. */
static void
stop(int sig)
{
	if (state != SERVING) {
		state = ENDING;
		return;
	}
	state = DRAINING;
	logev(NULL, EV_STOP, "signal=%d grace=%ld", sig, opt.grace);
	parent_only_gone(lfd);
	close(lfd);
	lfd = -1;
	grace_end = deadline(opt.grace);
}

static void
take_signals(void)
{
	int sig;

	while ((sig = signals_take()) != 0) {
		if (sig == SIGCHLD) {
			reap_all();
		} else if (sig == SIGUSR1) {
			reap();
			keep_release_signalled();
		} else {
			stop(sig);
		}
	}
}

/* Fork the capture process, if capture is possible here; -1 on an error. */
static int
start_wire(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	pid_t parent = getpid();
	int fd;

	if (getsockname(lfd, (struct sockaddr *)&ss, &len) == -1) {
		warn("wire: the listener's address:");
		return -1;
	}
	if ((fd = wire_open((struct sockaddr *)&ss, opt.pcap)) == WIRE_NONE)
		return 0;
	if (fd == -1)
		return -1;
	if ((wirepid = fork_quiet()) == 0) {
		become_child(fd, "wire");
		wire_capture(fd, parent);
	}
	close(fd);
	wire_opened();
	if (wirepid == -1) {
		warn("cannot fork the capture process:");
		wirepid = 0;
		return -1;
	}
	logev(NULL, EV_SPAWN, "wire=%ld", (long)wirepid);
	return 0;
}

int
parent_start(int listener, long room)
{
	lfd = listener;
	parent_only(lfd);
	if (room < maxconn)
		maxconn = room;
	keep_open();
	if (holders_init(MAXCONN) == -1 || pool_open() == -1 || signals_open() == -1) {
		warn("cannot start:");
		return -1;
	}
	if (pool_fill() == -1) {
		warn("cannot fork the workers:");
		parent_stop();
		return -1;
	}
	if (opt.wire && start_wire() == -1) {
		parent_stop();
		return -1;
	}
	return 0;
}

int
parent_loop(void)
{
	struct pollfd pfd[2 + MAXWORKERS];
	int npool, timeout, status = 0;
	int64_t next;

	/* the lines of a pass of the loop go out together, before poll() */
	log_batch(1);
	for (;;) {
		timeout = -1;
		/* a SIGCHLD whose byte the full self-pipe could not take */
		reap();
		if (accept_rests_until && now_ns() >= accept_rests_until)
			accept_rests_until = 0;
		/* a dead worker is replaced; if fork fails, try again soon */
		if (state == SERVING && pool_fill() == -1) {
			logev(NULL, EV_SPAWN, "err=%s", errname(errno));
			timeout = ACCEPT_REST_MS;
		}
		dispatch();
		reap();
		next = keep_release_due();
		if (state != SERVING) {
			/* serve what was accepted; an idle worker may go */
			if (keep_waiting_count() == 0)
				pool_release_idle();
			if (!pool_alive() || state == ENDING || now_ns() >= grace_end)
				break;
			if (next == 0 || grace_end < next)
				next = grace_end;
		}
		if (state == SERVING && accept_rests_until &&
		    (next == 0 || accept_rests_until < next))
			next = accept_rests_until;
		if (next && (timeout == -1 || ms_until(next) < timeout))
			timeout = ms_until(next);

		pfd[0] = (struct pollfd){ signals_fd(), POLLIN, 0 };
		pfd[1] = (struct pollfd){ can_accept() ? lfd : -1, POLLIN, 0 };
		npool = pool_poll(pfd + 2);
		log_flush();
		if (poll(pfd, 2 + npool, timeout) == -1 && errno != EINTR) {
			warn("poll:");
			status = EXIT_RUNTIME;
			break;
		}
		if (pfd[0].revents)
			take_signals();
		pool_ready(pfd + 2, npool);
		/* as many as may be accepted now, each to its worker */
		if (pfd[1].revents)
			while (can_accept() && accept_one() == 0)
				dispatch();
	}
	parent_stop();
	log_flush();
	return status ? status : log_ok() && !children_failed ? 0 : EXIT_RUNTIME;
}

/*
 * Send sig to every child of ours but the capture: on Linux, where the
 * parent is the subreaper, what a helper left running (a daemon of its
 * own, in a session of its own) is one. How many there were.
 */
static int
signal_strays(int sig)
{
	int n = 0;
#ifdef __linux__
	char path[64];
	long pid;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid != wirepid && (sig == 0 || kill((pid_t)pid, sig) == 0))
			n++;
	fclose(f);
#else
	(void)sig;
#endif
	return n;
}

/* What the stop waits for: the pool's processes, strays, the capture. */
enum waited { POOL, STRAYS, CAPTURE };

/* Whether any of what is waited for is left. */
static int
left(enum waited w)
{
	switch (w) {
	case POOL:
		return pool_lingers() > 0;
	case STRAYS:
		return signal_strays(0) > 0;
	default:
		return wirepid != 0;
	}
}

/* Reap children until none of w is left, or the deadline. */
static void
wait_gone(enum waited w, int64_t until)
{
	struct pollfd p = { signals_fd(), POLLIN, 0 };
	int ms;

	for (reap_all(); left(w) && (ms = ms_until(until)) > 0; reap_all()) {
		/* a child's exit wakes us (SIGCHLD); an orphaned helper's, only the clock */
		log_flush();
		poll(&p, 1, ms < ORPHAN_LOOK_MS ? ms : ORPHAN_LOOK_MS);
		while (signals_take() != 0)
			;	/* nothing changes what happens now */
	}
}

void
parent_stop(void)
{
	if (lfd != -1) {
		parent_only_gone(lfd);
		close(lfd);
	}
	lfd = -1;
	/* an idle worker exits at the EOF of its channel, a busy one at SIGTERM */
	if (pool_alive())
		logev(NULL, EV_ABORT, "workers=%d", pool_alive());
	pool_signal(SIGTERM);
	wait_gone(POOL, deadline(KILL_AFTER_MS));
	/* what ignores SIGTERM, a --spawn helper say, does not outlive the server */
	if (pool_lingers() > 0) {
		pool_signal(SIGKILL);
		wait_gone(POOL, deadline(KILL_AFTER_MS));
	}
	if (signal_strays(SIGTERM) > 0) {
		wait_gone(STRAYS, deadline(KILL_AFTER_MS));
		if (signal_strays(SIGKILL) > 0)
			wait_gone(STRAYS, deadline(KILL_AFTER_MS));
	}
	keep_release_all();
	if (opt.model == MODEL_THREAD)
		threads_exit();
	/* the capture goes last, to see the last segments */
	if (wirepid) {
		kill(wirepid, SIGTERM);
		wait_gone(CAPTURE, deadline(KILL_AFTER_MS));
	}
	if (wirepid) {
		kill(wirepid, SIGKILL);
		wait_gone(CAPTURE, deadline(KILL_AFTER_MS));
	}
}
