/* main.c: the server's options, its listening socket, and its start */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/opt.h"
#include "../common/sock.h"
#include "../common/util.h"
#include "server.h"

/* Longest --parent-keeps, --reply-delay and --end-after: an hour. */
#define MAXMS 3600000L

struct options opt = {
	.addr = "127.0.0.1",
	.port = 4500,
	.model = MODEL_PREFORK,
	.workers = 4,
	.queue = 0,
	.grace = 3000,
	.idle_timeout = 60000,
	.parent_keeps = 0,
	.reads = READS_ECHO,
	.reply_delay = 0,
	.end_after = END_AT_PEER_EOF,
	.end = &ends[0],
	.end_wait = 1000,
};

/* Words for --model and --reads, in the order of their enums. */
static const char *const models[] = { "prefork", "fork", "thread", NULL };
static const char *const readses[] = { "echo", "discard", "none", NULL };

enum {
	O_ADDR = 1, O_PORT, O_PORT_FILE, O_MODEL, O_WORKERS, O_QUEUE, O_GRACE,
	O_IDLE_TIMEOUT, O_PARENT_KEEPS,
	O_READS, O_REPLY_DELAY, O_END_AFTER, O_END, O_END_WAIT, O_SPAWN, O_CLOEXEC,
	O_KERNEL_HOLDERS, O_WIRE, O_PCAP, O_LOG, O_HELP, O_VERSION,
};

static const struct opt opts[] = {
	{ "addr", 1, O_ADDR },
	{ "port", 1, O_PORT },
	{ "port-file", 1, O_PORT_FILE },
	{ "model", 1, O_MODEL },
	{ "workers", 1, O_WORKERS },
	{ "queue", 1, O_QUEUE },
	{ "grace", 1, O_GRACE },
	{ "idle-timeout", 1, O_IDLE_TIMEOUT },
	{ "parent-keeps", 1, O_PARENT_KEEPS },
	{ "reads", 1, O_READS },
	{ "reply-delay", 1, O_REPLY_DELAY },
	{ "end-after", 1, O_END_AFTER },
	{ "end", 1, O_END },
	{ "end-wait", 1, O_END_WAIT },
	{ "spawn", 1, O_SPAWN },
	{ "cloexec", 0, O_CLOEXEC },
	{ "kernel-holders", 0, O_KERNEL_HOLDERS },
	{ "wire", 0, O_WIRE },
	{ "pcap", 1, O_PCAP },
	{ "log", 1, O_LOG },
	{ "help", 0, O_HELP },
	{ "version", 0, O_VERSION },
	{ NULL, 0, 0 },
};

static const char synopsis[] =
	"[--addr A] [--port P] [--port-file FILE] [--model prefork|fork|thread]\n"
	"[--workers N] [--queue N] [--grace MS] [--idle-timeout MS]\n"
	"[--parent-keeps 0|MS|never|signal]\n"
	"[--reads echo|discard|none] [--reply-delay MS]\n"
	"[--end-after peer-eof|MS] [--end MODE] [--end-wait MS]\n"
	"[--spawn CMD] [--cloexec] [--kernel-holders] [--wire]\n"
	"[--pcap FILE] [--log FILE] [--help] [--version]\n";

static void
help(void)
{
	const struct end *e;

	opt_print_usage(stdout);
	printf("\n"
	    "A pre-forking TCP server whose parent and worker share each connection,\n"
	    "to show when the FIN leaves. Times are in milliseconds (MS, up to %ld).\n"
	    "\n"
	    "  --addr A            listen on IPv4 or IPv6 address A (127.0.0.1)\n"
	    "  --port P            listen on port P, 0 for any free port (4500)\n"
	    "  --port-file FILE    once listening, write the port to FILE\n"
	    "  --model prefork     fork the workers at start; the parent accepts and\n"
	    "                      hands each connection to an idle one (SCM_RIGHTS)\n"
	    "  --model fork        fork one child per connection, which inherits it\n"
	    "  --model thread      start one thread per connection, which serves the\n"
	    "                      parent's one descriptor; with --end-after MS a\n"
	    "                      second thread ends it while the first reads\n"
	    "  --workers N         prefork: workers in the pool; fork, thread: most\n"
	    "                      children or threads at once (4, 1 to %d)\n"
	    "  --queue N           connections the parent may accept and hold while\n"
	    "                      every worker is busy; past that they wait in the\n"
	    "                      listen backlog (0, up to 1000)\n"
	    "  --grace MS          on SIGTERM, how long connections may finish (3000)\n"
	    "  --idle-timeout MS   end a connection when a read gets nothing, or a\n"
	    "                      write sends nothing, for MS; 0: never (60000)\n"
	    "  --parent-keeps WHEN when the parent closes its copy after the handoff:\n"
	    "                      0 at once, MS later, never (until it exits), or\n"
	    "                      signal (on SIGUSR1) (0)\n"
	    "  --reads echo        worker echoes what it reads (default)\n"
	    "  --reads discard     worker reads and drops it\n"
	    "  --reads none        worker never reads (needs --end-after MS)\n"
	    "  --reply-delay MS    worker waits MS before each echo (0)\n"
	    "  --end-after WHEN    worker ends the connection at the peer's EOF\n"
	    "                      (peer-eof, default) or MS after taking it\n"
	    "  --end MODE          how the worker ends it (close):\n",
	    MAXMS, (int)MAXWORKERS);
	for (e = ends; e->name; e++)
		printf("      %-14s%s\n", e->name, e->help);
	printf("  --end-wait MS       how long --end shutdown-rd, shutdown-rdwr and dup\n"
	    "                      wait, and lingering waits at most; linger's\n"
	    "                      SO_LINGER, rounded up to seconds (1000)\n"
	    "  --spawn CMD         worker runs CMD with /bin/sh -c on taking a\n"
	    "                      connection, before reading; the helper inherits it\n"
	    "                      as descriptor $CLOSELAB_FD\n"
	    "  --cloexec           the --spawn helper does not inherit the socket\n"
	    "  --kernel-holders    at each close and shutdown, log the processes that\n"
	    "                      hold the socket, from /proc (Linux; a scan of every\n"
	    "                      process: slow)\n"
	    "  --wire              log every segment of the connections (role=wire);\n"
	    "                      Linux, with the right to capture (CAP_NET_RAW)\n"
	    "  --pcap FILE         capture the segments into FILE (pcap), with or\n"
	    "                      without --log\n"
	    "  --log FILE          log one line per event to FILE (- for stderr)\n"
	    "  --help              show this help\n"
	    "  --version           show the version\n"
	    "\n"
	    "SIGTERM, SIGINT or SIGHUP stops accepting, lets connections finish for\n"
	    "--grace, then ends the rest (SIGTERM, then SIGKILL a second later); a\n"
	    "second one ends them at once. SIGUSR1 releases what the parent keeps for\n"
	    "--parent-keeps signal. Exit status: 0 stopped by a signal, 1 runtime\n"
	    "error, 2 usage error.\n");
	exit(0);
}

/*
 * --model thread: threads share one descriptor table. The parent keeps no
 * copy, and no thread makes a descriptor, whose number could be one that
 * another thread's call still uses.
 */
static void
thread_options(void)
{
	if (opt.parent_keeps != 0)
		opt_bad("--model thread: the thread serves the parent's one descriptor: "
		    "--parent-keeps has no copy to keep");
	if (opt.spawn)
		opt_bad("--model thread cannot --spawn: a fork in one thread copies "
		    "every thread's connections");
	if (strcmp(opt.end->name, "dup") == 0)
		opt_bad("--model thread cannot --end dup: a new descriptor could take "
		    "a number that another thread's call still uses");
#ifndef __linux__
	/* the closer proves the serving thread's call from /proc/self/task */
	if (opt.end_after != END_AT_PEER_EOF)
		opt_bad("--model thread --end-after needs Linux, whose /proc shows "
		    "each thread's call");
#endif
}

static void
parse(char **argv)
{
	const struct end *e;
	const char *arg;
	int i = 1, id;

	while ((id = opt_next(argv, &i, opts, &arg)) > 0) {
		switch (id) {
		case O_ADDR:
			opt.addr = arg;
			break;
		case O_PORT:
			opt.port = opt_num("port", arg, 0, 65535);
			break;
		case O_PORT_FILE:
			opt.port_file = arg;
			break;
		case O_MODEL:
			opt.model = opt_word("model", arg, models);
			break;
		case O_WORKERS:
			opt.workers = opt_num("workers", arg, 1, MAXWORKERS);
			break;
		case O_QUEUE:
			opt.queue = opt_num("queue", arg, 0, 1000);
			break;
		case O_GRACE:
			opt.grace = opt_num("grace", arg, 0, MAXMS);
			break;
		case O_IDLE_TIMEOUT:
			opt.idle_timeout = opt_num("idle-timeout", arg, 0, MAXMS);
			break;
		case O_PARENT_KEEPS:
			if (strcmp(arg, "never") == 0)
				opt.parent_keeps = KEEP_NEVER;
			else if (strcmp(arg, "signal") == 0)
				opt.parent_keeps = KEEP_SIGNAL;
			else if (parse_num(arg, 0, MAXMS, &opt.parent_keeps) == -1)
				opt_bad("--parent-keeps must be 0, MS up to %ld, never or signal, not '%s'",
				    MAXMS, arg);
			break;
		case O_READS:
			opt.reads = opt_word("reads", arg, readses);
			break;
		case O_REPLY_DELAY:
			opt.reply_delay = opt_num("reply-delay", arg, 0, MAXMS);
			break;
		case O_END_AFTER:
			if (strcmp(arg, "peer-eof") == 0)
				opt.end_after = END_AT_PEER_EOF;
			else
				opt.end_after = opt_num("end-after", arg, 0, MAXMS);
			break;
		case O_END:
			for (e = ends; e->name && strcmp(e->name, arg) != 0; e++)
				;
			if (e->name == NULL)
				opt_bad("--end: no such mode '%s' (see --help)", arg);
			opt.end = e;
			break;
		case O_END_WAIT:
			opt.end_wait = opt_num("end-wait", arg, 0, MAXMS);
			break;
		case O_SPAWN:
			opt.spawn = arg;
			break;
		case O_CLOEXEC:
			opt.cloexec = 1;
			break;
		case O_KERNEL_HOLDERS:
			opt.kernel_holders = 1;
			break;
		case O_WIRE:
			opt.wire = 1;
			break;
		case O_PCAP:
			opt.wire = 1;
			opt.pcap = arg;
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
	if (opt.wire && !opt.log && !opt.pcap)
		opt_bad("--wire logs the segments: give --log FILE (or --pcap FILE) too");
	if (opt.kernel_holders && !opt.log)
		opt_bad("--kernel-holders logs the holders: give --log FILE too");
	if (opt.cloexec && !opt.spawn)
		opt_bad("--cloexec is about the helper of --spawn CMD: give --spawn too");
	if (opt.reads == READS_NONE && opt.end_after == END_AT_PEER_EOF)
		opt_bad("--reads none never sees the peer's EOF: give --end-after MS");
	if (opt.model == MODEL_THREAD)
		thread_options();
}

/*
 * Descriptors of the parent's own besides the workers' channels and the
 * connections: the listener, the log, the self-pipe (2), a worker's end of
 * a socketpair while it is forked, the capture's packet socket and its pcap
 * file while they are opened.
 */
enum { PARENT_OWN_FDS = 7 };

/*
 * The parent holds its own descriptors, a channel for each worker, and
 * every connection it has accepted or keeps: how many connections the
 * descriptor limit leaves room for, counting those open already (inherited
 * ones too), or a clear refusal.
 */
static long
connection_room(void)
{
	long open, limit = fds_limit(&open), need = PARENT_OWN_FDS + opt.workers + 1 + opt.queue;

	if (limit == LONG_MAX)
		return MAXCONN;
	if (limit - open < need)
		die(EXIT_RUNTIME, "the descriptor limit (ulimit -n) is %ld and %ld are open: "
		    "--workers %ld and --queue %ld need %ld more", limit, open, opt.workers,
		    opt.queue, need);
	return limit - open - (need - 1 - opt.queue);
}

/* A port file replaces a regular file, never anything else (a device, say). */
static void
check_port_file(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		die(EXIT_RUNTIME, "cannot write port file %s: it exists and is not a regular file",
		    path);
}

/* Write the port to path whole: a new file beside it, renamed over it. */
static int
write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;
	int fd, bad;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(tmp)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	bad = fchmod(fd, 0644) == -1 || fprintf(f, "%d\n", port) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) == -1) {
		int err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char where[CONNID_LEN];
	long room;
	int lfd;

	(void)argc;
	opt_program(argv[0], synopsis);
	parse(argv);
	if (sock_addr(opt.addr, opt.port, &ss, &sl) == -1)
		opt_bad("--addr needs an IPv4 or IPv6 address, not '%s'", opt.addr);
	room = connection_room();
	if (opt.port_file)
		check_port_file(opt.port_file);
	if (log_open(opt.log, "parent") == -1)
		die(EXIT_RUNTIME, "cannot open log %s:", opt.log);
	/* a deep backlog: with every worker busy, connections wait there */
	if ((lfd = sock_listen((struct sockaddr *)&ss, sl, SOMAXCONN)) == -1) {
		sock_addrstr((struct sockaddr *)&ss, where, sizeof where);
		die(EXIT_RUNTIME, "cannot listen on %s:", where);
	}
	/* every connection inherits the listener's timeouts: --idle-timeout */
	if (opt.idle_timeout > 0 && sock_timeouts(lfd, opt.idle_timeout) == -1)
		die(EXIT_RUNTIME, "--idle-timeout: SO_RCVTIMEO:");
	/* with --port 0 the kernel chose the port: ask it */
	sock_local(lfd, where, sizeof where);
	logev(NULL, EV_LISTEN, "addr=%s model=%s workers=%ld", where,
	    models[opt.model], opt.workers);
	/* a log that cannot be written is said before anything starts */
	if (!log_ok())
		return EXIT_RUNTIME;

	if (parent_start(lfd, room) == -1)
		return EXIT_RUNTIME;
	if (opt.port_file && write_port_file(opt.port_file, sock_port(lfd)) == -1) {
		warn("cannot write port file %s:", opt.port_file);
		parent_stop();
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "listening on %s\n", where);
	return parent_loop();
}
