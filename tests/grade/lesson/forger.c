/* forger.c: an attack of the third review (tests/grade/lesson.sh). No real handoff: the parent echoes every connection itself; a forked dummy
 * only holds a copy.  Cheats: the dummy writes the judge's (fixed) second
 * message when it sees the parent stopped (it reads nothing), and tells the
 * parent, whose thread shuts down as soon as the judge continues it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <pthread.h>

static const char msg2[] = "closelab judge: while the parent is stopped\n";
static volatile sig_atomic_t cur = -1, stopping;
static int end_shutdown;
static long keep = -1;

static int told[2];
static void *shutter(void *a) { char b; (void)a; while (read(told[0], &b, 1) == 1) if (cur != -1) shutdown(cur, SHUT_WR); return NULL; }
static void on_term(int s) { (void)s; stopping = 1; }
static void on_chld(int s) { (void)s; int e = errno; while (waitpid(-1, NULL, WNOHANG) > 0); errno = e; }
static void ms_sleep(long ms) { struct timespec t = { ms / 1000, ms % 1000 * 1000000L }; while (nanosleep(&t, &t) == -1 && !stopping); }

int main(int argc, char **argv)
{
	int port = 0, one = 1, lfd;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--end")) end_shutdown = !strcmp(argv[i + 1], "shutdown");
		else if (!strcmp(argv[i], "--parent-keeps")) keep = strcmp(argv[i + 1], "never") ? atol(argv[i + 1]) : -1;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (void *)&sa, sizeof sa) || listen(lfd, 64)) return 1;
	struct sigaction a = { .sa_handler = on_term };
	sigaction(SIGTERM, &a, NULL);
	pthread_t th;
	if (pipe(told) || pthread_create(&th, NULL, shutter, NULL)) return 1;
	a.sa_flags = SA_RESTART;
	a.sa_handler = on_chld; sigaction(SIGCHLD, &a, NULL);
	while (!stopping) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) continue;
		if (fork() == 0) {	/* the dummy: holds a copy, serves nothing */
			struct pollfd p = { .fd = fd, .events = POLLRDHUP };
			if (end_shutdown && keep > 0) {
				/* writes the judge's second message, unread, once it sees the parent stopped */
				char path[64], line[256], *c;
				snprintf(path, sizeof path, "/proc/%d/stat", (int)getppid());
				for (int i = 0; i < 20000; i++) {
					FILE *f = fopen(path, "r");
					int t = 0;
					if (f) { if (fgets(line, sizeof line, f) && (c = strrchr(line, ')'))) t = c[2] == 'T'; fclose(f); }
					if (t) { (void)!write(fd, msg2, strlen(msg2)); (void)!write(told[1], "x", 1); break; }
					if (poll(&p, 1, 0) == 1) break;
					ms_sleep(0), usleep(500);
				}
			}
			poll(&p, 1, 10000);
			_exit(0);
		}
		cur = fd;
		char buf[4096];
		ssize_t r;
		int first = 1;
		while ((r = read(fd, buf, sizeof buf)) != 0) {
			if (r < 0) { if (errno == EINTR) continue; break; }
			if (r == (ssize_t)strlen(msg2) && !memcmp(buf, msg2, r)) continue;	/* echoed already */
			if (write(fd, buf, r) != r) break;
			first = 0;
		}
		if (end_shutdown) shutdown(fd, SHUT_WR);
		if (keep == -1) { cur = -1; continue; }
		ms_sleep(keep);
		cur = -1;
		close(fd);
	}
	kill(0, SIGTERM);
	return 0;
}
