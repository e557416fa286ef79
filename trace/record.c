/*
 * record.c: the raw records of closes.bt taken apart, and a connection
 * named the way closelab's logs name it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/connid.h"
#include "trace.h"

/* the ephemeral ports, where clients' ends are; Linux's default until read */
static unsigned ephemeral_lo = 32768, ephemeral_hi = 60999;

int
record_ports(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned lo, hi;
	int ok;

	if (f == NULL)
		return -1;
	ok = fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi;
	fclose(f);
	if (!ok)
		return -1;
	ephemeral_lo = lo;
	ephemeral_hi = hi;
	return 0;
}

/* Parse "V4:A:B:C:D" (hex words as the host read them), or "V4" alone. */
static int
parse_addr(const char *s, unsigned char addr[16])
{
	unsigned long w[5] = { 0 };
	uint32_t word;
	char *end;
	int i;

	for (i = 0; i < 5; i++) {
		w[i] = strtoul(s, &end, 16);
		if (end == s)
			return -1;
		if (*end != ':')
			break;
		s = end + 1;
	}
	if (i != 0 && i != 4)
		return -1;
	memset(addr, 0, 16);
	/* the bytes in memory are in network order: copy them back as they were */
	for (i = 0; i < 4; i++) {
		word = (uint32_t)w[i + 1];
		memcpy(addr + 4 * i, &word, 4);
	}
	return 0;
}

/* The IPv4 word of "V4:...": parse_addr() leaves it out. */
static void
parse_v4(const char *s, unsigned char addr[16])
{
	uint32_t word = (uint32_t)strtoul(s, NULL, 16);

	memcpy(addr, &word, 4);
}

/* Split line into at most max words; the rest (the command) in *rest. */
static int
split(char *line, char **w, int max, char **rest)
{
	int n = 0;

	while (n < max && *line) {
		w[n++] = line;
		if ((line = strchr(line, ' ')) == NULL)
			break;
		*line++ = '\0';
	}
	*rest = line ? line : (char *)"";
	return n;
}

/* The socket's words: FAMILY LPORT RPORT LADDR RADDR NETNS. */
static int
parse_sock(char **w, struct record *r)
{
	r->family = atoi(w[0]);
	r->lport = (unsigned)strtoul(w[1], NULL, 10);
	r->rport = (unsigned)strtoul(w[2], NULL, 10);
	r->netns = strtoul(w[5], NULL, 10);
	if (parse_addr(w[3], r->laddr) == -1 || parse_addr(w[4], r->raddr) == -1)
		return -1;
	if (r->family == AF_INET) {
		/* its word alone: the IPv6 words of an IPv4 socket are not its address */
		memset(r->laddr, 0, sizeof r->laddr);
		memset(r->raddr, 0, sizeof r->raddr);
		parse_v4(w[3], r->laddr);
		parse_v4(w[4], r->raddr);
	}
	return r->family == AF_INET || r->family == AF_INET6 ? 0 : -1;
}

/* The most words before the command: a close's or a shutdown's. */
enum { MAXWORDS = 17 };

int
record_parse(char *line, struct record *r)
{
	char *w[MAXWORDS], *rest;
	int n, words;

	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->how = -1;
	/* the command comes last, after so many words, and may hold spaces */
	if (strncmp(line, "exit ", 5) == 0)
		words = 4;
	else if (strncmp(line, "close ", 6) == 0 || strncmp(line, "shutdown ", 9) == 0)
		words = MAXWORDS;
	else if (strncmp(line, "fin ", 4) == 0 || strncmp(line, "rst ", 4) == 0)
		words = 14;
	else if (strncmp(line, "tick ", 5) == 0)
		words = 3;
	else
		return -1;
	if ((n = split(line, w, words, &rest)) != words)
		return -1;
	r->t = strtoll(w[1], NULL, 10);
	if (w[0][0] == 't') {
		r->kind = R_TICK;
		r->cpu = atoi(w[2]);
		return 0;
	}
	r->pid = (pid_t)strtol(w[2], NULL, 10);
	r->cgroup = strtoull(w[words - 1], NULL, 10);
	snprintf(r->comm, sizeof r->comm, "%s", rest);
	switch (w[0][0]) {
	case 'e':
		r->kind = R_EXIT;
		return 0;
	case 'c':
	case 's':
		r->kind = w[0][0] == 'c' ? R_CLOSE : R_SHUTDOWN;
		r->fd = atoi(w[3]);
		r->how = atoi(w[4]);
		r->refs = atoi(w[5]);
		r->state = atoi(w[6]);
		r->sent = atoi(w[7]);
		r->inode = strtoul(w[8], NULL, 10);
		r->sk = strtoull(w[9], NULL, 16);
		return parse_sock(w + 10, r);
	default:
		r->kind = w[0][0] == 'f' ? R_FIN : R_RST;
		r->sent = r->kind == R_FIN ? 1 : 2;
		r->exiting = atoi(w[3]);
		r->state = atoi(w[4]);
		r->sk = strtoull(w[5], NULL, 16);
		r->inode = strtoul(w[6], NULL, 10);
		return parse_sock(w + 7, r);
	}
}

/* Whether port is where clients' ends are. */
static int
ephemeral(unsigned port)
{
	return port >= ephemeral_lo && port <= ephemeral_hi;
}

void
record_end(const struct record *r, int which, char *buf, size_t len)
{
	conn_id(r->family, which ? r->raddr : r->laddr, which ? r->rport : r->lport, buf, len);
}

void
record_conn(const struct record *r, char *buf, size_t len)
{
	int client_is_local;

	/* the server's end: the port asked for, else the one that is not ephemeral */
	if (opt.port && (r->lport == opt.port || r->rport == opt.port))
		client_is_local = r->rport == opt.port;
	else if (ephemeral(r->lport) != ephemeral(r->rport))
		client_is_local = ephemeral(r->lport);
	else
		client_is_local = r->lport > r->rport;
	record_end(r, client_is_local ? 0 : 1, buf, len);
}
