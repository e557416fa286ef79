/* sock.h: socket helpers; they report with -1 and errno and never exit */
#ifndef SOCK_H
#define SOCK_H

#include <sys/socket.h>

#include "connid.h"

/* SO_LINGER in seconds: macOS counts SO_LINGER's time in clock ticks, and
 * SO_LINGER_SEC's in seconds (bsd/kern/uipc_socket.c, sosetoptlock()) */
#ifdef SO_LINGER_SEC
#define SOCK_LINGER_SECONDS SO_LINGER_SEC
#else
#define SOCK_LINGER_SECONDS SO_LINGER
#endif

/* Fill ss from a numeric IPv4 or IPv6 address and a port; -1 if addr is not one. */
int sock_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len);
/* sa's address and port, named by conn_id(): "1.2.3.4:80" or "[::1]:80". */
void sock_addrstr(const struct sockaddr *sa, char *buf, size_t len);
/* The local address of a socket, named by conn_id(); -1 on error. */
int sock_local(int fd, char *buf, size_t len);

/* A close-on-exec TCP socket, non-blocking if asked; -1 on error. */
int sock_stream(int family, int nonblock);
/* A close-on-exec, non-blocking listening socket bound to sa; -1 on error. */
int sock_listen(const struct sockaddr *sa, socklen_t len, int backlog);
/* The port a socket is bound to; -1 on error. */
int sock_port(int fd);
/*
 * Accept a connection on a non-blocking listener, retrying on EINTR: a
 * blocking, close-on-exec socket, and the peer's address in ss; -1 with
 * errno EAGAIN when none is waiting.
 */
int sock_accept(int lfd, struct sockaddr_storage *ss);
/* A close-on-exec UNIX stream socketpair; -1 on error. */
int sock_pair(int sv[2]);
/* A close-on-exec duplicate of fd; -1 on error. */
int sock_dup(int fd);
/*
 * A read or write on fd that gets nothing done for ms fails with EAGAIN
 * (SO_RCVTIMEO, SO_SNDTIMEO). Accepted sockets inherit it from a listener.
 */
int sock_timeouts(int fd, long ms);

/* Set or clear FD_CLOEXEC and O_NONBLOCK; -1 on error. */
int fd_cloexec(int fd, int on);
int fd_nonblock(int fd, int on);

/*
 * A pipe for a signal handler to wake a poll() through: both ends
 * close-on-exec and non-blocking. -1 on error, errno kept.
 */
int wake_pipe(int fds[2]);

#endif
