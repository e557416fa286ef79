/*
 * fault.c: make a system call fail on purpose, to test the paths that
 * handle its failure. Loaded with LD_PRELOAD (a dynamic build);
 * CLOSELAB_FAULT=CALL:CALLS:ERRNO makes the calls to CALL numbered CALLS
 * in each process fail with ERRNO. CALLS is N (the N-th), N-M or N+ (from
 * the N-th on); ERRNO a number, or ENOMEM, EINVAL, EMFILE or ENETUNREACH.
 * Calls it knows: poll, accept4, socket.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const struct { const char *name; int err; } names[] = {
	{ "ENOMEM", ENOMEM }, { "EINVAL", EINVAL }, { "EMFILE", EMFILE },
	{ "ENETUNREACH", ENETUNREACH },
};

/* Whether this call to call should fail; sets errno if so. */
static int
fail(const char *call, long *calls)
{
	const char *spec = getenv("CLOSELAB_FAULT");
	char *p;
	size_t i, n = strlen(call);
	long first, last;

	if (spec == NULL || strncmp(spec, call, n) != 0 || spec[n] != ':')
		return 0;
	first = last = strtol(spec + n + 1, &p, 10);
	if (*p == '+') {
		last = -1;
		p++;
	} else if (*p == '-') {
		last = strtol(p + 1, &p, 10);
	}
	++*calls;
	if (*p != ':' || *calls < first || (last != -1 && *calls > last))
		return 0;
	for (errno = atoi(p + 1), i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(p + 1, names[i].name) == 0)
			errno = names[i].err;
	return 1;
}

/* The real functions, from the next library in line. */
typedef int (*poll_fn)(struct pollfd *, nfds_t, int);
typedef int (*accept4_fn)(int, struct sockaddr *, socklen_t *, int);
typedef int (*socket_fn)(int, int, int);

int
poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static long calls;
	static poll_fn real;

	if (real == NULL)
		real = (poll_fn)dlsym(RTLD_NEXT, "poll");
	return fail("poll", &calls) ? -1 : real(fds, n, timeout);
}

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	static long calls;
	static accept4_fn real;

	if (real == NULL)
		real = (accept4_fn)dlsym(RTLD_NEXT, "accept4");
	return fail("accept4", &calls) ? -1 : real(fd, sa, len, flags);
}

int
socket(int domain, int type, int protocol)
{
	static long calls;
	static socket_fn real;

	if (real == NULL)
		real = (socket_fn)dlsym(RTLD_NEXT, "socket");
	return fail("socket", &calls) ? -1 : real(domain, type, protocol);
}
