/*
 * handoff.c: pass a connection from the parent to a worker over a UNIX
 * socketpair with SCM_RIGHTS. While the message is in flight the kernel
 * holds a reference of its own; once it is received, parent and worker
 * share one open socket.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* MSG_CMSG_CLOEXEC: the descriptor arrives close-on-exec */
#endif
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "server.h"

#ifdef MSG_CMSG_CLOEXEC
#define RECV_CLOEXEC MSG_CMSG_CLOEXEC
#else
#define RECV_CLOEXEC 0
#endif

/* What travels with the descriptor: its slot in the holders table. */
struct msg {
	int slot;
};

/* Room for one descriptor, aligned as the kernel wants it. */
union control {
	struct cmsghdr align;
#ifdef CMSG_SPACE
	unsigned char buf[CMSG_SPACE(sizeof(int))];
#else
	unsigned char buf[64];	/* CMSG_SPACE is not POSIX.1-2008 */
#endif
};

/* The length of a cmsghdr carrying one int, from CMSG_DATA alone. */
static size_t
cmsg_len_int(struct cmsghdr *h)
{
	return (size_t)(CMSG_DATA(h) - (unsigned char *)h) + sizeof(int);
}

int
handoff_send(int chan, const struct conn *c)
{
	struct msg m = { c->slot };
	union control u;
	struct iovec iov = { &m, sizeof m };
	struct msghdr mh;
	struct cmsghdr *h;
	ssize_t n;

	memset(&u, 0, sizeof u);
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = cmsg_len_int(h);
	memcpy(CMSG_DATA(h), &c->fd, sizeof(int));
#ifndef CMSG_SPACE
	mh.msg_controllen = h->cmsg_len;
#endif
	do
		n = sendmsg(chan, &mh, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	/* a UNIX stream socket takes a message this small whole or not at all */
	if ((size_t)n != sizeof m) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int
handoff_recv(int chan, struct conn *c)
{
	struct msg m;
	union control u;
	struct iovec iov = { &m, sizeof m };
	struct msghdr mh;
	struct cmsghdr *h;
	ssize_t n;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	do
		n = recvmsg(chan, &mh, RECV_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;
	h = CMSG_FIRSTHDR(&mh);
	if ((size_t)n != sizeof m || h == NULL || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len < cmsg_len_int(h)) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&c->fd, CMSG_DATA(h), sizeof(int));
	c->slot = m.slot;
	/* a copy: once nobody holds the slot, the parent may give it out again */
	memcpy(c->id, holders_id(m.slot), sizeof c->id);
	if (!RECV_CLOEXEC && fd_cloexec(c->fd, 1) == -1) {
		int err = errno;
		close(c->fd);
		errno = err;
		return -1;
	}
	return 1;
}
