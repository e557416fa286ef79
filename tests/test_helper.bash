# test_helper.bash: what every closelab test file loads.
# shellcheck disable=SC2034 # SERVER, CLIENT, MS, PORT...: for the test files
#
# Servers start on port 0 and are waited for through their port file; every
# wait has a deadline, and so has every program under test. Timestamps come
# from the logs (CLOCK_MONOTONIC, one clock for every process on the host),
# so tests assert order and lower bounds, never a sleep.
#
# A check that fails says, with mistake(), what the program did wrong in one
# sentence for a student, followed by where its logs are.

bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# the programs under test: these, or another implementation of the contract
SERVER=${SERVER:-$TOP/bin/server}
CLIENT=${CLIENT:-$TOP/bin/client}

# How long any wait, or any run of a program under test, may take before the
# test fails: far beyond what it needs.
DEADLINE_S=${DEADLINE_S:-10}
MS=1000000	# nanoseconds in a millisecond

# starting, waiting for and stopping a server: as the demo and bench do
# shellcheck source=common/serverctl.sh
. "$TOP/common/serverctl.sh"

# Where the programs under test write: LOGS the server (its log, its port
# file), CLOGS the client. The tests read there, and never write there.
LOGS=$BATS_TEST_TMPDIR
CLOGS=$BATS_TEST_TMPDIR

# A grading run (grade/sandbox.sh) runs the tests as the tester, an
# unprivileged uid, and the programs under test as the student's
# (CLOSELAB_SANDBOX_UID). The student may write in LOGS, and in CLOGS when
# the client is its own (CLOSELAB_SANDBOX_PROGRAMS), and nowhere else that
# the tests write: a link it plants there leads the tests nowhere.
if [ -n "${CLOSELAB_SANDBOX_UID:-}" ]; then
	chmod 711 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" "$BATS_TEST_TMPDIR"
	LOGS=$BATS_TEST_TMPDIR/server
	CLOGS=$BATS_TEST_TMPDIR/client
	mkdir -p "$LOGS" "$CLOGS"
	chown "$CLOSELAB_SANDBOX_UID" "$LOGS"
	case " ${CLOSELAB_SANDBOX_PROGRAMS:-} " in
	*" client "*) chown "$CLOSELAB_SANDBOX_UID" "$CLOGS" ;;
	esac
fi
SLOG=$LOGS/server.log
CLOG=$CLOGS/client.log

# mistake SENTENCE: say what the program under test did wrong, then where the
# logs are; fails. A program that could not be run (exit 126 or 127) has
# its last words quoted. With CLOSELAB_REASONS=FILE (a grading run), the
# first sentence of a failed test is appended to FILE as "test<TAB>sentence".
mistake() {
	local f logs='' said sentence
	# one line of printable text, whatever of the program's it quotes
	sentence=$(printf '%s' "$1" | LC_ALL=C tr -c '[:print:]' '?')
	if [ "${status:-0}" -eq 126 ] || [ "${status:-0}" -eq 127 ]; then
		said=$({ cat "$BATS_TEST_TMPDIR/client.err" 2>/dev/null; printf '%s\n' "${output:-}"; } |
		    grep -v '^[[:space:]]*$' | tail -n 1 | LC_ALL=C tr -c '[:print:]\n' '?' | cut -c 1-160)
		[ -z "$said" ] || sentence="$sentence; it could not be run: $said"
	fi
	if [ -n "${CLOSELAB_KEEP:-}" ]; then
		logs=" $CLOSELAB_GRADE_LOGS/$(basename "$BATS_TEST_FILENAME" .bats)-$BATS_TEST_NUMBER/"
	else
		for f in "$SLOG" "$CLOG"; do
			[ ! -s "$f" ] || logs="$logs $f"
		done
	fi
	echo "$sentence${logs:+ (logs:$logs)}" >&2
	if [ -n "${CLOSELAB_REASONS:-}" ] && [ ! -e "$BATS_TEST_TMPDIR/.reason" ]; then
		printf '%s\t%s\n' "$BATS_TEST_DESCRIPTION" "$sentence" >>"$CLOSELAB_REASONS"
		: >"$BATS_TEST_TMPDIR/.reason"
	fi
	return 1
}

# who ARGS...: "the server" or "the client", whichever of them ARGS run
who() {
	local a
	for a; do
		case $a in
		"$SERVER") echo "the server"; return ;;
		"$CLIENT") echo "the client"; return ;;
		esac
	done
	echo "the program"
}

# run_program COMMAND ARGS...: bats' run, bounded: killed after DEADLINE_S
# seconds, which is a mistake; HANG= names it (the sentence begins with it).
run_program() {
	local started
	started=$(now_us)
	if [ -n "${CLOSELAB_SANDBOX_UID:-}" ]; then
		# a grading run: a program killed at the deadline may have left
		# processes (a fork bomb, a daemon) that hold run's pipe open, and
		# run would wait for them; every process of the uid ends with it
		# shellcheck disable=SC2016 # for the inner shell to expand
		run bash -c 'timeout -k 2 "$1" "${@:3}"
			s=$?
			if [ "$s" -eq 124 ] || [ "$s" -eq 137 ]; then
				setpriv --reuid="$2" --regid="$2" --clear-groups kill -s KILL -- -1 2>/dev/null
			fi
			exit "$s"' run_program "$DEADLINE_S" "$CLOSELAB_SANDBOX_UID" "$@"
	else
		run timeout -k 2 "$DEADLINE_S" "$@"
	fi
	if ran_out "$started"; then
		if [ -n "${HANG:-}" ]; then
			mistake "$HANG: $(who "$@") was still running ${DEADLINE_S} s after it was started with '${*:2}'"
		else
			mistake "$(who "$@") was still running ${DEADLINE_S} s after it was started with '${*:2}': it should have ended by then"
		fi
	fi
}

# now_us: the time in microseconds (bash 5's EPOCHREALTIME; elsewhere in
# whole seconds)
now_us() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		echo "${EPOCHREALTIME/[.,]/}"
	else
		echo "$(($(date +%s) * 1000000))"
	fi
}

# ran_out START: the program started at START (now_us) and ended with
# $status was stopped by its deadline: it hung. A program that killed
# itself, or exited 124, before its deadline did not.
ran_out() {
	local slack=0
	[ -n "${EPOCHREALTIME:-}" ] || slack=1000000
	[ "$status" -eq 124 ] || [ "$status" -eq 137 ] || return 1
	(($(now_us) - $1 + slack >= DEADLINE_S * 1000000))
}

# run_limited N PROGRAM ARGS...: run_program with the descriptor limit N
run_limited() {
	# shellcheck disable=SC2016 # for the inner shell or awk to expand
	run_program bash -c 'ulimit -n "$1" && shift && exec "$@"' limited "$@"
}

# use_faults: sets FAULTS, the library that makes system calls fail on
# purpose (tests/fault/fault.c: LD_PRELOAD=$FAULTS CLOSELAB_FAULT=CALL:N:ERRNO),
# built once a run; skips where it cannot be loaded.
use_faults() {
	FAULTS=$BATS_RUN_TMPDIR/fault.so
	[ -z "${CLOSELAB_SANITIZED:-}" ] || skip "a sanitizer's runtime must come first in LD_PRELOAD"
	[ "$(uname -s)" = Linux ] || skip "fault injection with LD_PRELOAD is tried on Linux"
	[ -f "$FAULTS" ] && return
	command -v cc >/dev/null || skip "needs cc to build the fault library"
	# FAULT_CFLAGS: as the programs under test were built (-m32)
	# shellcheck disable=SC2086 # a list of flags
	cc ${FAULT_CFLAGS:-} -shared -fPIC -o "$FAULTS.$$" "$TOP/tests/fault/fault.c" &&
	    mv "$FAULTS.$$" "$FAULTS"
}

# start_server ARGS...: start a server on port 0 in the background and wait
# for its port file. Sets PORT and SERVER_PID. It logs to SLOG, unless SLOG
# is empty. SERVER_WRAP, if set, is a command the server runs under.
start_server() {
	SERVER_ERR=$BATS_TEST_TMPDIR/server.err server_start "$LOGS" ${SLOG:+--log "$SLOG"} "$@" ||
	    mistake "the server did not write its port file: with --port 0 --port-file FILE it must listen on a free port and write it to FILE"
}

# grader_unavailable: why bin/grade cannot run here (root, the tools and
# the namespaces it needs), or nothing
grader_unavailable() {
	local t
	if [ "$(id -u)" != 0 ]; then
		echo "bin/grade needs root: uids and namespaces of its own for each submission"
		return
	fi
	for t in unshare setpriv prlimit ip flock chroot; do
		if ! command -v "$t" >/dev/null; then
			echo "bin/grade needs $t, which is not installed"
			return
		fi
	done
	unshare --net --mount --user true 2>/dev/null ||
	    echo "unshare --net --mount --user does not work here"
}

# need_nobody: skips unless this test can run a program as nobody
need_nobody() {
	[ "$(id -u)" = 0 ] || skip "needs root, to run it as another user"
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	local p
	for p in "$TOP/bin/server" ${SERVER:+"$SERVER"} ${CLIENT:+"$CLIENT"} ${HOLDERS:+"$HOLDERS"}; do
		as_nobody test -x "$p" || skip "the user nobody cannot run $p"
	done
}

# as_nobody COMMAND...: COMMAND as the user nobody; a sanitizer's report
# file would be root's: on stderr (make check)
as_nobody() {
	env -u ASAN_OPTIONS -u UBSAN_OPTIONS setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# grader_setup: in a setup_file, whether bin/grade can run here; 1 if not,
# and then graded skips each test, saying why
grader_setup() {
	export NOT_GRADED=$BATS_FILE_TMPDIR/not-graded
	grader_unavailable >"$NOT_GRADED"
	[ ! -s "$NOT_GRADED" ] || return 1
	rm -f "$NOT_GRADED"
}

# graded: the grading of setup_file ran (or skip, saying why not)
graded() {
	[ ! -f "$NOT_GRADED" ] || skip "$(cat "$NOT_GRADED")"
}

# graded_uids GRADES: the uids a grading run's sandboxes ran as, the
# students' and the testers', from each sandbox.log
graded_uids() {
	sed -n 's/^graded as uid \([0-9]*\) (tests as uid \([0-9]*\)),.*/\1 \2/p' \
	    "$1"/*/sandbox.log | tr ' ' '\n' | sort -u
}

# graded_run GRADES: the grading run's id (run.XXXXXX), from "sandbox
# RUN.SLOT.N" in its sandbox logs
graded_run() {
	sed -n 's/^graded as .*, sandbox \(run\.[^.]*\)\..*/\1/p' "$1"/*/sandbox.log | sort -u
}

# left_behind GRADES: the processes of the uids that a grading run's
# sandboxes ran as (graded_uids) that are still there; but those of
# another grading run (a suite of another tree's), which took a uid once
# this one let it go: they are in that run's cgroup. A process that is gone
# by the time its cgroup is read was not left behind (another run's, ending),
# nor one that is exiting: it has let go of its memory, and of its command
# line with it (one was seen so beside a grading of another tree's).
left_behind() {
	local run u p cgroup cmd
	run=$(graded_run "$1")
	for u in $(graded_uids "$1"); do
		for p in $(pgrep -u "$u"); do
			if ! cgroup=$(cat "/proc/$p/cgroup" 2>/dev/null) ||
			    ! cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || [ -z "$cmd" ]; then
				continue
			fi
			if [[ $cgroup == *closelab-grade.run.* && $cgroup != *"closelab-grade.$run."* ]]; then
				continue
			fi
			echo "$p $cmd"
		done
	done
}

# usage_error PROGRAM MESSAGE ARGS...: exit 2, MESSAGE first, then the usage
usage_error() {
	local program=$1 message=$2 name
	shift 2
	name=$(basename "$program")
	HANG="$(who "$program") hung on bad input instead of refusing it at once with exit 2" \
	    run_program "$program" "$@"
	assert_failure 2 ||
	    mistake "$(who "$program") given '$*' exited $status: bad input must be refused with exit 2"
	assert_line --index 0 "$name: $message" ||
	    mistake "$(who "$program") given '$*' did not say '$name: $message' first"
	assert_line --index 1 --regexp "^usage: $name " ||
	    mistake "$(who "$program") given '$*' did not print its usage after the error"
}

# The test programs written the ordinary way, in Python (tests/programs).
PROGRAMS=$TOP/tests/programs
PROG_PID=
NETNS=
CGROUP_TOP=

# need_python: python3, installed with apt-get where it is missing and we can
need_python() {
	command -v python3 >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y -q python3 >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 &&
		    apt-get install -y -q python3 >/dev/null 2>&1; } || true
	fi
	command -v python3 >/dev/null 2>&1 ||
	    skip "python3 is not installed, and apt-get cannot install it here"
}

# start_program NAME ARGS...: a program of tests/programs on port 0, its
# background jobs bounded to 20 s; sets PORT and PROG_PID
start_program() {
	need_python
	rm -f "$BATS_TEST_TMPDIR/port"
	python3 "$PROGRAMS/$1" --port-file "$BATS_TEST_TMPDIR/port" --keep 20 "${@:2}" \
	    2>"$BATS_TEST_TMPDIR/program.err" 3>&- &
	PROG_PID=$!
	# closelab's own program: the wait is longer (a loaded machine can take
	# seconds to start python), and a failure is not the graded program's
	DEADLINE_S=$((DEADLINE_S * 3)) wait_until "the program's port file" program_listening ||
	    mistake "the test's own program, $1, did not start: not a mistake of the program under test"
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
}

program_listening() {
	[ -s "$BATS_TEST_TMPDIR/port" ] && return 0
	kill -0 "$PROG_PID" 2>/dev/null || return 255
	return 1
}

# start_client ARGS...: the client in the background, bounded, against the
# server; CLIENT_PID, its output in client.out. wait_client waits for it.
start_client() {
	CLIENT_STARTED=$(now_us)
	timeout -k 2 "$DEADLINE_S" "$CLIENT" --port "$PORT" "$@" >"$BATS_TEST_TMPDIR/client.out" \
	    2>"$BATS_TEST_TMPDIR/client.err" 3>&- &
	CLIENT_PID=$!
}

# wait_client: wait for the client of start_client; its exit status in
# $status, its output in $output and $lines, as bats' run sets them.
wait_client() {
	status=0
	wait "$CLIENT_PID" || status=$?
	CLIENT_PID=
	output=$(cat "$BATS_TEST_TMPDIR/client.out")
	lines=()
	[ -z "$output" ] || mapfile -t lines <<<"$output"
	if ran_out "$CLIENT_STARTED"; then
		mistake "the client was still running ${DEADLINE_S} s after it was started: it should have ended by then"
	fi
}

# cue_client: SIGUSR1 to the client of start_client, which must log to
# $CLOG: its pid is taken from its log, whatever runs it
cue_client() {
	local pid
	pid=$(values "$CLOG" pid ev=connect | head -n 1)
	[ -n "$pid" ] && kill -USR1 "$pid"
}

# wait_for_event FILE KEY=VALUE...: wait until FILE logs such an event.
wait_for_event() {
	wait_until "'${*:2}' in $(basename "$1")" has_event "$@"
}

# earliest FILE 'KEY=VALUE...' 'KEY=VALUE...'...: of the first events of
# FILE matching each group of pairs, the one with the smallest t=
earliest() {
	local file=$1 pairs line best='' t
	shift
	for pairs; do
		# shellcheck disable=SC2086 # the pairs, one a word
		line=$(event "$file" $pairs) || continue
		t=$(field "$line" t)
		if [ -z "$best" ] || [ "$t" -lt "$(field "$best" t)" ]; then
			best=$line
		fi
	done
	[ -n "$best" ] && echo "$best"
}

# t_of FILE KEY=VALUE...: the t= (ns) of that event (NTH=n: the n-th);
# fails if there is none.
t_of() {
	local line
	if ! line=$(event "$@"); then
		echo "no event '${*:2}' in $(basename "$1")" >&2
		return 1
	fi
	line=${line#t=}
	line=${line%% *}
	# a number, which the tests' arithmetic may read: nothing else
	if [[ ! $line =~ ^[0-9]{1,19}$ ]]; then
		echo "the t= of '${*:2}' in $(basename "$1") is not a number" >&2
		return 1
	fi
	echo "$line"
}

# A client still running at the deadline waited for an end that never came.
NO_FIN="the server never ended the connection, for a process of the server still held the socket (a parent or a worker that never closes its copy)"

# client ARGS...: run the client against the server, logging to CLOG.
client() {
	HANG=${HANG:-$NO_FIN} run_program "$CLIENT" --port "$PORT" --log "$CLOG" "$@"
}

# The processes a server forked, from its log: pids alone.
server_children() {
	{
		values "$SLOG" "worker helper wire" ev=spawn
		values "$SLOG" child ev=fork
	} | grep -E '^[1-9][0-9]{0,9}$'
}

# spawned N: the server has logged forking N children (server_children)
spawned() {
	[ "$(server_children | wc -l)" -eq "$1" ]
}

# reaped N: the server has logged the exit of N children
reaped() {
	[ "$(values "$SLOG" child ev=exit | wc -l)" -eq "$1" ]
}

# children_gone: no process the server forked (from SLOG) is still running.
children_gone() {
	local child
	for child in $(server_children); do
		if ! gone "$child"; then
			echo "server child $child is still running" >&2
			return 1
		fi
	done
}

# kill_server: SIGKILL the server's parent, outright, and reap it; teardown
# then only checks what it left. KILLED_PID: its pid.
kill_server() {
	KILLED_PID=$SERVER_PID
	SERVER_PID=
	kill -KILL "$KILLED_PID"
	wait "$KILLED_PID" || true
}

# stop_server: SIGTERM (unless a test signalled it already), wait at most
# DEADLINE_S; the server must exit 0 and leave no child.
stop_server() {
	local status=0
	server_stop || status=$?
	if [ "$status" -eq 124 ]; then
		mistake "the server was still running ${DEADLINE_S} s after SIGTERM: it must stop accepting, end its workers and exit"
		return
	fi
	wait_until "the server's children to exit" children_gone ||
	    mistake "a process the server forked was still running after the server exited: it must end and reap every child"
	if [ "$status" -ne 0 ]; then
		mistake "the server exited with status $status after SIGTERM: a server stopped by a signal exits 0"
	fi
}

teardown() {
	closelab_teardown
}

# Stop the server if it runs, check it left nothing, show the logs (bats
# shows them only when the test failed). A file with its own teardown calls it.
# in_netns NAME: a network namespace of this test's (ip netns), its
# loopback up; removed in teardown
in_netns() {
	[ "$(id -u)" = 0 ] || skip "making a network namespace needs root"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	NETNS=$1-$$-$BATS_TEST_NUMBER
	ip netns add "$NETNS" || skip "cannot make a network namespace here"
	ip -n "$NETNS" link set lo up
}

# make_cgroup PATH: a cgroup named as a runtime names it, at PATH beneath a
# cgroup of this test's beneath its own (the unified hierarchy's), removed
# in teardown; CGROUP its directory. A process enters it itself, through
# SERVER_WRAP, before it starts anything. Skips where none can be made.
make_cgroup() {
	local mnt own
	[ "$(id -u)" = 0 ] || skip "making a cgroup needs root"
	mnt=$(findmnt -n -t cgroup2 -o TARGET 2>/dev/null | head -n 1)
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	if [ -z "$mnt" ] || [ -z "$own" ]; then
		skip "no cgroup v2 hierarchy here"
	fi
	CGROUP_TOP=$mnt${own%/}/closelab-test-$$-$BATS_TEST_NUMBER
	CGROUP=$CGROUP_TOP/$1
	mkdir -p "$CGROUP" 2>/dev/null || skip "cannot make a cgroup beneath $mnt$own"
	printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" || exit 1\nexec "$@"\n' "$CGROUP" \
	    >"$BATS_TEST_TMPDIR/in-cgroup"
	chmod 755 "$BATS_TEST_TMPDIR/in-cgroup"
	SERVER_WRAP=$BATS_TEST_TMPDIR/in-cgroup
}

# cgroup_empty DIR: no process is left in the cgroup DIR, or beneath it
cgroup_empty() {
	grep -qx 'populated 0' "$1/cgroup.events"
}

closelab_teardown() {
	local failed=0 f
	if [ -n "${CLIENT_PID:-}" ]; then
		# timeout(1) leads a process group of its own: the client is in it
		kill -KILL -- "-$CLIENT_PID" 2>/dev/null || kill -KILL "$CLIENT_PID" 2>/dev/null || true
		wait "$CLIENT_PID" 2>/dev/null || true
	fi
	if [ -n "${SERVER_PID:-}" ]; then
		stop_server || failed=1
	fi
	if [ -n "${PROG_PID:-}" ]; then
		# the program made itself a process group: its handlers and helpers too
		kill -TERM -- "-$PROG_PID" 2>/dev/null || true
		wait "$PROG_PID" 2>/dev/null || true
	fi
	# the test's namespace, and its cgroups, deepest first: what is left in
	# one (a failed test's processes, the server's children still exiting)
	# is killed, and it is removed once the kernel says it is empty
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || :
	if [ -n "${CGROUP_TOP:-}" ]; then
		while read -r f; do
			if [ -e "$f/cgroup.kill" ]; then
				echo 1 >"$f/cgroup.kill"
			else	# before Linux 5.14
				xargs -r kill -KILL <"$f/cgroup.procs"
			fi 2>/dev/null || :
			wait_until "$f to be empty" cgroup_empty "$f" && rmdir "$f" || failed=1
		done < <(find "$CGROUP_TOP" -depth -type d 2>/dev/null)
	fi
	# a grading run: whatever the programs under test left behind ends here,
	# then the logs are kept
	if [ -n "${CLOSELAB_SANDBOX_UID:-}" ]; then
		setpriv --reuid="$CLOSELAB_SANDBOX_UID" --regid="$CLOSELAB_SANDBOX_UID" --clear-groups \
		    kill -s KILL -- -1 2>/dev/null || true
		keep_logs
	fi
	# shown by bats only when the test failed; the names in LOGS are the
	# programs', taken whole
	local files=("$BATS_TEST_TMPDIR"/*.err "$BATS_TEST_TMPDIR"/*.log "$BATS_TEST_TMPDIR"/*.out)
	[ "$LOGS" = "$BATS_TEST_TMPDIR" ] || files+=("$LOGS"/* "$CLOGS"/*)
	for f in "${files[@]}"; do
		if [ -s "$f" ]; then
			echo "--- ${f#"$BATS_TEST_TMPDIR"/}"
			show "$f"
		fi
	done
	return $failed
}

# show FILE: FILE's first 256 KiB, if it is a plain file (a program under
# test may have left a link or a pipe where its log should be)
show() {
	[ -f "$1" ] && [ ! -L "$1" ] && timeout 2 head -c 262144 -- "$1"
	return 0
}

# keep_logs: a grading run keeps every test's files, cut, in
# CLOSELAB_KEEP/N/ (the tester's: the sandbox copies a failed test's)
keep_logs() {
	local dir=$CLOSELAB_KEEP/$BATS_TEST_NUMBER f d n=0
	for d in "$BATS_TEST_TMPDIR" "$LOGS" "$CLOGS"; do
		mkdir -p "$dir/${d#"$BATS_TEST_TMPDIR"}" || return 0
		for f in "$d"/*; do
			case ${f##*/} in
			*[!A-Za-z0-9._-]*) continue ;;
			esac
			if [ -f "$f" ] && [ ! -L "$f" ] && [ $((n += 1)) -le 20 ]; then
				show "$f" >"$dir/${d#"$BATS_TEST_TMPDIR"}/${f##*/}"
			fi
		done
	done
}
