/*
 * diag.c: every TCP socket, from the kernel's socket monitoring interface
 * (NETLINK_SOCK_DIAG): one dump for IPv4 and one for IPv6, each asking for
 * tcp_info, and filtered by port in the kernel with an inet_diag bytecode
 * when a port is given. Linux only: elsewhere diag_dump() fails with ENOSYS.
 *
 * The few structures of the netlink and inet_diag ABI are declared here,
 * as the kernel defines them (linux/netlink.h, linux/inet_diag.h): musl has
 * no kernel headers, and the ABI does not change.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* struct tcp_info, AF_NETLINK (musl: _GNU_SOURCE only) */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "connid.h"
#include "diag.h"
#include "netns.h"

void
diag_addr(const struct tcpsock *s, int dst, char *buf, size_t len)
{
	conn_id(s->family, dst ? s->dst : s->src, (unsigned)(dst ? s->dport : s->sport), buf, len);
}

#ifdef __linux__

/* linux/netlink.h, linux/sock_diag.h */
enum { SOCK_DIAG = 4, BY_FAMILY = 20 };
enum { F_REQUEST = 0x1, F_DUMP = 0x300, MSG_ERROR = 0x2, MSG_DONE = 0x3 };
struct nlhdr {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};
struct nladdr {			/* struct sockaddr_nl */
	sa_family_t family;
	unsigned short pad;
	uint32_t pid, groups;
};
#define NLALIGN(n) (((n) + 3u) & ~3u)

/* linux/inet_diag.h */
struct diag_sockid {
	uint16_t sport, dport;	/* network order */
	uint32_t src[4], dst[4];
	uint32_t ifindex;
	uint32_t cookie[2];
};
struct diag_req {		/* struct inet_diag_req_v2 */
	uint8_t family, protocol, ext, pad;
	uint32_t states;
	struct diag_sockid id;
};
struct diag_msg {		/* struct inet_diag_msg */
	uint8_t family, state, timer, retrans;
	struct diag_sockid id;
	uint32_t expires, rqueue, wqueue, uid, inode;
};
struct rtattr_ {
	uint16_t len, type;
};
enum { REQ_BYTECODE = 1, INFO = 2 };		/* INET_DIAG_REQ_BYTECODE, INET_DIAG_INFO */
enum { BC_JMP = 1, BC_S_COND = 7, BC_D_COND = 8 };
struct bc_op {
	uint8_t code, yes;
	uint16_t no;
};
struct bc_hostcond {
	uint8_t family, prefix_len;
	int port;		/* host order; -1: any */
};

/*
 * The bytecode for "local port is port, or remote port is": the kernel
 * follows each op's yes or no, and keeps a socket if it lands exactly on
 * the end (4 bytes further rejects it). The yes path runs through every
 * op, as the kernel's check of the bytecode wants.
 *
 *   0  S_COND port   yes: 12 (the JMP)     no: 16 (the D_COND)
 *  12  JMP           yes: 4                no: 16 (the end: keep)
 *  16  D_COND port   yes: 12 (the end)     no: 16 (past it: drop)
 */
static size_t
port_filter(int port, unsigned char *bc)
{
	struct bc_op op;
	struct bc_hostcond cond = { AF_UNSPEC, 0, port };

	op = (struct bc_op){ BC_S_COND, 12, 16 };
	memcpy(bc, &op, 4);
	memcpy(bc + 4, &cond, 8);
	op = (struct bc_op){ BC_JMP, 4, 16 };
	memcpy(bc + 12, &op, 4);
	op = (struct bc_op){ BC_D_COND, 12, 16 };
	memcpy(bc + 16, &op, 4);
	memcpy(bc + 20, &cond, 8);
	return 28;
}

/* Ask for one family's sockets; -1 with errno. */
static int
request(int fd, int family, unsigned states, int port, uint32_t seq)
{
	unsigned char msg[sizeof(struct nlhdr) + sizeof(struct diag_req) + 4 + 28];
	struct nlhdr h = { 0, BY_FAMILY, F_REQUEST | F_DUMP, seq, 0 };
	struct diag_req r;
	struct rtattr_ a;
	struct nladdr kernel = { AF_NETLINK, 0, 0, 0 };
	size_t len = sizeof h + sizeof r, bclen;
	ssize_t n;

	memset(&r, 0, sizeof r);
	r.family = family;
	r.protocol = IPPROTO_TCP;
	r.ext = 1 << (INFO - 1);
	r.states = states;
	if (states & (1u << TCPS_SYN_RECV))
		r.states |= 1u << TCPS_NEW_SYN_RECV;
	memcpy(msg + sizeof h, &r, sizeof r);
	if (port) {
		bclen = port_filter(port, msg + len + sizeof a);
		a.len = sizeof a + bclen;
		a.type = REQ_BYTECODE;
		memcpy(msg + len, &a, sizeof a);
		len += NLALIGN(a.len);
	}
	h.len = len;
	memcpy(msg, &h, sizeof h);
	do
		n = sendto(fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* Append one socket from message m (len bytes, past the netlink header). */
static int
add(const unsigned char *m, size_t len, struct tcpsock **out, size_t *n, size_t *cap)
{
	struct diag_msg d;
	struct tcpsock *s;
	size_t off;

	if (len < sizeof d)
		return 0;
	memcpy(&d, m, sizeof d);
	if (*n == *cap) {
		size_t want = *cap ? *cap * 2 : 1024;
		void *p = realloc(*out, want * sizeof **out);
		if (p == NULL)
			return -1;
		*out = p;
		*cap = want;
	}
	s = &(*out)[(*n)++];
	s->family = d.family;
	s->state = d.state == TCPS_NEW_SYN_RECV ? TCPS_SYN_RECV : d.state;
	memcpy(s->src, d.id.src, 16);
	memcpy(s->dst, d.id.dst, 16);
	s->sport = ntohs(d.id.sport);
	s->dport = ntohs(d.id.dport);
	s->inode = d.inode;
	s->uid = d.uid;
	s->rqueue = d.rqueue;
	s->wqueue = d.wqueue;
	s->last_recv_ms = -1;
	for (off = NLALIGN(sizeof d); off + sizeof(struct rtattr_) <= len;) {
		struct rtattr_ a;
		memcpy(&a, m + off, sizeof a);
		if (a.len < sizeof a || off + a.len > len)
			break;
		if (a.type == INFO) {
			struct tcp_info ti;
			size_t have = a.len - sizeof a;
			memset(&ti, 0, sizeof ti);
			memcpy(&ti, m + off + sizeof a, have < sizeof ti ? have : sizeof ti);
			if (have >= offsetof(struct tcp_info, tcpi_last_data_recv) +
			    sizeof ti.tcpi_last_data_recv)
				s->last_recv_ms = ti.tcpi_last_data_recv;
		}
		off += NLALIGN(a.len);
	}
	return 0;
}

/* Read one dump to its end; -1 with errno. */
static int
receive(int fd, uint32_t seq, struct tcpsock **out, size_t *n, size_t *cap)
{
	static union { uint32_t align; unsigned char b[1 << 16]; } buf;
	struct nlhdr h;
	struct iovec iov = { buf.b, sizeof buf.b };
	struct msghdr mh;
	ssize_t got;
	size_t off;

	for (;;) {
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if ((got = recvmsg(fd, &mh, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (mh.msg_flags & MSG_TRUNC) {
			errno = EMSGSIZE;
			return -1;
		}
		for (off = 0; off + sizeof h <= (size_t)got; off += NLALIGN(h.len)) {
			memcpy(&h, buf.b + off, sizeof h);
			if (h.len < sizeof h || off + h.len > (size_t)got) {
				errno = EPROTO;
				return -1;
			}
			if (h.seq != seq)
				continue;
			if (h.type == MSG_DONE)
				return 0;
			if (h.type == MSG_ERROR) {
				int err = EPROTO;
				if (h.len >= sizeof h + sizeof err)
					memcpy(&err, buf.b + off + sizeof h, sizeof err);
				errno = err < 0 ? -err : err ? err : EPROTO;
				return -1;
			}
			if (h.type == BY_FAMILY &&
			    add(buf.b + off + sizeof h, h.len - sizeof h, out, n, cap) == -1)
				return -1;
		}
	}
}

int
diag_dump(int netns, unsigned states, int port, struct tcpsock **out, size_t *n)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct stat st;
	size_t cap = 0, i;
	int fd, err;

	*out = NULL;
	*n = 0;
	if ((fd = netns_socket(netns, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, SOCK_DIAG)) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (request(fd, families[i], states, port, i + 1) == -1 ||
		    receive(fd, i + 1, out, n, &cap) == -1) {
			err = errno;
			close(fd);
			free(*out);
			*out = NULL;
			*n = 0;
			errno = err;
			return -1;
		}
	}
	close(fd);
	/* the namespace's id, for each socket */
	if (netns == -1 ? stat("/proc/self/ns/net", &st) == 0 : fstat(netns, &st) == 0)
		for (i = 0; i < *n; i++)
			(*out)[i].netns = (unsigned long)st.st_ino;
	return 0;
}

#else

int
diag_dump(int netns, unsigned states, int port, struct tcpsock **out, size_t *n)
{
	(void)netns, (void)states, (void)port;
	*out = NULL;
	*n = 0;
	errno = ENOSYS;
	return -1;
}

#endif
