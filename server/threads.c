/*
 * threads.c: --model thread. Each connection is served by a thread of the
 * parent's own process. Threads share one descriptor table, so nothing is
 * handed over and nothing is kept: the thread serves the descriptor that
 * accept() returned, the only one there is, and its close() is the last.
 *
 * With --end-after MS, a second thread, the closer, ends the connection MS
 * after it was taken, while the serving thread reads. A read() in progress
 * holds the socket as a descriptor does (Linux takes a reference for the
 * call when the table is shared): the closer's close() then sends nothing,
 * and the FIN leaves when that read() returns.
 *
 * What the log says of it is proved, not assumed. The serving thread
 * notes each call under its guard, and starts none once the closer has
 * taken the connection over. The closer closes only once the serving
 * thread is out of its call, or blocked in it (Linux shows each thread's
 * call and its arguments in /proc/self/task/TID/syscall); just after the
 * close() it looks again: a call still blocked there, or one that
 * returned after the close() did, held the socket through it (the close
 * line's calls=1), and its return is the release. After the close the
 * serving thread never uses the number again, which may be another's by
 * then. Only Linux shows the calls: elsewhere main.c refuses the closer.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* syscall(SYS_gettid) */
#include <sys/syscall.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/sock.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

/* What the serving thread and the closer share. */
struct guard {
	pthread_mutex_t m;
	long tid;		/* the serving thread's id */
	int in_call;		/* it is in (or entering) a call on the socket */
	int closed;		/* the closer has taken the connection over: no new call */
	int held_through;	/* a call held the socket through the closer's close() */
	atomic_llong entered;	/* calls begun (under m) */
	atomic_llong left;	/* calls returned, each stamping returned first */
	atomic_llong returned;	/* when the last call returned (ns) */
};

struct job {
	struct conn c;
	struct guard g;
	int64_t end_at;		/* --end-after: when the closer ends it */
	int place;
};

static int done[2] = { -1, -1 };	/* the threads tell the parent their place */
static struct conn *busy;		/* the connection of each place, fd -1: free */

int
threads_open(void)
{
	int i;

	if ((busy = calloc(opt.workers, sizeof *busy)) == NULL || pipe(done) == -1)
		return -1;
	for (i = 0; i < opt.workers; i++)
		busy[i].fd = -1;
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

/* Tell the parent that place is free. */
static void
tell(int place)
{
	ssize_t n;

	do
		n = write(done[1], &place, sizeof place);
	while (n == -1 && errno == EINTR);
}

int
threads_fd(void)
{
	return done[0];
}

int
threads_ready(void)
{
	int place, freed = 0;

	while (read(done[0], &place, sizeof place) == (ssize_t)sizeof place)
		if (place >= 0 && place < opt.workers && busy[place].fd != -1) {
			busy[place].fd = -1;
			freed++;
		}
	return freed;
}

int
threads_idle(void)
{
	int i;

	for (i = 0; i < opt.workers; i++)
		if (busy[i].fd == -1)
			return i;
	return -1;
}

int
threads_alive(void)
{
	int i, n = 0;

	for (i = 0; i < opt.workers; i++)
		n += busy[i].fd != -1;
	return n;
}

void
threads_exit(void)
{
	/* the exit closes their descriptors: each a last close, by the exit */
	if (threads_alive() > 0)
		conn_holder_exited(getpid());
}

int
guard_enter(struct conn *c)
{
	struct guard *g = c->guard;
	int closed;

	if (g == NULL || c->closer)
		return 1;
	pthread_mutex_lock(&g->m);
	if (!(closed = g->closed)) {
		g->in_call = 1;
		atomic_fetch_add(&g->entered, 1);
	}
	pthread_mutex_unlock(&g->m);
	return !closed;
}

int
guard_leave(struct conn *c, int64_t returned)
{
	struct guard *g = c->guard;
	int r;

	if (g == NULL || c->closer)
		return GUARD_OPEN;
	/* before the lock, which the closer may hold: its look after the close needs it */
	atomic_store(&g->returned, returned);
	atomic_fetch_add(&g->left, 1);
	pthread_mutex_lock(&g->m);
	r = g->held_through ? GUARD_RELEASED : g->closed ? GUARD_CLOSED : GUARD_OPEN;
	g->held_through = 0;
	g->in_call = 0;
	pthread_mutex_unlock(&g->m);
	return r;
}

/*
 * Whether thread tid is blocked in a read() or write() of fd: 1, 0 not
 * (running, or in another call), -1 unknown (/proc cannot be read).
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

void
guard_close_begin(struct conn *c)
{
	struct guard *g = c->guard;

	if (g == NULL || !c->closer)
		return;
	/* until the serving thread is out of its call, or blocked in it: not entering it */
	for (;;) {
		pthread_mutex_lock(&g->m);
		if (!g->in_call || in_call(g->tid, c->fd) == 1)
			return;
		pthread_mutex_unlock(&g->m);
		sleep_ms(1);
	}
}

int
guard_closed(const struct conn *c, int64_t returned)
{
	struct guard *g = c ? c->guard : NULL;
	int64_t ret;

	if (g == NULL || !c->closer || !g->in_call)
		return 0;
	/*
	 * It was blocked in its call before the close(). Still blocked there:
	 * the call holds the socket. Returned since: as it stamped the return
	 * (it cannot start another without the lock, which we hold).
	 */
	for (;;) {
		int k = in_call(g->tid, c->fd);
		if (k == 1)
			return g->held_through = 1;
		if (atomic_load(&g->left) == atomic_load(&g->entered))
			break;
		/* on its way back, microseconds; or /proc unreadable: until it is back */
		if (k == -1)
			sleep_ms(1);
		else
			sched_yield();
	}
	ret = atomic_load(&g->returned);
	/* back before the close() had returned, the call let go first, or in
	 * the same microseconds: the close() sent what was sent */
	return g->held_through = ret > returned;
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
	if (guarded)
		pthread_mutex_destroy(&j->g.m);
	tell(j->place);
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
	int64_t at = now_ns();
	int err = 0;

	if ((j = calloc(1, sizeof *j)) == NULL) {
		err = errno;
	} else {
		j->c = *c;
		j->place = place;
		if (opt.end_after != END_AT_PEER_EOF && (err = pthread_mutex_init(&j->g.m, NULL)) == 0)
			j->c.guard = &j->g;
	}
	if (err == 0) {
		/* the thread serves the parent's one descriptor: the parent's
		 * holding becomes the thread's, which is the process's still */
		holders_set(c->slot, CHILD, getpid());
		holders_set(c->slot, PARENT, 0);
		/* the signals are the parent's loop's to take: the threads block them all */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &was);
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		err = pthread_create(&t, &a, serving, j);
		pthread_attr_destroy(&a);
		pthread_sigmask(SIG_SETMASK, &was, NULL);
		if (err != 0) {
			holders_set(c->slot, PARENT, getpid());
			holders_set(c->slot, CHILD, 0);
		}
	}
	if (err != 0) {
		if (j && j->c.guard)
			pthread_mutex_destroy(&j->g.m);
		free(j);
		logat(at, c->id, EV_THREAD, "err=%s", errname(err));
		errno = err;
		return -1;
	}
	busy[place] = *c;
	logat(at, c->id, EV_THREAD, "fd=%d holders=1", c->fd);
	return 0;
}
