/*
 * keep.c: the parent's own copy of each connection, and its bookkeeping,
 * from accept() to the close. The copy waits in line for an idle worker,
 * then, once handed off (or forked), the parent lets go at once, later,
 * never, or on SIGUSR1, as --parent-keeps says. While it keeps it, no
 * close() of the worker's can send the FIN.
 */
#include "../common/util.h"
#include "server.h"

/* A connection the parent holds, by its holders slot (where its id is). */
static struct held {
	int fd;		/* -1: the parent holds no copy */
	int waiting;	/* in line for a worker */
	int prev, next;	/* in line: the slots before and after it, or -1 */
	int kept;	/* handed off, and kept as --parent-keeps says */
	int64_t until;	/* when to close: ns, KEEP_NEVER or KEEP_SIGNAL */
} held[MAXCONN];

static int nkept, nwaiting;
static int first = -1, last = -1;	/* the line of connections waiting */

static const struct held none = { -1, 0, -1, -1, 0, 0 };

void
keep_open(void)
{
	int i;

	for (i = 0; i < MAXCONN; i++)
		held[i] = none;
}

void
keep_hold(int slot, int fd)
{
	held[slot] = none;
	held[slot].fd = fd;
	held[slot].waiting = 1;
	held[slot].prev = last;
	parent_only(fd);
	if (last == -1)
		first = slot;
	else
		held[last].next = slot;
	last = slot;
	nwaiting++;
}

int
keep_first_waiting(void)
{
	return first;
}

int
keep_waiting_count(void)
{
	return nwaiting;
}

/* Take slot out of the line, wherever it is in it. */
static void
leave_line(int slot)
{
	struct held *h = &held[slot];

	if (!h->waiting)
		return;
	if (h->prev == -1)
		first = h->next;
	else
		held[h->prev].next = h->next;
	if (h->next == -1)
		last = h->prev;
	else
		held[h->next].prev = h->prev;
	h->prev = h->next = -1;
	h->waiting = 0;
	nwaiting--;
}

int
keep_fd(int slot)
{
	return held[slot].fd;
}

void
keep_release(int slot, const char *why)
{
	leave_line(slot);
	parent_only_gone(held[slot].fd);
	conn_close(slot, PARENT, held[slot].fd, holders_id(slot), why, NULL);
	if (held[slot].kept)
		nkept--;
	held[slot] = none;
}

void
keep_after_handoff(int slot)
{
	struct held *h = &held[slot];

	leave_line(slot);
	if (opt.model == MODEL_THREAD) {
		/* the thread serves this very descriptor: nothing to keep or close */
		parent_only_gone(h->fd);
		*h = none;
		return;
	}
	if (opt.parent_keeps == 0) {
		keep_release(slot, "0");
		return;
	}
	h->kept = 1;
	h->until = opt.parent_keeps > 0 ? deadline(opt.parent_keeps) : opt.parent_keeps;
	nkept++;
}

int64_t
keep_release_due(void)
{
	int64_t now, next = 0;
	int i;

	if (nkept == 0)
		return 0;
	now = now_ns();
	for (i = 0; i < MAXCONN; i++) {
		struct held *h = &held[i];
		if (!h->kept || h->until < 0)
			continue;	/* not kept, or kept for ever or for a signal */
		if (h->until <= now)
			keep_release(i, "timer");
		else if (next == 0 || h->until < next)
			next = h->until;
	}
	return next;
}

void
keep_release_signalled(void)
{
	int i;

	for (i = 0; i < MAXCONN && nkept > 0; i++)
		if (held[i].kept && held[i].until == KEEP_SIGNAL)
			keep_release(i, "signal");
}

void
keep_release_all(void)
{
	int i;

	for (i = 0; i < MAXCONN; i++)
		if (held[i].fd != -1)
			keep_release(i, "exit");
}

int
keep_count(void)
{
	return nkept;
}
