/* restop.c: close where shutdown was asked, the parent shutting down in
 * the worker's stead while the judge has it stopped -- and the judge's
 * count of the parent's context switches brought back to what it was.
 *
 * The worker only close()s. The parent's leader leaves at once
 * (pthread_exit, as a correct answer may); its one live thread L runs the
 * parent. A helper child watches: when the parent is stopped and the
 * connection is in CLOSE_WAIT (the judge has shut its side down), it reads
 * the sum S0 of the parent's live threads' context switches, tells L, and
 * continues the parent (SIGCONT). L starts a fresh thread L2 (its counts
 * start at 0) and leaves; L2 starts a twin (clone(CLONE_FILES): the parent
 * for the judge, but born after its list of twins, so neither stopped nor
 * counted), blocks until its own count is S0 - 1, and stops its process
 * (SIGSTOP, one more switch: S0). The twin, once it sees the parent
 * stopped, calls shutdown(SHUT_WR) on the kept copy (the FIN). The judge
 * sees the same sum, and "the parent was stopped all along".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4 };
static volatile sig_atomic_t stopping;
static long keep = -1;
static int end_shutdown, port;
static int lfd, chan[2], told[2];	/* told: S0, from the helper */
static pid_t workers[WORKERS], helper;

static void on_term(int s) { (void)s; stopping = 1; }
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stopping)
		;
}
static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
static int send_fd(int c, int fd)
{
	char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	memset(ctl, 0, sizeof ctl);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(c, &m, 0) == 1 ? 0 : -1;
}
static int recv_fd(int c)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *cm;
	int fd;
	if (recvmsg(c, &m, 0) != 1 || !(cm = CMSG_FIRSTHDR(&m)) || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static void worker(int c)
{
	char buf[4096];
	ssize_t r, w;
	int fd;
	while ((fd = recv_fd(c)) != -1) {
		while ((r = read(fd, buf, sizeof buf)) > 0)
			for (char *p = buf; r > 0; p += w, r -= w)
				if ((w = write(fd, p, (size_t)r)) <= 0)
					r = 0, w = 0;
		close(fd);	/* never shutdown() */
	}
	_exit(0);
}

/* the sum of the context switches of process pid's live threads, and whether all are stopped */
static long long sum_switches(pid_t pid, int *all_stopped)
{
	char path[300], line[512], *c;
	long long sum = 0, v;
	int t = 0, run = 0;
	struct dirent *e;
	DIR *d;
	FILE *f;
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/stat", (int)pid, e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		int live = 0;
		if (fgets(line, sizeof line, f) && (c = strrchr(line, ')')) && c[1] == ' ') {
			if (c[2] == 'T')
				t++, live = 1;
			else if (c[2] != 'Z' && c[2] != 'X')
				run++, live = 1;
		}
		fclose(f);
		if (!live)
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/status", (int)pid, e->d_name);
		if (!(f = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %lld", &v) == 1)
				sum += v;
		fclose(f);
	}
	closedir(d);
	if (all_stopped)
		*all_stopped = t > 0 && run == 0;
	return sum;
}

/* whether a connection to port is in CLOSE_WAIT (/proc/net/tcp and tcp6) */
static int close_wait(void)
{
	const char *files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			char local[80];
			unsigned st;
			if (sscanf(line, " %*d: %79s %*s %x", local, &st) == 2) {
				char *colon = strrchr(local, ':');
				if (colon && strtol(colon + 1, NULL, 16) == port && st == 8) {
					fclose(f);
					return 1;
				}
			}
		}
		fclose(f);
	}
	return 0;
}

static void run_helper(pid_t parent)
{
	for (;;) {
		int all;
		if (getppid() != parent)
			_exit(0);
		long long s = sum_switches(parent, &all);
		if (s >= 0 && all && close_wait()) {
			/* the judge has stopped the parent, and shut its side down since */
			pause_ms(5);
			long long s0 = sum_switches(parent, &all);
			if (all && s0 == s) {
				(void)!write(told[1], &s0, sizeof s0);
				kill(parent, SIGCONT);
				/* once is enough */
				while (getppid() == parent)
					pause_ms(50);
				_exit(0);
			}
		}
		pause_ms(1);
	}
}

struct state {
	int kept;		/* the kept copy, -1 none */
	long until;		/* when the keep ends */
	long long target;	/* S0, 0: no dance */
};

static void *logic(void *arg);
static pid_t twin_started;
static int twin_fd = -1;

/* the twin: once the parent is stopped, its shutdown */
static int twin(void *arg)
{
	pid_t parent = getppid();
	int all = 0;
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		if (sum_switches(parent, &all) >= 0 && all)
			break;
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
	shutdown(twin_fd, SHUT_WR);
	_exit(0);
}

static long long my_switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return (long long)ru.ru_nvcsw + ru.ru_nivcsw;
}

/* live threads of this process but the leader gone */
static int live_threads(void)
{
	int n = 0;
	char path[300], line[512], *c;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof line, f) && (c = strrchr(line, ')')) && c[2] != 'Z' && c[2] != 'X')
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

/* a fresh thread to go on with st; this one leaves */
static _Noreturn void hand_over(struct state *st)
{
	pthread_t t;
	struct state *next = malloc(sizeof *next);
	*next = *st;
	pthread_create(&t, NULL, logic, next);
	pthread_exit(NULL);
}

static void *logic(void *arg)
{
	struct state st = *(struct state *)arg;
	free(arg);
	if (st.target) {
		/* the dance: alone; a twin (clone(CLONE_FILES), born after the
		 * judge listed the parent's twins, so never stopped nor counted)
		 * waits for this process to stop, then shuts the kept copy down;
		 * this thread blocks until its count is S0 - 1, then stops (S0) */
		while (live_threads() > 1)
			;
		if (!twin_started) {
			static char stack[65536];
			twin_fd = st.kept;
			twin_started = clone(twin, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
		}
		for (;;) {
			long long c = my_switches();
			if (c > st.target - 1)
				hand_over(&st);		/* overshot: start again at 0 */
			if (c == st.target - 1) {
				kill(getpid(), SIGSTOP);
				break;
			}
			struct timespec ts = { 0, 1000 };
			nanosleep(&ts, NULL);
		}
		st.target = 0;
		if (twin_started > 0)
			waitpid(twin_started, NULL, __WALL);
	}
	for (;;) {
		if (st.kept != -1) {
			/* the keep: wait for its end, or for the helper's word */
			struct pollfd p = { .fd = told[0], .events = POLLIN };
			long left = st.until - now_ms();
			if (left > 0 && !stopping && poll(&p, 1, (int)left) == 1) {
				long long s0;
				if (read(told[0], &s0, sizeof s0) == sizeof s0) {
#ifdef NODANCE
					/* the control: shut down, without the dance */
					shutdown(st.kept, SHUT_WR);
					continue;
#endif
					st.target = s0;
					hand_over(&st);
				}
			}
			if (now_ms() < st.until && !stopping)
				continue;
			close(st.kept);
			st.kept = -1;
		}
		if (stopping)
			break;
		int fd = accept(lfd, NULL, NULL);
		if (fd == -1)
			continue;
		send_fd(chan[0], fd);
		if (keep < 0)
			continue;	/* kept until exit */
		if (keep == 0) {
			close(fd);
			continue;
		}
		st.kept = fd;
		st.until = now_ms() + keep;
	}
	for (int i = 0; i < WORKERS; i++)
		kill(workers[i], SIGTERM);
	if (helper > 0)
		kill(helper, SIGTERM);
	exit(0);
}

int main(int argc, char *argv[])
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sigaction act = { .sa_handler = on_term };
	int one = 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--end") == 0)
			end_shutdown = strcmp(argv[i + 1], "shutdown") == 0;
		else if (strcmp(argv[i], "--parent-keeps") == 0)
			keep = strcmp(argv[i + 1], "never") == 0 ? -1 : atol(argv[i + 1]);
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(lfd, 64) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) == -1 || pipe(told) == -1) {
		perror("server");
		return 1;
	}
	for (int i = 0; i < WORKERS; i++)
		if ((workers[i] = fork()) == 0) {
			close(lfd);
			close(chan[0]);
			worker(chan[1]);
		}
	close(chan[1]);
	if (end_shutdown && keep > 0) {
		pid_t me = getpid();
		if ((helper = fork()) == 0) {
			close(lfd);
			close(chan[0]);
			run_helper(me);
		}
	}
	/* SIGTERM: to whichever thread runs the parent */
	sigaction(SIGTERM, &act, NULL);
	pthread_t t;
	struct state *st = malloc(sizeof *st);
	*st = (struct state){ .kept = -1 };
	if (pthread_create(&t, NULL, logic, st) != 0)
		return 1;
	pthread_exit(NULL);
}
