/*
 * metrics.c: one report as Prometheus's text exposition format, for
 * node_exporter's textfile collector: the sockets shown, by network
 * namespace and state; the flagged ones by namespace, owner (the container,
 * pod or unit of their oldest holder) and flag; the longest a CLOSE_WAIT
 * has gone without data; and what could not be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cgroup.h"
#include "../common/escape.h"
#include "../common/util.h"
#include "holders.h"

/*
 * s as a label value: escaped as a name is (common/escape.c: printable
 * ASCII, the rest \xHH, the quote too), its backslashes doubled as the
 * format wants. Valid UTF-8 whatever bytes s holds.
 */
static void
put_label(const char *s)
{
	char buf[4 * 1200 + 1], *p;

	escape(buf, sizeof buf, s, "\"");
	for (p = buf; *p; p++) {
		if (*p == '\\')
			putchar('\\');
		putchar(*p);
	}
}

/* The labels of row w's namespace: netns="INODE",netns_name="NAME". */
static void
put_netns(const struct tcpsock *s, const struct row *w)
{
	printf("netns=\"%lu\",netns_name=\"", s->netns);
	put_label(w->ns ? w->ns->name : "");
	putchar('"');
}

/* The owner of w's socket: its oldest holder's container, pod or unit; "" if none. */
static void
owner_words(const struct row *w, unsigned long epoch, char *buf, size_t len)
{
	const struct procfd_holder *old = diagnose_oldest(w->x.h, w->x.nh);
	const struct owner *o;

	buf[0] = '\0';
	if (old && (o = cgroup_cached(old->pid, epoch)) != NULL &&
	    (o->container[0] || o->pod[0] || o->unit[0]))
		cgroup_words(o, buf, len);
}

/* A line's key and count: a namespace's row, and a state or (flagged) an owner and flag. */
struct count {
	const struct row *w;	/* its first row: the namespace */
	int what;		/* a state, or a flag */
	char owner[200];
	int n;
};

/* Count row w under (its namespace, what, owner) in c (room for all rows). */
static void
tally(struct count *c, size_t *nc, const struct row *w, int what, const char *owner)
{
	size_t i;

	for (i = 0; i < *nc; i++)
		if (c[i].w->x.s->netns == w->x.s->netns && c[i].what == what &&
		    strcmp(c[i].owner, owner) == 0) {
			c[i].n++;
			return;
		}
	c[*nc].w = w;
	c[*nc].what = what;
	snprintf(c[*nc].owner, sizeof c[*nc].owner, "%s", owner);
	c[(*nc)++].n = 1;
}

void
metrics_print(const struct report *r, unsigned long epoch)
{
	struct count *c;
	char owner[200];
	size_t i, nc = 0;
	int f;
	long long idle = 0;

	if ((c = malloc((r->nrows * NFLAGS + 1) * sizeof *c)) == NULL)
		die(EXIT_FAILED, "out of memory");
	puts("# HELP closelab_tcp_sockets TCP sockets, by network namespace and state.");
	puts("# TYPE closelab_tcp_sockets gauge");
	for (i = 0; i < r->nrows; i++)
		tally(c, &nc, &r->rows[i], r->rows[i].x.s->state, "");
	for (i = 0; i < nc; i++) {
		fputs("closelab_tcp_sockets{", stdout);
		put_netns(c[i].w->x.s, c[i].w);
		printf(",state=\"%s\"} %d\n", tcp_state_name(c[i].what), c[i].n);
	}
	puts("# HELP closelab_flagged_sockets Flagged TCP sockets, by network namespace, owner of "
	    "their oldest holder (container, pod or unit) and flag.");
	puts("# TYPE closelab_flagged_sockets gauge");
	for (nc = 0, i = 0; i < r->nrows; i++) {
		if (r->rows[i].flags == 0)
			continue;
		owner_words(&r->rows[i], epoch, owner, sizeof owner);
		for (f = 0; f < NFLAGS; f++)
			if (r->rows[i].flags & 1u << f)
				tally(c, &nc, &r->rows[i], f, owner);
	}
	for (i = 0; i < nc; i++) {
		fputs("closelab_flagged_sockets{", stdout);
		put_netns(c[i].w->x.s, c[i].w);
		fputs(",owner=\"", stdout);
		put_label(c[i].owner);
		printf("\",flag=\"%s\"} %d\n", flag_names[c[i].what], c[i].n);
	}
	free(c);
	puts("# HELP closelab_close_wait_idle_seconds_max The longest a CLOSE_WAIT socket has "
	    "gone without receiving data.");
	puts("# TYPE closelab_close_wait_idle_seconds_max gauge");
	for (i = 0; i < r->nrows; i++)
		if (r->rows[i].x.s->state == TCPS_CLOSE_WAIT && r->rows[i].x.s->last_recv_ms > idle)
			idle = r->rows[i].x.s->last_recv_ms;
	printf("closelab_close_wait_idle_seconds_max %lld.%03lld\n", idle / 1000, idle % 1000);
	puts("# HELP closelab_unreadable_processes Processes whose descriptors could not be read.");
	puts("# TYPE closelab_unreadable_processes gauge");
	printf("closelab_unreadable_processes %d\n", procfd_unreadable(r->t));
	puts("# HELP closelab_unentered_network_namespaces Network namespaces that could not be "
	    "entered.");
	puts("# TYPE closelab_unentered_network_namespaces gauge");
	printf("closelab_unentered_network_namespaces %d\n", r->ns_unentered);
	puts("# HELP closelab_unreadable_namespace_processes Processes whose network namespace "
	    "could not be seen.");
	puts("# TYPE closelab_unreadable_namespace_processes gauge");
	printf("closelab_unreadable_namespace_processes %d\n", r->ns_unread);
}
