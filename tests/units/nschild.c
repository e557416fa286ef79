/*
 * nschild.c: a child in a network namespace of its own (Linux: unshare()),
 * its loopback up and a TCP listener on 127.0.0.1, for the checks that look
 * into another namespace. It says it is ready on a pipe, and stays until
 * the end of another pipe is closed: by nschild_stop(), or by the end of
 * the test, however it ends.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* unshare(), CLONE_NEWNET, struct ifreq */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif
#include <stdio.h>

#include "nschild.h"

#ifdef __linux__

/* What the child says: ready, or the step that failed and why. */
struct report {
	int err;
	char step[32];
	unsigned port;
	unsigned long inode;
};

/* In the child: the namespace, its loopback up, the listener. */
static struct report
setup(unsigned port)
{
	struct report r = { 0, "", 0, 0 };
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	struct ifreq ifr;
	struct stat st;
	const char *step;
	int s, l;

	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (unshare(CLONE_NEWNET) == -1)
		step = "unshare(CLONE_NEWNET)";
	else if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 || ioctl(s, SIOCGIFFLAGS, &ifr) == -1 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr)) == -1)
		step = "bringing lo up";
	else if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(l, (struct sockaddr *)&sin, sizeof sin) == -1 || listen(l, 8) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1 || fstat(l, &st) == -1)
		step = "listening on 127.0.0.1";
	else
		return (struct report){ 0, "", ntohs(sin.sin_port), (unsigned long)st.st_ino };
	r.err = errno ? errno : EIO;
	snprintf(r.step, sizeof r.step, "%s", step);
	return r;
}

int
nschild_start(struct nschild *c, unsigned port, char *why, size_t len)
{
	struct report r;
	int ready[2], hold[2];
	char path[64], x;
	ssize_t n;

	if (pipe(ready) == -1 || pipe(hold) == -1) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		return 1;
	}
	fflush(stdout);
	if ((c->pid = fork()) == -1) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return 1;
	}
	if (c->pid == 0) {
		close(ready[0]);
		close(hold[1]);
		r = setup(port);
		if (write(ready[1], &r, sizeof r) != (ssize_t)sizeof r)
			_exit(1);
		/* until the parent lets go, or ends */
		while ((n = read(hold[0], &x, 1)) == -1 && errno == EINTR)
			;
		_exit(r.err ? 1 : 0);
	}
	close(ready[1]);
	close(hold[0]);
	c->hold = hold[1];
	c->netns = -1;
	/* one write of less than PIPE_BUF: whole, or EOF if the child died first */
	while ((n = read(ready[0], &r, sizeof r)) == -1 && errno == EINTR)
		;
	close(ready[0]);
	if (n != (ssize_t)sizeof r) {
		snprintf(why, len, "the child in a namespace of its own ended without a word");
		return 1;
	}
	if (r.err) {
		snprintf(why, len, "%s in a child: %s", r.step, strerror(r.err));
		return strncmp(r.step, "unshare", 7) == 0 ? 77 : 1;
	}
	c->port = r.port;
	c->inode = r.inode;
	snprintf(path, sizeof path, "/proc/%ld/ns/net", (long)c->pid);
	if ((c->netns = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

int
nschild_stop(struct nschild *c)
{
	int status;

	close(c->hold);
	if (c->netns != -1)
		close(c->netns);
	while (waitpid(c->pid, &status, 0) == -1)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#else

int
nschild_start(struct nschild *c, unsigned port, char *why, size_t len)
{
	(void)c, (void)port;
	snprintf(why, len, "network namespaces are Linux's");
	return 77;
}

int
nschild_stop(struct nschild *c)
{
	(void)c;
	return 0;
}

#endif
