/*
 * holders.c: which of the server's processes hold each connection's socket.
 *
 * The table lives in memory shared by the parent and every child it forks,
 * so a process that closes its copy knows whether it was the last holder,
 * the one whose close() sends the FIN.
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/util.h"
#include "server.h"

struct slot {
	atomic_flag lock;	/* held across close() and the count */
	unsigned char holds[2];	/* [PARENT], [CHILD] */
};

static struct slot *slots;
static int nslots;

int
holders_init(int n)
{
	char path[] = "/tmp/closelab-holders-XXXXXX";
	size_t size = (size_t)n * sizeof *slots;
	void *p;
	int fd, i, err;

	/* MAP_ANONYMOUS is not POSIX.1-2008: share an unlinked file instead */
	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	p = ftruncate(fd, size) == -1 ? MAP_FAILED
	    : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = err;
		return -1;
	}
	slots = p;
	nslots = n;
	for (i = 0; i < n; i++)
		atomic_flag_clear(&slots[i].lock);
	return 0;
}

static void
lock(struct slot *s)
{
	int64_t give_up = 0;
	unsigned spins = 0;

	while (atomic_flag_test_and_set(&s->lock)) {
		/* a holder killed inside the lock must not hang the others */
		if (++spins % 1024 == 0) {
			if (give_up == 0)
				give_up = now_ns() + 1000000000;
			else if (now_ns() > give_up)
				return;
		}
		sched_yield();
	}
}

static void
unlock(struct slot *s)
{
	atomic_flag_clear(&s->lock);
}

/* A slot nobody holds, or -1. */
static int
find_free(void)
{
	int i;

	for (i = 0; i < nslots; i++)
		if (!slots[i].holds[PARENT] && !slots[i].holds[CHILD])
			return i;
	return -1;
}

int
holders_new(void)
{
	int i = find_free();

	/* only the parent hands out slots, so a free one stays free meanwhile */
	if (i != -1)
		slots[i].holds[PARENT] = 1;
	return i;
}

int
holders_full(void)
{
	return find_free() == -1;
}

void
holders_drop(int slot)
{
	slots[slot].holds[PARENT] = 0;
}

void
holders_child(int slot, int on)
{
	lock(&slots[slot]);
	slots[slot].holds[CHILD] = on;
	unlock(&slots[slot]);
}

int
holders_close(int slot, int who, int fd, int *before, int *after, int64_t *t)
{
	struct slot *s = &slots[slot];
	int r = 0, err;

	lock(s);
	*before = s->holds[PARENT] + s->holds[CHILD];
	/* the time of the call: whatever close() sends leaves after it */
	*t = now_ns();
	if (fd != -1)
		r = close(fd);
	err = errno;
	s->holds[who] = 0;
	*after = s->holds[PARENT] + s->holds[CHILD];
	unlock(s);
	errno = err;
	return r;
}

int
holders_count(int slot)
{
	return slots[slot].holds[PARENT] + slots[slot].holds[CHILD];
}
