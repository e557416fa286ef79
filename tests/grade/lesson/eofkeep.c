/* eofkeep.c: a keep of the server's own. A pre-forking server, correct but
 * for the keep: with --parent-keeps MS (not 0 nor never) it keeps its copy
 * a fixed time after it sees the client's FIN (POLLRDHUP), whatever MS is.
 * The client's FIN comes later in the judge's shutdown run than in its
 * close run, by some 300 ms of the judge's own, or by as much as the
 * server's slow echoes add:
 *   MODE 0  eofkeep: 1750 ms, the echoes at once (the seventh review's,
 *           passed once the shutdown run asked for twice the close run's
 *           keep)
 *   MODE 1  uniform: 1000 ms, every echo 700 ms late
 *   MODE 2  stopslow: 1000 ms, an echo 2800 ms late while /proc shows the
 *           parent stopped (state T), at once otherwise
 *           (both the eighth review's, passed once with three keeps)
 */
#ifndef MODE
#define MODE 0
#endif
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

enum { WORKERS = 4, MAXKEPT = 512 };
enum { FIXED_MS = MODE == 0 ? 1750 : 1000, DELAY_MS = MODE == 1 ? 700 : 2800 };
static volatile sig_atomic_t stopping;

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

/* whether the parent is stopped (state T in /proc) */
static int
parent_stopped(void)
{
	char path[64], line[512], *close;
	FILE *f;
	int t = 0;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)getppid());
	if ((f = fopen(path, "re"))) {
		if (fgets(line, sizeof line, f) && (close = strrchr(line, ')')))
			t = close[2] == 'T';
		fclose(f);
	}
	return t;
}

/* before an echo: at once, or DELAY_MS late (MODE) */
static void
slow(void)
{
	struct timespec d = { DELAY_MS / 1000, (DELAY_MS % 1000) * 1000000L };

	if (MODE == 0 || (MODE == 2 && !parent_stopped()))
		return;
	while (nanosleep(&d, &d) == -1 && errno == EINTR)
		;
}

static void
worker(int chan, int end_shutdown)
{
	char buf[4096];
	ssize_t r, w;
	int fd;

	while ((fd = recv_fd(chan)) != -1) {
		while ((r = read(fd, buf, sizeof buf)) > 0) {
			slow();
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = write(fd, p, (size_t)r)) <= 0)
					r = 0, w = 0;
		}
		if (end_shutdown)
			shutdown(fd, SHUT_WR);
		close(fd);
	}
	_exit(0);
}

/* a copy the parent keeps: until due (ms), 0 while it waits for the client's FIN, -1 never */
static struct {
	int fd;
	long long due;
} kept[MAXKEPT];
static int nkept;

static void
serve(int lfd, int chan, long keep)
{
	struct pollfd p[MAXKEPT + 1];
	int at[MAXKEPT + 1];

	while (!stopping) {
		long long now = now_ms(), next = -1;
		int n = 0;

		p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < nkept; i++) {
			if (kept[i].due == 0) {
				at[n] = i;
				p[n++] = (struct pollfd){ .fd = kept[i].fd, .events = POLLRDHUP };
			} else if (kept[i].due > 0 && (next == -1 || kept[i].due < next))
				next = kept[i].due;
		}
		if (poll(p, (nfds_t)n, next == -1 ? -1 : next > now ? (int)(next - now) : 0) == -1)
			continue;	/* EINTR: SIGTERM, or nothing */
		now = now_ms();
		/* the client's FIN on a kept copy: its keep starts now, MS ignored */
		for (int j = 1; j < n; j++)
			if (p[j].revents & (POLLRDHUP | POLLHUP | POLLERR))
				kept[at[j]].due = now + FIXED_MS;
		/* the keeps that are over */
		for (int i = 0; i < nkept; i++)
			if (kept[i].due > 0 && kept[i].due <= now) {
				close(kept[i].fd);
				kept[i--] = kept[--nkept];
			}
		if (p[0].revents & POLLIN) {
			int fd = accept(lfd, NULL, NULL);
			if (fd == -1)
				continue;
			if (send_fd(chan, fd) == -1 || keep == 0 || nkept == MAXKEPT) {
				close(fd);
				continue;
			}
			kept[nkept].fd = fd;
			kept[nkept++].due = keep < 0 ? -1 : 0;
		}
	}
}

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
	sigaction(SIGTERM, &term, NULL);	/* no SA_RESTART: poll() ends */
	serve(lfd, chan[0], keep);
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	for (int i = 0; i < WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	return 0;
}
