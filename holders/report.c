/*
 * report.c: one socket as text, a few lines a socket, or as one JSON
 * object on one line. Command names and paths may hold any byte: text
 * shows every byte outside printable ASCII, and the backslash, as \xNN
 * (common/escape.c); JSON escapes controls, C1 controls included, and
 * passes only valid UTF-8 (anything else becomes U+FFFD).
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../common/cgroup.h"
#include "../common/escape.h"
#include "holders.h"

/* procfd_cloexec()'s -1, 0 and 1, said after a holder's fd, and in JSON */
static const char *const cloexec_words[] = {
	", close-on-exec not known", ", no close-on-exec", ", close-on-exec"
};
static const char *const cloexec_json[] = { "null", "false", "true" };

/* s for a terminal: see common/escape.h. */
static void
put_text(const char *s)
{
	char buf[4 * 2048 + 1];

	escape(buf, sizeof buf, s, "");
	fputs(buf, stdout);
}

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is not one. */
static int
utf8_len(const unsigned char *s)
{
	int n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* s as a JSON string, quoted; null for NULL. */
static void
put_json(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	while (*p) {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
		} else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) {
			printf("\\u%04x", p[1]);	/* a C1 control, U+0080 to U+009F */
			p += 2;
		} else if ((n = utf8_len(p)) == 0) {
			fputs("\\ufffd", stdout);
			p++;
		} else {
			fwrite(p, 1, n, stdout);
			p += n;
		}
	}
	putchar('"');
}

/* Which report this is: the owners of processes are read once in each. */
static unsigned long report_round;

unsigned long
report_start(void)
{
	return ++report_round;
}

/* Whether o names a container, a pod, a unit or a pid of its own: worth a line. */
static int
named(const struct owner *o)
{
	return o && (o->container[0] || o->pod[0] || o->unit[0] || o->nspid);
}

static const char *const marks[] = { "  ", "+ ", "* ", "- " };
static const char *const changes[] = { "same", "new", "changed", "gone" };

static void
text_row(const struct procfd *t, const struct row *r, const char *why)
{
	const struct tcpsock *s = r->x.s;
	const struct owner *o;
	char local[CONNID_LEN], peer[CONNID_LEN], words[1200];
	size_t i;
	pid_t up;
	int gen;

	diag_addr(s, 0, local, sizeof local);
	if (s->state == TCPS_LISTEN)
		strcpy(peer, "*");
	else
		diag_addr(s, 1, peer, sizeof peer);
	printf("%s%-11s %-22s %-22s ", opt.watch ? marks[r->change] : "",
	    tcp_state_name(s->state), local, peer);
	if (s->state == TCPS_LISTEN)
		printf("accept queue %u of %u", s->rqueue, s->wqueue);
	else
		printf("recv-q %u send-q %u", s->rqueue, s->wqueue);
	if (s->state != TCPS_LISTEN && s->last_recv_ms >= 0)
		printf(", last data received %lld.%03lld s ago", s->last_recv_ms / 1000,
		    s->last_recv_ms % 1000);
	putchar('\n');
	if (r->ns) {
		printf("    network namespace %lu", r->ns->inode);
		if (r->ns->name[0]) {
			fputs(" (", stdout);
			put_text(r->ns->name);
			putchar(')');
		} else if (r->ns->pid) {
			printf(" (of pid %ld)", (long)r->ns->pid);
		}
		putchar('\n');
	}
	for (i = 0; i < r->x.nh; i++) {
		const struct procfd_holder *h = &r->x.h[i];
		printf("    %ld (", (long)h->pid);
		put_text(h->proc ? h->proc->comm : "?");
		printf(") fd %d", h->fd);
		if (diagnose_other_program(&r->x, h))
			fputs(cloexec_words[procfd_cloexec(t, h) + 1], stdout);
		if ((up = diagnose_ancestor(t, r->x.h, r->x.nh, h->pid, &gen)) != 0)
			printf(", %s of %ld", diagnose_kin(gen), (long)up);
		putchar('\n');
		if (named(o = cgroup_cached(h->pid, report_round))) {
			fputs("      ", stdout);
			if (o->container[0] || o->pod[0] || o->unit[0]) {
				cgroup_words(o, words, sizeof words);
				fputs("in ", stdout);
				put_text(words);
				fputs(o->nspid ? ", " : "", stdout);
			}
			if (o->nspid)
				printf("pid %ld in its PID namespace", o->nspid);
			putchar('\n');
		}
	}
	if (s->inode != 0 && r->x.nh == 0)
		printf("    no holder found%s\n", r->x.complete ? "" :
		    " among the processes this user can read");
	if (r->flags == 0)
		return;
	fputs("    flags:", stdout);
	for (i = 0; i < NFLAGS; i++)
		if (r->flags & 1u << i)
			printf(" %s", flag_names[i]);
	fputs("\n    diagnosis: ", stdout);
	put_text(why);
	putchar('\n');
}

static void
json_row(const struct procfd *t, const struct row *r, unsigned long round, const char *why)
{
	const struct tcpsock *s = r->x.s;
	const struct owner *o;
	char local[CONNID_LEN], peer[CONNID_LEN];
	size_t i;
	pid_t up;
	int gen, first = 1;

	diag_addr(s, 0, local, sizeof local);
	diag_addr(s, 1, peer, sizeof peer);
	putchar('{');
	if (round)
		printf("\"round\":%lu,\"change\":\"%s\",", round, changes[r->change]);
	printf("\"state\":\"%s\",\"family\":\"%s\",\"local\":\"%s\",\"peer\":",
	    tcp_state_name(s->state), s->family == AF_INET6 ? "ipv6" : "ipv4", local);
	if (s->state == TCPS_LISTEN)
		fputs("null", stdout);
	else
		printf("\"%s\"", peer);
	printf(",\"local_port\":%d,\"peer_port\":%d,\"inode\":%lu,\"uid\":%u,"
	    "\"recv_q\":%u,\"send_q\":%u,\"last_data_received_ms\":", s->sport, s->dport,
	    s->inode, s->uid, s->rqueue, s->wqueue);
	if (s->last_recv_ms >= 0 && s->state != TCPS_LISTEN)
		printf("%lld", s->last_recv_ms);
	else
		fputs("null", stdout);
	printf(",\"netns\":%lu,\"netns_name\":", s->netns);
	put_json(r->ns && r->ns->name[0] ? r->ns->name : NULL);
	printf(",\"processes\":%d,\"holders\":[", r->procs);
	for (i = 0; i < r->x.nh && r->change != GONE; i++) {
		const struct procfd_holder *h = &r->x.h[i];
		printf("%s{\"pid\":%ld,\"ppid\":%ld,\"comm\":", i ? "," : "", (long)h->pid,
		    h->proc ? (long)h->proc->ppid : 0L);
		put_json(h->proc ? h->proc->comm : NULL);
		fputs(",\"exe\":", stdout);
		put_json(h->proc ? h->proc->exe : NULL);
		o = cgroup_cached(h->pid, report_round);
		fputs(",\"cgroup\":", stdout);
		put_json(o ? o->path : NULL);
		fputs(",\"runtime\":", stdout);
		put_json(o && o->runtime[0] ? o->runtime : NULL);
		fputs(",\"container\":", stdout);
		put_json(o && o->container[0] ? o->container : NULL);
		fputs(",\"pod\":", stdout);
		put_json(o && o->pod[0] ? o->pod : NULL);
		fputs(",\"unit\":", stdout);
		put_json(o && o->unit[0] ? o->unit : NULL);
		if (o && o->nspid)
			printf(",\"nspid\":%ld", o->nspid);
		else
			fputs(",\"nspid\":null", stdout);
		printf(",\"fd\":%d,\"cloexec\":%s,\"ancestor\":", h->fd,
		    cloexec_json[procfd_cloexec(t, h) + 1]);
		if ((up = diagnose_ancestor(t, r->x.h, r->x.nh, h->pid, &gen)) != 0)
			printf("%ld,\"generations\":%d}", (long)up, gen);
		else
			fputs("null,\"generations\":null}", stdout);
	}
	fputs("],\"flags\":[", stdout);
	for (i = 0; i < NFLAGS; i++)
		if (r->flags & 1u << i) {
			printf("%s\"%s\"", first ? "" : ",", flag_names[i]);
			first = 0;
		}
	fputs("],\"diagnosis\":", stdout);
	put_json(r->flags ? why : NULL);
	fputs("}\n", stdout);
}

void
report_row(const struct procfd *t, const struct row *r, unsigned long round)
{
	char why[2048] = "";

	if (r->flags && r->change != GONE)
		diagnose_explain(t, &r->x, r->flags, why, sizeof why);
	if (opt.json) {
		json_row(t, r, round, why);
	} else if (r->change == GONE) {
		char local[CONNID_LEN], peer[CONNID_LEN];
		diag_addr(r->x.s, 0, local, sizeof local);
		diag_addr(r->x.s, 1, peer, sizeof peer);
		printf("%s%-11s %-22s %-22s gone\n", marks[GONE], tcp_state_name(r->x.s->state),
		    local, r->x.s->state == TCPS_LISTEN ? "*" : peer);
	} else {
		text_row(t, r, why);
	}
}

void
report_summary(size_t shown, int flagged, const int *changed, unsigned long round)
{
	char when[16] = "";
	time_t now = time(NULL);
	struct tm tm;

	if (opt.json)
		return;
	if (round == 0) {
		printf("holders: %zu socket%s, %d flagged\n", shown, shown == 1 ? "" : "s", flagged);
		return;
	}
	if (localtime_r(&now, &tm))
		strftime(when, sizeof when, "%H:%M:%S", &tm);
	printf("holders: %s, every %ld ms, redraw %lu: %zu socket%s, %d flagged; "
	    "%d new (+), %d changed (*), %d gone (-)\n", when, opt.watch, round, shown,
	    shown == 1 ? "" : "s", flagged, changed[NEW], changed[CHANGED], changed[GONE]);
}
