/*
 * track.c: the records of a batch become log lines. A close that sent
 * nothing is remembered, with who still held the socket, until the FIN or
 * RST leaves: that line then says which drop came first and how long
 * before. The holders come from one scan of /proc a batch (common/procfd.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/connid.h"
#include "../common/log.h"
#include "../common/procfd.h"
#include "../common/tcpstate.h"
#include "../common/util.h"
#include "trace.h"

#define NPENDING 1024	/* sockets remembered at once; the oldest go first */
#define NHELD 8		/* holders remembered per socket */
#define MAXLINE 2048	/* a line: its parts are bounded well below it */

/* A socket dropped with nothing sent: its first drop, and who held it. */
struct pending {
	unsigned long long sk;		/* 0: a free slot */
	unsigned long inode;
	int64_t t;
	pid_t pid;
	pid_t held[NHELD];
	int nheld;
	struct record rec;		/* the socket's addresses */
};

static struct pending pending[NPENDING];
static size_t next_slot;

/*
 * The pending drop of r's socket, or NULL: the same address and ports (a
 * socket freed without a FIN seen may leave its address to a new one).
 */
static struct pending *
find(const struct record *r)
{
	size_t i;

	for (i = 0; i < NPENDING; i++)
		if (pending[i].sk == r->sk && pending[i].rec.lport == r->lport &&
		    pending[i].rec.rport == r->rport)
			return &pending[i];
	return NULL;
}

/* A slot for a socket: the next in turn, which may forget the oldest. */
static struct pending *
remember(const struct record *r)
{
	struct pending *p = &pending[next_slot];

	next_slot = (next_slot + 1) % NPENDING;
	memset(p, 0, sizeof *p);
	p->sk = r->sk;
	p->inode = r->inode;
	p->t = r->t;
	p->pid = r->pid;
	p->rec = *r;
	return p;
}

/* Whether pid was named among p's holders. */
static int
held_by(const struct pending *p, pid_t pid)
{
	int i;

	for (i = 0; i < p->nheld; i++)
		if (p->held[i] == pid)
			return 1;
	return 0;
}

/* Name pid once in buf (at *used) and in p's list: "12(server)". */
static void
name(pid_t pid, const char *comm, struct pending *p, char *buf, size_t len, size_t *used)
{
	char esc[64];

	if (p && p->nheld < NHELD)
		p->held[p->nheld++] = pid;
	record_escape(comm, esc, sizeof esc);
	if (*used + 80 < len)
		*used += snprintf(buf + *used, len - *used, "%s%ld(%s)", *used ? "," : "",
		    (long)pid, esc);
}

/*
 * Who else holds socket (inode, sk), not pid but: the processes /proc shows
 * holding it, then those that drop it later in the batch (later, nlater:
 * they held it, though /proc may have missed them). As "12(server),34(sh)"
 * in buf, and into p's list, if p; how many.
 */
static int
holders(const struct procfd *scan, unsigned long inode, unsigned long long sk, pid_t but,
    const struct record *later, size_t nlater, struct pending *p, char *buf, size_t len)
{
	const struct procfd_holder *h = NULL;
	size_t n = 0, i, j, used = 0;
	int count = 0, seen;

	if (p)
		p->nheld = 0;
	if (scan)
		h = procfd_holders(scan, inode, &n);
	for (i = 0; i < n; i++) {
		/* by pid: a process with two descriptors once */
		if (h[i].pid == but || (i > 0 && h[i].pid == h[i - 1].pid))
			continue;
		name(h[i].pid, h[i].proc ? h[i].proc->comm : "?", p, buf, len, &used);
		count++;
	}
	for (i = 0; i < nlater; i++) {
		if (later[i].kind == R_EXIT || later[i].sk != sk || later[i].pid == but)
			continue;
		for (seen = 0, j = 0; j < n && !seen; j++)
			seen = h[j].pid == later[i].pid;
		for (j = 0; j < i && !seen; j++)
			seen = later[j].kind != R_EXIT && later[j].sk == sk &&
			    later[j].pid == later[i].pid;
		if (!seen) {
			name(later[i].pid, later[i].comm, p, buf, len, &used);
			count++;
		}
	}
	if (count == 0)
		strcpy(buf, "-");
	return count;
}

/* The lines of a batch, written together: whole lines, with one write() */
static char out[64 * 1024];
static size_t outlen;

/* Write what the batch has logged so far; die if it cannot be written. */
static void
flush(void)
{
	const char *p = out;
	ssize_t w;

	while (outlen > 0) {
		if ((w = write(opt.out, p, outlen)) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_RUNTIME, "cannot write the log:");
		}
		p += w;
		outlen -= (size_t)w;
	}
}

/* Add one line to the batch's output, flushing first if it would not fit. */
static void
put(const char *line, size_t n)
{
	if (outlen + n > sizeof out)
		flush();
	memcpy(out + outlen, line, n);
	outlen += n;
}

/*
 * Log one drop: the fixed fields and the socket's from r (or p's record),
 * then the fields in extra.
 */
static void
drop(const struct record *r, const struct record *sock, const char *call, const char *extra)
{
	char line[MAXLINE], conn[CONNID_LEN], local[CONNID_LEN], remote[CONNID_LEN], fd[16] = "";
	char how[16] = "";
	size_t n;
	struct loghead h = { r->t, (long)r->pid, "trace", conn, EV_DROP,
	    r->state >= 0 ? tcp_state_name(r->state) : NULL, NULL };

	record_conn(sock, conn, sizeof conn);
	record_end(sock, 0, local, sizeof local);
	record_end(sock, 1, remote, sizeof remote);
	if (r->fd >= 0)
		snprintf(fd, sizeof fd, " fd=%d", r->fd);
	if (r->kind == R_SHUTDOWN)
		snprintf(how, sizeof how, " how=%s",
		    r->how == 0 ? "SHUT_RD" : r->how == 1 ? "SHUT_WR" : "SHUT_RDWR");
	n = log_format(line, sizeof line, &h, "call=%s comm=%s%s%s %s local=%s remote=%s", call,
	    r->comm, fd, how, extra, local, remote);
	put(line, n);
}

/* A close or shutdown that sent nothing: why, and who holds the socket. */
static void
sent_nothing(const struct record *r, size_t nlater, const struct procfd *scan)
{
	char extra[600], who[512];
	struct pending *p = find(r);
	const char *why;

	if (r->kind == R_CLOSE && r->refs > 1 && !tcp_state_fin_sent(r->state) &&
	    r->state != TCPS_CLOSE) {
		if (p == NULL)
			p = remember(r);
		holders(scan, r->inode, r->sk, 0, r + 1, nlater, p, who, sizeof who);
		snprintf(extra, sizeof extra, "refs=%d sent=none why=held holders=%s", r->refs, who);
		drop(r, r, "close", extra);
		return;
	}
	if (r->kind == R_SHUTDOWN && r->how == 0)
		why = "read-only";
	else if (tcp_state_fin_sent(r->state))
		why = "sent-before";
	else
		why = "closed";
	snprintf(extra, sizeof extra, "refs=%d sent=none why=%s", r->refs, why);
	drop(r, r, r->kind == R_CLOSE ? "close" : "shutdown", extra);
	if (r->kind == R_CLOSE && r->refs <= 1 && p)
		p->sk = 0;
}

/* A FIN or RST left: by a traced call, or outside one (an exit). */
static void
sent(const struct record *r)
{
	struct pending *p = find(r);
	const char *call;
	char extra[256];
	int n;

	if (r->kind == R_CLOSE || r->kind == R_SHUTDOWN)
		call = r->kind == R_CLOSE ? "close" : "shutdown";
	else
		call = r->exiting ? "exit" : "close";
	/* outside a traced call, the filters apply here: --pid, --comm */
	if (p == NULL && (r->kind == R_FIN || r->kind == R_RST) &&
	    ((opt.pid && r->pid != opt.pid) || (opt.comm && strcmp(opt.comm, r->comm) != 0)))
		return;
	/* refs: known for a traced call only */
	if (r->refs)
		n = snprintf(extra, sizeof extra, "refs=%d sent=%s", r->refs,
		    r->sent == 2 ? "rst" : "fin");
	else
		n = snprintf(extra, sizeof extra, "sent=%s", r->sent == 2 ? "rst" : "fin");
	if (p) {
		snprintf(extra + n, sizeof extra - n, " first=%ld after=%.3f", (long)p->pid,
		    (double)(r->t - p->t) / 1e6);
		p->sk = 0;
	}
	drop(r, p ? &p->rec : r, call, extra);
}

/* An exit: for each socket it was seen holding, whether others still do. */
static void
exited(const struct record *r, size_t nlater, const struct procfd *scan)
{
	char extra[600], who[512];
	struct record line;
	size_t i;

	for (i = 0; i < NPENDING; i++) {
		struct pending *p = &pending[i];
		if (p->sk == 0 || !held_by(p, r->pid))
			continue;
		/* the last holder's exit sends the FIN: its own record says so */
		if (holders(scan, p->inode, p->sk, r->pid, r + 1, nlater, p, who, sizeof who) == 0)
			continue;
		line = p->rec;
		line.kind = R_EXIT;
		line.t = r->t;
		line.pid = r->pid;
		line.fd = -1;
		line.state = -1;	/* not known at an exit */
		memcpy(line.comm, r->comm, sizeof line.comm);
		snprintf(extra, sizeof extra, "sent=none why=held holders=%s", who);
		drop(&line, &p->rec, "exit", extra);
	}
}

/*
 * The sockets whose holders a record needs from /proc, added to want (room
 * for NPENDING more): a close that left others holding it, or for an exit
 * the sockets its process was seen holding.
 */
static size_t
wanted(const struct record *r, unsigned long *want)
{
	size_t i, n = 0;

	if (r->kind == R_CLOSE && r->sent == 0 && r->refs > 1 && !tcp_state_fin_sent(r->state) &&
	    r->state != TCPS_CLOSE)
		want[n++] = r->inode;
	if (r->kind == R_EXIT)
		for (i = 0; i < NPENDING; i++)
			if (pending[i].sk && held_by(&pending[i], r->pid))
				want[n++] = pending[i].inode;
	return n;
}

int
track_wants_scan(const struct record *r, size_t n)
{
	static unsigned long want[NPENDING + 1];
	size_t i;

	for (i = 0; i < n; i++)
		if (wanted(&r[i], want) > 0)
			return 1;
	return 0;
}

void
track_batch(struct record *r, size_t n)
{
	static unsigned long want[4 * NPENDING];
	struct procfd *scan = NULL;
	size_t i, nwant = 0;

	/* room for one record's more: a full list names fewer holders */
	for (i = 0; i < n && nwant + NPENDING + 1 <= sizeof want / sizeof want[0]; i++)
		nwant += wanted(&r[i], want + nwant);
	/* one scan for the batch, of the sockets it needs */
	if (nwant && (scan = procfd_scan(want, nwant)) == NULL)
		warn("cannot read /proc: holders not named:");
	for (i = 0; i < n; i++) {
		switch (r[i].kind) {
		case R_EXIT:
			exited(&r[i], n - i - 1, scan);
			break;
		case R_CLOSE:
		case R_SHUTDOWN:
			if (r[i].sent == 0) {
				sent_nothing(&r[i], n - i - 1, scan);
				break;
			}
			/* FALLTHROUGH */
		default:
			sent(&r[i]);
		}
	}
	flush();
	procfd_free(scan);
}
