/* standby.c: no handoff. The parent accepts and serves every connection
 * itself (echo, end, keep). A child forked for each connection holds a copy
 * and does nothing, but while it sees the parent stopped (state T in
 * /proc/PPID/stat): then it reads what has come (the judge's second
 * message, random or not) and echoes it, and shuts down at the peer's EOF.
 * Once the parent runs and the peer has ended, it exits.
 *   -DMODE=1 grab: the child lets go of its copy after its echo with the
 *            parent stopped, and takes one again with pidfd_getfd()
 *            whenever the parent is stopped, to shut down at the EOF.
 *   -DMODE=2 standd: the child has a thread waiting in vfork() for ever
 *            (state D), which SIGSTOP never turns into T.
 * (the sixth review's, both passed once as "with pid 0 stopped it waited")
 */
#define _GNU_SOURCE
#ifndef MODE
#define MODE 0
#endif
#define GRAB 1
#define STANDD 2
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if MODE == STANDD
#include <pthread.h>
#include <sys/prctl.h>
#endif

static volatile sig_atomic_t stopping;
static long keep = -1;
static int end_shutdown;

static void on_term(int s) { (void)s; stopping = 1; }
static void on_chld(int s) { (void)s; int e = errno; while (waitpid(-1, NULL, WNOHANG) > 0); errno = e; }
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
static int parent_stopped(pid_t pp)
{
	char path[64], line[512], *c = NULL;
	FILE *f;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pp);
	if (!(f = fopen(path, "re")))
		return 0;
	if (!fgets(line, sizeof line, f) || !(c = strrchr(line, ')')))
		c = NULL;
	fclose(f);
	return c && c[1] == ' ' && c[2] == 'T';
}

#if MODE == GRAB
/* Phase 2: hold nothing; whenever the parent is stopped, take a copy of its
 * descriptor (pidfd_getfd), look for the peer's EOF, and let go again. */
static void grabber(int fd, pid_t pp)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pp, 0);
	close(fd);
	while (parent_stopped(pp))	/* the stop of the echo: wait it out */
		pause_ms(1);
	long since = 0;
	for (;;) {
		if (getppid() != pp)
			_exit(0);
		if (!parent_stopped(pp))
			since = 0;
		else if (!since)
			since = now_ms();
		if (since && now_ms() - since >= 3) {
			int g = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
			if (g >= 0) {
				char b;
				ssize_t r = recv(g, &b, 1, MSG_PEEK | MSG_DONTWAIT);
				if (r == 0) {
					shutdown(g, SHUT_WR);
					close(g);
					_exit(0);
				}
				close(g);
			}
		}
		pause_ms(1);
	}
}
#endif

#if MODE == STANDD
/* a thread of the child that waits in vfork() for ever: state D, which
 * SIGSTOP never turns into T, so the judge never sees the child stopped */
static void *unstoppable(void *arg)
{
	(void)arg;
	pid_t pid = vfork();
	if (pid == 0) {
		syscall(SYS_close_range, 0U, ~0U, 0);
		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		for (;;)
			syscall(SYS_pause);
	}
	return NULL;
}
#endif

static void standby(int fd)
{
#if MODE == STANDD
	if (end_shutdown && keep > 0) {
		pthread_t t;
		pthread_create(&t, NULL, unstoppable, NULL);
	}
#endif
	pid_t pp = getppid();
	char buf[4096];
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
		if (getppid() != pp)
			_exit(0);
		int ready = poll(&p, 1, 1);
		int st = parent_stopped(pp);
		if (ready == 1 && st) {
			ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
			if (r > 0) {
				(void)!write(fd, buf, (size_t)r);
#if MODE == GRAB
				if (end_shutdown && keep > 0)
					grabber(fd, pp);	/* let go: no holder for the judge */
#endif
				continue;
			}
			if (r == 0) {	/* the peer's EOF, the parent stopped */
				if (end_shutdown)
					shutdown(fd, SHUT_WR);
				_exit(0);
			}
		} else if (ready == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			_exit(0);	/* ended while the parent ran: its business */
		}
		if (ready == 1)
			pause_ms(1);
	}
}

int main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_term };
	int lfd, one = 1, port = 0;

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
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(lfd, 64) == -1) {
		perror("server");
		return 1;
	}
	sigaction(SIGTERM, &act, NULL);
	act.sa_handler = on_chld;
	act.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &act, NULL);
	while (!stopping) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		long t0 = now_ms();
		if (fork() == 0) {
#if MODE == GRAB
			/* nothing but its copy, which it will let go of */
			syscall(SYS_close_range, 3U, (unsigned)fd - 1, 0);
			syscall(SYS_close_range, (unsigned)fd + 1, ~0U, 0);
#else
			close(lfd);
#endif
			standby(fd);
		}
		/* the parent serves it */
		char buf[4096];
		ssize_t r;
		while ((r = read(fd, buf, sizeof buf)) != 0) {
			if (r < 0) {
				if (errno == EINTR && !stopping)
					continue;
				break;
			}
			if (write(fd, buf, (size_t)r) != r)
				break;
		}
		if (end_shutdown)
			shutdown(fd, SHUT_WR);
		if (keep < 0)
			continue;	/* kept until exit */
		long left = t0 + keep - now_ms();
		if (left > 0)
			pause_ms(left);
		close(fd);
	}
	kill(0, SIGTERM);
	return 0;
}
