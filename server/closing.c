/*
 * closing.c: one process closes its copy of a connection, or exits holding
 * it, and says so: the holders before and after (holders.c counts them with
 * the close itself), what a last close sends, and, with --kernel-holders,
 * the processes that the kernel lists as holding the socket.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../common/kernel.h"
#include "../common/log.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

static const char kernel_key[] = " kernel=";
enum { KERNEL_KEY_LEN = sizeof kernel_key - 1 };

/* " kernel=PIDS", the processes the kernel lists as holding fd's socket, or "". */
static const char *
kernel_list(unsigned long sock, char *buf, size_t len)
{
	buf[0] = '\0';
	if (sock && len > KERNEL_KEY_LEN &&
	    kernel_holders(sock, buf + KERNEL_KEY_LEN, len - KERNEL_KEY_LEN) == 0)
		memcpy(buf, kernel_key, KERNEL_KEY_LEN);
	return buf;
}

/*
 * Under the slot's lock, just before the close: what a last close of fd
 * would send. Bytes received but not read (Linux, as RFC 1122 4.2.2.13
 * says it SHOULD, sends RST then) and SO_LINGER {1, 0} (RST too); or a FIN
 * behind the bytes not yet acknowledged, which SO_LINGER {1, S} waits for;
 * and the state.
 * FIONREAD, unlike a peek, leaves a pending error (a reset) for the
 * processes that hold the socket to see. The last closer sees what the
 * others did to the socket.
 */
static void
look(int fd, struct tally *tl)
{
	struct linger l;
	socklen_t len = sizeof l;

	if (ioctl(fd, FIONREAD, &tl->unread) == -1)
		tl->unread = 0;
	tl->linger = getsockopt(fd, SOL_SOCKET, SOCK_LINGER_SECONDS, &l, &len) == 0 && l.l_onoff ?
	    l.l_linger : -1;
	tl->unacked = kernel_unacked(fd);
	tl->state = kernel_tcp_state(fd);
	/* the kernel's holders, under the lock too: no other holder's close
	 * can come between them and this one */
	tl->kernel[0] = '\0';
	if (log_on() && opt.kernel_holders)
		kernel_list(tl->sock = kernel_sock_id(fd), tl->kernel, sizeof tl->kernel / 2);
}

/* Just after the close, under the lock: the kernel's holders then, after "->". */
static void
looked(struct tally *tl)
{
	char after[sizeof tl->kernel / 2];
	size_t n;

	/* first, while it is still so: a call of another thread's that held it through the close */
	tl->calls = guard_closed(tl->conn, tl->returned);
	n = strlen(tl->kernel);

	if (n && kernel_list(tl->sock, after, sizeof after)[0])
		snprintf(tl->kernel + n, sizeof tl->kernel - n, "->%s", after + KERNEL_KEY_LEN);
	else
		tl->kernel[0] = '\0';
}

const char *
conn_kernel_holders(int fd, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!log_on() || !opt.kernel_holders)
		return buf;
	return kernel_list(kernel_sock_id(fd), buf, len);
}

/*
 * SO_LINGER as the close line gives it: "off", "0", or "S waited=MS", how
 * long a close with a linger of S seconds took (only the last close waits).
 */
static const char *
linger_field(const struct tally *tl, char *buf, size_t len)
{
	if (tl->linger < 0)
		return "off";
	if (tl->linger == 0)
		return "0";
	snprintf(buf, len, "%d waited=%.3f", tl->linger, (double)(tl->returned - tl->t) / 1e6);
	return buf;
}

/* The line of a holder whose exit closed its copy, seen at t. */
static void
log_gone(int64_t t, const char *id, pid_t pid, int before, int after)
{
	logat(t, id, EV_CLOSE, "by=exit exited=%ld holders=%d->%d", (long)pid, before, after);
}

int
conn_close(int slot, int who, int fd, const char *id, const char *keep, const struct conn *c)
{
	struct tally tl = { .look = look, .looked = looked, .conn = c };
	char linger[48], unacked[32], incall[24];
	int r, i;

	if (opt.log == NULL) {
		/* nobody reads the counts: the close needs no lock to count with
		 * (opt, not log_on(): every process must take the same way) */
		r = close(fd);
		holders_set(slot, who, 0);
		return r;
	}
	r = holders_close(slot, who, fd, &tl);
	if (!log_on())
		return r;
	for (i = 0; i < tl.nexited; i++)
		log_gone(tl.gone_t, id, tl.exited[i], tl.gone_before - i, tl.gone_before - i - 1);
	if (r == -1) {
		logat(tl.t, id, EV_CLOSE, "fd=%d err=%s%s%s", fd, errname(tl.err),
		    keep ? " keep=" : "", keep ? keep : "");
		return r;
	}
	/* bytes still to deliver: a FIN waits behind them */
	unacked[0] = '\0';
	if (tl.unacked > 0)
		snprintf(unacked, sizeof unacked, " unacked=%ld", tl.unacked);
	/* a call in another thread holds the socket as a descriptor does */
	incall[0] = '\0';
	if (tl.calls > 0)
		snprintf(incall, sizeof incall, " calls=%d", tl.calls);
	logat(tl.t, id, EV_CLOSE, "fd=%d holders=%d->%d unread=%d%s linger=%s%s%s%s%s%s%s", fd,
	    tl.before, tl.after, tl.unread, unacked, linger_field(&tl, linger, sizeof linger),
	    tl.kernel, incall,
	    tl.state ? " state=" : "", tl.state ? tl.state : "", keep ? " keep=" : "",
	    keep ? keep : "");
	return r;
}

void
conn_holder_exited(pid_t pid)
{
	char id[CONNID_LEN];
	struct tally tl;
	int i;

	for (i = 0; i < holders_slots(); i++) {
		/* a quick look first: only the slots it may hold are worth the lock */
		if (holders_pid(i, PARENT) != pid && holders_pid(i, CHILD) != pid &&
		    holders_pid(i, HELPER) != pid)
			continue;
		/* the name first: once nobody holds the slot, it may be given out */
		snprintf(id, sizeof id, "%s", holders_id(i));
		if (holders_drop(i, pid, &tl) && tl.after != tl.before)
			log_gone(tl.t, id, pid, tl.before, tl.after);
	}
}

void
log_exit(const char *conn, const char *what, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		logev(conn, EV_EXIT, "%s=%ld signal=%d", what, (long)pid, WTERMSIG(status));
	else
		logev(conn, EV_EXIT, "%s=%ld status=%d", what, (long)pid, WEXITSTATUS(status));
}
