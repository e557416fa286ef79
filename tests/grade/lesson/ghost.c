/* ghost.c: attacks on the lesson's judge with O_PATH "ghost" descriptors.
 * An O_PATH descriptor opened through /proc/self/fd/N of a socket reads as
 * "socket:[INODE]" in /proc/PID/fd, yet holds no reference to the socket's
 * open file: its close() does nothing to the connection, and the socket
 * ends (FIN) when the last *real* descriptor is closed.
 *   -DMODE=1 ghost-close-only: the worker only close()s, even with
 *            --end shutdown; with --end shutdown the parent keeps a ghost
 *            instead of its copy (close where shutdown was asked).
 *   -DMODE=2 ghost-liar: the parent never keeps its copy (closes it at
 *            once); it keeps a ghost for the keep (for ever with never).
 *            The worker keeps the real copy instead, in flight, until the
 *            keep is over (or for ever with never).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MODE
#define MODE 1
#endif
enum { WORKERS = 4 };
static volatile sig_atomic_t stopping;
static long keep = -1;
static int end_shutdown;

static void on_term(int s) { (void)s; stopping = 1; }
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stopping)
		;
}
static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
static int send_fd(int chan, int fd)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	memset(ctl, 0, sizeof ctl);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(chan, &m, 0) == 1 ? 0 : -1;
}
static int recv_fd(int chan)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c;
	int fd;
	if (recvmsg(chan, &m, 0) != 1 || !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}
/* a descriptor that /proc shows as the socket, and that holds nothing */
static int ghost_of(int fd)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	return open(p, O_PATH | O_CLOEXEC);
}

static void worker(int chan)
{
	char buf[4096];
	ssize_t r, w;
	int fd;

	while ((fd = recv_fd(chan)) != -1) {
		long got = now_ms();
		while ((r = read(fd, buf, sizeof buf)) > 0)
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = write(fd, p, (size_t)r)) <= 0)
					r = 0, w = 0;
		if (MODE == 2 && end_shutdown)
			shutdown(fd, SHUT_WR);
		if (MODE == 2 && !end_shutdown && keep != 0) {
			/* the real copy, in a message in flight: in no table */
			int hide[2];
			if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, hide) == 0 && send_fd(hide[0], fd) == 0) {
				close(fd);
				if (keep < 0)
					continue;	/* for ever: hide[] stays open */
				long until = got + keep + 20;
				pause_ms(until > now_ms() ? until - now_ms() : 0);
				/* released from flight with its receiver: never in a table again */
				close(hide[0]);
				close(hide[1]);
				continue;
			}
		}
		close(fd);
	}
	_exit(0);
}

int main(int argc, char *argv[])
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
	sigaction(SIGTERM, &act, NULL);
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL), g = -1;
		if (fd == -1)
			continue;
		send_fd(chan[0], fd);
		if (keep == 0) {
			close(fd);
			continue;
		}
		if (MODE == 2 || (MODE == 1 && end_shutdown)) {
			/* not a copy: a ghost of one */
			g = ghost_of(fd);
			close(fd);
			fd = g;
		}
		if (keep < 0)
			continue;	/* kept until exit */
		pause_ms(keep);
		close(fd);
	}
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	for (int i = 0; i < WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	return 0;
}
