/*
 * holders.c: which of the server's processes hold each connection's socket.
 *
 * A table in memory shared by the parent and every child it forks. Each
 * slot has a lock, the pids of its holders, and the connection's name. A
 * close and the count around it happen under the lock, so the process that
 * counts "->0" truly was the last holder, the one whose close() sent the
 * FIN (or the RST).
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

/*
 * How long a waiter spins between two looks at whether the lock's owner is
 * still alive: time, not a count of spins, which a loaded machine makes slow.
 */
enum { LOOK_EVERY_MS = 1 };

struct slot {
	atomic_int owner;		/* the pid that holds the lock, 0: free */
	atomic_int pid[NHOLDERS];	/* [PARENT], [CHILD], [HELPER]: 0 none, -1 not yet known */
	char id[CONNID_LEN];		/* the connection's peer, for the log */
};

static struct slot *slots;
static int nslots;
static pid_t self, parent;	/* this process, and its parent when it was forked */

int
holders_init(int n)
{
	char path[PATH_MAX];
	size_t size = (size_t)n * sizeof *slots;
	void *p;
	int fd, err;

	/* MAP_ANONYMOUS is not POSIX.1-2008: share an unlinked file instead */
	if (tmp_path(path, sizeof path, "closelab-holders-XXXXXX") == -1 ||
	    (fd = mkstemp(path)) == -1)
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
	/* a new file reads as zeros: every lock free, every slot empty */
	slots = p;
	nslots = n;
	holders_forked();
	return 0;
}

void
holders_forked(void)
{
	parent = self ? self : getppid();
	self = getpid();
}

/*
 * Whether pid, which holds a lock, is dead: gone (reaped), a zombie child
 * of ours (still unreaped: waitid() with WNOWAIT leaves it to the reaper),
 * or our parent, which has exited since it forked us. A stopped process is
 * alive: its lock waits for it.
 */
static int
dead(pid_t pid)
{
	siginfo_t si;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	if (pid == parent)
		return getppid() != parent;
	memset(&si, 0, sizeof si);
	return waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

void
holders_lock(int slot)
{
	atomic_int *owner = &slots[slot].owner;
	int64_t look = 0;
	int was;

	for (;;) {
		was = 0;
		if (atomic_compare_exchange_strong(owner, &was, self))
			return;
		if (look == 0) {
			/* no line waits for as long as the owner may take */
			log_flush();
			look = deadline(LOOK_EVERY_MS);
		} else if (now_ns() >= look) {
			/* killed inside the lock, its owner must not hang the others:
			 * take the lock over from exactly that owner, never from another */
			if (was != 0 && dead(was) && atomic_compare_exchange_strong(owner, &was, self))
				return;
			look = deadline(LOOK_EVERY_MS);
		}
		sched_yield();
	}
}

void
holders_unlock(int slot)
{
	int was = self;

	/* a lock that is not ours (taken over from us: impossible while we
	 * live) is left alone */
	atomic_compare_exchange_strong(&slots[slot].owner, &was, 0);
}

int
holders_count(int slot)
{
	int w, n = 0;

	for (w = 0; w < NHOLDERS; w++)
		n += atomic_load(&slots[slot].pid[w]) != 0;
	return n;
}

/* A slot nobody holds, or -1; the search goes on from the last one found. */
static int
find_free(void)
{
	static int hint;
	int i, k;

	for (k = 0; k < nslots; k++) {
		i = (hint + k) % nslots;
		if (holders_count(i) == 0) {
			hint = i;
			return i;
		}
	}
	return -1;
}

int
holders_new(void)
{
	int i = find_free();

	/* only the parent hands out slots, so a free one stays free meanwhile */
	if (i != -1) {
		atomic_store(&slots[i].pid[PARENT], self);
		slots[i].id[0] = '\0';
	}
	return i;
}

int
holders_full(void)
{
	return find_free() == -1;
}

char *
holders_id(int slot)
{
	return slots[slot].id;
}

void
holders_set(int slot, int who, pid_t pid)
{
	atomic_store(&slots[slot].pid[who], pid);
}

void
holders_claim(int slot, int who, pid_t was, pid_t pid)
{
	atomic_compare_exchange_strong(&slots[slot].pid[who], &was, pid);
}

pid_t
holders_pid(int slot, int who)
{
	return atomic_load(&slots[slot].pid[who]);
}

/*
 * Under the slot's lock: forget the other holders that have exited (the
 * kernel closed their copies) and not yet been reaped, so that a close is
 * counted against the holders that remain; their pids into tl, whose
 * reaping then finds nothing to drop. A process between closing its files
 * and becoming a zombie still counts: a window of microseconds.
 */
static void
forget_exited(int slot, int who, struct tally *tl)
{
	int w;

	tl->nexited = 0;
	for (w = 0; w < NHOLDERS; w++) {
		pid_t p = atomic_load(&slots[slot].pid[w]);
		if (w != who && p > 0 && p != self && dead(p)) {
			atomic_store(&slots[slot].pid[w], 0);
			tl->exited[tl->nexited++] = p;
		}
	}
}

int
holders_close(int slot, int who, int fd, struct tally *tl)
{
	int r;

	holders_lock(slot);
	tl->gone_t = now_ns();
	tl->gone_before = holders_count(slot);
	forget_exited(slot, who, tl);
	tl->look(fd, tl);
	tl->before = holders_count(slot);
	tl->t = now_ns();
	r = close(fd);
	tl->returned = now_ns();
	tl->err = r == -1 ? errno : 0;
	atomic_store(&slots[slot].pid[who], 0);
	tl->after = holders_count(slot);
	if (tl->looked)
		tl->looked(tl);
	holders_unlock(slot);
	errno = tl->err;
	return r;
}

int
holders_drop(int slot, pid_t pid, struct tally *tl)
{
	int w, dropped = 0;

	holders_lock(slot);
	tl->before = holders_count(slot);
	tl->t = now_ns();
	for (w = 0; w < NHOLDERS; w++) {
		pid_t p = atomic_load(&slots[slot].pid[w]);
		if (p == pid) {
			atomic_store(&slots[slot].pid[w], 0);
			dropped = 1;
		}
	}
	tl->after = holders_count(slot);
	holders_unlock(slot);
	return dropped;
}

int
holders_slots(void)
{
	return nslots;
}
