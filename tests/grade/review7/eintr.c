/*
 * eintr.c: a CORRECT pre-forking answer to docs/assignment.md that the judge
 * fails, because its stops are not invisible to the code: on Linux, with no
 * signal handler at all, a call blocked in epoll_wait(), or in a socket call
 * on a socket with a timeout (SO_RCVTIMEO), fails with EINTR once the process
 * is stopped (SIGSTOP) and continued (SIGCONT) (signal(7), "Interruption of
 * system calls and library functions by stop signals"). A student treats a
 * failed recv() or epoll_wait() as the end of the connection or of the
 * server, as most C code does: nothing else can interrupt them here.
 *
 * Two builds, each a correct server by the handout:
 *
 * cc -std=c11 -O2 -pthread -o server eintr.c   (the worker's timeout)
 *   The worker gives each connection a 30 s receive timeout, so that a
 *   silent client cannot keep a worker for ever, and ends the connection
 *   as it is told (shutdown then close, or close) when recv() returns 0 or
 *   fails. The handout never says the grader stops the workers; it does:
 *   parent_idle() (judge.c 1030-1065) SIGSTOPs the worker while it waits in
 *   recv() (1045), sends the third message, and SIGCONTs it (1058). The
 *   worker's recv() returns EINTR, so it shuts the connection down at once,
 *   with the third message unread and unechoed.
 *   Expected: check 3 (handoff) fails at 1144-1147, "the server did not echo
 *   every byte it was sent" ("with pid W stopped, then continued, the echo
 *   of a third message never came"); check 5 (shutdown) fails at 1161 and
 *   1184-1185: the FIN is there before the client's shutdown ("early"), so
 *   M_SHUTDOWN_CLOSE, "no FIN came while the parent was stopped: it waited
 *   for the parent, and the worker must call shutdown(SHUT_WR)", which is
 *   false: the worker did call shutdown(), it was the judge's stop and
 *   continue that made it end early. Runs 2-4 stop no process: they pass.
 *   Score: 65, capped at 50 by both checks' caps.
 *
 * cc -std=c11 -O2 -pthread -DEPOLL_PARENT -o server eintr.c   (the parent's loop)
 *   The parent is an event loop: epoll_wait() on the listener and on one
 *   timerfd a kept copy (so that it goes on accepting with never, and lets
 *   go of each copy on time), and leaves its loop when epoll_wait() fails
 *   (it prints nothing if SIGTERM asked it to stop, which is how the
 *   student's own testing saw EINTR). The handout says the parent's stop
 *   "asks nothing of your code"; after served_while_stopped()'s SIGCONT
 *   (judge.c 1001-1015, continue_parent() 975-980) epoll_wait() returns
 *   EINTR, and the parent ends its workers and exits, mid-run.
 *   Expected: check 3 fails, either with M_HOLDER_GONE (1139-1143, from 1041-1042: "the
 *   process that held the connection beside the parent let go of it while
 *   it was served, or could not be stopped", false: the parent exited) when
 *   the parent was gone before parent_idle() looked, or with M_NO_ECHO /
 *   a reset when it went while the worker was stopped; check 5 fails:
 *   halt_parent() waits the whole deadline on the parent, a zombie that
 *   stopped() (793-822) never counts as stopped, so kept is 0 and 1182-1183
 *   say M_UNSTOPPED, "a process of the server continued it", false (or
 *   M_RST, 1180-1181). Score capped at 50.
 *
 * The fix is not in the student's code but in the judge and the handout: see
 * README.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4, MAXFD = 1024 };
static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
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

static void
worker(int chan, int end_shutdown)
{
	char buf[4096];
	ssize_t r, w;
	int fd;

	while ((fd = recv_fd(chan)) != -1) {
#ifndef EPOLL_PARENT
		/* a silent client ends after 30 s instead of keeping the worker */
		struct timeval idle = { 30, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
#endif
		/* echo until EOF (0) or a failure (-1): either ends the connection */
		while ((r = recv(fd, buf, sizeof buf, 0)) > 0)
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = send(fd, p, (size_t)r, MSG_NOSIGNAL)) <= 0)
					r = 0, w = 0;
		if (end_shutdown)
			shutdown(fd, SHUT_WR);
		close(fd);
	}
	_exit(0);
}

#ifdef EPOLL_PARENT
/* the parent's loop: the listener and a timerfd for each kept copy */
static void
serve(int lfd, int chan, long keep)
{
	static int kept_by[MAXFD];	/* timerfd -> the copy it lets go of */
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[32];
	int ep = epoll_create1(0);

	if (ep == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
		perror("epoll");
		return;
	}
	while (!stopping) {
		int n = epoll_wait(ep, evs, 32, -1);
		if (n == -1) {
			/* EINTR: SIGTERM, which set stopping */
			if (!stopping)
				perror("epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, t;
			if (fd != lfd) {
				/* a keep is over */
				close(kept_by[fd]);
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				continue;
			}
			if ((fd = accept(lfd, NULL, NULL)) == -1)
				continue;
			if (send_fd(chan, fd) == -1 || keep == 0) {
				close(fd);
				continue;
			}
			if (keep < 0)
				continue;	/* never */
			struct itimerspec its = { .it_value = { keep / 1000, keep % 1000 * 1000000L } };
			if ((t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) == -1 || t >= MAXFD ||
			    timerfd_settime(t, 0, &its, NULL) == -1) {
				close(fd);
				continue;
			}
			kept_by[t] = fd;
			ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = t };
			epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev);
		}
	}
}
#else
/* the parent: accept, hand over, wait out the keep, close */
static void
serve(int lfd, int chan, long keep)
{
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		if (send_fd(chan, fd) == -1) {
			close(fd);
			continue;
		}
		if (keep < 0)
			continue;
		struct timespec ts = { keep / 1000, keep % 1000 * 1000000L };
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stopping)
			;
		close(fd);
	}
}
#endif

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction term = { .sa_handler = on_term };
	pid_t workers[WORKERS];
	int lfd, chan[2], one = 1, port = 0, end_shutdown = 0;
	long keep = -1;

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
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, chan) == -1) {
		perror("server");
		return 1;
	}
	for (int i = 0; i < WORKERS; i++)
		if ((workers[i] = fork()) == 0) {
			close(lfd);
			close(chan[0]);
			worker(chan[1], end_shutdown);
		}
	close(chan[1]);
	sigemptyset(&term.sa_mask);
	sigaction(SIGTERM, &term, NULL);	/* no SA_RESTART: the wait ends */
	serve(lfd, chan[0], keep);
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	for (int i = 0; i < WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	return 0;
}
