/* eintr.c: a correct pre-forking answer that takes a failed call for the
 * end. After a stop and SIGCONT, Linux fails some calls with EINTR with no
 * handler at all (signal(7): a recv() on a socket with SO_RCVTIMEO,
 * epoll_wait()), which docs/assignment.md now says must be retried.
 *   default        the worker gives each connection SO_RCVTIMEO and ends
 *                  it when recv() fails: the judge's stop of the worker
 *                  ends the connection unechoed
 *   -DEPOLL_PARENT the parent is an epoll_wait() loop, left when the call
 *                  fails: the judge's stop of the parent makes it exit
 * (the seventh review's; both were told false sentences once)
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
