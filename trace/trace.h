/*
 * trace.h: bin/trace. bpftrace runs closes.bt, which reports every close(),
 * shutdown() and exit that drops a TCP connection as a raw record, quoted
 * in JSON (bpfout.c); these become closelab log lines (role=trace,
 * ev=drop), with the other holders of a socket named from /proc
 * (common/procfd.c).
 */
#ifndef TRACE_H
#define TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The options, as main.c parsed them. */
struct options {
	long port;		/* 0: any */
	long pid;		/* 0: any */
	const char *comm;	/* NULL: any */
	int out;		/* where the lines go */
};
extern struct options opt;

enum kind { R_CLOSE, R_SHUTDOWN, R_EXIT, R_FIN, R_RST, R_TICK };

/* One raw record of closes.bt (see its comment for the fields). */
struct record {
	enum kind kind;
	int64_t t;
	pid_t pid;
	int fd, how, refs, state, sent, exiting;
	int cpu;				/* a tick's */
	unsigned long inode;
	unsigned long long sk;
	int family;
	unsigned lport, rport;
	unsigned char laddr[16], raddr[16];	/* IPv4 in the first 4 bytes */
	unsigned long netns;			/* the socket's network namespace; 0: an exit */
	unsigned long long cgroup;		/* the process's cgroup (v2) id, at the time */
	char comm[64];				/* raw, as the process named itself */
};

/* bpfout.c */
/*
 * A line of bpftrace's JSON output: 1 and a printf's text in out (its
 * newline taken off), 0 and a message in out (maybe empty), or -1.
 */
int bpfout_line(const char *line, char *out, size_t len);

/* record.c */
/* Parse a raw record, line without its newline; -1 if it is none. */
int record_parse(char *line, struct record *r);
/* The local (which 0) or remote (1) end, named by conn_id(). */
void record_end(const struct record *r, int which, char *buf, size_t len);
/* The connection's name as closelab logs it: the client's end. */
void record_conn(const struct record *r, char *buf, size_t len);
/* Read the range of ephemeral ports, for record_conn(); -1 if unknown. */
int record_ports(void);

/* order.c */
/* CPU cpu's tick: its clock said t, read at now. */
void order_tick(int cpu, int64_t t, int64_t now);
/* The time up to which every record has been read, by the CPUs' ticks; 0 before any tick. */
int64_t order_read_until(int64_t now);
/* Put the n records r in time order; how many of them are at or before until. */
size_t order_sort(struct record *r, size_t n, int64_t until);

/* track.c */
/*
 * How many of the n records r (in time order, all read that came before
 * the last) may be taken now: all, or those before the first that needs
 * the holders of a socket from /proc and is later than young. The closes
 * that follow may yet account for them.
 */
size_t track_ready(const struct record *r, size_t n, int64_t young);
/*
 * Take the first n of the known records r (in time order, all read that
 * came before the last): scan /proc once, write their lines. Those after
 * the n, taken later, say who held a socket meanwhile.
 */
void track_batch(struct record *r, size_t n, size_t known);
/* Whether an exit waits for its outcome: a batch, even empty, may tell it. */
int track_waiting(void);

#endif
