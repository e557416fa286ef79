/* client.h: options, one exchange, and the parts of the client */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdint.h>
#include <sys/socket.h>

#include "../common/log.h"
#include "../common/sock.h"

/* Exit codes for the ends (EXIT_RUNTIME and EXIT_USAGE are shared). */
enum { EXIT_RST = 3, EXIT_TIMEOUT = 4 };

enum then { THEN_SHUTDOWN, THEN_CLOSE, THEN_ABORT, THEN_NONE };
enum end { END_NONE, END_EOF, END_RST, END_TIMEOUT, END_CLOSED, END_ERROR };
extern const char *const endnames[];

/* An address to connect to: a name may have several. */
struct peer {
	struct sockaddr_storage addr;
	socklen_t len;
	char where[CONNID_LEN];
};

enum { MAXPEERS = 8 };

struct options {
	struct peer peers[MAXPEERS];
	int npeers;
	char **send;		/* the --send values, in order */
	int nsend;
	long interval, after, timeout;
	long rcvbuf;		/* SO_RCVBUF, or 0: the system's */
	long read_after;	/* ms after connect() before the first read */
	enum then then;
	long repeat, concurrency;
	const char *server_log;
	const char *log;
};
extern struct options opt;

/* One exchange: connect, send, the --then step, read until the end. */
struct exchange {
	int fd;
	int step;		/* what it does next: see exchange.c */
	int next_msg;		/* the next --send to write */
	size_t off;		/* how much of it is written */
	int64_t start;		/* the first connect() called */
	int64_t dialed;		/* the connect() that answered, called */
	int64_t wake;		/* when the step after a wait begins, or a wait ends */
	int64_t read_from;	/* when it may read: --read-after past the connect */
	int blocked;		/* a write found the socket full: wait for room */
	struct stamp sending;	/* the first write() of the current message */
	int64_t end_t;		/* the end: EOF, reset, timeout or close */
	enum end end;
	long long sent, received;
	int mismatch;		/* an echoed byte differed from the one sent */
	int peer;		/* which of opt.peers */
	int err;		/* errno of an error, END_ERROR */
	char id[CONNID_LEN];	/* our address:port, the server's conn= */
};

/*
 * exchange.c: run opt.repeat exchanges, opt.concurrency at once, into ex[]
 * (opt.repeat of them). With print, show what is received as it comes.
 */
void run_exchanges(struct exchange *ex, int print);
/* From now on, SIGUSR1 ends the waits of --interval and --read-after: -1 on error. */
int cue_on_usr1(void);

/* stats.c: the summary of many exchanges, and the server's view of them. */
void print_stats(const struct exchange *ex, long n, int64_t wall_ns);
/*
 * For each exchange, the time from the server's ending event (in its log:
 * the shutdown or the last close) to the client's EOF or reset; printed
 * per connection and as a distribution.
 */
void print_server_latency(const struct exchange *ex, long n, const char *server_log);

/*
 * serverlog.c: for each exchange that ended, the server's end in its log:
 * when (server_t[i]) and what ("shutdown" or "close"). It waits for lines
 * not yet written, up to a deadline; exits with a clear line on an error.
 */
void server_ends(const struct exchange *ex, long n, const char *path, int64_t *server_t,
    const char **what);

#endif
