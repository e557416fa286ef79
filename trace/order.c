/*
 * order.c: the records in the order of their times. bpftrace reads its
 * CPUs' buffers one after another, so that a record may come after a later
 * one of another CPU, a batch or more later. Each CPU writes a tick fifty
 * times a second (closes.bt), and its buffer keeps the order it wrote in:
 * once a CPU's tick has been read, so has every record that CPU wrote
 * before it. A record is taken once every online CPU's last tick is later.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/util.h"
#include "trace.h"

#define MARGIN_NS 1000000LL	/* a record whose probe a tick interrupted */
#define ONLINE_EVERY_NS 1000000000LL	/* how often to read which CPUs are online */
#define LATE_CPU_NS 2000000000LL	/* online, never ticked: come online after the start */
#define MAXCPU 4096

/* Each CPU's last tick, 0 if none yet; whether it is online. */
static int64_t tick[MAXCPU];
static char online[MAXCPU];
static int64_t first_tick, online_at;
static int know_online;

/* Which CPUs are online, from sysfs ("0-3,6"); 0, or -1 if it cannot tell. */
static int
read_online(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int lo, hi, c, n;
	char sep;

	if (f == NULL)
		return -1;
	for (c = 0; c < MAXCPU; c++)
		online[c] = 0;
	while ((n = fscanf(f, "%d", &lo)) == 1) {
		hi = lo;
		if ((sep = (char)fgetc(f)) == '-') {
			if (fscanf(f, "%d", &hi) != 1)
				break;
			sep = (char)fgetc(f);
		}
		for (c = lo < 0 ? 0 : lo; c <= hi && c < MAXCPU; c++)
			online[c] = 1;
		if (sep != ',')
			break;
	}
	fclose(f);
	return 0;
}

void
order_tick(int cpu, int64_t t, int64_t now)
{
	if (cpu < 0 || cpu >= MAXCPU)
		return;
	if (t > tick[cpu])
		tick[cpu] = t;
	if (first_tick == 0)
		first_tick = now;
}

int64_t
order_read_until(int64_t now)
{
	int64_t until = INT64_MAX;
	int c, heard = 0;

	if (now >= online_at) {
		know_online = read_online() == 0;
		online_at = now + ONLINE_EVERY_NS;
	}
	for (c = 0; c < MAXCPU; c++) {
		if (know_online ? !online[c] : tick[c] == 0)
			continue;
		if (tick[c] == 0) {
			/* not ticked yet: wait for it, unless it came online since */
			if (first_tick == 0 || now - first_tick < LATE_CPU_NS)
				return 0;
			continue;
		}
		heard = 1;
		if (tick[c] < until)
			until = tick[c];
	}
	return heard ? until - MARGIN_NS : 0;
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
