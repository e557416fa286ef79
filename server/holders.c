/*
 * holders.c: which of the server's processes hold each connection's socket.
 *
 * The table lives in memory shared by the parent and every child it forks,
 * so a process that closes its copy knows whether it was the last holder,
 * the one whose close() sends the FIN (or the RST).
 */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/kernel.h"
#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

struct slot {
	atomic_flag lock;	/* held across close() and the count */
	pid_t pid[NHOLDERS];	/* [PARENT], [CHILD], [HELPER]: 0 none, -1 not yet known */
	char id[ADDRSTRLEN];	/* the connection's peer, for the log */
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

static int
count(const struct slot *s)
{
	int i, n = 0;

	for (i = 0; i < NHOLDERS; i++)
		n += s->pid[i] != 0;
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
		if (count(&slots[i]) == 0) {
			hint = i;
			return i;
		}
	}
	return -1;
}

int
holders_new(const char *id)
{
	int i = find_free();

	/* only the parent hands out slots, so a free one stays free meanwhile */
	if (i != -1) {
		slots[i].pid[PARENT] = getpid();
		snprintf(slots[i].id, sizeof slots[i].id, "%s", id);
	}
	return i;
}

const char *
holders_id(int slot)
{
	return slots[slot].id;
}

int
holders_full(void)
{
	return find_free() == -1;
}

void
holders_set(int slot, int who, pid_t pid)
{
	lock(&slots[slot]);
	slots[slot].pid[who] = pid;
	unlock(&slots[slot]);
}

int
holders_count(int slot)
{
	return count(&slots[slot]);
}

/*
 * What a close of fd would send if it is the last: bytes received but not
 * read (Linux, like RFC 1122 4.2.2.13 allows, sends RST then) and whether
 * SO_LINGER is {1, 0} (RST too). FIONREAD, unlike a peek, leaves a pending
 * error (a reset) for the processes that hold the socket to see.
 */
static void
pending(int fd, int *unread, int *linger0)
{
	struct linger l;
	socklen_t len = sizeof l;

	if (ioctl(fd, FIONREAD, unread) == -1)
		*unread = 0;
	*linger0 = getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 &&
	    l.l_onoff && l.l_linger == 0;
}

int
holders_close(int slot, int who, int fd, const char *extra)
{
	struct slot *s = &slots[slot];
	int r = 0, err = 0, before, after, unread = 0, linger0 = 0;
	char kernel[256] = "", kbefore[112], kafter[112];
	const char *state = NULL;
	unsigned long sock = 0;
	int64_t t;

	if (fd != -1 && log_on())
		state = kernel_tcp_state(fd);
	if (fd != -1 && log_on() && opt.kernel_holders) {
		sock = kernel_sock_id(fd);
		if (kernel_holders(sock, kbefore, sizeof kbefore) == -1)
			sock = 0;
	}
	lock(s);
	/* under the lock: the last closer sees what the others did to the socket */
	if (fd != -1 && log_on())
		pending(fd, &unread, &linger0);
	before = count(s);
	/* the time of the call: whatever close() sends leaves after it */
	t = now_ns();
	if (fd != -1 && (r = close(fd)) == -1)
		err = errno;
	s->pid[who] = 0;
	after = count(s);
	unlock(s);

	/* the kernel's own list of holders, where it tells: before and after */
	if (sock && kernel_holders(sock, kafter, sizeof kafter) == 0)
		snprintf(kernel, sizeof kernel, " kernel=%s->%s", kbefore, kafter);
	if (r == -1)
		logat(t, s->id, "close", "fd=%d err=%s%s", fd, errname(err), extra);
	else
		logat(t, s->id, "close", "fd=%d holders=%d->%d unread=%d linger=%s%s%s%s%s",
		    fd, before, after, unread, linger0 ? "0" : "off", kernel,
		    state ? " state=" : "", state ? state : "", extra);
	errno = err;
	return r;
}

/* Whether pid holds s, or (maybe) is the child about to. Read unlocked. */
static int
holds(const struct slot *s, pid_t pid, int maybe)
{
	int w;

	for (w = 0; w < NHOLDERS; w++)
		if (s->pid[w] == pid || (maybe && w == CHILD && s->pid[w] == -1))
			return 1;
	return 0;
}

void
holders_gone(pid_t pid, int maybe)
{
	int i, w, before, after;
	int64_t t;

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		/* a quick look first: only the slots it may hold are worth the lock */
		if (!holds(s, pid, i == maybe))
			continue;
		lock(s);
		before = count(s);
		t = now_ns();
		for (w = 0; w < NHOLDERS; w++)
			if (s->pid[w] == pid || (i == maybe && w == CHILD && s->pid[w] == -1))
				s->pid[w] = 0;
		after = count(s);
		unlock(s);
		if (after != before)
			logat(t, s->id, "close", "by=exit exited=%ld holders=%d->%d",
			    (long)pid, before, after);
	}
}
