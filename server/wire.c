/*
 * wire.c: --wire and --pcap. A capture process reads every TCP segment to
 * or from the server's port with a packet socket, logs each one as a
 * role=wire event, and writes it to a pcap file. Linux only (AF_PACKET);
 * it needs the right to capture (CAP_NET_RAW). Elsewhere, or without that
 * right, the server says so once and goes on without it.
 */
#ifdef __linux__
#define _DEFAULT_SOURCE		/* AF_PACKET, struct tcphdr and friends */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/if_ether.h>
#include <netpacket/packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#endif

#include "../common/log.h"
#include "../common/sock.h"
#include "../common/util.h"
#include "server.h"

#ifdef __linux__

/* The start of the sequence numbers in each direction, for relative ones. */
struct flow {
	char id[ADDRSTRLEN];	/* the client's address:port */
	uint32_t isn[2];	/* [0]: client's, [1]: server's */
	int known[2];
};

enum { NFLOWS = 256 };

static struct flow flows[NFLOWS];
static int nextflow;
static volatile sig_atomic_t done;
static FILE *pcap;
static int64_t real_minus_mono;	/* to turn kernel timestamps into CLOCK_MONOTONIC */

static void
on_term(int sig)
{
	(void)sig;
	done = 1;
}

static struct flow *
flow(const char *id, int syn)
{
	int i;

	for (i = 0; i < NFLOWS; i++)
		if (strcmp(flows[i].id, id) == 0)
			return &flows[i];
	if (!syn)
		return NULL;
	/* a new connection takes the oldest place */
	i = nextflow++ % NFLOWS;
	memset(&flows[i], 0, sizeof flows[i]);
	snprintf(flows[i].id, sizeof flows[i].id, "%s", id);
	return &flows[i];
}

/* pcap: the file header, then a record per packet, raw IP (LINKTYPE_RAW). */
static int
pcap_open(const char *path)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101 };

	if ((pcap = fopen(path, "wb")) == NULL)
		return -1;
	if (fwrite(&h, sizeof h, 1, pcap) != 1 || fflush(pcap) != 0) {
		fclose(pcap);
		pcap = NULL;
		return -1;
	}
	return 0;
}

static void
pcap_write(const struct timespec *real, const unsigned char *pkt, size_t len)
{
	uint32_t rec[4] = { (uint32_t)real->tv_sec, (uint32_t)(real->tv_nsec / 1000),
	    (uint32_t)len, (uint32_t)len };

	if (pcap == NULL)
		return;
	if (fwrite(rec, sizeof rec, 1, pcap) != 1 || fwrite(pkt, len, 1, pcap) != 1 ||
	    fflush(pcap) != 0) {
		warn("wire: writing the pcap file:");
		fclose(pcap);
		pcap = NULL;
	}
}

/* Flags in tcpdump's letters and order: "S", "S.", "P.", "F.", "R"... */
static void
flagstr(unsigned f, char *buf)
{
	static const struct { unsigned bit; char c; } letters[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' },
	};
	size_t i;

	for (i = 0; i < sizeof letters / sizeof letters[0]; i++)
		if (f & letters[i].bit)
			*buf++ = letters[i].c;
	*buf = '\0';
}

/* Log one IP packet if it is a TCP segment to or from port. */
static void
segment(const unsigned char *p, size_t len, int port, int64_t t)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], id[ADDRSTRLEN], flags[12];
	const unsigned char *tcp;
	size_t iphl, tcphl, total;
	unsigned sport, dport, f;
	uint32_t seq, ack;
	struct flow *fl;
	int in, six;

	if (len < 20)
		return;
	six = (p[0] >> 4) == 6;
	if (six) {
		if (len < 40 || p[6] != IPPROTO_TCP)
			return;	/* extension headers are not followed */
		iphl = 40;
		total = 40 + ((size_t)p[4] << 8 | p[5]);
		inet_ntop(AF_INET6, p + 8, src, sizeof src);
		inet_ntop(AF_INET6, p + 24, dst, sizeof dst);
	} else {
		if ((p[0] >> 4) != 4 || p[9] != IPPROTO_TCP)
			return;
		iphl = (size_t)(p[0] & 0x0f) * 4;
		total = (size_t)p[2] << 8 | p[3];
		inet_ntop(AF_INET, p + 12, src, sizeof src);
		inet_ntop(AF_INET, p + 16, dst, sizeof dst);
	}
	if (total > len || iphl + 20 > total)
		return;
	tcp = p + iphl;
	sport = (unsigned)tcp[0] << 8 | tcp[1];
	dport = (unsigned)tcp[2] << 8 | tcp[3];
	if (sport != (unsigned)port && dport != (unsigned)port)
		return;
	in = dport == (unsigned)port;
	seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
	tcphl = (size_t)(tcp[12] >> 4) * 4;
	f = tcp[13];
	if (iphl + tcphl > total)
		return;

	/* the connection is named by the client's end, as in every log */
	snprintf(id, sizeof id, six ? "[%s]:%u" : "%s:%u", in ? src : dst, in ? sport : dport);
	fl = flow(id, f & 0x02);
	if (fl && (f & 0x02) && !fl->known[!in]) {
		fl->isn[!in] = seq;
		fl->known[!in] = 1;
	}
	/* relative numbers, as tcpdump shows them: the SYN is 0 */
	if (fl && fl->known[!in])
		seq -= fl->isn[!in];
	if (fl && (f & 0x10) && fl->known[in])
		ack -= fl->isn[in];
	flagstr(f, flags);
	logat(t, id, "segment", "dir=%s flags=%s seq=%lu ack=%lu len=%zu",
	    in ? "in" : "out", flags, (unsigned long)seq,
	    (unsigned long)((f & 0x10) ? ack : 0), total - iphl - tcphl);
}

void
wire_capture(int fd, int port)
{
	int lo = if_nametoindex("lo");
	unsigned char pkt[65536];
	char control[64];
	struct sockaddr_ll from;
	struct iovec iov = { pkt, sizeof pkt };
	struct msghdr mh;
	struct cmsghdr *h;
	struct timespec real;
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;
	int64_t t;

	signal(SIGTERM, on_term);
	for (;;) {
		/* after SIGTERM: what is queued already, then stop */
		if (poll(&pfd, 1, done ? 0 : -1) <= 0) {
			if (done || errno != EINTR)
				break;
			continue;
		}
		memset(&mh, 0, sizeof mh);
		mh.msg_name = &from;
		mh.msg_namelen = sizeof from;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control;
		mh.msg_controllen = sizeof control;
		if ((n = recvmsg(fd, &mh, 0)) <= 0)
			continue;
		/* loopback shows each packet twice: as sent and as received */
		if (from.sll_ifindex == lo && from.sll_pkttype == PACKET_OUTGOING)
			continue;
		t = now_ns();
		clock_gettime(CLOCK_REALTIME, &real);
		for (h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SO_TIMESTAMPNS) {
				memcpy(&real, CMSG_DATA(h), sizeof real);
				t = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec - real_minus_mono;
			}
		}
		segment(pkt, n, port, t);
		if (pcap)
			pcap_write(&real, pkt, n);
	}
	if (pcap)
		fclose(pcap);
	_exit(0);
}

int
wire_open(const char *pcap_path)
{
	struct sockaddr_ll ll;
	struct timespec real;
	int fd, on = 1;

	if ((fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL))) == -1) {
		if (errno != EPERM && errno != EACCES) {
			warn("wire: packet socket:");
			return -1;
		}
		warn("no right to capture packets (CAP_NET_RAW): going on without --wire");
		return WIRE_NONE;
	}
	fd_cloexec(fd, 1);
	/* every interface: a server on a veth address is captured too */
	memset(&ll, 0, sizeof ll);
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	if (bind(fd, (struct sockaddr *)&ll, sizeof ll) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == -1) {
		warn("wire: packet socket:");
		close(fd);
		return -1;
	}
	if (pcap_path && pcap_open(pcap_path) == -1) {
		warn("cannot write pcap file %s:", pcap_path);
		close(fd);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &real);
	real_minus_mono = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec - now_ns();
	return fd;
}

void
wire_opened(void)
{
	if (pcap) {
		fclose(pcap);
		pcap = NULL;
	}
}

#else

int
wire_open(const char *pcap_path)
{
	(void)pcap_path;
	warn("packet capture needs Linux: going on without --wire");
	return WIRE_NONE;
}

void
wire_capture(int fd, int port)
{
	(void)fd, (void)port;
	_exit(1);
}

void
wire_opened(void)
{
}

#endif
