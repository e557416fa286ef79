/* netns.c: a socket made in another network namespace (Linux: setns()) */
#ifdef __linux__
#define _GNU_SOURCE		/* setns() */
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#endif
#include <errno.h>
#include <sys/socket.h>

#include "netns.h"
#include "util.h"

int
netns_socket(int netns, int domain, int type, int protocol)
{
#ifdef __linux__
	int self, fd, err;

	if (netns == -1)
		return socket(domain, type, protocol);
	if ((self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (setns(netns, CLONE_NEWNET) == -1) {
		err = errno;
		close(self);
		errno = err;
		return -1;
	}
	fd = socket(domain, type, protocol);
	err = errno;
	/* a process that cannot come back must not go on in the wrong place */
	if (setns(self, CLONE_NEWNET) == -1)
		die(EXIT_RUNTIME, "cannot return to this process's network namespace:");
	close(self);
	errno = err;
	return fd;
#else
	if (netns == -1)
		return socket(domain, type, protocol);
	errno = ENOSYS;
	return -1;
#endif
}
