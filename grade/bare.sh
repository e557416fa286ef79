#!/bin/sh
# bare.sh: grade one submission on the lesson's assignment without a
# sandbox of closelab's, for a grading platform whose container is the
# sandbox (bin/grade --sandbox none; grade/platform/). Runs as root. The
# student's make and server run as STUDENT (setpriv: no group, no
# capability, no new privilege, an environment from nothing, limits on each
# process), the judge as root. Not isolated: the container's files that
# STUDENT can read, the container's network and its other processes.
#
# usage: bare.sh TOP SB STUDENT TESTER
#   TOP      the grading files
#   SB       not used (sandbox.sh's mounts): the work is in a new directory
#            of /tmp (WORK), which STUDENT may enter, not list; the copy of
#            the submission goes to WORK/work, which only STUDENT writes
#   STUDENT  the uid of the student's make and programs
#   TESTER   not used: the judge runs as root
#
# and in the environment, as for sandbox.sh: CLOSELAB_GRADE_SRC,
# CLOSELAB_GRADE_OUT, CLOSELAB_GRADE_BUILD_S, CLOSELAB_GRADE_FILE_S,
# CLOSELAB_GRADE_NPROC, CLOSELAB_GRADE_REQUIRE, DEADLINE_S. Writes to OUT
# what sandbox.sh writes for the lesson.
set -u

umask 022
top=$1 uid=$3
src=${CLOSELAB_GRADE_SRC:?} out=${CLOSELAB_GRADE_OUT:?}
build_s=${CLOSELAB_GRADE_BUILD_S:-120}
file_s=${CLOSELAB_GRADE_FILE_S:-90}
nproc=${CLOSELAB_GRADE_NPROC:-200}
deadline_s=${DEADLINE_S:-5}

die() {
	echo "sandbox: $1" >&2
	exit 1
}

# as_student COMMAND...: COMMAND as the student, with nothing of root's (a
# script of root's, WORK/run/as-student, that timeout and the judge can run)
as_student() {
	"$work/run/as-student" "$@"
}

# kill_student: every process of the uid (one kill(-1) as that uid)
kill_student() {
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- kill -s KILL -- -1 2>/dev/null
	return 0
}

echo "no sandbox: uid $uid, in the container's own world" >&2
work=$(mktemp -d /tmp/closelab-grade.XXXXXX) || die "cannot make a directory in /tmp"
trap 'kill_student; rm -rf "$work"' EXIT
{ chmod 0711 "$work" && mkdir -m 0700 "$work/work" "$work/priv" && mkdir -m 0755 "$work/run" &&
    printf '#!/bin/sh\nexec setpriv --reuid=%s --regid=%s --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=%s TMPDIR=/tmp LANG=C.UTF-8 prlimit --nproc=%s --cpu=120 --as=2147483648 --nofile=1024 --fsize=67108864 -- "$@"\n' \
    "$uid" "$uid" "$work/work" "$nproc" >"$work/run/as-student" &&
    chmod 0755 "$work/run/as-student"; } || die "cannot lay out $work"
# from inside the submission, after a look that it is where it should be
if ! (cd "$src" && [ "$(pwd -P)" = "$src" ] && cp -R -P . "$work/work/") 2>"$work/priv/copy.log"; then
	printf 'build-failed\tit cannot be copied: %s\ngraded\n' \
	    "$(tail -n 1 "$work/priv/copy.log" | LC_ALL=C tr -c '[:print:]\n' ' ' | cut -c 1-160)" \
	    >"$out/status"
	exit 0
fi
chown -R -h "$uid:$uid" "$work/work" || die "cannot give the work directory to uid $uid"

# the build, as the student (a Makefile is looked for as the student)
# shellcheck disable=SC2016 # for the inner shell to expand
if as_student sh -c 'for m in Makefile makefile GNUmakefile; do
	[ ! -f "$1/$m" ] || exit 0; done; exit 1' build "$work/work"; then
	# its output cut at 1 MiB, the rest read and dropped
	{ (cd "$work/work" && timeout -k 5 "$build_s" "$work/run/as-student" make) </dev/null 2>&1
	echo $? >"$work/priv/build.status"
	} | { head -c 1048576 >"$work/priv/build.log"; cat >/dev/null; }
	status=$(cat "$work/priv/build.status")
	kill_student
	tail -c 65536 "$work/priv/build.log" >"$out/build.log"
	if [ "$status" -ne 0 ]; then
		why=$(grep -v '^[[:space:]]*$' "$work/priv/build.log" | tail -n 1 |
		    LC_ALL=C tr -c '[:print:]\n' ' ' | cut -c 1-200)
		[ "$status" -ne 124 ] || why="make was still running after $build_s s"
		printf 'build-failed\t%s\ngraded\n' "${why:-make exited $status}" >"$out/status"
		exit 0
	fi
else
	echo "no Makefile: the programs as they are" >"$out/build.log"
fi
# shellcheck disable=SC2016 # for the inner shell to expand
server=$(as_student sh -c 'for p in "$1/server" "$1/bin/server"; do
	[ -f "$p" ] && [ -x "$p" ] && { echo "$p"; exit 0; }; done; exit 1' find "$work/work")
case $server in
"$work/work/server" | "$work/work/bin/server") ;;
*) printf 'build-failed\tit made no server (nor bin/server)\ngraded\n' >"$out/status"; exit 0 ;;
esac
echo "server ${server#"$work/work/"}" >"$out/programs"
echo built >"$out/status"
# the server through a wrapper of root's that keeps its pid (exec)
{ printf '#!/bin/sh\ncd %s || exit 126\nexec %s %s "$@"\n' "$work/work" "$work/run/as-student" \
    "$server" >"$work/run/server" && chmod 755 "$work/run/server"; } ||
    die "cannot write the server's wrapper"

TMPDIR=$work/priv timeout -k 5 "$file_s" "$top/grade/judge" --uid "$uid" \
    --wait "$((deadline_s * 1000))" --require "${CLOSELAB_GRADE_REQUIRE:-either}" \
    "$work/run/server" </dev/null 2>&1 | head -c 1048576 >"$work/priv/lesson.tap"
kill_student
grep -q '^judge: ' "$work/priv/lesson.tap" &&
    die "the judge failed: $(grep '^judge: ' "$work/priv/lesson.tap" | tail -n 1)"
# shellcheck source=grade/keep.sh
. "$top/grade/keep.sh"
keep_lesson "$work/priv/lesson.tap" "$out" || die "cannot keep the judge's results"
echo graded >>"$out/status"
exit 0
