/*
 * helper.c: the --spawn helper of the connection being served: started
 * with /bin/sh, counted as a holder unless --cloexec, and reaped.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

/* The helper of the connection being served, or -1. */
static pid_t helper = -1;

void
helper_spawn(struct conn *c)
{
	struct stamp st = log_stamp();
	sigset_t all, old;
	pid_t pid;

	/* a stop signal waits until the helper is counted by its pid */
	log_flush();
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* counted before it can possibly close its copy */
	if (!opt.cloexec)
		holders_set(c->slot, HELPER, -1);
	if ((pid = fork()) == 0) {
		char fd[16];

		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGUSR1, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* which descriptor is the connection, as a CGI script would want */
		if (!opt.cloexec) {
			snprintf(fd, sizeof fd, "%d", c->fd);
			setenv("CLOSELAB_FD", fd, 1);
			fd_cloexec(c->fd, 0);
		}
		execl("/bin/sh", "sh", "-c", opt.spawn, (char *)NULL);
		_exit(127);
	}
	if (pid == -1) {
		holders_set(c->slot, HELPER, 0);
		sigprocmask(SIG_SETMASK, &old, NULL);
		logev(c->id, EV_SPAWN, "err=%s", errname(errno));
		return;
	}
	helper = pid;
	if (!opt.cloexec)
		holders_set(c->slot, HELPER, pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	logsent(st, c->id, EV_SPAWN, "helper=%ld inherits=%s holders=%d", (long)pid,
	    opt.cloexec ? "no" : "yes", holders_count(c->slot));
}

void
helper_reap(struct conn *c, int wait)
{
	int status;
	pid_t r;

	if (helper == -1)
		return;
	if (wait)
		log_flush();
	while ((r = waitpid(helper, &status, wait ? 0 : WNOHANG)) == -1 && errno == EINTR)
		;
	if (r != helper)
		return;
	log_exit(c->id, "helper", helper, status);
	conn_holder_exited(helper);
	helper = -1;
}

void
worker_recount(struct conn *c)
{
	pid_t parent = holders_pid(c->slot, PARENT);

	helper_reap(c, 0);
	/* a parent that died (the kernel closed its copy) has left us to init */
	if (parent > 0 && getppid() != parent)
		conn_holder_exited(parent);
}
