/*
 * child.c: what a process that the server forks leaves of its parent. The
 * parent's own descriptors (the listener, the workers' channels, the
 * copies it keeps) are noted here as they are made; a new child closes
 * them all but the one it serves, and logs as itself.
 */
#include <stdlib.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"

/* The parent's own descriptors, a bit each. */
static unsigned char *own;
static size_t nown;		/* bytes */

void
parent_only(int fd)
{
	size_t need = (size_t)fd / 8 + 1, more;
	unsigned char *p;

	if (fd < 0)
		return;
	if (need > nown) {
		more = need > 2 * nown ? need : 2 * nown;
		if ((p = realloc(own, more)) == NULL)
			die(EXIT_RUNTIME, "out of memory for the parent's descriptors");
		while (nown < more)
			p[nown++] = 0;
		own = p;
	}
	own[fd / 8] |= 1u << fd % 8;
}

void
parent_only_gone(int fd)
{
	if (fd >= 0 && (size_t)fd / 8 < nown)
		own[fd / 8] &= ~(1u << fd % 8);
}

void
become_child(int keep, const char *role)
{
	size_t fd;

	holders_forked();
	log_batch(0);
	log_role(role);
	for (fd = 0; fd < 8 * nown; fd++)
		if ((own[fd / 8] & 1u << fd % 8) && (int)fd != keep)
			close((int)fd);
	free(own);
	own = NULL;
	nown = 0;
}
