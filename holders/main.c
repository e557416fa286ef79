/*
 * main.c: bin/holders. Which processes hold each TCP socket, and what that
 * means for how its connection ends: the options, the output, and --watch
 * (a report is snapshot.c's).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "../common/opt.h"
#include "../common/util.h"
#include "holders.h"

/* --watch: from 10 ms to an hour */
#define MINWATCH 10L
#define MAXWATCH 3600000L

struct options opt;

enum {
	O_PORT = 1, O_PID, O_NETNS, O_STATE, O_SHARED, O_JSON, O_METRICS, O_WATCH, O_HELP,
	O_VERSION
};

static const struct opt opts[] = {
	{ "port", 1, O_PORT },
	{ "pid", 1, O_PID },
	{ "netns", 1, O_NETNS },
	{ "state", 1, O_STATE },
	{ "shared", 0, O_SHARED },
	{ "json", 0, O_JSON },
	{ "metrics", 0, O_METRICS },
	{ "watch", 1, O_WATCH },
	{ "help", 0, O_HELP },
	{ "version", 0, O_VERSION },
	{ NULL, 0, 0 },
};

static const char synopsis[] =
	"[--port P] [--pid PID] [--netns NAME|PATH|PID] [--state STATE]...\n"
	"[--shared] [--json | --metrics] [--watch MS] [--help] [--version]\n";

static void
help(void)
{
	opt_print_usage(stdout);
	printf("\n"
	    "Which processes hold each TCP socket, and what that means for the end of\n"
	    "its connection: close() sends no FIN while another process holds the\n"
	    "socket. The sockets come from the kernel (NETLINK_SOCK_DIAG), in every\n"
	    "network namespace of the host (containers too), the holders from /proc.\n"
	    "Linux only.\n"
	    "\n"
	    "  --port P         only sockets whose local or remote port is P\n"
	    "  --pid PID        only sockets that process PID holds\n"
	    "  --netns NS       only the network namespace NS: a name under /run/netns,\n"
	    "                   a path (/proc/PID/ns/net), or a process's pid\n"
	    "  --state STATE    only sockets in STATE; again for more states: listen,\n"
	    "                   syn-sent, syn-recv, established, fin-wait-1,\n"
	    "                   fin-wait-2, close-wait, closing, last-ack, time-wait,\n"
	    "                   close (CLOSE_WAIT and such spellings too)\n"
	    "  --shared         only sockets held by more than one process\n"
	    "  --json           one JSON object per socket, one a line\n"
	    "  --metrics        counts in Prometheus's text format (node_exporter's\n"
	    "                   textfile collector); exit 0 even when flagged\n"
	    "  --watch MS       redraw every MS ms (%ld to %ld) until SIGINT or\n"
	    "                   SIGTERM, marking sockets new (+), changed (*), gone (-)\n"
	    "  --help           show this help\n"
	    "  --version        show the version\n"
	    "\n"
	    "Each socket shows its addresses, state, queues, the time since data was\n"
	    "last received, and every holder: pid, command, descriptor, close-on-exec,\n"
	    "and which holder descends from which. Flags: shared (more than one process\n"
	    "holds a connection whose FIN has yet to leave), close-wait (the peer has\n"
	    "closed; the socket is still open), inherited (held without close-on-exec\n"
	    "by another program than the listener's), unread (CLOSE_WAIT with data\n"
	    "never read), unrelated-listener (a listener held by processes that do not\n"
	    "all descend from one of them). A flagged socket ends with a diagnosis.\n"
	    "\n"
	    "A socket outside holders' own network namespace names its namespace.\n"
	    "Without root, other users' processes and other namespaces cannot be read:\n"
	    "a line on stderr says how many. Exit status: 0 nothing flagged, 1\n"
	    "something flagged (with --watch: in the last redraw), 2 usage error, 3\n"
	    "runtime error, 4 the process of --pid cannot be read.\n",
	    MINWATCH, MAXWATCH);
	exit(0);
}

static void
parse(char **argv)
{
	const char *arg;
	int i = 1, id, state;

	while ((id = opt_next(argv, &i, opts, &arg)) > 0) {
		switch (id) {
		case O_PORT:
			opt.port = opt_num("port", arg, 1, 65535);
			break;
		case O_PID:
			opt.pid = opt_num("pid", arg, 1, INT_MAX);
			break;
		case O_NETNS:
			if (arg[0] == '\0' || strlen(arg) > 200)
				opt_bad("--netns: a name, a path or a pid, not '%s'", arg);
			opt.netns = arg;
			break;
		case O_STATE:
			if ((state = tcp_state_word(arg)) == -1)
				opt_bad("--state: no such TCP state '%s' (see --help)", arg);
			else
				opt.states |= 1u << state;
			break;
		case O_SHARED:
			opt.shared = 1;
			break;
		case O_JSON:
			opt.json = 1;
			break;
		case O_METRICS:
			opt.metrics = 1;
			break;
		case O_WATCH:
			opt.watch = opt_num("watch", arg, MINWATCH, MAXWATCH);
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
	if (opt.metrics && (opt.json || opt.watch))
		opt_bad("--metrics: one report, in its own format: not with --json or --watch");
}

/* The error of the first write to stdout that failed; 0 while none has. */
static int write_err;

/* Whether stdout is still writable; the first failure's errno is kept. */
static int
writing(void)
{
	if (!ferror(stdout))
		return 1;
	if (write_err == 0)
		write_err = errno ? errno : EIO;
	return 0;
}

static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Flush the report; a write error is a runtime error. If the reader has
 * gone (EPIPE), there is no one to tell: stop quietly with status.
 */
static void
flush(int status)
{
	if (writing()) {
		errno = 0;
		if (fflush(stdout) != EOF)
			return;
		writing();
	}
	if (write_err == EPIPE)
		exit(status);
	errno = write_err;
	die(EXIT_FAILED, "cannot write the report:");
}

/*
 * Say once how many processes, and how many network namespaces, could not
 * be read, and again if that changes: never clean for what was not seen.
 */
static void
tell_unreadable(const struct report *r, int *told, int *told_ns)
{
	int n = procfd_unreadable(r->t);

	if (n > 0 && n != *told)
		warn("could not read %d process%s (not yours): run as root to see every holder",
		    n, n == 1 ? "" : "es");
	*told = n;
	if (r->ns_unentered > 0 && r->ns_unentered != *told_ns)
		warn("could not enter %d network namespace%s: run as root to see their sockets",
		    r->ns_unentered, r->ns_unentered == 1 ? "" : "s");
	*told_ns = r->ns_unentered;
}

/* Wait ms, or until SIGINT or SIGTERM (blocked but here). */
static void
pause_ms(long ms, const sigset_t *open)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	if (!stop)
		pselect(0, NULL, NULL, NULL, &ts, open);
}

/* --watch: SIGINT and SIGTERM stop it, arriving only while it waits, in *open. */
static void
take_signals(sigset_t *open)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, open);
	sigdelset(open, SIGINT);
	sigdelset(open, SIGTERM);
}

/* Report once, or with --watch until a signal; the status of the last report. */
static int
run(void)
{
	struct report now = { 0 }, before = { 0 };
	const struct procfd_proc *p = NULL;
	sigset_t open;
	unsigned long round, shown_round, epoch;
	int changes[GONE + 1] = { 0 }, told = 0, told_ns = 0, status = 0;
	int tty = isatty(STDOUT_FILENO);
	size_t i;

	if (opt.watch)
		take_signals(&open);
	for (round = 1; !stop; round++) {
		snapshot_take(&now);
		epoch = report_start();
		p = opt.pid ? procfd_proc(now.t, opt.pid) : NULL;
		if (round == 1 && opt.pid && p == NULL)
			die(EXIT_FAILED, "there is no process %ld", (long)opt.pid);
		/* its sockets unseen are not "0 sockets": never clean for what was not read */
		if (p && p->unreadable)
			die(EXIT_UNREADABLE, "cannot read the descriptors of process %ld (not yours): "
			    "run as root", (long)opt.pid);
		tell_unreadable(&now, &told, &told_ns);
		if (opt.metrics) {
			metrics_print(&now, epoch);
			flush(0);
			snapshot_free(&now);
			break;
		}
		if (round > 1)
			snapshot_compare(&now, &before, changes);
		status = now.flagged ? EXIT_FLAGGED : 0;
		/* with --watch the summary comes first, and each row says its round */
		shown_round = opt.watch ? round : 0;
		if (opt.watch && tty && !opt.json)
			fputs("\033[H\033[2J", stdout);
		if (opt.watch)
			report_summary(now.nrows, now.flagged, changes, round);
		for (i = 0; i < now.nrows && writing(); i++)
			report_row(now.t, &now.rows[i], shown_round);
		for (i = 0; i < before.nrows && writing(); i++)
			if (before.rows[i].change == GONE)
				report_row(before.t, &before.rows[i], shown_round);
		if (!opt.watch)
			report_summary(now.nrows, now.flagged, NULL, 0);
		flush(status);
		snapshot_free(&before);
		before = now;
		memset(&now, 0, sizeof now);
		if (!opt.watch)
			break;
		pause_ms(opt.watch, &open);
	}
	snapshot_free(&before);
	return status;
}

int
main(int argc, char **argv)
{
	(void)argc;
	opt_program(argv[0], synopsis);
	parse(argv);
#ifndef __linux__
	die(EXIT_FAILED, "needs Linux (NETLINK_SOCK_DIAG and /proc)");
#endif
	/* a reader that goes away is seen as EPIPE, not as a signal */
	signal(SIGPIPE, SIG_IGN);
	return run();
}
