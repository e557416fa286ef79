/*
 * diagnose.c: the flags of a socket and what they mean. Each sentence is
 * written only where it is true of what the kernel and /proc showed: "No
 * FIN leaves" only before the FIN has left, "its child" only where the
 * parents seen in /proc connect the two, "at least" where some processes
 * could not be read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

const char *const flag_names[NFLAGS] = {
	"shared", "close-wait", "inherited", "unread", "unrelated-listener",
};

/* Most processes a sentence names; past that it says "and N others". */
enum { NAMED = 4 };
/* Most parents followed up from a process: more means a loop. */
enum { MAXDEPTH = 4096 };

int
diagnose_procs(const struct procfd_holder *h, size_t nh)
{
	size_t i;
	int n = 0;

	/* the holders come by pid */
	for (i = 0; i < nh; i++)
		n += i == 0 || h[i].pid != h[i - 1].pid;
	return n;
}

/* Whether a started before b (the older process), by start time then pid. */
static int
older(const struct procfd_holder *a, const struct procfd_holder *b)
{
	if (a->proc->start != b->proc->start)
		return a->proc->start < b->proc->start;
	return a->pid < b->pid;
}

const struct procfd_holder *
diagnose_oldest(const struct procfd_holder *h, size_t nh)
{
	const struct procfd_holder *best = NULL;
	size_t i;

	for (i = 0; i < nh; i++)
		if (h[i].proc && (best == NULL || older(&h[i], best)))
			best = &h[i];
	return best;
}

/* Whether process pid is among the holders h (by pid). */
static int
holds(const struct procfd_holder *h, size_t nh, pid_t pid)
{
	size_t lo = 0, hi = nh;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h[mid].pid == pid)
			return 1;
		if (h[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

pid_t
diagnose_ancestor(const struct procfd *t, const struct procfd_holder *h, size_t nh,
    pid_t pid, int *gen)
{
	const struct procfd_proc *p;
	pid_t up = pid;

	/* up the parents the scan saw; MAXDEPTH ends a loop, should pids be reused */
	for (*gen = 1; *gen < MAXDEPTH; (*gen)++) {
		if ((p = procfd_proc(t, up)) == NULL || p->ppid <= 0 || p->ppid == up)
			break;
		up = p->ppid;
		if (holds(h, nh, up))
			return up;
	}
	*gen = 0;
	return 0;
}

int
diagnose_other_program(const struct subject *x, const struct procfd_holder *h)
{
	const struct procfd_proc *ref = x->ref ? x->ref->proc : NULL;

	return h->proc && h->proc->exe && ref && ref->exe && strcmp(h->proc->exe, ref->exe) != 0;
}

int
diagnose_inherited(const struct subject *x, const struct procfd_holder *h)
{
	/* the program first: the flag is read from /proc, only when it matters */
	return diagnose_other_program(x, h) && procfd_cloexec(x->t, h) == 0;
}

/* Whether the socket's own FIN has yet to leave: a close() in one holder then sends nothing. */
static int
before_fin(int state)
{
	return state == TCPS_ESTABLISHED || state == TCPS_CLOSE_WAIT || state == TCPS_SYN_SENT ||
	    state == TCPS_SYN_RECV;
}

/*
 * The bytes of data the application has not read. Once the peer's FIN has
 * come, the kernel's receive queue counts it as one byte more, until the
 * application reads the end of the stream; it can only do that after
 * reading every byte before it.
 */
static unsigned
unread(const struct tcpsock *s)
{
	int fin = s->state == TCPS_CLOSE_WAIT || s->state == TCPS_LAST_ACK ||
	    s->state == TCPS_CLOSING;

	return fin && s->rqueue > 0 ? s->rqueue - 1 : s->rqueue;
}

unsigned
diagnose_flags(const struct procfd *t, const struct subject *x)
{
	const struct tcpsock *s = x->s;
	unsigned flags = 0;
	int roots = 0, gen;
	size_t i;

	if (before_fin(s->state) && diagnose_procs(x->h, x->nh) > 1)
		flags |= FLAG_SHARED;
	if (s->state == TCPS_CLOSE_WAIT && s->inode != 0) {
		flags |= FLAG_CLOSE_WAIT;
		if (unread(s) > 0)
			flags |= FLAG_UNREAD;
	}
	for (i = 0; i < x->nh; i++) {
		if (diagnose_inherited(x, &x->h[i]))
			flags |= FLAG_INHERITED;
		/* a root: a process none of the other holders is an ancestor of */
		if (s->state == TCPS_LISTEN && (i == 0 || x->h[i].pid != x->h[i - 1].pid))
			roots += diagnose_ancestor(t, x->h, x->nh, x->h[i].pid, &gen) == 0;
	}
	if (roots > 1)
		flags |= FLAG_UNRELATED;
	return flags;
}

/* A sentence being written into a buffer, cut where it runs out. */
struct text {
	char *buf;
	size_t len, used;
};

static void
say(struct text *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < o->len - o->used ? (size_t)n : o->len - o->used - 1;
}

const char *
diagnose_kin(int gen)
{
	return gen == 1 ? "child" : gen == 2 ? "grandchild" : "descendant";
}

static int
by_age(const void *a, const void *b)
{
	const struct procfd_holder *x = *(const struct procfd_holder *const *)a;
	const struct procfd_holder *y = *(const struct procfd_holder *const *)b;

	return older(x, y) ? -1 : older(y, x) ? 1 : 0;
}

/* The first holder of each process of x, oldest first: *n of them (free it). */
static const struct procfd_holder **
procs_by_age(const struct subject *x, size_t *n)
{
	const struct procfd_holder **p;
	size_t i;

	*n = 0;
	if ((p = malloc((x->nh ? x->nh : 1) * sizeof *p)) == NULL)
		return NULL;
	for (i = 0; i < x->nh; i++)
		if (x->h[i].proc && (i == 0 || x->h[i].pid != x->h[i - 1].pid))
			p[(*n)++] = &x->h[i];
	qsort(p, *n, sizeof *p, by_age);
	return p;
}

/* "1234 (redis-server) and its child 1240 (redis-rdb-bgsa)" */
static void
say_procs(struct text *o, const struct procfd *t, const struct subject *x,
    const struct procfd_holder **p, size_t n)
{
	size_t i, named = n > NAMED + 1 ? NAMED : n;
	pid_t up;
	int gen;

	for (i = 0; i < named; i++) {
		if (i > 0)
			say(o, i + 1 == n ? " and " : ", ");
		up = diagnose_ancestor(t, x->h, x->nh, p[i]->pid, &gen);
		if (up && i > 0 && up == p[i - 1]->pid)
			say(o, "its %s %ld (%s)", diagnose_kin(gen), (long)p[i]->pid, p[i]->proc->comm);
		else if (up)
			say(o, "%ld (%s), a %s of %ld", (long)p[i]->pid, p[i]->proc->comm, diagnose_kin(gen),
			    (long)up);
		else
			say(o, "%ld (%s)", (long)p[i]->pid, p[i]->proc->comm);
	}
	if (named < n)
		say(o, " and %zu others", n - named);
}

static void
say_duration(struct text *o, long long ms)
{
	if (ms < 1000)
		say(o, "%lld ms", ms);
	else if (ms < 600000)
		say(o, "%lld s", ms / 1000);
	else
		say(o, "%lld min", ms / 60000);
}

/* Who holds a connection, and when its FIN can leave. */
static void
say_holders(struct text *o, const struct procfd *t, const struct subject *x,
    const struct procfd_holder **p, size_t n)
{
	int state = x->s->state;
	const char *still = state == TCPS_CLOSE_WAIT ? "still " : "";

	if (state == TCPS_CLOSE_WAIT)
		say(o, "the peer has closed, and ");
	if (n == 0 && x->complete) {
		say(o, "the socket is open, but no process here holds it in a descriptor: it "
		    "may be in flight in a UNIX socket (SCM_RIGHTS), mapped in memory, or held "
		    "in another PID namespace.");
		return;
	}
	if (n == 0) {
		say(o, "the socket is open, but no process this user can read holds it.");
		return;
	}
	if (n == 1) {
		say(o, "process ");
		say_procs(o, t, x, p, n);
		say(o, " %sholds the socket.", still);
	} else {
		say(o, "%s%zu processes %shold the socket: ", x->complete ? "" : "at least ", n,
		    still);
		say_procs(o, t, x, p, n);
		say(o, ".");
	}
	switch (state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		if (!x->complete)
			say(o, " No FIN leaves until every process that holds it closes it, or "
			    "until one calls shutdown(SHUT_WR).");
		else if (n == 1)
			say(o, " No FIN leaves until it closes the socket or calls "
			    "shutdown(SHUT_WR).");
		else
			say(o, " No FIN leaves until %s close it, or until one calls "
			    "shutdown(SHUT_WR).", n == 2 ? "both" : "all of them");
		break;
	case TCPS_FIN_WAIT1:
	case TCPS_FIN_WAIT2:
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		say(o, " Its FIN has left already; the socket stays open until every holder "
		    "closes it.");
		break;
	case TCPS_CLOSE:
		say(o, " The connection is over; the socket stays open until every holder "
		    "closes it.");
		break;
	}
}

/* Whether a holder of process pid (among x's) got the socket across exec. */
static const struct procfd_holder *
inherited_fd(const struct subject *x, pid_t pid)
{
	size_t i;

	for (i = 0; i < x->nh; i++)
		if (x->h[i].pid == pid && diagnose_inherited(x, &x->h[i]))
			return &x->h[i];
	return NULL;
}

/* "5678 (sleep) runs /usr/bin/sleep, not ...: it inherited it across exec." */
static void
say_inherited(struct text *o, const struct subject *x, const struct procfd_holder **p,
    size_t n)
{
	const struct procfd_holder *ref = x->ref, *h = NULL;
	size_t i, k, total = 0, many;

	for (i = 0; i < n; i++)
		total += inherited_fd(x, p[i]->pid) != NULL;
	many = total > NAMED + 1 ? NAMED : total;
	for (i = k = 0; i < n && k < many; i++) {
		if ((h = inherited_fd(x, p[i]->pid)) == NULL)
			continue;
		say(o, "%s%ld (%s) runs %s", k == 0 ? " " : k + 1 == total ? " and " : ", ",
		    (long)h->pid, h->proc->comm, h->proc->exe);
		k++;
	}
	if (many < total)
		say(o, " and %zu others", total - many);
	say(o, ", not %s as %s%ld (%s) does", ref->proc->exe,
	    x->ref_listens ? "the listener's holder " : "", (long)ref->pid, ref->proc->comm);
	if (many == 1)
		say(o, ", and holds the socket as fd %d without close-on-exec: it inherited it "
		    "across exec.", h->fd);
	else
		say(o, "; they hold the socket without close-on-exec: they inherited it across "
		    "exec.");
}

void
diagnose_explain(const struct procfd *t, const struct subject *x, unsigned flags,
    char *buf, size_t len)
{
	struct text o = { buf, len, 0 };
	const struct tcpsock *s = x->s;
	const struct procfd_holder **p;
	size_t n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if ((p = procs_by_age(x, &n)) == NULL)
		return;
	say(&o, "%s", tcp_state_name(s->state));
	if (s->state == TCPS_CLOSE_WAIT && s->last_recv_ms >= 0) {
		say(&o, ", no data received for ");
		say_duration(&o, s->last_recv_ms);
	}
	say(&o, ": ");
	if (s->state == TCPS_LISTEN) {
		say(&o, "the listener on port %d is held by %s", s->sport,
		    flags & FLAG_UNRELATED ? "unrelated processes: " : "");
		say_procs(&o, t, x, p, n);
		say(&o, ".");
		if (flags & FLAG_UNRELATED)
			say(&o, " Connections wait for whichever of them calls accept(), and the "
			    "port stays bound until every one of them closes it.");
	} else {
		say_holders(&o, t, x, p, n);
	}
	if (flags & FLAG_INHERITED)
		say_inherited(&o, x, p, n);
	if (flags & FLAG_UNREAD)
		say(&o, " %u byte%s the peer sent %s still unread: the last close will send "
		    "RST, not FIN.", unread(s), unread(s) == 1 ? "" : "s",
		    unread(s) == 1 ? "is" : "are");
	free(p);
}
