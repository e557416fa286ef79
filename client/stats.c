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

void
print_server_latency(const struct exchange *ex, long n, const char *server_log)
{
	int64_t *server_t = calloc(n, sizeof *server_t), *lat = malloc(n * sizeof *lat);
	const char **what = calloc(n, sizeof *what);
	long i, m = 0;

	if (!server_t || !lat || !what)
		die(EXIT_RUNTIME, "out of memory");
	server_ends(ex, n, server_log, server_t, what);
	for (i = 0; i < n; i++) {
		if (!server_t[i] || (ex[i].end != END_EOF && ex[i].end != END_RST))
			continue;
		if (strcmp(what[i], "exit") == 0 || strcmp(what[i], "release") == 0) {
			/* the exit's own time is not in the log, nor the instant a
			 * call's return dropped the socket (before it was stamped): no figure */
			printf("fin conn=%s server=%s client=%s\n", ex[i].id, what[i],
			    endnames[ex[i].end]);
			continue;
		}
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
	free(server_t);
	free(lat);
	free(what);
}
