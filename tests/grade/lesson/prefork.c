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

enum { WORKERS = 4 };
static volatile sig_atomic_t stopping;
static long keep = -1;		/* ms; -1: never */
static int end_shutdown;
static int parent_closed[2];	/* WORKER_FOLLOWS: a byte for each of the parent's closes */

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stopping)
		;
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
	int fd;

	while ((fd = recv_fd(chan)) != -1) {
		while ((r = read(fd, buf, sizeof buf)) > 0)
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = write(fd, p, (size_t)r)) <= 0)
					r = 0, w = 0;
		if (MISTAKE == EXTRA_BYTES) {
			static char more[8192];
			(void)!write(fd, more, sizeof more);
		}
		if (end_shutdown && MISTAKE != CLOSE_ONLY && MISTAKE != PARENT_SHUTS)
			shutdown(fd, SHUT_WR);
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
		close(fd);
	}
	if (MISTAKE == LEAVES_WORKERS)
		for (;;)
			pause();
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_term };
	pid_t workers[WORKERS];
	int lfd, chan[2], one = 1, port = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--end") == 0)
			end_shutdown = strcmp(argv[i + 1], "shutdown") == 0;
		else if (strcmp(argv[i], "--parent-keeps") == 0)
			keep = strcmp(argv[i + 1], "never") == 0 ? -1 : atol(argv[i + 1]);
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(lfd, 64) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, chan) == -1 ||
	    (MISTAKE == WORKER_FOLLOWS && pipe(parent_closed) == -1)) {
		perror("server");
		return 1;
	}
	for (int i = 0; i < WORKERS; i++) {
		if ((workers[i] = fork()) == 0) {
			close(lfd);
			close(chan[0]);
			worker(chan[1]);
		}
	}
	close(chan[1]);
#if MISTAKE == JUDGES_CHILD
	if (syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0) == 0)
		_exit(0);
#endif
	sigaction(SIGTERM, &act, NULL);		/* no SA_RESTART: accept() returns EINTR */
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		if (MISTAKE == DUMMY_HOLDER && fork() == 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			poll(&p, 1, 10000);	/* the peer's data or FIN: never read */
			_exit(0);
		}
		if (MISTAKE == SERVES_ITSELF || MISTAKE == DUMMY_HOLDER) {
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
		if (MISTAKE == PARENT_NEVER || (keep == -1 && MISTAKE != NO_KEEP))
			continue;	/* kept until exit */
		if (MISTAKE != NO_KEEP && MISTAKE != LIAR)
			pause_ms((MISTAKE == SHORT_KEEP || MISTAKE == WORKER_FOLLOWS) && keep > 30 ?
			    30 : keep);
		if (MISTAKE == PARENT_SHUTS && end_shutdown)
			shutdown(fd, SHUT_WR);
		close(fd);
		if (MISTAKE == WORKER_FOLLOWS && keep > 0)
			(void)!write(parent_closed[1], "c", 1);
	}
	if (MISTAKE != LEAVES_WORKERS)
		for (int i = 0; i < WORKERS; i++)
			kill(workers[i], SIGTERM);
	for (int i = 0; i < WORKERS && MISTAKE != LEAVES_WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	return 0;
}
