/*
 * order.c: the records in the order of their time. bpftrace reads its
 * CPUs' buffers one after another, so that a record may come after a later
 * one of another CPU, a batch or more later. Each CPU writes a tick fifty
 * times a second (closes.bt), and its buffer keeps the order it
 * wrote in: once a CPU's tick has been read, so has every record that CPU
 * wrote before it. A record is taken once every CPU's last tick is later.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../common/util.h"
#include "trace.h"

#define MARGIN_NS 1000000LL		/* a record whose probe a tick interrupted */
#define SILENT_NS 1000000000LL		/* a CPU silent that long is offline */

/* Each CPU's last tick: its clock then, and when it was read. */
static struct clock {
	int64_t t, read_at;
} *cpus;
static int ncpus;

void
order_tick(int cpu, int64_t t, int64_t now)
{
	struct clock *c;

	if (cpu < 0 || cpu > 65535)
		return;
	if (cpu >= ncpus) {
		if ((c = realloc(cpus, (size_t)(cpu + 1) * sizeof *c)) == NULL)
			die(EXIT_RUNTIME, "out of memory");
		for (cpus = c; ncpus <= cpu; ncpus++)
			cpus[ncpus].t = cpus[ncpus].read_at = 0;
	}
	if (t > cpus[cpu].t)
		cpus[cpu].t = t;
	cpus[cpu].read_at = now;
}

int64_t
order_read_until(int64_t now)
{
	int64_t until = INT64_MAX;
	int i, heard = 0;

	for (i = 0; i < ncpus; i++)
		if (cpus[i].read_at && now - cpus[i].read_at < SILENT_NS) {
			heard = 1;
			if (cpus[i].t < until)
				until = cpus[i].t;
		}
	return heard ? until - MARGIN_NS : INT64_MIN;
}

size_t
order_sort(struct record *r, size_t n, int64_t until)
{
	struct record x;
	size_t i, j;

	/* insertion, stable: the records come nearly in order */
	for (i = 1; i < n; i++) {
		if (r[i].t >= r[i - 1].t)
			continue;
		x = r[i];
		for (j = i; j > 0 && r[j - 1].t > x.t; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	for (i = 0; i < n && r[i].t <= until; i++)
		;
	return i;
}
