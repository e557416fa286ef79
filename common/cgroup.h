/* cgroup.h: the container or service a process belongs to, from its cgroup and PID namespace */
#ifndef CGROUP_H
#define CGROUP_H

#include <stddef.h>
#include <sys/types.h>

/* What a process's cgroup path says it is part of; each field "" if not. */
struct owner {
	char path[1024];		/* the cgroup path (the unified one, or name=systemd's) */
	char runtime[16];	/* docker, containerd, cri-o, podman */
	char container[16];	/* its id, the first 12 hex digits */
	char pod[40];		/* a Kubernetes pod's UID */
	char unit[256];		/* a systemd unit: ssh.service, session-1.scope */
	long nspid;		/* its pid in its own PID namespace, if that is not ours; 0 */
};

/* Take a cgroup path apart into o (o->path is set to path). */
void cgroup_owner(const char *path, struct owner *o);
/*
 * Read process pid's cgroup (/proc/PID/cgroup) into o, and its pid in its
 * own PID namespace (NSpid in /proc/PID/status); -1 with errno.
 */
int cgroup_of(pid_t pid, struct owner *o);
/*
 * cgroup_of(pid), read once an epoch (a report, a batch: a process holds
 * many sockets), kept for the next calls of that epoch; for a process that
 * has exited since, what was read of it before; NULL if never read. Valid
 * until the next call.
 */
const struct owner *cgroup_cached(pid_t pid, unsigned long epoch);
/*
 * The owner of the cgroup (v2) whose id is id, read once (a process's id
 * as an eBPF probe saw it: the process may have exited since); NULL with
 * errno ENOENT if that cgroup is gone (or its path is too long to trust),
 * ENOSYS if no id can be looked up (id 0, no unified hierarchy, not
 * Linux, not allowed to: no CAP_DAC_READ_SEARCH). Valid until the next call.
 */
const struct owner *cgroup_by_id(unsigned long long id);
/* o in a few words for a person: "docker 0123456789ab", "pod UID", "unit x.service", the path. */
void cgroup_words(const struct owner *o, char *buf, size_t len);

#endif
