#!/usr/bin/env bats
# The server stops cleanly on SIGTERM and SIGINT, reaps every child as it
# exits, and replaces a worker that dies. Every test's teardown also checks
# that the server exits 0 and leaves no child behind.

load test_helper

stops_on() {
	start_server --model "$2"
	client --send hello
	assert_success
	kill "-$1" "$SERVER_PID"
	wait_for_event "$SLOG" role=parent ev=stop
	stop_server
}

@test "prefork: SIGTERM stops the server and every worker" {
	stops_on TERM prefork
}

@test "prefork: SIGINT stops the server and every worker" {
	stops_on INT prefork
}

@test "fork: SIGTERM stops the server, a child serving a connection too" {
	start_server --model fork --end-after 60000 --reads discard
	"$CLIENT" --port "$PORT" --then none --timeout 60000 >/dev/null 3>&- &
	client_pid=$!
	wait_for_event "$SLOG" role=worker ev=take
	stop_server
	# the child died with the server, and the kernel closed the connection
	wait "$client_pid" || true
}

# reaped N: the server has logged the exit of N children
reaped() {
	[ "$(grep -c ' ev=exit child=' "$SLOG")" -eq "$1" ]
}

@test "fork: every child is reaped as it exits, no zombie stays" {
	start_server --model fork
	for i in 1 2 3; do
		client --send "hello $i"
		assert_success
	done
	wait_until "three children reaped" reaped 3
	for child in $(server_children); do
		run ps -o stat= -p "$child"
		refute_output --regexp Z
	done
}

# spawned N: the server has forked N workers
spawned() {
	[ "$(server_children | wc -l)" -eq "$1" ]
}

@test "prefork: a worker killed with SIGKILL is replaced" {
	start_server --workers 2
	victim=$(server_children | head -n 1)
	kill -KILL "$victim"
	wait_for_event "$SLOG" role=parent ev=exit "child=$victim" signal=9
	wait_until "a third worker" spawned 3
	for i in 1 2 3; do
		client --send "hello $i"
		assert_success
		assert_line --regexp '^result end=eof '
	done
}

@test "prefork: with every worker busy, the next connection waits, never dropped" {
	start_server --workers 1 --reply-delay 200
	"$CLIENT" --port "$PORT" --send first --log "$BATS_TEST_TMPDIR/first.log" \
	    >"$BATS_TEST_TMPDIR/first.out" 3>&- &
	first=$!
	wait_for_event "$SLOG" role=worker ev=read bytes=5
	client --send second
	assert_success
	assert_line 'recv bytes=6 data=second'
	wait "$first"
	run cat "$BATS_TEST_TMPDIR/first.out"
	assert_line 'recv bytes=5 data=first'
	# the second connection was accepted only once the worker was free
	free=$(t_of "$SLOG" role=worker ev=close)
	second=$(t_of "$SLOG" role=parent ev=accept "conn=$(field "$(event "$CLOG" ev=connect)" conn)")
	((second >= free))
}
