/* server.h: options and the parts of the server */
#ifndef SERVER_H
#define SERVER_H

#include <stdint.h>

#include "../common/sock.h"

enum model { MODEL_PREFORK, MODEL_FORK };
enum reads { READS_ECHO, READS_DISCARD, READS_NONE };

/* --parent-keeps and --end-after values that are not milliseconds */
enum { KEEP_NEVER = -1, KEEP_SIGNAL = -2, END_AT_PEER_EOF = -1 };

/* One accepted connection, as a worker sees it. */
struct conn {
	int fd;
	int slot;		/* its entry in the holders table */
	const char *id;		/* the peer's address:port, as the client logs it */
};

/* A way for the worker to end a connection: one table entry per --end mode. */
struct end {
	const char *name;
	const char *help;
	void (*run)(struct conn *c);
};
extern const struct end ends[];

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

/* Most workers --workers allows. */
enum { MAXWORKERS = 256 };

/* parent.c: hold at most n connections at once (accepted, queued, kept). */
void parent_limit(long n);
/* Fork the pool (prefork) and take signals; -1 on error. */
int parent_start(int lfd);
/* Accept, hand off or fork, reap, until SIGTERM or SIGINT; the exit status. */
int parent_loop(void);
/* Stop accepting, end the workers, reap them all, close what the parent holds. */
void parent_stop(void);

/* worker.c: serve one connection as opt says, then end it with opt.end. */
void serve(struct conn *c);
/* Close the worker's copy of c, logging the holders before and after. */
void conn_close(struct conn *c);

/* handoff.c: pass a connection over a UNIX socket with SCM_RIGHTS. */
int handoff_send(int chan, const struct conn *c);
/* 1 with *c filled in, 0 at EOF (the parent is gone), -1 on error. */
int handoff_recv(int chan, struct conn *c);

/*
 * wire.c: capture the server's segments (Linux, with CAP_NET_RAW). Open the
 * packet socket (and the pcap file): its descriptor, WIRE_NONE if capture
 * is not possible here (said on stderr), -1 on an error (said too).
 */
enum { WIRE_NONE = -2 };
int wire_open(const char *pcap_path);
/* In the parent, once the capture process is forked: drop its copy of the pcap. */
void wire_opened(void);
/* In the capture process: log every segment to or from port until SIGTERM. */
void wire_capture(int fd, int port);

/*
 * holders.c: which of the server's processes hold each connection: the
 * parent, the worker (or child), and a helper it spawned. A pid of -1
 * holds already, though its pid is not known yet.
 */
enum { PARENT, CHILD, HELPER, NHOLDERS };
int holders_init(int nslots);
/* A free slot for a new connection held by the parent, or -1 if none. */
int holders_new(const char *id);
/* Whether every slot is taken, so that no connection can be accepted. */
int holders_full(void);
/* The connection's id, as given to holders_new(). */
const char *holders_id(int slot);
/* Record that pid now holds slot's socket as who (pid 0: no longer). */
void holders_set(int slot, int who, pid_t pid);
/* How many of the server's processes hold slot's socket. */
int holders_count(int slot);
/*
 * close(fd) as who and log it: the holders before and after, counted
 * atomically with the close, so that the process that logs "->0" truly was
 * the last holder; and what such a close sends. extra is appended to the
 * line. fd -1 only logs.
 */
int holders_close(int slot, int who, int fd, const char *extra);
/*
 * Process pid has exited, and the kernel closed its copies: drop it from
 * every slot, and from slot maybe if it was the child not yet known there.
 */
void holders_gone(pid_t pid, int maybe);

#endif
