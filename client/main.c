/*
 * main.c: the client's options. Connect, send, then shutdown(SHUT_WR),
 * close() or neither, and measure when the server's EOF (or a reset)
 * arrives; once, or many times for statistics.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/opt.h"
#include "../common/sock.h"
#include "../common/util.h"
#include "client.h"

/* Longest --interval, --after, --timeout and --read-after: an hour. */
#define MAXMS 3600000L
/* Largest --send-bytes message, and --rcvbuf: 1 MiB. */
#define MAXSEND 1048576L

static const char *const thens[] = { "shutdown", "close", "abort", "none", NULL };
const char *const endnames[] = { "none", "eof", "rst", "timeout", "closed", "error" };

struct options opt = { .interval = 0, .after = 0, .timeout = 10000, .then = THEN_SHUTDOWN,
	.repeat = 1, .concurrency = 1 };
static const char *addr = "127.0.0.1", *port;

enum {
	O_ADDR = 1, O_PORT, O_SEND, O_SEND_BYTES, O_INTERVAL, O_AFTER, O_THEN, O_TIMEOUT,
	O_RCVBUF, O_READ_AFTER, O_REPEAT, O_CONCURRENCY, O_SERVER_LOG, O_LOG, O_HELP, O_VERSION,
};

static const struct opt opts[] = {
	{ "addr", 1, O_ADDR },
	{ "port", 1, O_PORT },
	{ "send", 1, O_SEND },
	{ "send-bytes", 1, O_SEND_BYTES },
	{ "interval", 1, O_INTERVAL },
	{ "after", 1, O_AFTER },
	{ "then", 1, O_THEN },
	{ "timeout", 1, O_TIMEOUT },
	{ "rcvbuf", 1, O_RCVBUF },
	{ "read-after", 1, O_READ_AFTER },
	{ "repeat", 1, O_REPEAT },
	{ "concurrency", 1, O_CONCURRENCY },
	{ "server-log", 1, O_SERVER_LOG },
	{ "log", 1, O_LOG },
	{ "help", 0, O_HELP },
	{ "version", 0, O_VERSION },
	{ NULL, 0, 0 },
};

static const char synopsis[] =
	"[--addr A] --port P [--send TEXT | --send-bytes N]... [--interval MS]\n"
	"[--after MS] [--then shutdown|close|abort|none] [--timeout MS]\n"
	"[--rcvbuf BYTES] [--read-after MS] [--repeat N]\n"
	"[--concurrency C] [--server-log FILE] [--log FILE]\n"
	"[--help] [--version]\n";

static void
help(void)
{
	opt_print_usage(stdout);
	printf("\n"
	    "Connect, send each TEXT, end the sending side, and measure when the\n"
	    "server's EOF (or a reset) arrives. Times are in milliseconds (MS, up\n"
	    "to %ld).\n"
	    "\n"
	    "  --addr A            connect to host or address A (127.0.0.1)\n"
	    "  --port P            connect to port P (required)\n"
	    "  --send TEXT         send TEXT; repeat for several messages\n"
	    "  --send-bytes N      send N bytes of 0123456789... as a message (up to\n"
	    "                      %ld)\n"
	    "  --interval MS       wait MS between two messages, or until SIGUSR1 (0)\n"
	    "  --after MS          wait MS after the last message (0)\n"
	    "  --then shutdown     then shutdown(SHUT_WR) and read until the end\n"
	    "                      (default)\n"
	    "  --then close        then close(): nothing more is read\n"
	    "  --then abort        then SO_LINGER {1, 0} and close(): RST, not FIN\n"
	    "  --then none         then just read until the end\n"
	    "  --timeout MS        stop reading after MS (10000)\n"
	    "  --rcvbuf BYTES      set SO_RCVBUF to BYTES before connect(): a small\n"
	    "                      receive window (the system's)\n"
	    "  --read-after MS     read nothing until MS after connect(), or SIGUSR1: the\n"
	    "                      server's replies wait, unacknowledged once the window\n"
	    "                      is full (0)\n"
	    "  --repeat N          run the exchange N times, and print statistics (1)\n"
	    "  --concurrency C     with C exchanges in flight at once (1)\n"
	    "  --server-log FILE   the server's log (same host): the time from its\n"
	    "                      shutdown or last close to our EOF or reset\n"
	    "  --log FILE          log one line per event to FILE (- for stderr)\n"
	    "  --help              show this help\n"
	    "  --version           show the version\n"
	    "\n"
	    "While it waits it reads, and prints what arrives as\n"
	    "'recv bytes=N data=TEXT'. The last line is\n"
	    "'result end=eof|rst|timeout|closed ms=MS sent=N received=N', ms counting\n"
	    "from connect() to the end, to the microsecond. With --repeat or\n"
	    "--concurrency, every echoed byte is checked, and the last line is\n"
	    "'stats runs=N eof=N rst=N timeout=N closed=N errors=N ms_min=... rate=R'.\n"
	    "Exit status: 0 eof or closed, 1 runtime error (e.g. refused, an echo that\n"
	    "differs, or output or a log that could not be written), 2 usage error,\n"
	    "3 rst (reset by the server), 4 timeout; with --repeat, the worst of all\n"
	    "exchanges, in that order: 1, 3, 4, 0.\n", MAXMS, MAXSEND);
	exit(0);
}

/* A message of n bytes, the digits 0 to 9 over and over. */
static char *
counting(long n)
{
	char *s = malloc(n + 1);
	long i;

	if (s == NULL)
		die(EXIT_RUNTIME, "out of memory");
	for (i = 0; i < n; i++)
		s[i] = '0' + i % 10;
	s[n] = '\0';
	return s;
}

static void
parse(int argc, char **argv)
{
	const char *arg;
	int i = 1, id;

	if ((opt.send = calloc(argc, sizeof *opt.send)) == NULL)
		die(EXIT_RUNTIME, "out of memory");
	while ((id = opt_next(argv, &i, opts, &arg)) > 0) {
		switch (id) {
		case O_ADDR:
			addr = arg;
			break;
		case O_PORT:
			opt_num("port", arg, 1, 65535);
			port = arg;
			break;
		case O_SEND:
			opt.send[opt.nsend++] = (char *)arg;
			break;
		case O_SEND_BYTES:
			opt.send[opt.nsend++] = counting(opt_num("send-bytes", arg, 1, MAXSEND));
			break;
		case O_INTERVAL:
			opt.interval = opt_num("interval", arg, 0, MAXMS);
			break;
		case O_AFTER:
			opt.after = opt_num("after", arg, 0, MAXMS);
			break;
		case O_THEN:
			opt.then = opt_word("then", arg, thens);
			break;
		case O_TIMEOUT:
			opt.timeout = opt_num("timeout", arg, 1, MAXMS);
			break;
		case O_RCVBUF:
			opt.rcvbuf = opt_num("rcvbuf", arg, 1, MAXSEND);
			break;
		case O_READ_AFTER:
			opt.read_after = opt_num("read-after", arg, 0, MAXMS);
			break;
		case O_REPEAT:
			opt.repeat = opt_num("repeat", arg, 1, 10000000);
			break;
		case O_CONCURRENCY:
			opt.concurrency = opt_num("concurrency", arg, 1, 10000);
			break;
		case O_SERVER_LOG:
			opt.server_log = arg;
			break;
		case O_LOG:
			opt.log = arg;
			break;
		case O_HELP:
			help();
			break;
		case O_VERSION:
			opt_version();
		}
	}
	if (id == -1)
		opt_usage();
	if (port == NULL)
		opt_bad("--port is required");
	if (opt.concurrency > opt.repeat)
		opt.concurrency = opt.repeat;
}

/* Every address of the host, in the order getaddrinfo() gives; exits on failure. */
static void
resolve(void)
{
	struct addrinfo hints, *res, *ai;
	int r;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(addr, port, &hints, &res)) != 0)
		die(EXIT_RUNTIME, "cannot resolve '%s': %s", addr, gai_strerror(r));
	for (ai = res; ai && opt.npeers < MAXPEERS; ai = ai->ai_next) {
		struct peer *p = &opt.peers[opt.npeers++];
		memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
		p->len = ai->ai_addrlen;
		sock_addrstr(ai->ai_addr, p->where, sizeof p->where);
	}
	freeaddrinfo(res);
}

/* Descriptors of the client's own besides its connections: the log. */
enum { CLIENT_OWN_FDS = 1 };

/* Enough descriptors for the exchanges in flight, or a clear refusal. */
static void
check_limits(void)
{
	long open, limit = fds_limit(&open), need = opt.concurrency + CLIENT_OWN_FDS;

	if (limit != LONG_MAX && limit - open < need)
		die(EXIT_RUNTIME, "the descriptor limit (ulimit -n) is %ld and %ld are open: "
		    "--concurrency %ld needs %ld more", limit, open, opt.concurrency, need);
}

/* Whatever was printed reached its reader, and the log is whole; or exit 1. */
static void
check_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		die(EXIT_RUNTIME, "cannot write to standard output:");
	if (!log_ok())
		exit(EXIT_RUNTIME);
}

int
main(int argc, char **argv)
{
	static const int status[] = { 0, 0, EXIT_RST, EXIT_TIMEOUT, 0, EXIT_RUNTIME };
	struct exchange *ex;
	int64_t began;
	int worst = 0;
	long i;

	opt_program(argv[0], synopsis);
	if (cue_on_usr1() == -1)
		die(EXIT_RUNTIME, "cannot take SIGUSR1:");
	parse(argc, argv);
	check_limits();
	resolve();
	if (log_open(opt.log, "client") == -1)
		die(EXIT_RUNTIME, "cannot open log %s:", opt.log);
	/* a write to a reset connection fails with EPIPE instead of killing us */
	signal(SIGPIPE, SIG_IGN);
	if ((ex = calloc(opt.repeat, sizeof *ex)) == NULL)
		die(EXIT_RUNTIME, "out of memory for %ld exchanges", opt.repeat);

	began = now_ns();
	run_exchanges(ex, opt.repeat == 1);
	if (opt.server_log)
		print_server_latency(ex, opt.repeat, opt.server_log);

	if (opt.repeat == 1) {
		struct exchange x = ex[0];

		free(ex);
		if (x.end == END_ERROR) {
			errno = x.err;
			die(EXIT_RUNTIME, "cannot connect to %s:", opt.peers[x.peer].where);
		}
		/* rounded to the microsecond in whole numbers: as a double, an
		 * interval of 119502500 ns printed as 119.502, not 119.503 */
		long long us = (long long)((x.end_t - x.start + 500) / 1000);

		printf("result end=%s ms=%lld.%03lld sent=%lld received=%lld\n", endnames[x.end],
		    us / 1000, us % 1000, x.sent, x.received);
		check_output();
		return status[x.end];
	}
	print_stats(ex, opt.repeat, now_ns() - began);
	/* the worst end decides: an error, then a reset, then a timeout */
	for (i = 0; i < opt.repeat; i++) {
		int s = ex[i].mismatch ? EXIT_RUNTIME : status[ex[i].end];
		if (s == EXIT_RUNTIME || (s == EXIT_RST && worst != EXIT_RUNTIME) ||
		    (s == EXIT_TIMEOUT && worst == 0))
			worst = s;
	}
	free(ex);
	check_output();
	return worst;
}
