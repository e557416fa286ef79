/*
 * kernel.c: what the kernel itself says about a socket: its TCP state, and
 * which processes hold it open. Linux only (TCP_INFO, /proc); elsewhere
 * both say "not known", and the log leaves the fields out.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* struct tcp_info is not POSIX (musl: _GNU_SOURCE only) */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "kernel.h"

#ifdef __linux__

const char *
kernel_tcp_state(int fd)
{
	static const char *names[] = {
		NULL, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	};
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return NULL;
	if (ti.tcpi_state >= sizeof names / sizeof names[0])
		return NULL;
	return names[ti.tcpi_state];
}

/* Whether process pid has a descriptor whose link is target. */
static int
holds(const char *pid, const char *target)
{
	char path[600], link[64];
	struct dirent *e;
	ssize_t n;
	DIR *d;
	int found = 0;

	snprintf(path, sizeof path, "/proc/%s/fd", pid);
	if ((d = opendir(path)) == NULL)
		return 0;	/* gone, or not ours to see */
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%s/fd/%s", pid, e->d_name);
		n = readlink(path, link, sizeof link - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, target) == 0;
		}
	}
	closedir(d);
	return found;
}

unsigned long
kernel_sock_id(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	return st.st_ino;
}

int
kernel_holders(unsigned long id, char *buf, size_t len)
{
	char target[64];
	struct dirent *e;
	size_t used = 0;
	DIR *proc;
	int n;

	if (len == 0 || id == 0 || (proc = opendir("/proc")) == NULL)
		return -1;
	/* a socket's descriptors all link to "socket:[inode]" */
	snprintf(target, sizeof target, "socket:[%lu]", id);
	buf[0] = '\0';
	while ((e = readdir(proc)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !holds(e->d_name, target))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", e->d_name);
		if (n < 0 || (size_t)n >= len - used) {
			/* too many to list: none, rather than a list cut short */
			closedir(proc);
			buf[0] = '\0';
			errno = ENOBUFS;
			return -1;
		}
		used += n;
	}
	closedir(proc);
	return 0;
}

#else

const char *
kernel_tcp_state(int fd)
{
	(void)fd;
	return NULL;
}

unsigned long
kernel_sock_id(int fd)
{
	(void)fd;
	return 0;
}

int
kernel_holders(unsigned long id, char *buf, size_t len)
{
	(void)id, (void)buf, (void)len;
	return -1;
}

#endif
