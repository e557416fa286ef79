/*
 * procfd.c: which processes hold each socket. /proc/PID/stat gives the
 * parent, the command name and the start time of every process;
 * /proc/PID/fd the descriptors, whose links read "socket:[INODE]" (those
 * whose link grants nothing are O_PATH: they hold no reference), and
 * /proc/PID/task/TID/fd those of a thread whose table is its own
 * (unshare(CLONE_FILES): kcmp() tells, where the kernel has it);
 * /proc/PID/exe the program; and, only when asked for, /proc/PID/fdinfo/FD
 * the flags, O_CLOEXEC among them. Linux only: elsewhere procfd_scan()
 * fails with ENOSYS.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* O_DIRECTORY and O_CLOEXEC on every libc */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <errno.h>
#include <stdlib.h>

#include "procfd.h"

/* A holder's close-on-exec flag before procfd_cloexec() reads it. */
#define CLOEXEC_UNREAD (-2)

struct procfd {
	struct procfd_proc *procs;	/* by pid */
	size_t nprocs;
	struct procfd_holder *holders;	/* by inode, pid, fd */
	size_t nholders;
	int unreadable;
};

static int
by_pid(const void *a, const void *b)
{
	const struct procfd_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

const struct procfd_proc *
procfd_proc(const struct procfd *t, pid_t pid)
{
	struct procfd_proc key = { .pid = pid };

	if (t->nprocs == 0)
		return NULL;
	return bsearch(&key, t->procs, t->nprocs, sizeof key, by_pid);
}

const struct procfd_holder *
procfd_holders(const struct procfd *t, unsigned long inode, size_t *n)
{
	size_t lo = 0, hi = t->nholders, end;

	/* the first holder of inode, then how many follow */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->holders[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < t->nholders && t->holders[end].inode == inode; end++)
		;
	*n = end - lo;
	return *n ? &t->holders[lo] : NULL;
}

int
procfd_unreadable(const struct procfd *t)
{
	return t->unreadable;
}

void
procfd_free(struct procfd *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nprocs; i++)
		free(t->procs[i].exe);
	free(t->procs);
	free(t->holders);
	free(t);
}

#ifdef __linux__

/* PF_KTHREAD in the flags of /proc/PID/stat: a kernel thread has no descriptors. */
#define KTHREAD 0x00200000u

/* What the scan needs while it runs. */
struct scan {
	struct procfd *t;
	size_t proccap, holdcap;
	unsigned long *want;		/* sorted, NULL: every socket */
	size_t nwant;
	int procdir;			/* /proc */
};

static int
by_inode(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

static int
by_holder(const void *a, const void *b)
{
	const struct procfd_holder *x = a, *y = b;

	if (x->inode != y->inode)
		return (x->inode > y->inode) - (x->inode < y->inode);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* Make room for one more of an array of size each; -1 if memory runs out. */
static int
grow(void *arrayp, size_t n, size_t *cap, size_t size)
{
	void **array = arrayp, *p;
	size_t want;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : 256;
	if ((p = realloc(*array, want * size)) == NULL)
		return -1;
	*array = p;
	*cap = want;
	return 0;
}

/* Read a small file under dir into buf (NUL-ended); its length, or -1. */
static ssize_t
read_at(int dir, const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = openat(dir, path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	do
		n = read(fd, buf, len - 1);
	while (n == -1 && errno == EINTR);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * Parse "PID (COMM) S PPID ... FLAGS ... THREADS . STARTTIME" into p; the
 * state in *state, the kernel's flags in *flags and the number of threads
 * in *threads. -1 if it is not such a line.
 */
static int
parse_stat(char *line, struct procfd_proc *p, char *state, unsigned *flags, int *threads)
{
	char *open = strchr(line, '('), *close = strrchr(line, ')');
	size_t len;
	int ppid;

	if (open == NULL || close == NULL || close < open)
		return -1;
	/* the name may hold anything, ')' and spaces too: it ends at the last ')' */
	len = close - open - 1;
	if (len >= sizeof p->comm)
		len = sizeof p->comm - 1;
	memcpy(p->comm, open + 1, len);
	p->comm[len] = '\0';
	if (sscanf(close + 1, " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d"
	    " %*d %d %*d %llu", state, &ppid, flags, threads, &p->start) != 5)
		return -1;
	p->ppid = ppid;
	return 0;
}

/* Whether the scan looks for socket inode. */
static int
wanted(const struct scan *s, unsigned long inode)
{
	return s->want == NULL ||
	    bsearch(&inode, s->want, s->nwant, sizeof inode, by_inode) != NULL;
}

/*
 * Whether descriptor name of the fd directory dir refers to its file. The
 * link's mode is the descriptor's access: none for O_PATH, which opening
 * /proc/PID/fd/N can make of any socket, and which holds no reference to
 * the socket open: closing the others ends it (fs/proc/fd.c,
 * tid_fd_update_inode()). Gone: no longer held.
 */
static int
referring(int dir, const char *name)
{
	struct stat st;

	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 0777) != 0;
}

/*
 * Record the wanted sockets that process pid (a directory name in /proc)
 * holds; the number found, or -1 if they cannot be read.
 */
static int
scan_fds(struct scan *s, const char *pid)
{
	struct procfd *t = s->t;
	char path[336], link[64];
	struct dirent *e;
	int dir, found = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/fd", pid);
	if ((dir = openat(s->procdir, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(dir)) == NULL) {
		close(dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct procfd_holder *h;
		unsigned long inode;
		char *end;
		ssize_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		n = readlinkat(dir, e->d_name, link, sizeof link - 1);
		if (n < 9 || strncmp(link, "socket:[", 8) != 0)
			continue;
		link[n] = '\0';
		inode = strtoul(link + 8, &end, 10);
		if (*end != ']' || !wanted(s, inode) || !referring(dir, e->d_name))
			continue;
		if (grow(&t->holders, t->nholders, &s->holdcap, sizeof *t->holders) == -1) {
			found = -1;
			break;
		}
		h = &t->holders[t->nholders++];
		h->inode = inode;
		h->pid = atoi(pid);
		h->fd = atoi(e->d_name);
		h->cloexec = CLOEXEC_UNREAD;
		h->proc = NULL;		/* found once the table of processes is sorted */
		found++;
	}
	closedir(d);
	if (found == -1)
		errno = ENOMEM;
	return found;
}

/*
 * Record the wanted sockets that the threads of process pid hold in
 * descriptor tables of their own (unshare(CLONE_FILES)), as the process's;
 * with its leader gone (pthread_exit(): a zombie whose table is empty),
 * those of every table its threads hold. The number found, or -1 with ENOMEM.
 */
static int
scan_threads(struct scan *s, const char *pid, int leader_gone)
{
	char path[320];
	pid_t first = 0;
	struct dirent *e;
	int dir, found = 0, n;
	DIR *d;

	snprintf(path, sizeof path, "%s/task", pid);
	if ((dir = openat(s->procdir, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(dir)) == NULL) {
		close(dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9' || strcmp(e->d_name, pid) == 0)
			continue;
#ifdef SYS_kcmp
		/* 0: the table is one read already, the leader's or, with the
		 * leader gone, the first thread's (2: KCMP_FILES) */
		if (syscall(SYS_kcmp, first ? first : (pid_t)atoi(pid), (pid_t)atoi(e->d_name), 2,
		    0, 0) == 0)
			continue;
#endif
		if (leader_gone && !first)
			first = (pid_t)atoi(e->d_name);
		snprintf(path, sizeof path, "%s/task/%s", pid, e->d_name);
		if ((n = scan_fds(s, path)) == -1 && errno == ENOMEM) {
			found = -1;
			break;
		}
		found += n > 0 ? n : 0;
	}
	closedir(d);
	if (found == -1)
		errno = ENOMEM;
	return found;
}

/* The program of process pid, or NULL. */
static char *
exe_of(const struct scan *s, const char *pid)
{
	char path[64], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof path, "%s/exe", pid);
	if ((n = readlinkat(s->procdir, path, link, sizeof link - 1)) <= 0)
		return NULL;
	link[n] = '\0';
	return strdup(link);
}

/* Read process pid (a directory name in /proc) into the table; -1 on ENOMEM. */
static int
scan_proc(struct scan *s, const char *pid)
{
	struct procfd *t = s->t;
	struct procfd_proc *p;
	char path[64], line[1024], state;
	unsigned flags;
	int n, threads;

	snprintf(path, sizeof path, "%s/stat", pid);
	if (read_at(s->procdir, path, line, sizeof line) <= 0)
		return 0;	/* gone */
	if (grow(&t->procs, t->nprocs, &s->proccap, sizeof *t->procs) == -1)
		return -1;
	p = &t->procs[t->nprocs];
	p->pid = atoi(pid);
	p->exe = NULL;
	p->unreadable = 0;
	if (parse_stat(line, p, &state, &flags, &threads) == -1 || (flags & KTHREAD))
		return 0;
	t->nprocs++;
	/* a zombie's descriptors are closed already; but a leader that has
	 * left its threads (which the count includes it in) leaves them theirs */
	if ((state == 'Z' || state == 'X') && threads <= 1)
		return 0;
	if (state == 'Z' || state == 'X')
		n = 0;
	else if ((n = scan_fds(s, pid)) == -1) {
		if (errno == ENOMEM)
			return -1;
		if (errno == EACCES || errno == EPERM) {
			t->unreadable++;
			p->unreadable = 1;
		}
		return 0;
	}
	if (threads > 1) {
		int more = scan_threads(s, pid, state == 'Z' || state == 'X');
		if (more == -1)
			return -1;
		n += more;
	}
	if (n > 0)
		p->exe = exe_of(s, pid);
	return 0;
}

/* A sorted copy of want, without repeats; *n its length. */
static unsigned long *
want_set(const unsigned long *want, size_t *n)
{
	unsigned long *set;
	size_t i, j;

	if ((set = malloc((*n ? *n : 1) * sizeof *set)) == NULL)
		return NULL;
	memcpy(set, want, *n * sizeof *set);
	qsort(set, *n, sizeof *set, by_inode);
	for (i = j = 0; i < *n; i++)
		if (j == 0 || set[j - 1] != set[i])
			set[j++] = set[i];
	*n = j;
	return set;
}

struct procfd *
procfd_scan(const unsigned long *want, size_t n)
{
	struct scan s = { .want = NULL, .procdir = -1 };
	struct dirent *e;
	size_t i, k;
	DIR *proc = NULL;
	int err;

	if ((s.t = calloc(1, sizeof *s.t)) == NULL)
		return NULL;
	if (want && (s.want = want_set(want, &n)) == NULL)
		goto fail;
	s.nwant = n;
	if ((proc = opendir("/proc")) == NULL)
		goto fail;
	s.procdir = dirfd(proc);
	while ((e = readdir(proc)) != NULL)
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && scan_proc(&s, e->d_name) == -1)
			goto fail;
	closedir(proc);
	free(s.want);

	/* now that the processes stay where they are: sort, and point at them
	 * (qsort() wants an array, even for none) */
	if (s.t->nprocs)
		qsort(s.t->procs, s.t->nprocs, sizeof *s.t->procs, by_pid);
	if (s.t->nholders)
		qsort(s.t->holders, s.t->nholders, sizeof *s.t->holders, by_holder);
	/* a descriptor that a thread's own table holds as the leader's did is one */
	for (i = k = 0; i < s.t->nholders; i++)
		if (k == 0 || by_holder(&s.t->holders[k - 1], &s.t->holders[i]) != 0)
			s.t->holders[k++] = s.t->holders[i];
	s.t->nholders = k;
	for (i = 0; i < s.t->nholders; i++)
		s.t->holders[i].proc = procfd_proc(s.t, s.t->holders[i].pid);
	return s.t;
fail:
	err = errno;
	if (proc)
		closedir(proc);
	free(s.want);
	procfd_free(s.t);
	errno = err;
	return NULL;
}

int
procfd_cloexec(const struct procfd *t, const struct procfd_holder *h)
{
	struct procfd_holder *mine = &t->holders[h - t->holders];
	char path[64], buf[512], *flags, *ino;
	int cloexec = -1;

	if (h->cloexec != CLOEXEC_UNREAD)
		return h->cloexec;
	/* read since the scan: the descriptor may have been closed and its
	 * number reused, which the inode (Linux 5.14 and later) shows */
	snprintf(path, sizeof path, "/proc/%ld/fdinfo/%d", (long)h->pid, h->fd);
	if (read_at(AT_FDCWD, path, buf, sizeof buf) > 0 &&
	    (flags = strstr(buf, "flags:")) != NULL &&
	    ((ino = strstr(buf, "\nino:")) == NULL || strtoul(ino + 5, NULL, 10) == h->inode))
		/* octal; the kernel shows O_CLOEXEC there when the descriptor has it */
		cloexec = (strtoul(flags + 6, NULL, 8) & O_CLOEXEC) != 0;
	return mine->cloexec = cloexec;
}

#else

struct procfd *
procfd_scan(const unsigned long *want, size_t n)
{
	(void)want, (void)n;
	errno = ENOSYS;
	return NULL;
}

int
procfd_cloexec(const struct procfd *t, const struct procfd_holder *h)
{
	(void)t, (void)h;
	return -1;
}

#endif
