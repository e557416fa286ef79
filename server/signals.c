/*
 * signals.c: the parent takes signals through a self-pipe. A handler only
 * writes the signal's number into a pipe; the loop polls the pipe and takes
 * the signals one at a time, outside any handler.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../common/sock.h"
#include "../common/log.h"
#include "server.h"

static int selfpipe[2] = { -1, -1 };
static volatile sig_atomic_t child_exited;

/* The signals the parent handles. */
static const int handled[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

static void
on_signal(int sig)
{
	unsigned char b = sig;
	int err = errno;

	if (sig == SIGCHLD)
		child_exited = 1;
	if (write(selfpipe[1], &b, 1) == -1) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = err;
}

static void
handle(void (*handler)(int))
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = handler;
	sa.sa_flags = SA_NOCLDSTOP;
	for (i = 0; i < sizeof handled / sizeof handled[0]; i++)
		sigaction(handled[i], &sa, NULL);
}

int
signals_open(void)
{
	if (wake_pipe(selfpipe) == -1)
		return -1;
	/* a write to a reset connection fails with EPIPE, in every child too */
	signal(SIGPIPE, SIG_IGN);
	handle(on_signal);
	return 0;
}

int
signals_fd(void)
{
	return selfpipe[0];
}

int
signals_take(void)
{
	unsigned char sig;

	return read(selfpipe[0], &sig, 1) == 1 ? sig : 0;
}

int
signals_child_exited(void)
{
	/* cleared only when seen: a SIGCHLD that comes meanwhile is reaped
	 * by the caller, or seen next time */
	if (!child_exited)
		return 0;
	child_exited = 0;
	return 1;
}

pid_t
fork_quiet(void)
{
	sigset_t all, old;
	pid_t pid;

	/* the child starts with no line of ours to write again */
	log_flush();
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0) {
		handle(SIG_DFL);
		signal(SIGINT, SIG_IGN);
		signal(SIGUSR1, SIG_IGN);
		close(selfpipe[0]);
		close(selfpipe[1]);
	}
	/* a process group of its own, on both sides to win the race, so that
	 * stopping the child stops a helper it spawned too */
	if (pid != -1)
		setpgid(pid == 0 ? 0 : pid, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}
