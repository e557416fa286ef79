/*
 * wire.c: --wire and --pcap. A capture process reads the server's TCP
 * segments with a packet socket that the kernel filters (filter.c), logs
 * each one as a role=wire event, and writes it to a pcap file. What the
 * kernel had to drop (its socket was full) is counted and logged, never
 * silent. Linux only (AF_PACKET), with the right to capture (CAP_NET_RAW).
 * Elsewhere, or without that right, the server says so once and goes on.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* AF_PACKET, ppoll() and prctl() */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

/* What the kernel counts for a packet socket (PACKET_STATISTICS). */
struct packet_stats {
	unsigned packets, drops;
};

/* Flows remembered for relative sequence numbers; the oldest is forgotten. */
enum { NFLOWS = 256 };
/* The packet socket's buffer: room for bursts while the log is written. */
enum { CAPTURE_BUFFER = 8 << 20 };

static struct flow flows[NFLOWS];
static int nextflow;
static volatile sig_atomic_t done;
static FILE *pcap;
static struct sockaddr_storage server;	/* its address and port */
static unsigned server_port;

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

	if (fwrite(rec, sizeof rec, 1, pcap) != 1 || fwrite(pkt, len, 1, pcap) != 1)
		warn("wire: writing the pcap file:");
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

/* Whether the address at a is the server's (or the server's is a wildcard). */
static int
is_server(const unsigned char *a, int six)
{
	if (six && server.ss_family == AF_INET6) {
		const struct in6_addr *s = &((struct sockaddr_in6 *)&server)->sin6_addr;
		return IN6_IS_ADDR_UNSPECIFIED(s) || memcmp(a, s, 16) == 0;
	}
	if (server.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&server)->sin6_addr);
	return !six && (((struct sockaddr_in *)&server)->sin_addr.s_addr == htonl(INADDR_ANY) ||
	    memcmp(a, &((struct sockaddr_in *)&server)->sin_addr, 4) == 0);
}

/* Log one IP packet if it is a segment of the server's; 0 if it is not one. */
static int
segment(const unsigned char *p, size_t len, int64_t t)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], id[ADDRSTRLEN], flags[12];
	unsigned port = server_port;
	const unsigned char *tcp, *saddr, *daddr;
	size_t iphl, tcphl, total;
	unsigned sport, dport, f;
	uint32_t seq, ack;
	struct flow *fl;
	int in, six;

	if (len < 20)
		return 0;
	six = (p[0] >> 4) == 6;
	if (six) {
		if (len < 40 || p[6] != IPPROTO_TCP)
			return 0;	/* extension headers are not followed */
		iphl = 40;
		total = 40 + ((size_t)p[4] << 8 | p[5]);
		saddr = p + 8;
		daddr = p + 24;
	} else {
		if ((p[0] >> 4) != 4 || p[9] != IPPROTO_TCP)
			return 0;
		iphl = (size_t)(p[0] & 0x0f) * 4;
		total = (size_t)p[2] << 8 | p[3];
		saddr = p + 12;
		daddr = p + 16;
	}
	if (total > len || iphl + 20 > total)
		return 0;
	tcp = p + iphl;
	sport = (unsigned)tcp[0] << 8 | tcp[1];
	dport = (unsigned)tcp[2] << 8 | tcp[3];
	/* the kernel's filter chose already; this says the same of each one */
	in = dport == port && is_server(daddr, six);
	if (!in && !(sport == port && is_server(saddr, six)))
		return 0;
	seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
	tcphl = (size_t)(tcp[12] >> 4) * 4;
	f = tcp[13];
	if (iphl + tcphl > total)
		return 0;

	/* the connection is named by the client's end, as in every log */
	inet_ntop(six ? AF_INET6 : AF_INET, saddr, src, sizeof src);
	inet_ntop(six ? AF_INET6 : AF_INET, daddr, dst, sizeof dst);
	snprintf(id, sizeof id, six ? "[%s]:%u" : "%s:%u", in ? src : dst, in ? sport : dport);
	fl = flow(id, f & 0x02);
	/* a client's SYN begins a connection: on a port used before, anew */
	if (fl && in && (f & 0x12) == 0x02)
		fl->known[0] = fl->known[1] = 0;
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
	logat(t, id, EV_SEGMENT, "dir=%s flags=%s seq=%lu ack=%lu len=%zu",
	    in ? "in" : "out", flags, (unsigned long)seq,
	    (unsigned long)((f & 0x10) ? ack : 0), total - iphl - tcphl);
	return 1;
}

/* Log what the kernel dropped since the last look (the count starts over). */
static void
log_drops(int fd)
{
	struct packet_stats st;
	socklen_t len = sizeof st;

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0 && st.drops > 0)
		logev(NULL, EV_DROPS, "dropped=%u", st.drops);
}

/*
 * CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns. A process preempted between
 * reading the two clocks would skew it by as long as it waited, and every
 * segment's time with it: each try brackets the real clock between two
 * monotonic reads, and the tightest bracket of a few is taken.
 */
static int64_t
real_minus_mono(void)
{
	enum { TRIES = 64, TIGHT_NS = 20000 };
	int64_t before, after, best = 0, bracket = INT64_MAX;
	struct timespec real;
	int i;

	for (i = 0; i < TRIES && bracket > TIGHT_NS; i++) {
		before = now_ns();
		clock_gettime(CLOCK_REALTIME, &real);
		after = now_ns();
		if (after - before < bracket) {
			bracket = after - before;
			best = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec - before / 2 - after / 2;
		}
	}
	return best;
}

/* Read, log and write every packet queued now; the kernel's time of each. */
static void
take_queued(int fd)
{
	unsigned char pkt[65536];
	char control[64];
	struct iovec iov = { pkt, sizeof pkt };
	struct msghdr mh;
	struct cmsghdr *h;
	struct timespec real;
	/* kernel stamps are CLOCK_REALTIME: turned into CLOCK_MONOTONIC */
	int64_t offset = real_minus_mono(), t;
	ssize_t n;

	for (;;) {
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = control;
		mh.msg_controllen = sizeof control;
		if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) <= 0)
			break;
		t = now_ns();
		clock_gettime(CLOCK_REALTIME, &real);
		for (h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
			if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SO_TIMESTAMPNS) {
				memcpy(&real, CMSG_DATA(h), sizeof real);
				t = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec - offset;
			}
		}
		if (segment(pkt, n, t) && pcap)
			pcap_write(&real, pkt, n);
	}
	if (pcap && fflush(pcap) != 0)
		warn("wire: writing the pcap file:");
	log_drops(fd);
}

void
wire_capture(int fd, pid_t parent)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	sigset_t term, none;

	/* SIGTERM only while waiting in ppoll(): it cannot slip in before */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	signal(SIGTERM, on_term);
	/* a parent killed outright takes the capture with it */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		done = 1;
	sigemptyset(&none);
	while (!done) {
		if (ppoll(&pfd, 1, NULL, &none) > 0)
			take_queued(fd);
		else if (errno != EINTR)
			break;
	}
	/* after SIGTERM: what is queued already, then stop */
	take_queued(fd);
	if (pcap && fclose(pcap) != 0) {
		warn("wire: writing the pcap file:");
		_exit(1);
	}
	_exit(!log_ok());
}

int
wire_open(const struct sockaddr *sa, const char *pcap_path)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in mapped;
	const struct sockaddr *addr = sa;
	struct sockaddr_ll ll;
	int fd, on = 1, size = CAPTURE_BUFFER;

	/* an IPv4-mapped address is IPv4 on the wire */
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		memset(&mapped, 0, sizeof mapped);
		mapped.sin_family = AF_INET;
		mapped.sin_port = in6->sin6_port;
		memcpy(&mapped.sin_addr, in6->sin6_addr.s6_addr + 12, 4);
		addr = (const struct sockaddr *)&mapped;
	}

	/* protocol 0: nothing is queued before bind(), which comes after the filter */
	if ((fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		if (errno != EPERM && errno != EACCES) {
			warn("wire: packet socket:");
			return -1;
		}
		warn("no right to capture packets (CAP_NET_RAW): going on without --wire");
		return WIRE_NONE;
	}
	memcpy(&server, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	    : sizeof(struct sockaddr_in));
	server_port = ntohs(addr->sa_family == AF_INET6
	    ? ((const struct sockaddr_in6 *)addr)->sin6_port
	    : ((const struct sockaddr_in *)addr)->sin_port);
	/*
	 * the filter, then the protocol: nothing else is ever queued. Every
	 * interface: traffic between two addresses of this host goes through
	 * loopback, whatever interface holds them; the filter picks it out.
	 */
	memset(&ll, 0, sizeof ll);
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	if (filter_attach(fd, addr, (int)if_nametoindex("lo")) == -1 ||
	    (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == -1) ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == -1 ||
	    bind(fd, (struct sockaddr *)&ll, sizeof ll) == -1) {
		warn("wire: packet socket:");
		close(fd);
		return -1;
	}
	if (pcap_path && pcap_open(pcap_path) == -1) {
		warn("cannot write pcap file %s:", pcap_path);
		close(fd);
		return -1;
	}
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
wire_open(const struct sockaddr *addr, const char *pcap_path)
{
	(void)addr, (void)pcap_path;
	warn("packet capture needs Linux: going on without --wire");
	return WIRE_NONE;
}

void
wire_capture(int fd, pid_t parent)
{
	(void)fd, (void)parent;
	_exit(1);
}

void
wire_opened(void)
{
}

#endif
