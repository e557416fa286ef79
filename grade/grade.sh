#!/bin/sh
# grade: grade a class. Each subdirectory of SUBMISSIONS_DIR is one
# student's submission; each is built and judged on the lesson's assignment
# (docs/assignment.md, by grade/judge) or run through the full contract's
# core test files, several at once, each in a sandbox of its own
# (grade/sandbox.sh): its own
# unprivileged uids (the student's and the test runner's), network
# namespace (loopback only), root directory, cgroup (grade/cgroup.sh),
# limits and deadlines. Writes OUTDIR/grades.csv, OUTDIR/junit.xml and
# OUTDIR/STUDENT/, and a summary on standard output. docs/grading.md says
# how, and what a submission is kept from.
#
# Exit status: 0 every submission was graded; 1 a runtime error (not root, a
# tool missing, a directory another user could change, a submission not
# graded: its sandbox failed, was killed or left a process behind); 2 a
# usage error.

me=${0##*/}
usage="usage: $me [-j JOBS] [-o OUTDIR] [--assignment lesson|full]
             [--require prefork|fork|either] [--weights FILE] [--sandbox none]
             SUBMISSIONS_DIR
       $me --help | --version"

bad() {
	echo "$me: $1" >&2
	echo "$usage" >&2
	exit 2
}

fail() {
	echo "$me: $1" >&2
	exit 1
}

# where the grading files are (tests, common, bin/client, grade/sandbox.sh):
# set at install; in the tree, the tree
gradedir=
if [ -z "$gradedir" ]; then
	gradedir=$(cd "$(dirname "$0")/.." && pwd)
fi

# a positive whole number, without sign or leading zero, of at most 9 digits
number() {
	case $1 in
	'' | 0* | *[!0-9]*) return 1 ;;
	esac
	[ ${#1} -le 9 ]
}

jobs=
outdir=./grades
assignment=lesson
require=either
weights=
sandbox=yes
while [ $# -gt 0 ]; do
	case $1 in
	-j) [ $# -ge 2 ] || bad "option -j needs a value"; jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	-o) [ $# -ge 2 ] || bad "option -o needs a value"; outdir=$2; shift 2 ;;
	-o*) outdir=${1#-o}; shift ;;
	--assignment) [ $# -ge 2 ] || bad "option --assignment needs a value"; assignment=$2; shift 2 ;;
	--require) [ $# -ge 2 ] || bad "option --require needs a value"; require=$2; shift 2 ;;
	--weights) [ $# -ge 2 ] || bad "option --weights needs a value"; weights=$2; shift 2 ;;
	--sandbox)
		[ $# -ge 2 ] || bad "option --sandbox needs a value"
		[ "$2" = none ] || bad "--sandbox takes none, not '$2'"
		sandbox=none; shift 2 ;;
	-h|--help)
		cat <<EOF
$usage

Grade a class: build each subdirectory of SUBMISSIONS_DIR (one student's
server) and judge it, each in a sandbox of its own, several at once. Needs
root, for the sandboxes.

  -j JOBS              grade JOBS submissions at once (default: the
                       number of CPUs)
  -o OUTDIR            write the grades there (default: ./grades)
  --assignment lesson  the lesson's assignment (docs/assignment.md), judged
                       from what the kernel saw (default)
  --assignment full    the full contract (docs/contract.md): the core
                       test files, on the student's server and client
  --require MODEL      lesson: the model asked for: prefork, fork or
                       either (default)
  --weights FILE       lesson: the checks' points and caps (default:
                       grade/lesson.tsv)
  --sandbox none       lesson: no sandbox of closelab's, for a grading
                       platform whose container is the sandbox: each
                       submission as an unprivileged uid, one at a time
  --help               show this help
  --version            show the version

Writes OUTDIR/grades.csv, OUTDIR/junit.xml and, per student, OUTDIR/STUDENT/
with the logs; prints a summary: each student's score and mistakes, and the
most common mistakes.

Exit status: 0 every submission was graded, 1 a runtime error (not root, a
tool missing, a directory another user could change, a submission not
graded: its sandbox failed, was killed or left a process behind), 2 usage
error.
EOF
		exit 0 ;;
	--version) echo "$me (closelab) @VERSION@"; exit 0 ;;
	--) shift; break ;;
	-?*) bad "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || bad "no SUBMISSIONS_DIR given"
[ $# -le 1 ] || bad "unexpected argument '$2'"
subs=$1
case $assignment in
lesson | full) ;;
*) bad "--assignment needs lesson or full, not '$assignment'" ;;
esac
case $require in
prefork | fork | either) ;;
*) bad "--require needs prefork, fork or either, not '$require'" ;;
esac
if [ -n "$weights" ] || [ "$require" != either ] || [ "$sandbox" = none ]; then
	[ "$assignment" = lesson ] ||
	    bad "--require, --weights and --sandbox are the lesson's, not the full assignment's"
fi
# the lesson's weights: each check of grade/lesson.tsv once, its points
# and its cap; ID<TAB>POINTS<TAB>CAP
if [ "$assignment" = lesson ]; then
	[ -n "$weights" ] || weights=$gradedir/grade/lesson.tsv
	{ [ -f "$weights" ] && [ -r "$weights" ]; } || bad "--weights: cannot read $weights"
	weights_tsv=$(LC_ALL=C awk -F '\t' -v checks="$gradedir/grade/lesson.tsv" '
		BEGIN {
			while ((getline l <checks) > 0)
				if (l !~ /^#/ && l != "") { split(l, f, "\t"); known[f[1]] = 1; n++ }
		}
		/^#/ || $0 == "" { next }
		function no(why) { printf "line %d: %s\n", NR, why; bad = 1; exit }
		!($1 in known) { no("\"" $1 "\" is no check of the judge") }
		$1 in seen { no($1 " is there twice") }
		$2 !~ /^[0-9]+$/ || length($2) > 4 { no($1 "'\''s points are not a whole number up to 9999") }
		$3 != "-" && ($3 !~ /^[0-9]+$/ || $3 > 100) { no($1 "'\''s cap is neither - nor 0 to 100") }
		{ seen[$1] = 1; m++; total += $2; w = $4; gsub(/[^ -~]/, "?", w)
		  out = out $1 "\t" $2 "\t" $3 "\t" substr(w, 1, 200) "\n" }
		END {
			if (bad) exit 1
			if (m != n) { print "it names " m " of the " n " checks"; exit 1 }
			if (total == 0) { print "its points add up to 0"; exit 1 }
			printf "%s", out
		}' "$weights") || bad "--weights $weights: $weights_tsv"
fi

if [ -n "$jobs" ]; then
	if ! number "$jobs" || [ "$jobs" -gt 64 ]; then
		bad "-j needs a number from 1 to 64, not '$jobs'"
	fi
else
	jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
	number "$jobs" || jobs=1
fi
[ "$sandbox" = yes ] || jobs=1
[ -n "$outdir" ] || bad "-o needs a directory, not ''"
[ -n "$subs" ] || bad "SUBMISSIONS_DIR is empty (make grade SUBMISSIONS=dir)"
[ -d "$subs" ] || bad "$subs is not a directory"

[ "$(id -u)" = 0 ] ||
    fail "needs root: each submission runs as a uid of its own, in namespaces of its own"
tools="setpriv prlimit timeout flock pgrep make awk"
[ "$sandbox" = none ] || tools="$tools unshare ip chroot"
for tool in $tools; do
	command -v "$tool" >/dev/null 2>&1 || fail "needs $tool, which is not installed"
done
if ! [ -f "$gradedir/grade/sandbox.sh" ] || ! [ -f "$gradedir/tests/core.list" ] ||
    ! [ -f "$gradedir/grade/lesson.tsv" ]; then
	fail "cannot find the grading files in $gradedir"
fi
[ -x "$gradedir/bin/client" ] || fail "cannot find closelab's client ($gradedir/bin/client): run make"
[ -x "$gradedir/grade/jail" ] || fail "cannot find the sandbox's jail ($gradedir/grade/jail): run make"
[ -x "$gradedir/grade/judge" ] || fail "cannot find the lesson's judge ($gradedir/grade/judge): run make"
# trusted DIR [OWNER]: DIR (resolved) and every directory above it are
# root's (or OWNER's), and no one else may write in them, but in one with
# the sticky bit above DIR (such as /tmp): no one else can change what is
# there, nor put a link there
trusted() {
	t_dir=$(cd "$1" && pwd -P) || return 1
	t_top=$t_dir
	while :; do
		# shellcheck disable=SC2046 # two words
		set -- "$1" "${2:-0}" $(stat -c '%u %a' "$t_dir") || return 1
		[ "$3" = 0 ] || [ "$3" = "$2" ] || return 1
		if [ $((0$4 & 022)) -ne 0 ] && { [ "$t_dir" = "$t_top" ] || [ $((0$4 & 01000)) -eq 0 ]; }; then
			return 1
		fi
		[ "$t_dir" != / ] || return 0
		t_dir=$(dirname "$t_dir")
	done
}

# no_foreign_link PATH: no component of PATH (absolute, as written) is a
# link that another user made or could replace: a link must be root's, in
# a trusted directory
no_foreign_link() {
	nf_path=$1 nf_p=''
	while [ -n "$nf_path" ]; do
		nf_c=${nf_path%%/*}
		case $nf_path in */*) nf_path=${nf_path#*/} ;; *) nf_path='' ;; esac
		[ -n "$nf_c" ] || continue
		nf_parent=${nf_p:-/}
		nf_p=$nf_p/$nf_c
		if [ -L "$nf_p" ]; then
			[ "$(stat -c %u "$nf_p")" = 0 ] && trusted "$nf_parent" || return 1
		fi
	done
}

# the tests and closelab's own files run as root: only root may change them
if ! trusted "$gradedir" ||
    [ -n "$(find "$gradedir/tests" "$gradedir/common" "$gradedir/grade" "$gradedir/bin" \
    ! -type l \( ! -user 0 -o -perm /022 \) -print 2>/dev/null | head -n 1)" ]; then
	fail "the grading files in $gradedir are not root's alone: another user could change what runs as root"
fi
# a bats run's own variables and PATH (bin/grade run from a test) would
# confuse the runs of bats in the sandboxes: none is passed on but the
# library path, and its libexec leaves the PATH
for v in $(env | sed -n 's/^\(BATS_[A-Za-z0-9_]*\)=.*/\1/p'); do
	[ "$v" = BATS_LIB_PATH ] || unset "$v"
done
PATH=$(printf '%s\n' "$PATH" | tr ':' '\n' | grep -v '/libexec/bats-core$' | tr '\n' ':')
PATH=${PATH%:}
# nor a make's: the students' builds are their own
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
TOP=$gradedir
# shellcheck source=tests/bats.sh
. "$gradedir/tests/bats.sh"
if [ "$assignment" = full ]; then
	bats_install "$me" || fail "cannot find or install bats-core 1.8+, bats-support and bats-assert"
fi

# the test files: the core, or CLOSELAB_GRADE_TESTS (names in tests/); the
# lesson's one "file" is the judge's run
files=${CLOSELAB_GRADE_TESTS:-$(cat "$gradedir/tests/core.list")}
[ "$assignment" = full ] || files=
for f in $files; do
	case $f in
	*/* | *[!A-Za-z0-9_.-]*) bad "CLOSELAB_GRADE_TESTS: '$f' is not a file name of tests/" ;;
	esac
	[ -f "$gradedir/tests/$f" ] || bad "CLOSELAB_GRADE_TESTS: no tests/$f"
done
# shellcheck disable=SC2086 # one name a word
files=$(printf '%s\n' $files | tr '\n' ' ')
[ "$assignment" = full ] || files=lesson
file_s=150
[ "$assignment" = full ] || file_s=90
file_s=${CLOSELAB_GRADE_FILE_S:-$file_s}
build_s=${CLOSELAB_GRADE_BUILD_S:-120}
uid_base=${CLOSELAB_GRADE_UID:-61000}
if ! number "$file_s" || ! number "$build_s" || ! number "$uid_base"; then
	bad "CLOSELAB_GRADE_FILE_S, CLOSELAB_GRADE_BUILD_S and CLOSELAB_GRADE_UID are whole numbers"
fi
if [ "$uid_base" -lt 1000 ] || [ "$uid_base" -gt 2000000000 ]; then
	bad "CLOSELAB_GRADE_UID needs a number from 1000 to 2000000000, not '$uid_base'"
fi
student_s=$((build_s + file_s + 60))
cpu_s=${CLOSELAB_GRADE_CPU_S:-600}
memory_mib=${CLOSELAB_GRADE_MEMORY_MIB:-1024}
pids_max=${CLOSELAB_GRADE_PIDS:-1000}
if ! number "$cpu_s" || ! number "$memory_mib" || ! number "$pids_max"; then
	bad "CLOSELAB_GRADE_CPU_S, CLOSELAB_GRADE_MEMORY_MIB and CLOSELAB_GRADE_PIDS are whole numbers"
fi
export CLOSELAB_GRADE_FILES="$files"

subs=$(cd "$subs" && pwd -P) || fail "cannot enter $subs"
# the submissions are their owner's (the instructor's) and root's alone: no
# other user can swap one for a link while root copies it
owner=$(stat -c %u "$subs")
if ! trusted "$subs" "$owner" ||
    [ -n "$(find "$subs" ! -type l \( \( ! -user 0 ! -user "$owner" \) -o -perm /022 \) -print |
    head -n 1)" ]; then
	fail "$subs is not its owner's alone: another user could swap a submission while root copies it"
fi
# OUTDIR inside SUBMISSIONS_DIR would be graded next time: refused before
# it is made (by its path as written, .. taken as it is)
case $outdir in
/*) case $outdir/ in "$subs"/*) bad "OUTDIR $outdir is inside SUBMISSIONS_DIR" ;; esac ;;
*) case $PWD/$outdir/ in "$subs"/*) bad "OUTDIR $outdir is inside SUBMISSIONS_DIR" ;; esac ;;
esac
# the grades are root's and the instructor's alone, where no other user
# can put a link (on the way to OUTDIR, or in it)
umask 077
case $outdir in
/*) no_foreign_link "$outdir" ;;
*) no_foreign_link "$PWD/$outdir" ;;
esac || fail "the way to $outdir goes through another user's link: it could lead root anywhere"
mkdir -p "$outdir" || fail "cannot make $outdir"
outdir=$(cd "$outdir" && pwd -P) || fail "cannot enter $outdir"
[ -w "$outdir" ] || fail "cannot write to $outdir"
trusted "$outdir" ||
    fail "$outdir, or a directory above it, is not root's alone: another user could put a link where the grades go"
case $outdir/ in
"$subs"/*) bad "OUTDIR $outdir is inside SUBMISSIONS_DIR" ;;
esac

# the run's own files: root's alone, outside /tmp (no sandbox sees /run)
state=/run/closelab-grade
{ mkdir -p "$state" && chmod 700 "$state"; } || fail "cannot make $state"
run=$(mktemp -d "$state/run.XXXXXX") || fail "cannot make a directory in $state"
runid=${run##*/}
# shellcheck source=grade/cgroup.sh
. "$gradedir/grade/cgroup.sh"
cg_init
[ -z "$cg_why" ] || echo "$me: $cg_why" >&2
# interrupted (SIGINT, SIGTERM, SIGHUP): every sandbox of this run and
# every process of its uids ends, and the run's files go
# shellcheck disable=SC2317 # called by the trap
abort() {
	trap - INT TERM HUP PIPE
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	clear_sandbox "$runid."
	for f in "$run"/uid.*; do
		[ ! -f "$f" ] || clear_uid "$(cat "$f")"
	done
	for f in "$run"/cgroup.*; do
		[ ! -f "$f" ] || { cg_kill "$(cat "$f")"; cg_remove "$(cat "$f")"; }
	done
	exit 130
}
# the reader of its output gone (SIGPIPE): once the grades are written, the
# summary alone is lost; before, the run ends as if interrupted
# shellcheck disable=SC2317 # called by the trap
reader_gone() {
	[ -z "$graded" ] || exit "$status"
	abort
}
pids=''
graded=''
trap 'rm -rf "$run"' EXIT
trap abort INT TERM HUP
trap reader_gone PIPE
# the sandbox's script as it is now: a tree changed while a class is graded
# cannot change it under a running sandbox
# (or, with --sandbox none, the script that does without one)
script=sandbox.sh isolated="unshare --net --mount --propagation private --ipc --cgroup"
if [ "$sandbox" = none ]; then
	script=bare.sh isolated=
	echo "$me: no sandbox (--sandbox none): each submission runs as an unprivileged uid, with the files, network and processes of this machine or container that any user reaches" >&2
fi
cp "$gradedir/grade/$script" "$run/$script" || fail "cannot copy the sandbox's script"
[ "$assignment" = full ] || printf '%s\n' "$weights_tsv" >"$run/weights" ||
    fail "cannot write the weights"
started=$(date +%s)

# the students: the subdirectories, in order; a name is printed with '?' for
# a byte that is not printable (CSV, XML and the screen)
if [ -n "$(find "$subs" -mindepth 1 -maxdepth 1 -name '*[[:cntrl:]]*' | head -n 1)" ]; then
	fail "a submission's name in $subs holds a control character: rename it"
fi
find "$subs" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -exec basename {} \; |
    LC_ALL=C sort >"$run/students"
n=$(wc -l <"$run/students")
[ "$n" -gt 0 ] || bad "$subs holds no submission (a subdirectory a student)"

# the expected tests of each file, in order: FILE<TAB>N<TAB>NAME; the
# lesson's are the judge's checks, in the order of grade/lesson.tsv
if [ "$assignment" = lesson ]; then
	grep -v '^#' "$gradedir/grade/lesson.tsv" | awk -F '\t' 'NF { printf "lesson\t%d\t%s\n", ++n, $1 }'
else
	for f in $files; do
		sed -n 's/^@test "\(.*\)" {$/\1/p' "$gradedir/tests/$f" | awk -v f="${f%.bats}" \
		    '{ printf "%s\t%d\t%s\n", f, NR, $0 }'
	done
fi >"$run/expected"

# claim_uid SLOT FIRST FD: sets uid, an unprivileged uid for this slot from
# FIRST on (every jobs-th of 1000), held (flock on FD) while the slot runs:
# no passwd entry, no process, no other grading run's; 1 if there is none
claim_uid() {
	uid=$(($2 + $1))
	while [ "$uid" -lt $(($2 + 1000)) ]; do
		if ! getent passwd "$uid" >/dev/null 2>&1 && ! getent group "$uid" >/dev/null 2>&1; then
			eval "exec $3>\"\$state/uid.\$uid\""
			if flock -n "$3"; then
				if ! pgrep -u "$uid" >/dev/null; then
					echo "$uid" >"$run/uid.$1.$3"
					return 0
				fi
				flock -u "$3"
			fi
			eval "exec $3>&-"
		fi
		uid=$((uid + jobs))
	done
	return 1
}

# clear_uid UID: kill every process of UID and wait until none is left
# (at most 10 s); 1 if one stays
clear_uid() {
	end=$(($(date +%s) + 10))
	while pgrep -u "$1" >/dev/null; do
		setpriv --reuid="$1" --regid="$1" --clear-groups kill -s KILL -- -1 2>/dev/null
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# sandbox_procs TAG: the pids of the processes of the sandbox TAG (they carry
# CLOSELAB_GRADE_SANDBOX=TAG in their environment; TAG. : every sandbox of
# this run)
# shellcheck disable=SC2317 # called through kill_listed
sandbox_procs() {
	grep -lzF "CLOSELAB_GRADE_SANDBOX=$1" /proc/[0-9]*/environ 2>/dev/null |
	    sed 's|^/proc/\([0-9]*\)/environ$|\1|' | grep -vx "$$" | while read -r p; do
		# root's alone: a student may put any variable in its environment
		[ "$(stat -c %u "/proc/$p" 2>/dev/null)" != 0 ] || echo "$p"
	done
}

# clear_sandbox TAG: no process of the sandbox is left, its namespaces end
# with the last one (at most 10 s); 1 if one stays
clear_sandbox() {
	kill_listed sandbox_procs "$1"
}

# not_graded OUT WHY: the student's row will read "not graded" and why
not_graded() {
	printf 'not-graded\t%s\n' "$2" >>"$1/status"
	echo "not graded: $2" >>"$1/sandbox.log"
}

# grade_one STUDENT UID TESTER TAG: build and test one submission in its
# sandbox, in a cgroup of its own; 1 if it could not be graded (its row
# says why). A subshell: the slots share no variable.
grade_one() (
	out=$outdir/$1
	{ rm -rf "$out" && mkdir -p "$out"; } || { echo "$me: cannot make $out" >&2; return 1; }
	sb=$run/sb.$4
	mkdir -m 700 "$sb" || { not_graded "$out" "cannot make its sandbox's directory"; return 1; }
	t0=$(date +%s)
	echo "graded as uid $2 (tests as uid $3), sandbox $4, deadline $student_s s, $cpu_s s of CPU" \
	    >"$out/sandbox.log"
	cg=
	if [ -n "$cg_dirs" ]; then
		cg=$(cg_make "closelab-grade.$4" $((memory_mib * 1048576)) "$pids_max") ||
		    { not_graded "$out" "cannot make its cgroup"; cg_remove "$cg"; return 1; }
		echo "$cg" >"$run/cgroup.$4"
	fi
	# the sandbox's environment, from nothing; its namespaces (isolated: words)
	# shellcheck disable=SC2086
	cg_exec "$cg" env -i PATH="$PATH" LANG=C CLOSELAB_GRADE_SANDBOX="$4" \
	    CLOSELAB_GRADE_FILES="$files" CLOSELAB_GRADE_BUILD_S="$build_s" \
	    CLOSELAB_GRADE_REQUIRE="$require" \
	    CLOSELAB_GRADE_FILE_S="$file_s" ${DEADLINE_S:+DEADLINE_S="$DEADLINE_S"} \
	    ${CLOSELAB_GRADE_TEST_S:+CLOSELAB_GRADE_TEST_S="$CLOSELAB_GRADE_TEST_S"} \
	    ${CLOSELAB_GRADE_NPROC:+CLOSELAB_GRADE_NPROC="$CLOSELAB_GRADE_NPROC"} \
	    ${CLOSELAB_GRADE_TMPFS:+CLOSELAB_GRADE_TMPFS="$CLOSELAB_GRADE_TMPFS"} \
	    CLOSELAB_GRADE_SRC="$subs/$1" CLOSELAB_GRADE_OUT="$out" \
	    $isolated sh "$run/$script" "$gradedir" "$sb" "$2" "$3" \
	    </dev/null >>"$out/sandbox.log" 2>&1 7>&- 8<&- 9>&- &
	pid=$!
	# its deadline (the grader's failure: the sandbox's own deadlines come
	# first) and its CPU time (the student's: its programs spin or fork
	# without end), watched
	why='' spun=''
	while kill -0 "$pid" 2>/dev/null; do
		if [ $(($(date +%s) - t0)) -ge "$student_s" ]; then
			why="it was stopped at its deadline ($student_s s)"
		elif [ -n "$cg" ] && [ "$(cg_cpu_s "$cg")" -ge "$cpu_s" ]; then
			spun="its programs were stopped when they had used $cpu_s s of CPU: they spin, or fork without end"
		else
			sleep 0.2
			continue
		fi
		kill -KILL "$pid"
		break
	done
	wait "$pid"
	status=$?
	echo "$(($(date +%s) - t0)) s: the sandbox has ended, exit $status" >>"$out/sandbox.log"
	[ -z "$cg" ] || cg_report "$cg" >>"$out/sandbox.log"
	ok=0
	cg_kill "$cg" || { echo "a process of its cgroup stayed" >>"$out/sandbox.log"; ok=1; }
	clear_sandbox "$4" || { echo "a process of the sandbox stayed" >>"$out/sandbox.log"; ok=1; }
	clear_uid "$2" || { echo "a process of uid $2 stayed" >>"$out/sandbox.log"; ok=1; }
	clear_uid "$3" || { echo "a process of uid $3 stayed" >>"$out/sandbox.log"; ok=1; }
	if cg_remove "$cg"; then
		rm -f "$run/cgroup.$4"
	else
		echo "its cgroup could not be removed" >>"$out/sandbox.log"
	fi
	# the empty mount point (the mounts were the namespace's)
	rmdir "$sb"
	if [ -n "$spun" ]; then
		printf 'stopped\t%s\n' "$spun" >>"$out/status"
		echo "$spun" >>"$out/sandbox.log"
		return 0
	elif [ -n "$why" ]; then
		not_graded "$out" "$why"
	elif [ "$status" -ne 0 ]; then
		last=$(grep '^sandbox: ' "$out/sandbox.log" | tail -n 1)
		not_graded "$out" "its sandbox failed (${last:-exit $status})"
	elif [ "$(tail -n 1 "$out/status" 2>/dev/null)" != graded ]; then
		not_graded "$out" "its sandbox ended before its results were kept"
	elif [ "$ok" -ne 0 ]; then
		not_graded "$out" "a process of its sandbox could not be killed"
	else
		return 0
	fi
	return 1
)

# slot K: claim a student's uid and a tester's, then grade the students no
# other slot has taken
slot() {
	claim_uid "$1" "$uid_base" 9 || { echo "$me: no free uid from $uid_base for slot $1" >&2; return 1; }
	student_uid=$uid
	claim_uid "$1" $((uid_base + 1000)) 7 ||
	    { echo "$me: no free uid from $((uid_base + 1000)) for slot $1" >&2; return 1; }
	tester_uid=$uid
	slot_ok=0
	i=0
	while IFS= read -r s <&8; do
		i=$((i + 1))
		mkdir "$run/claim.$i" 2>/dev/null || continue
		grade_one "$s" "$student_uid" "$tester_uid" "$runid.$1.$i" || slot_ok=1
	done 8<"$run/students"
	return $slot_ok
}

[ "$jobs" -le "$n" ] || jobs=$n
k=0
while [ "$k" -lt "$jobs" ]; do
	slot "$k" &
	pids="$pids $!"
	k=$((k + 1))
done
status=0
for pid in $pids; do
	wait "$pid" || status=1
done
[ "$(find "$run" -maxdepth 1 -name 'claim.*' | wc -l)" -eq "$n" ] || status=1

# each student's results: OUTDIR/STUDENT/results.tsv, FILE<TAB>NAME<TAB>
# pass|fail|skip<TAB>reason, the expected tests in order
tab=$(printf '\t')
while IFS= read -r s; do
	out=$outdir/$s
	# built, build-failed, stopped or not-graded, from the sandbox's status
	# and the grader's verdict on the sandbox (its last line, if it gave one)
	state_=not-graded
	why="no slot could grade it"
	if [ -f "$out/status" ]; then
		line=$(grep -E "^(not-graded|stopped)$tab" "$out/status" | tail -n 1)
		[ -n "$line" ] || line=$(head -n 1 "$out/status")
		state_=${line%%"$tab"*}
		why=
		[ "$state_" = "$line" ] || why=${line#*"$tab"}
	fi
	[ "$state_" != not-graded ] || status=1
	inputs=
	for f in $files; do
		for x in results reasons evidence; do
			[ ! -f "$out/${f%.bats}.$x" ] || inputs="$inputs ${f%.bats}.$x"
		done
	done
	# why, the student's own words, through the environment: awk -v would
	# read its backslashes as escapes
	# shellcheck disable=SC2086 # a list of files
	(cd "$out" 2>/dev/null && GRADE_WHY=$why LC_ALL=C awk -F '\t' -v state="$state_" \
	    -v file_s="$file_s" -v expected="$run/expected" -f "$gradedir/grade/results.awk" \
	    "$run/expected" $inputs >results.tsv) ||
	    { echo "$me: cannot write $out/results.tsv" >&2; status=1; }
done <"$run/students"

# grades.csv, junit.xml and the summary, from every results.tsv
while IFS= read -r s; do
	printf '%s\t%s\n' "$(printf '%s\n' "$s" | LC_ALL=C tr -c '[:print:]\n' '?')" "$s"
	cat "$outdir/$s/results.tsv"
	echo
done <"$run/students" | LC_ALL=C awk -F '\t' -v csv="$outdir/grades.csv.tmp" \
    -v xml="$outdir/junit.xml.tmp" -v counts="$run/counts" -v outdir="$outdir" \
    -v weights="$([ "$assignment" = full ] || echo "$run/weights")" -f "$gradedir/grade/report.awk" \
    >"$run/summary" || status=1
: >>"$run/counts"
mv "$outdir/grades.csv.tmp" "$outdir/grades.csv" && mv "$outdir/junit.xml.tmp" "$outdir/junit.xml" ||
    status=1
# the grades are written: a reader gone now loses the summary alone
graded=1
cat "$run/summary"
printf '\n%d submissions graded in %d s, %d at once; the most common mistakes:\n' \
    "$n" "$(($(date +%s) - started))" "$jobs"
if [ -s "$run/counts" ]; then
	LC_ALL=C sort -t "$(printf '\t')" -k 1,1nr -k 2 "$run/counts" | head -n 8 |
	    LC_ALL=C awk -F '\t' '{
		printf "  %2d  %s\n", $1, (length($2) > 94 ? substr($2, 1, 91) "..." : $2) }'
else
	echo "  none"
fi
echo "Grades in $outdir/grades.csv and junit.xml; logs in $outdir/STUDENT/"
[ "$status" -eq 0 ] || echo "$me: a submission could not be graded in full: see its sandbox.log" >&2
exit "$status"
