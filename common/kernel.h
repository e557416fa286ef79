/* kernel.h: what the kernel says about a socket, where it says it (Linux) */
#ifndef KERNEL_H
#define KERNEL_H

#include <stddef.h>

/* The TCP state of fd's socket ("ESTABLISHED", ...), or NULL if not known. */
const char *kernel_tcp_state(int fd);
/* The bytes of fd's send queue that the peer has not acknowledged (sent or
 * not yet), or -1 if not known. */
long kernel_unacked(int fd);
/* The inode of fd's socket, by which the kernel lists its holders; 0 if none. */
unsigned long kernel_sock_id(int fd);
/*
 * The pids of the processes that have socket id open, as "12,34", in buf;
 * -1 where the system does not tell (not Linux, no /proc), or where they do
 * not fit in len.
 */
int kernel_holders(unsigned long id, char *buf, size_t len);

#endif
