/* warp.c: a keep of the server's own (1500 ms whatever it is told, but 0
 * and never), which the judge's shutdown run should catch (the parent must
 * let go in [2000, 4000) ms after the connect there), passed by making the
 * judge's look at the socket's holders slow at the right moment: a helper
 * ("slower") with many threads holds the connection under many descriptors
 * from 1400 to 2000 ms after the accept, while the parent has many threads
 * too. Each holder entry costs the judge (parent threads x helper threads)
 * kcmp() calls, and the judge stamps what its scan saw with the time the
 * scan *ended*: the parent, gone at 1500 ms, is "seen" letting go at 2000+.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 2, THREADS = 93 };
#ifndef TARGET_MS
#define TARGET_MS 800		/* how long one of the judge's looks should take */
#endif
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
static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
static int send_fd(int chan, int fd, const void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	memset(ctl, 0, sizeof ctl);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	return sendmsg(chan, &m, 0) == (ssize_t)len ? 0 : -1;
}
static int recv_fd(int chan, void *data, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { data, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *c;
	int fd;
	if (recvmsg(chan, &m, 0) != (ssize_t)len || !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}
static pid_t tids[THREADS + 1];
static volatile int ntids;
static void *idle(void *a)
{
	tids[__atomic_fetch_add(&ntids, 1, __ATOMIC_SEQ_CST)] = (pid_t)syscall(SYS_gettid);
	for (;;)
		pause();
	return a;
}
static void many_threads(void)
{
	pthread_t t;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t, NULL, idle, NULL);
}

static void worker(int chan)
{
	char buf[4096], b;
	ssize_t r, w;
	int fd;
	while ((fd = recv_fd(chan, &b, 1)) != -1) {
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

/* the slower: holds the connection it is sent under n descriptors until the time it is told */
static void slower(int chan, pid_t parent)
{
	long until;
	int fd;
	many_threads();
	while (ntids < THREADS)
		pause_ms(1);
	while ((fd = recv_fd(chan, &until, sizeof until)) != -1) {
		/* what a kcmp() costs now, as the judge will pay it: its
		 * (parent threads x our threads) a descriptor */
		int k = 0;
		double t0 = now_s();
		for (int i = 0; i < 20; i++)
			for (int j = 0; j < THREADS; j++, k++)
				syscall(SYS_kcmp, parent, tids[j], 2, 0, 0);
		double per = (now_s() - t0) / k;
		double entry = per * (THREADS + 1) * (THREADS + 1) * 1.15;
		int n = (int)(TARGET_MS / 1000.0 / entry);
		if (n < 1)
			n = 1;
		if (n > 900)
			n = 900;
		for (int i = 0; i < n; i++)
			dup(fd);
		pause_ms(until > now_ms() ? until - now_ms() : 0);
		for (int i = 3; i < 1024; i++)
			if (i != chan)
				close(i);
	}
	_exit(0);
}

int main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_term };
	pid_t workers[WORKERS], slow = 0;
	int lfd, chan[2], schan[2], one = 1, port = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--end") == 0)
			end_shutdown = strcmp(argv[i + 1], "shutdown") == 0;
		else if (strcmp(argv[i], "--parent-keeps") == 0)
			keep = strcmp(argv[i + 1], "never") == 0 ? -1 : atol(argv[i + 1]);
	}
	if (keep > 0)
		keep = 1500;	/* a keep of its own */
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(lfd, 64) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, chan) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, schan) == -1) {
		perror("server");
		return 1;
	}
	for (int i = 0; i < WORKERS; i++)
		if ((workers[i] = fork()) == 0) {
			close(lfd);
			close(chan[0]);
			close(schan[0]);
			close(schan[1]);
			worker(chan[1]);
		}
	close(chan[1]);
#ifndef NOSLOW
	if (end_shutdown && keep > 0) {
		pid_t me = getpid();
		if ((slow = fork()) == 0) {
			close(lfd);
			close(chan[0]);
			close(schan[0]);
			slower(schan[1], me);
		}
	}
#endif
	close(schan[1]);
	many_threads();
	sigaction(SIGTERM, &act, NULL);
	while (!stopping) {
		int fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		long t0 = now_ms();
		send_fd(chan[0], fd, "x", 1);
		if (keep < 0)
			continue;	/* kept until exit */
		if (slow > 0) {
			long until = t0 + 2000;
			pause_ms(1400);
			send_fd(schan[0], fd, &until, sizeof until);
			pause_ms(t0 + keep - now_ms());
		} else {
			pause_ms(keep);
		}
		close(fd);
	}
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	if (slow > 0)
		kill(slow, SIGTERM);
	for (int i = 0; i < WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	if (slow > 0)
		waitpid(slow, NULL, 0);
	return 0;
}
