/* netns.h: a socket made in another network namespace (Linux) */
#ifndef NETNS_H
#define NETNS_H

/*
 * socket(domain, type, protocol) made in the network namespace that the
 * descriptor netns refers to (/proc/PID/ns/net), or in this process's if
 * netns is -1. The socket stays in the namespace it was made in; this
 * process comes back to its own. -1 with errno; ENOSYS for a netns other
 * than -1 where not Linux. Entering a namespace needs CAP_SYS_ADMIN.
 */
int netns_socket(int netns, int domain, int type, int protocol);

#endif
