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
	char id[ADDRSTRLEN];	/* the peer's address:port, as the client logs it */
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
	long parent_keeps;	/* ms, KEEP_NEVER or KEEP_SIGNAL */
	enum reads reads;
	long reply_delay;	/* ms */
	long end_after;		/* ms, or END_AT_PEER_EOF */
	const struct end *end;
	const char *log;
};
extern struct options opt;

/* Most workers --workers allows. */
enum { MAXWORKERS = 256 };

/* parent.c: fork the pool (prefork) and take signals; -1 on error. */
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

/* holders.c: which of the server's processes hold each connection. */
enum { PARENT, CHILD };
int holders_init(int nslots);
/* A free slot for a new connection held by the parent, or -1 if none. */
int holders_new(void);
/* Record that the child now holds (on = 1) or no longer holds slot's socket. */
void holders_child(int slot, int on);
/*
 * close(fd) as the parent or the child, atomically with the count, so that
 * whoever logs "->0" is truly the last holder; *t is when close() was called.
 */
int holders_close(int slot, int who, int fd, int *before, int *after, int64_t *t);
/* Whether every slot is taken, so that no connection can be accepted. */
int holders_full(void);
/* Give up slot before anything holds it. */
void holders_drop(int slot);
/* How many of the server's processes hold slot's socket. */
int holders_count(int slot);

#endif
