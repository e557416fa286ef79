/*
 * capture.c: one server's TCP segments. A packet socket on every interface
 * (traffic between two addresses of this host goes through loopback,
 * whatever interface holds them), whose filter (capture_filter.c) the
 * kernel runs on each packet, so that only the server's segments are ever
 * queued. Linux only (AF_PACKET); taking a segment apart is portable.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* AF_PACKET, SO_RCVBUFFORCE */
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netpacket/packet.h>
#include <unistd.h>
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "capture.h"
#include "netns.h"

/* The packet socket's buffer: room for bursts while the reader is busy. */
enum { CAPTURE_BUFFER = 8 << 20 };

void
capture_addr(const struct sockaddr *sa, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in *in4 = (struct sockaddr_in *)out;

	memset(out, 0, sizeof *out);
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		in4->sin_family = AF_INET;
		in4->sin_port = in6->sin6_port;
		memcpy(&in4->sin_addr, in6->sin6_addr.s6_addr + 12, 4);
	} else {
		memcpy(out, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		    : sizeof(struct sockaddr_in));
	}
}

#ifdef __linux__

int
capture_open(const struct sockaddr *sa, int netns)
{
	struct sockaddr_storage addr;
	struct sockaddr_ll ll;
	int fd, err, on = 1, size = CAPTURE_BUFFER;
	/* loopback: LOOPBACK_IFINDEX in every network namespace */
	int lo = netns == -1 ? (int)if_nametoindex("lo") : 1;

	capture_addr(sa, &addr);
	/* protocol 0: nothing is queued before bind(), which comes after the filter */
	if ((fd = netns_socket(netns, AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ll, 0, sizeof ll);
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	if (capture_filter(fd, (struct sockaddr *)&addr, lo) == -1 ||
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == -1) ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == -1 ||
	    bind(fd, (struct sockaddr *)&ll, sizeof ll) == -1) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

#else

int
capture_open(const struct sockaddr *sa, int netns)
{
	(void)sa, (void)netns;
	errno = ENOSYS;
	return -1;
}

#endif

int
capture_segment(const unsigned char *p, size_t len, struct segment *s)
{
	const unsigned char *tcp;
	size_t iphl, tcphl, total;

	if (len < 20)
		return -1;
	if ((p[0] >> 4) == 6) {
		if (len < 40 || p[6] != IPPROTO_TCP)
			return -1;	/* extension headers are not followed */
		s->family = AF_INET6;
		iphl = 40;
		total = 40 + ((size_t)p[4] << 8 | p[5]);
		s->src = p + 8;
		s->dst = p + 24;
	} else {
		if ((p[0] >> 4) != 4 || p[9] != IPPROTO_TCP)
			return -1;
		s->family = AF_INET;
		iphl = (size_t)(p[0] & 0x0f) * 4;
		total = (size_t)p[2] << 8 | p[3];
		s->src = p + 12;
		s->dst = p + 16;
	}
	if (total > len || iphl + 20 > total)
		return -1;
	tcp = p + iphl;
	tcphl = (size_t)(tcp[12] >> 4) * 4;
	if (tcphl < 20 || iphl + tcphl > total)
		return -1;
	s->sport = (unsigned)tcp[0] << 8 | tcp[1];
	s->dport = (unsigned)tcp[2] << 8 | tcp[3];
	s->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	s->ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
	s->flags = tcp[13];
	s->len = total - iphl - tcphl;
	return 0;
}

void
capture_flags(unsigned flags, char *buf)
{
	static const struct { unsigned bit; char c; } letters[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x10, '.' }, { 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' },
	};
	size_t i;

	for (i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (flags & letters[i].bit)
			*buf++ = letters[i].c;
	*buf = '\0';
}
