/*
 * capture.h: one server's TCP segments, from a packet socket that the
 * kernel filters (AF_PACKET and classic BPF, Linux), and each segment
 * taken apart.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One TCP segment, as an IP packet carried it. */
struct segment {
	int family;			/* AF_INET or AF_INET6 */
	const unsigned char *src, *dst;	/* in the packet: 4 or 16 bytes, network order */
	unsigned sport, dport;
	uint32_t seq, ack;
	unsigned flags;			/* the header's: FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10 */
	size_t len;			/* its data */
};

/* sa as the wire shows it, in out: an IPv4 address mapped into IPv6 is IPv4. */
void capture_addr(const struct sockaddr *sa, struct sockaddr_storage *out);
/*
 * A packet socket, made in the network namespace netns (a descriptor; -1:
 * this process's), that receives every segment to or from sa's address
 * and port (its port only, for a wildcard address), on every interface,
 * once, with the kernel's time of each (SO_TIMESTAMPNS). -1 with errno:
 * EPERM or EACCES without the right to capture (CAP_NET_RAW); ENOSYS
 * where not Linux.
 */
int capture_open(const struct sockaddr *sa, int netns);
/* The segment in the IP packet p (len bytes), into s; -1 if p holds none, whole. */
int capture_segment(const unsigned char *p, size_t len, struct segment *s);
/* The flags in tcpdump's letters and order ("S", "S.", "P.", "F.", "R") in buf[12]. */
void capture_flags(unsigned flags, char *buf);

/* capture_filter.c: attach the filter for sa to fd; lo: loopback's ifindex. */
int capture_filter(int fd, const struct sockaddr *sa, int lo);

#endif
