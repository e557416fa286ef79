/* netns.c: the network namespaces, and a socket made in another (Linux: setns()) */
#ifdef __linux__
#define _GNU_SOURCE		/* setns() */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#define NSFS_MAGIC 0x6e736673	/* linux/magic.h */
#endif
#include <errno.h>
#include <sys/socket.h>

#include "netns.h"
#include "util.h"

int
netns_socket(int netns, int domain, int type, int protocol)
{
#ifdef __linux__
	int self, fd, err;

	if (netns == -1)
		return socket(domain, type, protocol);
	if ((self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (setns(netns, CLONE_NEWNET) == -1) {
		err = errno;
		close(self);
		errno = err;
		return -1;
	}
	fd = socket(domain, type, protocol);
	err = errno;
	/* a process that cannot come back must not go on in the wrong place */
	if (setns(self, CLONE_NEWNET) == -1)
		die(EXIT_RUNTIME, "cannot return to this process's network namespace:");
	close(self);
	errno = err;
	return fd;
#else
	if (netns == -1)
		return socket(domain, type, protocol);
	errno = ENOSYS;
	return -1;
#endif
}

#ifdef __linux__
/*
 * Add the namespace at path (its name, its pid) unless listed: 0, or -1 on
 * ENOMEM. A file under /run/netns is no namespace while `ip netns add` has
 * yet to mount one on it, or once `ip netns del` has unmounted it: skipped.
 */
static int
add(struct netns **out, size_t *n, size_t *cap, const char *path, const char *name, pid_t pid)
{
	struct netns *ns;
	struct statfs sf;
	struct stat st;
	size_t i;

	if (stat(path, &st) == -1 || statfs(path, &sf) == -1 || sf.f_type != NSFS_MAGIC)
		return 0;
	for (i = 0; i < *n; i++)
		if ((*out)[i].inode == (unsigned long)st.st_ino) {
			if ((*out)[i].pid == 0)
				(*out)[i].pid = pid;
			return 0;
		}
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		if ((ns = realloc(*out, *cap * sizeof *ns)) == NULL)
			return -1;
		*out = ns;
	}
	ns = &(*out)[(*n)++];
	ns->inode = (unsigned long)st.st_ino;
	snprintf(ns->path, sizeof ns->path, "%.299s", path);
	snprintf(ns->name, sizeof ns->name, "%.255s", name);
	ns->pid = pid;
	return 0;
}

int
netns_list(struct netns **out, size_t *n, int *unread)
{
	char path[300];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int err;

	*out = NULL;
	*n = 0;
	*unread = 0;
	if (add(out, n, &cap, "/proc/self/ns/net", "", getpid()) == -1 || *n == 0)
		goto fail;
	if ((d = opendir("/run/netns")) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/run/netns/%.255s", e->d_name);
			if (add(out, n, &cap, path, e->d_name, 0) == -1) {
				closedir(d);
				goto fail;
			}
		}
		closedir(d);
	}
	if ((d = opendir("/proc")) == NULL)
		goto fail;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%.20s/ns/net", e->d_name);
		if (stat(path, &st) == -1) {
			/* gone meanwhile is no loss; not ours is */
			*unread += errno == EACCES || errno == EPERM;
			continue;
		}
		if (add(out, n, &cap, path, "", (pid_t)atol(e->d_name)) == -1) {
			closedir(d);
			goto fail;
		}
	}
	closedir(d);
	return 0;
fail:
	err = errno;
	free(*out);
	*out = NULL;
	*n = 0;
	errno = err;
	return -1;
}

int
netns_open(const struct netns *ns)
{
	struct statfs sf;
	struct stat st;
	int fd;

	if ((fd = open(ns->path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	/* its name deleted, or given to another, since it was listed: gone */
	if (fstat(fd, &st) == -1 || fstatfs(fd, &sf) == -1 ||
	    sf.f_type != NSFS_MAGIC || (unsigned long)st.st_ino != ns->inode) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}
#else
int
netns_list(struct netns **out, size_t *n, int *unread)
{
	*out = NULL;
	*n = 0;
	*unread = 0;
	errno = ENOSYS;
	return -1;
}

int
netns_open(const struct netns *ns)
{
	(void)ns;
	errno = ENOSYS;
	return -1;
}
#endif
