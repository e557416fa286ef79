/*
 * cgroup.c: the container or service a process belongs to, from the path
 * of its cgroup, as the runtimes name them: Docker (/docker/ID, or
 * docker-ID.scope under systemd), containerd under Kubernetes
 * (cri-containerd-ID.scope, or a bare ID under a pod), CRI-O (crio-ID.scope),
 * Podman (libpod-ID.scope), a pod (podUID, or kubepods-...-podUID.slice
 * with '_' for '-'), and systemd's units (NAME.service, NAME.scope).
 */
#ifdef __linux__
#define _GNU_SOURCE		/* open_by_handle_at() */
#include <fcntl.h>
#include <unistd.h>
#endif
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

/* Whether s holds n hex digits, and then end (or '\0' if end is NULL). */
static int
hex_id(const char *s, size_t n, const char *end)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return end ? strncmp(s + n, end, strlen(end)) == 0 && s[n + strlen(end)] == '\0' :
	    s[n] == '\0';
}

/*
 * Whether s is a UUID (8-4-4-4-12 lowercase hex digits, '-' or '_' between),
 * then its end or ".slice".
 */
static int
uuid(const char *s)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-' && s[i] != '_')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[36] == '\0' || strcmp(s + 36, ".slice") == 0;
}

/* One component of the path, name (NUL-ended), read into o. */
static void
component(const char *name, struct owner *o)
{
	static const struct {
		const char *prefix, *runtime;
	} scopes[] = {
		{ "docker-", "docker" },
		{ "cri-containerd-", "containerd" },
		{ "crio-", "cri-o" },
		{ "libpod-", "podman" },
	};
	const char *uid;
	size_t i, n = strlen(name);

	/* the outermost container is the runtime's: what it nests cannot rename it */
	if (o->container[0])
		return;
	for (i = 0; i < sizeof scopes / sizeof scopes[0]; i++) {
		size_t p = strlen(scopes[i].prefix);
		if (strncmp(name, scopes[i].prefix, p) == 0 && hex_id(name + p, 64, ".scope")) {
			snprintf(o->runtime, sizeof o->runtime, "%s", scopes[i].runtime);
			snprintf(o->container, sizeof o->container, "%.12s", name + p);
			o->unit[0] = '\0';
			return;
		}
	}
	/* a bare id: Docker's /docker/ID, or a container under a pod */
	if (hex_id(name, 64, NULL)) {
		if (!o->runtime[0])
			snprintf(o->runtime, sizeof o->runtime, "%s", o->pod[0] ? "containerd" :
			    "docker");
		snprintf(o->container, sizeof o->container, "%.12s", name);
		return;
	}
	/* a pod: podUID, or kubepods-besteffort-podUID.slice ('_' for '-') */
	uid = strncmp(name, "pod", 3) == 0 ? name : strstr(name, "-pod");
	if (uid && *uid == '-')
		uid++;
	if (uid && !o->pod[0] && uuid(uid + 3)) {
		snprintf(o->pod, sizeof o->pod, "%.36s", uid + 3);
		for (i = 0; o->pod[i]; i++)
			if (o->pod[i] == '_')
				o->pod[i] = '-';
		return;
	}
	if ((n > 8 && strcmp(name + n - 8, ".service") == 0) ||
	    (n > 6 && strcmp(name + n - 6, ".scope") == 0))
		snprintf(o->unit, sizeof o->unit, "%.255s", name);
}

void
cgroup_owner(const char *path, struct owner *o)
{
	char name[1024];
	const char *p = path, *end;

	memset(o, 0, sizeof *o);
	snprintf(o->path, sizeof o->path, "%s", path);
	while (*p) {
		while (*p == '/')
			p++;
		end = p + strcspn(p, "/");
		if (end > p && (size_t)(end - p) < sizeof name) {
			memcpy(name, p, (size_t)(end - p));
			name[end - p] = '\0';
			component(name, o);
		}
		p = end;
	}
}

int
cgroup_of(pid_t pid, struct owner *o)
{
	char file[64], line[1100], best[1024] = "", *path;
	int rank = 0, r;
	FILE *f;

	snprintf(file, sizeof file, "/proc/%ld/cgroup", (long)pid);
	if ((f = fopen(file, "r")) == NULL)
		return -1;
	/* the unified hierarchy's path, else name=systemd's, else any but "/" */
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if ((path = strchr(line, ':')) == NULL || (path = strchr(path + 1, ':')) == NULL)
			continue;
		path++;
		if (strcmp(path, "/") == 0)
			continue;
		r = strncmp(line, "0::", 3) == 0 ? 3 : strstr(line, ":name=systemd:") ? 2 : 1;
		if (r > rank) {
			rank = r;
			snprintf(best, sizeof best, "%s", path);
		}
	}
	fclose(f);
	cgroup_owner(best[0] ? best : "/", o);
	/* NSpid: its pid in each PID namespace, ours first, its own last */
	snprintf(file, sizeof file, "/proc/%ld/status", (long)pid);
	if ((f = fopen(file, "r")) != NULL) {
		while (fgets(line, sizeof line, f))
			if (strncmp(line, "NSpid:", 6) == 0) {
				char *last = strrchr(line, '\t');
				if (last && last != strchr(line, '\t'))
					o->nspid = atol(last + 1);
				break;
			}
		fclose(f);
	}
	return 0;
}

const struct owner *
cgroup_cached(pid_t pid, unsigned long epoch)
{
	static struct { pid_t pid; unsigned long epoch; int ok; struct owner o; } *memo;
	static const size_t size = 1024;
	struct owner now;
	size_t i, start, free_at = size;

	if (memo == NULL && (memo = calloc(size, sizeof *memo)) == NULL)
		return NULL;
	start = i = (size_t)pid % size;
	do {
		if (memo[i].pid == pid && (memo[i].epoch == epoch || memo[i].ok))
			break;
		if (free_at == size && memo[i].epoch != epoch)
			free_at = i;
		i = (i + 1) % size;
	} while (i != start);
	if (memo[i].pid == pid && memo[i].epoch == epoch)
		return memo[i].ok ? &memo[i].o : NULL;
	/* read anew; a process gone since keeps what was read of it before */
	if (cgroup_of(pid, &now) == 0) {
		if (memo[i].pid != pid)
			i = free_at < size ? free_at : start;
		memo[i].o = now;
		memo[i].ok = 1;
	} else if (memo[i].pid != pid || !memo[i].ok) {
		i = free_at < size ? free_at : start;
		memo[i].ok = 0;
	}
	memo[i].pid = pid;
	memo[i].epoch = epoch;
	return memo[i].ok ? &memo[i].o : NULL;
}

#ifdef __linux__
/* The unified hierarchy's mount point (/proc/self/mountinfo) into buf: -1 if none. */
static int
unified_mount(char *buf, size_t len)
{
	char line[4096], point[1024];
	FILE *f;
	int found = -1;

	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof line, f))
		if (strstr(line, " - cgroup2 ") && sscanf(line, "%*s %*s %*s %*s %1023s", point) == 1)
			found = snprintf(buf, len, "%s", point) < (int)len ? 0 : -1;
	fclose(f);
	return found;
}

const struct owner *
cgroup_by_id(unsigned long long id)
{
	static struct { unsigned long long id; int ok; struct owner o; } memo[64];
	static unsigned next;
	static char point[1024];
	static int mnt = -2;
	union { struct file_handle fh; char room[sizeof(struct file_handle) + sizeof id]; } h;
	char link[64], path[4096], *rel;
	size_t i;
	ssize_t n;
	int fd;

	if (mnt == -2)
		mnt = unified_mount(point, sizeof point) == -1 ? -1 :
		    open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (id == 0 || mnt == -1) {
		errno = ENOSYS;
		return NULL;
	}
	errno = ENOENT;
	for (i = 0; i < sizeof memo / sizeof *memo; i++)
		if (memo[i].id == id)
			return memo[i].ok ? &memo[i].o : NULL;
	i = next++ % (sizeof memo / sizeof *memo);
	memo[i].id = id;
	memo[i].ok = 0;
	/* a cgroup's id is its kernfs file handle (FILEID_KERNFS) */
	h.fh.handle_bytes = sizeof id;
	h.fh.handle_type = 0xfe;
	memcpy(h.fh.f_handle, &id, sizeof id);
	if ((fd = open_by_handle_at(mnt, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ESTALE || errno == ENOENT) {	/* the cgroup is gone */
			errno = ENOENT;
			return NULL;
		}
		/*
		 * not allowed (no CAP_DAC_READ_SEARCH, a seccomp filter), not
		 * built in, or out of descriptors: no answer, so none is kept,
		 * and the caller asks /proc
		 */
		if (errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP)
			close(mnt), mnt = -1;
		memo[i].id = 0;
		errno = ENOSYS;
		return NULL;
	}
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	close(fd);
	/* a path cut short could end in what looks like a container's name */
	if (n <= 0 || (size_t)n >= sizeof path - 1) {
		errno = ENOENT;
		return NULL;
	}
	path[n] = '\0';
	rel = strncmp(path, point, strlen(point)) == 0 ? path + strlen(point) : path;
	cgroup_owner(*rel ? rel : "/", &memo[i].o);
	memo[i].ok = 1;
	return &memo[i].o;
}
#else
const struct owner *
cgroup_by_id(unsigned long long id)
{
	(void)id;
	errno = ENOSYS;
	return NULL;
}
#endif

void
cgroup_words(const struct owner *o, char *buf, size_t len)
{
	if (o->container[0] && o->pod[0])
		snprintf(buf, len, "%s %s, pod %s", o->runtime, o->container, o->pod);
	else if (o->container[0])
		snprintf(buf, len, "%s %s", o->runtime, o->container);
	else if (o->pod[0])
		snprintf(buf, len, "pod %s", o->pod);
	else if (o->unit[0])
		snprintf(buf, len, "unit %s", o->unit);
	else
		snprintf(buf, len, "cgroup %s", o->path);
}
