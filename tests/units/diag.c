/*
 * diag.c: diag_dump() lists this process's TCP sockets with their states,
 * ports, queues and inodes, kept by state and by port; given a network
 * namespace, that namespace's sockets and no other's. netns_socket() makes
 * a socket in another namespace and comes back to its own. Linux; the
 * namespace's checks need root.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/connid.h"
#include "../../common/diag.h"
#include "../../common/netns.h"
#include "nschild.h"
#include "unit.h"

#ifdef __linux__

/* The inode of what fd refers to, or of path if fd is -1. */
static unsigned long
inode_of(int fd, const char *path)
{
	struct stat st;

	CHECK_SYS((fd == -1 ? stat(path, &st) : fstat(fd, &st)) == 0, "fstat");
	return (unsigned long)st.st_ino;
}

/* A TCP socket of family on address addr and port (0: any) that listens; its port in *port. */
static int
listener(int family, const char *addr, unsigned *port, int backlog)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof *in4 : sizeof *in6;
	int fd;

	memset(&ss, 0, sizeof ss);
	ss.ss_family = family;
	if (inet_pton(family, addr, family == AF_INET ? (void *)&in4->sin_addr :
	    (void *)&in6->sin6_addr) != 1 || (fd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, backlog) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? in4->sin_port : in6->sin6_port);
	return fd;
}

/* Connect fd (-1: a new socket) to 127.0.0.1:port; fd, its own port in *local. */
static int
connected(int fd, unsigned port, unsigned *local)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t len = sizeof sin;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_SYS((fd = fd == -1 ? socket(AF_INET, SOCK_STREAM, 0) : fd) != -1, "socket");
	CHECK_SYS(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0, "connect to 127.0.0.1");
	CHECK_SYS(getsockname(fd, (struct sockaddr *)&sin, &len) == 0, "getsockname");
	*local = ntohs(sin.sin_port);
	return fd;
}

/* Wait, 10 s at most, until the listener l has a connection to accept. */
static void
acceptable(int l)
{
	struct pollfd p = { l, POLLIN, 0 };

	CHECK_SYS(poll(&p, 1, 10000) == 1, "a connection reached the listener's queue within 10 s");
}

/* The socket of inode in the list, or NULL. */
static const struct tcpsock *
find(const struct tcpsock *s, size_t n, unsigned long inode)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].inode == inode)
			return &s[i];
	return NULL;
}

/* Whether s's address (dst 0: its source) is named name:port by diag_addr(). */
static int
named(const struct tcpsock *s, int dst, const char *name, unsigned port)
{
	char want[CONNID_LEN + 8], got[CONNID_LEN];

	snprintf(want, sizeof want, "%s:%u", name, port);
	diag_addr(s, dst, got, sizeof got);
	return same(got, want);
}

/* A listener, an accepted connection whose peer shut down its writing, one waiting. */
static void
here(void)
{
	unsigned port, other, cport, c2port, port6;
	int l, m, c, a, l6;
	const struct tcpsock *e;
	struct tcpsock *s;
	size_t n, i;
	char x;

	CHECK_SYS((l = listener(AF_INET, "127.0.0.1", &port, 7)) != -1, "a listener on 127.0.0.1");
	CHECK_SYS((m = listener(AF_INET, "127.0.0.1", &other, 7)) != -1, "a listener on 127.0.0.1");
	c = connected(-1, port, &cport);
	acceptable(l);
	CHECK_SYS((a = accept(l, NULL, NULL)) != -1, "accept");
	connected(-1, port, &c2port);
	acceptable(l);
	CHECK_SYS(shutdown(c, SHUT_WR) == 0, "shutdown");
	CHECK(read(a, &x, 1) == 0, "the accepted connection reads the end of the client's data");

	CHECK_SYS(diag_dump(-1, TCPS_ALL, (int)port, &s, &n) == 0, "diag_dump() of a port");
	CHECK((e = find(s, n, inode_of(l, NULL))) != NULL && e->state == TCPS_LISTEN &&
	    e->family == AF_INET && e->sport == (int)port && named(e, 0, "127.0.0.1", port),
	    "the listener is listed LISTEN on 127.0.0.1 and its port, by its inode");
	CHECK(e->rqueue == 1 && e->wqueue == 7,
	    "the listener's queues are the one connection waiting for accept(), and its backlog");
	CHECK(e->uid == (unsigned)geteuid(), "the listener is listed as this process's user's");
	CHECK((e = find(s, n, inode_of(a, NULL))) != NULL && e->state == TCPS_CLOSE_WAIT &&
	    e->sport == (int)port && e->dport == (int)cport,
	    "the accepted socket that read the client's FIN is listed CLOSE_WAIT, to its port");
	CHECK((e = find(s, n, inode_of(c, NULL))) != NULL && tcp_state_fin_sent(e->state) &&
	    (e->state == TCPS_FIN_WAIT1 || e->state == TCPS_FIN_WAIT2) &&
	    e->sport == (int)cport && named(e, 1, "127.0.0.1", port),
	    "the client that shut down its writing is listed FIN_WAIT1 or FIN_WAIT2, to the port");
	for (i = 0, x = 0; i < n; i++)
		x |= s[i].state == TCPS_ESTABLISHED && s[i].sport == (int)c2port;
	CHECK(x, "the client whose connection waits for accept() is listed ESTABLISHED");
	CHECK(find(s, n, inode_of(m, NULL)) == NULL, "a listener on another port is left out");
	for (i = 0; i < n; i++)
		CHECK(s[i].sport == (int)port || s[i].dport == (int)port,
		    "every socket listed for a port has it at one of its ends");
	free(s);

	CHECK_SYS(diag_dump(-1, 1u << TCPS_LISTEN, (int)port, &s, &n) == 0,
	    "diag_dump() of LISTEN");
	CHECK(find(s, n, inode_of(l, NULL)) && !find(s, n, inode_of(a, NULL)),
	    "asked for LISTEN only, the listener is listed and the connection is not");
	for (i = 0; i < n; i++)
		CHECK(s[i].state == TCPS_LISTEN, "asked for LISTEN only, only LISTEN is listed");
	free(s);
	CHECK_SYS(diag_dump(-1, 1u << TCPS_LISTEN, 0, &s, &n) == 0, "diag_dump() of every port");
	CHECK(find(s, n, inode_of(l, NULL)) && find(s, n, inode_of(m, NULL)),
	    "asked for every port, both listeners are listed");
	free(s);

	/* IPv6, where this host has its loopback */
	if ((l6 = listener(AF_INET6, "::1", &port6, 7)) == -1)
		return;
	CHECK_SYS(diag_dump(-1, TCPS_ALL, (int)port6, &s, &n) == 0, "diag_dump() of an IPv6 port");
	CHECK((e = find(s, n, inode_of(l6, NULL))) != NULL && e->family == AF_INET6 &&
	    e->state == TCPS_LISTEN && named(e, 0, "[::1]", port6),
	    "a listener on ::1 is listed as IPv6, LISTEN, its address named [::1]:PORT");
	free(s);
}

/* netns_list(): this namespace first, then the child's, with its pid; each once. */
static void
listed(unsigned long own, unsigned long child, pid_t pid)
{
	struct netns *ns;
	size_t n, i, seen = 0;
	int unread;

	CHECK_SYS(netns_list(&ns, &n, &unread) == 0, "netns_list()");
	CHECK(n >= 2 && ns[0].inode == own, "netns_list() gives this process's namespace first");
	for (i = 0; i < n; i++)
		if (ns[i].inode == child) {
			seen++;
			CHECK(ns[i].pid == pid, "netns_list() names the child as a process in its namespace");
			CHECK(inode_of(-1, ns[i].path) == child, "netns_list()'s path opens the namespace");
		}
	CHECK(seen == 1, "netns_list() lists the child's namespace once");
	free(ns);
}

/*
 * A child that listens on port in a namespace of its own, a connection to
 * it made there by netns_socket(), and what each namespace lists. Root.
 */
static void
there(void)
{
	unsigned long own = inode_of(-1, "/proc/self/ns/net");
	const struct tcpsock *e;
	struct nschild ns;
	struct tcpsock *s;
	size_t n;
	unsigned port, xport;
	char why[160];
	int r, x, l, null;

	CHECK_SYS((l = listener(AF_INET, "127.0.0.1", &port, 7)) != -1, "a listener on 127.0.0.1");
	if (geteuid() != 0)
		SKIP("diag_dump() of another network namespace needs root");
	if ((r = nschild_start(&ns, port, why, sizeof why)) == 77)
		SKIP(why);
	CHECK(r == 0, why);
	CHECK_SYS((x = netns_socket(ns.netns, AF_INET, SOCK_STREAM, 0)) != -1,
	    "netns_socket() in the child's namespace");
	CHECK(inode_of(-1, "/proc/self/ns/net") == own,
	    "after netns_socket() this process is back in its own namespace");
	connected(x, port, &xport);

	CHECK_SYS(diag_dump(ns.netns, TCPS_ALL, (int)port, &s, &n) == 0,
	    "diag_dump() of the child's namespace");
	CHECK(n > 0 && s[0].netns == inode_of(ns.netns, NULL),
	    "each socket names the namespace it was listed in");
	listed(own, inode_of(ns.netns, NULL), ns.pid);
	CHECK((e = find(s, n, ns.inode)) != NULL && e->state == TCPS_LISTEN,
	    "the child's listener is listed in its namespace");
	CHECK((e = find(s, n, inode_of(x, NULL))) != NULL && e->state == TCPS_ESTABLISHED &&
	    e->sport == (int)xport, "the socket netns_socket() made in the child's namespace is "
	    "listed there, connected");
	CHECK(!find(s, n, inode_of(l, NULL)),
	    "this namespace's listener is not listed in the child's");
	free(s);
	CHECK_SYS(diag_dump(-1, TCPS_ALL, (int)port, &s, &n) == 0, "diag_dump() of this namespace");
	CHECK(find(s, n, inode_of(l, NULL)) && !find(s, n, ns.inode) &&
	    !find(s, n, inode_of(x, NULL)),
	    "this namespace lists its own listener, and not the child's sockets");
	free(s);

	CHECK_SYS((null = open("/dev/null", O_RDONLY)) != -1, "/dev/null");
	errno = 0;
	CHECK(netns_socket(null, AF_INET, SOCK_STREAM, 0) == -1 && errno == EINVAL,
	    "netns_socket() with a descriptor that is no namespace fails with EINVAL");
	CHECK(inode_of(-1, "/proc/self/ns/net") == own,
	    "after a netns_socket() that failed this process is still in its own namespace");
	CHECK(nschild_stop(&ns), "the child in its namespace ended well when let go");
}

int
main(void)
{
	here();
	there();
	return 0;
}

#else

int
main(void)
{
	SKIP("diag_dump() lists sockets on Linux only");
}

#endif
