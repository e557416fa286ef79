/*
 * procfd.c: procfd_scan() finds the descriptors of a socket by its inode:
 * this process's, each with its close-on-exec flag, and a forked child's,
 * with the process behind each; a child that has exited holds nothing. A
 * flag read after its descriptor was replaced is not known. Linux.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/procfd.h"
#include "unit.h"

#ifdef __linux__

/*
 * Whether the n holders h of inode are in order, by pid then descriptor,
 * and among them pid's descriptor fd, close-on-exec as cloexec says.
 */
static int
has(const struct procfd *t, const struct procfd_holder *h, size_t n, unsigned long inode,
    pid_t pid, int fd, int cloexec)
{
	size_t i;
	int found = 0;

	for (i = 0; i < n; i++) {
		if (h[i].inode != inode || (i > 0 && (h[i - 1].pid > h[i].pid ||
		    (h[i - 1].pid == h[i].pid && h[i - 1].fd >= h[i].fd))))
			return 0;
		found |= h[i].pid == pid && h[i].fd == fd && procfd_cloexec(t, &h[i]) == cloexec &&
		    h[i].proc != NULL && h[i].proc->pid == pid;
	}
	return found;
}

/* Whether /proc/self/fdinfo gives a descriptor's inode (Linux 5.14 and later). */
static int
kernel_has_ino(void)
{
	char buf[512];
	ssize_t n;
	int fd;

	CHECK_SYS((fd = open("/proc/self/fdinfo/0", O_RDONLY)) != -1, "open /proc/self/fdinfo/0");
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "\nino:") != NULL;
}

/* A child that holds what this process holds until told to go (EOF on go); says so on ready. */
static pid_t
holder(int go[2])
{
	int ready[2];
	pid_t pid;
	char x;

	CHECK_SYS(pipe(ready) == 0 && pipe(go) == 0, "pipe");
	fflush(stdout);
	CHECK_SYS((pid = fork()) != -1, "fork");
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		_exit(read(go[0], &x, 1) == 0 ? 0 : 1);
	}
	close(ready[1]);
	close(go[0]);
	CHECK(read(ready[0], &x, 1) == 1, "the child that holds the socket started");
	close(ready[0]);
	return pid;
}

int
main(int argc, char **argv)
{
	const struct procfd_holder *h;
	struct procfd *t;
	unsigned long inode, others[3];
	const char *name;
	int a, b, other, go[2], status;
	struct stat st, prog, self;
	siginfo_t si;
	size_t n, i;
	pid_t child;

	(void)argc;
	CHECK_SYS((a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1, "socket");
	CHECK_SYS((b = fcntl(a, F_DUPFD, 0)) != -1, "fcntl F_DUPFD");	/* no FD_CLOEXEC */
	CHECK_SYS((other = socket(AF_INET, SOCK_STREAM, 0)) != -1, "socket");
	CHECK_SYS(fstat(a, &st) == 0, "fstat");
	inode = st.st_ino;
	CHECK_SYS(fstat(other, &st) == 0, "fstat");

	CHECK_SYS((t = procfd_scan(&inode, 1)) != NULL, "procfd_scan() of one socket");
	h = procfd_holders(t, inode, &n);
	CHECK(n == 2 && h != NULL, "a socket with two descriptors in this process has two holders");
	CHECK(has(t, h, n, inode, getpid(), a, 1) && has(t, h, n, inode, getpid(), b, 0),
	    "the holders are this process's descriptors in order, close-on-exec as each is");
	name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	CHECK(h[0].proc->ppid == getppid() && strncmp(h[0].proc->comm, name, 15) == 0 &&
	    strlen(h[0].proc->comm) == (strlen(name) < 15 ? strlen(name) : 15),
	    "the holder's process has this process's parent and command name");
	CHECK(h[0].proc->exe && stat(h[0].proc->exe, &prog) == 0 && stat(argv[0], &self) == 0 &&
	    prog.st_dev == self.st_dev && prog.st_ino == self.st_ino,
	    "the holder's process has this program for its exe");
	CHECK(procfd_proc(t, getpid()) == h[0].proc, "procfd_proc() finds this process");
	CHECK(procfd_holders(t, (unsigned long)st.st_ino, &n) == NULL && n == 0,
	    "a socket the scan was not asked for has no holders in it");
	procfd_free(t);

	/* the flag is read when asked for: by then b may be another socket */
	CHECK_SYS((t = procfd_scan(&inode, 1)) != NULL, "procfd_scan() of one socket");
	h = procfd_holders(t, inode, &n);
	CHECK(n == 2, "a socket with two descriptors in this process has two holders");
	i = h[0].fd == b ? 0 : 1;
	CHECK_SYS(dup2(other, b) == b, "dup2");
	CHECK(procfd_cloexec(t, &h[i]) == (kernel_has_ino() ? -1 : 0),
	    "a descriptor replaced before its flag was read has a flag not known (Linux 5.14 on)");
	CHECK(procfd_cloexec(t, &h[1 - i]) == 1, "the other descriptor's flag is read as it is");
	procfd_free(t);
	CHECK_SYS(close(b) == 0 && (b = fcntl(a, F_DUPFD, 0)) != -1, "fcntl F_DUPFD");

	/* a child holds both descriptors too; asked for among others, in any order */
	child = holder(go);
	others[0] = others[2] = (unsigned long)st.st_ino, others[1] = inode;
	CHECK_SYS((t = procfd_scan(others, 3)) != NULL, "procfd_scan() of two sockets");
	h = procfd_holders(t, inode, &n);
	CHECK(n == 4, "a socket held by this process and a child, twice each, has four holders");
	CHECK(has(t, h, n, inode, getpid(), a, 1) && has(t, h, n, inode, getpid(), b, 0) &&
	    has(t, h, n, inode, child, a, 1) && has(t, h, n, inode, child, b, 0),
	    "the holders are by pid then descriptor, the child's inherited flags as they were");
	CHECK(procfd_proc(t, child) && procfd_proc(t, child)->ppid == getpid(),
	    "the child's process has this one for its parent");
	h = procfd_holders(t, (unsigned long)st.st_ino, &n);
	CHECK(n == 2 && has(t, h, n, (unsigned long)st.st_ino, getpid(), other, 0) &&
	    has(t, h, n, (unsigned long)st.st_ino, child, other, 0),
	    "another socket asked for has its own holders, this process and the child");
	procfd_free(t);

	/* the child lets go: exited, not yet reaped, it holds nothing */
	close(go[1]);
	CHECK_SYS(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT) == 0, "waitid");
	CHECK_SYS((t = procfd_scan(NULL, 0)) != NULL, "procfd_scan() of every socket");
	h = procfd_holders(t, inode, &n);
	CHECK(n == 2 && h[0].pid == getpid() && h[1].pid == getpid(),
	    "a child that has exited holds nothing, reaped or not; this process still does");
	procfd_free(t);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the child that held the socket ended well");
	return 0;
}

#else

int
main(void)
{
	SKIP("procfd_scan() reads /proc on Linux only");
}

#endif
