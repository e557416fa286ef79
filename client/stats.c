/* stats.c: many exchanges summed up, and the server's view of their ends */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/util.h"
#include "client.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile (nearest rank) of n sorted values. */
static int64_t
pct(const int64_t *v, long n, int p)
{
	long k = (n * p + 99) / 100;

	return v[k > 0 ? k - 1 : 0];
}

/* Buckets of powers of two microseconds, as bars of at most 40 '#'. */
static void
histogram(const int64_t *v, long n, const char *unit, double scale)
{
	long count[64] = { 0 }, most = 0, i;
	int b, lo = 63, hi = 0, k;

	for (i = 0; i < n; i++) {
		int64_t us = v[i] / 1000;
		for (b = 0; b < 62 && us >= ((int64_t)1 << (b + 1)); b++)
			;
		count[b]++;
		lo = b < lo ? b : lo;
		hi = b > hi ? b : hi;
	}
	for (b = lo; b <= hi; b++)
		most = count[b] > most ? count[b] : most;
	for (b = lo; b <= hi; b++) {
		printf("  %9.3f-%-9.3f %s |", (double)((int64_t)1 << b) / scale,
		    (double)((int64_t)1 << (b + 1)) / scale, unit);
		for (k = 0; k < (int)(count[b] * 40 / (most ? most : 1)); k++)
			putchar('#');
		if (count[b] && count[b] * 40 / most == 0)
			putchar('.');
		printf(" %ld\n", count[b]);
	}
}

void
print_stats(const struct exchange *ex, long n, int64_t wall_ns)
{
	long ends[END_ERROR + 1] = { 0 }, errors = 0, mismatches = 0, m = 0, i;
	int64_t *ms = malloc(n * sizeof *ms);

	if (ms == NULL)
		die(EXIT_RUNTIME, "out of memory");
	for (i = 0; i < n; i++) {
		ends[ex[i].end]++;
		if (ex[i].end == END_ERROR) {
			errors++;
			continue;
		}
		if (ex[i].mismatch) {
			errors++;
			if (++mismatches <= 5)
				warn("exchange %ld (%s): the echo differs from what was sent",
				    i + 1, ex[i].id);
		}
		ms[m++] = ex[i].end_t - ex[i].start;
	}
	for (i = 0; i < n && ends[END_ERROR]; i++)
		if (ex[i].end == END_ERROR) {
			warn("%ld exchanges failed; the first: %s: %s", ends[END_ERROR],
			    opt.peers[ex[i].peer].where, strerror(ex[i].err));
			break;
		}
	qsort(ms, m, sizeof *ms, cmp_i64);
	if (m > 0) {
		printf("time from connect() to the end, %ld exchanges:\n", m);
		histogram(ms, m, "ms", 1000.0);
	}
	printf("stats runs=%ld eof=%ld rst=%ld timeout=%ld closed=%ld errors=%ld", n,
	    ends[END_EOF], ends[END_RST], ends[END_TIMEOUT], ends[END_CLOSED], errors);
	if (m > 0)
		printf(" ms_min=%.3f ms_p50=%.3f ms_p90=%.3f ms_p99=%.3f ms_max=%.3f",
		    ms[0] / 1e6, pct(ms, m, 50) / 1e6, pct(ms, m, 90) / 1e6,
		    pct(ms, m, 99) / 1e6, ms[m - 1] / 1e6);
	printf(" rate=%.1f\n", wall_ns > 0 ? n / (wall_ns / 1e9) : 0.0);
	free(ms);
}

/* Exchanges ordered by connection id, then by start: ports get reused. */
static const struct exchange *sorted_ex;

static int
cmp_id(const void *a, const void *b)
{
	const struct exchange *x = &sorted_ex[*(const long *)a];
	const struct exchange *y = &sorted_ex[*(const long *)b];
	int c = strcmp(x->id, y->id);

	return c ? c : (x->start > y->start) - (x->start < y->start);
}

/* The first of the sorted exchanges with this id, or -1. */
static long
find(const long *order, long n, const char *id)
{
	long lo = 0, hi = n;

	while (lo < hi) {
		long mid = (lo + hi) / 2;
		if (strcmp(sorted_ex[order[mid]].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(sorted_ex[order[lo]].id, id) == 0 ? lo : -1;
}

int
print_server_latency(const struct exchange *ex, long n, const char *server_log)
{
	char line[1024], id[ADDRSTRLEN], ev[32], how[16], holders[16];
	long *order, *cursor, i, g, m = 0;
	int64_t *server_t, *lat;
	const char **what;
	FILE *f;

	if ((f = fopen(server_log, "r")) == NULL)
		return -1;
	order = malloc(n * sizeof *order);
	cursor = malloc(n * sizeof *cursor);
	server_t = calloc(n, sizeof *server_t);
	lat = malloc(n * sizeof *lat);
	what = calloc(n, sizeof *what);
	if (!order || !cursor || !server_t || !lat || !what)
		die(EXIT_RUNTIME, "out of memory");
	sorted_ex = ex;
	for (i = 0; i < n; i++) {
		order[i] = i;
		cursor[i] = -1;
	}
	qsort(order, n, sizeof *order, cmp_id);

	/*
	 * Each accept starts the next exchange of that id; its first shutdown
	 * that sends a FIN, or its last close, is the server's end of it.
	 */
	while (fgets(line, sizeof line, f)) {
		if (!log_field(line, "conn", id, sizeof id) || !log_field(line, "ev", ev, sizeof ev) ||
		    (g = find(order, n, id)) == -1)
			continue;
		if (strcmp(ev, "accept") == 0) {
			cursor[g]++;
			continue;
		}
		i = g + cursor[g];
		if (cursor[g] < 0 || i >= n || strcmp(ex[order[i]].id, id) != 0 ||
		    server_t[order[i]])
			continue;
		if (strcmp(ev, "shutdown") == 0 && log_field(line, "how", how, sizeof how) &&
		    strcmp(how, "SHUT_RD") != 0 && !strstr(line, " err="))
			what[order[i]] = "shutdown";
		else if (strcmp(ev, "close") == 0 && log_field(line, "holders", holders, sizeof holders) &&
		    strstr(holders, "->0"))
			what[order[i]] = "close";
		else
			continue;
		server_t[order[i]] = strtoll(line + 2, NULL, 10);
	}
	fclose(f);

	for (i = 0; i < n; i++) {
		if (!server_t[i] || (ex[i].end != END_EOF && ex[i].end != END_RST))
			continue;
		lat[m++] = ex[i].end_t - server_t[i];
		printf("fin conn=%s server=%s client=%s us=%.3f\n", ex[i].id, what[i],
		    endnames[ex[i].end], (ex[i].end_t - server_t[i]) / 1e3);
	}
	qsort(lat, m, sizeof *lat, cmp_i64);
	if (m > 0) {
		printf("time from the server's shutdown or last close to the client's end:\n");
		histogram(lat, m, "us", 1.0);
		printf("fin runs=%ld us_min=%.3f us_p50=%.3f us_p90=%.3f us_p99=%.3f us_max=%.3f\n",
		    m, lat[0] / 1e3, pct(lat, m, 50) / 1e3, pct(lat, m, 90) / 1e3,
		    pct(lat, m, 99) / 1e3, lat[m - 1] / 1e3);
	} else {
		printf("fin runs=0\n");
	}
	free(order);
	free(cursor);
	free(server_t);
	free(lat);
	free(what);
	return 0;
}
