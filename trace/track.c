/*
 * track.c: the records of a batch become log lines. A close that sent
 * nothing is remembered, with every process seen holding the socket since,
 * until the FIN or RST leaves: that line then says which drop came first
 * and how long before, and each holder's close or exit until then says who
 * still held it. The holders come from the drops themselves: the closes
 * that follow in the batch, when they account for every reference; else
 * from one scan of /proc a batch (common/procfd.c).
 *
 * A process's exit is traced before the kernel closes its descriptors: its
 * line waits until that is known. The exit sent the FIN if its own FIN
 * follows; it sent nothing once /proc shows it gone while others hold the
 * socket, or once another process's drop sends the FIN.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cgroup.h"
#include "../common/connid.h"
#include "../common/escape.h"
#include "../common/log.h"
#include "../common/procfd.h"
#include "../common/tcpstate.h"
#include "../common/util.h"
#include "trace.h"

#define NPENDING 1024	/* sockets remembered at once; the oldest go first */
#define NAMES_LEN 1200	/* holders= at most; the holders left out are counted in more= */
#define MAXLINE 4096	/* a line: its parts are bounded well below it */

/*
 * A process seen holding a socket, its command name then; once its exit
 * is traced, when, and who else held the socket at that moment.
 */
struct holder {
	pid_t pid;
	char comm[sizeof ((struct record *)0)->comm];
	int64_t exit_t;		/* 0: not exiting */
	unsigned long long cgroup;	/* at its exit: the cgroup the probe saw it in */
	char *others;		/* at its exit: the holders= fields of the rest */
};

/*
 * A socket dropped with nothing sent: its first drop, and every process
 * seen holding it since, until that one's close, its exit's outcome, or
 * /proc showing it running without it (an exec closed it).
 */
struct pending {
	unsigned long long sk;		/* 0: a free slot */
	unsigned long inode;
	int64_t t;
	pid_t pid;
	struct holder *held;
	size_t nheld, room;
	struct record rec;		/* the socket's addresses */
};

static struct pending pending[NPENDING];
/* Which batch this is: a process's cgroup is read once in each. */
static unsigned long batch;

/* The lines of a batch, written together: whole lines, with one write() */
static char out[64 * 1024];
static size_t outlen;

/*
 * Write what the batch has logged so far. A reader that went away (EPIPE:
 * `| head`) ends the trace quietly, as a stop; any other failure is one.
 */
static void
flush(void)
{
	const char *p = out;
	ssize_t w;

	while (outlen > 0) {
		if ((w = write(opt.out, p, outlen)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				exit(0);
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
 * Where r's process and sock's socket are, as fields: netns= for a socket
 * outside trace's own network namespace, and the container=, pod= or
 * unit= of the process, from the cgroup (v2) the probe saw it in, which a
 * process leaves when it exits or moves; nothing if that cgroup is gone.
 * From /proc only where no cgroup can be looked up by its id.
 */
static void
where(const struct record *r, const struct record *sock, char *buf, size_t len)
{
	static unsigned long own;
	const struct owner *o;
	char unit[4 * sizeof o->unit];
	struct stat st;
	size_t n = 0;

	buf[0] = '\0';
	if (own == 0 && stat("/proc/self/ns/net", &st) == 0)
		own = (unsigned long)st.st_ino;
	if (sock->netns && sock->netns != own)
		n += (size_t)snprintf(buf + n, len - n, " netns=%lu", sock->netns);
	if ((o = cgroup_by_id(r->cgroup)) == NULL && errno == ENOSYS)
		o = cgroup_cached(r->pid, batch);
	if (o == NULL)
		return;
	if (o->container[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, " container=%s:%s", o->runtime, o->container);
	if (o->pod[0] && n < len) {
		escape(unit, sizeof unit, o->pod, ESCAPE_LOG);
		n += (size_t)snprintf(buf + n, len - n, " pod=%s", unit);
	}
	if (o->unit[0] && !o->container[0] && n < len) {
		escape(unit, sizeof unit, o->unit, ESCAPE_LOG);
		snprintf(buf + n, len - n, " unit=%s", unit);
	}
}

/*
 * Log one drop: the fixed fields and the socket's from r (or p's record),
 * then the fields in extra, then where it was.
 */
static void
drop(const struct record *r, const struct record *sock, const char *call, const char *extra)
{
	char line[MAXLINE], conn[CONNID_LEN], local[CONNID_LEN], remote[CONNID_LEN], fd[16] = "";
	char how[16] = "", comm[4 * sizeof r->comm], at[1200];
	size_t n;
	struct loghead h = { r->t, (long)r->pid, "trace", conn, EV_DROP,
	    r->state >= 0 ? tcp_state_name(r->state) : NULL, NULL, 0 };

	escape(comm, sizeof comm, r->comm, ESCAPE_LOG);
	record_conn(sock, conn, sizeof conn);
	record_end(sock, 0, local, sizeof local);
	record_end(sock, 1, remote, sizeof remote);
	if (r->fd >= 0)
		snprintf(fd, sizeof fd, " fd=%d", r->fd);
	if (r->kind == R_SHUTDOWN)
		snprintf(how, sizeof how, " how=%s",
		    r->how == 0 ? "SHUT_RD" : r->how == 1 ? "SHUT_WR" : "SHUT_RDWR");
	where(r, sock, at, sizeof at);
	n = log_format(line, sizeof line, &h, "call=%s comm=%s%s%s %s local=%s remote=%s%s", call,
	    comm, fd, how, extra, local, remote, at);
	put(line, n);
}

/*
 * Whether records a and b are of one socket: the same inode where both
 * know it (an orphaned socket's FIN has none), and the same address in the
 * kernel, ends and namespace. The kernel gives a freed socket's memory to
 * the next one at once: the address alone may be another's.
 */
static int
same_socket(const struct record *a, const struct record *b)
{
	return a->sk && a->sk == b->sk && (a->inode == 0 || b->inode == 0 || a->inode == b->inode) &&
	    a->lport == b->lport && a->rport == b->rport && a->netns == b->netns &&
	    memcmp(a->laddr, b->laddr, sizeof a->laddr) == 0 &&
	    memcmp(a->raddr, b->raddr, sizeof a->raddr) == 0;
}

/* The pending drop of r's socket, or NULL. */
static struct pending *
find(const struct record *r)
{
	size_t i;

	for (i = 0; i < NPENDING; i++)
		if (pending[i].sk && same_socket(&pending[i].rec, r))
			return &pending[i];
	return NULL;
}

/* Holder i of p no longer holds the socket. */
static void
let_go_at(struct pending *p, size_t i)
{
	free(p->held[i].others);
	p->held[i] = p->held[--p->nheld];
}

/* Where pid is among p's holders, or -1. */
static long
holder_at(const struct pending *p, pid_t pid)
{
	size_t i;

	for (i = 0; i < p->nheld; i++)
		if (p->held[i].pid == pid)
			return (long)i;
	return -1;
}

/* pid no longer holds p's socket. */
static void
let_go(struct pending *p, pid_t pid)
{
	long at = holder_at(p, pid);

	if (at != -1)
		let_go_at(p, (size_t)at);
}

/*
 * The sockets whose FIN or RST was logged lately, by inode: a close that
 * began before it and returned after comes later, and must not wait for a
 * FIN that has gone by.
 */
static unsigned long finished[NPENDING];
static size_t next_finished;

static int
finished_already(unsigned long inode)
{
	size_t i;

	for (i = 0; inode && i < NPENDING; i++)
		if (finished[i] == inode)
			return 1;
	return 0;
}

/* A socket's drop is over: its slot is free. */
static void
forget(struct pending *p)
{
	while (p->nheld > 0)
		let_go_at(p, p->nheld - 1);
	free(p->held);
	memset(p, 0, sizeof *p);
}

/* A slot for a socket: a free one, else the oldest drop's, which is forgotten. */
static struct pending *
remember(const struct record *r)
{
	struct pending *p = NULL, *oldest = &pending[0];
	static int said;
	size_t i;

	for (i = 0; i < NPENDING && p == NULL; i++)
		if (pending[i].sk == 0)
			p = &pending[i];
		else if (pending[i].t < oldest->t)
			oldest = &pending[i];
	if (p == NULL) {
		p = oldest;
		if (!said++)
			warn("%d sockets are remembered as waiting for their FIN: the oldest are forgotten, "
			    "and their later lines name no first drop or holders", NPENDING);
	}
	forget(p);
	p->sk = r->sk;
	p->inode = r->inode;
	p->t = r->t;
	p->pid = r->pid;
	p->rec = *r;
	return p;
}

/* pid holds p's socket, under the command name comm. */
static void
hold(struct pending *p, pid_t pid, const char *comm)
{
	long at = holder_at(p, pid);
	struct holder *h;

	if (at != -1)
		return;
	if (p->nheld == p->room) {
		p->room = p->room ? 2 * p->room : 8;
		if ((h = realloc(p->held, p->room * sizeof *h)) == NULL)
			die(EXIT_RUNTIME, "cannot remember the holders of a socket:");
		p->held = h;
	}
	h = &p->held[p->nheld++];
	memset(h, 0, sizeof *h);
	h->pid = pid;
	snprintf(h->comm, sizeof h->comm, "%s", comm);
	/* its owner, read while it runs: its exit's line names it too */
	cgroup_cached(pid, batch);
}

/* Whether pid runs: it exists and has not exited (a zombie holds nothing). */
static int
running(pid_t pid)
{
	char path[32], stat[512], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, stat, sizeof stat - 1);
	close(fd);
	if (n <= 0)
		return 0;
	stat[n] = '\0';
	/* the state follows the command name's closing parenthesis, the last */
	if ((end = strrchr(stat, ')')) == NULL || end[1] != ' ')
		return 0;
	return end[2] != 'Z' && end[2] != 'X';
}

/*
 * p's holders but pid as the fields "holders=12(server),34(sh)" in buf
 * ("holders=-" for none), cut at NAMES_LEN with " more=N" for the rest.
 */
static void
held_fields(const struct pending *p, pid_t but, char *buf, size_t len)
{
	char names[NAMES_LEN + 8], comm[4 * sizeof p->held[0].comm], name[sizeof comm + 24];
	size_t i, used = 0, more = 0;
	int n;

	for (i = 0; i < p->nheld; i++) {
		if (p->held[i].pid == but)
			continue;
		escape(comm, sizeof comm, p->held[i].comm, ESCAPE_LOG);
		n = snprintf(name, sizeof name, "%s%ld(%s)", used ? "," : "", (long)p->held[i].pid,
		    comm);
		if (more || used + (size_t)n >= NAMES_LEN) {
			more++;
			continue;
		}
		memcpy(names + used, name, (size_t)n);
		used += (size_t)n;
	}
	names[used] = '\0';
	if (more)
		snprintf(buf, len, "holders=%s more=%zu", names, more);
	else
		snprintf(buf, len, "holders=%s", used ? names : "-");
}

/* Holder i of p exited and its descriptors went without sending: its line. */
static void
exit_sent_nothing(struct pending *p, size_t i)
{
	const struct holder *h = &p->held[i];
	char extra[NAMES_LEN + 128];
	struct record line = p->rec;

	line.kind = R_EXIT;
	line.t = h->exit_t;
	line.pid = h->pid;
	line.cgroup = h->cgroup;
	line.fd = -1;
	line.state = -1;	/* not known at an exit */
	memcpy(line.comm, h->comm, sizeof line.comm);
	snprintf(extra, sizeof extra, "sent=none why=held %s", h->others ? h->others : "holders=-");
	drop(&line, &p->rec, "exit", extra);
	let_go_at(p, i);
}

/*
 * Bring p's holders up to the moment of a record, from the batch's scan of
 * /proc and the records after it (later, nlater). A holder
 * that /proc shows running without the socket let go of it unseen (an exec
 * closed it); one whose exit was traced and that /proc no longer shows
 * holding it, while others do, sent nothing; one that has exited untraced
 * keeps it until its exit is read. Those /proc shows holding it are added,
 * and those that drop it later in the batch: they held it, though /proc,
 * read after, may have missed them. The process but (0: none) is left as
 * it is: its exit is the record at hand.
 */
static void
update(struct pending *p, const struct procfd *scan, const struct record *later, size_t nlater,
    pid_t but)
{
	const struct procfd_holder *h;
	size_t n = 0, i, j;
	int seen;

	if (scan == NULL)
		return;
	h = procfd_holders(scan, p->inode, &n);
	for (i = 0; i < p->nheld;) {
		seen = p->held[i].pid == but;
		for (j = 0; j < n && !seen; j++)
			seen = h[j].pid == p->held[i].pid;
		for (j = 0; j < nlater && !seen; j++)
			seen = same_socket(&later[j], &p->rec) && later[j].pid == p->held[i].pid;
		if (!seen && p->held[i].exit_t && n > 0)
			exit_sent_nothing(p, i);
		else if (!seen && !p->held[i].exit_t && running(p->held[i].pid))
			let_go_at(p, i);
		else
			i++;
	}
	for (i = 0; i < n; i++)
		hold(p, h[i].pid, h[i].proc ? h[i].proc->comm : "?");
	for (i = 0; i < nlater; i++)
		if (same_socket(&later[i], &p->rec))
			hold(p, later[i].pid, later[i].comm);
}

/*
 * How many of the later records close r's socket down to its last
 * reference, one reference each (refs N-1, N-2 ... 1, r's being N): then
 * their processes are the holders of every reference r left, or of one
 * passed on to them meanwhile (a fork, SCM_RIGHTS), and /proc, read later,
 * could say no more. 0 if they do not, as when a holder exits meanwhile
 * (no close of its is traced).
 */
static size_t
closed_after(const struct record *r, const struct record *later, size_t nlater)
{
	int want = r->refs - 1;
	size_t i, n = 0;

	for (i = 0; i < nlater && want > 0; i++) {
		if (later[i].kind == R_EXIT || !same_socket(&later[i], r))
			continue;
		if (later[i].kind != R_CLOSE)
			continue;	/* a shutdown drops no reference */
		if (later[i].refs != want)
			return 0;
		want--;
		n++;
	}
	return want == 0 ? n : 0;
}

/*
 * p's holders since r are the processes of the n closes that follow
 * (closed_after()): the others let go of it before, unseen, or by an exit.
 */
static void
held_by_closers(struct pending *p, const struct record *later, size_t n)
{
	size_t i, j, k;
	int seen;

	for (i = 0; i < p->nheld;) {
		for (j = k = 0, seen = 0; k < n && !seen; j++)
			if (later[j].kind == R_CLOSE && same_socket(&later[j], &p->rec)) {
				seen = later[j].pid == p->held[i].pid;
				k++;
			}
		if (seen)
			i++;
		else if (p->held[i].exit_t)
			exit_sent_nothing(p, i);
		else
			let_go_at(p, i);
	}
	for (j = k = 0; k < n; j++)
		if (later[j].kind == R_CLOSE && same_socket(&later[j], &p->rec)) {
			hold(p, later[j].pid, later[j].comm);
			k++;
		}
}

/* A close or shutdown that sent nothing: why, and who holds the socket. */
static void
sent_nothing(const struct record *r, size_t nlater, const struct procfd *scan)
{
	char extra[NAMES_LEN + 128], held[NAMES_LEN + 64];
	struct pending *p = find(r);
	const char *why;
	size_t n;

	if (r->kind == R_CLOSE && r->refs > 1 && !tcp_state_fin_sent(r->state) &&
	    r->state != TCPS_CLOSE) {
		if (p == NULL && finished_already(r->inode)) {
			snprintf(extra, sizeof extra, "refs=%d sent=none why=held holders=-", r->refs);
			drop(r, r, "close", extra);
			return;
		}
		if (p == NULL)
			p = remember(r);
		let_go(p, r->pid);
		if ((n = closed_after(r, r + 1, nlater)) > 0)
			held_by_closers(p, r + 1, n);
		else
			update(p, scan, r + 1, nlater, 0);
		held_fields(p, 0, held, sizeof held);
		snprintf(extra, sizeof extra, "refs=%d sent=none why=held %s", r->refs, held);
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
		forget(p);
}

/*
 * A FIN or RST left: by a traced call, or outside one (an exit). Every
 * other exit of a holder still waiting for its outcome sent nothing.
 */
static void
sent(const struct record *r)
{
	struct pending *p = find(r);
	const char *call;
	char extra[256];
	size_t i;
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
		for (i = 0; i < p->nheld;)
			if (p->held[i].exit_t && p->held[i].pid != r->pid)
				exit_sent_nothing(p, i);
			else
				i++;
		snprintf(extra + n, sizeof extra - n, " first=%ld after=%.3f", (long)p->pid,
		    (double)(r->t - p->t) / 1e6);
	}
	drop(r, p ? &p->rec : r, call, extra);
	if (p)
		forget(p);
	if (r->inode) {
		finished[next_finished] = r->inode;
		next_finished = (next_finished + 1) % NPENDING;
	}
}

/*
 * An exit: for each socket it was seen holding, who else held it then. Its
 * line waits for the outcome (see the top of this file).
 */
static void
exited(const struct record *r, size_t nlater, const struct procfd *scan)
{
	char held[NAMES_LEN + 64];
	struct holder *h;
	size_t i;
	long at;

	for (i = 0; i < NPENDING; i++) {
		struct pending *p = &pending[i];
		if (p->sk == 0 || (at = holder_at(p, r->pid)) == -1 || p->held[at].exit_t)
			continue;
		update(p, scan, r + 1, nlater, r->pid);
		at = holder_at(p, r->pid);
		held_fields(p, r->pid, held, sizeof held);
		h = &p->held[at];
		h->exit_t = r->t;
		h->cgroup = r->cgroup;
		memcpy(h->comm, r->comm, sizeof h->comm);
		if ((h->others = strdup(held)) == NULL)
			die(EXIT_RUNTIME, "cannot remember the holders of a socket:");
	}
}

/* The sockets whose holders the batch needs from /proc, each once. */
static unsigned long *want;
static size_t nwant, wantroom;

static void
want_inode(unsigned long inode)
{
	unsigned long *w;
	size_t i;

	for (i = 0; i < nwant; i++)
		if (want[i] == inode)
			return;
	if (nwant == wantroom) {
		wantroom = wantroom ? 2 * wantroom : 256;
		if ((w = realloc(want, wantroom * sizeof *w)) == NULL)
			die(EXIT_RUNTIME, "out of memory");
		else
			want = w;
	}
	want[nwant++] = inode;
}

/* Whether p has a holder whose exit waits for its outcome. */
static int
exiting(const struct pending *p)
{
	size_t i;

	for (i = 0; i < p->nheld; i++)
		if (p->held[i].exit_t)
			return 1;
	return 0;
}

/*
 * Whether a record (nlater records after it) needs holders from /proc,
 * and which (into want, if add): a close that left others holding it,
 * unless the closes after it account for them, or for an exit the sockets
 * its process was seen holding.
 */
static int
wanted(const struct record *r, size_t nlater, int add)
{
	int any = 0;
	size_t i;

	if (r->kind == R_CLOSE && r->sent == 0 && r->refs > 1 && !tcp_state_fin_sent(r->state) &&
	    r->state != TCPS_CLOSE && closed_after(r, r + 1, nlater) == 0) {
		any = 1;
		if (add)
			want_inode(r->inode);
	}
	if (r->kind == R_EXIT)
		for (i = 0; i < NPENDING; i++)
			if (pending[i].sk && holder_at(&pending[i], r->pid) != -1) {
				any = 1;
				if (add)
					want_inode(pending[i].inode);
			}
	return any;
}

size_t
track_ready(const struct record *r, size_t n, int64_t young)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].t > young && wanted(&r[i], n - i - 1, 0))
			return i;
	return n;
}

int
track_waiting(void)
{
	size_t i;

	for (i = 0; i < NPENDING; i++)
		if (pending[i].sk && exiting(&pending[i]))
			return 1;
	return 0;
}

void
track_batch(struct record *r, size_t n, size_t known)
{
	struct procfd *scan = NULL;
	size_t i;

	batch++;
	for (nwant = 0, i = 0; i < n; i++)
		wanted(&r[i], known - i - 1, 1);
	/* and the sockets of exits still waiting for their outcome */
	for (i = 0; i < NPENDING; i++)
		if (pending[i].sk && exiting(&pending[i]))
			want_inode(pending[i].inode);
	/* one scan for the batch, of the sockets it needs */
	if (nwant && (scan = procfd_scan(want, nwant)) == NULL)
		warn("cannot read /proc: holders not named:");
	for (i = 0; i < n; i++) {
		switch (r[i].kind) {
		case R_EXIT:
			exited(&r[i], known - i - 1, scan);
			break;
		case R_CLOSE:
		case R_SHUTDOWN:
			if (r[i].sent == 0) {
				sent_nothing(&r[i], known - i - 1, scan);
				break;
			}
			/* FALLTHROUGH */
		default:
			sent(&r[i]);
		}
	}
	/* the exits that the scan, read after the batch, shows over */
	for (i = 0; i < NPENDING; i++)
		if (pending[i].sk && exiting(&pending[i]))
			update(&pending[i], scan, NULL, 0, 0);
	flush();
	procfd_free(scan);
}
