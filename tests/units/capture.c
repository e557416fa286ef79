/*
 * capture.c: capture_segment() takes a hand-made IPv4 or IPv6 packet apart,
 * or refuses it (cut short, not TCP, IPv6 extension headers);
 * capture_flags() writes flags as tcpdump does; capture_addr() makes a
 * mapped address IPv4. As root on Linux: capture_open() sees a connection
 * to its address, each segment once and stamped, and with a namespace's
 * descriptor sees that namespace's traffic, and no other's.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* SO_TIMESTAMPNS */
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../common/capture.h"
#include "../../common/netns.h"
#include "../../common/util.h"
#include "nschild.h"
#include "unit.h"

/* A TCP header and its data, as a packet carries them. */
struct tcp {
	unsigned sport, dport;
	uint32_t seq, ack;
	unsigned flags, words;	/* the header's length in 32-bit words, options as NOPs */
	size_t len;		/* bytes of data, 'd' each */
};

/* v at p, in network order: 16 bits, 32. */
static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8), p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, (unsigned)(v >> 16)), put16(p + 2, (unsigned)(v & 0xffff));
}

/* t at p: its length. */
static size_t
tcp(unsigned char *p, const struct tcp *t)
{
	size_t hl = (size_t)t->words * 4;

	memset(p, 1, hl);		/* options: NOP */
	put16(p, t->sport), put16(p + 2, t->dport);
	put32(p + 4, t->seq), put32(p + 8, t->ack);
	p[12] = (unsigned char)(t->words << 4), p[13] = (unsigned char)t->flags;
	memset(p + hl, 'd', t->len);
	return hl + t->len;
}

/* An IPv4 packet of protocol proto, its header ihl words, from 192.0.2.1 to 198.51.100.2. */
static size_t
ip4(unsigned char *p, unsigned ihl, int proto, const struct tcp *t)
{
	size_t len = ihl * 4 + tcp(p + ihl * 4, t);

	memset(p, 1, ihl * 4);
	p[0] = (unsigned char)(0x40 | ihl), p[9] = (unsigned char)proto;
	put16(p + 2, (unsigned)len);
	memcpy(p + 12, "\300\000\002\001\306\063\144\002", 8);
	return len;
}

/* An IPv6 packet from 2001:db8::1 to 2001:db8::2; next 0: a hop-by-hop header before TCP. */
static size_t
ip6(unsigned char *p, int next, const struct tcp *t)
{
	size_t ext = next == 0 ? 8 : 0, len = 40 + ext + tcp(p + 40 + ext, t);

	memset(p, 0, 40 + ext);
	p[0] = 0x60, p[6] = (unsigned char)next;
	put16(p + 4, (unsigned)(len - 40));
	inet_pton(AF_INET6, "2001:db8::1", p + 8);
	inet_pton(AF_INET6, "2001:db8::2", p + 24);
	if (ext)
		p[40] = IPPROTO_TCP;
	return len;
}

/* Hand-made packets, taken apart or refused. */
static void
packets(void)
{
	static const struct tcp syn = { 40000, 80, 0x01020304, 0, 0x02, 5, 0 };
	static const struct tcp finack = { 80, 40000, 0xfffffffe, 0x80000001, 0x11, 8, 5 };
	static const struct tcp rst = { 443, 1, 7, 8, 0x14, 5, 3 };
	struct tcp t;
	unsigned char p[128];
	struct segment s;
	size_t len;

	memset(p, 0, sizeof p);
	len = ip4(p, 5, IPPROTO_TCP, &syn);
	CHECK(capture_segment(p, len, &s) == 0 && s.family == AF_INET &&
	    memcmp(s.src, "\300\000\002\001", 4) == 0 &&
	    memcmp(s.dst, "\306\063\144\002", 4) == 0 && s.sport == 40000 && s.dport == 80 &&
	    s.seq == 0x01020304 && s.ack == 0 && s.flags == 0x02 && s.len == 0,
	    "an IPv4 SYN is taken apart: addresses, ports, seq, flags");
	CHECK(capture_segment(p, 60, &s) == 0 && s.len == 0,
	    "a SYN padded to 60 bytes has no data: the IP length counts, not the buffer's");
	len = ip4(p, 6, IPPROTO_TCP, &finack);
	CHECK(capture_segment(p, len, &s) == 0 && s.sport == 80 && s.dport == 40000 &&
	    s.seq == 0xfffffffe && s.ack == 0x80000001 && s.flags == 0x11 && s.len == 5,
	    "an IPv4 FIN|ACK with data, after IP and TCP options, has its 5 bytes and its numbers");
	CHECK(capture_segment(p, len - 1, &s) == -1,
	    "a packet cut short of its IP length is refused");
	CHECK(capture_segment(p, 19, &s) == -1, "19 bytes are no packet");
	t = syn, t.words = 4;
	len = ip4(p, 5, IPPROTO_TCP, &t);
	CHECK(capture_segment(p, len, &s) == -1, "a TCP header shorter than 20 bytes is refused");
	t = syn, t.words = 15;
	len = ip4(p, 5, IPPROTO_TCP, &t);
	put16(p + 2, 40);
	CHECK(capture_segment(p, len, &s) == -1, "a TCP header longer than its packet is refused");
	len = ip4(p, 5, IPPROTO_TCP, &syn);
	put16(p + 2, 30);
	CHECK(capture_segment(p, len, &s) == -1,
	    "an IPv4 packet too short for a TCP header is refused");
	len = ip4(p, 5, IPPROTO_UDP, &syn);
	CHECK(capture_segment(p, len, &s) == -1, "an IPv4 packet that is not TCP is refused");
	len = ip4(p, 5, IPPROTO_TCP, &syn);
	p[0] = 0x55;
	CHECK(capture_segment(p, len, &s) == -1, "a packet of IP version 5 is refused");

	len = ip6(p, IPPROTO_TCP, &rst);
	CHECK(capture_segment(p, len, &s) == 0 && s.family == AF_INET6 && s.src == p + 8 &&
	    s.dst == p + 24 && s.sport == 443 && s.dport == 1 && s.seq == 7 && s.ack == 8 &&
	    s.flags == 0x14 && s.len == 3, "an IPv6 RST|ACK with 3 bytes of data is taken apart");
	CHECK(capture_segment(p, len - 1, &s) == -1, "an IPv6 packet cut short is refused");
	len = ip6(p, IPPROTO_UDP, &rst);
	CHECK(capture_segment(p, len, &s) == -1, "an IPv6 packet that is not TCP is refused");
	len = ip6(p, 0, &rst);
	CHECK(capture_segment(p, len, &s) == -1,
	    "an IPv6 packet with an extension header before TCP is refused");
}

/* capture_flags() of flags is want. */
static int
letters(unsigned flags, const char *want)
{
	char buf[12];

	memset(buf, '#', sizeof buf);
	capture_flags(flags, buf);
	return same(buf, want);
}

/* capture_addr() of an IPv6 address and port. */
static struct sockaddr_storage
mapped(const char *addr, unsigned port)
{
	struct sockaddr_in6 in6;
	struct sockaddr_storage out;

	memset(&in6, 0, sizeof in6);
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons(port);
	CHECK(inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1,
	    "the test's address is a numeric one");
	capture_addr((struct sockaddr *)&in6, &out);
	return out;
}

/* Flags in letters, and addresses as the wire shows them. */
static void
words(void)
{
	struct sockaddr_storage out;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out;

	CHECK(letters(0x02, "S") && letters(0x12, "S.") && letters(0x11, "F.") &&
	    letters(0x18, "P.") && letters(0x19, "FP.") && letters(0x04, "R") &&
	    letters(0x14, "R.") && letters(0x10, ".") && letters(0, ""),
	    "the flags are written in tcpdump's letters and order: S, S., F., P., FP., R, R., .");
	CHECK(letters(0x52, "S.E") && letters(0xc2, "SEW") && letters(0x30, ".U") &&
	    letters(0xff, "FSRP.UEW"), "ACK's '.' comes before U, E and W, as tcpdump writes them");

	out = mapped("::ffff:127.0.0.1", 8080);
	CHECK(out.ss_family == AF_INET && in4->sin_port == htons(8080) &&
	    in4->sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	    "capture_addr() makes ::ffff:127.0.0.1 the IPv4 address 127.0.0.1, its port kept");
	out = mapped("::1", 80);
	CHECK(out.ss_family == AF_INET6 && in6->sin6_port == htons(80) &&
	    IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr), "capture_addr() keeps an IPv6 address as it is");
}

#ifdef __linux__

/* A TCP socket made in netns (-1: here), from 127.0.0.x (0: any), connected to 127.0.0.1:port. */
static int
connected(int netns, int x, unsigned port, unsigned *local)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd;

	CHECK_SYS((fd = netns_socket(netns, AF_INET, SOCK_STREAM, 0)) != -1, "a TCP socket");
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + (unsigned)x);
	CHECK_SYS(x == 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "bind to 127.0.0.x");
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	CHECK_SYS(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0, "connect to 127.0.0.1");
	CHECK_SYS(getsockname(fd, (struct sockaddr *)&sin, &len) == 0, "getsockname");
	*local = ntohs(sin.sin_port);
	return fd;
}

/* A listener on 127.0.0.1:0, its address in sa. */
static int
listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof *sa;
	int fd;

	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_SYS((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1 &&
	    bind(fd, (struct sockaddr *)sa, len) == 0 && listen(fd, 8) == 0 &&
	    getsockname(fd, (struct sockaddr *)sa, &len) == 0, "a listener on 127.0.0.1");
	return fd;
}

/* capture_open(), or a skip where this process may not capture. */
static int
opened(const struct sockaddr_in *sa, int netns)
{
	int fd = capture_open((const struct sockaddr *)sa, netns);

	if (fd == -1 && (errno == EPERM || errno == EACCES))
		SKIP("capture_open() needs the right to capture (CAP_NET_RAW, root)");
	CHECK_SYS(fd != -1, "capture_open()");
	return fd;
}

/* The next segment on the capture cap before the deadline, into s: whether it was stamped. */
static int
next(int cap, int64_t until, unsigned char *buf, size_t size, struct segment *s)
{
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct timespec)) + 64]; } ctl;
	struct pollfd p = { cap, POLLIN, 0 };
	struct iovec iov = { buf, size };
	struct cmsghdr *c;
	struct msghdr mh;
	ssize_t n;

	CHECK_SYS(poll(&p, 1, ms_until(until)) == 1, "a segment was captured within 10 s");
	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov, mh.msg_iovlen = 1;
	mh.msg_control = ctl.b, mh.msg_controllen = sizeof ctl.b;
	CHECK_SYS((n = recvmsg(cap, &mh, 0)) > 0, "recvmsg() on the capture");
	CHECK(capture_segment(buf, (size_t)n, s) == 0, "every packet captured holds a TCP segment");
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
			return 1;
	return 0;
}

/* A connection to a listener, seen by its capture: each segment once, stamped. */
static void
here(void)
{
	unsigned char buf[65536];
	struct sockaddr_in sa;
	struct segment s;
	unsigned port, cport;
	int l, cap, c, a, syn = 0, synack = 0, data = 0, stamped = 1;
	int64_t until;
	char x;

	l = listener(&sa);
	port = ntohs(sa.sin_port);
	cap = opened(&sa, -1);
	c = connected(-1, 0, port, &cport);
	CHECK_SYS((a = accept(l, NULL, NULL)) != -1, "accept");
	CHECK_SYS(write(c, "x", 1) == 1 && read(a, &x, 1) == 1, "the client's byte");
	CHECK_SYS(write(a, "y", 1) == 1 && read(c, &x, 1) == 1, "the server's byte");
	/* up to the server's byte, which came after all the rest */
	for (until = deadline(10000);;) {
		stamped &= next(cap, until, buf, sizeof buf, &s);
		CHECK(s.family == AF_INET && memcmp(s.src, "\177\0\0\1", 4) == 0 &&
		    memcmp(s.dst, "\177\0\0\1", 4) == 0 && ((s.sport == port && s.dport == cport) ||
		    (s.sport == cport && s.dport == port)),
		    "every segment captured is between the listener and its client");
		if (s.sport == port && s.len == 1)
			break;
		syn += (s.flags & 0x12) == 0x02 && s.sport == cport;
		synack += (s.flags & 0x12) == 0x12 && s.sport == port;
		data += s.len == 1 && s.sport == cport;
	}
	CHECK(syn == 1, "the client's SYN was captured, once");
	CHECK(synack == 1, "the listener's SYN-ACK was captured, once");
	CHECK(data == 1, "the client's byte was captured, once");
	CHECK(stamped, "every segment captured came with the kernel's time of it");
	close(cap), close(a), close(c), close(l);
}

/* Whether s is to or from 127.0.0.2, the address of the namespace's clients. */
static int
from2(const struct segment *s)
{
	return memcmp(s->src, "\177\0\0\2", 4) == 0 || memcmp(s->dst, "\177\0\0\2", 4) == 0;
}

/*
 * The same address and port in this namespace and a child's, each captured:
 * a client from 127.0.0.2 there, one here, another there. Each capture sees
 * its namespace's clients up to the last, and no other's.
 */
static void
there(void)
{
	unsigned char buf[65536];
	struct sockaddr_in sa;
	struct nschild ns;
	struct segment s;
	unsigned port, local;
	int l, caph, capn, syns;
	int64_t until;
	char why[160];

	l = listener(&sa);
	port = ntohs(sa.sin_port);
	if ((syns = nschild_start(&ns, port, why, sizeof why)) == 77)
		SKIP(why);
	CHECK(syns == 0, why);
	capn = opened(&sa, ns.netns);
	caph = opened(&sa, -1);
	connected(ns.netns, 2, port, &local);
	connected(-1, 0, port, &local);
	connected(ns.netns, 2, port, &local);

	for (until = deadline(10000);;) {
		next(caph, until, buf, sizeof buf, &s);
		CHECK(!from2(&s), "the capture of this namespace sees none of another's segments");
		if ((s.flags & 0x12) == 0x02 && s.dport == port)
			break;
	}
	for (syns = 0, until = deadline(10000); syns < 2;) {
		next(capn, until, buf, sizeof buf, &s);
		CHECK(from2(&s),
		    "the capture of another namespace sees none of this one's segments");
		syns += (s.flags & 0x12) == 0x02 && s.dport == port;
	}
	CHECK(nschild_stop(&ns), "the child in its namespace ended well when let go");
	close(caph), close(capn), close(l);
}

int
main(void)
{
	packets();
	words();
	if (geteuid() != 0)
		SKIP("capture_open() needs root (the packets were taken apart right)");
	here();
	there();
	return 0;
}

#else

int
main(void)
{
	packets();
	words();
	SKIP("capture_open() captures on Linux only (the packets were taken apart right)");
}

#endif
