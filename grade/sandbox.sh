#!/bin/sh
# sandbox.sh: grade one submission, inside the network and mount namespaces
# and the cgroup that bin/grade made for it. Runs as root, and builds the
# world that the student's code and the tests see: a root directory of
# their own (ROOT, below) with the system's programs read-only, a copy of
# the grading files, the submission and empty scratch space, and nothing
# else of the host. docs/grading.md has the threat model.
#
# usage: sandbox.sh TOP SB STUDENT TESTER
#   TOP      the grading files (the tree, or the installed copy)
#   SB       an empty directory of root's (0700): the sandbox's mounts
#   STUDENT  the uid of the student's make and programs
#   TESTER   the uid of the test runner: bats runs as root of a user
#            namespace that holds only TESTER and STUDENT (grade/jail)
#
# and in the environment (not on a command line, which any local user may
# read):
#   CLOSELAB_GRADE_SRC  the submission; copied to /work, which only STUDENT
#                       writes
#   CLOSELAB_GRADE_OUT  the student's output directory: only this script
#                       writes it
#
# Nothing of root's opens a path that STUDENT can make or replace: the
# student's files cross to OUT only through the tester, which copies them,
# cut, into its own directory while no process of the student's is left;
# and from there as the tester, which may have been fooled, into a pipe.
#
# With CLOSELAB_GRADE_FILES=lesson, the judge (grade/judge) runs instead of
# the test files, as the tester, on the student's server alone: its TAP is
# lesson.tap, its mistakes lesson.reasons, what it saw lesson.evidence.
#
# Writes to OUT: build.log, FILE.tap (each test file's TAP, cut at 1 MiB),
# FILE.results (its "ok"/"not ok" lines), FILE.reasons (test<TAB>sentence),
# programs (what was graded), logs/FILE-N/ (the logs of each failed test)
# and status: "built", "build-failed<TAB>last line of the build", and last
# "graded" once everything is kept. Its own trace goes to stderr
# (OUT/sandbox.log).
#
# The environment: CLOSELAB_GRADE_FILES (the test files, names in tests/),
# DEADLINE_S, CLOSELAB_GRADE_REQUIRE, CLOSELAB_GRADE_TEST_S, CLOSELAB_GRADE_FILE_S,
# CLOSELAB_GRADE_BUILD_S, CLOSELAB_GRADE_NPROC, CLOSELAB_GRADE_TMPFS (see
# docs/grading.md). Nothing else of it reaches the tests or the student.
set -u

umask 022
top=$1 sb=$2 uid=$3 tester=$4
src=${CLOSELAB_GRADE_SRC:?} out=${CLOSELAB_GRADE_OUT:?}
files=${CLOSELAB_GRADE_FILES:?}
build_s=${CLOSELAB_GRADE_BUILD_S:-120}
file_s=${CLOSELAB_GRADE_FILE_S:-150}
test_s=${CLOSELAB_GRADE_TEST_S:-40}
nproc=${CLOSELAB_GRADE_NPROC:-200}
size=${CLOSELAB_GRADE_TMPFS:-64m}
deadline_s=${DEADLINE_S:-5}
jail=$top/grade/jail

die() {
	echo "sandbox: $1" >&2
	exit 1
}

# say WHAT: WHAT on the log, after the seconds since the start
t0=$(date +%s)
say() {
	echo "+$(($(date +%s) - t0)) s: $1" >&2
}

# kill_student: every process of the uid (one kill(-1) as that uid: no
# process it forks in between survives it)
kill_student() {
	"$jail" student "$uid" kill -s KILL -- -1 2>/dev/null
	return 0
}

# the network: loopback alone, up; nothing else exists in this namespace
ip link set lo up || die "cannot bring up lo"
echo "net $(readlink /proc/self/ns/net) mnt $(readlink /proc/self/ns/mnt)" >&2

# SB/priv: root's alone (the TAP, the build's output). SB/root: the world
# of the tests and the student, built from nothing.
mount -t tmpfs -o "size=$size,mode=0700,nosuid,nodev" tmpfs "$sb" || die "cannot mount $sb"
priv=$sb/priv root=$sb/root
{ mkdir -m 0700 "$priv" && mkdir -m 0755 "$root"; } || die "cannot make $sb"
mount -t tmpfs -o "size=1m,mode=0755,nosuid,nodev" tmpfs "$root" || die "cannot mount $root"

# bind_ro PATH: the host's PATH at ROOT/PATH, read-only; a symbolic link
# (/bin on a merged /usr) as itself
bind_ro() {
	if [ -L "$1" ]; then
		ln -s "$(readlink "$1")" "$root$1"
	elif [ -d "$1" ]; then
		mkdir -p "$root$1" && mount --bind "$1" "$root$1" &&
		    mount -o remount,bind,ro,nosuid,nodev "$root$1"
	elif [ -e "$1" ]; then
		: >"$root$1" && mount --bind "$1" "$root$1" &&
		    mount -o remount,bind,ro,nosuid "$root$1"
	fi
}
for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32 /etc; do
	bind_ro "$d" || die "cannot bind $d"
done
mkdir -p "$root/dev" "$root/proc" "$root/tmp" "$root/var/tmp" "$root/work" "$root/grader" \
    "$root/tests" || die "cannot lay out $root"
for d in null zero full random urandom; do
	bind_ro "/dev/$d" || die "cannot bind /dev/$d"
done
{ ln -s /proc/self/fd "$root/dev/fd" && ln -s fd/0 "$root/dev/stdin" &&
    ln -s fd/1 "$root/dev/stdout" && ln -s fd/2 "$root/dev/stderr"; } || die "cannot make /dev/fd"
mkdir -p "$root/dev/shm"
for d in /tmp /var/tmp /dev/shm; do
	mount -t tmpfs -o "size=$size,mode=1777,nosuid,nodev" tmpfs "$root$d" ||
	    die "cannot mount a tmpfs on $d"
done
# closelab, where it is installed under a directory bound here, out of
# sight: the student's server must be its own
for f in "$root"/usr/bin/closelab-* "$root"/usr/local/bin/closelab-*; do
	[ ! -e "$f" ] || mount --bind /dev/null "$f" || die "cannot hide $f"
done
case $top in
/usr/* | /etc/*) mount -t tmpfs -o size=4k,ro tmpfs "$root$top" || die "cannot hide $top" ;;
esac
# the grading files: the jail, and the lesson's judge or a copy of what the
# tests load and closelab's client
mount -t tmpfs -o "size=$size,mode=0755,nosuid,nodev" tmpfs "$root/grader" ||
    die "cannot mount /grader"
{ mkdir -p "$root/grader/grade" && cp "$jail" "$root/grader/grade/"; } || die "cannot copy the jail"
if [ "$files" = lesson ]; then
	cp "$top/grade/judge" "$root/grader/grade/" || die "cannot copy the judge"
else
	{ mkdir -p "$root/grader/bin" "$root/grader/common" "$root/grader/tests" &&
	    cp "$top"/tests/*.bats "$top/tests/test_helper.bash" "$top/tests/bats.sh" \
	    "$root/grader/tests/" && cp -R "$top/tests/programs" "$top/tests/fault" "$root/grader/tests/" &&
	    { [ ! -d "$top/tests/.deps" ] || cp -R "$top/tests/.deps" "$root/grader/tests/"; } &&
	    cp "$top"/common/serverctl.sh "$top"/common/*.awk "$root/grader/common/" &&
	    cp "$top/bin/client" "$root/grader/bin/"; } || die "cannot copy the grading files"
fi
mount -o remount,ro,nosuid,nodev "$root/grader" || die "cannot make /grader read-only"
# bats' directories: the tester's; a test opens its own to the student
mount -t tmpfs -o "size=$size,mode=0711,uid=$tester,gid=$tester,nosuid,nodev" tmpfs \
    "$root/tests" || die "cannot mount /tests"
# the student's work directory: a copy of the submission (links stay
# links; a device node would be inert: nodev); one too big is the
# student's, graded as not built
mount -t tmpfs -o "size=$size,mode=0700,uid=$uid,gid=$uid,nosuid,nodev" tmpfs "$root/work" ||
    die "cannot mount /work"
# (from inside it, after a look that it is where it should be: not a link
# swapped in since the grader listed it)
if ! (cd "$src" && [ "$(pwd -P)" = "$src" ] && cp -R -P . "$root/work/") 2>"$priv/copy.log"; then
	printf 'build-failed\tit cannot be copied into its %s work directory: %s\n' "$size" \
	    "$(tail -n 1 "$priv/copy.log" | LC_ALL=C tr -c '[:print:]\n' ' ' | cut -c 1-160)" \
	    >"$out/status"
	echo graded >>"$out/status"
	exit 0
fi
chown -R -h "$uid:$uid" "$root/work" || die "cannot give /work to uid $uid"

# limits for every process from here on, root's too: CPU seconds and
# address space a process, descriptors, the size of a file. The number of
# processes is the student's alone (RLIMIT_NPROC counts a uid's).
prlimit --pid $$ --cpu=120 --as=2147483648 --nofile=1024 --fsize=67108864 ||
    die "cannot set the limits"
# the student's processes are the first the kernel kills for memory:
# grade/jail raises their oom_score_adj

# /proc for the student's short commands (as_student): each uid sees its
# own processes only; the build and the tests mount their own (inside)
mount -t proc -o hidepid=invisible,nosuid,nodev,noexec proc "$root/proc" ||
    die "cannot mount /proc"

# inside SECONDS COMMAND...: COMMAND, stopped after SECONDS, in a PID
# namespace of its own (what it leaves ends with it) whose /proc shows each
# uid its own processes only
inside() {
	inside_s=$1
	shift
	# shellcheck disable=SC2016 # for the inner shell to expand
	timeout -k 5 "$inside_s" unshare --pid --fork --kill-child --mount --propagation private \
	    sh -c 'mount -t proc -o hidepid=invisible,nosuid,nodev,noexec proc "$0/proc" &&
		exec "$@"' "$root" "$@"
}

# the environment of the tests and the student, from nothing
env0="PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin LANG=C.UTF-8"

# status_of NAME: the exit status kept in PRIV/NAME.status, or die
status_of() {
	so=$(cat "$priv/$1.status" 2>/dev/null)
	case $so in
	'' | *[!0-9]*) die "the $1's exit status was lost" ;;
	esac
	echo "$so"
}

# last LOG: the last line of LOG that is not empty, printable, cut to 200
last() {
	grep -v '^[[:space:]]*$' "$1" | tail -n 1 | LC_ALL=C tr -c '[:print:]\n' ' ' |
	    sed 's/[[:space:]]*$//' | cut -c 1-200
}

# as_student COMMAND...: COMMAND as the student in its world: whatever
# path it follows, it can reach only what the student can
as_student() {
	# shellcheck disable=SC2086 # env0: one variable a word
	chroot "$root" env -i $env0 /grader/grade/jail student "$uid" "$@"
}

# the build: make as the student, bounded in time, through the tester (the
# jail's init reaps what it leaves)
: >"$priv/build.log"
# shellcheck disable=SC2016 # for the inner shell to expand
makefile=$(as_student sh -c 'for m in Makefile makefile GNUmakefile; do
	[ ! -f "/work/$m" ] || { echo yes; exit; }; done')
if [ -n "$makefile" ]; then
	say "building with make (at most $build_s s)"
	built0=$(date +%s)
	# its output cut at 1 MiB (root's space is not the student's to fill),
	# the rest read and dropped, so that the cut does not stop the build
	# shellcheck disable=SC2086,SC2016 # env0: one variable a word; the inner shell expands
	{ inside "$build_s" "$jail" tester "$tester" "$uid" "$root" env -i $env0 sh -c \
	    'cd /work && exec prlimit --nproc="$1" -- /grader/grade/jail student "$2" make' \
	    make "$nproc" "$uid" </dev/null 2>&1
	echo $? >"$priv/build.status"
	} | { head -c 1048576 >"$priv/build.log"; cat >/dev/null; }
	status=$(status_of build) || exit 1
	kill_student
	[ "$status" -ne 125 ] || die "the build's jail failed: $(grep '^jail: ' "$priv/build.log" | tail -n 1)"
	tail -c 65536 "$priv/build.log" >"$out/build.log"
	if [ "$status" -ne 0 ]; then
		if { [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; } &&
		    [ $(($(date +%s) - built0)) -ge "$build_s" ]; then
			why="make was still running after $build_s s"
		else
			why=$(last "$priv/build.log")
			[ -n "$why" ] || why="make exited $status"
		fi
		printf 'build-failed\t%s\ngraded\n' "$why" >"$out/status"
		exit 0
	fi
else
	echo "no Makefile: the programs as they are" >"$out/build.log"
fi

# program NAME: /work/NAME or /work/bin/NAME, if it is an executable file
# (looked for as the student); 1 if neither is
program() {
	# shellcheck disable=SC2016 # for the inner shell to expand
	p_path=$(as_student sh -c 'for p in "/work/$1" "/work/bin/$1"; do
		[ -f "$p" ] && [ -x "$p" ] && { echo "$p"; exit 0; }; done; exit 1' program "$1")
	case $p_path in
	"/work/$1" | "/work/bin/$1") echo "$p_path" ;;
	*) return 1 ;;
	esac
}
if ! server=$(program server); then
	if [ -n "$makefile" ]; then
		printf 'build-failed\t%s\ngraded\n' "make made no server (nor bin/server)" >"$out/status"
	else
		printf 'build-failed\t%s\ngraded\n' "no Makefile, and no server (nor bin/server)" \
		    >"$out/status"
	fi
	exit 0
fi
# each program under test runs through a wrapper (in /grader/run, a tmpfs
# of root's): the same pid (exec), as the student (grade/jail: no
# descriptor but 0, 1 and 2, no capability, an environment from nothing),
# at most nproc processes for the uid
{ mount -o remount,rw "$root/grader" && mkdir -p "$root/grader/run"; } ||
    die "cannot make /grader/run"
# (the lesson's server in its own directory, as the handout says)
wrap() {
	{
		echo '#!/bin/sh'
		[ "$files" != lesson ] || echo 'cd /work || exit 126'
		printf 'exec prlimit --nproc=%s -- /grader/grade/jail student %s %s "$@"\n' \
		    "$nproc" "$uid" "$2"
	} >"$root/grader/run/$1" || die "cannot write the wrapper of the $1"
	chmod 755 "$root/grader/run/$1"
}
wrap server "$server"
programs=server
if [ "$files" = lesson ]; then
	echo "server ${server#/work/}" >"$out/programs"
elif client=$(program client); then
	wrap client "$client"
	programs="server client"
	echo "server ${server#/work/}, client ${client#/work/}" >"$out/programs"
else
	# closelab's own, as the contract allows; it is trusted: it runs as the
	# tester, out of the student's reach
	echo "server ${server#/work/}, client closelab's own" >"$out/programs"
fi
mount -o remount,ro "$root/grader" || die "cannot make /grader read-only"
CLIENT=/grader/run/client
[ "$programs" = "server client" ] || CLIENT=/grader/bin/client
echo "built" >"$out/status"

# the lesson: the judge, as the tester, in a PID namespace of its own; its
# TAP to root's file, its mistakes taken from it
if [ "$files" = lesson ]; then
	{ mkdir -p "$root/tests/lesson" && chown "$tester:$tester" "$root/tests/lesson" &&
	    chmod 0700 "$root/tests/lesson"; } || die "cannot make /tests/lesson"
	say "judging (at most $file_s s)"
	# shellcheck disable=SC2086 # env0: one variable a word
	{ inside "$file_s" "$jail" tester "$tester" "$uid" "$root" env -i $env0 TMPDIR=/tests/lesson \
	    /grader/grade/judge --uid "$uid" --wait "$((deadline_s * 1000))" \
	    --require "${CLOSELAB_GRADE_REQUIRE:-either}" /grader/run/server </dev/null 2>&1
	echo $? >"$priv/lesson.status"
	} | head -c 1048576 >"$priv/lesson.tap"
	say "the judge has ended"
	kill_student
	status=$(status_of lesson) || exit 1
	[ "$status" -ne 125 ] || die "the judge's jail failed: $(grep '^jail: ' "$priv/lesson.tap" | tail -n 1)"
	[ "$status" -eq 0 ] || [ "$status" -eq 124 ] || [ "$status" -eq 137 ] ||
	    die "the judge failed (exit $status): $(grep '^judge: ' "$priv/lesson.tap" | tail -n 1)"
	# shellcheck source=grade/keep.sh
	. "$top/grade/keep.sh"
	keep_lesson "$priv/lesson.tap" "$out" || die "cannot keep the judge's results"
	echo graded >>"$out/status"
	say "the results are kept"
	exit 0
fi

# the test files, each in a PID namespace of its own, all at once, each
# bounded in time, and each test too (bats' own timeout). bats runs as the
# tester, chrooted: its TAP goes to root's file on its standard output, and
# what the tests keep (the sentences, the logs) to its own directory.
TOP=$top
# shellcheck source=tests/bats.sh
. "$top/tests/bats.sh"
bats_ready || die "bats-core 1.8+, bats-support or bats-assert is missing"
bats=$(command -v bats)
case $bats in
/usr/*) ;;
"$top"/tests/.deps/*) bats=/grader/tests/.deps/${bats#"$top/tests/.deps/"} ;;
*) die "bats is at $bats, which the sandbox cannot see (not under /usr)" ;;
esac
libs=/usr/lib/bats:/usr/local/lib/bats:/grader/tests/.deps/node_modules
for f in $files; do
	name=${f%.bats}
	{ mkdir -p "$root/tests/$name/keep" &&
	    chown "$tester:$tester" "$root/tests/$name" "$root/tests/$name/keep" &&
	    chmod 0711 "$root/tests/$name" && chmod 0700 "$root/tests/$name/keep"; } ||
	    die "cannot make /tests/$name"
	say "running $f (at most $file_s s, $test_s s a test)"
	# shellcheck disable=SC2086 # env0: one variable a word
	{ inside "$file_s" "$jail" tester "$tester" "$uid" "$root" env -i $env0 \
	    HOME="/tests/$name" TMPDIR="/tests/$name" BATS_LIB_PATH="$libs" \
	    SERVER=/grader/run/server CLIENT="$CLIENT" CLOSELAB_SANDBOX_UID="$uid" \
	    CLOSELAB_SANDBOX_PROGRAMS="$programs" CLOSELAB_KEEP="/tests/$name/keep" \
	    CLOSELAB_GRADE_LOGS="${out##*/}/logs" \
	    CLOSELAB_REASONS="/tests/$name/keep/reasons" DEADLINE_S="$deadline_s" \
	    BATS_TEST_TIMEOUT="$test_s" "$bats" --tap --timing "/grader/tests/$f" </dev/null 2>&1
	echo $? >"$priv/$name.status"
	} | head -c 4194304 >"$priv/$name.tap" &
done
wait
say "the test files have ended"
kill_student
for f in $files; do
	name=${f%.bats}
	status=$(status_of "$name") || exit 1
	[ "$status" -ne 125 ] || die "the jail of $f failed: $(grep '^jail: ' "$priv/$name.tap" | tail -n 1)"
done

# as_tester COMMAND...: COMMAND as the tester in its world (no user
# namespace: the plain uid), for what root takes from the tester's files
as_tester() {
	# shellcheck disable=SC2086 # env0: one variable a word
	chroot --userspec="$tester:$tester" --groups="$tester" "$root" env -i $env0 "$@"
}

# what is kept: the results whole, the TAP, and each failed test's files
# cut. The tests kept their files in the tester's directory (no student
# process was left then); they are read from there as the tester, whom a
# student may have fooled, never by root: root only names them, and writes
# what comes out of the pipe.
for f in $files; do
	name=${f%.bats}
	tap=$priv/$name.tap
	keep=/tests/$name/keep
	grep -E '^(not )?ok [0-9]+ ' "$tap" >"$out/$name.results"
	head -c 1048576 "$tap" >"$out/$name.tap"
	as_tester head -c 262144 "$keep/reasons" >"$out/$name.reasons" 2>/dev/null
	tests=$(grep -c '^@test ' "$top/tests/$f")
	sed -n 's/^not ok \([0-9]*\) .*/\1/p' "$tap" | sort -un | while read -r n; do
		{ [ "$n" -ge 1 ] && [ "$n" -le "$tests" ]; } || continue
		for d in "" /server /client; do
			mkdir -p "$out/logs/$name-$n$d"
			as_tester find "$keep/$n$d" -mindepth 1 -maxdepth 1 -type f -printf '%f\n' 2>/dev/null |
			    grep -E '^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$' | head -n 20 | while read -r l; do
				as_tester timeout 5 head -c 262144 "$keep/$n$d/$l" \
				    >"$out/logs/$name-$n$d/$l" 2>/dev/null
			done
		done
	done
done
echo graded >>"$out/status"
say "the results are kept"
exit 0
