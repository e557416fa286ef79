/*
 * prefork.c: an answer to docs/assignment.md, pre-forking: the parent
 * accepts and passes each connection to one of four workers over a
 * SOCK_SEQPACKET socketpair (SCM_RIGHTS). Built with -DMISTAKE=N, it makes
 * one classic mistake instead, or (from 8) tries to fool the judge
 * (tests/grade/lesson.sh).
 */
#ifndef MISTAKE
#define MISTAKE 0
#endif
#if MISTAKE >= 8
#define _GNU_SOURCE		/* unshare, syscall: the hostile ones */
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#else
#define _POSIX_C_SOURCE 200809L
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLOSE_ONLY 1		/* the worker close()s, even when shutdown is asked */
#define NO_KEEP 2		/* the parent closes its copy at once */
#define PARENT_NEVER 3		/* the parent never closes its copy */
#define LIAR 4			/* the parent closes at once, the worker waits out the keep */
#define WORKER_HOLDS 5		/* the worker, too, keeps its copy for the keep */
#define SERVES_ITSELF 6		/* no handoff: the parent echoes */
#define LEAVES_WORKERS 7	/* SIGTERM ends the parent only */
#define SHORT_KEEP 8		/* the parent keeps 30 ms, whatever it is told */
#define PARENT_SHUTS 9		/* the worker close()s; the parent shuts down at its keep's end */
#define EXTRA_BYTES 10		/* the worker sends 8 KiB more than it read */
#define HIDDEN_THREAD 11	/* the worker holds on in a thread with a table of its own */
#define JUDGES_CHILD 12		/* correct, with a child that is the judge's (CLONE_PARENT) */
#define DUMMY_HOLDER 13		/* the parent serves; a child holds a copy until the peer's FIN */
#define WORKER_FOLLOWS 14	/* the parent keeps 30 ms; the worker lets go right after it */
#define NEVER_300 15		/* with never, the parent closes 300 ms after the handoff */
#define INFLIGHT_WORKER 16	/* the worker keeps its copy, in a message in flight, past the keep */
#define TWIN_SHUTS 17		/* the worker close()s; the parent's twin (CLONE_FILES) shuts down */
#define INFLIGHT_LIAR 18	/* the parent lets go after the EOF; a keeper takes its copy from flight */
#define ALWAYS_SHUTDOWN 19	/* the worker calls shutdown() with --end close too */
#define ZOMBIE_LEADER 20	/* the worker's first thread leaves; it keeps its copy past the keep */
#define MAIN_LEAVES 21		/* correct; main()'s thread leaves, a thread serves (pthread_exit) */
#define FIXED_KEEP 22		/* the parent keeps 3000 ms, whatever it is told (0 apart) */
#define UNSTOPPED_SHUTS 23	/* the worker close()s; a child continues the stopped parent, which shuts down */
#define UNSTOPPED_SERVES 24	/* the parent serves, a child holds a copy, another continues the parent */
#define TWIN_GHOST 25		/* the twin of TWIN_SHUTS, its first thread gone */
#define TWIN_DECOY 26		/* the twin of TWIN_SHUTS, and a thread of the parent's with a table of its own */
#define INFLIGHT_SHORT 27	/* the worker's copy in flight 100 ms past the keep, then held 650 ms */
#define GAP_SHUTS 28		/* the worker close()s; the parent shuts down as soon as it is continued */
#define TWIN_65TH 29		/* TWIN_SHUTS, the twin sharing the table of the parent's 65th thread */
#define KEEP_1500 30		/* a keep of 1500 ms for any keep it is told but 0 and never */
#define BUSY 31			/* correct; idle threads by the hundred, the connection under 900 descriptors */
#define HALFKEEP 32		/* --end close: the parent keeps 52% of the keep; the worker's copy, in flight, the rest */
#define TWINRACE 33		/* the worker close()s; a thread of the parent's makes twins that shut down, without end */
#define KEEPS_SERVED 34		/* --end shutdown: the worker shuts down, and never closes */
#define STRLEN_ECHO 35		/* the worker echoes what it read up to its first NUL byte */
#define NEVER_HIDDEN 36		/* with never, the parent keeps its copy in a message to itself */
#define STOPS_ACCEPTING 37	/* with --parent-keeps 0, two connections, then none (a queue of 1) */
#define KEEPS_AT_0 38		/* with --parent-keeps 0, the parent keeps its copy until it exits */
#define POLLING 39		/* correct; its waits spin (sched_yield()), never asleep */

enum { WORKERS = 4 };
static volatile sig_atomic_t stopping;
static long keep = -1;		/* ms; -1: never */
static int end_shutdown;
static int parent_closed[2];	/* WORKER_FOLLOWS: a byte for each of the parent's closes */
static int echoed_twice[2] = { -1, -1 };	/* GAP_SHUTS: the worker says so to the parent */
static volatile int kept_fd = -1;	/* GAP_SHUTS: the parent's copy during its keep */

#if MISTAKE == BUSY
/* a correct answer that each of the judge's looks costs more: THREADS idle
 * threads in the parent and in each worker, and the worker holding its
 * connection (its own only, as the handout asks) under DUPS descriptors
 * while it serves it (the fifth review's: the judge, which compared the
 * threads once a descriptor, ran out of time) */
enum { THREADS = 90, DUPS = 900 };

static void *
idle(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void
many_threads(void)
{
	pthread_t t;

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t, NULL, idle, NULL);
}
#endif

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
pause_ms(long ms)
{
#if MISTAKE == POLLING
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!stopping && (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
#else
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stopping)
		;
#endif
}

static int
send_fd(int chan, int fd)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
	    .msg_controllen = sizeof ctl };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(ctl, 0, sizeof ctl);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(chan, &m, 0) == 1 ? 0 : -1;
}

static int
recv_fd(int chan)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
	    .msg_controllen = sizeof ctl };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(chan, &m, 0) != 1 || !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

#if MISTAKE == INFLIGHT_LIAR
/* the time on CLOCK_MONOTONIC, in ms */
static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
#endif

#if MISTAKE == GAP_SHUTS
/* a thread of the parent's: once the worker has echoed the second message
 * (sent with the parent stopped), shuts the parent's copy down, which it
 * can do only once the parent is continued */
static void *
shutter(void *arg)
{
	char b;

	while (read(echoed_twice[0], &b, 1) == 1)
		if (kept_fd != -1)
			shutdown(kept_fd, SHUT_WR);
	return arg;
}
#endif

#if MISTAKE == TWIN_SHUTS || MISTAKE == TWIN_GHOST || MISTAKE == TWIN_DECOY || \
    MISTAKE == TWIN_65TH || MISTAKE == TWINRACE
/* shut down each TCP connection of the table whose peer has ended */
static void
shut_ended(void)
{
	for (int fd = 3; fd < 64; fd++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof peer;
		struct pollfd p = { .fd = fd, .events = POLLRDHUP };
		if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
		    peer.sin_family == AF_INET && poll(&p, 1, 0) == 1 && (p.revents & POLLRDHUP))
			shutdown(fd, SHUT_WR);
	}
}
#endif

#if MISTAKE == TWIN_SHUTS || MISTAKE == TWIN_GHOST || MISTAKE == TWIN_DECOY || MISTAKE == TWIN_65TH
/* the parent's twin: shares its descriptor table, is not stopped with it,
 * and shuts down each connection of the table once the peer has ended */
static int
twin(void *arg)
{
#if MISTAKE == TWIN_GHOST
	static char stack[65536];
	/* the same in a thread of the twin's, whose first thread leaves */
	if (arg == NULL) {
		clone(twin, stack + sizeof stack, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND |
		    CLONE_FILES | CLONE_FS, "thread");
		syscall(SYS_exit, 0);
	}
#endif
	(void)arg;
	while (getppid() != 1) {
		shut_ended();
		pause_ms(10);
	}
	return 0;
}
#endif

#if MISTAKE == TWINRACE
/* a twin of the parent's (CLONE_FILES): for 30 ms, shut down each
 * connection of the table whose peer has ended, then exit */
static int
short_twin(void *arg)
{
	(void)arg;
	for (int i = 0; i < 30; i++) {
		shut_ended();
		pause_ms(1);
	}
	return 0;
}

/* a thread of the parent's: a new twin every millisecond, as fast as the
 * judge can look, so that one is born between its look and its stop */
static void *
twin_maker(void *arg)
{
	static char stack[65536];
	pid_t twins[64] = { 0 };

	(void)arg;
	for (unsigned k = 0;; k++) {
		if (twins[k % 64] > 0)
			waitpid(twins[k % 64], NULL, 0);
		twins[k % 64] = clone(short_twin, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
		pause_ms(1);
	}
	return NULL;
}
#endif

#if MISTAKE == TWIN_DECOY
/* a thread that takes a table of its own, says so on the pipe, and waits */
static void *
own_table(void *ready)
{
	unshare(CLONE_FILES);
	(void)!write(*(int *)ready, "r", 1);
	for (;;)
		pause();
	return NULL;
}
#endif

#if MISTAKE == UNSTOPPED_SHUTS || MISTAKE == UNSTOPPED_SERVES
/* whether process pid is stopped (state T) */
static int
stopped(pid_t pid)
{
	char path[64], line[256], *close = NULL;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re"))) {
		if (!fgets(line, sizeof line, f) || !(close = strrchr(line, ')')))
			close = NULL;
		fclose(f);
	}
	return close && close[1] == ' ' && close[2] == 'T';
}
#endif

#if MISTAKE == HIDDEN_THREAD
/* the worker's copy, kept for the keep in a thread whose descriptor table
 * is its own: /proc/PID/fd, the leader's, does not show it */
struct hold {
	int fd, ready[2];
};

static void *
holder(void *arg)
{
	struct hold *h = arg;

	unshare(CLONE_FILES);
	(void)!write(h->ready[1], "r", 1);
	pause_ms(keep);
	close(h->fd);
	return NULL;
}
#endif

static void
worker(int chan)
{
	char buf[4096];
	ssize_t r, w;
	int fd, hide[2] = { -1, -1 };

	if ((MISTAKE == INFLIGHT_WORKER || MISTAKE == INFLIGHT_SHORT || MISTAKE == HALFKEEP) &&
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, hide) == -1)
		_exit(1);
#if MISTAKE == BUSY
	many_threads();
#endif
	while ((fd = recv_fd(chan)) != -1) {
		int reads = 0;
		struct timespec took;
		clock_gettime(CLOCK_MONOTONIC, &took);
#if MISTAKE == BUSY
		int dups[DUPS], nd = 0;
		for (int i = 0; i < DUPS; i++)
			if ((dups[nd] = dup(fd)) != -1)
				nd++;
#endif
		while ((r = read(fd, buf, sizeof buf)) > 0) {
			if (MISTAKE == STRLEN_ECHO)
				r = (ssize_t)strnlen(buf, (size_t)r);
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = write(fd, p, (size_t)r)) <= 0)
					r = 0, w = 0;
			if (MISTAKE == GAP_SHUTS && ++reads == 2 && end_shutdown && keep > 0)
				(void)!write(echoed_twice[1], "e", 1);
		}
		if (MISTAKE == EXTRA_BYTES) {
			static char more[8192];
			(void)!write(fd, more, sizeof more);
		}
		if ((end_shutdown || MISTAKE == ALWAYS_SHUTDOWN) && MISTAKE != CLOSE_ONLY &&
		    MISTAKE != PARENT_SHUTS && MISTAKE != TWIN_SHUTS && MISTAKE != TWIN_GHOST &&
		    MISTAKE != TWIN_DECOY && MISTAKE != UNSTOPPED_SHUTS && MISTAKE != GAP_SHUTS &&
		    MISTAKE != TWIN_65TH && MISTAKE != TWINRACE)
			shutdown(fd, SHUT_WR);
		if (MISTAKE == KEEPS_SERVED && end_shutdown)
			continue;
		if (MISTAKE == HALFKEEP && !end_shutdown && keep > 0) {
			/* its copy in flight, in no table, until 5 ms before the keep ends */
			struct timespec now;
			send_fd(hide[0], fd);
			close(fd);
			clock_gettime(CLOCK_MONOTONIC, &now);
			long spent = (now.tv_sec - took.tv_sec) * 1000 + (now.tv_nsec - took.tv_nsec) / 1000000;
			if (keep - 5 > spent)
				pause_ms(keep - 5 - spent);
			fd = recv_fd(hide[1]);
		}
		if ((MISTAKE == INFLIGHT_WORKER || MISTAKE == INFLIGHT_SHORT) && !end_shutdown &&
		    keep > 0) {
			/* its copy in a message to itself: in no descriptor table */
			send_fd(hide[0], fd);
			close(fd);
			pause_ms(keep + (MISTAKE == INFLIGHT_WORKER ? 1500 : 100));
			fd = recv_fd(hide[1]);
			if (MISTAKE == INFLIGHT_SHORT)
				pause_ms(650);
		}
		if (MISTAKE == ZOMBIE_LEADER && !end_shutdown && keep > 0)
			pause_ms(keep + 1500);
		if ((MISTAKE == LIAR || MISTAKE == WORKER_HOLDS) && keep > 0)
			pause_ms(keep);
		if (MISTAKE == WORKER_FOLLOWS && keep > 0) {
			char b;
			(void)!read(parent_closed[0], &b, 1);
		}
#if MISTAKE == HIDDEN_THREAD
		struct hold h = { fd, { -1, -1 } };
		pthread_t t;
		char c;
		if (keep > 0 && pipe(h.ready) == 0 && pthread_create(&t, NULL, holder, &h) == 0) {
			(void)!read(h.ready[0], &c, 1);
			close(fd);	/* gone from the leader's table only */
			pthread_join(t, NULL);
			close(h.ready[0]);
			close(h.ready[1]);
			continue;
		}
#endif
#if MISTAKE == BUSY
		for (int i = 0; i < nd; i++)
			close(dups[i]);
#endif
		close(fd);
	}
	if (MISTAKE == LEAVES_WORKERS)
		for (;;)
			pause();
	_exit(0);
}

#if MISTAKE == ZOMBIE_LEADER
static void *
worker_thread(void *chan)
{
	worker((int)(intptr_t)chan);
	return NULL;
}
#endif

static int
serve_all(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_term };
	pid_t workers[WORKERS], helper = 0;
	int lfd, chan[2], one = 1, port = 0, hidden[2] = { -1, -1 };

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--end") == 0)
			end_shutdown = strcmp(argv[i + 1], "shutdown") == 0;
		else if (strcmp(argv[i], "--parent-keeps") == 0)
			keep = strcmp(argv[i + 1], "never") == 0 ? -1 : atol(argv[i + 1]);
	}
	if ((MISTAKE == NEVER_300 && keep == -1) || (MISTAKE == FIXED_KEEP && keep != 0))
		keep = MISTAKE == NEVER_300 ? 300 : 3000;
	if (MISTAKE == KEEP_1500 && keep > 0)
		keep = 1500;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(lfd, MISTAKE == STOPS_ACCEPTING ? 1 : 64) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, chan) == -1 ||
	    (MISTAKE == WORKER_FOLLOWS && pipe(parent_closed) == -1) ||
	    (MISTAKE == GAP_SHUTS && pipe(echoed_twice) == -1) ||
	    (MISTAKE == NEVER_HIDDEN && socketpair(AF_UNIX, SOCK_DGRAM, 0, hidden) == -1)) {
		perror("server");
		return 1;
	}
	for (int i = 0; i < WORKERS; i++) {
		if ((workers[i] = fork()) == 0) {
			close(lfd);
			close(chan[0]);
#if MISTAKE == ZOMBIE_LEADER
			/* /proc/PID/fd of a leader that has left is empty */
			pthread_t t;
			if (pthread_create(&t, NULL, worker_thread, (void *)(intptr_t)chan[1]) == 0)
				pthread_exit(NULL);
#endif
			worker(chan[1]);
		}
	}
	close(chan[1]);
#if MISTAKE == BUSY
	many_threads();
#endif
#if MISTAKE == GAP_SHUTS
	pthread_t gap;
	pthread_create(&gap, NULL, shutter, NULL);
#endif
#if MISTAKE == TWIN_SHUTS || MISTAKE == TWIN_GHOST || MISTAKE == TWIN_DECOY || MISTAKE == TWIN_65TH
	static char stack[65536];
	if (end_shutdown && keep > 0)
		helper = clone(twin, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
#endif
#if MISTAKE == TWINRACE
	pthread_t maker;
	if (end_shutdown && keep > 0 && pthread_create(&maker, NULL, twin_maker, NULL) != 0)
		return 1;
#endif
#if MISTAKE == TWIN_DECOY
	/* a thread with a table of its own, the first after the leader */
	pthread_t decoy;
	int ready[2];
	char r;
	if (pipe(ready) == -1 || pthread_create(&decoy, NULL, own_table, &ready[1]) != 0 ||
	    read(ready[0], &r, 1) != 1)
		return 1;
#endif
#if MISTAKE == UNSTOPPED_SHUTS || MISTAKE == UNSTOPPED_SERVES
	/* a child that continues the parent whenever it finds it stopped */
	pid_t me = getpid();
	if ((helper = fork()) == 0) {
		while (getppid() == me) {
			if (stopped(me)) {
				pause_ms(20);
				kill(me, SIGCONT);
			}
			pause_ms(1);
		}
		_exit(0);
	}
#endif
#if MISTAKE == INFLIGHT_LIAR
	int keeper[2], when[2];
	long until;
	/* the keeper: told when each keep ends, takes the copy from flight then, and closes it */
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, keeper) == -1 || pipe(when) == -1)
		return 1;
	if ((helper = fork()) == 0) {
		while (read(when[0], &until, sizeof until) == sizeof until) {
			pause_ms(until > now_ms() ? until - now_ms() : 0);
			close(recv_fd(keeper[1]));
		}
		_exit(0);
	}
#endif
#if MISTAKE == JUDGES_CHILD
	if (syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0) == 0)
		_exit(0);
#endif
	sigaction(SIGTERM, &act, NULL);		/* no SA_RESTART: accept() returns EINTR */
	int accepted = 0;
	while (!stopping) {
		if (MISTAKE == STOPS_ACCEPTING && keep == 0 && accepted == 2) {
			pause();
			continue;
		}
		int fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		accepted++;
#if MISTAKE == DUMMY_HOLDER || MISTAKE == UNSTOPPED_SERVES
		if (fork() == 0) {
			struct pollfd p = { .fd = fd, .events = POLLRDHUP };
			poll(&p, 1, 10000);	/* the peer's FIN: never read */
			_exit(0);
		}
#endif
		if (MISTAKE == SERVES_ITSELF || MISTAKE == DUMMY_HOLDER ||
		    MISTAKE == UNSTOPPED_SERVES) {
			char buf[4096];
			ssize_t r;
			while ((r = read(fd, buf, sizeof buf)) > 0)
				if (write(fd, buf, (size_t)r) != r)
					break;
			if (end_shutdown)
				shutdown(fd, SHUT_WR);
		} else {
			send_fd(chan[0], fd);
		}
		if (MISTAKE == NEVER_HIDDEN && keep == -1) {
			send_fd(hidden[0], fd);		/* in flight for ever, in no table */
			close(fd);
			continue;
		}
		if (MISTAKE == PARENT_NEVER || (keep == -1 && MISTAKE != NO_KEEP) ||
		    (MISTAKE == KEEPS_AT_0 && keep == 0))
			continue;	/* kept until exit */
		kept_fd = fd;
#if MISTAKE == UNSTOPPED_SHUTS
		if (end_shutdown && keep > 0) {
			/* the worker's shutdown, done by the parent at the peer's EOF */
			struct pollfd p = { .fd = fd, .events = POLLRDHUP };
			poll(&p, 1, (int)keep);
			shutdown(fd, SHUT_WR);
		}
#endif
#if MISTAKE == INFLIGHT_LIAR
		if (keep > 0) {
			/* kept until just after the peer's EOF, then in flight to the keeper */
			struct pollfd p = { .fd = fd, .events = POLLRDHUP };
			until = now_ms() + keep;
			poll(&p, 1, (int)keep);
			pause_ms(150);
			send_fd(keeper[0], fd);
			(void)!write(when[1], &until, sizeof until);
			close(fd);
			continue;
		}
#endif
		if (MISTAKE != NO_KEEP && MISTAKE != LIAR)
			pause_ms((MISTAKE == SHORT_KEEP || MISTAKE == WORKER_FOLLOWS) && keep > 30 ?
			    30 : MISTAKE == HALFKEEP && !end_shutdown && keep > 0 ? keep * 52 / 100 :
			    keep);
		if (MISTAKE == PARENT_SHUTS && end_shutdown)
			shutdown(fd, SHUT_WR);
		kept_fd = -1;
		close(fd);
		if (MISTAKE == WORKER_FOLLOWS && keep > 0)
			(void)!write(parent_closed[1], "c", 1);
	}
	if (MISTAKE != LEAVES_WORKERS)
		for (int i = 0; i < WORKERS; i++)
			kill(workers[i], SIGTERM);
	if (helper > 0)
		kill(helper, SIGTERM);
	for (int i = 0; i < WORKERS && MISTAKE != LEAVES_WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	if (helper > 0)
		waitpid(helper, NULL, 0);
	return 0;
}

#if MISTAKE == TWIN_65TH
static int main_argc;
static char **main_argv;

/* a thread with a table of its own, which waits */
static void *
table_of_its_own(void *arg)
{
	unshare(CLONE_FILES);
	for (;;)
		pause();
	return arg;
}

/* the 65th thread: the original table, SIGTERM, and the server */
static void *
runner(void *arg)
{
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	exit(serve_all(main_argc, main_argv));
	return arg;
}

/* the leader and 63 threads with tables of their own, which a judge that
 * compares 64 threads would take for the parent's, before the 65th */
int
main(int argc, char *argv[])
{
	sigset_t term;
	pthread_t t;

	main_argc = argc;
	main_argv = argv;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	for (int i = 0; i < 63; i++)
		if (pthread_create(&t, NULL, table_of_its_own, NULL) != 0)
			return 1;
	pause_ms(100);
	if (pthread_create(&t, NULL, runner, NULL) != 0)
		return 1;
	unshare(CLONE_FILES);
	for (;;)
		pause();
}
#elif MISTAKE == MAIN_LEAVES
static int main_argc;
static char **main_argv;

static void *
main_thread(void *arg)
{
	(void)arg;
	exit(serve_all(main_argc, main_argv));
}

/* main()'s thread leaves, a documented way to let the others carry on:
 * its process is a zombie leader whose threads serve */
int
main(int argc, char *argv[])
{
	pthread_t t;

	main_argc = argc;
	main_argv = argv;
	if (pthread_create(&t, NULL, main_thread, NULL) != 0)
		return 1;
	pthread_exit(NULL);
}
#else
int
main(int argc, char *argv[])
{
	return serve_all(argc, argv);
}
#endif
