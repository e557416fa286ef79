/* diagnose.h: what is wrong with the way a socket is held, in plain words */
#ifndef DIAGNOSE_H
#define DIAGNOSE_H

#include <stddef.h>
#include <sys/types.h>

#include "../common/diag.h"
#include "../common/procfd.h"

enum {
	FLAG_SHARED = 1 << 0,		/* held by several processes, its FIN yet to leave */
	FLAG_CLOSE_WAIT = 1 << 1,	/* the peer has closed, the socket is still open */
	FLAG_INHERITED = 1 << 2,	/* held across exec by another program */
	FLAG_UNREAD = 1 << 3,		/* CLOSE_WAIT with data never read */
	FLAG_UNRELATED = 1 << 4,	/* a listener held by unrelated processes */
	NFLAGS = 5
};
/* "shared", "close-wait", ...: the name of flag 1 << i */
extern const char *const flag_names[NFLAGS];

/* One socket and what is known of its holders. */
struct subject {
	const struct procfd *t;		/* the scan of the holders */
	const struct tcpsock *s;
	const struct procfd_holder *h;	/* its holders, by pid and fd */
	size_t nh;
	/*
	 * The holder whose program is the reference for "another program":
	 * the oldest holder of the listener on the socket's local port, else
	 * the socket's own oldest holder; NULL if there is none.
	 */
	const struct procfd_holder *ref;
	int ref_listens;		/* ref holds the listener, not this socket */
	int complete;			/* every process could be read */
};

/* How many processes the holders are (a process may hold several descriptors). */
int diagnose_procs(const struct procfd_holder *h, size_t nh);
/* The holder whose process started first (the likeliest maker); NULL if none. */
const struct procfd_holder *diagnose_oldest(const struct procfd_holder *h, size_t nh);
/*
 * The nearest of the holders h whose process is an ancestor of pid, and
 * in *gen how many generations up (1: the parent); 0 if none is.
 */
pid_t diagnose_ancestor(const struct procfd *t, const struct procfd_holder *h, size_t nh,
    pid_t pid, int *gen);
/* "child" for 1 generation, "grandchild" for 2, "descendant" past that */
const char *diagnose_kin(int gen);
/* Whether holder h of x runs another program than x's reference holder. */
int diagnose_other_program(const struct subject *x, const struct procfd_holder *h);
/* Whether holder h of x got the socket across exec into another program. */
int diagnose_inherited(const struct subject *x, const struct procfd_holder *h);
/* The flags of x (FLAG_...); 0 if nothing is wrong. */
unsigned diagnose_flags(const struct procfd *t, const struct subject *x);
/* What flags mean for x, in a few plain sentences, into buf. */
void diagnose_explain(const struct procfd *t, const struct subject *x, unsigned flags,
    char *buf, size_t len);

#endif
