/*
 * threads.c: --model thread. Each connection is served by a thread of the
 * parent's own process. Threads share one descriptor table, so nothing is
 * handed over and nothing is kept: the thread serves the descriptor that
 * accept() returned, the only one there is, and its close() is the last.
 *
 * With --end-after MS, a second thread, the closer, ends the connection MS
 * after it was taken, while the serving thread reads. A read() in progress
 * holds the socket as a descriptor does (the kernel takes a reference for
 * the call when the table is shared): the closer's close() then sends
 * nothing, and the FIN leaves when that read() returns. Before each call,
 * the serving thread notes it under its guard; once the closer has closed
 * the descriptor, it calls nothing on it again, for the number may belong
 * to another connection by then. While a read() that began before such a
 * close is still out, the parent accepts nothing, so that no new
 * connection takes that number under it.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* syscall(SYS_gettid) */
#include <sys/syscall.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/sock.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

/* What the serving thread and the closer share. */
struct guard {
	pthread_mutex_t m;
	int in_call;		/* the serving thread is in (or entering) a call on it */
	long tid;		/* the serving thread's id */
	int closed;		/* the closer has taken the connection over: no new call */
	int64_t closed_at;	/* when the closer's close() was called, 0 before */
	int held;		/* that close left a call out: the numbers are held for it */
};

struct job {
	struct conn c;
	struct guard g;
	int64_t end_at;		/* --end-after: when the closer ends it */
	int place;
};

static int done[2] = { -1, -1 };	/* the threads tell the parent: their place, or -1 */
static int *busy;			/* places in use, --workers of them */
static pthread_mutex_t held_m = PTHREAD_MUTEX_INITIALIZER;
static int held;			/* reads out on closed descriptors */

int
threads_open(void)
{
	int i;

	if ((busy = calloc(opt.workers, sizeof *busy)) == NULL || pipe(done) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		parent_only(done[i]);
		if (fd_cloexec(done[i], 1) == -1)
			return -1;
	}
	/* the parent reads what is there, and never waits for more */
	return fd_nonblock(done[0], 1);
}

/* This thread's id for the log: the kernel's where it has one (Linux: as
 * /proc/PID/task/ and the tracer name it), else a number of our own. */
static long
thread_id(void)
{
#ifdef SYS_gettid
	return (long)syscall(SYS_gettid);
#else
	static atomic_long last;
	return atomic_fetch_add(&last, 1) + 1;
#endif
}

/* Tell the parent: a place is free (its index), or a held number is (-1). */
static void
tell(int what)
{
	ssize_t n;

	do
		n = write(done[1], &what, sizeof what);
	while (n == -1 && errno == EINTR);
}

static void
hold_numbers(int more)
{
	pthread_mutex_lock(&held_m);
	held += more;
	pthread_mutex_unlock(&held_m);
}

int
threads_hold(void)
{
	int n;

	pthread_mutex_lock(&held_m);
	n = held;
	pthread_mutex_unlock(&held_m);
	return n > 0;
}

int
threads_fd(void)
{
	return done[0];
}

int
threads_ready(void)
{
	int what, freed = 0;

	while (read(done[0], &what, sizeof what) == (ssize_t)sizeof what)
		if (what >= 0 && what < opt.workers && busy[what]) {
			busy[what] = 0;
			freed++;
		}
	return freed;
}

int
threads_idle(void)
{
	int i;

	for (i = 0; i < opt.workers; i++)
		if (!busy[i])
			return i;
	return -1;
}

int
threads_alive(void)
{
	int i, n = 0;

	for (i = 0; i < opt.workers; i++)
		n += busy[i];
	return n;
}

int
guard_enter(struct conn *c)
{
	struct guard *g = c->guard;
	int closed;

	if (g == NULL || c->closer)
		return 1;
	pthread_mutex_lock(&g->m);
	if (!(closed = g->closed))
		g->in_call = 1;
	pthread_mutex_unlock(&g->m);
	return !closed;
}

int
guard_leave(struct conn *c, int64_t returned)
{
	struct guard *g = c->guard;
	int r = GUARD_OPEN;

	if (g == NULL || c->closer)
		return r;
	pthread_mutex_lock(&g->m);
	if (g->closed_at)
		r = returned > g->closed_at ? GUARD_RELEASED : GUARD_CLOSED;
	else if (g->closed)
		r = GUARD_CLOSED;
	if (g->held) {
		/* the closer held the numbers for this call: free them again */
		g->held = 0;
		hold_numbers(-1);
		tell(-1);
	}
	g->in_call = 0;
	pthread_mutex_unlock(&g->m);
	return r;
}

/* How long the closer waits for the serving thread to be in the call it is entering. */
enum { ENTER_MS = 1000 };

/*
 * Whether thread tid is in a read() or write() of fd, blocked there: 1, 0
 * not (running, or in another call), -1 unknown (not Linux). Linux gives
 * each thread's call and its arguments in /proc/self/task/TID/syscall.
 */
static int
in_call(long tid, int fd)
{
#if defined(SYS_read) && defined(SYS_write)
	char path[64];
	unsigned long arg;
	long nr;
	FILE *f;
	int n;

	snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	n = fscanf(f, "%ld %lx", &nr, &arg);
	fclose(f);
	return n == 2 && (nr == SYS_read || nr == SYS_write) && arg == (unsigned long)fd;
#else
	(void)tid;
	(void)fd;
	return -1;
#endif
}

int
guard_close_begin(struct conn *c)
{
	struct guard *g = c->guard;
	int64_t give_up = deadline(ENTER_MS);

	if (g == NULL || !c->closer)
		return 0;
	/* a call the serving thread is entering: wait until it is in it */
	for (;;) {
		pthread_mutex_lock(&g->m);
		if (!g->in_call || in_call(g->tid, c->fd) != 0 || now_ns() >= give_up)
			break;
		pthread_mutex_unlock(&g->m);
		sleep_ms(1);
	}
	/* held until guard_close_end(): the call's return is told after the close */
	g->closed_at = now_ns();
	if ((g->held = g->in_call))
		hold_numbers(1);
	return g->in_call;
}

void
guard_close_end(struct conn *c)
{
	if (c->guard && c->closer)
		pthread_mutex_unlock(&c->guard->m);
}

/* The closer: at --end-after, end the connection the --end way, whatever the serving thread does. */
static void *
closer(void *arg)
{
	struct job *j = arg;
	struct conn c = j->c;	/* its own: the end sets its fd to -1 */

	log_thread("worker", thread_id());
	log_batch(1);
	sleep_ms(ms_until(j->end_at));
	/* from now on the serving thread starts no call */
	pthread_mutex_lock(&j->g.m);
	j->g.closed = 1;
	pthread_mutex_unlock(&j->g.m);
	c.closer = 1;
	log_sock(c.fd);
	opt.end->run(&c);
	log_batch(0);
	return NULL;
}

/* A serving thread: the connection from take to end, then its place is free. */
static void *
serving(void *arg)
{
	struct job *j = arg;
	pthread_t t;
	int guarded = j->c.guard != NULL, closing = guarded;

	j->g.tid = thread_id();
	log_thread("worker", j->g.tid);
	j->end_at = deadline(opt.end_after);
	if (closing && (errno = pthread_create(&t, NULL, closer, j)) != 0) {
		/* the serving thread ends the connection itself, as a worker would */
		warn("cannot start a closer thread:");
		closing = 0;
		j->c.guard = NULL;
	}
	serve(&j->c);
	if (closing)
		pthread_join(t, NULL);
	tell(j->place);
	if (guarded)
		pthread_mutex_destroy(&j->g.m);
	free(j);
	return NULL;
}

int
thread_start(int place, const struct conn *c)
{
	sigset_t all, was;
	pthread_attr_t a;
	pthread_t t;
	struct job *j;
	int64_t at;
	int err;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return -1;
	j->c = *c;
	j->place = place;
	if (opt.end_after != END_AT_PEER_EOF) {
		if ((err = pthread_mutex_init(&j->g.m, NULL)) != 0) {
			free(j);
			errno = err;
			return -1;
		}
		j->c.guard = &j->g;
	}
	/* the thread serves the parent's one descriptor: the parent's holding
	 * becomes the thread's, which is the process's still */
	holders_set(c->slot, CHILD, getpid());
	holders_set(c->slot, PARENT, 0);
	/* the signals are the parent's loop's to take: the threads block them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	at = now_ns();
	err = pthread_create(&t, &a, serving, j);
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	if (err != 0) {
		holders_set(c->slot, PARENT, getpid());
		holders_set(c->slot, CHILD, 0);
		if (j->c.guard)
			pthread_mutex_destroy(&j->g.m);
		free(j);
		errno = err;
		logev(c->id, EV_THREAD, "err=%s", errname(errno));
		return -1;
	}
	busy[place] = 1;
	logat(at, c->id, EV_THREAD, "fd=%d holders=1", c->fd);
	return 0;
}
