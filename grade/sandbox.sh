#!/bin/sh
# sandbox.sh: grade one submission, inside the network and mount namespaces
# that bin/grade made for it (unshare --net --mount). Runs as root; only the
# student's make and programs run as UID, an unprivileged uid of its own.
#
# usage: sandbox.sh TOP SRC OUT SB UID
#   TOP  the grading files (the tree, or the installed copy): tests, common,
#        bin/client; bound read-only at SB/top
#   SRC  the submission; copied to SB/work, a tmpfs that only UID writes
#   OUT  the student's output directory, bound at SB/out
#   SB   an empty directory of root's, outside /tmp, for the mount points
#
# Writes to OUT: build.log, FILE.tap (each test file's TAP, cut at 1 MiB),
# FILE.results (its "ok"/"not ok" lines), FILE.reasons (test<TAB>sentence),
# programs (what was graded), logs/FILE-N/ (the logs of each failed test)
# and status: "built", or "build-failed<TAB>last line of the build", or
# "no-server<TAB>why". Its own trace goes to stderr (OUT/sandbox.log).
#
# The environment: CLOSELAB_GRADE_FILES (the test files, names in tests/),
# DEADLINE_S, CLOSELAB_GRADE_TEST_S, CLOSELAB_GRADE_FILE_S,
# CLOSELAB_GRADE_BUILD_S, CLOSELAB_GRADE_NPROC (see docs/grading.md).
set -u

top=$1 src=$2 out=$3 sb=$4 uid=$5
files=${CLOSELAB_GRADE_FILES:?}
build_s=${CLOSELAB_GRADE_BUILD_S:-120}
file_s=${CLOSELAB_GRADE_FILE_S:-150}
test_s=${CLOSELAB_GRADE_TEST_S:-40}
nproc=${CLOSELAB_GRADE_NPROC:-200}
size=${CLOSELAB_GRADE_TMPFS:-64m}

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
# process it forks in between survives it), as seen from here
kill_student() {
	setpriv --reuid="$uid" --regid="$uid" --clear-groups kill -s KILL -- -1 2>/dev/null
	return 0
}

# the network: loopback alone, up; nothing else exists in this namespace
ip link set lo up || die "cannot bring up lo"
echo "net $(readlink /proc/self/ns/net) mnt $(readlink /proc/self/ns/mnt)" >&2

# the mounts, private to this namespace (unshare made them so): the trusted
# files read-only, then tmpfs over everything the student may write to
mkdir -p "$sb/top" "$sb/out" "$sb/work" "$sb/priv" "$sb/tests" || die "cannot make $sb"
{ mount --bind "$top" "$sb/top" && mount -o remount,bind,ro,nosuid,nodev "$sb/top"; } ||
    die "cannot bind $top read-only"
mount --bind "$out" "$sb/out" || die "cannot bind $out"
mount -t tmpfs -o "size=$size,mode=0700,uid=$uid,gid=$uid,nosuid,nodev" tmpfs "$sb/work" ||
    die "cannot mount a tmpfs on $sb/work"
# a copy: symbolic links stay links; a device node would be inert (nodev)
# a submission that does not fit is the student's: graded as not built
if ! cp -R -P "$src/." "$sb/work/" 2>"$sb/out/copy.log"; then
	printf 'build-failed\tit cannot be copied into its %s work directory: %s\n' "$size" \
	    "$(tail -n 1 "$sb/out/copy.log" | LC_ALL=C tr -c '[:print:]\n' ' ' | cut -c 1-160)" \
	    >"$sb/out/status"
	exit 0
fi
chown -R -h "$uid:$uid" "$sb/work" || die "cannot give $sb/work to uid $uid"
# root's alone: TAP, reasons, the wrappers
mount -t tmpfs -o "size=$size,mode=0700,nosuid,nodev" tmpfs "$sb/priv" ||
    die "cannot mount a tmpfs on $sb/priv"
# bats' temporary directories: the helper opens each test's to the uid
mount -t tmpfs -o "size=$size,mode=0711,nosuid,nodev" tmpfs "$sb/tests" ||
    die "cannot mount a tmpfs on $sb/tests"
for d in /tmp /var/tmp /dev/shm /run/lock; do
	[ -d "$d" ] || continue
	mount -t tmpfs -o "size=$size,mode=1777,nosuid,nodev" tmpfs "$d" ||
	    die "cannot mount a tmpfs on $d"
done
# the other submissions and the grades (every student's logs): out of sight,
# under an empty read-only tmpfs, unless that would hide the sandbox itself
for d in "$(dirname "$src")" "$(dirname "$out")"; do
	case $sb/ in
	"$d"/*) continue ;;
	esac
	# gone already where it was under /tmp
	if [ "$d" = / ] || ! [ -d "$d" ]; then
		continue
	fi
	mount -t tmpfs -o "size=4k,mode=0755,ro,nosuid,nodev" tmpfs "$d" || die "cannot hide $d"
done
out=$sb/out
top=$sb/top
cd "$sb/work" || die "cannot enter $sb/work"

# limits for every process from here on, root's too: CPU seconds and
# address space a process, descriptors, the size of a file. The number of
# processes is the student's alone (as_student): root is not held to it.
prlimit --pid $$ --cpu=120 --as=2147483648 --nofile=1024 --fsize=67108864 ||
    die "cannot set the limits"

# last LOG: the last line of LOG that is not empty, printable, cut to 200
last() {
	grep -v '^[[:space:]]*$' "$1" | tail -n 1 | LC_ALL=C tr -c '[:print:]\n' ' ' |
	    sed 's/[[:space:]]*$//' | cut -c 1-200
}

# the build: make as the student, in a PID namespace of its own (its
# daemons end with it), bounded in time
: >"$sb/priv/build.log"
if [ -f Makefile ] || [ -f makefile ] || [ -f GNUmakefile ]; then
	say "building with make (at most $build_s s)"
	TMPDIR=/tmp timeout -k 5 "$build_s" unshare --pid --fork --kill-child --mount-proc \
	    prlimit --nproc="$nproc" -- setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	    --no-new-privs -- make </dev/null >"$sb/priv/build.log" 2>&1
	status=$?
	kill_student
	tail -c 65536 "$sb/priv/build.log" >"$out/build.log"
	if [ "$status" -ne 0 ]; then
		if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
			why="make was still running after $build_s s"
		else
			why=$(last "$sb/priv/build.log")
			[ -n "$why" ] || why="make exited $status"
		fi
		printf 'build-failed\t%s\n' "$why" >"$out/status"
		exit 0
	fi
else
	echo "no Makefile: the programs as they are" >"$out/build.log"
fi

# program NAME: the student's NAME or bin/NAME, a regular executable file
program() {
	for p in "$sb/work/$1" "$sb/work/bin/$1"; do
		if [ -f "$p" ] && [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
if ! server=$(program server); then
	if [ -f Makefile ] || [ -f makefile ] || [ -f GNUmakefile ]; then
		printf 'build-failed\t%s\n' "make made no server (nor bin/server)" >"$out/status"
	else
		printf 'build-failed\t%s\n' "no Makefile, and no server (nor bin/server)" >"$out/status"
	fi
	exit 0
fi
# each program under test runs through a wrapper: the same pid (exec), as the
# student's uid, its TMPDIR /tmp (bats' is root's); argv[0] is the
# program's own path. Not niced: under load, a niced server's log lines come
# late enough to fail a test that reads the log as soon as the client ends.
mkdir -p "$sb/priv/run"
wrap() {
	printf '#!/bin/sh\nTMPDIR=/tmp exec prlimit --nproc=%s -- setpriv --reuid=%s --regid=%s --clear-groups --no-new-privs -- %s "$@"\n' \
	    "$nproc" "$uid" "$uid" "$2" >"$sb/priv/run/$1"
	chmod 700 "$sb/priv/run/$1"
}
wrap server "$server"
SERVER=$sb/priv/run/server
if client=$(program client); then
	wrap client "$client"
	CLIENT=$sb/priv/run/client
	echo "server ${server#"$sb/work/"}, client ${client#"$sb/work/"}" >"$out/programs"
else
	# closelab's own, as the contract allows; it is trusted: it runs as root
	CLIENT=$top/bin/client
	echo "server ${server#"$sb/work/"}, client closelab's own" >"$out/programs"
fi
echo "built" >"$out/status"

# the test files, each in a PID namespace of its own (the helper's teardown
# kills every process of the uid that it can see: only its own file's), all
# at once, each bounded in time, and each test too (bats' own timeout)
TOP=$top
# shellcheck source=tests/bats.sh
. "$top/tests/bats.sh"
bats_ready || die "bats-core 1.8+, bats-support or bats-assert is missing"
export SERVER CLIENT BATS_LIB_PATH PATH
export CLOSELAB_SANDBOX_UID="$uid" DEADLINE_S="${DEADLINE_S:-5}" BATS_TEST_TIMEOUT="$test_s"
for f in $files; do
	name=${f%.bats}
	mkdir -p "$sb/tests/$name"
	chmod 711 "$sb/tests/$name"
	say "running $f (at most $file_s s, $test_s s a test)"
	TMPDIR=$sb/tests/$name CLOSELAB_REASONS=$sb/priv/$name.reasons \
	    timeout -k 5 "$file_s" unshare --pid --fork --kill-child --mount-proc \
	    bats --tap --timing "$top/tests/$f" </dev/null >"$sb/priv/$name.tap" 2>&1 &
done
wait
say "the test files have ended"
kill_student

# what is kept: the results whole, the TAP and each failed test's logs cut
for f in $files; do
	name=${f%.bats}
	tap=$sb/priv/$name.tap
	grep -E '^(not )?ok [0-9]+ ' "$tap" >"$out/$name.results"
	head -c 1048576 "$tap" >"$out/$name.tap"
	[ ! -f "$sb/priv/$name.reasons" ] || head -c 262144 "$sb/priv/$name.reasons" >"$out/$name.reasons"
	sed -n 's/^not ok \([0-9]*\) .*/\1/p' "$tap" | while read -r n; do
		for d in "$sb/tests/$name"/bats-run-*/test/"$n"; do
			[ -d "$d" ] || continue
			mkdir -p "$out/logs/$name-$n"
			for l in "$d"/*.log "$d"/*.err "$d"/*.out; do
				[ ! -f "$l" ] || head -c 262144 "$l" >"$out/logs/$name-$n/${l##*/}"
			done
		done
	done
done
say "the results are kept"
exit 0
