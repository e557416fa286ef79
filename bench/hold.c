/*
 * hold.c: the load for the holders benchmark (bench/holders.sh builds it;
 * make all does not). It opens CONNECTIONS loopback connections to its own
 * listener on 127.0.0.1, port 0, and forks PROCESSES children, each of
 * which holds both ends of its share. The parent keeps a copy of every
 * fourth accepted socket, so those are shared by two processes, and every
 * child holds the listener, as a pre-forking server's workers do. With -s
 * (shared), the parent opens every connection first and then forks, so
 * that each accepted socket is held by all PROCESSES children and the
 * parent; the connecting ends stay the parent's alone. Then it writes
 * READY_FILE and waits for SIGTERM or SIGINT, or for SECONDS, and ends its
 * children. Linux and the BSDs; raises its descriptor limit.
 *
 * usage: hold [-s] CONNECTIONS PROCESSES READY_FILE [SECONDS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void
fail(const char *what)
{
	fprintf(stderr, "hold: %s: %s\n", what, strerror(errno));
	/* end whatever was forked already: the process group is ours */
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	exit(1);
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "hold: '%s' is not a number from %ld to %ld\n", s, min, max);
		exit(2);
	}
	return v;
}

/* Room for need descriptors, raising the soft limit as far as the hard one. */
static void
room_for(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fail("getrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < need) {
		fprintf(stderr, "hold: needs %ld descriptors, and the hard limit is %ld\n",
		    need, (long)rl.rlim_max);
		exit(1);
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		fail("setrlimit");
}

static volatile sig_atomic_t done;
static sigset_t wait_mask;

static void
on_signal(int sig)
{
	(void)sig;
	done = 1;
}

/* Wait for a signal or for seconds, as a child: then exit. */
static void
child(long seconds)
{
	alarm(seconds);
	while (!done)
		sigsuspend(&wait_mask);
	_exit(0);
}

/*
 * Fork procs children, each holding both ends of its share of conns
 * connections to lfd; the parent keeps every fourth accepted socket.
 * The number of children.
 */
static long
spread(int lfd, const struct sockaddr_in *sin, long conns, long procs, long seconds)
{
	long share = (conns + procs - 1) / procs, i, p, nkept = 0;
	int *kept, *mine;

	/* the parent: its kept copies and one share being made; a child: its share */
	room_for(conns / 4 + 2 * share + 64);
	if ((kept = malloc((conns / 4 + 1) * sizeof *kept)) == NULL ||
	    (mine = malloc(2 * share * sizeof *mine)) == NULL)
		fail("malloc");
	for (p = 0, i = 0; p < procs && i < conns; p++) {
		long n = 0, k;
		pid_t pid;

		for (; n < 2 * share && i < conns; i++) {
			int c = socket(AF_INET, SOCK_STREAM, 0), s;
			if (c == -1 || connect(c, (const struct sockaddr *)sin, sizeof *sin) == -1 ||
			    (s = accept(lfd, NULL, NULL)) == -1)
				fail("connect");
			mine[n++] = c;
			mine[n++] = s;
		}
		if ((pid = fork()) == -1)
			fail("fork");
		if (pid == 0) {
			/* a child: its share and the listener, not the parent's copies */
			for (k = 0; k < nkept; k++)
				close(kept[k]);
			child(seconds);
		}
		for (k = 0; k < n; k += 2) {
			close(mine[k]);
			if ((i - n / 2 + k / 2) % 4 == 0)
				kept[nkept++] = mine[k + 1];
			else
				close(mine[k + 1]);
		}
	}
	free(mine);
	return p;
}

/* Open conns connections to lfd, then fork procs children that hold every accepted end; their number. */
static long
shared(int lfd, const struct sockaddr_in *sin, long conns, long procs, long seconds)
{
	int *clients;
	long i, p;

	room_for(2 * conns + 64);
	if ((clients = malloc(conns * sizeof *clients)) == NULL)
		fail("malloc");
	for (i = 0; i < conns; i++)
		if ((clients[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(clients[i], (const struct sockaddr *)sin, sizeof *sin) == -1 ||
		    accept(lfd, NULL, NULL) == -1)
			fail("connect");
	for (p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid == -1)
			fail("fork");
		if (pid == 0) {
			for (i = 0; i < conns; i++)
				close(clients[i]);
			child(seconds);
		}
	}
	return p;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	long conns, procs, seconds = 600, p;
	int lfd, all = 0;
	sigset_t block;
	FILE *f;

	if (argc > 1 && strcmp(argv[1], "-s") == 0) {
		all = 1;
		argc--, argv++;
	}
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: hold [-s] CONNECTIONS PROCESSES READY_FILE [SECONDS]\n");
		return 2;
	}
	conns = number(argv[1], 1, 100000);
	procs = number(argv[2], 1, 10000);
	if (argc == 5)
		seconds = number(argv[4], 1, 3600);
	setpgid(0, 0);
	/* the signals arrive only in sigsuspend(), so that none is missed */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof sin) == -1 || listen(lfd, 1024) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		fail("listen");

	p = all ? shared(lfd, &sin, conns, procs, seconds) :
	    spread(lfd, &sin, conns, procs, seconds);
	if ((f = fopen(argv[3], "w")) == NULL ||
	    fprintf(f, "%d %ld %ld\n", ntohs(sin.sin_port), conns, p) < 0 || fclose(f) != 0)
		fail(argv[3]);
	alarm(seconds);
	while (!done)
		sigsuspend(&wait_mask);
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
