/* sigchld.c: a correct pre-forking answer, as a careful student writes it.
 * The parent waits out each keep with one nanosleep() before it accepts
 * the next connection, and reaps in a SIGCHLD handler (SA_RESTART, no
 * SA_NOCLDSTOP). The judge's stop and continue of a worker sends the
 * parent a SIGCHLD each, and the first ends its sleep: the keep is cut
 * short, as a worker's death would cut it. docs/assignment.md says so now.
 * (the seventh review's; it fails check 5, which says why)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

enum { WORKERS = 4 };
static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* item 6: reap every worker that has ended, at once */
static void
reap(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
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
		while ((r = read(fd, buf, sizeof buf)) > 0)
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = write(fd, p, (size_t)r)) <= 0)
					r = 0, w = 0;
		if (end_shutdown)
			shutdown(fd, SHUT_WR);
		close(fd);
	}
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction chld = { .sa_handler = reap, .sa_flags = SA_RESTART };
	struct sigaction term = { .sa_handler = on_term };	/* no SA_RESTART: accept() ends */
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
	sigemptyset(&chld.sa_mask);
	sigemptyset(&term.sa_mask);
	sigaction(SIGCHLD, &chld, NULL);
	sigaction(SIGTERM, &term, NULL);
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		if (send_fd(chan[0], fd) == -1) {
			close(fd);
			continue;
		}
		if (keep < 0)
			continue;	/* never: kept until the parent exits */
		if (keep > 0) {
			/* the keep, waited out before the next accept */
			struct timespec ts = { keep / 1000, keep % 1000 * 1000000L };
			nanosleep(&ts, NULL);
		}
		close(fd);
	}
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
