/* server.h: options and the parts of the server, one file each */
#ifndef SERVER_H
#define SERVER_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/sock.h"

enum model { MODEL_PREFORK, MODEL_FORK, MODEL_THREAD };
enum reads { READS_ECHO, READS_DISCARD, READS_NONE };

/* --parent-keeps and --end-after values that are not milliseconds */
enum { KEEP_NEVER = -1, KEEP_SIGNAL = -2, END_AT_PEER_EOF = -1 };

/* Connections the parent may hold at once, at most: each needs a slot. */
enum { MAXCONN = 1024 };
/* Most workers --workers allows. */
enum { MAXWORKERS = 256 };

/* One accepted connection, as a worker sees it. */
struct conn {
	int fd;
	int slot;		/* its entry in the holders table */
	char id[CONNID_LEN];	/* the peer's address:port, as the client logs it */
	struct guard *guard;	/* --model thread with a closer (threads.c), or NULL */
	int closer;		/* this is the closer's: its calls are not the guard's to count */
};

/* A way for the worker to end a connection: one table entry per --end mode. */
struct end {
	const char *name;
	const char *help;
	void (*run)(struct conn *c);
};

struct options {
	const char *addr;
	long port;
	const char *port_file;
	enum model model;
	long workers;
	long queue;		/* connections the parent may hold for a busy pool */
	long grace;		/* ms to let connections finish after SIGTERM */
	long idle_timeout;	/* ms a connection may be silent, 0: forever */
	long parent_keeps;	/* ms, KEEP_NEVER or KEEP_SIGNAL */
	enum reads reads;
	long reply_delay;	/* ms */
	long end_after;		/* ms, or END_AT_PEER_EOF */
	const struct end *end;
	long end_wait;		/* ms: what it means depends on the --end mode */
	const char *spawn;	/* a helper command, or NULL */
	int cloexec;		/* the helper does not inherit the socket */
	int kernel_holders;	/* at closes, ask /proc who holds the socket */
	int wire;		/* capture the segments */
	const char *pcap;	/* and write them here */
	const char *log;
};
extern struct options opt;

/* parent.c: accept each connection and give it to a worker or a child. */
/* Start with the listener, holding at most room connections; -1 on error. */
int parent_start(int lfd, long room);
/* Accept, hand off or fork, reap, until a stop signal; the exit status. */
int parent_loop(void);
/* End the workers (SIGTERM, then SIGKILL), reap them, close what it holds. */
void parent_stop(void);

/* child.c: what a process the server forks leaves of its parent. */
/* fd is the parent's own: a new child closes it. */
void parent_only(int fd);
/* fd is closed, or about to be: no longer the parent's. */
void parent_only_gone(int fd);
/* In a new child: close the parent's own descriptors but keep; log as role. */
void become_child(int keep, const char *role);

/* signals.c: signals through a self-pipe, and forking without them. */
/* Catch the signals the parent handles into the self-pipe; ignore SIGPIPE; -1 on error. */
int signals_open(void);
/* The self-pipe's end to poll(): readable when a signal came. */
int signals_fd(void);
/* The next signal noted, or 0 when none is left. */
int signals_take(void);
/* Whether SIGCHLD came since the last call. */
int signals_child_exited(void);
/*
 * fork() with every signal blocked, so that the child never runs the
 * parent's handlers. The child starts with the default actions, ignores
 * SIGINT and SIGUSR1 (the parent's to handle), has no self-pipe, and leads
 * a process group of its own.
 */
pid_t fork_quiet(void);

/* pool.c: the workers (prefork) or places for children (fork). */
/* Make room for --workers of them (and, on Linux, adopt orphaned helpers); -1 on error. */
int pool_open(void);
/* Fork the prefork workers missing from the pool; -1 if one could not be. */
int pool_fill(void);
/* Whether a worker is idle, or a child may be forked. */
int pool_idle(void);
/* Give the connection to an idle worker, or fork a child for it: 0 given,
 * -1 no worker could take it (it waits), -2 fork() failed (errno). */
int pool_give(int slot, int fd);
/* The workers' channels, for poll(): fills pfd, returns how many. */
int pool_poll(struct pollfd *pfd);
/* Read the channels that poll() found ready: a worker is free again. */
void pool_ready(const struct pollfd *pfd, int n);
/* A child was reaped: 1 if it was one of the pool's. */
int pool_exited(pid_t pid, int status);
/* How many workers (or children) live. */
int pool_alive(void);
/* Draining: let the idle workers go (the EOF of their channel ends them). */
void pool_release_idle(void);
/* Close every channel and send sig to every process group of the pool:
 * each worker's, with its helpers, and those of helpers whose worker died. */
void pool_signal(int sig);
/* How many processes or process groups of the pool are left. */
int pool_lingers(void);

/* keep.c: the parent's own copy of each connection, from accept() until it lets go. */
/* Start with no copy kept. */
void keep_open(void);
/* The parent holds fd, just accepted, as slot's copy, last in line for a worker. */
void keep_hold(int slot, int fd);
/* The first slot in line for a worker, or -1. */
int keep_first_waiting(void);
/* How many wait in line. */
int keep_waiting_count(void);
/* The descriptor of slot's copy, or -1. */
int keep_fd(int slot);
/* After the handoff or fork, out of line: close now, or note when, as --parent-keeps says. */
void keep_after_handoff(int slot);
/* Close the copies whose time has come; the next deadline (ns), or 0. */
int64_t keep_release_due(void);
/* SIGUSR1: close the copies kept for --parent-keeps signal. */
void keep_release_signalled(void);
/*
 * Close one copy now (out of line, if it waits), saying why (keep=WHY). The
 * caller reaps first: a worker that has exited must not count as a holder.
 */
void keep_release(int slot, const char *why);
/* Close every copy, at exit. */
void keep_release_all(void);
/* How many copies the parent keeps after their handoff. */
int keep_count(void);

/* worker.c: a prefork worker's life; serving one connection (worker.h: its helpers). */
/* Serve each connection the parent passes on chan, until its EOF; never returns. */
void worker_loop(int chan);
/* Take the connection, read and answer as --reads says, end it as --end says. */
void serve(struct conn *c);

/* threads.c: --model thread, a thread of the parent's per connection. */
/* Places for --workers threads, and the pipe they tell the parent on; -1 on error. */
int threads_open(void);
/* A free place, or -1. */
int threads_idle(void);
/* Start a thread in place to serve the connection; -1 on error (errno). */
int thread_start(int place, const struct conn *c);
/* The pipe to poll(): readable when a thread has ended, or a number is free. */
int threads_fd(void);
/* Read what the threads told; how many places are free again. */
int threads_ready(void);
/* How many threads serve connections. */
int threads_alive(void);
/* At the server's exit: each connection a thread still serves is closed by it (close by=exit). */
void threads_exit(void);

/* ends.c: the --end modes. */
extern const struct end ends[];

/* closing.c: the logged close of one process's copy, and holders that exit. */
/* close(fd) as who, counted in the holders table; logs what it sent,
 * naming the connection id (and, for the parent, why it let go now; for a
 * closer thread, c, whether a call of the serving thread's held it through). */
int conn_close(int slot, int who, int fd, const char *id, const char *keep,
    const struct conn *c);
/* Process pid has exited: the kernel closed its copies. Count them closed
 * in every slot it held. */
void conn_holder_exited(pid_t pid);
/* A reaped process's exit, as "WHAT=PID status=N" or "signal=N". */
void log_exit(const char *conn, const char *what, pid_t pid, int status);
/* " kernel=PIDS" (shutdown) for --kernel-holders, or "" */
const char *conn_kernel_holders(int fd, char *buf, size_t len);

/* handoff.c: pass a connection over a UNIX socket with SCM_RIGHTS. */
int handoff_send(int chan, const struct conn *c);
/* 1 with *c filled in, 0 at EOF (the parent is gone), -1 on error. */
int handoff_recv(int chan, struct conn *c);

/*
 * wire.c: capture the server's segments (Linux, with CAP_NET_RAW). Open a
 * packet socket that the kernel filters for the server's address and port
 * (and the pcap file): its descriptor, WIRE_NONE if capture is not possible
 * here (said on stderr), -1 on an error (said too).
 */
enum { WIRE_NONE = -2 };
int wire_open(const struct sockaddr *addr, const char *pcap_path);
/* In the parent, once the capture process is forked: drop its copy of the pcap. */
void wire_opened(void);
/* In the capture process: log every segment until SIGTERM or the parent's end. */
void wire_capture(int fd, pid_t parent);

/*
 * holders.c: which of the server's processes hold each connection: the
 * parent, the worker (or child), and a helper it spawned. A pid of -1
 * holds already, though its pid is not known yet.
 */
enum { PARENT, CHILD, HELPER, NHOLDERS };

/* What a close counted, and what look() saw just before it and looked() just after, under the lock. */
struct tally {
	int64_t t;		/* the time of the close() call */
	int before, after;	/* holders */
	int err;		/* errno of a failed close, or 0 */
	void (*look)(int fd, struct tally *tl);
	void (*looked)(struct tally *tl);
	int64_t returned;	/* when close() returned */
	const struct conn *conn;	/* a closer thread's connection, or NULL */
	int calls;		/* its serving thread's call held the socket through the close */
	int unread;
	long unacked;		/* bytes the peer has not acknowledged, or -1 */
	int linger;		/* SO_LINGER's seconds, or -1: off */
	const char *state;
	unsigned long sock;	/* the socket, by inode: the kernel's holders of it */
	char kernel[240];	/* " kernel=A,B->A", or "" */
	/* the holders found exited, and forgotten, before the close: when, and
	 * how many held it then */
	pid_t exited[NHOLDERS];
	int nexited, gone_before;
	int64_t gone_t;
};

/* Shared memory for nslots connections, before any fork; -1 on error. */
int holders_init(int nslots);
/* After fork(), in the child: who this process and its parent are. */
void holders_forked(void);
/* A free slot for a new connection, held by the parent; -1 if none. */
int holders_new(void);
/* Whether every slot is taken. */
int holders_full(void);
/* The connection's name (the peer's address), for the log: CONNID_LEN bytes. */
char *holders_id(int slot);
/* Record that pid now holds slot's socket as who (0: no longer). */
void holders_set(int slot, int who, pid_t pid);
/* Record pid as who, if who is still was: the child itself may have
 * recorded itself, or closed already. */
void holders_claim(int slot, int who, pid_t was, pid_t pid);
/* Who holds slot's socket as who: a pid, -1 (not yet known) or 0 (nobody). */
pid_t holders_pid(int slot, int who);
/* How many hold slot's socket now. */
int holders_count(int slot);
/* The slot's lock (tests/units/holders_lock.c tries it). It never unlocks
 * what it does not hold, and takes over only from an owner that has died
 * inside it. */
void holders_lock(int slot);
void holders_unlock(int slot);
/* close(fd) as who, counting the holders just before and after, under the
 * lock: the process that counts "->0" truly was the last holder. */
int holders_close(int slot, int who, int fd, struct tally *tl);
/* pid exited: drop it from slot; 1 if it held it. */
int holders_drop(int slot, pid_t pid, struct tally *tl);
/* How many slots there are. */
int holders_slots(void);

#endif
