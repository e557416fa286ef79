/*
 * holders_lock.c: the holders table's lock, tried across processes. It
 * never takes a lock from a live owner, even a stopped one, and takes it
 * over from an owner that died inside it: a killed child (not yet reaped)
 * or a killed parent. A close counts only the holders that still live,
 * and names those found exited. Each check prints "NAME: yes" or "NAME: no".
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../server/server.h"

/* Longer than the second after which the old lock gave up and went in. */
enum { LONGER_THAN_A_GIVE_UP_MS = 1500, DEADLINE_MS = 10000 };

static int msgs[2];

static void
say(char c)
{
	if (write(msgs[1], &c, 1) != 1)
		_exit(1);
}

/* The next message within ms, or 0. */
static char
heard(int ms)
{
	struct pollfd p = { msgs[0], POLLIN, 0 };
	char c = 0;

	if (poll(&p, 1, ms) == 1 && read(msgs[0], &c, 1) != 1)
		c = 0;
	return c;
}

static void
check(const char *name, int ok)
{
	printf("%s: %s\n", name, ok ? "yes" : "no");
}

/* A child that takes slot's lock, says c, then does what then says. */
static pid_t
locker(int slot, char c, void (*then)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		holders_forked();
		holders_lock(slot);
		say(c);
		then();
		holders_unlock(slot);
		say((char)(c + 1));
		_exit(0);
	}
	return pid;
}

static void
do_nothing(void)
{
}

static void
stop_self(void)
{
	raise(SIGSTOP);
}

static void
wait_forever(void)
{
	pause();
}

/* The child of a child, waiting for the lock its parent holds. */
static void
fork_a_waiter(void)
{
	if (fork() == 0) {
		holders_forked();
		say('w');
		holders_lock(2);
		say('W');
		_exit(0);
	}
	pause();
}

static void
look_nowhere(int fd, struct tally *tl)
{
	(void)fd;
	tl->unread = 0;
	tl->linger = -1;
	tl->state = NULL;
}

/* A helper that has exited, not yet reaped, when its worker closes: named, not counted. */
static int
close_after_exit(void)
{
	struct tally tl = { .look = look_nowhere };
	int slot = holders_new(), fd[2];
	siginfo_t si;
	pid_t e;

	if (slot == -1 || pipe(fd) == -1 || (e = fork()) == -1)
		return 0;
	if (e == 0)
		_exit(0);
	if (waitid(P_PID, (id_t)e, &si, WEXITED | WNOWAIT) == -1)
		return 0;
	holders_set(slot, HELPER, e);
	close(fd[1]);
	holders_close(slot, PARENT, fd[0], &tl);
	waitpid(e, NULL, 0);
	return tl.nexited == 1 && tl.exited[0] == e && tl.gone_before == 2 && tl.before == 1 &&
	    tl.after == 0 && tl.gone_t <= tl.t;
}

int
main(void)
{
	pid_t a, b, c, d;
	int status;

	if (pipe(msgs) == -1 || holders_init(4) == -1) {
		perror("holders_lock");
		return 1;
	}
	/* a live owner, stopped inside the lock, keeps it as long as it lives */
	a = locker(0, 'a', stop_self);
	if (heard(DEADLINE_MS) != 'a' || waitpid(a, &status, WUNTRACED) != a)
		return 1;
	b = locker(0, 'x', do_nothing);
	check("a stopped owner keeps its lock", heard(LONGER_THAN_A_GIVE_UP_MS) == 0);
	kill(a, SIGCONT);
	check("the owner lets go, then the waiter goes in",
	    heard(DEADLINE_MS) == 'b' && heard(DEADLINE_MS) == 'x' && heard(DEADLINE_MS) == 'y');
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);

	/* a child killed inside the lock, not reaped yet: the parent goes in */
	c = locker(1, 'C', wait_forever);
	if (heard(DEADLINE_MS) != 'C')
		return 1;
	kill(c, SIGKILL);
	holders_lock(1);
	check("the lock of a killed child is taken over", 1);
	holders_unlock(1);
	waitpid(c, NULL, 0);

	/* a parent killed inside the lock: its child goes in */
	d = locker(2, 'D', fork_a_waiter);
	if (heard(DEADLINE_MS) != 'D' || heard(DEADLINE_MS) != 'w')
		return 1;
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	check("the lock of a killed parent is taken over", heard(DEADLINE_MS) == 'W');
	check("a holder that exited before a close is named, and not counted", close_after_exit());
	return 0;
}
