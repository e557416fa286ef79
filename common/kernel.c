/*
 * kernel.c: what the kernel itself says about a socket: its TCP state, the
 * bytes its peer has not acknowledged, and which processes hold it open.
 * Linux only (TCP_INFO, SIOCOUTQ, /proc); elsewhere each says "not known",
 * and the log leaves the fields out.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* struct tcp_info is not POSIX (musl: _GNU_SOURCE only) */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "kernel.h"
#include "procfd.h"
#include "tcpstate.h"

#ifdef __linux__

const char *
kernel_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
	    ti.tcpi_state == 0 || ti.tcpi_state >= TCPS_COUNT)
		return NULL;
	return tcp_state_name(ti.tcpi_state);
}

long
kernel_unacked(int fd)
{
	int n;

	/* SIOCOUTQ (linux/sockios.h, which musl lacks) is TIOCOUTQ's number */
	if (fd < 0 || ioctl(fd, TIOCOUTQ, &n) == -1)
		return -1;
	return n;
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
	const struct procfd_holder *h;
	struct procfd *scan;
	size_t used = 0, i, n;
	int w;

	if (len == 0 || id == 0 || (scan = procfd_scan(&id, 1)) == NULL)
		return -1;
	buf[0] = '\0';
	h = procfd_holders(scan, id, &n);
	for (i = 0; i < n; i++) {
		if (i > 0 && h[i].pid == h[i - 1].pid)
			continue;	/* by pid: a process with two descriptors once */
		w = snprintf(buf + used, len - used, "%s%ld", used ? "," : "", (long)h[i].pid);
		if (w < 0 || (size_t)w >= len - used) {
			/* too many to list: none, rather than a list cut short */
			procfd_free(scan);
			buf[0] = '\0';
			errno = ENOBUFS;
			return -1;
		}
		used += (size_t)w;
	}
	procfd_free(scan);
	return 0;
}

#else

const char *
kernel_tcp_state(int fd)
{
	(void)fd;
	return NULL;
}

long
kernel_unacked(int fd)
{
	(void)fd;
	return -1;
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
