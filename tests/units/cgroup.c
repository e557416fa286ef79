/*
 * cgroup.c: cgroup_owner() names the container, pod or unit of a cgroup
 * path as each runtime writes it, and nothing where the path names none.
 */
#include "../../common/cgroup.h"
#include "unit.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "1a2b3c4d-0000-4e5f-8a9b-0123456789ab"
#define UID_ "1a2b3c4d_0000_4e5f_8a9b_0123456789ab"

/* path's owner in words is want */
static int
says(const char *path, const char *want)
{
	struct owner o;
	char words[1200];

	cgroup_owner(path, &o);
	cgroup_words(&o, words, sizeof words);
	if (!same(words, want))
		printf("# %s: %s, not %s\n", path, words, want);
	return same(words, want);
}

int
main(void)
{
	CHECK(says("/docker/" ID, "docker 0123456789ab"), "Docker's own cgroup: /docker/ID");
	CHECK(says("/system.slice/docker-" ID ".scope", "docker 0123456789ab"),
	    "Docker under systemd: docker-ID.scope");
	CHECK(says("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	    ".slice/cri-containerd-" ID ".scope", "containerd 0123456789ab, pod " UID),
	    "containerd under Kubernetes with systemd: the pod's UID with '-' for '_'");
	CHECK(says("/kubepods/besteffort/pod" UID "/" ID, "containerd 0123456789ab, pod " UID),
	    "a container under Kubernetes with cgroupfs: podUID/ID");
	CHECK(says("/kubepods.slice/kubepods-pod" UID_ ".slice", "pod " UID), "a pod alone");
	CHECK(says("/machine.slice/libpod-" ID ".scope", "podman 0123456789ab"), "Podman: libpod-ID.scope");
	CHECK(says("/system.slice/crio-" ID ".scope", "cri-o 0123456789ab"), "CRI-O: crio-ID.scope");
	CHECK(says("/system.slice/ssh.service", "unit ssh.service"), "a systemd service");
	CHECK(says("/user.slice/user-1000.slice/session-3.scope", "unit session-3.scope"),
	    "a systemd scope");
	CHECK(says("/system.slice/docker-0123.scope", "unit docker-0123.scope"),
	    "an id that is not 64 hex digits is no container");
	CHECK(says("/", "cgroup /") && says("/a/b", "cgroup /a/b"), "a path that names nothing is itself");
	CHECK(says("/system.slice/docker-" ID ".scope/docker-"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.scope",
	    "docker 0123456789ab"), "a container nested in another cannot take its name: the outermost counts");
	CHECK(says("/podAAAA holders=1(init) x=y zzzzzzzzzzzzzzzzzzzzzzzzzz", "cgroup /podAAAA holders=1(init) x=y zzzzzzzzzzzzzzzzzzzzzzzzzz"),
	    "a pod's UID is a UUID: anything else after \"pod\" names no pod");
	return 0;
}
