/* diag.h: the TCP sockets, as the kernel lists them (NETLINK_SOCK_DIAG, Linux) */
#ifndef DIAG_H
#define DIAG_H

#include <stddef.h>

#include "connid.h"
#include "tcpstate.h"

/* One TCP socket. */
struct tcpsock {
	int family;			/* AF_INET or AF_INET6 */
	int state;			/* TCPS_... */
	unsigned char src[16], dst[16];	/* network order; IPv4 in the first 4 bytes */
	int sport, dport;
	unsigned long inode;		/* 0: no process can hold it (TIME_WAIT, SYN_RECV) */
	unsigned uid;
	unsigned rqueue, wqueue;	/* bytes unread, unsent; LISTEN: accept queue, backlog */
	long long last_recv_ms;		/* since data was last received (tcp_info); -1: not known */
	unsigned long netns;		/* the network namespace it was listed in, by inode */
};

/*
 * Every TCP socket, IPv4 and IPv6, whose state is in states (a mask of
 * 1 << state) and, if port is not 0, whose local or remote port is port,
 * in the network namespace netns (a descriptor; -1: this process's): *n
 * of them in a new array *out (free it). -1 with errno on an error;
 * ENOSYS where not Linux.
 */
int diag_dump(int netns, unsigned states, int port, struct tcpsock **out, size_t *n);

/* s's source (dst 0) or destination (1), named by conn_id(). */
void diag_addr(const struct tcpsock *s, int dst, char *buf, size_t len);

#endif
