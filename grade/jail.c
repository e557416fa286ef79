/*
 * jail.c: the two steps by which bin/grade lets go of root (Linux only).
 *
 *   jail tester TESTER STUDENT ROOT PROG [ARG...]
 *	run PROG (the test runner) as uid 0 of a new user namespace in which
 *	only two uids exist: 0, which is the host's TESTER, and STUDENT,
 *	which is the host's STUDENT; chrooted in ROOT. Its power ends at those
 *	two uids: it can start, signal and inspect the student's processes,
 *	and on every other file and process of the host it is the plain,
 *	unprivileged TESTER. Stays as PROG's parent, reaps orphans (it is the
 *	init of the test file's PID namespace, whose /proc is at ROOT/proc),
 *	and exits with PROG's status.
 *
 *   jail student STUDENT PROG [ARG...]
 *	run PROG (a program under test) as STUDENT, with no supplementary
 *	group, no capability and no way to gain one, only descriptors 0, 1
 *	and 2, and an environment built from nothing: PATH, HOME=/work,
 *	TMPDIR=/tmp, LANG, and the tests' LD_PRELOAD and CLOSELAB_FAULT
 *	(tests/fault) where they set them. It is the first the kernel kills
 *	when the submission's memory runs out.
 *
 * Exit status: PROG's; 2 for a usage error. When the jail cannot be set
 * up, 125 (the reason on stderr), which tester turns PROG's own 125 into
 * 1 to keep unforgeable: 125 from it always means the jail failed.
 */
#ifdef __linux__
#define _GNU_SOURCE		/* unshare, setresuid, setgroups */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "../common/util.h"

#ifdef __linux__

enum { JAIL_FAILED = 125 };

static const char usage_text[] =
    "usage: jail tester TESTER STUDENT ROOT PROG [ARG...]\n"
    "       jail student STUDENT PROG [ARG...]\n";

static _Noreturn void
usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/* an unprivileged uid: neither root nor the overflow id */
static unsigned
uid_arg(const char *s)
{
	long v;

	if (parse_num(s, 1, 2147483646, &v) == -1 || v == 65534)
		die(EXIT_USAGE, "'%s' is not an unprivileged uid", s);
	return (unsigned)v;
}

/* Write text to path (a /proc file); -1 with errno on failure. */
static int
write_file(const char *path, const char *text)
{
	int fd, n;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = (int)strlen(text);
	if (write(fd, text, n) != n) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* Close every descriptor above 2 but keep (-1: none). */
static void
close_above_stderr(int keep)
{
	struct rlimit rl;
	int fd, max = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)max)
		max = (int)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

/* Become uid and gid id, with no group and no way back; -1 if not (said). */
static int
become(unsigned id)
{
	if (setgroups(0, NULL) == -1)
		warn("setgroups:");
	else if (setresgid(id, id, id) == -1)
		warn("setresgid %u:", id);
	else if (setresuid(id, id, id) == -1)
		warn("setresuid %u:", id);
	else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		warn("no_new_privs:");
	else
		return 0;
	return -1;
}

static _Noreturn void
run(char **argv)
{
	execvp(argv[0], argv);
	die(errno == ENOENT ? 127 : 126, "%s:", argv[0]);
}

static _Noreturn void
student(unsigned uid, char **argv)
{
	static const char *const passed[] = { "LD_PRELOAD=", "CLOSELAB_FAULT=" };
	static char *env[] = {
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin",
		"HOME=/work", "TMPDIR=/tmp", "LANG=C.UTF-8", NULL, NULL, NULL,
	};
	extern char **environ;
	size_t i, n = 4;

	for (char **e = environ; *e; e++)
		for (i = 0; i < sizeof passed / sizeof passed[0]; i++)
			if (strncmp(*e, passed[i], strlen(passed[i])) == 0 && n < 6)
				env[n++] = *e;

	close_above_stderr(-1);
	/* raising it needs no privilege, and the student cannot lower it */
	if (write_file("/proc/self/oom_score_adj", "1000") == -1)
		die(JAIL_FAILED, "oom_score_adj:");
	if (become(uid) == -1)
		exit(JAIL_FAILED);
	environ = env;
	run(argv);
}

static _Noreturn void
tester(unsigned tuid, unsigned suid, const char *root, char **argv)
{
	int ready[2], go[2], execd[2], status;
	char path[4096], map[64], c;
	pid_t pid, w, parent = getpid();

	if (geteuid() != 0)
		die(JAIL_FAILED, "needs root, to map the uids of the test runner");
	if (pipe2(ready, O_CLOEXEC) == -1 || pipe2(go, O_CLOEXEC) == -1 ||
	    pipe2(execd, O_CLOEXEC) == -1)
		die(JAIL_FAILED, "pipe:");
	if ((pid = fork()) == -1)
		die(JAIL_FAILED, "fork:");
	if (pid == 0) {
		/* a byte on execd: the jail failed; its end at exec: it held */
		if (unshare(CLONE_NEWUSER) == -1) {
			warn("unshare a user namespace:");
			goto failed;
		}
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			goto failed;
		/* as root still (the host's uid 0 owns the path), then as nobody */
		if (chroot(root) == -1 || chdir("/") == -1) {
			warn("chroot %s:", root);
			goto failed;
		}
		if (become(0) == -1)
			goto failed;
		/* with the jail's parent, which is the PID namespace's init */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 || getppid() != parent)
			goto failed;
		close_above_stderr(execd[1]);
		execvp(argv[0], argv);
		warn("%s:", argv[0]);
failed:
		if (write(execd[1], "f", 1) != 1)
			_exit(JAIL_FAILED);
		_exit(JAIL_FAILED);
	}
	close(ready[1]);
	close(go[0]);
	close(execd[1]);
	if (read(ready[0], &c, 1) != 1)
		die(JAIL_FAILED, "the test runner did not start");
	snprintf(map, sizeof map, "0 %u 1\n%u %u 1\n", tuid, suid, suid);
	/* ROOT/proc: the PID namespace's own (the sandbox mounted it there) */
	snprintf(path, sizeof path, "%s/proc/%ld/uid_map", root, (long)pid);
	if (write_file(path, map) == -1)
		die(JAIL_FAILED, "%s:", path);
	snprintf(path, sizeof path, "%s/proc/%ld/gid_map", root, (long)pid);
	if (write_file(path, map) == -1)
		die(JAIL_FAILED, "%s:", path);
	if (write(go[1], "g", 1) != 1)
		die(JAIL_FAILED, "the test runner did not wait:");
	if (read(execd[0], &c, 1) != 0)
		die(JAIL_FAILED, "the test runner could not be started");
	/* every process of the namespace that ends up here is reaped */
	for (;;) {
		if ((w = wait(&status)) == -1) {
			if (errno == EINTR)
				continue;
			die(JAIL_FAILED, "wait:");
		}
		if (w == pid)
			break;
	}
	if (WIFSIGNALED(status))
		exit(128 + WTERMSIG(status));
	exit(WEXITSTATUS(status) == JAIL_FAILED ? EXIT_RUNTIME : WEXITSTATUS(status));
}

int
main(int argc, char *argv[])
{
	argv0 = "jail";
	if (argc >= 6 && strcmp(argv[1], "tester") == 0)
		tester(uid_arg(argv[2]), uid_arg(argv[3]), argv[4], argv + 5);
	if (argc >= 4 && strcmp(argv[1], "student") == 0)
		student(uid_arg(argv[2]), argv + 3);
	usage();
}

#else

int
main(void)
{
	argv0 = "jail";
	die(EXIT_RUNTIME, "the grader's sandbox needs Linux: user namespaces");
}

#endif
