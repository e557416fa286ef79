/*
 * snapshot.c: one report of bin/holders: the kernel's TCP sockets
 * (diag.c), the processes that hold each (procfd.c), its listener, the
 * rows to show with their flags (diagnose.c); and how two reports differ.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/util.h"
#include "holders.h"

/* This process's network namespace, by inode: the first that netns_list() gives. */
static unsigned long self_ns;

/* The order of a report: by local port, then family and addresses, then namespace. */
static int
by_key(const struct tcpsock *a, const struct tcpsock *b)
{
	int c;

	if (a->sport != b->sport)
		return a->sport < b->sport ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->src, b->src, sizeof a->src)) != 0 ||
	    (c = memcmp(a->dst, b->dst, sizeof a->dst)) != 0)
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	return 0;
}

static int
by_key_inode(const void *a, const void *b)
{
	const struct tcpsock *x = a, *y = b;
	int c = by_key(x, y);

	return c ? c : (x->inode > y->inode) - (x->inode < y->inode);
}

/* Whether listener l can have accepted s: same port and family, its address or any. */
static int
listens_for(const struct tcpsock *l, const struct tcpsock *s)
{
	static const unsigned char any[16];
	size_t len = l->family == AF_INET6 ? 16 : 4;

	return l->state == TCPS_LISTEN && l != s && l->sport == s->sport &&
	    l->family == s->family && l->netns == s->netns &&
	    (memcmp(l->src, any, len) == 0 || memcmp(l->src, s->src, len) == 0);
}

/* The listener on s's local port that can have accepted it; NULL if none. */
static const struct tcpsock *
listener_of(const struct report *r, const struct tcpsock *s)
{
	size_t lo = 0, hi = r->nsocks;

	/* the first socket on s's port: the listener comes before its connections */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->socks[mid].sport < s->sport)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < r->nsocks && r->socks[lo].sport == s->sport; lo++)
		if (listens_for(&r->socks[lo], s))
			return &r->socks[lo];
	return NULL;
}

/* The subject of socket s: its holders, and whose program is the reference. */
static void
subject_of(struct report *r, const struct tcpsock *s, struct subject *x)
{
	const struct procfd_holder *lh;
	const struct tcpsock *l;
	size_t nl;

	x->t = r->t;
	x->s = s;
	x->h = procfd_holders(r->t, s->inode, &x->nh);
	x->complete = procfd_unreadable(r->t) == 0;
	if ((l = listener_of(r, s)) != NULL && l != r->listener) {
		lh = procfd_holders(r->t, l->inode, &nl);
		r->listener = l;
		r->listener_ref = diagnose_oldest(lh, nl);
	}
	x->ref = l ? r->listener_ref : NULL;
	x->ref_listens = x->ref != NULL;
	if (x->ref == NULL)
		x->ref = diagnose_oldest(x->h, x->nh);
}

/* Whether the options show s, held as x says. */
static int
shown(const struct subject *x, int procs)
{
	size_t i;

	if (opt.states && !(opt.states & 1u << x->s->state))
		return 0;
	if (opt.shared && procs < 2)
		return 0;
	if (opt.pid == 0)
		return 1;
	for (i = 0; i < x->nh; i++)
		if (x->h[i].pid == opt.pid)
			return 1;
	return 0;
}

/* A digest of x's holders (FNV-1a of pid and fd), to see them change. */
static unsigned long
digest(const struct subject *x)
{
	unsigned long d = 2166136261u;
	size_t i;

	for (i = 0; i < x->nh; i++)
		d = (d ^ ((unsigned long)x->h[i].pid << 16 ^ (unsigned long)x->h[i].fd)) * 16777619u;
	return d;
}

void
snapshot_free(struct report *r)
{
	free(r->ns);
	free(r->socks);
	free(r->rows);
	procfd_free(r->t);
	memset(r, 0, sizeof *r);
}

static int
by_inode(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

/* The inodes of the n sockets s, sorted, in a new array: *k of them; exits on ENOMEM. */
static unsigned long *
inodes_of(const struct tcpsock *s, size_t n, size_t *k)
{
	unsigned long *inodes;
	size_t i;

	if ((inodes = malloc((n ? n : 1) * sizeof *inodes)) == NULL)
		die(EXIT_FAILED, "out of memory");
	for (i = *k = 0; i < n; i++)
		if (s[i].inode)
			inodes[(*k)++] = s[i].inode;
	if (*k)
		qsort(inodes, *k, sizeof *inodes, by_inode);
	return inodes;
}

/*
 * The namespaces to read into r: --netns's alone (by name under
 * /run/netns, path, or pid), or every one on the host.
 */
static void
namespaces(struct report *r)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	if (opt.netns) {
		if (strchr(opt.netns, '/'))
			snprintf(path, sizeof path, "%s", opt.netns);
		else if (strspn(opt.netns, "0123456789") == strlen(opt.netns))
			snprintf(path, sizeof path, "/proc/%s/ns/net", opt.netns);
		else
			snprintf(path, sizeof path, "/run/netns/%s", opt.netns);
		if (stat(path, &st) == -1)
			die(EXIT_FAILED, "--netns %s: no network namespace at %s:", opt.netns, path);
	}
	if (netns_list(&r->ns, &r->nns, &r->ns_unread) == -1) {
		if (errno == ENOSYS)
			die(EXIT_FAILED, "needs Linux (NETLINK_SOCK_DIAG and /proc)");
		die(EXIT_FAILED, "cannot list the network namespaces:");
	}
	self_ns = r->ns[0].inode;
	if (opt.netns == NULL)
		return;
	for (i = 0; i < r->nns && r->ns[i].inode != (unsigned long)st.st_ino; i++)
		;
	if (i < r->nns) {
		r->ns[0] = r->ns[i];
		r->nns = 1;
		return;
	}
	free(r->ns);
	die(EXIT_FAILED, "--netns %s: %s is not a network namespace", opt.netns, path);
}

/* The sockets of namespace ns in states: diag_dump() there; -1 with errno. */
static int
dump(const struct netns *ns, unsigned states, struct tcpsock **out, size_t *n)
{
	int fd, got, err;

	if (ns->inode == self_ns)
		return diag_dump(-1, states, opt.port, out, n);
	if ((fd = netns_open(ns)) == -1)
		return -1;
	got = diag_dump(fd, states, opt.port, out, n);
	err = errno;
	close(fd);
	errno = err;
	return got;
}

/* Every namespace's sockets, one array; those it may not enter are counted. */
static void
dump_all(struct report *r, unsigned states)
{
	struct tcpsock *s;
	size_t i, n;

	r->socks = NULL;
	r->nsocks = 0;
	for (i = 0; i < r->nns; i++) {
		if (dump(&r->ns[i], states, &s, &n) == -1) {
			if (r->ns[i].inode != self_ns && (errno == EPERM || errno == EACCES)) {
				r->ns_unentered++;
				continue;
			}
			if (r->ns[i].inode != self_ns && errno == ENOENT)
				continue;	/* gone meanwhile */
			die(EXIT_FAILED, "cannot read the TCP sockets from the kernel "
			    "(NETLINK_SOCK_DIAG):");
		}
		if (n) {
			if ((r->socks = realloc(r->socks, (r->nsocks + n) * sizeof *s)) == NULL)
				die(EXIT_FAILED, "out of memory");
			memcpy(r->socks + r->nsocks, s, n * sizeof *s);
			r->nsocks += n;
		}
		free(s);
	}
}

const struct netns *
snapshot_netns(const struct report *r, const struct tcpsock *s)
{
	size_t i;

	for (i = 0; i < r->nns; i++)
		if (r->ns[i].inode == s->netns)
			return &r->ns[i];
	return NULL;
}

/* Whether s is open in CLOSE_WAIT, and no holder of it was found. */
static int
unheld_close_wait(const struct report *r, const struct tcpsock *s)
{
	size_t nh;

	return s->state == TCPS_CLOSE_WAIT && s->inode &&
	    procfd_holders(r->t, s->inode, &nh) == NULL;
}

/*
 * A CLOSE_WAIT with no holder found is flagged, with "no process holds it".
 * Its last holder may have closed it while /proc was read, though: then
 * that is false. Ask the kernel again for the CLOSE_WAIT sockets (only if
 * there is such a one) and mark in closed[] those it lists no more.
 */
static void
closed_meanwhile(const struct report *r, char *closed)
{
	struct tcpsock *again;
	unsigned long *now;
	size_t i, j, n, k;

	for (j = 0; j < r->nns; j++) {
		for (i = 0; i < r->nsocks; i++)
			if (r->socks[i].netns == r->ns[j].inode && unheld_close_wait(r, &r->socks[i]))
				break;
		if (i == r->nsocks || dump(&r->ns[j], 1u << TCPS_CLOSE_WAIT, &again, &n) == -1)
			continue;
		now = inodes_of(again, n, &k);
		for (; i < r->nsocks; i++)
			closed[i] = r->socks[i].netns == r->ns[j].inode &&
			    unheld_close_wait(r, &r->socks[i]) &&
			    (k == 0 || bsearch(&r->socks[i].inode, now, k, sizeof *now, by_inode) == NULL);
		free(now);
		free(again);
	}
}

void
snapshot_take(struct report *r)
{
	/* the listeners too, whose holders' program is the reference */
	unsigned states = (opt.states ? opt.states : TCPS_ALL) | 1u << TCPS_LISTEN;
	unsigned long *inodes;
	size_t i, n;
	char *closed;

	namespaces(r);
	dump_all(r, states);
	if (r->nsocks)
		qsort(r->socks, r->nsocks, sizeof *r->socks, by_key_inode);
	inodes = inodes_of(r->socks, r->nsocks, &n);
	if ((r->t = procfd_scan(inodes, n)) == NULL)
		die(EXIT_FAILED, "cannot read the processes in /proc:");
	free(inodes);
	r->rows = malloc((r->nsocks ? r->nsocks : 1) * sizeof *r->rows);
	closed = calloc(r->nsocks ? r->nsocks : 1, 1);
	if (r->rows == NULL || closed == NULL)
		die(EXIT_FAILED, "out of memory");
	closed_meanwhile(r, closed);
	for (i = 0; i < r->nsocks; i++) {
		struct row *w = &r->rows[r->nrows];
		if (closed[i])
			continue;
		subject_of(r, &r->socks[i], &w->x);
		w->procs = diagnose_procs(w->x.h, w->x.nh);
		if (!shown(&w->x, w->procs))
			continue;
		w->flags = diagnose_flags(r->t, &w->x);
		w->ns = r->socks[i].netns == self_ns ? NULL : snapshot_netns(r, &r->socks[i]);
		w->sig = digest(&w->x);
		w->change = SAME;
		r->flagged += w->flags != 0;
		r->nrows++;
	}
	free(closed);
}

void
snapshot_compare(struct report *now, struct report *before, int *changes)
{
	size_t i = 0, j = 0;
	int c;

	memset(changes, 0, (GONE + 1) * sizeof *changes);
	while (i < now->nrows || j < before->nrows) {
		if (i == now->nrows)
			c = 1;
		else if (j == before->nrows)
			c = -1;
		else
			c = by_key(now->rows[i].x.s, before->rows[j].x.s);
		if (c < 0) {
			now->rows[i++].change = NEW;
			changes[NEW]++;
		} else if (c > 0) {
			before->rows[j].change = GONE;
			before->rows[j++].flags = 0;
			changes[GONE]++;
		} else {
			struct row *a = &now->rows[i++], *b = &before->rows[j++];
			b->change = SAME;
			if (a->x.s->state != b->x.s->state || a->sig != b->sig || a->flags != b->flags) {
				a->change = CHANGED;
				changes[CHANGED]++;
			}
		}
	}
}
