/* stepkeep.c: a pre-forking server, correct but for the parent's keep,
 * which it counts from a step of the judge's (the ninth review's; each
 * but MODE 5 passed once, when only the shutdown run took those steps):
 *   MODE 1  contkeep: 1700 ms after the connect or, if the parent was
 *           stopped and continued meanwhile, 2900 ms after its last
 *           continue (a SIGCONT handler)
 *   MODE 2  vforkstall: 1700 ms after the client's FIN, and a thread of
 *           the parent's always in vfork(), whose child, seeing the parent
 *           stopped a second time, sleeps 1500 ms first: the thread, in
 *           state D, holds the stop back, and the client's shutdown with it
 *   MODE 3  msgkeep: 1000 ms a line the client sent, plus 250
 *   MODE 4  shortsig: a tenth of MS (a units mistake), in a parent that
 *           reaps in a SIGCHLD handler: a short keep that once read as one
 *           cut short by SIGCHLD
 *   MODE 5  sigok: a correct answer whose parent reaps in a SIGCHLD
 *           handler (SA_RESTART, no SA_NOCLDSTOP) and times its keeps with
 *           poll()
 *   MODE 6  latefin: contkeep's parent, 1300 ms after its last continue,
 *           and a worker that hides its copy at the client's EOF (in
 *           flight, to itself) and ends it 1750 ms after it got it: the
 *           judge kept the shutdown run's parent stopped until that FIN,
 *           and continued the close run's once it was seen alone (the
 *           tenth review's)
 */
#ifndef MODE
#define MODE 1
#endif
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4, MAXKEPT = 512, CONT_MS = MODE == 6 ? 1300 : 2900 };
static volatile sig_atomic_t stopping;
static volatile long long last_cont;	/* MODE 1, 6: when the parent was last continued (ms) */
static long keep_asked;			/* MODE 6: --parent-keeps, -1 never */

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
on_cont(int sig)
{
	(void)sig;
	last_cont = now_ms();
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

	for (;;) {
		ssize_t r = recvmsg(chan, &m, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r != 1 || !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_type != SCM_RIGHTS)
			return -1;
		memcpy(&fd, CMSG_DATA(c), sizeof fd);
		return fd;
	}
}

/* MODE 3: the worker's word to the parent, at the client's EOF */
struct report {
	unsigned short peer_port;
	int lines;
};

static void
worker(int chan, int end_shutdown)
{
	char buf[4096];
	ssize_t r, w;
	int fd;

	while ((fd = recv_fd(chan)) != -1) {
		struct report rep = { 0, 0 };
		long long got = now_ms();
		struct sockaddr_in peer;
		socklen_t len = sizeof peer;

		if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
			rep.peer_port = ntohs(peer.sin_port);
		for (;;) {
			r = read(fd, buf, sizeof buf);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			for (ssize_t i = 0; i < r; i++)
				rep.lines += buf[i] == '\n';
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = write(fd, p, (size_t)r)) <= 0)
					r = 0, w = 0;
		}
		if (MODE == 6 && keep_asked > 0) {
			/* out of every table, in flight to itself, until 1750 ms after it got it */
			int self[2];
			struct timespec d = { 0, 0 };
			long long left;
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, self) == 0 && send_fd(self[0], fd) == 0) {
				close(fd);
				if ((left = got + 1750 - now_ms()) > 0) {
					d.tv_sec = left / 1000;
					d.tv_nsec = left % 1000 * 1000000;
					while (nanosleep(&d, &d) == -1 && errno == EINTR)
						;
				}
				fd = recv_fd(self[1]);
				close(self[0]);
				close(self[1]);
			}
		}
		if (end_shutdown)
			shutdown(fd, SHUT_WR);
		close(fd);
		if (MODE == 3)
			send(chan, &rep, sizeof rep, 0);
	}
	_exit(0);
}

#if MODE == 2
/* MODE 2: how often the child of the vfork() has seen the parent stopped */
static volatile int stops_seen, quit;
static pid_t me;
static char stat_path[64];

/* the leader's state, with plain system calls (the vfork child shares our memory) */
static char
leader_state(void)
{
	char line[512];
	int fd = open(stat_path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd == -1)
		return '?';
	r = read(fd, line, sizeof line - 1);
	close(fd);
	if (r <= 0)
		return '?';
	line[r] = '\0';
	for (ssize_t i = r - 1; i > 0; i--)
		if (line[i] == ')' && i + 2 < r)
			return line[i + 2];
	return '?';
}

static void *
staller(void *arg)
{
	(void)arg;
	/* a table of its own, and nothing in it: its vfork child holds no socket */
	if (unshare(CLONE_FILES) == 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	while (!quit) {
		pid_t p = vfork();
		if (p == 0) {
			struct timespec ms1 = { 0, 1000000 }, hold = { 1, 500000000 };
			/* wait for the parent's next stop (or its end) */
			while (!quit && getppid() == me && leader_state() != 'T')
				nanosleep(&ms1, NULL);
			if (!quit && getppid() == me && ++stops_seen == 2)
				nanosleep(&hold, NULL);
			_exit(0);
		}
		if (p > 0)
			while (waitpid(p, NULL, __WALL) == -1 && errno == EINTR)
				;
		else
			sleep(1);
	}
	return NULL;
}
#endif

/* a copy the parent keeps: until due (ms), 0 while it waits, -1 never */
static struct {
	int fd;
	long long at, due;
	unsigned short peer_port;
} kept[MAXKEPT];
static int nkept;

static void
serve(int lfd, int chan, long keep)
{
	struct pollfd p[MAXKEPT + 2];
	int at[MAXKEPT + 2];

	while (!stopping) {
		long long now = now_ms(), next = -1;
		int n = 0;

		p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = chan, .events = POLLIN };
		for (int i = 0; i < nkept; i++) {
			if ((MODE == 1 || MODE == 6) && kept[i].due > 0) {
				/* the keep of its own: 1700 ms, or CONT_MS after a continue during it */
				long long d = kept[i].at + 1700;
				if (last_cont > kept[i].at && last_cont + CONT_MS > d)
					d = last_cont + CONT_MS;
				kept[i].due = d;
			}
			if (MODE == 2 && kept[i].due == 0) {
				at[n] = i;
				p[n++] = (struct pollfd){ .fd = kept[i].fd, .events = POLLRDHUP };
			} else if (kept[i].due > 0 && (next == -1 || kept[i].due < next))
				next = kept[i].due;
		}
		if (poll(p, (nfds_t)n, next == -1 ? -1 : next > now ? (int)(next - now) : 0) == -1)
			continue;	/* EINTR */
		now = now_ms();
		if (MODE == 2)
			for (int j = 2; j < n; j++)
				if (p[j].revents & (POLLRDHUP | POLLHUP | POLLERR))
					kept[at[j]].due = now + 1700;
		if (p[1].revents & POLLIN) {
			struct report rep;
			if (recv(chan, &rep, sizeof rep, MSG_DONTWAIT) == (ssize_t)sizeof rep && MODE == 3)
				for (int i = 0; i < nkept; i++)
					if (kept[i].due == 0 && kept[i].peer_port == rep.peer_port)
						kept[i].due = kept[i].at + 1000LL * rep.lines + 250;
		}
		for (int i = 0; i < nkept; i++)
			if (kept[i].due > 0 && kept[i].due <= now) {
				close(kept[i].fd);
				kept[i--] = kept[--nkept];
			}
		if (p[0].revents & POLLIN) {
			struct sockaddr_in peer;
			socklen_t len = sizeof peer;
			int fd = accept(lfd, (struct sockaddr *)&peer, &len);
			long long t = now_ms();
			if (fd == -1)
				continue;
			if (send_fd(chan, fd) == -1 || keep == 0 || nkept == MAXKEPT) {
				close(fd);
				continue;
			}
			kept[nkept].fd = fd;
			kept[nkept].at = t;
			kept[nkept].peer_port = ntohs(peer.sin_port);
			kept[nkept].due = keep < 0 ? -1 : MODE == 1 || MODE == 6 ? t + 1700 : MODE == 4 ? t + keep / 10 : MODE == 5 ? t + keep : 0;
			nkept++;
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
			keep_asked = keep = strcmp(argv[i + 1], "never") == 0 ? -1 : atol(argv[i + 1]);
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
	if (MODE == 1 || MODE == 6) {
		struct sigaction cont = { .sa_handler = on_cont };
		sigemptyset(&cont.sa_mask);
		sigaction(SIGCONT, &cont, NULL);
	}
	if (MODE == 4 || MODE == 5) {
		struct sigaction chld = { .sa_handler = reap, .sa_flags = SA_RESTART };
		sigemptyset(&chld.sa_mask);
		sigaction(SIGCHLD, &chld, NULL);
	}
#if MODE == 2
	pthread_t th;
	{
		me = getpid();
		snprintf(stat_path, sizeof stat_path, "/proc/%ld/stat", (long)me);
		pthread_create(&th, NULL, staller, NULL);
	}
#endif
	serve(lfd, chan[0], keep);
#if MODE == 2
	/* its vfork child ends before the parent does: no orphan left */
	quit = 1;
	pthread_join(th, NULL);
#endif
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	for (int i = 0; i < WORKERS; i++)
		waitpid(workers[i], NULL, 0);
	return 0;
}
