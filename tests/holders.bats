#!/usr/bin/env bats
# bin/holders: who holds each TCP socket, its flags and its diagnosis. It
# runs against closelab's own server and against Python servers written the
# ordinary way (tests/programs), each buggy one caught and explained, each
# correct one reported clean (exit 0). Python comes from apt-get where the
# tests run as root and it is missing; otherwise its tests are skipped.

load test_helper
bats_require_minimum_version 1.5.0

# the program under test: this, or another build of it (make check: ASan)
HOLDERS=${HOLDERS:-$TOP/bin/holders}

# holders ARGS...: bin/holders on this test's own network namespace, where
# its servers are: a test beside it in another namespace may have its port
holders() {
	"$HOLDERS" --netns /proc/self/ns/net "$@"
}
WATCH_PID=
NOT_NETNS=

setup() {
	if [ "$(uname -s)" != Linux ] && [[ $BATS_TEST_DESCRIPTION != *"not Linux"* ]] &&
	    [[ $BATS_TEST_DESCRIPTION != usage:* ]]; then
		skip "bin/holders needs Linux (NETLINK_SOCK_DIAG and /proc)"
	fi
}

teardown() {
	# a helper of --spawn waits for this file before it exits
	touch "$BATS_TEST_TMPDIR/go"
	if [ -n "$WATCH_PID" ]; then
		kill -TERM "$WATCH_PID" 2>/dev/null || true
		wait "$WATCH_PID" 2>/dev/null || true
	fi
	[ -z "$NOT_NETNS" ] || rm -f "$NOT_NETNS"
	closelab_teardown
}

# server_end STATE [N]: holders shows the server's end of a connection on
# PORT in STATE, held by N processes (by any number without N)
# shellcheck disable=SC2153 # PORT: set by test_helper's start_server or start_program
server_end() {
	holders --port "$PORT" --state "$1" --json 2>/dev/null |
	    grep -q "\"local_port\":$PORT,.*\"processes\":${2:-[0-9]*},"
}

# wait_server_end STATE [N]: until server_end STATE N
wait_server_end() {
	wait_until "the server's end in $1${2:+, held by $2}" server_end "$@"
}

# held_by_two [ADDR]: closelab's server on ADDR (127.0.0.1), whose parent
# keeps each connection and whose worker never closes it, and a client that
# sends and half-closes: a CLOSE_WAIT held by the parent and its worker.
# Sets WORKER.
held_by_two() {
	local addr=${1:-127.0.0.1}
	start_server --addr "$addr" --parent-keeps never --end leak
	start_client --addr "$addr" --send hello
	wait_for_event "$SLOG" role=worker ev=leak ||
	    mistake "the worker did not log that it never closes the connection ('ev=leak')"
	wait_server_end close-wait 2 ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT held by 2 processes, the parent and its worker"
	WORKER=$(pid_of "$SLOG" role=worker ev=leak)
}

# pid_of FILE KEY=VALUE...: the pid= of that logged event
pid_of() {
	local line
	line=$(event "$@") || return 1
	field "$line" pid
}

# ppid_of PID: its parent, from /proc
ppid_of() {
	sed 's/.*) [A-Za-z] \([0-9]*\) .*/\1/' "/proc/$1/stat"
}

# the comm of the Python programs: python3, or what the interpreter is called here
python_comm() {
	cat "/proc/$PROG_PID/comm"
}

@test "usage: an unknown option, a bad value or a bad state is one line, then the usage; exit 2" {
	run "$HOLDERS" --bogus
	assert_failure 2 || mistake "an unknown option must make bin/holders exit 2, a usage error"
	assert_line --index 0 "holders: unknown option --bogus"
	assert_line --index 1 --regexp '^usage: holders \[--port P\]' ||
	    mistake "bin/holders's one line about an unknown option was not followed by its usage"
	for port in 0 65536 x -1 ''; do
		run "$HOLDERS" --port "$port"
		assert_failure 2 || mistake "bin/holders --port '$port' must exit 2, a usage error"
		assert_line --index 0 "holders: --port needs a number from 1 to 65535, not '$port'"
	done
	run "$HOLDERS" --state waiting
	assert_failure 2 || mistake "bin/holders --state waiting must exit 2, a usage error"
	assert_line --index 0 "holders: --state: no such TCP state 'waiting' (see --help)"
	for ms in 0 9 3600001 soon; do
		run "$HOLDERS" --watch "$ms"
		assert_failure 2 || mistake "bin/holders --watch '$ms' must exit 2, a usage error"
		assert_line --index 0 "holders: --watch needs a number from 10 to 3600000, not '$ms'"
	done
	run "$HOLDERS" --pid 0
	assert_failure 2 || mistake "bin/holders --pid 0 must exit 2, a usage error"
	run "$HOLDERS" --json=yes
	assert_failure 2 || mistake "bin/holders --json=yes must exit 2, a usage error"
	assert_line --index 0 "holders: option --json takes no value"
	run "$HOLDERS" --port
	assert_failure 2 || mistake "bin/holders --port without a value must exit 2, a usage error"
	assert_line --index 0 "holders: option --port needs a value"
}

@test "usage: --help fits 80 columns, and its usage names the man page's SYNOPSIS options in order" {
	# the OPTIONS section against --help, and groff's warnings: in docs.bats
	run "$HOLDERS" --help
	assert_success || mistake "bin/holders --help must exit 0"
	run awk 'length > 80' <<<"$output"
	assert_output "" || mistake "these lines of bin/holders --help are wider than 80 columns"
	help=$("$HOLDERS" --help | sed -n '1,/^$/p' | grep -o -- '--[a-z-]*' | tr '\n' ' ')
	man=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$TOP/docs/holders.1" |
	    grep -o -- '\\-\\-[a-z\\-]*' | sed 's/\\-/-/g' | tr '\n' ' ')
	assert_equal "$man" "$help" ||
	    mistake "docs/holders.1's SYNOPSIS and bin/holders --help's usage do not name the same options in the same order"
}

@test "usage: on a system that is not Linux it says so in one line, exit 3" {
	[ "$(uname -s)" != Linux ] || skip "this is Linux"
	run "$HOLDERS"
	assert_failure 3 || mistake "bin/holders on a system that is not Linux must exit 3"
	assert_output "holders: needs Linux (NETLINK_SOCK_DIAG and /proc)"
}

@test "no such process for --pid, and an unwritable stdout, are runtime errors: exit 3" {
	run "$HOLDERS" --pid 2147483647
	assert_failure 3 || mistake "bin/holders --pid of no process must exit 3, a runtime error"
	assert_output "holders: there is no process 2147483647"
	run bash -c "'$HOLDERS' >/dev/full"
	assert_failure 3 || mistake "bin/holders whose report cannot be written must exit 3"
	assert_output "holders: cannot write the report: No space left on device"
	run bash -c "'$HOLDERS' --json --state listen >/dev/full"
	assert_failure 3 || mistake "bin/holders --json whose report cannot be written must exit 3"
}

@test "a write that fails in the middle of a long report: the same one line, exit 3; EPIPE: quiet" {
	start_program many.py
	run holders --port "$PORT"
	assert_success || mistake "bin/holders flagged or failed on the many sockets of a correct program"
	[ "${#output}" -gt 16384 ] ||
	    mistake "the report of the many sockets was ${#output} bytes, not the long one (over 16 KiB) this test needs"
	run bash -c "'$HOLDERS' --netns /proc/self/ns/net --port $PORT >/dev/full"
	assert_failure 3 || mistake "bin/holders whose long report could not be written must exit 3"
	assert_output "holders: cannot write the report: No space left on device"
	run bash -c "timeout 10 '$HOLDERS' --netns /proc/self/ns/net --port $PORT --watch 10 | head -c 100 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_output 0 || mistake "bin/holders --watch whose reader went away did not end quietly with status 0"
}

@test "closelab server, a correct one: the connection is held by its worker alone, exit 0" {
	start_server
	start_client --send hello --then none
	wait_for_event "$SLOG" role=parent ev=close ||
	    mistake "the parent never closed its copy of the connection"
	wait_server_end established 1 ||
	    mistake "bin/holders never showed the server's end ESTABLISHED and held by one process"
	run holders --port "$PORT"
	assert_success || mistake "bin/holders flagged a correct server's connection (exit not 0)"
	assert_line --regexp "^ESTABLISHED +127\.0\.0\.1:$PORT +127\.0\.0\.1:[0-9]+ +recv-q 0 send-q 0" ||
	    mistake "bin/holders did not show the server's ESTABLISHED connection with empty queues"
	assert_line --regexp "^holders: [0-9]+ sockets, 0 flagged$" ||
	    mistake "bin/holders's last line did not say that no socket was flagged"
	refute_output --partial "diagnosis:" ||
	    mistake "bin/holders gave a diagnosis of a correct server's connection"
}

@test "closelab server --end leak: the worker that never closes holds a CLOSE_WAIT" {
	start_server --end leak
	start_client --send hello
	wait_for_event "$SLOG" role=worker ev=leak ||
	    mistake "the worker did not log that it never closes the connection ('ev=leak')"
	wait_for_event "$SLOG" role=parent ev=close ||
	    mistake "the parent never closed its copy of the connection"
	wait_server_end close-wait 1 ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT held by one process"
	worker=$(pid_of "$SLOG" role=worker ev=leak)
	run holders --port "$PORT"
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT the worker keeps (exit 1)"
	assert_line --regexp "^    $worker \(server\) fd [0-9]+$" ||
	    mistake "bin/holders did not name the worker $worker (server) as the holder, with its fd"
	assert_line "    flags: close-wait"
	assert_line --regexp "^    diagnosis: CLOSE_WAIT, no data received for [0-9]+ m?s: the peer has closed, and process $worker \(server\) still holds the socket\. No FIN leaves until it closes the socket or calls shutdown\(SHUT_WR\)\.$" ||
	    mistake "bin/holders's diagnosis did not say that the peer has closed and the worker $worker still holds the socket"
	# (other sockets may have the port: a TIME_WAIT of an old client's)
	assert_line --regexp "^holders: [0-9]+ sockets, 1 flagged$" ||
	    mistake "bin/holders's last line did not say that one socket was flagged"
}

@test "closelab server --parent-keeps never: the parent and its worker, named and related" {
	held_by_two
	run holders --port "$PORT"
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT the parent and worker keep (exit 1)"
	assert_line --regexp "^    $SERVER_PID \(server\) fd [0-9]+$" ||
	    mistake "bin/holders did not name the parent $SERVER_PID (server) as a holder, with its fd"
	assert_line --regexp "^    $WORKER \(server\) fd [0-9]+, child of $SERVER_PID$" ||
	    mistake "bin/holders did not name the worker $WORKER (server) as a holder and the parent's child"
	assert_line "    flags: shared close-wait"
	assert_output --partial "the peer has closed, and 2 processes still hold the socket: $SERVER_PID (server) and its child $WORKER (server). No FIN leaves until both close it, or until one calls shutdown(SHUT_WR)."
}

@test "closelab server --parent-keeps never with close: the parent alone keeps the CLOSE_WAIT" {
	start_server --parent-keeps never --end close
	start_client --send hello
	wait_for_event "$SLOG" role=worker ev=close ||
	    mistake "the worker never closed the connection"
	wait_server_end close-wait 1 ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT held by one process"
	run holders --port "$PORT"
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT the parent keeps (exit 1)"
	assert_output --partial "the peer has closed, and process $SERVER_PID (server) still holds the socket."
}

@test "closelab server --spawn without --cloexec: the helper inherited the socket across exec" {
	# the helper waits for teardown's file, 10 s at most
	start_server --spawn "i=0; while [ ! -e '$BATS_TEST_TMPDIR/go' ] && [ \$i -lt 400 ]; do sleep 0.025; i=\$((i + 1)); done"
	start_client --send hello
	wait_for_event "$SLOG" role=worker ev=close ||
	    mistake "the worker never closed the connection"
	wait_server_end close-wait ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT"
	helper=$(field "$(event "$SLOG" role=worker ev=spawn)" helper)
	run holders --port "$PORT" --state close-wait
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT the helper keeps (exit 1)"
	assert_line --regexp "^    $helper \(sh\) fd [0-9]+, no close-on-exec$" ||
	    mistake "bin/holders did not name the helper $helper (sh) as a holder, with an fd that is not close-on-exec"
	assert_line --regexp "^    flags: .*close-wait inherited$" ||
	    mistake "bin/holders did not flag the socket close-wait and inherited"
	# with the sleep the helper runs, or without: the two are named, or the helper
	assert_output --regexp " $helper \(sh\) runs [^ ]+.* not [^ ]+/server as the listener's holder $SERVER_PID \(server\) does.*inherited it across exec\." ||
	    mistake "bin/holders did not explain that the helper, running another program than the server, inherited the socket across exec"
}

@test "closelab server --reads none: unread data at CLOSE_WAIT, and the RST it will bring" {
	start_server --reads none --end-after 0 --end leak
	start_client --send hello
	wait_server_end close-wait ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT"
	run holders --port "$PORT" --state close-wait
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT with unread data (exit 1)"
	# the kernel counts the FIN not yet read as one byte more
	assert_line --regexp "^CLOSE_WAIT +127\.0\.0\.1:$PORT +127\.0\.0\.1:[0-9]+ +recv-q 6 send-q 0" ||
	    mistake "bin/holders did not show the 5 unread bytes and the FIN as recv-q 6"
	assert_line --regexp "^    flags: .*close-wait unread$" ||
	    mistake "bin/holders did not flag the socket close-wait and unread"
	assert_output --partial "5 bytes the peer sent are still unread: the last close will send RST, not FIN."
}

@test "ForkingTCPServer whose handler forks a job: the handler and its child keep a CLOSE_WAIT" {
	start_program forking_keeper.py
	start_client --send job1 --log "$CLOG"
	wait_server_end close-wait 2 ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT held by 2 processes"
	comm=$(python_comm)
	run holders --port "$PORT"
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT the handler and its job keep (exit 1)"
	assert_line "    flags: shared close-wait"
	assert_output --regexp "the peer has closed, and 2 processes still hold the socket: ([0-9]+) \($comm\) and its child ([0-9]+) \($comm\)\. No FIN leaves until both close it, or until one calls shutdown\(SHUT_WR\)\." ||
	    mistake "bin/holders's diagnosis did not name the handler and its child as the two processes that still hold the socket"
	[[ $output =~ hold\ the\ socket:\ ([0-9]+)\ .*its\ child\ ([0-9]+) ]] ||
	    mistake "bin/holders's diagnosis did not name the two holders' pids"
	handler=${BASH_REMATCH[1]} job=${BASH_REMATCH[2]}
	# the handler is the server's child, the job the handler's
	assert_equal "$(ppid_of "$handler")" "$PROG_PID" ||
	    mistake "the holder bin/holders named first, $handler, is not the server's child, the handler"
	assert_equal "$(ppid_of "$job")" "$handler" ||
	    mistake "the holder bin/holders named as the child, $job, is not the handler's child"
	# the listener is held by the three, one line of descent: not flagged
	assert_line --regexp "^LISTEN +127\.0\.0\.1:$PORT " ||
	    mistake "bin/holders did not show the listener on the port"
	assert_line --regexp "^    $job \($comm\) fd [0-9]+, child of $handler$" ||
	    mistake "bin/holders did not name the job $job as a holder and the handler's child"
	run holders --port "$PORT" --state listen
	assert_success || mistake "bin/holders flagged a listener held by one line of descent"
	# and the client does not see EOF while they hold it
	run has_event "$CLOG" ev=eof
	assert_failure || mistake "the client saw EOF while the handler and its job still held the socket"
}

@test "ForkingTCPServer, correct: the job closes its copy, the handler shuts down; exit 0" {
	start_program forking_keeper.py --correct
	start_client --send job1
	wait_client
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	run holders --port "$PORT"
	assert_success || mistake "bin/holders flagged a correct ForkingTCPServer (exit not 0)"
	assert_line --regexp "^holders: [0-9]+ sockets?, 0 flagged$" ||
	    mistake "bin/holders's last line did not say that no socket was flagged"
}

@test "a descriptor opened with O_PATH on a held socket holds nothing" {
	# opening /proc/PID/fd/N with O_PATH makes a descriptor whose link reads
	# socket:[INODE] too, but it does not hold the socket open
	need_python
	start_server --parent-keeps never --end close
	start_client --send hello
	wait_server_end close-wait 1 ||
	    mistake "bin/holders never showed the CLOSE_WAIT that the parent keeps"
	run holders --port "$PORT" --state close-wait
	[[ $output =~ \ $SERVER_PID\ \([a-z]+\)\ fd\ ([0-9]+) ]] ||
	    mistake "bin/holders did not name the parent ($SERVER_PID) and its descriptor"
	timeout 20 python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_PATH)
open(sys.argv[2], "w").close()
time.sleep(20)' "/proc/$SERVER_PID/fd/${BASH_REMATCH[1]}" "$BATS_TEST_TMPDIR/ghost" 3>&- &
	WATCH_PID=$!
	wait_until "the O_PATH descriptor" test -e "$BATS_TEST_TMPDIR/ghost" ||
	    mistake "the test's python did not open its O_PATH descriptor"
	run holders --port "$PORT" --state close-wait
	assert_failure 1
	assert_line --regexp "^    $SERVER_PID \\([a-z]+\\) fd [0-9]+"
	refute_line --regexp "^    [0-9]+ \\(python" ||
	    mistake "bin/holders named the process with the O_PATH descriptor as a holder"
}

@test "a thread with a descriptor table of its own (unshare(CLONE_FILES)) is its process's holding" {
	start_program thread_keeper.py
	start_client --send x
	wait_server_end close-wait 1 ||
	    mistake "bin/holders never showed the CLOSE_WAIT that the thread's own table keeps"
	run holders --port "$PORT" --state close-wait
	assert_failure 1
	assert_line --regexp "^    $PROG_PID \\($(python_comm)\\) fd [0-9]+"
}

@test "a process whose first thread has left (pthread_exit) holds what its threads hold" {
	start_program leader_leaves.py
	[ "$(cut -d ' ' -f 3 "/proc/$PROG_PID/stat")" = Z ] ||
	    mistake "the program's first thread had not left: its leader is not a zombie"
	start_client --send x
	wait_server_end close-wait 1 ||
	    mistake "bin/holders never showed the CLOSE_WAIT that the thread keeps"
	run holders --port "$PORT" --state close-wait
	assert_failure 1
	assert_line --regexp "^    $PROG_PID \\($(python_comm)\\) fd [0-9]+"
}

@test "Popen(close_fds=False): the helper holds the connection and the listener across exec" {
	start_program popen_inherits.py
	start_client --send hello
	wait_server_end close-wait 1 ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT held by one process"
	comm=$(python_comm)
	run holders --port "$PORT"
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT sleep keeps (exit 1)"
	assert_line --regexp "^    flags: close-wait inherited$" ||
	    mistake "bin/holders did not flag the connection close-wait and inherited"
	assert_line --regexp "^    flags: inherited$" ||
	    mistake "bin/holders did not flag the listener inherited"
	assert_output --regexp "the peer has closed, and process ([0-9]+) \(sleep\) still holds the socket\. No FIN leaves until it closes the socket or calls shutdown\(SHUT_WR\)\. [0-9]+ \(sleep\) runs [^ ]*sleep, not [^ ]+ as the listener's holder $PROG_PID \($comm\) does, and holds the socket as fd [0-9]+ without close-on-exec: it inherited it across exec\." ||
	    mistake "bin/holders's diagnosis did not say that sleep still holds the socket, inherited across exec from the server"
	[[ $output =~ process\ ([0-9]+)\ \(sleep\) ]] ||
	    mistake "bin/holders's diagnosis did not name sleep's pid"
	assert_equal "$(ppid_of "${BASH_REMATCH[1]}")" "$PROG_PID" ||
	    mistake "the sleep bin/holders named is not the server's child"
}

@test "Popen through the shell in the background: the listener is held by unrelated processes" {
	start_program popen_inherits.py --detach
	start_client --send hello
	wait_until "the listener held by two" eval \
	    "'$HOLDERS' --netns /proc/self/ns/net --port $PORT --state listen --json | grep -q '\"processes\":2,'" ||
	    mistake "bin/holders never showed the listener held by 2 processes"
	comm=$(python_comm)
	run holders --port "$PORT" --state listen
	assert_failure 1 || mistake "bin/holders did not flag a listener held by unrelated processes (exit 1)"
	assert_line "    flags: inherited unrelated-listener"
	assert_output --regexp "LISTEN: the listener on port $PORT is held by unrelated processes: $PROG_PID \($comm\) and [0-9]+ \(sleep\)\. Connections wait for whichever of them calls accept\(\), and the port stays bound until every one of them closes it\." ||
	    mistake "bin/holders's diagnosis did not say that the server and an unrelated sleep both hold the listener"
}

@test "Popen, correct (close-on-exec sockets, close_fds): exit 0" {
	start_program popen_inherits.py --correct
	start_client --send hello
	wait_client
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	run holders --port "$PORT"
	assert_success || mistake "bin/holders flagged a correct Popen server (exit not 0)"
}

@test "--pid, --state and --shared choose the sockets shown" {
	held_by_two
	# --pid: only what the worker holds, here the connection alone
	run holders --pid "$WORKER" --json
	assert_failure 1 || mistake "bin/holders --pid of the worker did not flag its CLOSE_WAIT (exit 1)"
	assert_equal "${#lines[@]}" 1 ||
	    mistake "bin/holders --pid of the worker showed ${#lines[@]} sockets, not the connection alone"
	assert_line --index 0 --regexp "\"state\":\"CLOSE_WAIT\".*\"pid\":$WORKER," ||
	    mistake "bin/holders --pid of the worker did not show its CLOSE_WAIT connection"
	run holders --pid "$SERVER_PID" --state listen --json
	assert_success || mistake "bin/holders --pid of the parent --state listen flagged its listener"
	assert_equal "${#lines[@]}" 1 ||
	    mistake "bin/holders --pid of the parent --state listen showed ${#lines[@]} sockets, not its listener alone"
	assert_line --index 0 --regexp "^\{\"state\":\"LISTEN\",.*\"local_port\":$PORT," ||
	    mistake "bin/holders --pid of the parent --state listen did not show the listener on the port"
	# --state, twice
	run holders --port "$PORT" --state listen --state CLOSE_WAIT --json
	assert_equal "${#lines[@]}" 2 ||
	    mistake "bin/holders with two --state showed ${#lines[@]} sockets, not the listener and the connection"
	assert_line --index 0 --regexp '^\{"state":"LISTEN",' ||
	    mistake "bin/holders with two --state did not show the listener first"
	assert_line --index 1 --regexp '^\{"state":"CLOSE_WAIT",' ||
	    mistake "bin/holders with two --state did not show the CLOSE_WAIT second"
	# the client's end: FIN_WAIT1 until the server's delayed ACK of its FIN
	run holders --port "$PORT" --state fin-wait-1 --state fin_wait2
	assert_success || mistake "bin/holders flagged the client's end in FIN_WAIT"
	assert_line --regexp "^FIN_WAIT[12] +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:$PORT " ||
	    mistake "bin/holders --state fin-wait-1 --state fin_wait2 did not show the client's end"
	# --shared: the connection of two holders, not the listener of one
	run holders --port "$PORT" --shared --json
	assert_equal "${#lines[@]}" 1 ||
	    mistake "bin/holders --shared showed ${#lines[@]} sockets, not the one connection of two holders"
	assert_line --index 0 --regexp '"state":"CLOSE_WAIT",.*"processes":2,' ||
	    mistake "bin/holders --shared did not show the CLOSE_WAIT held by 2 processes"
}

@test "IPv6: a CLOSE_WAIT on [::1] is found and diagnosed" {
	[ -e /proc/net/if_inet6 ] && grep -q '^0*1 ' /proc/net/if_inet6 ||
	    skip "no IPv6 loopback here"
	held_by_two ::1
	run holders --port "$PORT"
	assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT on [::1] (exit 1)"
	assert_line --regexp "^CLOSE_WAIT +\[::1\]:$PORT +\[::1\]:[0-9]+ " ||
	    mistake "bin/holders did not show the CLOSE_WAIT with its IPv6 addresses in brackets"
	assert_output --partial "2 processes still hold the socket: $SERVER_PID (server) and its child"
	run holders --port "$PORT" --state close-wait --json
	assert_line --index 0 --regexp "^\{\"state\":\"CLOSE_WAIT\",\"family\":\"ipv6\",\"local\":\"\[::1\]:$PORT\"," ||
	    mistake "bin/holders --json did not give the CLOSE_WAIT's family as ipv6 and its address as [::1]:port"
}

@test "--json: one valid object a line, names with any byte escaped" {
	start_program odd_name.py
	run holders --port "$PORT" --state listen --json
	assert_success || mistake "bin/holders --json failed or flagged the listener of a process with an odd name"
	run python3 -c '
import json, sys
rows = [json.loads(line) for line in sys.stdin]
assert len(rows) == 1, rows
h = rows[0]["holders"][0]
assert h["comm"] == "q\"b\\t\t\x01\u00e9\ufffd\u009b\ufffd", repr(h["comm"])
assert rows[0]["state"] == "LISTEN" and rows[0]["peer"] is None
assert h["cloexec"] is True and h["ancestor"] is None
print("ok")' <<<"$output"
	assert_output ok || mistake "bin/holders --json's line was not valid JSON with the odd name escaped, as Python's assertion above says"
	# the C1 control in UTF-8 is escaped, not passed raw: a terminal would obey it
	run holders --port "$PORT" --state listen --json
	assert_output --partial '\u009b' || mistake "bin/holders --json passed the C1 control U+009B unescaped"
	# text: every byte outside printable ASCII, and the backslash, as \xNN
	run holders --port "$PORT"
	assert_line --regexp '^    [0-9]+ \(q"b\\x5ct\\x09\\x01\\xc3\\xa9\\xff\\xc2\\x9b\\x9b\) ' ||
	    mistake "bin/holders's text did not show the odd name's backslash and every byte outside printable ASCII as \\xNN"
}

@test "--json: every report of a busy mix of flags parses" {
	start_program popen_inherits.py
	start_client --send hello
	wait_server_end close-wait 1 ||
	    mistake "bin/holders never showed the server's end in CLOSE_WAIT held by one process"
	run bash -c "'$HOLDERS' --json | python3 -c 'import json, sys; print(len([json.loads(l) for l in sys.stdin]))'"
	assert_success || mistake "a line of bin/holders --json on every socket was not valid JSON"
	[ "$output" -ge 3 ] || mistake "bin/holders --json showed $output sockets, fewer than the 3 of this test"
	run bash -c "'$HOLDERS' --netns /proc/self/ns/net --port $PORT --json | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
print(sorted(f for r in rows for f in r[\"flags\"]))'"
	assert_output "['close-wait', 'inherited', 'inherited']" ||
	    mistake "bin/holders --json did not flag the connection close-wait and inherited and the listener inherited"
}

@test "--watch: marks new and changed sockets, and stops at SIGTERM with the last status" {
	start_server --parent-keeps signal
	"$HOLDERS" --netns /proc/self/ns/net --watch 20 --port "$PORT" >"$BATS_TEST_TMPDIR/watch.out" 2>&1 3>&- &
	WATCH_PID=$!
	wait_until "the first redraw" grep -q 'redraw 1: ' "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch never printed its first redraw"
	start_client --send hello --then none
	wait_for_event "$SLOG" role=worker ev=take || mistake "no worker took the connection"
	wait_until "the connection marked new" grep -qE "^\+ ESTABLISHED +127\.0\.0\.1:$PORT " \
	    "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch never marked the new connection with +"
	wait_until "parent and worker holding it" grep -q '^    flags: shared$' \
	    "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch never flagged the connection shared by the parent and its worker"
	# the parent lets go of its copy: the holders change, and nothing is flagged
	seen=$(wc -l <"$BATS_TEST_TMPDIR/watch.out")
	kill -USR1 "$SERVER_PID"
	wait_for_event "$SLOG" role=parent ev=close ||
	    mistake "the parent did not close its copy on SIGUSR1"
	wait_until "the connection marked changed" eval \
	    "tail -n +$((seen + 1)) '$BATS_TEST_TMPDIR/watch.out' | grep -qE '^\* ESTABLISHED +127\.0\.0\.1:$PORT '" ||
	    mistake "bin/holders --watch never marked the connection changed (*) when the parent let go"
	kill -TERM "$WATCH_PID"
	status=0
	wait "$WATCH_PID" || status=$?
	WATCH_PID=
	# the last redraw saw one connection held by its worker alone
	assert_equal "$status" 0 ||
	    mistake "bin/holders --watch stopped by SIGTERM exited $status, not 0, the status of its last redraw (nothing flagged)"
	grep -qE '^holders: [0-9:]+, every 20 ms, redraw [0-9]+: [0-9]+ sockets?, [0-9]+ flagged; [0-9]+ new \(\+\), [0-9]+ changed \(\*\), [0-9]+ gone \(-\)$' \
	    "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch's status line did not give the time, the interval, the redraw and its counts"
}

@test "--watch: a connection that ends is marked gone" {
	start_server
	"$HOLDERS" --netns /proc/self/ns/net --watch 20 --port "$PORT" >"$BATS_TEST_TMPDIR/watch.out" 2>&1 3>&- &
	WATCH_PID=$!
	wait_until "the first redraw" grep -q 'redraw 1: ' "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch never printed its first redraw"
	start_client --send hello --then none
	wait_until "the connection marked new" grep -qE "^\+ ESTABLISHED +127\.0\.0\.1:$PORT " \
	    "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch never marked the new connection with +"
	kill -TERM "$CLIENT_PID"
	wait_client
	# in the state it had at the redraw before (ESTABLISHED or CLOSE_WAIT)
	wait_until "the connection marked gone" grep -qE "^- [A-Z_]+ +127\.0\.0\.1:$PORT +127\.0\.0\.1:[0-9]+ +gone$" \
	    "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch never marked the ended connection gone (-)"
}

@test "--watch: a reader that goes away (EPIPE) ends it quietly, with the status found" {
	run bash -c "timeout 10 '$HOLDERS' --watch 10 | head -n 1 >/dev/null; echo \${PIPESTATUS[0]}"
	assert_success || mistake "the pipeline of bin/holders --watch into head failed"
	# 0 or 1: what it found; not 124 (the timeout) nor 141 (SIGPIPE)
	assert_output --regexp '^[01]$' ||
	    mistake "bin/holders --watch whose reader went away exited $output, not quietly with 0 or 1"
}

@test "--watch --json: one object a line, with round and change" {
	start_server
	start_client --send hello --then none
	wait_for_event "$SLOG" role=parent ev=close ||
	    mistake "the parent never closed its copy of the connection"
	"$HOLDERS" --netns /proc/self/ns/net --watch 20 --port "$PORT" --json >"$BATS_TEST_TMPDIR/watch.out" 3>&- &
	WATCH_PID=$!
	wait_until "a second redraw" grep -q '"round":2,' "$BATS_TEST_TMPDIR/watch.out" ||
	    mistake "bin/holders --watch --json never printed a line of its second round (\"round\":2)"
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID" || true
	WATCH_PID=
	need_python
	run python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["change"] in ("same", "new", "changed", "gone") for r in rows)
print(sorted({r["round"] for r in rows})[:2])' "$BATS_TEST_TMPDIR/watch.out"
	assert_output "[1, 2]" ||
	    mistake "bin/holders --watch --json's lines were not valid JSON with round and change, as Python says above"
}

@test "without root: it says how many processes it could not read, and still reports" {
	need_nobody
	held_by_two
	run as_nobody "$HOLDERS" --netns /proc/self/ns/net --port "$PORT"
	assert_failure 1 || mistake "bin/holders without root did not flag the CLOSE_WAIT (exit 1)"
	refute_output --partial Sanitizer || mistake "a sanitizer reported an error in bin/holders run without root"
	assert_line --regexp '^holders: could not read [0-9]+ process(es)? \(not yours\): run as root to see every holder$' ||
	    mistake "bin/holders without root did not say how many processes it could not read, and to run as root"
	assert_line --regexp "^CLOSE_WAIT +127\.0\.0\.1:$PORT " ||
	    mistake "bin/holders without root did not still show the CLOSE_WAIT"
	assert_line "    no holder found among the processes this user can read"
	assert_output --partial "the peer has closed, and the socket is open, but no process this user can read holds it."
}

@test "without root, --pid of a process it may not read is not clean: one line, exit 4" {
	need_nobody
	held_by_two
	run as_nobody "$HOLDERS" --netns /proc/self/ns/net --pid "$SERVER_PID"
	assert_failure 4 || mistake "bin/holders --pid of root's server, run as nobody, did not exit 4"
	assert_output "holders: cannot read the descriptors of process $SERVER_PID (not yours): run as root" ||
	    mistake "bin/holders did not say in one line that it could not read the process of --pid"
}

@test "another network namespace: with no option, the leaking server there is found, named with its namespace" {
	in_netns leaky
	SERVER_WRAP="ip netns exec $NETNS" start_server --parent-keeps never --end close
	run ip netns exec "$NETNS" "$TOP/bin/client" --port "$PORT" --send hello --timeout 300
	wait_for_event "$SLOG" role=worker ev=close ||
	    mistake "the worker in the namespace did not log its close"
	inode=$(stat -L -c %i "/run/netns/$NETNS")
	run "$HOLDERS" --port "$PORT" --state close-wait
	assert_failure 1 || mistake "bin/holders with no option did not flag the CLOSE_WAIT in another network namespace (exit 1)"
	assert_line --regexp "^CLOSE_WAIT +127\.0\.0\.1:$PORT " ||
	    mistake "bin/holders with no option did not show the CLOSE_WAIT in another network namespace"
	assert_line "    network namespace $inode ($NETNS)" ||
	    mistake "bin/holders did not name the socket's network namespace, $inode ($NETNS)"
	assert_line --regexp "^    $SERVER_PID \(server\) fd [0-9]+" ||
	    mistake "bin/holders did not name the server's parent, $SERVER_PID, as the holder"
	# --netns by name, and by a pid in it: the same; this namespace alone: clean
	for ns in "$NETNS" "$SERVER_PID"; do
		run "$HOLDERS" --netns "$ns" --port "$PORT" --state close-wait --json
		assert_failure 1 || mistake "bin/holders --netns $ns did not flag the CLOSE_WAIT there"
		assert_output --partial "\"netns\":$inode,\"netns_name\":\"$NETNS\"" ||
		    mistake "bin/holders --netns $ns --json did not give the namespace's inode and name"
	done
	run holders --port "$PORT" --state close-wait
	assert_success || mistake "bin/holders --netns of its own namespace flagged a socket of another"
	run "$HOLDERS" --netns no-such-namespace-$$
	assert_failure 3
	assert_output "holders: --netns no-such-namespace-$$: no network namespace at /run/netns/no-such-namespace-$$: No such file or directory"
}

@test "another network namespace: a correct server there is reported clean" {
	in_netns correct
	SERVER_WRAP="ip netns exec $NETNS" start_server --parent-keeps never --end shutdown
	run ip netns exec "$NETNS" "$TOP/bin/client" --port "$PORT" --send hello
	assert_line --regexp '^result end=eof ' || mistake "the client in the namespace did not get EOF"
	run "$HOLDERS" --netns "$NETNS" --port "$PORT"
	assert_success || mistake "bin/holders flagged the correct server in another network namespace"
	assert_line --regexp "^LISTEN +127\.0\.0\.1:$PORT " ||
	    mistake "bin/holders did not show the correct server's listener in its namespace"
}

@test "a name under /run/netns with no namespace on it yet (ip netns add or del half done) is passed over" {
	[ "$(id -u)" = 0 ] || skip "writing in /run/netns needs root"
	mkdir -p /run/netns
	NOT_NETNS=/run/netns/closelab-not-netns-$$-$BATS_TEST_NUMBER
	: >"$NOT_NETNS"
	run "$HOLDERS" --port 1
	assert_success || mistake "bin/holders failed on a file under /run/netns that is no namespace"
	refute_output --partial closelab-not-netns || mistake "bin/holders listed a plain file as a network namespace"
}

@test "without root: a namespace it may not enter is said on stderr, not reported clean" {
	need_nobody
	in_netns closed
	run as_nobody "$HOLDERS" --port 1
	assert_line --regexp '^holders: could not enter [0-9]+ network namespaces?: run as root to see their sockets$' ||
	    mistake "bin/holders without root did not say that it could not enter a network namespace"
}

@test "containers: each holder names its Docker, containerd (Kubernetes) or systemd owner, from its cgroup" {
	local id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	local uid=1a2b3c4d-0000-4e5f-8a9b-0123456789ab
	local paths=(
	    "system.slice/docker-$id.scope"
	    "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid//-/_}.slice/cri-containerd-$id.scope"
	    "system.slice/leaky.service"
	) words=(
	    "docker ${id:0:12}"
	    "containerd ${id:0:12}, pod $uid"
	    "unit leaky.service"
	) i
	for i in 0 1 2; do
		make_cgroup "${paths[i]}"
		start_server --parent-keeps never --end close
		start_client --send hello
		wait_for_event "$SLOG" role=worker ev=close ||
		    mistake "the worker did not log its close"
		run holders --port "$PORT" --state close-wait
		assert_failure 1 || mistake "bin/holders did not flag the CLOSE_WAIT of the server in ${paths[i]}"
		assert_line "      in ${words[i]}" ||
		    mistake "bin/holders did not name the holder's owner, ${words[i]}, from its cgroup ${paths[i]}"
		stop_server
		wait_client
		rmdir "$CGROUP"
	done
}

# prometheus_python: a python3 that has prometheus_client (Debian's
# python3-prometheus-client, installed with apt-get where it is missing)
prometheus_python() {
	local py
	for py in /usr/bin/python3 python3; do
		if "$py" -c 'import prometheus_client.parser' 2>/dev/null; then
			echo "$py"
			return 0
		fi
	done
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
	apt-get install -y -q python3-prometheus-client >/dev/null 2>&1 ||
	    { apt-get update -q >/dev/null 2>&1 &&
	    apt-get install -y -q python3-prometheus-client >/dev/null 2>&1; } || return 1
	/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null && echo /usr/bin/python3
}

@test "--metrics: Prometheus's parser reads it; a CLOSE_WAIT in a Docker-named cgroup is counted under its owner" {
	local py id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	py=$(prometheus_python) || skip "needs python3-prometheus-client, and it could not be installed"
	make_cgroup "system.slice/docker-$id.scope"
	start_server --parent-keeps never --end close
	start_client --send hello
	wait_for_event "$SLOG" role=worker ev=close || mistake "the worker did not log its close"
	run holders --port "$PORT" --metrics
	assert_success || mistake "bin/holders --metrics must exit 0, even with a flagged socket"
	run "$py" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
got = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        got[(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "netns")))] = s.value
print(got[("closelab_flagged_sockets", (("flag", "close-wait"), ("netns_name", ""), ("owner", "docker '"${id:0:12}"'")))])
print(got[("closelab_tcp_sockets", (("netns_name", ""), ("state", "CLOSE_WAIT")))])
print(got[("closelab_unreadable_processes", ())])' <<<"$output"
	assert_output "$(printf '1.0\n1.0\n0.0')" ||
	    mistake "Prometheus's parser did not read one flagged CLOSE_WAIT owned by docker ${id:0:12}, and no unread process"
	run "$HOLDERS" --metrics --json
	assert_failure 2 || mistake "bin/holders --metrics --json must be a usage error"
}

@test "a PID namespace: a holder there gives its pid in it beside the host's" {
	[ "$(id -u)" = 0 ] || skip "making a PID namespace needs root"
	command -v unshare >/dev/null && command -v setsid >/dev/null || skip "needs unshare and setsid"
	local inner port
	# a session of its own: the teardown stops it whole (PROG_PID)
	setsid unshare --pid --fork --mount-proc "$SERVER" --port 0 --port-file "$LOGS/port" \
	    --log "$SLOG" 2>"$BATS_TEST_TMPDIR/server.err" 3>&- &
	PROG_PID=$!
	wait_until "the server's port file" test -s "$LOGS/port" ||
	    mistake "the server in its PID namespace did not write its port file"
	port=$(cat "$LOGS/port")
	# unshare's child, the server: pid 1 in the namespace
	inner=$(pgrep -P "$PROG_PID" -x server)
	run holders --port "$port" --state listen
	assert_line --regexp "^    $inner \(server\) fd [0-9]+" ||
	    mistake "bin/holders did not name the server by its host pid, $inner"
	assert_line "      pid 1 in its PID namespace" ||
	    mistake "bin/holders did not give the server's pid in its own PID namespace, 1"
}

@test "hostile names: a namespace's odd name keeps --metrics valid UTF-8, a long one is still found" {
	local py
	py=$(prometheus_python) || skip "needs python3-prometheus-client, and it could not be installed"
	in_netns "$(printf '%s' $'odd\377\033[31m"\\')"
	SERVER_WRAP="ip netns exec $NETNS" start_server --parent-keeps never --end close
	run bash -c "'$HOLDERS' --port $PORT --metrics | PYTHONIOENCODING=utf-8:strict $py -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        if s.name == \"closelab_tcp_sockets\" and s.labels[\"netns_name\"]:
            print(s.labels[\"netns_name\"])'"
	assert_success || mistake "bin/holders --metrics with an odd namespace name was not valid UTF-8 that Prometheus's parser reads"
	assert_output "odd\\xff\\x1b[31m\\x22\\x5c-$$-$BATS_TEST_NUMBER" ||
	    mistake "bin/holders --metrics did not show the namespace's odd name escaped"
	stop_server
	ip netns del "$NETNS"
	in_netns "$(printf 'n%.0s' $(seq 60))"
	SERVER_WRAP="ip netns exec $NETNS" start_server
	run "$HOLDERS" --netns "$NETNS" --port "$PORT" --state listen
	assert_line --regexp "^LISTEN +127\.0\.0\.1:$PORT " ||
	    mistake "bin/holders --netns did not find the listener in a namespace of a 70-byte name"
}

@test "without root: processes whose namespace it may not see are counted in --metrics" {
	need_nobody
	command -v unshare >/dev/null || skip "needs unshare"
	unshare --net sleep 30 3>&- &
	PROG_PID=$!
	run --separate-stderr as_nobody "$HOLDERS" --port 1 --metrics
	[[ $(grep '^closelab_unreadable_namespace_processes ' <<<"$output") =~ \ [1-9][0-9]*$ ]] ||
	    mistake "bin/holders --metrics without root did not count the processes whose network namespace it could not see"
}
