/* peekaboo.c: a forking server with two of the class's mistakes, hidden.
 * (a) worker-holds: with a keep, the child keeps its copy after the
 *     client's EOF until 60 ms before the parent's keep ends, first in
 *     flight for 150 ms (SCM_RIGHTS to itself), while the judge sees the
 *     parent alone, then in its table again, beside the parent's.
 * (b) inherits: the child keeps the parent's other copies (never), in
 *     flight while it serves its own connection, and takes them back at
 *     its EOF.
 * (the seventh review's, once 100; (b) is still not seen: docs/testing.md)
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

enum { MAXKEPT = 200, MAXKIDS = 1024, HIDE_MS = 150, MARGIN_MS = 60 };
static volatile sig_atomic_t stopping;
static int kept[MAXKEPT], nkept;	/* the parent's copies, with never */

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
reap(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
pause_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stopping)
		;
}

/* n descriptors in one message on sock; -1 if not */
static int
send_fds(int sock, const int *fds, int n)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof(int) * MAXKEPT)];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
	    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(ctl, 0, sizeof ctl);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

/* the descriptors of one message on sock, into fds: how many */
static int
recv_fds(int sock, int *fds)
{
	char byte, ctl[CMSG_SPACE(sizeof(int) * MAXKEPT)];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
	    .msg_controllen = sizeof ctl };
	struct cmsghdr *c;

	if (recvmsg(sock, &m, 0) != 1 || !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_type != SCM_RIGHTS)
		return 0;
	int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
	return n;
}

/* the child forked for fd, at start (ms) */
static void
child(int fd, int end_shutdown, long keep, long long start)
{
	char buf[4096];
	ssize_t r, w;
	int hide[2], back[MAXKEPT];

	signal(SIGTERM, SIG_DFL);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, hide) == -1)
		_exit(1);
	/* (b) the parent's other copies, not closed: in flight while it serves */
	if (nkept > 0 && send_fds(hide[0], kept, nkept) == 0)
		for (int i = 0; i < nkept; i++)
			close(kept[i]);
	while ((r = read(fd, buf, sizeof buf)) > 0)
		for (char *p = buf; r > 0; p += w, r -= w)
			if ((w = write(fd, p, (size_t)r)) <= 0)
				r = 0, w = 0;
	if (nkept > 0)
		recv_fds(hide[1], back);	/* held openly again until it exits */
	if (end_shutdown)
		shutdown(fd, SHUT_WR);
	if (keep > 0) {
		/* (a) its copy kept for the keep too: out of sight at first */
		int mine[1] = { fd };
		if (send_fds(hide[0], mine, 1) == 0) {
			close(fd);
			pause_ms(HIDE_MS);
			if (recv_fds(hide[1], mine) == 1)
				fd = mine[0];
		}
		long long left = start + keep - MARGIN_MS - now_ms();
		if (left > 0)
			pause_ms(left);
	}
	close(fd);
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction chld = { .sa_handler = reap, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	struct sigaction term = { .sa_handler = on_term };
	static pid_t kids[MAXKIDS];
	int lfd, one = 1, port = 0, end_shutdown = 0, nkids = 0;
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
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(lfd, 64) == -1) {
		perror("server");
		return 1;
	}
	sigemptyset(&chld.sa_mask);
	sigemptyset(&term.sa_mask);
	sigaction(SIGCHLD, &chld, NULL);
	sigaction(SIGTERM, &term, NULL);	/* no SA_RESTART: accept() ends */
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		pid_t pid;
		if (fd == -1)
			continue;
		long long start = now_ms();
		if ((pid = fork()) == 0) {
			close(lfd);
			child(fd, end_shutdown, keep, start);
		}
		if (pid > 0 && nkids < MAXKIDS)
			kids[nkids++] = pid;
		if (keep < 0 && nkept < MAXKEPT) {
			kept[nkept++] = fd;	/* never */
			continue;
		}
		if (keep > 0)
			pause_ms(keep);
		close(fd);
	}
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGTERM);
	return 0;
}
