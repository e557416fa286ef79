/* holders.h: the options of bin/holders, and one socket as a report shows it */
#ifndef HOLDERS_H
#define HOLDERS_H

#include <sys/types.h>

#include "../common/diag.h"
#include "../common/netns.h"
#include "../common/procfd.h"
#include "diagnose.h"

/* Exit statuses (0: nothing flagged; 2, a usage error, is common/util.h's). */
enum { EXIT_FLAGGED = 1, EXIT_FAILED = 3, EXIT_UNREADABLE = 4 };

struct options {
	int port;		/* 0: any */
	pid_t pid;		/* 0: any */
	unsigned states;	/* a mask of 1 << state; 0: every state */
	int shared;
	int json;
	long watch;		/* ms between redraws; 0: report once */
	const char *netns;	/* --netns NAME|PATH|PID; NULL: every namespace */
	int metrics;		/* --metrics: Prometheus's text format */
};
extern struct options opt;

/* How a socket differs from the previous redraw of --watch. */
enum change { SAME, NEW, CHANGED, GONE };

/* One socket in a report. */
struct row {
	struct subject x;	/* the socket and its holders */
	const struct netns *ns;	/* its network namespace; NULL: this process's */
	int procs;		/* how many processes hold it */
	unsigned flags;		/* FLAG_... */
	unsigned long sig;	/* a digest of its holders, to see them change */
	enum change change;
};

/* One report: the sockets, their holders, and the rows to show. */
struct report {
	struct netns *ns;		/* the network namespaces listed, this process's first */
	size_t nns;
	int ns_unread, ns_unentered;	/* namespaces of processes not read; not entered */
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

/* snapshot.c: read the sockets and their holders into r; exits on a runtime error. */
void snapshot_take(struct report *r);
/*
 * Mark how each row of now differs from before, and the rows of before
 * that now has no more as gone (without flags); count each kind in changes.
 */
void snapshot_compare(struct report *now, struct report *before, int *changes);
void snapshot_free(struct report *r);
/* The namespace of socket s, from r's list; NULL if not listed. */
const struct netns *snapshot_netns(const struct report *r, const struct tcpsock *s);

/* report.c: a new report begins: what it reads of processes is read anew; its epoch. */
unsigned long report_start(void);
/* Print r as text or as a JSON line (opt.json); round > 0 with --watch. */
void report_row(const struct procfd *t, const struct row *r, unsigned long round);
/*
 * The last line of a text report; with --watch the first, after clearing
 * a terminal: how many sockets, how many flagged, and (changes) what changed.
 */
void report_summary(size_t shown, int flagged, const int *changes, unsigned long round);

/* metrics.c: r in Prometheus's text format; epoch: report_start()'s. */
void metrics_print(const struct report *r, unsigned long epoch);

#endif
