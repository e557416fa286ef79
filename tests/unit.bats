#!/usr/bin/env bats
# The modules of common/, each checked on its own by a C program of
# tests/units/, built here against the files of common/ that it needs. A
# program says nothing when every check holds, "not ok - SENTENCE" at the
# first that does not (status 1), and "skip - REASON" where it cannot check
# (status 77: not Linux, not root, no network namespace).

load test_helper

# unit NAME FILES...: build tests/units/NAME.c with FILES (paths from the
# top) and run it; its first "not ok" line is the test's sentence
unit() {
	local name=$1 said
	shift
	command -v cc >/dev/null || skip "needs cc"
	(cd "$TOP" && cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -Wall -Wextra \
	    -Werror -pedantic -o "$BATS_TEST_TMPDIR/$name" "tests/units/$name.c" "$@") ||
	    mistake "tests/units/$name.c did not build against $*"
	# its own waits are of 10 s each
	DEADLINE_S=60 run_program "$BATS_TEST_TMPDIR/$name"
	[ "$status" -ne 77 ] || skip "$(sed -n 's/^skip - //p' <<<"$output" | head -n 1)"
	said=$(sed -n 's/^not ok - //p' <<<"$output" | head -n 1)
	if [ "$status" -ne 0 ] || [ -n "$said" ]; then
		[ -n "$said" ] || printf '%s\n' "$output" >&2
		mistake "tests/units/$name: ${said:-it ended with status $status}"
	fi
}

@test "the connection id names IPv4, IPv6 and mapped addresses as the logs do" {
	unit connid common/connid.c
}

@test "the TCP states have Linux's numbers and names, and the words a user may ask for them by" {
	unit tcpstate common/tcpstate.c
}

@test "log_format writes the one line format, cut still one line, and log_parse reads it back" {
	unit log common/log.c common/events.c common/kernel.c common/util.c common/procfd.c \
	    common/tcpstate.c
}

@test "diag_dump lists this process's sockets by state, port and inode, in its namespace or another" {
	unit diag tests/units/nschild.c common/diag.c common/connid.c common/netns.c common/util.c \
	    common/tcpstate.c
}

@test "procfd finds a socket's holders by its inode: pid, descriptor, close-on-exec, and a child's" {
	unit procfd common/procfd.c
}

@test "capture takes packets apart as tcpdump does, and sees its address's segments in its namespace only" {
	unit capture tests/units/nschild.c common/capture.c common/capture_filter.c common/netns.c \
	    common/util.c
}

@test "escape shows any byte a process may put in its name as \\xHH: controls, C1, high bytes, the backslash" {
	unit escape common/escape.c
}

@test "cgroup_owner names the container, pod or unit of a cgroup path as Docker, containerd, CRI-O, Podman and systemd write it" {
	unit cgroup common/cgroup.c
}

@test "cgroup_by_id finds a cgroup by its id; one that is gone is ENOENT, and no right to look is ENOSYS, not gone" {
	unit cgroup_id common/cgroup.c
}
