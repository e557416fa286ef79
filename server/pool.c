/*
 * pool.c: the server's workers. With --model prefork, a pool of workers
 * forked at start, each with a UNIX socketpair to the parent (its channel):
 * the parent hands a connection down it, the worker answers one byte when
 * it is free again. With --model fork, places for one child per connection.
 * Every worker leads a process group, with the helpers it spawns.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* prctl() */
#include <sys/prctl.h>
#endif
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

struct worker {
	pid_t pid;	/* 0: none; its process group too */
	int chan;	/* prefork: the parent's end of the socketpair; else -1 */
	int slot;	/* the connection it serves, or -1 when idle */
};

static struct worker *workers;
/* Process groups whose worker has exited while a helper in them lives on. */
static pid_t orphans[MAXCONN];
static int norphans;

int
pool_open(void)
{
	int i;

#ifdef PR_SET_CHILD_SUBREAPER
	/* Linux: a helper whose worker died becomes our child, reaped at once */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif
	if ((workers = calloc(opt.workers, sizeof *workers)) == NULL)
		return -1;
	if (opt.model == MODEL_THREAD && threads_open() == -1)
		return -1;
	for (i = 0; i < opt.workers; i++)
		workers[i] = (struct worker){ 0, -1, -1 };
	return 0;
}

/* Close w's channel, if it has one. */
static void
drop_channel(struct worker *w)
{
	if (w->chan == -1)
		return;
	parent_only_gone(w->chan);
	close(w->chan);
	w->chan = -1;
}

/* Fork the prefork worker w with its channel; -1 on error. */
static int
spawn_worker(struct worker *w)
{
	int sv[2];
	pid_t pid;

	if (sock_pair(sv) == -1)
		return -1;
	if ((pid = fork_quiet()) == -1) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		become_child(sv[1], "worker");
		worker_loop(sv[1]);
	}
	close(sv[1]);
	parent_only(sv[0]);
	*w = (struct worker){ pid, sv[0], -1 };
	logev(NULL, EV_SPAWN, "worker=%ld", (long)pid);
	return 0;
}

int
pool_fill(void)
{
	int i;

	if (opt.model != MODEL_PREFORK)
		return 0;
	for (i = 0; i < opt.workers; i++)
		if (workers[i].pid == 0 && spawn_worker(&workers[i]) == -1)
			return -1;
	return 0;
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

int
pool_idle(void)
{
	if (opt.model == MODEL_THREAD)
		return threads_idle() != -1;
	return idle_worker() != NULL;
}

/* Send the connection to worker w; -1 if w is gone. */
static int
hand_off(struct worker *w, struct conn *c)
{
	int64_t t;

	/* counted before the worker can possibly close its copy */
	holders_set(c->slot, CHILD, w->pid);
	t = now_ns();
	if (handoff_send(w->chan, c) == -1) {
		holders_set(c->slot, CHILD, 0);
		logev(c->id, EV_HANDOFF, "worker=%ld err=%s", (long)w->pid, errname(errno));
		drop_channel(w);	/* dead or dying: the reaper replaces it */
		return -1;
	}
	w->slot = c->slot;
	logat(t, c->id, EV_HANDOFF, "worker=%ld fd=%d holders=1->2", (long)w->pid, c->fd);
	return 0;
}

/* Fork a child of w's place to serve the connection; -1 if fork() failed. */
static int
fork_child(struct worker *w, struct conn *c)
{
	int64_t t;
	pid_t pid;

	holders_set(c->slot, CHILD, -1);
	t = now_ns();
	if ((pid = fork_quiet()) == -1) {
		holders_set(c->slot, CHILD, 0);
		logev(c->id, EV_FORK, "err=%s", errname(errno));
		return -1;
	}
	if (pid == 0) {
		become_child(c->fd, "worker");
		serve(c);
		_exit(!log_ok());
	}
	/* by pid from now on, unless the child has recorded itself or closed */
	holders_claim(c->slot, CHILD, -1, pid);
	*w = (struct worker){ pid, -1, c->slot };
	logat(t, c->id, EV_FORK, "child=%ld fd=%d holders=1->2", (long)pid, c->fd);
	return 0;
}

int
pool_give(int slot, int fd)
{
	struct conn c = { fd, slot, "", NULL, 0 };
	struct worker *w;

	memcpy(c.id, holders_id(slot), sizeof c.id);
	if (opt.model == MODEL_THREAD) {
		int place = threads_idle();
		return place == -1 ? -1 : thread_start(place, &c) == 0 ? 0 : -2;
	}
	while ((w = idle_worker()) != NULL) {
		if (opt.model == MODEL_FORK)
			return fork_child(w, &c) == 0 ? 0 : -2;
		if (hand_off(w, &c) == 0)
			return 0;
		/* that worker is gone: the next one */
	}
	return -1;
}

int
pool_poll(struct pollfd *pfd)
{
	int i;

	if (opt.model == MODEL_THREAD) {
		pfd[0] = (struct pollfd){ threads_fd(), POLLIN, 0 };
		return 1;
	}
	if (opt.model != MODEL_PREFORK)
		return 0;
	for (i = 0; i < opt.workers; i++)
		pfd[i] = (struct pollfd){ workers[i].chan, POLLIN, 0 };
	return opt.workers;
}

void
pool_ready(const struct pollfd *pfd, int n)
{
	char buf[16];
	ssize_t r;
	int i;

	if (opt.model == MODEL_THREAD) {
		if (n == 1 && pfd[0].revents)
			threads_ready();
		return;
	}
	for (i = 0; i < n; i++) {
		struct worker *w = &workers[i];
		if (!pfd[i].revents || w->chan != pfd[i].fd)
			continue;
		/* a byte: the worker is free again; EOF: it died */
		if ((r = read(w->chan, buf, sizeof buf)) > 0) {
			w->slot = -1;
		} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
			drop_channel(w);
		}
	}
}

int
pool_exited(pid_t pid, int status)
{
	int i;

	for (i = 0; i < opt.workers; i++) {
		struct worker *w = &workers[i];
		if (w->pid != pid)
			continue;
		log_exit(NULL, "child", pid, status);
		conn_holder_exited(pid);
		drop_channel(w);
		/* its helpers live on in its process group: ended at the stop */
		if (kill(-pid, 0) == 0) {
			if (norphans < MAXCONN)
				orphans[norphans++] = pid;
			else
				kill(-pid, SIGKILL);
		}
		*w = (struct worker){ 0, -1, -1 };
		return 1;
	}
	return 0;
}

int
pool_alive(void)
{
	int i, n = 0;

	if (opt.model == MODEL_THREAD)
		return threads_alive();
	for (i = 0; i < opt.workers; i++)
		n += workers[i].pid != 0;
	return n;
}

void
pool_release_idle(void)
{
	int i;

	for (i = 0; i < opt.workers; i++) {
		struct worker *w = &workers[i];
		if (w->slot == -1)
			drop_channel(w);
	}
}

void
pool_signal(int sig)
{
	int i;

	for (i = 0; i < opt.workers; i++) {
		struct worker *w = &workers[i];
		drop_channel(w);
		if (w->pid && kill(-w->pid, sig) == -1)
			kill(w->pid, sig);
	}
	for (i = 0; i < norphans; i++)
		kill(-orphans[i], sig);
}

int
pool_lingers(void)
{
	/* threads end with the process: no signal is theirs to wait for */
	int i, n = opt.model == MODEL_THREAD ? 0 : pool_alive();

	/* a process group is gone once its last member is */
	for (i = 0; i < norphans; i++)
		if (kill(-orphans[i], 0) == -1 && errno == ESRCH)
			orphans[i--] = orphans[--norphans];
	return n + norphans;
}
