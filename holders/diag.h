/* diag.h: the TCP sockets, as the kernel lists them (NETLINK_SOCK_DIAG, Linux) */
#ifndef DIAG_H
#define DIAG_H

#include <stddef.h>

/* The kernel's TCP states, by its numbers. */
enum {
	TCPS_ESTABLISHED = 1, TCPS_SYN_SENT, TCPS_SYN_RECV, TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2, TCPS_TIME_WAIT, TCPS_CLOSE, TCPS_CLOSE_WAIT, TCPS_LAST_ACK,
	TCPS_LISTEN, TCPS_CLOSING, TCPS_COUNT
};
/* Every state, as a mask of 1 << state. */
#define TCPS_ALL (((1u << TCPS_COUNT) - 1) & ~1u)

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
};

/* "CLOSE_WAIT" for TCPS_CLOSE_WAIT; "?" for a number that is no state. */
const char *diag_state_name(int state);
/* The state a word names ("close-wait" or "CLOSE_WAIT", any case), or -1. */
int diag_state_word(const char *word);

/*
 * Every TCP socket, IPv4 and IPv6, whose state is in states (a mask of
 * 1 << state) and, if port is not 0, whose local or remote port is port:
 * *n of them in a new array *out (free it). -1 with errno on an error;
 * ENOSYS where not Linux.
 */
int diag_dump(unsigned states, int port, struct tcpsock **out, size_t *n);

/* "127.0.0.1:80" or "[::1]:80" for s's source (dst 0) or destination (1). */
void diag_addr(const struct tcpsock *s, int dst, char *buf, size_t len);

#endif
