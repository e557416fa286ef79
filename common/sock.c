/* sock.c: socket helpers; they report with -1 and errno and never exit */
#ifdef __linux__
#define _GNU_SOURCE		/* accept4(): not POSIX, but no fcntl() after accept */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "sock.h"

int
sock_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof *in4;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof *in6;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

void
sock_addrstr(const struct sockaddr *sa, char *buf, size_t len)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		conn_id(AF_INET6, &in6->sin6_addr, ntohs(in6->sin6_port), buf, len);
	} else {
		const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
		conn_id(AF_INET, &in4->sin_addr, ntohs(in4->sin_port), buf, len);
	}
}

int
sock_local(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	sock_addrstr((struct sockaddr *)&ss, buf, len);
	return 0;
}

/* Close fd after a failure, keeping the failure's errno; -1. */
static int
fail_close(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
	return -1;
}

int
sock_stream(int family, int nonblock)
{
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
	/* where the system has them (not POSIX.1-2008): flags at creation */
	return socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
#else
	int fd;

	if ((fd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (fd_cloexec(fd, 1) == -1 || (nonblock && fd_nonblock(fd, 1) == -1))
		return fail_close(fd);
	return fd;
#endif
}

int
sock_listen(const struct sockaddr *sa, socklen_t len, int backlog)
{
	int fd, on = 1;

	if ((fd = sock_stream(sa->sa_family, 1)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
	    bind(fd, sa, len) == -1 || listen(fd, backlog) == -1)
		return fail_close(fd);
	return fd;
}

int
sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int
sock_accept(int lfd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof *ss;
	int fd;

	do {
#ifdef __linux__
		/* Linux passes no O_NONBLOCK from the listener: blocking, as asked */
		fd = accept4(lfd, (struct sockaddr *)ss, &len, SOCK_CLOEXEC);
#else
		fd = accept(lfd, (struct sockaddr *)ss, &len);
#endif
	} while (fd == -1 && errno == EINTR);
#ifndef __linux__
	/*
	 * Nothing forks between accept() and FD_CLOEXEC: the server forks in
	 * its parent's one thread, and with --model thread only before its
	 * threads start (the capture; --spawn is refused). The BSDs pass
	 * O_NONBLOCK on from the listener.
	 */
	if (fd != -1 && (fd_cloexec(fd, 1) == -1 || fd_nonblock(fd, 0) == -1))
		return fail_close(fd);
#endif
	return fd;
}

int
sock_pair(int sv[2])
{
#ifdef SOCK_CLOEXEC
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
#else
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if (fd_cloexec(sv[0], 1) == -1 || fd_cloexec(sv[1], 1) == -1) {
		fail_close(sv[1]);
		return fail_close(sv[0]);
	}
	return 0;
#endif
}

int
sock_dup(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int
sock_timeouts(int fd, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == -1)
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int
fd_cloexec(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	fl = on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC;
	return fcntl(fd, F_SETFD, fl);
}

int
fd_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

int
wake_pipe(int fds[2])
{
	int i;

	if (pipe(fds) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if (fd_cloexec(fds[i], 1) == -1 || fd_nonblock(fds[i], 1) == -1)
			return -1;
	return 0;
}
