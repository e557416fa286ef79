/*
 * main.c: bin/trace. The options, the checks (root, bpftrace, tracefs,
 * BTF), bpftrace started on closes.bt, and its output read in batches that
 * track.c turns into log lines. Linux only.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* mount(), prctl() */
#include <sys/mount.h>
#include <sys/prctl.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/opt.h"
#include "../common/util.h"
#include "trace.h"

#ifndef SHAREDIR
#define SHAREDIR "/usr/local/share/closelab"
#endif
#define TRACEFS "/sys/kernel/tracing"
#define HOLD_MS 50	/* how old a record that needs /proc gets before it is taken */
#define PACE_MS 10	/* reads at most this often: a busy bpftrace wakes us less */
#define DRAIN_MS 1000	/* a stop waits this long for bpftrace's next output */
#define DRAIN_MAX_MS 30000	/* and this long in all */
#define MAXHELD (1 << 18)	/* records read and not yet taken, at most */

struct options opt;
static pid_t tracer;
static volatile sig_atomic_t stopping;
static volatile int64_t stop_at;	/* when the stop signal came */
/* Whether bpftrace's probes are attached; and were when the stop came. */
static volatile sig_atomic_t ready, armed;

enum { O_PORT = 1, O_PID, O_COMM, O_LOG, O_HELP, O_VERSION };

static const struct opt opts[] = {
	{ "port", 1, O_PORT },
	{ "pid", 1, O_PID },
	{ "comm", 1, O_COMM },
	{ "log", 1, O_LOG },
	{ "help", 0, O_HELP },
	{ "version", 0, O_VERSION },
	{ NULL, 0, 0 },
};

static const char synopsis[] =
	"[--port P] [--pid PID] [--comm NAME] [--log FILE] [--help] [--version]\n";

static void
help(void)
{
	opt_print_usage(stdout);
	printf("\n"
	    "Every close(), shutdown() and exit that drops a TCP connection, as it\n"
	    "happens, and what went on the wire: the FIN left, the RST left, or nothing,\n"
	    "because other processes still hold the socket (named from /proc). When the\n"
	    "FIN leaves later, the line says whose close or exit sent it, and how long\n"
	    "after the first close. Lines in closelab's log format (role=trace\n"
	    "ev=drop), for bin/timeline. Linux, root, bpftrace with BTF.\n"
	    "\n"
	    "  --port P         only connections whose local or remote port is P\n"
	    "  --pid PID        only calls of process PID and of the children it forks\n"
	    "                   from now on\n"
	    "  --comm NAME      only calls of processes whose command name is NAME\n"
	    "  --log FILE       append the lines to FILE, not standard output\n"
	    "  --help           show this help\n"
	    "  --version        show the version\n"
	    "\n"
	    "Ready once \"Attaching N probes...\" is on standard error; SIGINT or\n"
	    "SIGTERM ends it, and bpftrace with it, as any end of trace does. Exit\n"
	    "status: 0 stopped, or its reader gone; 1 no bpftrace, no right to trace,\n"
	    "bpftrace failed or the log cannot be written (one line says which), 2\n"
	    "usage error.\n");
	exit(0);
}

static void
parse(char **argv)
{
	const char *arg;
	int i = 1, id;

	opt.out = STDOUT_FILENO;
	while ((id = opt_next(argv, &i, opts, &arg)) > 0) {
		switch (id) {
		case O_PORT:
			opt.port = opt_num("port", arg, 1, 65535);
			break;
		case O_PID:
			opt.pid = opt_num("pid", arg, 1, INT_MAX);
			break;
		case O_COMM:
			if (arg[0] == '\0' || strlen(arg) > 15 || strchr(arg, ' ') || strchr(arg, '"'))
				opt_bad("--comm: a command name of 1 to 15 bytes, no space or quote, not '%s'",
				    arg);
			opt.comm = arg;
			break;
		case O_LOG:
			if ((opt.out = open(arg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) == -1)
				die(EXIT_RUNTIME, "cannot open %s:", arg);
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
}

#ifdef __linux__
/* Whether a program name is an executable file in $PATH. */
static int
in_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char file[PATH_MAX];

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		snprintf(file, sizeof file, "%.*s/%s", (int)(end - p), p, name);
		if (access(file, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* The checks a trace needs, each failure one line and exit 1. */
static void
check(void)
{
	struct stat st;

	if (!in_path("bpftrace"))
		die(EXIT_RUNTIME, "bpftrace is not installed: apt-get install bpftrace");
	if (geteuid() != 0)
		die(EXIT_RUNTIME, "tracing needs root: bpftrace loads eBPF programs");
	if (stat("/sys/kernel/btf/vmlinux", &st) == -1)
		die(EXIT_RUNTIME, "the kernel has no BTF (/sys/kernel/btf/vmlinux): "
		    "bpftrace cannot read its sockets");
	if (stat(TRACEFS "/events", &st) == -1 &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL) == -1)
		die(EXIT_RUNTIME, "tracefs is not mounted at " TRACEFS " and cannot be:");
}
#else
static void
check(void)
{
	die(EXIT_RUNTIME, "tracing needs Linux (eBPF with bpftrace)");
}
#endif

/*
 * closes.bt: beside the program in the tree (../trace), or installed beside
 * its bin directory (../share/closelab, whatever the prefix), or where the
 * build said. The program's path from /proc/self/exe, else from argv[0].
 */
static void
script(const char *argv0path, char *buf, size_t len)
{
	static const char *const places[] = { "trace", "share/closelab" };
	char self[PATH_MAX];
	const char *path = argv0path, *slash;
	ssize_t n;
	size_t i;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[n] = '\0';
		path = self;
	}
	for (i = 0; (slash = strrchr(path, '/')) != NULL && i < 2; i++) {
		snprintf(buf, len, "%.*s/../%s/closes.bt", (int)(slash - path), path, places[i]);
		if (access(buf, R_OK) == 0)
			return;
	}
	snprintf(buf, len, "%s/closes.bt", SHAREDIR);
}

/*
 * At exit, however main() ends (a log that cannot be written, a failure):
 * bpftrace ends too. SIGKILL: its probes go with its descriptors.
 */
static void
end_tracer(void)
{
	if (tracer > 0) {
		kill(tracer, SIGKILL);
		while (waitpid(tracer, NULL, 0) == -1 && errno == EINTR)
			;
		tracer = 0;
	}
}

/*
 * Start bpftrace on the script; its output, both streams, on the returned
 * fd. It never outlives us: killed at our exit (end_tracer), and by the
 * kernel when we are killed (PR_SET_PDEATHSIG).
 */
static int
start(const char *bt)
{
	char port[16], pid[16];
	pid_t self = getpid();
	sigset_t stops, old;
	int p[2];

	snprintf(port, sizeof port, "%ld", opt.port);
	snprintf(pid, sizeof pid, "%ld", opt.pid);
	/* a stop that comes before the exec is bpftrace's, not stop()'s */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &old);
	if (pipe(p) == -1 || (tracer = fork()) == -1)
		die(EXIT_RUNTIME, "cannot start bpftrace:");
	if (tracer == 0) {
		tracer = -1;	/* end_tracer() is the parent's */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
#ifdef __linux__
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != self)
			_exit(127);
#else
		(void)self;
#endif
		/* a terminal's ^C is ours to pass on, once the records before it are read */
		setpgid(0, 0);
		/* room for bursts: 1024 pages a CPU, not 64, before events are lost */
		setenv("BPFTRACE_PERF_RB_PAGES", "1024", 0);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execlp("bpftrace", "bpftrace", "-B", "none", "-f", "json", bt, port, pid,
		    opt.comm ? opt.comm : "-", (char *)NULL);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	return p[0];
}

/*
 * SIGINT, SIGTERM: bpftrace ends, and with its output so do we; once every
 * record written before the signal has been read (run()).
 */
static void
stop(int sig)
{
	(void)sig;
	if (stopping && tracer > 0)
		kill(tracer, SIGINT);	/* a second one: at once */
	if (!stopping) {
		stop_at = now_ns();
		armed = ready;
	}
	stopping = 1;
}

/*
 * A line of bpftrace's that is not a record: readiness, or what went wrong.
 * Its "Attaching N probes..." comes before it attaches them: it is passed
 * on once BEGIN says they all are.
 */
static void
message(const char *line, char *error, size_t len)
{
	static char attaching[64];

	if (strncmp(line, "Attaching ", 10) == 0) {
		snprintf(attaching, sizeof attaching, "%.63s", line);
	} else if (strcmp(line, "ready") == 0 && !ready) {
		ready = 1;
		fprintf(stderr, "%s\n", attaching[0] ? attaching : "Attaching probes...");
	} else if (strncmp(line, "ERROR: ", 7) == 0 && !strstr(line, "RLIMIT_MEMLOCK")) {
		snprintf(error, len, "%.200s", line + 7);
		if (ready)
			warn("bpftrace: %s", line + 7);
	} else if (ready && strncmp(line, "Lost ", 5) == 0) {
		warn("bpftrace: %s", line);
	}
}

/* The records read, not yet taken: in time order once sorted. */
static struct record *recs;
static size_t nrecs, room;
static int64_t taken_to;	/* the time of the last record taken */

/* Give the first n records to track.c, as one batch; the known after them tell it more. */
static void
take(size_t n, size_t known)
{
	if (n == 0)
		return;
	track_batch(recs, n, known);
	taken_to = recs[n - 1].t;
	memmove(recs, recs + n, (nrecs - n) * sizeof *recs);
	nrecs -= n;
}

/* Keep record r until it may be taken. */
static void
keep(const struct record *r)
{
	static int said;
	struct record *p;

	if (r->t < taken_to && !said++)
		warn("a record came after later ones were logged (bpftrace fell behind): "
		    "its line, and others like it, are out of time order");
	if (nrecs == room) {
		/* full: the oldest half goes, whatever may still come before it */
		if (room == MAXHELD)
			take(nrecs / 2, order_sort(recs, nrecs, INT64_MAX));
		else if ((p = realloc(recs, (room = room ? 2 * room : 4096) * sizeof *p)) == NULL)
			die(EXIT_RUNTIME, "out of memory");
		else
			recs = p;
	}
	recs[nrecs++] = *r;
}

/* bpftrace has ended after a stop, and some CPU's ticks had not passed it: say so. */
static void
behind(int64_t until)
{
	if (until >= stop_at)
		return;
	if (until > 0)
		warn("bpftrace ended before it had caught up with the stop: records from t=%lld on may be missing",
		    (long long)until);
	else
		warn("bpftrace ended before it had caught up with the stop: records may be missing (not every CPU had ticked)");
}

/*
 * Read bpftrace's output until it ends. Records are taken in time order,
 * once every CPU has ticked past them (order.c), batch by batch, to
 * track.c. A record that needs /proc waits until it is HOLD_MS old: the
 * closes that follow it may yet name its holders, and one scan serves the
 * batch; while an exit waits for its outcome, an empty batch every HOLD_MS
 * reads /proc again. After a stop signal, bpftrace is stopped once every
 * CPU has ticked past it, or once nothing has come from it for DRAIN_MS, or
 * after DRAIN_MAX_MS (it may then write out what its buffers hold), killed
 * if it has not ended DRAIN_MAX_MS later. Should it end before every CPU
 * has ticked past the stop (killed, or a second signal), that is said.
 */
static int
run(int in)
{
	static char buf[1 << 16];
	char error[256] = "", text[1024], *line, *nl;
	struct pollfd p = { .fd = in, .events = POLLIN };
	int64_t last = 0, batch_at = 0, read_at = 0, moved_at = 0, told = 0, now, until;
	size_t have = 0, m, known;
	ssize_t got;
	int caught = 0;
	struct record r;

	for (;;) {
		now = now_ns();
		until = order_read_until(now);
		if (stopping && until >= stop_at)
			caught = 1;
		if (stopping && !told) {
			if (read_at > moved_at || moved_at == 0)
				moved_at = now;
			if (!ready || caught || now >= moved_at + DRAIN_MS * 1000000LL ||
			    now >= stop_at + DRAIN_MAX_MS * 1000000LL) {
				kill(tracer, SIGINT);
				/* one stopped by another hand must run to end */
				kill(tracer, SIGCONT);
				told = now;
			}
		} else if (told && now >= told + DRAIN_MAX_MS * 1000000LL) {
			kill(tracer, SIGKILL);	/* it would not end */
		}
		known = order_sort(recs, nrecs, until);
		if ((m = track_ready(recs, known, until - HOLD_MS * 1000000LL)) > 0) {
			take(m, known);
			batch_at = now;
			continue;
		}
		if (track_waiting() && now >= batch_at + HOLD_MS * 1000000LL) {
			track_batch(recs, 0, 0);	/* /proc may tell how an exit ended */
			batch_at = now;
		}
		/* woken for the next tick, the end of a hold, a waiting exit, a stop */
		if (poll(&p, 1, PACE_MS) <= 0)
			continue;
		/* the pipe holds what comes meanwhile, bpftrace's buffers the rest */
		if (last && now_ns() < last + PACE_MS * 1000000LL)
			sleep_ms((long)((last + PACE_MS * 1000000LL - now_ns()) / 1000000 + 1));
		got = read(in, buf + have, sizeof buf - 1 - have);
		last = now_ns();
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		read_at = last;
		have += (size_t)got;
		buf[have] = '\0';
		for (line = buf; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
			*nl = '\0';
			if (bpfout_line(line, text, sizeof text) != 1 || record_parse(text, &r) == -1) {
				message(text, error, sizeof error);
				continue;
			}
			if (r.kind == R_TICK) {
				order_tick(r.cpu, r.t, last);
				continue;
			}
			keep(&r);
		}
		/* a line cut in two: its start goes first in the buffer */
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have == sizeof buf - 1)
			have = 0;	/* no line is that long: drop it */
	}
	take(nrecs, order_sort(recs, nrecs, INT64_MAX));
	if (stopping && armed && !caught)
		behind(order_read_until(now_ns()));
	if (!ready && !stopping)
		die(EXIT_RUNTIME, "bpftrace could not trace%s%s", error[0] ? ": " : "", error);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	char bt[PATH_MAX];
	int in, status;

	(void)argc;
	opt_program(argv[0], synopsis);
	parse(argv);
	check();
	script(argv[0], bt, sizeof bt);
	if (access(bt, R_OK) == -1)
		die(EXIT_RUNTIME, "cannot read %s:", bt);
	/* a closed stdout would be the pipe from bpftrace: say so, do not hang */
	if (opt.out == STDOUT_FILENO && fcntl(STDOUT_FILENO, F_GETFD) == -1)
		die(EXIT_RUNTIME, "standard output is closed: give --log FILE");
	record_ports();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(end_tracer);
	in = start(bt);
	run(in);
	while (waitpid(tracer, &status, 0) == -1 && errno == EINTR)
		;
	tracer = 0;
	/* bpftrace ending of itself, not stopped, is a failure */
	if (!stopping && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		die(EXIT_RUNTIME, "bpftrace ended with status %d", WIFEXITED(status) ?
		    WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
