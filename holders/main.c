/*
 * main.c: bin/holders. Which processes hold each TCP socket, and what that
 * means for how its connection ends: the options, one report (the kernel's
 * sockets, then /proc, then the flags), and --watch.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/opt.h"
#include "../common/util.h"
#include "holders.h"

/* --watch: from 10 ms to an hour */
#define MINWATCH 10L
#define MAXWATCH 3600000L

struct options opt;

enum { O_PORT = 1, O_PID, O_STATE, O_SHARED, O_JSON, O_WATCH, O_HELP, O_VERSION };

static const struct opt opts[] = {
	{ "port", 1, O_PORT },
	{ "pid", 1, O_PID },
	{ "state", 1, O_STATE },
	{ "shared", 0, O_SHARED },
	{ "json", 0, O_JSON },
	{ "watch", 1, O_WATCH },
	{ "help", 0, O_HELP },
	{ "version", 0, O_VERSION },
	{ NULL, 0, 0 },
};

static const char synopsis[] =
	"[--port P] [--pid PID] [--state STATE]... [--shared] [--json]\n"
	"[--watch MS] [--help] [--version]\n";

static void
help(void)
{
	opt_print_usage(stdout);
	printf("\n"
	    "Which processes hold each TCP socket, and what that means for the end of\n"
	    "its connection: close() sends no FIN while another process holds the\n"
	    "socket. The sockets come from the kernel (NETLINK_SOCK_DIAG), the holders\n"
	    "from /proc. Linux only.\n"
	    "\n"
	    "  --port P         only sockets whose local or remote port is P\n"
	    "  --pid PID        only sockets that process PID holds\n"
	    "  --state STATE    only sockets in STATE; again for more states: listen,\n"
	    "                   syn-sent, syn-recv, established, fin-wait-1,\n"
	    "                   fin-wait-2, close-wait, closing, last-ack, time-wait,\n"
	    "                   close (CLOSE_WAIT and such spellings too)\n"
	    "  --shared         only sockets held by more than one process\n"
	    "  --json           one JSON object per socket, one a line\n"
	    "  --watch MS       redraw every MS ms (%ld to %ld) until SIGINT or\n"
	    "                   SIGTERM, marking sockets new (+), changed (*), gone (-)\n"
	    "  --help           show this help\n"
	    "  --version        show the version\n"
	    "\n"
	    "Each socket shows its addresses, state, queues, the time since data was\n"
	    "last received, and every holder: pid, command, descriptor, close-on-exec,\n"
	    "and which holder descends from which. Flags: shared (more than one process\n"
	    "holds a connection whose FIN has yet to leave), close-wait (the peer has\n"
	    "closed; the socket is still open), inherited (held without close-on-exec\n"
	    "by another program than the listener's), unread (CLOSE_WAIT with data\n"
	    "never read), unrelated-listener (a listener held by processes that do not\n"
	    "all descend from one of them). A flagged socket ends with a diagnosis.\n"
	    "\n"
	    "Without root, other users' processes cannot be read: a line on stderr\n"
	    "says how many. Exit status: 0 nothing flagged, 1 something flagged (with\n"
	    "--watch: in the last redraw), 2 usage error, 3 runtime error.\n",
	    MINWATCH, MAXWATCH);
	exit(0);
}

static void
parse(char **argv)
{
	const char *arg;
	int i = 1, id, state;

	while ((id = opt_next(argv, &i, opts, &arg)) > 0) {
		switch (id) {
		case O_PORT:
			opt.port = opt_num("port", arg, 1, 65535);
			break;
		case O_PID:
			opt.pid = opt_num("pid", arg, 1, INT_MAX);
			break;
		case O_STATE:
			if ((state = diag_state_word(arg)) == -1)
				opt_bad("--state: no such TCP state '%s' (see --help)", arg);
			else
				opt.states |= 1u << state;
			break;
		case O_SHARED:
			opt.shared = 1;
			break;
		case O_JSON:
			opt.json = 1;
			break;
		case O_WATCH:
			opt.watch = opt_num("watch", arg, MINWATCH, MAXWATCH);
			break;
		case O_HELP:
			help();
			break;
		case O_VERSION:
			opt_version();
		}
	}
	if (id == -1)
		opt_usage();
}

/* The order of a report: by local port, then family and addresses. */
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
	    l->family == s->family &&
	    (memcmp(l->src, any, len) == 0 || memcmp(l->src, s->src, len) == 0);
}

/* One report: the sockets, their holders, and the rows to show. */
struct report {
	struct tcpsock *socks;		/* by key */
	size_t nsocks;
	struct procfd *t;
	struct row *rows;		/* the sockets shown, by key */
	size_t nrows;
	int flagged;
	/* the last listener looked up, and its oldest holder: connections come by port */
	const struct tcpsock *listener;
	const struct procfd_holder *listener_ref;
};

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

static unsigned long
digest(const struct subject *x)
{
	unsigned long d = 2166136261u;
	size_t i;

	for (i = 0; i < x->nh; i++)
		d = (d ^ ((unsigned long)x->h[i].pid << 16 ^ (unsigned long)x->h[i].fd)) * 16777619u;
	return d;
}

static void
report_free(struct report *r)
{
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
	size_t i, n, k;

	for (i = 0; i < r->nsocks && !unheld_close_wait(r, &r->socks[i]); i++)
		;
	if (i == r->nsocks || diag_dump(1u << TCPS_CLOSE_WAIT, opt.port, &again, &n) == -1)
		return;
	now = inodes_of(again, n, &k);
	for (; i < r->nsocks; i++)
		closed[i] = unheld_close_wait(r, &r->socks[i]) &&
		    (k == 0 || bsearch(&r->socks[i].inode, now, k, sizeof *now, by_inode) == NULL);
	free(now);
	free(again);
}

/* Read the sockets and their holders into r; exits on a runtime error. */
static void
take(struct report *r)
{
	/* the listeners too, whose holders' program is the reference */
	unsigned states = (opt.states ? opt.states : TCPS_ALL) | 1u << TCPS_LISTEN;
	unsigned long *inodes;
	size_t i, n;
	char *closed;

	if (diag_dump(states, opt.port, &r->socks, &r->nsocks) == -1) {
		if (errno == ENOSYS)
			die(EXIT_FAILED, "needs Linux (NETLINK_SOCK_DIAG and /proc)");
		die(EXIT_FAILED, "cannot read the TCP sockets from the kernel (NETLINK_SOCK_DIAG):");
	}
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
		w->sig = digest(&w->x);
		w->change = SAME;
		r->flagged += w->flags != 0;
		r->nrows++;
	}
	free(closed);
}

/*
 * Mark how each row of now differs from before, and the rows of before
 * that now has no more as gone (without flags); count each kind in changes.
 */
static void
compare(struct report *now, struct report *before, int *changes)
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

/* The error of the first write to stdout that failed; 0 while none has. */
static int write_err;

/* Whether stdout is still writable; the first failure's errno is kept. */
static int
writing(void)
{
	if (!ferror(stdout))
		return 1;
	if (write_err == 0)
		write_err = errno ? errno : EIO;
	return 0;
}

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Flush the report; a write error is a runtime error. If the reader has
 * gone (EPIPE), there is no one to tell: stop quietly with status.
 */
static void
flush(int status)
{
	if (writing()) {
		errno = 0;
		if (fflush(stdout) != EOF)
			return;
		writing();
	}
	if (write_err == EPIPE)
		exit(status);
	errno = write_err;
	die(EXIT_FAILED, "cannot write the report:");
}

/* Say once how many processes could not be read, and again if that changes. */
static void
tell_unreadable(const struct report *r, int *told)
{
	int n = procfd_unreadable(r->t);

	if (n > 0 && n != *told)
		warn("could not read %d process%s (not yours): run as root to see every holder",
		    n, n == 1 ? "" : "es");
	*told = n;
}

/* Wait ms, or until SIGINT or SIGTERM (blocked but here). */
static void
pause_ms(long ms, const sigset_t *open)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	if (!stop)
		pselect(0, NULL, NULL, NULL, &ts, open);
}

/* --watch: SIGINT and SIGTERM stop it, arriving only while it waits, in *open. */
static void
take_signals(sigset_t *open)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, open);
	sigdelset(open, SIGINT);
	sigdelset(open, SIGTERM);
}

/* Report once, or with --watch until a signal; the status of the last report. */
static int
run(void)
{
	struct report now = { 0 }, before = { 0 };
	sigset_t open;
	unsigned long round, shown_round;
	int changes[GONE + 1] = { 0 }, told = 0, status = 0, tty = isatty(STDOUT_FILENO);
	size_t i;

	if (opt.watch)
		take_signals(&open);
	for (round = 1; !stop; round++) {
		take(&now);
		if (round == 1 && opt.pid && procfd_proc(now.t, opt.pid) == NULL)
			die(EXIT_FAILED, "there is no process %ld", (long)opt.pid);
		tell_unreadable(&now, &told);
		if (round > 1)
			compare(&now, &before, changes);
		status = now.flagged ? EXIT_FLAGGED : 0;
		/* with --watch the summary comes first, and each row says its round */
		shown_round = opt.watch ? round : 0;
		if (opt.watch && tty && !opt.json)
			fputs("\033[H\033[2J", stdout);
		if (opt.watch)
			report_summary(now.nrows, now.flagged, changes, round);
		for (i = 0; i < now.nrows && writing(); i++)
			report_row(now.t, &now.rows[i], shown_round);
		for (i = 0; i < before.nrows && writing(); i++)
			if (before.rows[i].change == GONE)
				report_row(before.t, &before.rows[i], shown_round);
		if (!opt.watch)
			report_summary(now.nrows, now.flagged, NULL, 0);
		flush(status);
		report_free(&before);
		before = now;
		memset(&now, 0, sizeof now);
		if (!opt.watch)
			break;
		pause_ms(opt.watch, &open);
	}
	report_free(&before);
	return status;
}

int
main(int argc, char **argv)
{
	(void)argc;
	opt_program(argv[0], synopsis);
	parse(argv);
#ifndef __linux__
	die(EXIT_FAILED, "needs Linux (NETLINK_SOCK_DIAG and /proc)");
#endif
	/* a reader that goes away is seen as EPIPE, not as a signal */
	signal(SIGPIPE, SIG_IGN);
	return run();
}
