/*
 * capture_filter.c: the capture's filter, run by the kernel on every packet, so
 * that the packet socket receives the server's segments and nothing else:
 * TCP to or from its address and port (its port only, for a wildcard
 * address), and not loopback's second copy of what it sends. A classic BPF
 * program (Linux: SO_ATTACH_FILTER).
 */
#ifdef __linux__
#define _DEFAULT_SOURCE		/* AF_PACKET and SO_ATTACH_FILTER */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "capture.h"

/*
 * The kernel's classic BPF ABI (linux/filter.h), which musl's headers lack:
 * one instruction, a program, and the opcodes used here.
 */
struct insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};
struct prog {
	unsigned short len;
	struct insn *insns;
};
enum {
	LD_W_ABS = 0x20, LD_H_ABS = 0x28, LD_B_ABS = 0x30,
	LD_H_IND = 0x48, LDX_B_MSH = 0xb1,
	ALU_RSH_K = 0x74, JEQ_K = 0x15, JSET_K = 0x45, RET_K = 0x06,
};
/* Loads from here fetch what the kernel knows of the packet, not its bytes. */
#define AD_PKTTYPE (0xfffff000u + 4)
#define AD_IFINDEX (0xfffff000u + 8)

/* Where a jump may go besides the next instruction: labels, bound later. */
enum { NEXT, NOT_LO, IPV6, V4_TO, V6_TO, ACCEPT, DROP, NLABELS };
enum { MAXINSNS = 64 };

struct builder {
	struct insn insn[MAXINSNS];
	uint8_t to[MAXINSNS][2];	/* the labels of jt and jf */
	int n, at[NLABELS];
};

static void
emit(struct builder *b, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	b->insn[b->n] = (struct insn){ code, 0, 0, k };
	b->to[b->n][0] = jt;
	b->to[b->n][1] = jf;
	b->n++;
}

static void
label(struct builder *b, int l)
{
	b->at[l] = b->n;
}

/* Whether the word at off is w: go on if so, else to no. */
static void
word_is(struct builder *b, uint32_t off, uint32_t w, uint8_t no)
{
	emit(b, LD_W_ABS, off, 0, 0);
	emit(b, JEQ_K, w, NEXT, no);
}

/* Whether the 16 bytes at off are the IPv6 address a: go on if so, else to no. */
static void
addr6_is(struct builder *b, uint32_t off, const struct in6_addr *a, uint8_t no)
{
	uint32_t w;
	int i;

	for (i = 0; i < 4; i++) {
		memcpy(&w, a->s6_addr + 4 * i, 4);
		word_is(b, off + 4 * i, ntohl(w), no);
	}
}

/* The TCP port at off (load code ld) is port: accept, else go to no. */
static void
port_is(struct builder *b, uint16_t ld, uint32_t off, uint32_t port, uint8_t no)
{
	emit(b, ld, off, 0, 0);
	emit(b, JEQ_K, port, ACCEPT, no);
}

int
capture_filter(int fd, const struct sockaddr *sa, int lo)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	int six = sa->sa_family == AF_INET6;
	uint32_t port = ntohs(six ? in6->sin6_port : in4->sin_port);
	int any4 = !six && in4->sin_addr.s_addr == htonl(INADDR_ANY);
	int any6 = six && IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
	struct builder b = { .n = 0 };
	struct prog p;
	int i, k;

	/* loopback shows each packet twice: as sent, and as received */
	emit(&b, LD_W_ABS, AD_IFINDEX, 0, 0);
	emit(&b, JEQ_K, (uint32_t)lo, NEXT, NOT_LO);
	emit(&b, LD_W_ABS, AD_PKTTYPE, 0, 0);
	emit(&b, JEQ_K, PACKET_OUTGOING, DROP, NEXT);
	label(&b, NOT_LO);
	/* IPv4, for a server on IPv4 or on the IPv6 wildcard (both families) */
	emit(&b, LD_B_ABS, 0, 0, 0);
	emit(&b, ALU_RSH_K, 4, 0, 0);
	emit(&b, JEQ_K, 4, !six || any6 ? NEXT : DROP, IPV6);
	if (!six || any6) {
		emit(&b, LD_B_ABS, 9, 0, 0);
		emit(&b, JEQ_K, IPPROTO_TCP, NEXT, DROP);
		emit(&b, LD_H_ABS, 6, 0, 0);
		emit(&b, JSET_K, 0x1fff, DROP, NEXT);	/* a fragment: no TCP header */
		emit(&b, LDX_B_MSH, 0, 0, 0);		/* X: the IP header's length */
		/* from the server's address and port, or to them */
		if (!six && !any4)
			word_is(&b, 12, ntohl(in4->sin_addr.s_addr), V4_TO);
		port_is(&b, LD_H_IND, 0, port, V4_TO);
		label(&b, V4_TO);
		if (!six && !any4)
			word_is(&b, 16, ntohl(in4->sin_addr.s_addr), DROP);
		port_is(&b, LD_H_IND, 2, port, DROP);
	}
	/* IPv6, without extension headers: the TCP header at 40 */
	label(&b, IPV6);
	emit(&b, JEQ_K, 6, six ? NEXT : DROP, DROP);
	if (six) {
		emit(&b, LD_B_ABS, 6, 0, 0);
		emit(&b, JEQ_K, IPPROTO_TCP, NEXT, DROP);
		if (!any6)
			addr6_is(&b, 8, &in6->sin6_addr, V6_TO);
		port_is(&b, LD_H_ABS, 40, port, V6_TO);
		label(&b, V6_TO);
		if (!any6)
			addr6_is(&b, 24, &in6->sin6_addr, DROP);
		port_is(&b, LD_H_ABS, 42, port, DROP);
	}
	label(&b, ACCEPT);
	emit(&b, RET_K, 0x40000, 0, 0);		/* the whole packet */
	label(&b, DROP);
	emit(&b, RET_K, 0, 0, 0);

	/* bind the labels: a jump counts the instructions it skips */
	for (i = 0; i < b.n; i++)
		for (k = 0; k < 2; k++)
			if (b.to[i][k] != NEXT)
				*(k ? &b.insn[i].jf : &b.insn[i].jt) = (uint8_t)(b.at[b.to[i][k]] - i - 1);
	p = (struct prog){ (unsigned short)b.n, b.insn };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof p);
}

#endif
