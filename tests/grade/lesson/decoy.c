/*
 * decoy.c: a server that does not do the lesson (the parent echoes, keeps
 * nothing, and ends each connection with a plain close() 40 ms after the
 * client's EOF) and shows the judge a decoy instead: it listens on [::]:P
 * (so that the real connections are IPv6 sockets), and for each client
 * port C it makes an IPv4 connection 127.0.0.2:P -> 127.0.0.2:C, held by a
 * child alone, then by the parent alone in CLOSE_WAIT. A judge that looks
 * at ports only takes the decoy for the connection (tests/grade/lesson.sh).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int port;

/* the decoy for client port c: *f is 127.0.0.2:port -> 127.0.0.2:c, *a its peer */
static int
decoy(int c, int *f, int *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)c) }, me;
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
	me = sa;
	me.sin_port = htons((unsigned short)port);
	if (bind(l, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(l, 1) == -1) {
		close(l);
		return -1;
	}
	*f = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(*f, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (bind(*f, (struct sockaddr *)&me, sizeof me) == -1 ||
	    connect(*f, (struct sockaddr *)&sa, sizeof sa) == -1) {
		close(l);
		close(*f);
		return -1;
	}
	*a = accept(l, NULL, NULL);
	close(l);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, zero = 0, l, end_shutdown = 0;
	long keep = -1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--end") == 0)
			end_shutdown = strcmp(argv[i + 1], "shutdown") == 0;
		else if (strcmp(argv[i], "--parent-keeps") == 0)
			keep = strcmp(argv[i + 1], "never") == 0 ? -1 : atol(argv[i + 1]);
	}
	s6.sin6_port = htons((unsigned short)port);
	l = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&s6, sizeof s6) == -1 || listen(l, 64) == -1)
		return 1;
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		struct sockaddr_in6 peer;
		socklen_t len = sizeof peer;
		int fd = accept(l, (struct sockaddr *)&peer, &len), f = -1, a = -1, go[2] = { -1, -1 };
		char b[4096];
		ssize_t r;

		if (fd == -1)
			continue;
		if (decoy(ntohs(peer.sin6_port), &f, &a) == 0 && pipe(go) == 0 && fork() == 0) {
			/* the "worker": holds the decoy alone, until its end */
			struct pollfd p = { .fd = f, .events = POLLIN | POLLRDHUP };
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (int k = 3; k < 1024; k++)
				if (k != f)
					close(k);
			poll(&p, 1, 10000);
			_exit(0);
		}
		if (go[0] != -1) {
			close(go[1]);
			(void)!read(go[0], b, 1);	/* the child holds nothing but the decoy */
			close(go[0]);
		}
		while ((r = read(fd, b, sizeof b)) > 0)
			(void)!write(fd, b, (size_t)r);
		if (a != -1) {
			shutdown(a, SHUT_WR);	/* the decoy's server side: CLOSE_WAIT */
			close(a);
		}
		usleep(40000);
		if (f != -1 && keep >= 0 && !end_shutdown)
			close(f);
		close(fd);
	}
}
