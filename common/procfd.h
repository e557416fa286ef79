/*
 * procfd.h: which processes hold each socket, from /proc (Linux). One scan
 * of every process makes a table from socket inode to the descriptors that
 * refer to it, with the process behind each: bin/holders and any other
 * program that must name the holders of a socket use it.
 */
#ifndef PROCFD_H
#define PROCFD_H

#include <stddef.h>
#include <sys/types.h>

/* A process, as /proc/PID/stat and /proc/PID/exe show it. */
struct procfd_proc {
	pid_t pid;
	pid_t ppid;
	unsigned long long start;	/* start time, clock ticks after boot */
	char comm[16];			/* command name, cut by the kernel to 15 bytes */
	char *exe;			/* its program; NULL if not known */
	int unreadable;			/* its descriptors could not be read: not ours */
};

/* One descriptor that refers to a socket. */
struct procfd_holder {
	unsigned long inode;		/* the socket's inode */
	pid_t pid;
	int fd;
	int cloexec;			/* procfd_cloexec()'s, once it has read it */
	const struct procfd_proc *proc;
};

struct procfd;

/*
 * Scan every process for descriptors of the sockets whose inodes are in
 * want (n of them, in any order), or of every socket if want is NULL. The
 * programs (exe) are read for the processes that hold one. NULL with errno
 * if /proc cannot be read or memory runs out; ENOSYS where not Linux.
 */
struct procfd *procfd_scan(const unsigned long *want, size_t n);
/* The holders of socket inode, by pid then fd: *n of them; NULL if none. */
const struct procfd_holder *procfd_holders(const struct procfd *t, unsigned long inode,
    size_t *n);
/*
 * Whether holder h (of t) is close-on-exec: 1, 0, or -1 if not known (the
 * descriptor is gone, or the process cannot be read). Read from /proc the
 * first time it is asked for, which is after the scan: a program asks only
 * where its answer matters, since a read costs three system calls.
 */
int procfd_cloexec(const struct procfd *t, const struct procfd_holder *h);
/* Process pid as the scan saw it; NULL if it did not (gone, or a kernel thread). */
const struct procfd_proc *procfd_proc(const struct procfd *t, pid_t pid);
/* How many processes the scan could not read: another user's, without the right. */
int procfd_unreadable(const struct procfd *t);
void procfd_free(struct procfd *t);

#endif
