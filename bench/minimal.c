/*
 * minimal.c: the least a pre-forking SCM_RIGHTS echo server does, for make
 * bench to measure closelab's server against, side by side in one run. The
 * parent accepts each connection, passes it to an idle worker over a UNIX
 * socketpair, and closes its copy; a worker echoes until EOF, closes, and
 * answers one byte: free again. No log, no options, no checks beyond what
 * keeps it running. Built by bench/bench.sh, not by make.
 *
 * usage: minimal --port 0 --port-file FILE --workers N   (as bin/server is started)
 */
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

enum { MAXW = 64 };

static void
pass(int chan, int fd)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	char b = 0;
	struct iovec iov = { &b, 1 };
	struct msghdr mh;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), &fd, sizeof fd);
	if (sendmsg(chan, &mh, 0) != 1)
		exit(1);
}

static int
take(int chan)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	char b;
	struct iovec iov = { &b, 1 };
	struct msghdr mh;
	int fd;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	if (recvmsg(chan, &mh, 0) != 1)
		exit(0);	/* the parent is gone */
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof fd);
	return fd;
}

static void
work(int chan)
{
	char buf[16384], b = 1;
	ssize_t n;
	int fd;

	for (;;) {
		fd = take(chan);
		while ((n = read(fd, buf, sizeof buf)) > 0)
			if (write(fd, buf, n) != n)
				break;
		close(fd);
		if (write(chan, &b, 1) != 1)
			exit(0);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd[1 + MAXW];
	int chan[MAXW], busy[MAXW], lfd, on = 1, n, i, fd;
	socklen_t len = sizeof sa;
	const char *portfile = NULL;
	FILE *f;
	char b;

	for (n = 4, i = 1; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--port-file") == 0)
			portfile = argv[i + 1];
		else if (strcmp(argv[i], "--workers") == 0)
			n = atoi(argv[i + 1]);
	if (portfile == NULL || n < 1 || n > MAXW)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(lfd, SOMAXCONN) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) == -1)
		return 1;
	for (i = 0; i < n; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
			return 1;
		if (fork() == 0) {
			close(lfd);
			close(sv[0]);
			work(sv[1]);
		}
		close(sv[1]);
		chan[i] = sv[0];
		busy[i] = 0;
	}
	if ((f = fopen(portfile, "w")) == NULL)
		return 1;
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	fclose(f);
	for (;;) {
		int idle = -1;
		for (i = 0; i < n && idle == -1; i++)
			if (!busy[i])
				idle = i;
		pfd[0] = (struct pollfd){ idle != -1 ? lfd : -1, POLLIN, 0 };
		for (i = 0; i < n; i++)
			pfd[1 + i] = (struct pollfd){ chan[i], POLLIN, 0 };
		if (poll(pfd, 1 + n, -1) == -1)
			continue;
		for (i = 0; i < n; i++)
			if (pfd[1 + i].revents && read(chan[i], &b, 1) == 1)
				busy[i] = 0;
		if (pfd[0].revents && (fd = accept(lfd, NULL, NULL)) != -1) {
			pass(chan[idle], fd);
			close(fd);
			busy[idle] = 1;
		}
	}
}
