/* nschild.h: a child in a network namespace of its own, listening there (Linux) */
#ifndef NSCHILD_H
#define NSCHILD_H

#include <stddef.h>
#include <sys/types.h>

struct nschild {
	pid_t pid;
	int netns;		/* its namespace: /proc/PID/ns/net, open */
	int hold;		/* the child stays until this is closed */
	unsigned port;		/* its listener's, on 127.0.0.1 */
	unsigned long inode;	/* its listener's socket */
};

/*
 * Fork a child that makes a network namespace of its own, brings its
 * loopback up and listens on 127.0.0.1:port (0: any) there, and wait until
 * it has. 0; 77 if it could not make a namespace (no right to); 1 on
 * another failure. Else the reason in why.
 */
int nschild_start(struct nschild *c, unsigned port, char *why, size_t len);
/* Let the child go and reap it: whether it ended well. */
int nschild_stop(struct nschild *c);

#endif
