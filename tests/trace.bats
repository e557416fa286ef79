#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # worker_leaves_it_held sets parent, worker and held for its test
# bin/trace: each close, shutdown or exit that drops a TCP connection, as it
# happens. Against closelab's own server and Python servers written the
# ordinary way (tests/programs): the close that sends nothing because
# another process holds the socket, named; and the close or exit that sends
# the FIN later, with the time since. As root, with bpftrace (installed with
# apt-get where it is missing); skipped otherwise. Every wait is for a line
# or a file, with a deadline.

load test_helper

TRACE=${TRACE:-$TOP/bin/trace}
HOLDERS=${HOLDERS:-$TOP/bin/holders}
TRACE_LOG=$BATS_TEST_TMPDIR/trace.log
HELPER=

# bpftrace takes seconds to start (it reads the kernel's BTF): its own deadline
ATTACH_S=${ATTACH_S:-60}

setup_file() {
	local why=$BATS_FILE_TMPDIR/cannot d=$BATS_FILE_TMPDIR/probe
	if [ "$(uname -s)" != Linux ]; then
		echo "bin/trace needs Linux (eBPF)" >"$why"
		return
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "bin/trace needs root (bpftrace loads eBPF programs)" >"$why"
		return
	fi
	if ! command -v bpftrace >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
		apt-get install -y -q bpftrace >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 &&
		    apt-get install -y -q bpftrace >/dev/null 2>&1; } || true
	fi
	if ! command -v bpftrace >/dev/null 2>&1; then
		echo "bpftrace is not installed, and apt-get could not install it" >"$why"
		return
	fi
	# one try: can this host trace at all? (eBPF, BTF, tracefs)
	mkdir -p "$d"
	trace_start "$d/err" --port 1 >/dev/null || true
	trace_stop
	grep -q '^Attaching' "$d/err" || echo "tracing is not available here: $(tail -n 1 "$d/err")" >"$why"
}

setup() {
	if [[ $BATS_TEST_DESCRIPTION == usage:* ]]; then
		return
	fi
	if [ -s "$BATS_FILE_TMPDIR/cannot" ]; then
		skip "$(cat "$BATS_FILE_TMPDIR/cannot")"
	fi
}

teardown() {
	if [ -n "$HELPER" ]; then
		kill -TERM "$HELPER" 2>/dev/null || true
	fi
	closelab_teardown
	trace_stop
}

# start_trace ARGS...: the tracer on PORT, logging to TRACE_LOG, once it is ready
start_trace() {
	trace_start "$BATS_TEST_TMPDIR/trace.err" --port "$PORT" --log "$TRACE_LOG" "$@" ||
	    mistake "the tracer did not attach its probes: see trace.err"
}

# traced KEY=VALUE...: wait for the tracer's line with these fields; print it
traced() {
	wait_for_event "$TRACE_LOG" "$@" || return 1
	event "$TRACE_LOG" "$@"
}

# The worker that took the connection, from the server's log
worker_of_take() {
	wait_for_event "$SLOG" ev=take >/dev/null
	values "$SLOG" pid ev=take | head -n 1
}

# worker_leaves_it_held END: a server whose parent keeps its copy, traced,
# and a client; the worker's close (--end END) sends nothing, held by the
# parent. Sets parent, worker and held (the tracer's line of that close).
worker_leaves_it_held() {
	start_server --parent-keeps never --end "$1"
	parent=$SERVER_PID	# stop_server forgets it
	start_trace
	start_client --send hello --timeout 9000 --log "$CLOG"
	worker=$(worker_of_take)
	held=$(traced ev=drop call=close pid="$worker" sent=none why=held) ||
	    mistake "bin/trace did not log the worker's close as sending nothing because another process held the socket"
}

# after_is LINE FIRST-LINE: after= is the time between the two lines' t=
after_is() {
	local got want
	got=$(field "$1" after)
	want=$(awk -v a="$(field "$1" t)" -v b="$(field "$2" t)" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')
	assert_equal "$got" "$want" ||
	    mistake "bin/trace's after=$got was not the time since the first drop that sent nothing ($want ms between the two lines' t=)"
}

@test "usage: a bad option or value is one line and the usage, exit 2; --help and --version exit 0" {
	run "$TRACE" --port 0
	assert_failure 2 || mistake "bin/trace --port 0 must exit 2, a usage error"
	assert_line --index 0 "trace: --port needs a number from 1 to 65535, not '0'"
	assert_line --index 1 --regexp '^usage: trace \[--port P\]' ||
	    mistake "bin/trace's one line about a bad value was not followed by its usage"
	run "$TRACE" --comm 0123456789abcdef
	assert_failure 2 || mistake "bin/trace with a --comm of 16 bytes must exit 2, a usage error"
	assert_line --index 0 --partial "--comm: a command name of 1 to 15 bytes" ||
	    mistake "bin/trace did not say that --comm takes a command name of 1 to 15 bytes"
	run "$TRACE" --help
	assert_success || mistake "bin/trace --help must exit 0"
	run "$TRACE" --version
	assert_success || mistake "bin/trace --version must exit 0"
	assert_output --regexp '^trace \(closelab\) [0-9.]+$' ||
	    mistake "bin/trace --version did not print 'trace (closelab) VERSION'"
}

@test "usage: without bpftrace, or without root, one line says so and how to fix it; exit 1" {
	run env PATH=/nonexistent "$TRACE" --port 80
	assert_failure 1 || mistake "bin/trace without bpftrace must exit 1"
	assert_output "trace: bpftrace is not installed: apt-get install bpftrace"
	command -v bpftrace >/dev/null || skip "bpftrace is not installed: the check of root needs it"
	command -v setpriv >/dev/null || skip "needs setpriv"
	[ "$(id -u)" = 0 ] || skip "needs root to become another user"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$TRACE" --port 80
	assert_failure 1 || mistake "bin/trace without root must exit 1"
	assert_output "trace: tracing needs root: bpftrace loads eBPF programs"
}

@test "the parent keeps its copy: the worker's close sends nothing, still held by the parent; the parent's close sends the FIN later" {
	worker_leaves_it_held close
	# at that moment the parent held it: named with its command
	assert_equal "$(field "$held" holders)" "$parent(server)" ||
	    mistake "bin/trace did not name the parent, $parent (server), as the process that still held the socket"
	assert_equal "$(field "$held" refs)" 2 ||
	    mistake "bin/trace did not count 2 references to the socket at the worker's close"
	assert_equal "$(field "$held" comm)" server ||
	    mistake "bin/trace did not name the closing process's command, server"
	assert_equal "$(field "$held" state)" CLOSE_WAIT ||
	    mistake "bin/trace did not give the socket's state at the worker's close, CLOSE_WAIT"
	# the client is still waiting; the parent lets go when it stops
	run has_event "$CLOG" ev=eof
	assert_failure || mistake "the client saw EOF though the parent never closed its copy"
	stop_server
	fin=$(traced ev=drop call=close pid="$parent" sent=fin) ||
	    mistake "bin/trace did not log the parent's close at its stop as the one that sent the FIN"
	assert_equal "$(field "$fin" first)" "$worker" ||
	    mistake "bin/trace's FIN line did not name the worker as the first drop that sent nothing"
	after_is "$fin" "$held"
	assert_equal "$(field "$fin" conn)" "$(field "$held" conn)" ||
	    mistake "bin/trace named the connection of the FIN otherwise than at the worker's close"
	wait_client
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	# the same connection as the server names it, and in words in the timeline
	assert_equal "$(field "$held" conn)" "$(values "$SLOG" conn ev=take | head -n 1)" ||
	    mistake "bin/trace named the connection otherwise than the server's log"
	run "$TOP/bin/timeline" "$SLOG" "$CLOG" "$TRACE_LOG"
	assert_success || mistake "the timeline failed on the server's, the client's and the tracer's logs"
	run "$TOP/bin/timeline" "$TRACE_LOG"
	assert_success || mistake "the timeline failed on the tracer's log alone"
	words=$(tr -s ' \n' ' ' <<<"$output")
	[[ $words == *"trace: close by $worker (server) fd "*": nothing sent: still held by $parent (server) "* ]] ||
	    mistake "the timeline did not say in words that the worker's close sent nothing, still held by the parent"
	[[ $words == *"trace: close by $parent (server) fd "*": FIN left, $(field "$fin" after) ms after the first drop that sent nothing (pid $worker)"* ]] ||
	    mistake "the timeline did not say in words that the FIN left at the parent's close, and how long after the worker's"
}

@test "every field of the tracer's lines is one that events.h lists for ev=drop" {
	start_server --parent-keeps 100 --end close
	start_trace
	client --send hello
	traced ev=drop call=close pid="$SERVER_PID" sent=fin >/dev/null ||
	    mistake "bin/trace did not log the parent's close that sent the FIN"
	# the fields of X(DROP, ...), up to the line that ends it
	fields=$(sed -n '/X(DROP,/,/)$/p' "$TOP/common/events.h" | grep -o '[a-z]*=' | sort -u |
	    tr '\n' ' ')
	run awk -v fields="$fields state= " '{
		for (i = 6; i <= NF; i++) {
			k = substr($i, 1, index($i, "="))
			if (index(" " fields, " " k " ") == 0) { print "no field " k " in events.h: " $0; exit 1 }
		}
	}' "$TRACE_LOG"
	assert_success || mistake "bin/trace logged a field that events.h does not list for ev=drop"
}

@test "the parent keeps its copy 500 ms: the FIN leaves with its close, after the worker's" {
	start_server --parent-keeps 500 --end close
	start_trace
	client --send hello
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	worker=$(values "$SLOG" pid ev=take | head -n 1)
	held=$(traced ev=drop call=close pid="$worker" sent=none why=held) ||
	    mistake "bin/trace did not log the worker's close as sending nothing because the parent held the socket"
	fin=$(traced ev=drop call=close pid="$SERVER_PID" sent=fin first="$worker") ||
	    mistake "bin/trace did not log the parent's close as the one that sent the FIN, after the worker's"
	after_is "$fin" "$held"
	# the parent's close is the one its log calls the last
	assert_equal "$(values "$SLOG" keep ev=close pid="$SERVER_PID" holders=1-\>0)" timer ||
	    mistake "the server's log did not call the parent's close at the end of its keep the last ('holders=1->0 keep=timer')"
}

@test "--end leak: the parent's close sends nothing; the worker's exit sends the FIN" {
	start_server --end leak --grace 100
	parent=$SERVER_PID	# stop_server forgets it
	start_trace
	start_client --send hello --timeout 9000
	worker=$(worker_of_take)
	wait_for_event "$SLOG" ev=leak ||
	    mistake "the worker did not log that it never closes the connection ('ev=leak')"
	held=$(traced ev=drop call=close pid="$parent" sent=none why=held) ||
	    mistake "bin/trace did not log the parent's close as sending nothing because the worker held the socket"
	stop_server
	fin=$(traced ev=drop call=exit pid="$worker" sent=fin first="$parent") ||
	    mistake "bin/trace did not log the worker's exit as what sent the FIN, after the parent's close"
	assert_equal "$(field "$fin" comm)" server ||
	    mistake "bin/trace did not name the exiting worker's command, server"
	after_is "$fin" "$held"
	wait_client
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
}

@test "--spawn without --cloexec: the worker's close sends nothing, still held by the helper; its exit sends the FIN" {
	start_server --spawn 'exec sleep 30' --end close
	start_trace
	start_client --send hello --timeout 9000
	worker=$(worker_of_take)
	wait_for_event "$SLOG" ev=spawn helper= inherits=yes ||
	    mistake "the worker's spawn was not logged with 'inherits=yes'"
	HELPER=$(values "$SLOG" helper ev=spawn inherits=yes)
	held=$(traced ev=drop call=close pid="$worker" sent=none why=held) ||
	    mistake "bin/trace did not log the worker's close as sending nothing because another process held the socket"
	# the helper holds it: named server until it runs sh, sh until sh runs
	# exec (and the parent too, if the worker closed before it)
	[[ ,$(field "$held" holders), =~ ,$HELPER\((server|sh|sleep)\), ]] ||
	    mistake "the helper should hold the socket at the worker's close"
	kill -TERM "$HELPER"
	fin=$(traced ev=drop call=exit pid="$HELPER" sent=fin) ||
	    mistake "bin/trace did not log the helper's exit as what sent the FIN"
	[[ $(field "$fin" comm) =~ ^(server|sh|sleep)$ ]] ||
	    mistake "bin/trace named the exiting helper's command '$(field "$fin" comm)', not server, sh or sleep"
	# the first close that sent nothing: the parent's or the worker's
	first=$(field "$fin" first)
	[ "$first" = "$SERVER_PID" ] || [ "$first" = "$worker" ] ||
	    mistake "bin/trace's FIN line named $first as the first drop that sent nothing, neither the parent nor the worker"
	after_is "$fin" "$(event "$TRACE_LOG" ev=drop call=close pid="$first" sent=none)"
	wait_client
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
}

@test "a correct server: the worker's shutdown(SHUT_WR) sends the FIN while the parent holds the socket" {
	start_server --parent-keeps never --end shutdown
	start_trace
	client --send hello
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	worker=$(values "$SLOG" pid ev=take | head -n 1)
	line=$(traced ev=drop call=shutdown pid="$worker" how=SHUT_WR sent=fin) ||
	    mistake "bin/trace did not log the worker's shutdown(SHUT_WR) as sending the FIN"
	assert_equal "$(field "$line" refs)" 2 ||
	    mistake "bin/trace did not count 2 references to the socket at the worker's shutdown, the parent's and the worker's"
	# and the close after it has nothing more to send: not for want of it
	line=$(traced ev=drop call=close pid="$worker" sent=none) ||
	    mistake "bin/trace did not log the worker's close after its shutdown as sending nothing"
	[[ $(field "$line" why) == sent-before || $(field "$line" why) == closed ]] ||
	    mistake "bin/trace said the close after the shutdown sent nothing for '$(field "$line" why)', not because the FIN had left (sent-before) or the connection was closed"
}

@test "ForkingTCPServer whose handler forks a job: the server's close sends nothing, held by the handler; the FIN leaves a second later" {
	start_program forking_keeper.py --keep 1
	start_trace
	start_client --send job1 --timeout 9000
	held=$(traced ev=drop call=close pid="$PROG_PID" sent=none why=held) ||
	    mistake "bin/trace did not log the Python server's close as sending nothing because its handler held the socket"
	# the handler holds it, and the job it forks may already too: the
	# handler is the server's child (it says so: it may be gone before
	# /proc is read), and waits a second for its job
	wait_until "the handler to say who it is" grep -q "^handler [0-9]* of $PROG_PID\$" \
	    "$BATS_TEST_TMPDIR/program.err" || mistake "the Python server's handler never said its pid"
	handler=$(sed -n "s/^handler \([0-9]*\) of $PROG_PID\$/\1/p" "$BATS_TEST_TMPDIR/program.err")
	for h in $(field "$held" holders | tr ',' ' '); do
		[[ $h =~ ^([0-9]+)\(python[^\)]*\)$ ]] || mistake "a holder not of Python: '$h'"
	done
	[[ ,$(field "$held" holders), == *",$handler(python"* ]] ||
	    mistake "the handler $handler should hold the socket at the server's close"
	fin=$(traced ev=drop sent=fin first="$PROG_PID") ||
	    mistake "bin/trace did not log the drop that sent the FIN after the Python server's close"
	# the handler closes after its job, which runs a second, has exited
	assert_equal "$(field "$fin" pid)" "$handler" ||
	    mistake "bin/trace did not name the handler, $handler, as the process whose close sent the FIN"
	after_is "$fin" "$held"
	[ "$(field "$fin" after | cut -d . -f 1)" -ge 1000 ] ||
	    mistake "the FIN left $(field "$fin" after) ms after the server's close, not after the job's second"
	wait_client
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
}

@test "ForkingTCPServer, correct: the handler's shutdown(SHUT_WR) sends the FIN at once" {
	start_program forking_keeper.py --correct --keep 1
	start_trace
	client --send job1
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	line=$(traced ev=drop call=shutdown how=SHUT_WR sent=fin local="*:$PORT") ||
	    mistake "bin/trace did not log the handler's shutdown(SHUT_WR) as sending the FIN"
	[[ $(field "$line" comm) == python* ]] ||
	    mistake "bin/trace named the shutdown's command '$(field "$line" comm)', not Python's"
}

@test "Popen(close_fds=False): the server's close sends nothing, held by sleep; sleep's exit sends the FIN" {
	# sleep lives until the test ends it, once the close is logged: a
	# tracer that reads its records late still finds it holding the socket
	start_program popen_inherits.py --keep 600
	start_trace
	start_client --send hello --timeout 9000
	held=$(traced ev=drop call=close pid="$PROG_PID" sent=none why=held) ||
	    mistake "bin/trace did not log the Python server's close as sending nothing because sleep held the socket"
	[[ $(field "$held" holders) =~ ^([0-9]+)\(sleep\)$ ]] ||
	    mistake "the helper alone should hold the socket at the server's close"
	sleeper=${BASH_REMATCH[1]}
	kill "$sleeper" || mistake "sleep had exited before the test ended it"
	fin=$(traced ev=drop call=exit pid="$sleeper" sent=fin first="$PROG_PID") ||
	    mistake "bin/trace did not log sleep's exit as what sent the FIN, after the server's close"
	assert_equal "$(field "$fin" comm)" sleep ||
	    mistake "bin/trace did not name the exiting process's command, sleep"
	after_is "$fin" "$held"
	wait_client
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
}

@test "--pid: only the calls of that process; a FIN it sends is logged" {
	start_server --parent-keeps 100 --end close
	start_trace --pid "$SERVER_PID"
	client --send hello
	line=$(traced ev=drop call=close pid="$SERVER_PID" sent=fin) ||
	    mistake "bin/trace --pid did not log the parent's close that sent the FIN"
	# the worker's close was not traced, so no first drop is known
	run field "$line" first
	assert_failure || mistake "bin/trace --pid named a first drop, though it traced no other process's close"
	worker=$(values "$SLOG" pid ev=take | head -n 1)
	run has_event "$TRACE_LOG" pid="$worker"
	assert_failure || mistake "bin/trace --pid logged a call of the worker, another process"
}

@test "--end abort: the worker's close sends nothing, held by the parent; the parent's close sends the RST" {
	worker_leaves_it_held abort
	assert_equal "$(field "$held" holders)" "$parent(server)" ||
	    mistake "bin/trace did not name the parent, $parent (server), as the process that still held the socket"
	stop_server
	rst=$(traced ev=drop call=close pid="$parent" sent=rst first="$worker") ||
	    mistake "bin/trace did not log the parent's close as the one that sent the RST, after the worker's"
	after_is "$rst" "$held"
	wait_client
	assert_line --regexp '^result end=rst ' || mistake "the connection did not end with an RST"
}

@test "2,000 exchanges, 8 at a time: every drop logged once, in time order, each held close naming its one other holder" {
	local n=2000 fail
	start_server --workers 4
	start_trace
	client --send hello --repeat "$n" --concurrency 8
	assert_success || mistake "the client's 2,000 exchanges did not all end well"
	# every drop before the stop is read before bpftrace is stopped
	trace_stop
	# a held close names the one other holder, or none if it let go in the
	# instant between the records read and /proc read (under a slow build)
	cat >"$BATS_TEST_TMPDIR/check.awk" <<'EOF'
function wrong(what) {
	if (!said++)
		print what ": " $0
}
{
	log_use($0)
	if (log_get("t") + 0 < last)
		wrong("out of time order")
	last = log_get("t") + 0
	call = log_get("call"); sent = log_get("sent"); why = log_get("why")
	count[call " " sent " " why]++
	if (why == "held" && log_get("holders") !~ /^([0-9]+\(server\)|-)$/)
		wrong("a held close that names another holder than one server process")
	if (call == "close" && sent == "fin" && !log_got("first"))
		wrong("a FIN after a held close that names no first drop")
}
END {
	if (count["shutdown fin "] != n || count["close none held"] != n || count["close fin "] != n)
		printf "not %d of each: %d shutdowns, %d held closes, %d closes that sent the FIN\n", n,
		    count["shutdown fin "], count["close none held"], count["close fin "]
}
EOF
	fail=$(awk -v n="$n" -f "$TOP/common/log.awk" -f "$BATS_TEST_TMPDIR/check.awk" "$TRACE_LOG")
	[ -z "$fail" ] || mistake "$fail"
}

@test "a socket that waits for its FIN while 1,100 others come and go still names its first drop" {
	local first conn fin
	start_server --workers 4
	start_trace
	DEADLINE_S=60 start_client --send hello --interval 3600000 --send bye --log "$BATS_TEST_TMPDIR/first.log"
	first=$(traced ev=drop call=close why=held) ||
	    mistake "bin/trace did not log the parent's close of the first connection as held by its worker"
	conn=$(field "$first" conn)
	client --send hello --repeat 1100 --concurrency 8
	assert_success || mistake "the client's 1,100 exchanges did not all end well"
	CLOG=$BATS_TEST_TMPDIR/first.log cue_client || mistake "the first client was not running to get SIGUSR1"
	wait_client
	assert_success || mistake "the first client did not end well"
	fin=$(traced ev=drop sent=fin conn="$conn" comm=server) ||
	    mistake "bin/trace did not log the FIN of the first connection"
	assert_equal "$(field "$fin" first)" "$(field "$first" pid)" ||
	    mistake "the first connection's FIN did not name its first drop, the parent's close, 1,100 held closes later: $fin"
	run cat "$BATS_TEST_TMPDIR/trace.err"
	refute_output --partial "sockets are remembered" ||
	    mistake "bin/trace forgot sockets, with fewer than ten waiting at once: $output"
}

# held_up: bpftrace stopped (SIGSTOP), and a client's exchange traced
# meanwhile: its records wait in bpftrace's buffers. Sets bpf.
held_up() {
	start_server
	start_trace
	bpf=$(pgrep -P "$TRACER_PID" -x bpftrace) || mistake "bin/trace has no bpftrace child"
	kill -STOP "$bpf"
	wait_until "bpftrace to stop" is_stopped "$bpf" || mistake "bpftrace did not stop"
	client --send hello
	assert_success || mistake "the client's exchange did not end well"
}

# is_stopped PID: the process is stopped (state T)
is_stopped() {
	[ "$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null)" = T ]
}

@test "a stop while bpftrace is held up waits a second for it, then ends it: what it did not write out is said to be missing" {
	local bpf asked
	held_up
	asked=$(now_us)
	kill -TERM "$TRACER_PID"
	wait_until "the tracer to end" gone "$TRACER_PID" ||
	    { kill -CONT "$bpf"; mistake "bin/trace did not end after its stop, bpftrace held up"; }
	(($(now_us) - asked >= 1000000)) ||
	    mistake "bin/trace ended bpftrace within a second of the stop, though nothing had come from it since"
	trace_stop
	# bpftrace, continued and ended, may write out its buffers or not
	has_event "$TRACE_LOG" ev=drop call=shutdown comm=client ||
	    grep -q 'may be missing' "$BATS_TEST_TMPDIR/trace.err" ||
	    mistake "the client's records were lost, and bin/trace did not say that records may be missing"
}

@test "bpftrace killed during a stop: bin/trace says from which t= records may be missing" {
	local bpf
	held_up
	kill -TERM "$TRACER_PID"
	kill -KILL "$bpf"
	trace_stop
	run cat "$BATS_TEST_TMPDIR/trace.err"
	# "from t=", or, before every CPU's first tick was read, which it cannot tell
	assert_line --regexp '^trace: bpftrace ended before it had caught up with the stop: records (from t=[0-9]+ on may be missing|may be missing \(not every CPU had ticked\))$' ||
	    mistake "bin/trace did not say that records may be missing"
	run has_event "$TRACE_LOG" ev=drop comm=client
	assert_failure || mistake "the client's records, in the buffers of a bpftrace killed, were logged: then none was missing"
}

@test "a command name forges no line: a newline, t=, spaces and control bytes stay inside comm=, escaped" {
	worker_leaves_it_held close
	# the names, and how a log line must show them: the first is a record of
	# the parent's exit, if a newline could end a record
	local names=(
	    "$(printf '\nexit 1 %s' "$parent")"
	    't=1 ev=drop x=1'
	    "$(printf '\033[31m\302\233\233\\(,)')"
	) shown=(
	    "\\x0aexit\\x201\\x20$parent"
	    't=1\x20ev=drop\x20x=1'
	    '\x1b[31m\xc2\x9b\x9b\x5c\x28\x2c\x29'
	) i pid hex
	for i in 0 1 2; do
		hex=$(printf '%s' "${names[i]}" | od -An -tx1 | tr -d ' \n')
		"$TOP/tests/programs/odd_client.py" --port "$PORT" --name-hex "$hex" 3>&- &
		pid=$!
		wait "$pid" || mistake "tests/programs/odd_client.py failed"
		line=$(traced ev=drop call=close pid="$pid") ||
		    mistake "bin/trace did not log the close of the client named '${shown[i]}'"
		assert_equal "$(field "$line" comm)" "${shown[i]}" ||
		    mistake "bin/trace showed the command name '${shown[i]}' otherwise"
	done
	# the forged exit of the parent: the parent still runs
	run event "$TRACE_LOG" ev=drop call=exit pid="$parent"
	assert_output "" || mistake "a command name forged a line of the parent's exit: $output"
	run grep -cv '^t=[0-9]* pid=[0-9]* role=trace conn=[^ ]* ev=drop ' "$TRACE_LOG"
	assert_output 0 || mistake "a line of bin/trace's log did not begin as every line does"
	run "$TOP/bin/timeline" "$TRACE_LOG"
	assert_success || mistake "the timeline failed on the tracer's log"
}

# bpftrace_of PID: the bpftrace that the tracer PID runs
bpftrace_of() {
	pgrep -P "$1" -x bpftrace
}

# ended_with_tracer BPFTRACE: that bpftrace is gone (or a zombie), or the sentence
ended_with_tracer() {
	DEADLINE_S=20 wait_until "bpftrace $1 to end" gone "$1" ||
	    mistake "bpftrace $1 outlived bin/trace, $2"
}

@test "no bpftrace outlives bin/trace: SIGTERM, SIGINT, SIGKILL, a log it cannot write, a reader gone" {
	start_server --parent-keeps never --end shutdown
	local sig bt
	for sig in TERM INT KILL; do
		start_trace
		bt=$(bpftrace_of "$TRACER_PID") || mistake "bin/trace ran no bpftrace"
		kill -"$sig" "$TRACER_PID"
		wait "$TRACER_PID" || :
		TRACER_PID=
		ended_with_tracer "$bt" "ended by SIG$sig"
	done
	# a closed standard output: one line, not a wait for ever
	run timeout 60 bash -c "'$TRACE' --port $PORT >&-"
	assert_failure 1
	assert_output "trace: standard output is closed: give --log FILE"
	# a log that cannot be written: the first line ends it, status 1
	start_trace --log /dev/full
	bt=$(bpftrace_of "$TRACER_PID")
	client --send hello
	local status=0
	wait "$TRACER_PID" || status=$?
	TRACER_PID=
	[ "$status" -eq 1 ] || mistake "bin/trace did not exit 1 when its log could not be written (status $status)"
	ended_with_tracer "$bt" "which could not write its log"
	assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/trace.err")" "trace: cannot write the log: No space left on device" ||
	    mistake "bin/trace did not say in one line that it could not write the log"
	# a reader that goes away after the first line: trace ends at its next
	# write, quietly, as a stop
	local err=$BATS_TEST_TMPDIR/pipe.err i
	( "$TRACE" --port "$PORT" 2>"$err" & echo $! >"$BATS_TEST_TMPDIR/tracer.pid"; wait ) 3>&- |
	    head -n 1 >"$BATS_TEST_TMPDIR/first" &
	wait_until "the tracer to start" test -s "$BATS_TEST_TMPDIR/tracer.pid"
	TRACER_PID=$(cat "$BATS_TEST_TMPDIR/tracer.pid")
	DEADLINE_S=${ATTACH_S:-60} wait_until "the tracer to attach" tracer_ready "$err"
	bt=$(bpftrace_of "$TRACER_PID")
	for i in $(seq 20); do
		gone "$TRACER_PID" && break
		client --send hello
	done
	TRACER_PID=
	ended_with_tracer "$bt" "whose reader went away"
	[ -s "$BATS_TEST_TMPDIR/first" ] || mistake "bin/trace's reader got no line"
	run cat "$err"
	assert_output --regexp '^Attaching [0-9]+ probes\.\.\.$' ||
	    mistake "bin/trace said more than its readiness when its reader went away"
}

@test "300 holders: the parent's close names them (more= counts those a long line leaves out), and each one's exit is logged" {
	start_program many_holders.py --holders 300
	local parent=$PROG_PID n=300
	start_trace
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	held=$(DEADLINE_S=60 traced ev=drop call=close pid="$parent" sent=none why=held) ||
	    mistake "bin/trace did not log the parent's close as sending nothing, held by its children"
	assert_equal "$(field "$held" refs)" $((n + 1)) ||
	    mistake "bin/trace did not count $((n + 1)) references at the parent's close"
	named=$(field "$held" holders | tr ',' '\n' | grep -c '^[0-9]*(python3)$')
	more=$(field "$held" more)
	assert_equal $((named + ${more:-0})) "$n" ||
	    mistake "bin/trace named $named holders and counted ${more:-no} more, not the $n children"
	[ "${more:-0}" -gt 0 ] || mistake "bin/trace's line of $n holders was not cut, and said no more="
	kill -USR1 "$parent"
	fin=$(DEADLINE_S=60 traced ev=drop call=exit sent=fin first="$parent") ||
	    mistake "bin/trace did not log the last child's exit as what sent the FIN"
	timeout 10 cat <&5 >/dev/null || mistake "the client did not get EOF"
	exec 5<&-
	# every other child's exit: sent nothing, still held by the others (the
	# server's end: this shell's subshells hold the client's)
	local server=local=127.0.0.1:$PORT
	exits=$(values "$TRACE_LOG" pid ev=drop call=exit sent=none why=held "$server" | sort -u | wc -l)
	assert_equal "$exits" $((n - 1)) ||
	    mistake "bin/trace logged $exits children's exits as leaving the socket held, not $((n - 1))"
	# the first of them: every other child still held it
	first=$(grep -F " $server " "$TRACE_LOG" | grep ' call=exit ' | sort -t = -k 2 -n | head -n 1)
	named=$(field "$first" holders | tr ',' '\n' | grep -c '^[0-9]*(python3)$')
	more=$(field "$first" more)
	assert_equal $((named + ${more:-0})) $((n - 1)) ||
	    mistake "the first child's exit named $named holders and ${more:-no} more, not the $((n - 1)) others"
}

@test "a leaking server in a network namespace and a cgroup named like a Docker container: trace and holders name both" {
	local id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef inode client quick
	in_netns leaky
	make_cgroup "system.slice/docker-$id.scope"
	inode=$(stat -L -c %i "/run/netns/$NETNS")
	SERVER_WRAP="$SERVER_WRAP ip netns exec $NETNS" start_server --parent-keeps never --end close
	parent=$SERVER_PID
	start_trace
	# it waits for the server's stop, after every step of the test
	ip netns exec "$NETNS" "$TOP/bin/client" --port "$PORT" --send hello --timeout 120000 \
	    >/dev/null 2>&1 3>&- &
	client=$!
	worker=$(worker_of_take)
	held=$(traced ev=drop call=close pid="$worker" sent=none why=held) ||
	    mistake "bin/trace did not log the worker's close in the namespace as sending nothing"
	assert_equal "$(field "$held" netns)" "$inode" ||
	    mistake "bin/trace did not name the socket's network namespace, $inode"
	assert_equal "$(field "$held" container)" "docker:${id:0:12}" ||
	    mistake "bin/trace did not name the worker's container, docker:${id:0:12}"
	# a process of the container that closes and exits at once, long before
	# its record is read: named from the cgroup the probe saw it in
	"$SERVER_WRAP" ip netns exec "$NETNS" python3 -c 'import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.close()
os._exit(0)' "$PORT" || mistake "a client in the container could not connect"
	quick=$(traced ev=drop call=close comm=python3) ||
	    mistake "bin/trace did not log the close of a process that exited at once"
	assert_equal "$(field "$quick" container)" "docker:${id:0:12}" ||
	    mistake "bin/trace did not name the container of a process gone before its record was read"
	# three holders in the container; one is moved out of it, to a cgroup of
	# no container, and exits while another still holds the socket: its
	# exit's line names where it was, not where the first close was
	mkdir "$CGROUP_TOP/elsewhere"
	mkfifo "$BATS_TEST_TMPDIR/go"
	"$SERVER_WRAP" ip netns exec "$NETNS" python3 -c 'import os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
go = open(sys.argv[2], "rb", buffering=0)
q_go, r_go = os.pipe(), os.pipe()
q = os.fork()
if q == 0:
    os.read(q_go[0], 1)
    os._exit(0)
r = os.fork()
if r == 0:
    os.read(r_go[0], 1)
    s.close()
    os._exit(0)
print(q, flush=True)
s.close()
go.read(1)
os.write(q_go[1], b"x")
os.waitpid(q, 0)
go.read(1)
os.write(r_go[1], b"x")
os.waitpid(r, 0)' "$PORT" "$BATS_TEST_TMPDIR/go" >"$BATS_TEST_TMPDIR/moved" 3>&- &
	# read and write: opened at once, whether python has opened it yet or not
	exec 4<>"$BATS_TEST_TMPDIR/go"
	traced ev=drop call=close comm=python3 sent=none why=held >/dev/null ||
	    mistake "bin/trace did not log the first of three holders' close as sending nothing"
	cat "$BATS_TEST_TMPDIR/moved" >"$CGROUP_TOP/elsewhere/cgroup.procs" ||
	    mistake "could not move a holder out of the container's cgroup"
	echo >&4	# the one moved out exits
	moved=$(traced ev=drop call=exit comm=python3 sent=none why=held) ||
	    mistake "bin/trace did not log the exit of a holder that left the socket held"
	echo >&4	# the last one closes
	exec 4>&-
	wait $! || mistake "the three holders in the container did not end well"
	assert_equal "$(field "$moved" container)" "" ||
	    mistake "bin/trace named the container of the first close on the exit of a process that had left it"
	run "$HOLDERS" --port "$PORT" --state close-wait
	assert_failure 1 || mistake "bin/holders with no option did not flag the CLOSE_WAIT in the namespace"
	assert_line "    network namespace $inode ($NETNS)"
	assert_line --regexp "^    $parent \(server\) fd [0-9]+$"
	assert_line "      in docker ${id:0:12}"
	stop_server
	fin=$(traced ev=drop call=close pid="$parent" sent=fin) ||
	    mistake "bin/trace did not log the parent's close at its stop as the one that sent the FIN"
	assert_equal "$(field "$fin" netns) $(field "$fin" container)" "$inode docker:${id:0:12}" ||
	    mistake "bin/trace's FIN line did not name the namespace and the container"
	wait "$client" || mistake "the client in the namespace did not end well"
}
