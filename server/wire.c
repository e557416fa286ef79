/*
 * wire.c: --wire and --pcap. A capture process reads the server's TCP
 * segments (common/capture.c), logs each one as a role=wire event, and
 * writes it to a pcap file. What the
 * kernel had to drop (its socket was full) is counted and logged, never
 * silent. Linux only (AF_PACKET), with the right to capture (CAP_NET_RAW).
 * Elsewhere, or without that right, the server says so once and goes on.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* AF_PACKET, ppoll() and prctl() */
#include <arpa/inet.h>
#include <errno.h>
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

#include "../common/capture.h"
#include "../common/log.h"
#include "../common/sock.h"
#include "../common/util.h"
#include "server.h"

#ifdef __linux__

/* The start of the sequence numbers in each direction, for relative ones. */
struct flow {
	char id[CONNID_LEN];	/* the client's address:port */
	uint32_t isn[2];	/* [0]: client's, [1]: server's */
	int known[2];
};

/* What the kernel counts for a packet socket (PACKET_STATISTICS). */
struct packet_stats {
	unsigned packets, drops;
};

/* Flows remembered for relative sequence numbers; the oldest is forgotten. */
enum { NFLOWS = 256 };

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
	char id[CONNID_LEN], flags[12];
	struct segment s;
	uint32_t seq, ack;
	struct flow *fl;
	int in, six;

	if (capture_segment(p, len, &s) == -1)
		return 0;
	six = s.family == AF_INET6;
	/* the kernel's filter chose already; this says the same of each one */
	in = s.dport == server_port && is_server(s.dst, six);
	if (!in && !(s.sport == server_port && is_server(s.src, six)))
		return 0;

	/* the connection is named by the client's end, as in every log */
	conn_id(s.family, in ? s.src : s.dst, in ? s.sport : s.dport, id, sizeof id);
	fl = flow(id, s.flags & 0x02);
	/* a client's SYN begins a connection: on a port used before, anew */
	if (fl && in && (s.flags & 0x12) == 0x02)
		fl->known[0] = fl->known[1] = 0;
	if (fl && (s.flags & 0x02) && !fl->known[!in]) {
		fl->isn[!in] = s.seq;
		fl->known[!in] = 1;
	}
	/* relative numbers, as tcpdump shows them: the SYN is 0 */
	seq = s.seq;
	ack = s.ack;
	if (fl && fl->known[!in])
		seq -= fl->isn[!in];
	if (fl && (s.flags & 0x10) && fl->known[in])
		ack -= fl->isn[in];
	capture_flags(s.flags, flags);
	logat(t, id, EV_SEGMENT, "dir=%s flags=%s seq=%lu ack=%lu len=%zu",
	    in ? "in" : "out", flags, (unsigned long)seq,
	    (unsigned long)((s.flags & 0x10) ? ack : 0), s.len);
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
	int fd;

	if ((fd = capture_open(sa, -1)) == -1) {
		if (errno != EPERM && errno != EACCES) {
			warn("wire: packet socket:");
			return -1;
		}
		warn("no right to capture packets (CAP_NET_RAW): going on without --wire");
		return WIRE_NONE;
	}
	capture_addr(sa, &server);
	server_port = ntohs(server.ss_family == AF_INET6
	    ? ((struct sockaddr_in6 *)&server)->sin6_port
	    : ((struct sockaddr_in *)&server)->sin_port);
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
