#!/usr/bin/env bats
# The server stops cleanly on SIGTERM and SIGINT, reaps every child as it
# exits, and replaces a worker that dies. Every test's teardown also checks
# that the server exits 0 and leaves no child behind.

load test_helper

stops_on() {
	start_server --model "$2"
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	kill "-$1" "$SERVER_PID" || mistake "the server had exited before it got SIG$1"
	wait_for_event "$SLOG" role=parent ev=stop ||
	    mistake "the server did not log 'ev=stop' on SIG$1: it must stop accepting and drain"
	stop_server
}

@test "prefork: SIGTERM stops the server and every worker" {
	stops_on TERM prefork
}

@test "prefork: SIGINT stops the server and every worker" {
	stops_on INT prefork
}

@test "fork: SIGTERM stops the server, a child serving a connection too" {
	start_server --model fork --end-after 60000 --reads discard --grace 500
	start_client --then none --timeout 60000
	wait_for_event "$SLOG" role=worker ev=take ||
	    mistake "the worker did not log 'take' for the connection"
	stop_server
	# the child died with the server, and the kernel closed the connection
	wait_client
}

@test "fork: every child is reaped as it exits, no zombie stays" {
	start_server --model fork
	for i in 1 2 3; do
		client --send "hello $i"
		assert_success || mistake "the client did not get its echo and EOF"
	done
	wait_until "three children reaped" reaped 3 ||
	    mistake "the server did not log 'ev=exit child=PID' for each of its three children: a child that exits must be reaped (waitpid)"
	for child in $(server_children); do
		run ps -o stat= -p "$child"
		refute_output --regexp Z ||
		    mistake "child $child stayed a zombie: the server must reap each child as it exits (SIGCHLD and waitpid)"
	done
}

@test "prefork: a worker killed with SIGKILL is replaced" {
	start_server --workers 2
	victim=$(server_children | head -n 1)
	[ -n "$victim" ] || mistake "the server did not log 'spawn worker=PID' for its workers"
	kill -KILL "$victim"
	wait_for_event "$SLOG" role=parent ev=exit "child=$victim" signal=9 ||
	    mistake "the server did not log the killed worker's exit ('ev=exit child=$victim signal=9')"
	wait_until "a third worker" spawned 3 ||
	    mistake "the server did not fork a new worker when one died: the pool must keep its size"
	for i in 1 2 3; do
		client --send "hello $i"
		assert_success || mistake "after a worker died, the server no longer served every connection"
		assert_line --regexp '^result end=eof ' ||
		    mistake "after a worker died, a connection did not end with EOF"
	done
}

@test "prefork: with every worker busy, the next connection waits, never dropped" {
	start_server --workers 1 --reply-delay 200
	start_client --send first --log "$CLOGS/first.log"
	wait_for_event "$SLOG" role=worker ev=read bytes=5 ||
	    mistake "the worker did not log 'read bytes=5' for the first connection"
	client --send second
	assert_success || mistake "with its one worker busy, the server dropped the second connection instead of making it wait"
	assert_line 'recv bytes=6 data=second' || mistake "the second connection did not get its echo"
	second=$(t_of "$SLOG" role=parent ev=accept "conn=$(field "$(event "$CLOG" ev=connect)" conn)") ||
	    mistake "the parent did not log the accept of the second connection with the client's address as conn="
	wait_client
	assert_line 'recv bytes=5 data=first' || mistake "the first connection did not get its echo"
	# the second connection was accepted only once the worker was free
	free=$(t_of "$SLOG" role=worker ev=close) ||
	    mistake "the worker did not log its close of the first connection"
	((second >= free)) ||
	    mistake "the server accepted a connection while its only worker was busy: with --queue 0 it must leave it in the listen backlog"
}
