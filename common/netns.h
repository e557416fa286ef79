/* netns.h: the network namespaces, and a socket made in another (Linux) */
#ifndef NETNS_H
#define NETNS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * socket(domain, type, protocol) made in the network namespace that the
 * descriptor netns refers to (/proc/PID/ns/net), or in this process's if
 * netns is -1. The socket stays in the namespace it was made in; this
 * process comes back to its own. -1 with errno; ENOSYS for a netns other
 * than -1 where not Linux. Entering a namespace needs CAP_SYS_ADMIN.
 */
int netns_socket(int netns, int domain, int type, int protocol);

/* A network namespace, and where it can be opened. */
struct netns {
	unsigned long inode;		/* its id: "net:[inode]" */
	char path[300];			/* /run/netns/NAME or /proc/PID/ns/net */
	char name[256];			/* its name under /run/netns; "" if none */
	pid_t pid;			/* a process in it (0: none found) */
};

/*
 * Every network namespace on the host, each once: this process's first,
 * then those named under /run/netns, then those of the processes in
 * /proc. *n of them in a new array *out; *unread: the processes whose
 * namespace could not be read (another user's). -1 with errno; ENOSYS
 * where not Linux.
 */
int netns_list(struct netns **out, size_t *n, int *unread);
/* Open ns for netns_socket(); -1 with errno, ENOENT if it is gone. */
int netns_open(const struct netns *ns);

#endif
