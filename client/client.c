/*
 * client.c: connect, send, then shutdown(SHUT_WR), close() or neither, and
 * measure when the server's EOF (or a reset) arrives.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/kernel.h"
#include "../common/log.h"
#include "../common/opt.h"
#include "../common/sock.h"
#include "../common/util.h"

/* Longest --interval, --after and --timeout: an hour. */
#define MAXMS 3600000L

/* Exit codes for the ends (EXIT_RUNTIME and EXIT_USAGE are shared). */
enum { EXIT_RST = 3, EXIT_TIMEOUT = 4 };

enum then { THEN_SHUTDOWN, THEN_CLOSE, THEN_ABORT, THEN_NONE };
static const char *const thens[] = { "shutdown", "close", "abort", "none", NULL };
enum end { END_NONE, END_EOF, END_RST, END_TIMEOUT, END_CLOSED };
static const char *endnames[] = { "none", "eof", "rst", "timeout", "closed" };

static struct {
	const char *addr;
	const char *port;
	char **send;	/* the --send values, in order */
	int nsend;
	long interval, after, timeout;
	enum then then;
	const char *log;
} opt = { "127.0.0.1", NULL, NULL, 0, 0, 0, 10000, THEN_SHUTDOWN, NULL };

/* What happened on the connection so far. */
static struct {
	int fd;
	char id[ADDRSTRLEN];	/* our address:port, the server's conn= */
	int64_t start, end_t;	/* connect() done; the end */
	enum end end;
	long long sent, received;
} c = { -1, "?", 0, 0, END_NONE, 0, 0 };

enum { O_ADDR = 1, O_PORT, O_SEND, O_INTERVAL, O_AFTER, O_THEN, O_TIMEOUT, O_LOG, O_HELP };

static const struct opt opts[] = {
	{ "addr", 1, O_ADDR },
	{ "port", 1, O_PORT },
	{ "send", 1, O_SEND },
	{ "interval", 1, O_INTERVAL },
	{ "after", 1, O_AFTER },
	{ "then", 1, O_THEN },
	{ "timeout", 1, O_TIMEOUT },
	{ "log", 1, O_LOG },
	{ "help", 0, O_HELP },
	{ NULL, 0, 0 },
};

static const char synopsis[] =
	"usage: client [--addr A] --port P [--send TEXT]... [--interval MS] [--after MS]\n"
	"              [--then shutdown|close|abort|none] [--timeout MS] [--log FILE]\n";

static void
help(void)
{
	fputs(synopsis, stdout);
	printf("\n"
	    "Connect, send each TEXT, end the sending side, and measure when the\n"
	    "server's EOF (or a reset) arrives. Times are in milliseconds (MS, up to %ld).\n"
	    "\n"
	    "  --addr A            connect to host or address A (127.0.0.1)\n"
	    "  --port P            connect to port P (required)\n"
	    "  --send TEXT         send TEXT; repeat for several messages\n"
	    "  --interval MS       wait MS between two messages (0)\n"
	    "  --after MS          wait MS after the last message (0)\n"
	    "  --then shutdown     then shutdown(SHUT_WR) and read until the end (default)\n"
	    "  --then close        then close(): nothing more is read\n"
	    "  --then abort        then SO_LINGER {1, 0} and close(): RST, not FIN\n"
	    "  --then none         then just read until the end\n"
	    "  --timeout MS        stop reading after MS (10000)\n"
	    "  --log FILE          log one line per event to FILE (- for stderr)\n"
	    "  --help              show this help\n"
	    "\n"
	    "While it waits it reads, and prints what arrives as 'recv bytes=N data=TEXT'.\n"
	    "The last line is 'result end=eof|rst|timeout|closed ms=MS sent=N received=N',\n"
	    "ms counting from connect() to the end, to the microsecond.\n"
	    "Exit status: 0 eof or closed, 1 runtime error (e.g. refused), 2 usage error,\n"
	    "3 rst (reset by the server), 4 timeout.\n", MAXMS);
	exit(0);
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
			opt.addr = arg;
			break;
		case O_PORT:
			opt_num("port", arg, 1, 65535);
			opt.port = arg;
			break;
		case O_SEND:
			opt.send[opt.nsend++] = (char *)arg;
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
		case O_LOG:
			opt.log = arg;
			break;
		case O_HELP:
			help();
		}
	}
	if (id == -1)
		opt_usage();
	if (opt.port == NULL)
		opt_bad("--port is required");
}

/* Connect to the first address of opt.addr that answers; exits on failure. */
static void
dial(void)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage peer;
	char where[ADDRSTRLEN];
	int r, err = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(opt.addr, opt.port, &hints, &res)) != 0)
		die(EXIT_RUNTIME, "cannot resolve '%s': %s", opt.addr, gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
		if ((c.fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1) {
			err = errno;
			continue;
		}
		fd_cloexec(c.fd, 1);
		c.start = now_ns();
		while ((r = connect(c.fd, ai->ai_addr, ai->ai_addrlen)) == -1 && errno == EINTR)
			;
		if (r == 0)
			break;
		err = errno;
		close(c.fd);
		c.fd = -1;
	}
	freeaddrinfo(res);
	sock_addrstr((struct sockaddr *)&peer, where, sizeof where);
	if (c.fd == -1) {
		errno = err;
		die(EXIT_RUNTIME, "cannot connect to %s:", where);
	}
	sock_local(c.fd, c.id, sizeof c.id);
	log_sock(c.fd);
	logat(c.start, c.id, "connect", "fd=%d peer=%s", c.fd, where);
}

static void
finish(enum end end, int64_t t)
{
	if (c.end == END_NONE) {
		c.end = end;
		c.end_t = t;
	}
}

/* Print received bytes as one line, escaping what is not printable. */
static void
print_recv(const unsigned char *buf, ssize_t n)
{
	ssize_t i;

	printf("recv bytes=%zd data=", n);
	for (i = 0; i < n; i++) {
		if (buf[i] == '\\')
			fputs("\\\\", stdout);
		else if (buf[i] >= 0x20 && buf[i] < 0x7f)
			putchar(buf[i]);
		else
			printf("\\x%02x", buf[i]);
	}
	putchar('\n');
}

/* Read what is there; 0 once the connection has ended (EOF or reset). */
static int
take(void)
{
	unsigned char buf[16384];
	ssize_t n;
	int64_t t;

	while ((n = read(c.fd, buf, sizeof buf)) == -1 && errno == EINTR)
		;
	t = now_ns();
	if (n > 0) {
		logat(t, c.id, "read", "fd=%d bytes=%zd", c.fd, n);
		c.received += n;
		print_recv(buf, n);
		return 1;
	}
	if (n == 0) {
		logat(t, c.id, "eof", "fd=%d", c.fd);
		finish(END_EOF, t);
	} else {
		logat(t, c.id, "rst", "fd=%d err=%s", c.fd, errname(errno));
		finish(END_RST, t);
	}
	return 0;
}

/*
 * Read whatever arrives until the deadline or the end of the connection;
 * with keep_time, let the deadline come even after the end, so that the
 * schedule of --interval and --after does not depend on the server.
 */
static void
read_until(int64_t deadline, int keep_time)
{
	struct pollfd p = { c.fd, POLLIN, 0 };
	int r;

	while (c.end == END_NONE) {
		r = poll(&p, 1, ms_until(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die(EXIT_RUNTIME, "poll:");
		if (r == 0 || !take())
			break;
	}
	if (keep_time)
		sleep_ms(ms_until(deadline));
}

static void
send_text(const char *text)
{
	size_t len = strlen(text), done = 0;
	int64_t t = now_ns();
	ssize_t n;

	while (done < len) {
		n = write(c.fd, text + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			/* EPIPE or ECONNRESET: the server reset the connection */
			logat(t, c.id, "write", "fd=%d err=%s", c.fd, errname(errno));
			finish(END_RST, now_ns());
			return;
		}
		done += n;
	}
	c.sent += len;
	logat(t, c.id, "write", "fd=%d bytes=%zu", c.fd, len);
}

int
main(int argc, char **argv)
{
	static const int status[] = { 0, 0, EXIT_RST, EXIT_TIMEOUT, 0 };
	const char *state;
	int64_t t;
	int i;

	argv0 = "client";
	opt_synopsis = synopsis;
	parse(argc, argv);
	if (log_open(opt.log, "client") == -1)
		die(EXIT_RUNTIME, "cannot open log %s:", opt.log);
	/* a write to a reset connection fails with EPIPE instead of killing us */
	signal(SIGPIPE, SIG_IGN);
	dial();

	for (i = 0; i < opt.nsend && c.end != END_RST; i++) {
		if (i > 0)
			read_until(now_ns() + opt.interval * 1000000, 1);
		send_text(opt.send[i]);
	}
	read_until(now_ns() + opt.after * 1000000, 1);

	/*
	 * The --then step, even after an EOF: the server may only have
	 * half-closed. Events that send are logged at the time of the call,
	 * events that receive at the return.
	 */
	if (opt.then == THEN_SHUTDOWN && c.end != END_RST) {
		t = now_ns();
		if (shutdown(c.fd, SHUT_WR) == -1)
			logat(t, c.id, "shutdown", "how=SHUT_WR err=%s", errname(errno));
		else
			logat(t, c.id, "shutdown", "how=SHUT_WR");
	}
	if (opt.then == THEN_ABORT && setsockopt(c.fd, SOL_SOCKET, SO_LINGER,
	    &(struct linger){ 1, 0 }, sizeof(struct linger)) == -1)
		die(EXIT_RUNTIME, "SO_LINGER:");
	if (opt.then != THEN_CLOSE && opt.then != THEN_ABORT) {
		read_until(now_ns() + opt.timeout * 1000000, 0);
		if (c.end == END_NONE)
			logev(c.id, "timeout", "fd=%d ms=%ld", c.fd, opt.timeout);
		finish(END_TIMEOUT, now_ns());
	}
	/* the close line tells the state before the close itself */
	state = kernel_tcp_state(c.fd);
	log_sock(-1);
	t = now_ns();
	close(c.fd);
	logat(t, c.id, "close", "fd=%d linger=%s%s%s", c.fd, opt.then == THEN_ABORT ? "0" : "off",
	    state ? " state=" : "", state ? state : "");
	finish(END_CLOSED, t);

	printf("result end=%s ms=%.3f sent=%lld received=%lld\n", endnames[c.end],
	    (c.end_t - c.start) / 1e6, c.sent, c.received);
	return status[c.end];
}
