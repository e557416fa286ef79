/*
 * cgroup_id.c: cgroup_by_id() finds a cgroup (v2) by the id a probe sees,
 * its inode: the path of one that exists; ENOENT for one that is gone;
 * ENOSYS where it may not look (no CAP_DAC_READ_SEARCH), so that the
 * tracer asks /proc instead of taking the cgroup for gone.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../common/cgroup.h"
#include "unit.h"

/* The unified hierarchy's mount point and this process's cgroup in it, joined, into buf; -1 if none. */
static int
own_cgroup(char *buf, size_t len)
{
	char line[4096], point[1024] = "", path[2048] = "";
	FILE *f;

	if ((f = fopen("/proc/self/mountinfo", "r"))) {
		while (!point[0] && fgets(line, sizeof line, f))
			if (strstr(line, " - cgroup2 "))
				sscanf(line, "%*s %*s %*s %*s %1023s", point);
		fclose(f);
	}
	if ((f = fopen("/proc/self/cgroup", "r"))) {
		while (!path[0] && fgets(line, sizeof line, f))
			if (strncmp(line, "0::", 3) == 0)
				sscanf(line + 3, "%2047s", path);
		fclose(f);
	}
	if (!point[0] || !path[0])
		return -1;
	return snprintf(buf, len, "%s%s", point, strcmp(path, "/") == 0 ? "" : path) < (int)len ? 0 : -1;
}

int
main(void)
{
	char own[4096], made[4200], gone[4200];
	struct stat st;
	const struct owner *o;
	unsigned long long id, gone_id, own_id;
	int status;
	pid_t pid;

#ifndef __linux__
	SKIP("cgroups are Linux's");
#endif
	if (geteuid() != 0)
		SKIP("making a cgroup needs root");
	if (own_cgroup(own, sizeof own) == -1 || stat(own, &st) == -1)
		SKIP("no cgroup v2 hierarchy here");
	own_id = (unsigned long long)st.st_ino;
	snprintf(made, sizeof made, "%s/closelab-unit-%ld", own, (long)getpid());
	snprintf(gone, sizeof gone, "%s/closelab-unit-%ld-gone", own, (long)getpid());
	if (mkdir(made, 0755) == -1 || mkdir(gone, 0755) == -1) {
		rmdir(made);
		SKIP("cannot make a cgroup beneath this process's own");
	}
	stat(made, &st);
	id = (unsigned long long)st.st_ino;
	stat(gone, &st);
	gone_id = (unsigned long long)st.st_ino;
	rmdir(gone);

	o = cgroup_by_id(id);
	rmdir(made);
	CHECK(o && strlen(o->path) < strlen(made) &&
	    strcmp(o->path, made + strlen(made) - strlen(o->path)) == 0,
	    "the id of a cgroup that exists gives its path");
	errno = 0;
	CHECK(!cgroup_by_id(gone_id) && errno == ENOENT, "the id of a cgroup that is gone gives ENOENT");
	errno = 0;
	CHECK(!cgroup_by_id(0) && errno == ENOSYS, "id 0 gives ENOSYS");

	/* without root's capabilities, a cgroup not yet looked up */
	CHECK_SYS((pid = fork()) != -1, "fork");
	if (pid == 0) {
		if (setuid(65534) == -1)
			_exit(2);
		errno = 0;
		_exit(!cgroup_by_id(own_id) && errno == ENOSYS ? 0 : 1);
	}
	CHECK_SYS(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 2, "the child could not drop root");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a process that may not look a cgroup up by its id gets ENOSYS, not ENOENT: it asks /proc instead");
	return 0;
}
