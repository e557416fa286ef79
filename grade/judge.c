/*
 * judge.c: the checks of the lesson's assignment (docs/assignment.md), from
 * evidence that the server under test cannot write: the judge's own
 * connections to it, the kernel's list of its sockets (NETLINK_SOCK_DIAG)
 * and which of its processes hold each one (/proc). Linux only.
 *
 *   judge --uid UID [--port P] [--keep MS] [--wait MS]
 *         [--require prefork|fork|either] SERVER
 *
 * Starts SERVER four times (--end shutdown with a keep of three times MS, close
 * with MS, close with never, shutdown with 0), each until SIGTERM, and
 * prints TAP:
 * one test a check, in the handout's order, what was seen as "# " lines,
 * and for a failed check "# mistake ID: SENTENCE", the one sentence of that
 * mistake. The parent is the process it started; the server's processes
 * are those of UID, which must not be the judge's own: it kills them all
 * as UID at the end of each run. Exit status: 0 judged (whatever the checks say), 1 it could
 * not judge (a runtime error of its own), 2 usage.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* O_TMPFILE, setresuid */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/diag.h"
#include "../common/escape.h"
#include "../common/procfd.h"
#include "../common/sock.h"
#endif
#include "../common/util.h"

#ifdef __linux__

static const char usage_text[] =
    "usage: judge --uid UID [--port P] [--keep MS] [--wait MS]\n"
    "             [--require prefork|fork|either] SERVER\n";

/* The checks, in the handout's order. */
enum check { LISTENS, ECHO, HANDOFF, CLOSE_KEEP, SHUTDOWN, NEVER, MODEL, REAPED, SIGTERM_, NCHECKS };
static const char *const check_id[NCHECKS] = {
	"listens", "echo", "handoff", "close-keep", "shutdown", "never", "model", "reaped",
	"sigterm",
};

/*
 * The mistakes: one sentence each, the same for every student who makes
 * it. What differs (times, pids) goes to the check's evidence lines.
 */
static const char
    M_NO_LISTEN[] = "the server did not listen on 127.0.0.1 at the given port, in the process the grader started",
    M_NOT_JUDGED[] = "this could not be judged, for the server did not listen",
    M_NOT_ECHOED[] = "this could not be judged, for the server did not echo",
    M_LATE[] = "this could not be judged, for the parent's keep had ended before the judge could look",
    M_UNRUN[] = "this could not be judged, for the parent of a zombie did not get its turn to run while the judge waited",
    M_NO_ECHO[] = "the server did not echo every byte it was sent",
    M_NO_END[] = "the connection never ended after the client's EOF: a process of the server still held the socket",
    M_RST[] = "the connection ended with a reset (RST), not a FIN",
    M_NO_HANDOFF[] = "no other process than the parent held the connection: the parent must hand it to a worker or a child",
    M_PARENT_SERVED[] = "the echo stopped while the parent was stopped: the parent served the connection itself, though another process held it too",
    M_STANDIN[] = "the parent echoed while the process that held the connection beside it was stopped: the parent served the connection itself, another process standing in only while it was stopped",
    M_HOLDER_GONE[] = "the process that held the connection beside the parent let go of it while it was served, or could not be stopped: what the parent did cannot be told from what it did",
    M_NO_KEEP[] = "the kernel showed the parent without its copy of the socket during its keep: it must close it only --parent-keeps MS after the handoff",
    M_PARENT_NEVER[] = "the parent never closed its copy of the socket: with --parent-keeps MS it must close it MS ms after the handoff",
    M_WORKER_HELD[] = "the worker still held its copy after the client's EOF: with --end close it must close() it then",
    M_SHORT_KEEP[] = "the FIN came before --parent-keeps MS had passed since the connection: the parent let go of its copy too soon",
    M_CLOSE_SHUTDOWN[] = "with --end close the FIN left while the parent still held the socket, which only a shutdown() does: with --end close no process may call it",
    M_SHUTDOWN_CLOSE[] = "with --end shutdown no FIN came while the parent was stopped: the worker must call shutdown(SHUT_WR) when it reads the peer's EOF, which sends the FIN whoever else holds the socket",
    M_NEVER_ENDED[] = "with --parent-keeps never the connection still ended: the parent must keep its copy until it exits",
    M_NEVER_LET_GO[] = "with --parent-keeps never the parent let go of its copy: it must keep it until it exits",
    M_KEEP_LONG[] = "the FIN came long after --parent-keeps MS had passed: the parent must close its copy MS ms after the handoff, not later",
    M_UNTIMED[] = "the judge's looks at the server's processes took too long to time the parent's keep: its threads and descriptors by the hundred made each look slow",
    M_UNSTOPPED[] = "the parent would not stop, or did not stay stopped, while the grader stopped it (SIGSTOP): a process of the server continued it, one sharing its descriptors ran on, or one of its threads could not be stopped, so what the parent did cannot be told from what another did",
    M_PARENT_EXITED[] = "the parent exited while the server was judged, before SIGTERM: it must run until then (a call that a stop interrupted may fail with EINTR, and must be retried)",
    M_ENDED_AT_CONT[] = "the connection ended, unechoed, once the grader had stopped and continued the process serving it (SIGSTOP, SIGCONT): a call that a stop interrupts may fail with EINTR, and must be retried",
    M_KEEP_SIGNALLED[] = "the parent, which catches SIGCHLD, let go of its copy of the socket at once when the grader stopped or continued the process that held it beside it (SIGSTOP, SIGCONT), before its keep was over: a keep must outlast the SIGCHLD each one brings (SA_NOCLDSTOP, or a sleep resumed after EINTR)",
    M_EARLY_FIN[] = "with --end shutdown the FIN came before the client's shutdown: the server must end the connection only once it reads the client's EOF",
    M_HIDDEN[] = "after the client's EOF no process held the socket, yet no FIN came: a copy was kept out of every descriptor table (in a message in flight), and the FIN waited for it",
    M_NOT_PREFORK[] = "the connections were not served by workers forked before them (pre-forking was asked for)",
    M_NOT_FORK[] = "the connections were not each served by a child forked for it (forking was asked for)",
    M_NO_MODEL[] = "the connections were served neither by workers forked before them nor each by a child forked for it",
    M_OTHERS_HELD[] = "a worker held another connection's socket besides its own: a connection ends only when every copy is closed",
    M_ENDED_HELD[] = "a process of the server kept the socket of a connection that had ended: a worker or child must close() each connection once it is done with it",
    M_PARENT_KEPT[] = "the parent still held the socket of a connection that had ended, though told to close its copy at once after the handoff",
    M_ZOMBIE[] = "a child that had ended was not reaped (a zombie): the parent must waitpid() for its children",
    M_LEFT[] = "after SIGTERM a process of the server was still running: SIGTERM must end them all";

static struct {
	int ran;
	const char *mistake;		/* NULL: passed */
	char seen[1024];		/* the evidence, lines of "# " */
} verdict[NCHECKS];

static const char *server;
static int port = 7000;
static long keep_ms = 1000, wait_ms = 5000;
static const char *require = "either";
static unsigned uid;
static int uid_given;
static pid_t parent;			/* the process started: the parent */
static char how[64];			/* its options, "--end E --parent-keeps K" */
static int output = -1;			/* the server's stdout and stderr */

/* evidence(C, FMT, ...): a line of what was seen for check C */
static void
evidence(enum check c, const char *fmt, ...)
{
	char *seen = verdict[c].seen;
	size_t n = strlen(seen), room = sizeof verdict[c].seen - n;
	va_list ap;

	/* "# ", the line, "\n": cut to fit, never left without its newline */
	if (room < 8)
		return;
	memcpy(seen + n, "# ", 3);
	va_start(ap, fmt);
	vsnprintf(seen + n + 2, room - 3, fmt, ap);
	va_end(ap);
	n = strlen(seen);
	seen[n] = '\n';
	seen[n + 1] = '\0';
}

/* judged(C, MISTAKE): check C's result; the first mistake stands */
static void
judged(enum check c, const char *mistake)
{
	if (!verdict[c].ran || !verdict[c].mistake)
		verdict[c].mistake = mistake;
	verdict[c].ran = 1;
}

/* ms(T): T nanoseconds as milliseconds */
static double
ms(int64_t t)
{
	return (double)t / 1e6;
}

/* The server's processes, from /proc/PID/status (the kernel's words). */
struct proc {
	pid_t pid, ppid;
	char state;
	int threads;		/* a zombie with more has left its threads running */
};
enum { MAXPROCS = 4096 };
static struct proc procs[MAXPROCS];

/* Whether p has ended, and not been reaped: state Z, and no thread of it left. */
static int
zombie(const struct proc *p)
{
	return p->state == 'Z' && p->threads <= 1;
}

/* Scan the processes of uid into procs[]: how many; -1 if /proc cannot be read. */
static int
scan(void)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (!(d = opendir("/proc")))
		return -1;
	while ((e = readdir(d)) && n < MAXPROCS) {
		char path[64], line[256];
		unsigned u = 0;
		int have = 0;
		long pid;
		FILE *f;

		if (parse_num(e->d_name, 1, 4194304, &pid) == -1 || pid == getpid())
			continue;
		snprintf(path, sizeof path, "/proc/%ld/status", pid);
		if (!(f = fopen(path, "re")))
			continue;
		procs[n].pid = (pid_t)pid;
		procs[n].threads = 1;
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "State: %c", &procs[n].state) == 1)
				have |= 1;
			else if (sscanf(line, "PPid: %d", &procs[n].ppid) == 1)
				have |= 2;
			else if (sscanf(line, "Uid: %u", &u) == 1)
				have |= 4;
			else if (sscanf(line, "Threads: %d", &procs[n].threads) == 1)
				have |= 8;
		fclose(f);
		/* a child of the judge's that is not the parent (CLONE_PARENT): reaped */
		if ((have & 7) == 7 && zombie(&procs[n]) && procs[n].ppid == getpid() &&
		    procs[n].pid != parent && waitpid(procs[n].pid, NULL, WNOHANG) > 0)
			continue;
		if ((have & 7) == 7 && u == uid)
			n++;
	}
	closedir(d);
	return n;
}

/* Where process pid waits in the kernel (/proc/PID/wchan), or "?". */
static const char *
waiting_in(pid_t pid)
{
	static char where[64];
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/wchan", (long)pid);
	strcpy(where, "?");
	if ((f = fopen(path, "re"))) {
		if (!fgets(where, sizeof where, f) || where[0] < 'A')
			strcpy(where, "?");
		fclose(f);
	}
	escape(path, sizeof path, where, "");
	strcpy(where, path);
	return where;
}

/* Whether pid is among the n processes of procs[]; its entry. */
static const struct proc *
find(pid_t pid, int n)
{
	for (int i = 0; i < n; i++)
		if (procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

/* Kill every process of uid: as uid, with kill(-1), which no fork outruns. */
static void
kill_all(void)
{
	pid_t pid;

	if ((pid = fork()) == 0) {
		if (setgroups(0, NULL) == 0 && setresgid(uid, uid, uid) == 0 &&
		    setresuid(uid, uid, uid) == 0)
			kill(-1, SIGKILL);
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
}

/*
 * Whether address dst (or src) of s is 127.0.0.1, as IPv4 or mapped into
 * IPv6; with wildcard, 0.0.0.0 and :: as well.
 */
static int
loopback(const struct tcpsock *s, int dst, int wildcard)
{
	static const unsigned char v4[4] = { 127, 0, 0, 1 }, zero[16],
	    mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const unsigned char *a = dst ? s->dst : s->src;

	if (s->family == AF_INET)
		return memcmp(a, v4, 4) == 0 || (wildcard && memcmp(a, zero, 4) == 0);
	return (memcmp(a, mapped, 12) == 0 && memcmp(a + 12, v4, 4) == 0) ||
	    (wildcard && memcmp(a, zero, 16) == 0);
}

/*
 * The server's side of the judge's connection from 127.0.0.1:lport to
 * 127.0.0.1:port, by its whole four-tuple (another socket may have the
 * same ports on other addresses): its inode and state; -1 if none.
 */
static int
server_side(int lport, unsigned long *inode, int *state)
{
	struct tcpsock *s;
	size_t n, i;

	if (diag_dump(-1, TCPS_ALL, port, &s, &n) == -1)
		die(EXIT_RUNTIME, "sock_diag:");
	for (i = 0; i < n; i++)
		if (s[i].sport == port && s[i].dport == lport && s[i].inode &&
		    loopback(&s[i], 0, 0) && loopback(&s[i], 1, 0))
			break;
	if (i < n) {
		*inode = s[i].inode;
		*state = s[i].state;
	}
	free(s);
	return i < n ? 0 : -1;
}

/*
 * The listeners on port that take connections to 127.0.0.1 (with any:
 * every listener on port), into inodes[max]: how many.
 */
static int
listeners(int any, unsigned long *inodes, int max)
{
	struct tcpsock *s;
	size_t n, i;
	int k = 0;

	if (diag_dump(-1, 1u << TCPS_LISTEN, port, &s, &n) == -1)
		die(EXIT_RUNTIME, "sock_diag:");
	for (i = 0; i < n && k < max; i++)
		if (s[i].sport == port && s[i].inode && (any || loopback(&s[i], 0, 1)))
			inodes[k++] = s[i].inode;
	free(s);
	return k;
}

static int
holds(const pid_t *pids, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/*
 * The threads of a process, those that live (a descriptor table each): a
 * list for is_parent(), as long as the sandbox lets a uid's threads be
 * (pids.max, 1000 by default).
 */
struct tasks {
	pid_t tid[MAXPROCS];
	int n;
};

/* Fill t with the live threads of process pid, from /proc/PID/task: how many. */
static int
live_tasks(pid_t pid, struct tasks *t)
{
	char path[320], line[512], *close;
	struct dirent *e;
	FILE *f;
	DIR *d;

	t->n = 0;
	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	if (pid <= 0 || !(d = opendir(path)))
		return 0;
	while ((e = readdir(d)) && t->n < (int)(sizeof t->tid / sizeof t->tid[0])) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%ld/task/%s/stat", (long)pid, e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		/* a thread that has ended has no table: kcmp() would find two such alike */
		if (fgets(line, sizeof line, f) && (close = strrchr(line, ')')) && close[1] == ' ' &&
		    close[2] != 'Z' && close[2] != 'X')
			t->tid[t->n++] = (pid_t)atol(e->d_name);
		fclose(f);
	}
	closedir(d);
	return t->n;
}

/*
 * Whether pid is the parent, or a process a thread of which shares a
 * descriptor table with a thread of the parent's (their live threads:
 * parent_tasks): clone(CLONE_FILES) without CLONE_THREAD. What the parent
 * holds, it holds, and it shuts down what the parent may: such a twin is
 * the parent for every check, and is stopped with it.
 */
static int
is_parent(pid_t pid, const struct tasks *parent_tasks)
{
	struct tasks t;

	if (pid == parent)
		return 1;
	live_tasks(pid, &t);
	for (int i = 0; i < parent_tasks->n; i++)
		for (int j = 0; j < t.n; j++)
			/* 2: KCMP_FILES */
			if (syscall(SYS_kcmp, parent_tasks->tid[i], t.tid[j], 2, 0, 0) == 0)
				return 1;
	return 0;
}

/* The processes that hold socket inode, into pids[max], the parent's twins as the parent: how many. */
static int
holders(unsigned long inode, pid_t *pids, int max)
{
	struct procfd *t;
	const struct procfd_holder *h;
	struct tasks family;
	pid_t pid;
	size_t n;
	int k = 0;

	if (inode == 0)
		return 0;
	if (!(t = procfd_scan(&inode, 1)))
		die(EXIT_RUNTIME, "cannot scan /proc:");
	h = procfd_holders(t, inode, &n);
	live_tasks(parent, &family);
	for (size_t i = 0; i < n && k < max; i++) {
		/* by pid (procfd_holders() sorts them): a process's descriptors
		 * once, however many it holds the socket under */
		if (i > 0 && h[i].pid == h[i - 1].pid)
			continue;
		pid = is_parent(h[i].pid, &family) ? parent : h[i].pid;
		if (!holds(pids, k, pid))
			pids[k++] = pid;
	}
	procfd_free(t);
	return k;
}

/* "pid 12 and 14" for pids[n], in buf */
static const char *
pidlist(const pid_t *pids, int n, char *buf, size_t len)
{
	size_t k = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%ld", i ? (i == n - 1 ? " and " : ", ") :
		    (n > 1 ? "pids " : "pid "), (long)pids[i]);
	if (n == 0)
		snprintf(buf, len, "no process");
	return buf;
}

/* One of the judge's connections, as its client. */
enum end { OPEN, EOF_, RST, TIMEOUT };
static const char *const end_word[] = { "open", "EOF", "RST", "nothing" };
struct conn {
	int fd, lport;
	unsigned long inode;		/* the server's side; 0 until seen */
	int64_t t_connect, t_served, t_end;	/* t_served: the holders seen after the echo */
	enum end end;
	char sent[256], got[256];
	size_t nsent, ngot;		/* ngot: every byte received, kept or not */
};

/* How c ended, t ns after the client's shutdown, in words (buf). */
static const char *
ended(const struct conn *c, int64_t t, char *buf, size_t len)
{
	if (c->end == TIMEOUT)
		snprintf(buf, len, "nothing ended the connection in the %.1f ms after the client's shutdown",
		    ms(c->t_end - t));
	else
		snprintf(buf, len, "the client's %s came %.1f ms after its connect, %.1f ms after its shutdown",
		    end_word[c->end], ms(c->t_end - c->t_connect), ms(c->t_end - t));
	return buf;
}

/* Start c's connect to the server, without waiting for it. */
static void
conn_start(struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	memset(c, 0, sizeof *c);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = sock_stream(AF_INET, 1)) == -1)
		die(EXIT_RUNTIME, "socket:");
	c->t_connect = now_ns();
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == -1 && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
	}
}

/* Wait until dl (ns) for c's connect to be done, then send text; -1 if it was not. */
static int
conn_connected(struct conn *c, int64_t dl, const char *text)
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof err;
	ssize_t w;

	if (c->fd == -1)
		return -1;
	if (poll(&p, 1, ms_until(dl)) != 1 ||
	    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err)
		goto failed;
	c->lport = sock_port(c->fd);
	c->nsent = (size_t)snprintf(c->sent, sizeof c->sent, "%s", text);
	if ((w = write(c->fd, c->sent, c->nsent)) != (ssize_t)c->nsent)
		goto failed;
	return 0;
failed:
	close(c->fd);
	c->fd = -1;
	return -1;
}

/* Connect c to the server, and send text; -1 if it cannot connect. */
static int
conn_open(struct conn *c, const char *text)
{
	conn_start(c);
	return conn_connected(c, deadline(wait_ms), text);
}

/*
 * Read what has come on c without waiting, 64 KiB at most: the bytes into
 * got (those past its room are counted, not kept), then the end; 1 once it
 * has ended, 0 if not yet, -1 on an error.
 */
static int
conn_read(struct conn *c)
{
	char buf[4096];
	ssize_t r;

	for (int reads = 0; c->end == OPEN && reads < 16; reads++) {
		if ((r = read(c->fd, buf, sizeof buf)) > 0) {
			size_t room = c->ngot < sizeof c->got ? sizeof c->got - c->ngot : 0;
			if (room)
				memcpy(c->got + c->ngot, buf, (size_t)r < room ? (size_t)r : room);
			c->ngot += (size_t)r;
		} else if (r == 0 || errno == ECONNRESET) {
			c->end = r == 0 ? EOF_ : RST;
			c->t_end = now_ns();
		} else if (errno == EAGAIN) {
			return 0;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return c->end != OPEN;
}

/* Send text on c as well (after what it sent); -1 if it cannot. */
static int
conn_send(struct conn *c, const char *text)
{
	size_t n = strlen(text);

	if (c->nsent + n >= sizeof c->sent || write(c->fd, text, n) != (ssize_t)n)
		return -1;
	memcpy(c->sent + c->nsent, text, n);
	c->nsent += n;
	return 0;
}

/* Wait at most until dl (ns) for ms more of c: its echo whole (0) or its end (1). */
static void
conn_wait(struct conn *c, int64_t dl, int for_end)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	for (;;) {
		if (conn_read(c) == -1 || c->end != OPEN || (!for_end && c->ngot >= c->nsent))
			return;
		if (ms_until(dl) == 0)
			break;
		poll(&p, 1, ms_until(dl));
	}
	if (for_end) {
		c->end = TIMEOUT;
		c->t_end = now_ns();
	}
}

static int
echoed(const struct conn *c)
{
	return c->ngot == c->nsent && memcmp(c->got, c->sent, c->nsent) == 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* Start the server: --end end --parent-keeps keep; its pid is parent. */
static void
start(const char *end, const char *keep)
{
	char p[16];
	const char *tmp = getenv("TMPDIR");

	snprintf(how, sizeof how, "--end %s --parent-keeps %s", end, keep);
	snprintf(p, sizeof p, "%d", port);
	if (output != -1)
		close(output);
	/* a file with no name: the server writes it through its descriptors only */
	if ((output = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) == -1)
		die(EXIT_RUNTIME, "a file for the server's output:");
	if ((parent = fork()) == -1)
		die(EXIT_RUNTIME, "fork:");
	if (parent == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null == -1 || dup2(null, 0) == -1 || dup2(output, 1) == -1 || dup2(output, 2) == -1)
			_exit(126);
		execl(server, server, "--port", p, "--end", end, "--parent-keeps", keep, (char *)NULL);
		dprintf(2, "judge: %s: %s\n", server, strerror(errno));
		_exit(127);
	}
}

/* The server's last words: its output's last line, escaped, in buf. */
static const char *
last_words(char *buf, size_t len)
{
	char tail[256];
	off_t end = lseek(output, 0, SEEK_END), at = end > 255 ? end - 255 : 0;
	ssize_t r = pread(output, tail, sizeof tail - 1, at);
	char *s;

	tail[r > 0 ? r : 0] = '\0';
	while ((s = strrchr(tail, '\n')) && s[1] == '\0')
		*s = '\0';
	s = strrchr(tail, '\n');
	escape(buf, len, s ? s + 1 : tail, "");
	return buf;
}

/*
 * Wait until the parent listens on port (1), or has exited or run out of
 * time (0, said for check c).
 */
static int
listening(enum check c)
{
	int64_t t0 = now_ns(), dl = deadline(wait_ms);
	int status;
	char words[200];

	pid_t pids[8];
	int n = 0;

	do {
		unsigned long l[8];
		int nl = listeners(0, l, 8), held = 0;

		n = 0;
		for (int i = 0; i < nl && !held; i++)
			held = holds(pids, n = holders(l[i], pids, 8), parent);
		if (held) {
			if (c == LISTENS)
				evidence(c, "started with %s, the parent (pid %ld) listened on 127.0.0.1:%d after %.1f ms",
				    how, (long)parent, port, ms(now_ns() - t0));
			return 1;
		}
		if (waitpid(parent, &status, WNOHANG) == parent) {
			evidence(c, "started with %s, the server exited (%s %d) before it listened; its last words: '%s'",
			    how, WIFEXITED(status) ? "status" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			    last_words(words, sizeof words));
			parent = 0;
			return 0;
		}
		sleep_ms(5);
	} while (ms_until(dl) > 0);
	if (n > 0)
		evidence(c, "started with %s, pid %ld listened on 127.0.0.1:%d, not the process the grader started (pid %ld)",
		    how, (long)pids[0], port, (long)parent);
	else
		evidence(c, "started with %s, the parent (pid %ld) did not listen on 127.0.0.1:%d within %ld ms",
		    how, (long)parent, port, wait_ms);
	return 0;
}

/*
 * Stop the server: SIGTERM to the parent, then wait until no process of
 * uid is left (the verdict of check 9 for this run); then kill what is.
 */
static void
stop(void)
{
	int64_t t0 = now_ns(), dl = deadline(wait_ms);
	/* processes left behind in an earlier run: seen, and not waited for again */
	int n = 0, waits = parent > 0 && !verdict[SIGTERM_].mistake;

	if (parent > 0)
		kill(parent, SIGTERM);
	if (waits) {
		do {
			waitpid(parent, NULL, WNOHANG);
			if ((n = scan()) <= 0)
				break;
			sleep_ms(5);
		} while (ms_until(dl) > 0);
	}
	if (n > 0) {
		char left[320];
		size_t k = 0;
		for (int i = 0; i < n && i < 4 && k < sizeof left; i++)
			k += (size_t)snprintf(left + k, sizeof left - k, "%spid %ld (state %c in %s, parent %ld)",
			    i ? ", " : "", (long)procs[i].pid, procs[i].state, waiting_in(procs[i].pid),
			    (long)procs[i].ppid);
		evidence(SIGTERM_, "started with %s: %d of its processes were still running %ld ms after SIGTERM: %s%s",
		    how, n, wait_ms, left, n > 4 ? "..." : "");
		judged(SIGTERM_, M_LEFT);
	} else if (waits) {
		evidence(SIGTERM_, "started with %s: every process had ended %.1f ms after SIGTERM", how,
		    ms(now_ns() - t0));
		judged(SIGTERM_, NULL);
	}
	kill_all();
	if (parent > 0)
		while (waitpid(parent, NULL, 0) == -1 && errno == EINTR)
			;
	parent = 0;
	/* the next run starts with none: what was killed is gone, reaped by its parent */
	dl = deadline(wait_ms);
	while (scan() > 0) {
		if (ms_until(dl) == 0)
			die(EXIT_RUNTIME, "the server's processes outlived SIGKILL by %ld ms", wait_ms);
		sleep_ms(5);
	}
}

/*
 * Start the server (keep < 0: never) and wait until it listens: 1; 0 if it
 * does not, which fails check c, and then it is stopped.
 */
static int
begin(const char *end, long keep, enum check c)
{
	char k[16];

	snprintf(k, sizeof k, keep < 0 ? "never" : "%ld", keep);
	start(end, k);
	if (listening(c))
		return 1;
	judged(c, c == LISTENS ? M_NO_LISTEN : M_NOT_JUDGED);
	stop();
	return 0;
}

/* The server side of c, once it is seen (at most wait_ms); 0 if it never is. */
static int
find_side(struct conn *c)
{
	int64_t dl = deadline(wait_ms);
	int state;

	while (server_side(c->lport, &c->inode, &state) == -1) {
		if (ms_until(dl) == 0)
			return 0;
		sleep_ms(2);
	}
	return 1;
}

/*
 * A connection that echoes (check 2's first evidence) and is handed over
 * (check 3): who held it once the echo came. *worker: the first holder
 * that is not the parent. 0 if the server did not echo.
 */
static int
served(struct conn *c, enum check e, pid_t *worker, int *parent_held)
{
	pid_t pids[16];
	int n;

	*worker = 0;
	*parent_held = 0;
	conn_wait(c, deadline(wait_ms), 0);
	if (!echoed(c)) {
		evidence(e, "sent %zu bytes, got %zu back (%s)", c->nsent, c->ngot,
		    c->ngot == 0 ? "none" : "not the same");
		judged(e, M_NO_ECHO);
		return 0;
	}
	if (!find_side(c))
		return 1;
	/* the echo came: who wrote it holds the socket until the client's shutdown */
	n = holders(c->inode, pids, 16);
	c->t_served = now_ns();
	for (int i = 0; i < n && !*worker; i++)
		if (pids[i] != parent)
			*worker = pids[i];
	*parent_held = holds(pids, n, parent);
	return 1;
}

/* The keep in ns: no FIN can come from the parent's close before t_connect plus it. */
static int64_t
keep_ns(void)
{
	return (int64_t)keep_ms * 1000000;
}

/*
 * The earliest moment a parent that kept c's copy for times the keep may
 * let go: the connect plus that, less KEEP_SLACK_MS, for a timer that
 * counts whole milliseconds lets go up to one early (the fifth review's
 * correct answer, by other hands, let go 0.3 ms early).
 */
enum { KEEP_SLACK_MS = 10 };
static int64_t
kept_until(const struct conn *c, int times)
{
	return c->t_connect + times * keep_ns() - (int64_t)KEEP_SLACK_MS * 1000000;
}

/*
 * Whether each thread of process pid is in one of states (from /proc), but
 * those that have ended (a leader gone with pthread_exit()).
 */
static int
all_in(pid_t pid, const char *states)
{
	char path[320], line[512], *close;
	struct dirent *e;
	int in = 0, out = 0;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%ld/task", (long)pid);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%ld/task/%s/stat", (long)pid, e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		if (fgets(line, sizeof line, f) && (close = strrchr(line, ')')) && close[1] == ' ') {
			if (strchr(states, close[2]))
				in++;
			else if (close[2] != 'Z' && close[2] != 'X')
				out++;
		}
		fclose(f);
	}
	closedir(d);
	return in > 0 && out == 0;
}

/* Whether process pid is stopped: each of its threads in state T. */
static int
stopped(pid_t pid)
{
	return all_in(pid, "T");
}

/*
 * Whether the parent has exited: no thread of it is left but a zombie (it
 * is the judge's child, reaped by stop()). A leader gone alone, with
 * pthread_exit(), leaves the parent running.
 */
static int
parent_exited(void)
{
	struct tasks t;

	return live_tasks(parent, &t) == 0;
}

/* The waits of parent_idle() and wait_turn(), in ms. */
enum { IDLE_MS = 300, SIGNAL_MS = 20, ASLEEP_MS = 500 };

/* Wait until each of pids[n] is asleep in a call (each thread in state S or D) or has exited, or dl. */
static void
wait_asleep(const pid_t *pids, int n, int64_t dl)
{
	struct tasks t;

	for (; ms_until(dl) > 0; sleep_ms(1)) {
		int all = 1;
		for (int i = 0; i < n && all; i++)
			all = all_in(pids[i], "SD") || live_tasks(pids[i], &t) == 0;
		if (all)
			return;
	}
}

/* Wait until each of pids[n] is stopped, or dl, or the parent's exit: 1 once they are, 0 if not. */
static int
all_stopped(const pid_t *pids, int n, int64_t dl)
{
	for (;;) {
		int all = 1;
		for (int i = 0; i < n && all; i++)
			all = stopped(pids[i]);
		if (all || ms_until(dl) == 0 || parent_exited())
			return all;
		sleep_ms(1);
	}
}

/* The parent and its twins (is_parent()), stopped by halt_parent(). */
static pid_t halted[MAXPROCS];
static int nhalted;

/* A live thread of a process halted: when it began, and how often it has been switched out. */
struct switched {
	pid_t tid;
	unsigned long long start;
	long long n;
};
static struct switched at_halt[MAXPROCS], now_seen[MAXPROCS];
static int nat_halt;

/*
 * Each live thread of the processes halted, when it began, and how often
 * it has been switched out (voluntary and not), from /proc, into
 * s[MAXPROCS]: how many. Once they are stopped, no count changes and no
 * thread comes or goes, unless one of them ran, continued by a process of
 * the server's (SIGCONT): a thread that ran and ended, or a new one,
 * changes the list (the fifth review's parent swapped a thread that had
 * run for a new one, its count made up to the sum of the old), and a tid
 * used again begins at another time (the seventh review's).
 */
static int
switches(struct switched *s)
{
	char path[320], line[512], *close;
	long long v;
	struct tasks t;
	int n = 0;
	FILE *f;

	for (int i = 0; i < nhalted; i++) {
		live_tasks(halted[i], &t);
		for (int j = 0; j < t.n && n < MAXPROCS; j++) {
			snprintf(path, sizeof path, "/proc/%ld/task/%ld/stat", (long)halted[i],
			    (long)t.tid[j]);
			if (!(f = fopen(path, "re")))
				continue;
			s[n] = (struct switched){ t.tid[j], 0, 0 };
			/* field 22, starttime: the 20th after the state, field 3 */
			if (fgets(line, sizeof line, f) && (close = strrchr(line, ')')))
				sscanf(close + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
				    &s[n].start);
			fclose(f);
			snprintf(path, sizeof path, "/proc/%ld/task/%ld/status", (long)halted[i],
			    (long)t.tid[j]);
			if (!(f = fopen(path, "re")))
				continue;
			while (fgets(line, sizeof line, f))
				if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1 ||
				    sscanf(line, "nonvoluntary_ctxt_switches: %lld", &v) == 1)
					s[n].n += v;
			fclose(f);
			n++;
		}
	}
	return n;
}

/* Whether the lists of switches() a[na] and b[nb] are the same threads, each switched as often. */
static int
same_switches(const struct switched *a, int na, const struct switched *b, int nb)
{
	if (na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (a[i].tid != b[i].tid || a[i].start != b[i].start || a[i].n != b[i].n)
			return 0;
	return 1;
}

/*
 * Whether the processes halted stayed stopped since halt_parent(): each is
 * stopped still, none of them ran, and no other process shares the
 * parent's descriptor table (a twin made since, which the stop did not
 * reach). A thread continued is switched out only once it blocks or is
 * preempted: the seventh review's spinner, continued, shut the socket down
 * and spun on, its count unchanged, until the judge looked.
 */
static int
still_halted(void)
{
	struct tasks family;
	int n;

	for (int i = 0; i < nhalted; i++)
		if (!stopped(halted[i]))
			return 0;
	if (!same_switches(at_halt, nat_halt, now_seen, switches(now_seen)))
		return 0;
	n = scan();
	live_tasks(parent, &family);
	for (int i = 0; i < n; i++) {
		int known = 0;
		for (int j = 0; j < nhalted && !known; j++)
			known = procs[i].pid == halted[j];
		if (!known && is_parent(procs[i].pid, &family))
			return 0;
	}
	return 1;
}

/*
 * Stop the parent and its twins (SIGSTOP), and wait until they are: 1 once
 * they are, 0 if not. continue_parent() continues them.
 */
static int
halt_parent(void)
{
	int64_t dl = deadline(wait_ms);
	struct tasks family;
	int all, more;

	/*
	 * The parent first: stopped, it makes no twin. Then its twins, looked
	 * for again until a look finds none new, each stopped as it is found
	 * (the sixth review's twinrace: a twin born between the look and the
	 * parent's stop ran on, free).
	 */
	nhalted = 0;
	halted[nhalted++] = parent;
	if (kill(parent, SIGSTOP) == -1)
		return 0;
	all = all_stopped(halted, 1, dl);
	do {
		int n = scan();
		more = 0;
		live_tasks(parent, &family);
		for (int i = 0; i < n && nhalted < MAXPROCS; i++) {
			int known = 0;
			for (int j = 0; j < nhalted && !known; j++)
				known = procs[i].pid == halted[j];
			if (!known && is_parent(procs[i].pid, &family)) {
				halted[nhalted++] = procs[i].pid;
				kill(procs[i].pid, SIGSTOP);
				more = 1;
			}
		}
		all = all_stopped(halted, nhalted, dl);
	} while (all && more && ms_until(dl) > 0);
	/* the counts, once a thread that has just stopped is switched out too */
	for (nat_halt = switches(at_halt); all && ms_until(dl) > 0;) {
		int n;
		sleep_ms(1);
		if (same_switches(at_halt, nat_halt, now_seen, n = switches(now_seen)))
			break;
		memcpy(at_halt, now_seen, (size_t)n * sizeof *now_seen);
		nat_halt = n;
	}
	for (int i = 0; i < nhalted && all; i++)
		all = stopped(halted[i]);
	return all;
}

static void
continue_parent(void)
{
	for (int i = 0; i < nhalted; i++)
		kill(halted[i], SIGCONT);
	nhalted = 0;
}

/* words no process of the server can know before it reads them: text, then 16 hex digits */
static void
random_words(char *buf, size_t len, const char *text)
{
	unsigned char r[8] = { 0 };

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		die(EXIT_RUNTIME, "getrandom:");
	snprintf(buf, len, "%s %02x%02x%02x%02x%02x%02x%02x%02x\n", text, r[0], r[1], r[2], r[3],
	    r[4], r[5], r[6], r[7]);
}

/* The CPU time process pid has had, every thread's, in ns (its POSIX CPU clock); -1 if none. */
static long long
cpu_ns(pid_t pid)
{
	struct timespec t;
	clockid_t clock;

	if (clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &t) == -1)
		return -1;
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/*
 * Wait until pid has had its turn: it has exited, or each of its threads
 * is asleep in a call (right after SIGCONT each shows R), or it has run
 * TURN_NS since ran, an earlier cpu_ns() (one that polls never sleeps); dl
 * at most: 1 if it had, 0 if not. What it was woken for (a continue, a
 * SIGCHLD) is then done or under way: the record's eintr-epoll, whose
 * epoll_wait() failed with EINTR at the continue, had not run when the
 * judge asked whether it had exited.
 */
static int
wait_turn(pid_t pid, long long ran, int64_t dl)
{
	enum { TURN_NS = 1000000 };
	struct tasks t;
	long long now;

	while (live_tasks(pid, &t) != 0 && !all_in(pid, "SD") && (now = cpu_ns(pid)) != -1 &&
	    now - ran < TURN_NS)
		if (ms_until(dl) == 0)
			return 0;
		else
			sleep_ms(1);
	return 1;
}

/*
 * Whether another process than the parent serves c: with the parent
 * stopped (SIGSTOP, which no process can block or catch), a second
 * message still comes back (1; 0 if not, -1 if the parent could not be
 * stopped, or a process of the server continued it meanwhile). The parent
 * is continued after, and given its turn.
 */
static int
served_while_stopped(struct conn *c)
{
	char text[80];
	long long ran;
	int ok;

	random_words(text, sizeof text, "closelab judge: while the parent is stopped");
	if (!halt_parent())
		ok = -1;
	else if (conn_send(c, text) == -1)
		ok = 0;
	else {
		conn_wait(c, deadline(wait_ms), 0);
		ok = still_halted() ? echoed(c) : -1;
	}
	ran = cpu_ns(parent);
	continue_parent();
	wait_turn(parent, ran, deadline(ASLEEP_MS));
	return ok;
}

/*
 * The shutdown run's keep, in the close run's, whose windows, [1, 2) and
 * [3, 6) keeps after the connect, no keep of the server's own fits both. The
 * two runs go through the same exchanges, the same stops and the same
 * messages, so that a keep counted from any of them, or from the client's
 * shutdown, falls as far from the connect in each (the seventh, eighth and
 * ninth reviews' keeps from the client's FIN, behind slow echoes, from the
 * last SIGCONT, a second a line read, behind a stop held back by vfork()).
 * Only the command line tells the runs apart.
 */
enum { SHUTDOWN_KEEPS = 3 };
static const char KEPT_FIRST[] = "closelab judge: a connection the parent keeps\n";

/* Whether process pid has a handler for SIGCHLD: SigCgt in /proc/PID/status. */
static int
catches_sigchld(pid_t pid)
{
	char path[64], line[128];
	unsigned long long mask = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "SigCgt: %llx", &mask) == 1)
			break;
	fclose(f);
	return (mask >> (SIGCHLD - 1)) & 1;
}

/*
 * The other half of the handoff: with every other process that holds c's
 * socket stopped, and the parent running, a third message gets no echo
 * for IDLE_MS (the parent does not serve it: the fifth review's stand-in
 * echoed only while the parent was stopped), and its echo comes once they
 * are continued: 1; 0 if its echo began while they were stopped; -1 if it
 * never came whole; -2 if none is left, or one would not stop (the sixth
 * review's: a stand-in that lets go and takes the socket again with
 * pidfd_getfd(), and one with a thread in vfork(), in state D), for then
 * the parent cannot be told from it; -3 if the connection ended, unechoed,
 * once they were continued (the seventh review's eintr: a call with
 * SO_RCVTIMEO fails with EINTR after a stop). *other: one of them.
 * idle_let_go: whether the parent, which catches SIGCHLD, let go of c
 * within SIGNAL_MS of their stop or of their continue (at idle_gone), before
 * its keep of times the keep could be over (the seventh review's sigchld:
 * the SIGCHLD of its worker's stop cut its sleep short; not a keep that
 * ended in the while, the eighth and ninth reviews').
 */
static int64_t idle_stop, idle_cont, idle_gone;	/* stopped, continued, seen without its copy */
static int idle_let_go;
static int catches_sigchld(pid_t pid);

/* Whether the parent holds c's socket now. */
static int
parent_holds(const struct conn *c)
{
	pid_t pids[16];
	int n = holders(c->inode, pids, 16);

	return holds(pids, n, parent);
}

static int
parent_idle(struct conn *c, int times, pid_t *other)
{
	pid_t pids[16], others[16];
	int64_t dl = deadline(wait_ms);
	size_t before;
	char text[80];
	int n = holders(c->inode, pids, 16), k = 0, result = 1, held;

	idle_let_go = 0;
	idle_gone = 0;

	for (int i = 0; i < n; i++)
		if (pids[i] != parent)
			others[k++] = pids[i];
	if (k == 0)
		return -2;
	*other = others[0];
	/*
	 * each asleep first (one that spins, ASLEEP_MS at most), in a call
	 * that the stop may interrupt, as it is between two messages: the
	 * stop then finds it where it waits (the seventh review's eintr,
	 * whose worker was stopped at times before it was back in recv())
	 */
	wait_asleep(others, k, deadline(ASLEEP_MS));
	held = parent_holds(c);
	idle_stop = now_ns();
	for (int i = 0; i < k; i++)
		kill(others[i], SIGSTOP);
	random_words(text, sizeof text, "closelab judge: while the worker is stopped");
	before = c->ngot;
	if (!all_stopped(others, k, dl))
		result = -2;
	else {
		/* a parent that a SIGCHLD of the stop woke lets go at once */
		sleep_ms(SIGNAL_MS);
		if (held && !parent_holds(c))
			idle_gone = now_ns();
		if (conn_send(c, text) == -1)
			result = -1;
		else {
			conn_wait(c, deadline(IDLE_MS), 0);
			if (c->ngot != before)
				result = 0;
		}
	}
	held = parent_holds(c);
	for (int i = 0; i < k; i++)
		kill(others[i], SIGCONT);
	idle_cont = now_ns();
	sleep_ms(SIGNAL_MS);
	if (held && !idle_gone && !parent_holds(c))
		idle_gone = now_ns();
	idle_let_go = idle_gone && idle_gone < kept_until(c, times) && catches_sigchld(parent);
	if (result == 1) {
		conn_wait(c, deadline(wait_ms), 0);
		result = echoed(c) ? 1 : c->end != OPEN && c->t_end >= idle_cont ? -3 : -1;
	}
	return result;
}

/*
 * Whether the kernel showed the parent without its copy before its keep of
 * times the keep could have ended (the handoff comes after the connect):
 * right after the echo (parent_held), or at t (ns; 0: not seen).
 */
static int
let_go(const struct conn *c, int times, int parent_held, int64_t t)
{
	int64_t end = kept_until(c, times);

	return (!parent_held && c->t_served < end) || (t && t < end);
}

/*
 * When the parent let go of its copy of c's socket: after *held (ns), the
 * start of the last look that showed it holding the socket, and before the
 * end of the first that did not, which it returns; 0 if it still held it
 * at dl. A look's time is that of the whole look: a server whose threads
 * and descriptors make looks slow widens the span (the fifth review).
 */
static int64_t
parent_lets_go(const struct conn *c, int64_t dl, int64_t *held)
{
	pid_t pids[16];
	int64_t start;
	int n;

	do {
		start = now_ns();
		n = holders(c->inode, pids, 16);
		if (!holds(pids, n, parent))
			return now_ns();
		*held = start;
		sleep_ms(2);
	} while (ms_until(dl) > 0);
	return 0;
}

/* How long a span parent_lets_go() may leave and still time the keep. */
enum { SPAN_MS = 250 };

/* Check 1, 3 and 5: --end shutdown with a keep. */
static void
run_shutdown(void)
{
	char list[64], words[160];
	struct conn c;
	pid_t worker = 0, other = 0, pids[16];
	int parent_held = 0, n, alone, idle = 1;

	if (!begin("shutdown", SHUTDOWN_KEEPS * keep_ms, LISTENS))
		return;
	judged(LISTENS, NULL);
	if (conn_open(&c, KEPT_FIRST) == -1) {
		evidence(HANDOFF, "could not connect");
		judged(HANDOFF, M_NO_LISTEN);
	} else if (served(&c, ECHO, &worker, &parent_held)) {
		if (!worker) {
			evidence(HANDOFF, "once it echoed, only the parent (pid %ld) held the connection",
			    (long)parent);
			judged(HANDOFF, M_NO_HANDOFF);
		} else if ((alone = served_while_stopped(&c)) == -1 && parent_exited()) {
			evidence(HANDOFF, "pid %ld held the connection; the echo with the parent (pid %ld) stopped could not be judged, and the parent exited",
			    (long)worker, (long)parent);
			judged(HANDOFF, M_PARENT_EXITED);
		} else if (alone == -1) {
			evidence(HANDOFF, "pid %ld held the connection; the parent (pid %ld) would not stop, or ran while stopped, before the echo could be judged",
			    (long)worker, (long)parent);
			judged(HANDOFF, M_UNSTOPPED);
		} else if (!alone) {
			evidence(HANDOFF, "pid %ld held the connection, but with the parent (pid %ld) stopped no echo came in %ld ms",
			    (long)worker, (long)parent, wait_ms);
			judged(HANDOFF, M_PARENT_SERVED);
		} else if ((idle = parent_idle(&c, SHUTDOWN_KEEPS, &other)) != 1 && parent_exited()) {
			evidence(HANDOFF, "with the parent (pid %ld) stopped the echo came; then the parent exited",
			    (long)parent);
			judged(HANDOFF, M_PARENT_EXITED);
		} else if (idle == 0) {
			evidence(HANDOFF, "with the parent (pid %ld) stopped the echo came, and with pid %ld stopped instead it came too, within %d ms",
			    (long)parent, (long)other, IDLE_MS);
			judged(HANDOFF, M_STANDIN);
		} else if (idle == -2) {
			evidence(HANDOFF, "with the parent (pid %ld) stopped the echo came, but then %s",
			    (long)parent, other ? "a process that held the connection beside it would not stop" :
			    "no other process held the connection");
			judged(HANDOFF, M_HOLDER_GONE);
		} else if (idle == -1) {
			evidence(HANDOFF, "with pid %ld stopped, then continued, the echo of a third message never came",
			    (long)other);
			judged(HANDOFF, M_NO_ECHO);
		} else if (idle == -3) {
			evidence(HANDOFF, "with pid %ld stopped, then continued, the connection ended (%s) %.1f ms after the continue, before the echo of a third message",
			    (long)other, c.end == RST ? "RST" : "FIN", ms(c.t_end - idle_cont));
			judged(HANDOFF, M_ENDED_AT_CONT);
		} else if (parent_exited()) {
			evidence(HANDOFF, "with the parent (pid %ld) stopped the echo came, and with pid %ld stopped it waited; by the check's end the parent had exited",
			    (long)parent, (long)other);
			judged(HANDOFF, M_PARENT_EXITED);
		} else {
			evidence(HANDOFF, "pid %ld held the connection, and the parent (pid %ld) %s; with the parent stopped, the echo still came, and with pid %ld stopped it waited",
			    (long)worker, (long)parent, parent_held ? "too" : "no longer", (long)other);
			judged(HANDOFF, NULL);
		}
		/*
		 * the client's shutdown with the parent stopped: a FIN that comes
		 * now was sent by another process's call, while the parent held
		 * the socket, which the lesson says only shutdown() can do
		 */
		int kept = halt_parent(), during, early;
		int64_t t = now_ns(), let_go_at;
		/*
		 * a FIN there already came before the stop, while the parent ran;
		 * the parent stopped until the FIN, or as long as the close run's
		 * may be, until its keep is over (the tenth review's: a worker
		 * whose copy, hidden at the EOF, shut down late, kept this run's
		 * parent stopped a second longer than that run's)
		 */
		if (!(early = conn_read(&c) == 1)) {
			shutdown(c.fd, SHUT_WR);
			conn_wait(&c, t < kept_until(&c, 1) ? kept_until(&c, 1) : deadline(wait_ms), 1);
		}
		during = !early && c.end != TIMEOUT;
		n = holders(c.inode, pids, 16);
		kept = kept && still_halted();
		continue_parent();
		if (!early && !during) {
			/* until the keep is over, and the wait after that, or after now */
			int64_t over = c.t_connect + SHUTDOWN_KEEPS * keep_ns();
			c.end = OPEN;
			conn_wait(&c, (over > now_ns() ? over : now_ns()) + (int64_t)wait_ms * 1000000, 1);
		}
		evidence(SHUTDOWN, "%s; %s", ended(&c, t, words, sizeof words),
		    early ? "it came before the client's shutdown, while the parent ran" :
		    !kept ? "the parent did not stay stopped" : during ?
		    "the parent was stopped all along" : "the parent was stopped until then, and continued");
		evidence(SHUTDOWN, "at the end %s held the socket", pidlist(pids, n, list, sizeof list));
		if (parent_exited())
			judged(SHUTDOWN, M_PARENT_EXITED);
		else if (c.end == TIMEOUT)
			judged(SHUTDOWN, M_NO_END);
		else if (c.end == RST)
			judged(SHUTDOWN, M_RST);
		else if (early)
			judged(SHUTDOWN, M_EARLY_FIN);
		else if (!kept)
			judged(SHUTDOWN, M_UNSTOPPED);
		else if (!during)
			judged(SHUTDOWN, M_SHUTDOWN_CLOSE);
		else if (holds(pids, n, parent)) {
			/* and it lets go when its keep ends: no sooner, nor twice as late */
			int64_t held = t;
			let_go_at = parent_lets_go(&c, c.t_connect + 2 * SHUTDOWN_KEEPS * keep_ns() + (int64_t)wait_ms * 1000000,
			    &held);
			if (!let_go_at) {
				evidence(SHUTDOWN, "the parent still held it %.1f ms after the connect",
				    ms(now_ns() - c.t_connect));
				judged(SHUTDOWN, M_PARENT_NEVER);
			} else {
				evidence(SHUTDOWN, "the parent let go of it %.1f to %.1f ms after the connect (a keep of %ld ms)",
				    ms(held - c.t_connect), ms(let_go_at - c.t_connect), SHUTDOWN_KEEPS * keep_ms);
				/* too soon, too late, or a span too wide to tell across either bound */
				int64_t long_at = c.t_connect + 2 * SHUTDOWN_KEEPS * keep_ns();
				int wide = let_go_at - held > (int64_t)SPAN_MS * 1000000;
				judged(SHUTDOWN, let_go_at < kept_until(&c, SHUTDOWN_KEEPS) ? M_NO_KEEP :
				    held >= long_at ? M_KEEP_LONG :
				    wide && (held < kept_until(&c, SHUTDOWN_KEEPS) || let_go_at >= long_at) ? M_UNTIMED :
				    NULL);
			}
		} else if (!let_go(&c, SHUTDOWN_KEEPS, parent_held, c.t_end))
			judged(SHUTDOWN, M_LATE);
		else if (idle_let_go) {
			evidence(SHUTDOWN, "pid %ld was stopped %.1f ms after the connect and continued at %.1f ms; the parent, which held the socket before, no longer held it at %.1f ms",
			    (long)other, ms(idle_stop - c.t_connect), ms(idle_cont - c.t_connect),
			    ms(idle_gone - c.t_connect));
			judged(SHUTDOWN, M_KEEP_SIGNALLED);
		} else
			judged(SHUTDOWN, M_NO_KEEP);
	}
	conn_close(&c);
	stop();
}

/*
 * How long the socket may be seen in CLOSE_WAIT held by no process: a last
 * close is between its descriptor's removal and its FIN for microseconds,
 * a copy in a message in flight for as long as it is kept there.
 */
enum { HIDDEN_MS = 500 };

/*
 * Watch c's server side after the client's shutdown until its end, or the
 * deadline dl, or (stop_when_alone) the parent seen alone: whether the
 * parent alone held it in CLOSE_WAIT, whether others held it without the
 * parent or beside it, and whether nobody did for HIDDEN_MS (a copy hidden),
 * added to what w holds (zeroed by the caller: the close run watches the
 * parent stopped, then running).
 */
struct watch {
	int64_t parent_alone, others_alone, shared_cw, hidden;	/* when first seen; 0 never */
	int64_t others_after;	/* others, once the parent was seen alone */
	int64_t parent_last;	/* when the parent was last seen holding it */
	int64_t parent_gone;	/* the end of the first look that found the parent without it */
	int64_t nobody;		/* since when nobody has been seen, 0 if someone was last */
	pid_t other, other_after;
};
static void
watch(struct conn *c, int64_t dl, int stop_when_alone, struct watch *w)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	pid_t pids[16];
	int n, state;
	unsigned long inode;

	for (;;) {
		if (conn_read(c) != 0 || ms_until(dl) == 0)
			break;
		if (server_side(c->lport, &inode, &state) == 0 && state == TCPS_CLOSE_WAIT) {
			n = holders(inode, pids, 16);
			if (holds(pids, n, parent))
				w->parent_last = now_ns();
			else if (!w->parent_gone)
				w->parent_gone = now_ns();
			if (n > 0)
				w->nobody = 0;
			else if (!w->nobody)
				w->nobody = now_ns();
			else if (!w->hidden && now_ns() - w->nobody >= (int64_t)HIDDEN_MS * 1000000)
				w->hidden = w->nobody;
			/*
			 * once the parent was alone, another holder, beside it or
			 * not, is one that had let go and holds it again (the
			 * seventh review's peekaboo: its worker's copy in flight
			 * for a look, then back beside the parent's)
			 */
			if (w->parent_alone && !w->others_after && n > (holds(pids, n, parent) ? 1 : 0))
				w->others_after = now_ns(), w->other_after = pids[pids[0] == parent ? 1 : 0];
			if (n == 1 && pids[0] == parent) {
				if (!w->parent_alone)
					w->parent_alone = now_ns();
				if (stop_when_alone)
					return;
			} else if (n > 0 && !holds(pids, n, parent)) {
				if (!w->others_alone)
					w->others_alone = now_ns(), w->other = pids[0];
			} else if (n > 1 && !w->shared_cw) {
				w->shared_cw = now_ns();
				w->other = pids[pids[0] == parent ? 1 : 0];
			}
		}
		poll(&p, 1, 2);
	}
	if (c->end == OPEN && ms_until(dl) == 0) {
		c->end = TIMEOUT;
		c->t_end = now_ns();
	}
}

/*
 * The shutdown run's steps before the client's shutdown, on c, the close
 * run's connection (SHUTDOWN_KEEPS): with the parent stopped a second
 * message, with the other holders stopped a third, then the parent stopped
 * again (continue_parent() after). What they show is check 3's, judged
 * there; a server that failed it is held at that check's cap, which no
 * keep of its own can raise, and takes none (the class's dummy-holder
 * would wait out its keep for an echo). Returns when they were done.
 */
static int64_t
shutdown_run_steps(struct conn *c)
{
	pid_t other;

	if (verdict[HANDOFF].ran && !verdict[HANDOFF].mistake) {
		served_while_stopped(c);
		parent_idle(c, 1, &other);
		halt_parent();
	}
	return now_ns();
}

/* Check c's evidence of a copy hidden (w.hidden), t the client's shutdown. */
static void
evidence_hidden(enum check c, const struct watch *w, int64_t t)
{
	evidence(c, "no process held it in CLOSE_WAIT from %.1f ms after the client's shutdown, for %d ms or more",
	    ms(w->hidden - t), HIDDEN_MS);
}

/* How long before the keep is over the close run's look at the parent alone may begin. */
enum { LOOK_MS = 50 };

/* Check 4: --end close with a keep. */
static void
run_close(void)
{
	char list[64], words[160];
	struct conn c;
	struct watch w = { 0 };
	pid_t worker = 0, pids[16];
	int parent_held = 0, n;
	int64_t seen, t;

	if (!begin("close", keep_ms, CLOSE_KEEP))
		return;
	if (conn_open(&c, KEPT_FIRST) == -1 || !served(&c, ECHO, &worker, &parent_held)) {
		evidence(CLOSE_KEEP, "the server did not echo");
		judged(CLOSE_KEEP, M_NO_ECHO);
	} else if ((t = shutdown_run_steps(&c)) >= kept_until(&c, 1) - (int64_t)LOOK_MS * 1000000) {
		continue_parent();
		evidence(CLOSE_KEEP, "the client's shutdown could come only %.1f ms after the connect, too near the end of the keep for a look",
		    ms(t - c.t_connect));
		judged(CLOSE_KEEP, M_LATE);
	} else {
		/* the parent stopped until it is seen alone, as the shutdown run's until the FIN */
		shutdown(c.fd, SHUT_WR);
		watch(&c, kept_until(&c, 1), 1, &w);
		if (c.end == TIMEOUT)
			c.end = OPEN;
		continue_parent();
		watch(&c, deadline(keep_ms + wait_ms), 0, &w);
		n = holders(c.inode, pids, 16);
		seen = now_ns();
		evidence(CLOSE_KEEP, "%s; then %s held the socket", ended(&c, t, words, sizeof words),
		    pidlist(pids, n, list, sizeof list));
		if (w.parent_alone)
			evidence(CLOSE_KEEP, "the parent (pid %ld) alone held it in CLOSE_WAIT %.1f ms after the client's shutdown",
			    (long)parent, ms(w.parent_alone - t));
		if (w.others_alone)
			evidence(CLOSE_KEEP, "pid %ld held it in CLOSE_WAIT, and the parent (pid %ld) no longer, %.1f ms after the client's shutdown",
			    (long)w.other, (long)parent, ms(w.others_alone - t));
		if (w.shared_cw && !w.parent_alone)
			evidence(CLOSE_KEEP, "pid %ld still held it in CLOSE_WAIT beside the parent %.1f ms after the client's shutdown",
			    (long)w.other, ms(w.shared_cw - t));
		if (w.hidden)
			evidence_hidden(CLOSE_KEEP, &w, t);
		if (w.others_after)
			evidence(CLOSE_KEEP, "pid %ld held it in CLOSE_WAIT %.1f ms after the client's shutdown, after the parent had held it alone",
			    (long)w.other_after, ms(w.others_after - t));
		/* the FIN long after the parent, once alone, was last seen with it: a copy out of sight held it */
		int late = c.end == EOF_ && w.parent_alone &&
		    c.t_end - w.parent_last >= (int64_t)HIDDEN_MS * 1000000;
		if (late && !w.hidden)
			evidence(CLOSE_KEEP, "the FIN came %.1f ms after the parent was last seen holding the socket",
			    ms(c.t_end - w.parent_last));
		/*
		 * the parent seen without its copy before its keep could be over,
		 * whoever else kept the socket meanwhile (the sixth review's
		 * halfkeep: the worker's copy, in flight, stood in for the rest)
		 */
		int gone_early = w.parent_gone && w.parent_gone < kept_until(&c, 1);
		if (gone_early)
			evidence(CLOSE_KEEP, "the parent (pid %ld) no longer held it %.1f ms after the connect, before its keep of %ld ms was over",
			    (long)parent, ms(w.parent_gone - c.t_connect), keep_ms);
		if (c.end == RST)
			judged(CLOSE_KEEP, M_RST);
		else if (c.end == EOF_ && holds(pids, n, parent))
			/* the FIN came, and the parent still held the socket */
			judged(CLOSE_KEEP, M_CLOSE_SHUTDOWN);
		else if (w.hidden)
			judged(CLOSE_KEEP, M_HIDDEN);
		else if (w.others_after)
			judged(CLOSE_KEEP, M_WORKER_HELD);
		else if (late)
			judged(CLOSE_KEEP, M_HIDDEN);
		else if (c.end == EOF_ && c.t_end < kept_until(&c, 1) &&
		    (w.parent_alone || seen < kept_until(&c, 1)))
			/*
			 * the FIN came before the keep could be over, and the parent
			 * held it last, or was seen without it before then: whoever
			 * let go first, the parent let go too soon
			 */
			judged(CLOSE_KEEP, w.parent_alone ? M_SHORT_KEEP : M_NO_KEEP);
		else if (gone_early)
			judged(CLOSE_KEEP, M_NO_KEEP);
		else if (let_go(&c, 1, parent_held, w.others_alone) ||
		    (c.end == EOF_ && !w.parent_alone && !w.shared_cw && let_go(&c, 1, 0, c.t_end)))
			judged(CLOSE_KEEP, M_NO_KEEP);
		else if (c.end == TIMEOUT)
			judged(CLOSE_KEEP, w.parent_alone ? M_PARENT_NEVER : w.shared_cw ? M_WORKER_HELD :
			    M_NO_END);
		else if (!w.parent_alone || w.parent_alone >= c.t_connect + keep_ns())
			/* the parent alone, if at all, only once the keep could be over */
			judged(CLOSE_KEEP, M_WORKER_HELD);
		else if (c.t_end >= c.t_connect + 2 * keep_ns())
			/* a keep of its own, whatever it was told: twice as long is no timer's delay */
			judged(CLOSE_KEEP, M_KEEP_LONG);
		else
			judged(CLOSE_KEEP, NULL);
	}
	conn_close(&c);
	stop();
}

static int held_besides(pid_t w, unsigned long mine, const unsigned long *ended, int nended);

/*
 * Check 7's other half: a second connection while the parent keeps the
 * first's copy for ever (which it must go on accepting with, and serve:
 * check 6 else). The process that serves it must not hold the first's
 * socket: a child forked for it inherits the parent's kept copies unless it
 * closes them, and then the first ends only when that child does too.
 */
static void
second_while_kept(void)
{
	struct conn k;
	pid_t w = 0;
	int parent_held, others;

	if (conn_open(&k, "closelab judge: never, a second connection\n") == -1 ||
	    !served(&k, NEVER, &w, &parent_held) || !w) {
		conn_close(&k);
		return;
	}
	if ((others = held_besides(w, k.inode, NULL, 0)) > 0) {
		/* the first connection's CLOSE_WAIT, then, is not the parent's alone: check 6 fails too */
		evidence(MODEL, "pid %ld, serving a second connection while the parent kept the first (never), held %d other connection%s of the port",
		    (long)w, others, others > 1 ? "s" : "");
		evidence(NEVER, "pid %ld, serving a second connection, held the first too: the parent was not alone in holding it",
		    (long)w);
		judged(MODEL, M_OTHERS_HELD);
		judged(NEVER, M_OTHERS_HELD);
	}
	shutdown(k.fd, SHUT_WR);
	conn_wait(&k, deadline(wait_ms), 1);
	conn_close(&k);
}

/* Check 6: --end close, never. */
static void
run_never(void)
{
	char list[64], words[160];
	struct conn c;
	struct watch w = { 0 }, more = { 0 };
	pid_t worker = 0, pids[16];
	int parent_held = 0, n;

	if (!begin("close", -1, NEVER))
		return;
	if (conn_open(&c, "closelab judge: never\n") == -1 || !served(&c, ECHO, &worker, &parent_held)) {
		evidence(NEVER, "the server did not echo");
		judged(NEVER, M_NO_ECHO);
	} else {
		int64_t t = now_ns();
		shutdown(c.fd, SHUT_WR);
		watch(&c, deadline(wait_ms), 1, &w);
		if (w.parent_alone) {
			/*
			 * and goes on holding it, past twice the keep (which a keep of
			 * the server's own, whatever it is told, would fail check 4 with)
			 */
			evidence(NEVER, "the parent (pid %ld) alone held it in CLOSE_WAIT %.1f ms after the client's shutdown",
			    (long)parent, ms(w.parent_alone - t));
			watch(&c, c.t_connect + 2 * keep_ns() + keep_ns() / 2, 0, &more);
			n = holders(c.inode, pids, 16);
			if (c.end == EOF_ || c.end == RST) {
				evidence(NEVER, "%s", ended(&c, t, words, sizeof words));
				judged(NEVER, M_NEVER_ENDED);
			} else if (more.hidden || !holds(pids, n, parent)) {
				evidence(NEVER, "%.1f ms after the client's shutdown %s held it, and no FIN had come",
				    ms(now_ns() - t), pidlist(pids, n, list, sizeof list));
				judged(NEVER, M_NEVER_LET_GO);
			} else {
				evidence(NEVER, "it still held it %.1f ms after, and no FIN had come",
				    ms(now_ns() - t));
				judged(NEVER, NULL);
				second_while_kept();
			}
		} else if (c.end == EOF_ && holds(pids, n = holders(c.inode, pids, 16), parent)) {
			evidence(NEVER, "%s; the parent (pid %ld) still held the socket",
			    ended(&c, t, words, sizeof words), (long)parent);
			judged(NEVER, M_CLOSE_SHUTDOWN);
		} else if (c.end == EOF_ || c.end == RST) {
			evidence(NEVER, "%s", ended(&c, t, words, sizeof words));
			judged(NEVER, M_NEVER_ENDED);
		} else if (w.hidden) {
			evidence_hidden(NEVER, &w, t);
			judged(NEVER, M_HIDDEN);
		} else if (w.others_alone) {
			evidence(NEVER, "pid %ld held it in CLOSE_WAIT, and the parent no longer", (long)w.other);
			judged(NEVER, M_NO_KEEP);
		} else if (w.other) {
			evidence(NEVER, "%ld ms after the client's shutdown, pid %ld still held it beside the parent",
			    wait_ms, (long)w.other);
			judged(NEVER, M_WORKER_HELD);
		} else {
			evidence(NEVER, "%ld ms after the client's shutdown the parent had not been seen holding it alone",
			    wait_ms);
			judged(NEVER, M_NO_KEEP);
		}
	}
	conn_close(&c);
	stop();
}

/*
 * How many of the judge's connections (127.0.0.1:port to 127.0.0.1) other
 * than the one of socket mine process w holds: those sock_diag lists, and
 * the sockets ended[nended] of connections that have ended, which it lists
 * no more once closed on both sides, though a descriptor still holds them
 * (the eleventh review's worker that never closes). One scan of /proc.
 */
static int
held_besides(pid_t w, unsigned long mine, const unsigned long *ended, int nended)
{
	struct tcpsock *s;
	struct procfd *t;
	const struct procfd_holder *h;
	unsigned long *inodes;
	size_t ns, n = 0, nh;
	int others = 0;

	if (diag_dump(-1, TCPS_ALL & ~(1u << TCPS_LISTEN), port, &s, &ns) == -1)
		die(EXIT_RUNTIME, "sock_diag:");
	if (!(inodes = calloc(ns + (size_t)nended + 1, sizeof *inodes)))
		die(EXIT_RUNTIME, "calloc:");
	for (size_t j = 0; j < ns; j++)
		if (s[j].sport == port && s[j].inode && s[j].inode != mine &&
		    loopback(&s[j], 0, 0) && loopback(&s[j], 1, 0))
			inodes[n++] = s[j].inode;
	free(s);
	for (int j = 0; j < nended; j++) {
		size_t i = 0;
		while (i < n && inodes[i] != ended[j])
			i++;
		if (i == n && ended[j] && ended[j] != mine)
			inodes[n++] = ended[j];
	}
	if (n == 0) {
		free(inodes);
		return 0;
	}
	if (!(t = procfd_scan(inodes, n)))
		die(EXIT_RUNTIME, "cannot scan /proc:");
	for (size_t j = 0; j < n; j++) {
		h = procfd_holders(t, inodes[j], &nh);
		for (size_t i = 0; i < nh; i++)
			if (h[i].pid == w) {
				others++;
				break;
			}
	}
	procfd_free(t);
	free(inodes);
	return others;
}

/*
 * Check 2's bytes: one connection sends BLOCK random bytes, NUL bytes among
 * them and no newline at the end, shuts down once they are written, and
 * reads until the end, writing and reading as the server lets it: every
 * byte must come back, in order (the eleventh review's echo up to a NUL).
 */
enum { BLOCK = 65536 };
#define BLOCK_SENT "a block of 65536 random bytes, NUL bytes among them and no newline at its end"
static void
echo_block(void)
{
	static unsigned char out[BLOCK];
	unsigned char in[4096];
	size_t sent = 0, got = 0, differs = 0;	/* differs: the first byte that did, from 1 */
	ssize_t r;
	int shut = 0;
	struct conn c;

	for (size_t n = 0; n < BLOCK; n += (size_t)r)
		if ((r = getrandom(out + n, BLOCK - n, 0)) == -1) {
			if (errno != EINTR)
				die(EXIT_RUNTIME, "getrandom:");
			r = 0;
		}
	out[BLOCK / 2] = out[BLOCK - 1] = '\0';
	if (conn_open(&c, "") == -1) {
		evidence(ECHO, "%s: the judge could not connect", BLOCK_SENT);
		judged(ECHO, M_NO_ECHO);
		return;
	}
	for (int64_t dl = deadline(2 * wait_ms); !differs && c.end == OPEN && ms_until(dl) > 0;) {
		struct pollfd p = { .fd = c.fd, .events = POLLIN | (sent < BLOCK ? POLLOUT : 0) };
		poll(&p, 1, ms_until(dl));
		if (sent < BLOCK && (r = write(c.fd, out + sent, BLOCK - sent)) > 0)
			sent += (size_t)r;
		if (sent == BLOCK && !shut)
			shut = shutdown(c.fd, SHUT_WR) == 0;
		while (!differs && (r = read(c.fd, in, sizeof in)) > 0)
			for (size_t i = 0; i < (size_t)r && !differs; i++, got++)
				if (got >= BLOCK || in[i] != out[got])
					differs = got + 1;
		if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR))
			c.end = r == 0 ? EOF_ : RST;
	}
	conn_close(&c);
	if (differs)
		evidence(ECHO, "%s: what came back differed from it at byte %zu", BLOCK_SENT, differs);
	else
		evidence(ECHO, "%s: %zu of its bytes came back, the same, then %s", BLOCK_SENT, got,
		    c.end == EOF_ ? "a FIN" : c.end == RST ? "a reset" : "nothing");
	judged(ECHO, differs || got < BLOCK ? M_NO_ECHO : c.end != EOF_ ? M_NO_END : NULL);
}

/*
 * Check 7's last look: once the connections one by one have ended (their
 * server-side sockets inodes[n], 0 if not seen), no process may hold one,
 * within the wait: a worker that never closes a connection it served keeps
 * it, though sock_diag lists it no more; and in this run, with
 * --parent-keeps 0, neither may the parent (or a worker that hands the
 * sockets back to it).
 */
static void
ended_held(const unsigned long *inodes, int n)
{
	const struct procfd_holder *h;
	struct procfd *t;
	struct tasks family;
	size_t nh;
	int held, by_parent, opened = 0;
	pid_t who = 0;

	for (int i = 0; i < n; i++)
		opened += inodes[i] != 0;
	for (int64_t dl = deadline(wait_ms);; sleep_ms(5)) {
		if (!(t = procfd_scan(inodes, (size_t)n)))
			die(EXIT_RUNTIME, "cannot scan /proc:");
		live_tasks(parent, &family);
		held = by_parent = 0;
		for (int i = 0; i < n; i++) {
			int other = 0, mine = 0;
			h = inodes[i] ? procfd_holders(t, inodes[i], &nh) : NULL;
			for (size_t j = 0; h && j < nh; j++)
				if (is_parent(h[j].pid, &family))
					mine = 1;
				else if (!other)
					other = 1, who = h[j].pid;
			held += other;
			by_parent += mine;
		}
		procfd_free(t);
		if ((held == 0 && by_parent == 0) || ms_until(dl) == 0)
			break;
	}
	if (held) {
		evidence(MODEL, "%d of the %d connections one by one still had their socket held by another process than the parent %ld ms after they had ended (one by pid %ld)",
		    held, opened, wait_ms, (long)who);
		judged(MODEL, M_ENDED_HELD);
	}
	if (by_parent) {
		evidence(MODEL, "the parent (pid %ld) still held the socket of %d of the %d connections one by one %ld ms after they had ended",
		    (long)parent, by_parent, opened, wait_ms);
		judged(MODEL, M_PARENT_KEPT);
	}
}

/* Check 8: how long after the last connection's end a child may be a zombie. */
enum { REAP_MS = 1500 };

/*
 * Each parent of a zombie of procs[n] (but the judge) has its turn, ASLEEP_MS
 * in all: the pid of one that had not, or 0.
 */
static pid_t
reapers_turn(int n)
{
	pid_t reaper[MAXPROCS];
	long long ran[MAXPROCS];
	int64_t dl = deadline(ASLEEP_MS);
	int k = 0;

	for (int i = 0; i < n; i++) {
		pid_t r = procs[i].ppid;
		int seen = !zombie(&procs[i]) || r <= 1 || r == getpid();
		for (int j = 0; j < k && !seen; j++)
			seen = reaper[j] == r;
		if (!seen) {
			reaper[k] = r;
			ran[k++] = cpu_ns(r);
		}
	}
	for (int j = 0; j < k; j++)
		if (!wait_turn(reaper[j], ran[j], dl))
			return reaper[j];
	return 0;
}

/* Checks 2, 7 and 8: --end shutdown --parent-keeps 0. */
static void
run_echo(void)
{
	enum { AT_ONCE = 20, ONE_BY_ONE = 8 };
	struct conn c[AT_ONCE];
	char text[64];
	int bad = 0, ended = 0, prefork = 1, forked = 1, repeat = 0, n;
	pid_t served_by[ONE_BY_ONE] = { 0 };
	unsigned long served_inode[ONE_BY_ONE] = { 0 };
	static pid_t before[MAXPROCS];

	if (!begin("shutdown", 0, ECHO)) {
		judged(MODEL, M_NOT_JUDGED);
		judged(REAPED, M_NOT_JUDGED);
		return;
	}
	/*
	 * 20 at once: each connects, sends and shuts down, one after another,
	 * a wait at most since the last connect done: a slow pool with a short
	 * queue takes its turns, and a server that stops accepting costs one
	 * wait, not one a connection (the twelfth review's, 95 s); three waits
	 * in all, for one that accepts slower than SYNs are sent again (the
	 * fourteenth's, 60 s); then each reads until the end
	 */
	int64_t all = deadline(3 * wait_ms), dl = deadline(wait_ms);
	for (int i = 0; i < AT_ONCE; i++) {
		snprintf(text, sizeof text, "closelab judge: connection %d of %d at once\n", i + 1, AT_ONCE);
		conn_start(&c[i]);
		if (conn_connected(&c[i], dl, text) == 0) {
			shutdown(c[i].fd, SHUT_WR);
			dl = deadline(wait_ms);
			if (dl > all)
				dl = all;
		}
	}
	dl = deadline(2 * wait_ms);
	for (int i = 0; i < AT_ONCE; i++) {
		if (c[i].fd != -1)
			conn_wait(&c[i], dl, 1);
		if (c[i].fd == -1 || !echoed(&c[i]))
			bad++;
		else if (c[i].end == EOF_)
			ended++;
		conn_close(&c[i]);
	}
	evidence(ECHO, "%d connections at once: %d echoed exactly, %d ended with a FIN", AT_ONCE,
	    AT_ONCE - bad, ended);
	judged(ECHO, bad ? M_NO_ECHO : ended < AT_ONCE ? M_NO_END : NULL);
	if (!bad && ended == AT_ONCE)
		echo_block();

	/* one by one: who serves each, whether it was there before, what else it holds */
	for (int i = 0; i < ONE_BY_ONE; i++) {
		int nbefore = scan(), others = 0, parent_held = 0, was = 0;
		struct conn k;
		pid_t w = 0;

		for (int j = 0; j < nbefore; j++)
			before[j] = procs[j].pid;

		snprintf(text, sizeof text, "closelab judge: connection %d of %d one by one\n", i + 1,
		    ONE_BY_ONE);
		if (conn_open(&k, text) == -1 || !served(&k, ECHO, &w, &parent_held) || !w) {
			evidence(MODEL, "connection %d of %d one by one was not served", i + 1, ONE_BY_ONE);
			conn_close(&k);
			prefork = forked = 0;
			break;
		}
		served_by[i] = w;
		served_inode[i] = k.inode;
		for (int j = 0; j < nbefore; j++)
			was |= w && before[j] == w;
		const struct proc *p = find(w, scan());
		if (!w || !was)
			prefork = 0;
		if (!w || was || !p)
			forked = 0;
		for (int j = 0; j < i; j++)
			if (w && served_by[j] == w)
				repeat = 1;
		others = held_besides(w, k.inode, served_inode, i);
		if (others) {
			evidence(MODEL, "pid %ld, serving connection %d, held %d other connection%s of the port",
			    (long)w, i + 1, others, others > 1 ? "s" : "");
			judged(MODEL, M_OTHERS_HELD);
		}
		shutdown(k.fd, SHUT_WR);
		conn_wait(&k, deadline(wait_ms), 1);
		conn_close(&k);
	}
	if (prefork)
		evidence(MODEL, "each of %d connections one by one was served by a process that was there before it%s",
		    ONE_BY_ONE, repeat ? ", some by the same" : "");
	else if (forked)
		evidence(MODEL, "each of %d connections one by one was served by a new process",
		    ONE_BY_ONE);
	else if (served_by[ONE_BY_ONE - 1])
		evidence(MODEL, "%d connections one by one were served neither all by processes there before them nor all by new ones",
		    ONE_BY_ONE);
	if (strcmp(require, "prefork") == 0)
		judged(MODEL, prefork ? NULL : M_NOT_PREFORK);
	else if (strcmp(require, "fork") == 0)
		judged(MODEL, forked ? NULL : M_NOT_FORK);
	else
		judged(MODEL, prefork || forked ? NULL : M_NO_MODEL);

	/*
	 * zombies: the kernel's state Z, until none is left (at most REAP_MS,
	 * then each reaper's turn: on a loaded host it may not have run yet)
	 */
	dl = deadline(REAP_MS);
	int64_t t0 = now_ns();
	int turned = 0;
	pid_t unrun = 0;
	do {
		int zombies = 0;
		n = scan();
		for (int i = 0; i < n; i++)
			zombies += zombie(&procs[i]);
		if (!zombies) {
			evidence(REAPED, "no zombie %.1f ms after the last connection ended", ms(now_ns() - t0));
			judged(REAPED, NULL);
			break;
		}
		if (ms_until(dl) == 0 && !turned) {
			unrun = reapers_turn(n);
			turned = 1;
			continue;
		}
		if (ms_until(dl) == 0) {
			evidence(REAPED, "%d zombie%s still there %.0f ms after the last connection ended",
			    zombies, zombies > 1 ? "s were" : " was", ms(now_ns() - t0));
			if (unrun)
				evidence(REAPED, "the parent of one, pid %ld, was neither asleep nor had run 1 ms in the %d ms after",
				    (long)unrun, ASLEEP_MS);
			judged(REAPED, unrun ? M_UNRUN : M_ZOMBIE);
			break;
		}
		sleep_ms(5);
	} while (1);
	ended_held(served_inode, ONE_BY_ONE);
	stop();
}

static _Noreturn void
usage(const char *why)
{
	if (why)
		warn("%s", why);
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static long
number(const char *opt, const char *s, long min, long max)
{
	long v;

	if (!s || parse_num(s, min, max, &v) == -1) {
		warn("%s needs a number from %ld to %ld, not '%s'", opt, min, max, s ? s : "");
		usage(NULL);
	}
	return v;
}

int
main(int argc, char *argv[])
{
	int i;

	argv0 = "judge";
	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		const char *v = argv[i + 1];
		if (strcmp(argv[i], "--port") == 0)
			port = (int)number("--port", v, 1, 65535);
		else if (strcmp(argv[i], "--keep") == 0)
			keep_ms = number("--keep", v, 100, 60000);
		else if (strcmp(argv[i], "--wait") == 0)
			wait_ms = number("--wait", v, 100, 60000);
		else if (strcmp(argv[i], "--uid") == 0)
			uid = (unsigned)number("--uid", v, 0, 2147483646), uid_given = 1;
		else if (strcmp(argv[i], "--require") == 0 && v &&
		    (strcmp(v, "prefork") == 0 || strcmp(v, "fork") == 0 || strcmp(v, "either") == 0))
			require = v;
		else if (strcmp(argv[i], "--require") == 0)
			usage("--require needs prefork, fork or either");
		else
			usage(NULL);
	}
	if (i != argc - 1)
		usage(i < argc ? "one SERVER only" : "no SERVER given");
	server = argv[i];
	if (!uid_given)
		usage("no --uid given: whose processes are the server's");
	if (uid == getuid())
		die(EXIT_USAGE, "--uid %u is the judge's own: the server must run as another", uid);
	signal(SIGPIPE, SIG_IGN);
	unsigned long busy;
	if (listeners(1, &busy, 1))
		die(EXIT_RUNTIME, "port %d is in use already: the server could not listen there", port);

	run_shutdown();
	if (verdict[LISTENS].mistake || verdict[ECHO].mistake) {
		/* nothing more can be seen: each check left fails for it */
		for (i = 0; i < NCHECKS; i++)
			if (!verdict[i].ran)
				judged((enum check)i, verdict[LISTENS].mistake ? M_NOT_JUDGED :
				    M_NOT_ECHOED);
	} else {
		run_close();
		run_never();
		run_echo();
	}
	printf("1..%d\n", NCHECKS);
	for (i = 0; i < NCHECKS; i++) {
		if (!verdict[i].ran)
			judged((enum check)i, M_NOT_JUDGED);
		printf("%sok %d %s\n%s", verdict[i].mistake ? "not " : "", i + 1, check_id[i],
		    verdict[i].seen);
		if (verdict[i].mistake)
			printf("# mistake %s: %s\n", check_id[i], verdict[i].mistake);
	}
	return fflush(stdout) == 0 ? 0 : EXIT_RUNTIME;
}

#else

int
main(void)
{
	argv0 = "judge";
	die(EXIT_RUNTIME, "the lesson's judge needs Linux: sock_diag and /proc");
}

#endif
