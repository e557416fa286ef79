#!/usr/bin/env bats
# When does the client see EOF, if parent and worker share the socket?
# Each case runs for both models: prefork (SCM_RIGHTS handoff) and fork.

load test_helper

KEEP=300	# ms the parent keeps its copy after the handoff

# worker close while the parent keeps: no FIN until the parent's close
close_while_held() {
	start_server --model "$1" --parent-keeps "$KEEP" --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"

	handed=$(t_of "$SLOG" role=parent "ev=$2") ||
	    mistake "the parent did not log 'ev=$2' when it gave the connection to the worker"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	((eof - handed >= KEEP * MS)) ||
	    mistake "the client's EOF came less than $KEEP ms after the $2: the worker's close() must not send the FIN while the parent keeps its copy (--parent-keeps $KEEP)"
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1) ||
	    mistake "the worker's close() was not logged as 'holders=2->1': while the parent keeps its copy, two processes hold the socket"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer) ||
	    mistake "the parent's close was not logged as the last ('holders=1->0 keep=timer') after --parent-keeps $KEEP"
	((worker_close < parent_close && eof >= parent_close)) ||
	    mistake "the order is wrong: the worker's close, then the parent's close, then the client's EOF"
}

# worker shutdown while the parent keeps: the FIN leaves at once
shutdown_while_held() {
	local keep=2000
	start_server --model "$1" --parent-keeps "$keep" --end shutdown
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"

	wait_for_event "$SLOG" role=parent ev=close keep=timer ||
	    mistake "the parent never closed its copy after --parent-keeps $keep"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer) ||
	    mistake "the parent's close after --parent-keeps $keep was not logged as the last ('holders=1->0 keep=timer')"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	# "well before": the keep is 2000 ms; EOF normally takes under 1 ms
	((eof < parent_close && parent_close - eof >= keep * MS / 2)) ||
	    mistake "with --end shutdown the client's EOF waited for the parent's close: the worker must call shutdown(SHUT_WR), which sends the FIN whoever else holds the socket, not just close()"
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR holders=2) ||
	    mistake "the worker did not log 'shutdown how=SHUT_WR holders=2' while the parent held the socket"
	((eof >= shutdown)) || mistake "the client's EOF came before the worker's shutdown"
}

# parent keeps 0: it lets go at once, and the worker's close sends the FIN
parent_keeps_nothing() {
	start_server --model "$1" --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"

	# the parent writes its lines before its next poll(): on a loaded machine,
	# after the client has ended
	wait_for_event "$SLOG" role=parent ev=close keep=0 ||
	    mistake "the parent did not log its close with 'keep=0': with --parent-keeps 0 it must close its copy right after the $2"
	parent_close=$(t_of "$SLOG" role=parent ev=close keep=0)
	worker_close=$(t_of "$SLOG" role=worker ev=close) ||
	    mistake "the worker did not log its close ('role=worker ev=close')"
	last=$(t_of "$SLOG" ev=close holders=1-\>0) ||
	    mistake "no close was logged as the last holder's ('holders=1->0')"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	((eof >= worker_close && eof >= last)) ||
	    mistake "the client's EOF came before the server's last close"
	# EOF follows the worker's close closely: 1 s is 1000 times what it needs
	((eof - worker_close < 1000 * MS)) ||
	    mistake "the client's EOF came more than 1 s after the worker's close, though the parent keeps nothing"
	((parent_close < eof)) || mistake "the parent's close came after the client's EOF"
}

@test "prefork: worker close while the parent keeps sends no FIN until the parent closes" {
	close_while_held prefork handoff
}

@test "fork: child close while the parent keeps sends no FIN until the parent closes" {
	close_while_held fork fork
}

@test "prefork: worker shutdown while the parent keeps sends the FIN at once" {
	shutdown_while_held prefork
}

@test "fork: child shutdown while the parent keeps sends the FIN at once" {
	shutdown_while_held fork
}

@test "prefork: when the parent keeps nothing, EOF comes at the worker's close" {
	parent_keeps_nothing prefork handoff
}

@test "fork: when the parent keeps nothing, EOF comes at the child's close" {
	parent_keeps_nothing fork fork
}

@test "parent keeps until SIGUSR1: EOF waits for the signal" {
	start_server --parent-keeps signal --end close
	start_client --send hello --log "$CLOG"
	wait_for_event "$SLOG" role=worker ev=close holders=2-\>1 ||
	    mistake "the worker's close() was not logged as 'holders=2->1' while the parent keeps its copy until SIGUSR1"
	kill -USR1 "$SERVER_PID" || mistake "the server had exited before it got SIGUSR1"
	wait_client
	assert_success || mistake "the client did not end with EOF once the parent got SIGUSR1"
	assert_line --index -1 --regexp '^result end=eof ' || mistake "the connection did not end with EOF"

	worker_close=$(t_of "$SLOG" role=worker ev=close) ||
	    mistake "the worker did not log its close ('role=worker ev=close')"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=signal) ||
	    mistake "the parent did not log its close as 'holders=1->0 keep=signal' on SIGUSR1"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	((worker_close < parent_close && eof >= parent_close)) ||
	    mistake "the client's EOF came before the parent let go on SIGUSR1: the worker's close() must not send the FIN while the parent holds the socket"
}

@test "parent keeps forever: the client times out though the worker closed" {
	start_server --parent-keeps never --end close
	client --send hello --timeout 300
	assert_failure 4 || mistake "the client should have timed out (exit 4): the parent never lets go, so no FIN may leave"
	assert_line --regexp '^result end=timeout ' ||
	    mistake "the client's result was not 'result end=timeout ...', though it timed out"
	has_event "$SLOG" role=worker ev=close holders=2-\>1 ||
	    mistake "the worker's close() was not logged as 'holders=2->1' while the parent keeps its copy"
	run has_event "$CLOG" ev=eof
	assert_failure || mistake "the client saw EOF though the parent never closed its copy: a close() must only drop a reference"
}

@test "a helper that inherits the socket holds it: EOF waits for the helper's exit" {
	start_server --spawn 'sleep 0.5' --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	spawn=$(t_of "$SLOG" role=worker ev=spawn inherits=yes) ||
	    mistake "the worker did not log 'spawn helper=PID inherits=yes': without --cloexec the --spawn helper inherits the socket"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	((eof - spawn >= 500 * MS)) ||
	    mistake "the client's EOF came before the --spawn helper exited, though the helper inherited the socket: it holds a reference, so no FIN may leave until it exits"
}

@test "with --cloexec the helper never holds the socket: EOF at the worker's close" {
	start_server --spawn 'sleep 0.5' --cloexec --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	has_event "$SLOG" role=worker ev=spawn inherits=no ||
	    mistake "the worker did not log 'spawn helper=PID inherits=no' with --cloexec"
	spawn=$(t_of "$SLOG" role=worker ev=spawn) ||
	    mistake "the worker did not log 'spawn helper=PID' for the --spawn helper"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	((eof - spawn < 500 * MS)) ||
	    mistake "with --cloexec the client's EOF still waited for the --spawn helper: the socket must be close-on-exec (FD_CLOEXEC), so that the helper never holds it"
}

@test "fork: a child holds only its own connection, not the others the parent keeps" {
	start_server --model fork --parent-keeps 1000 --end close
	start_client --send first --log "$CLOGS/first.log"
	wait_for_event "$SLOG" role=parent ev=fork ||
	    mistake "the parent did not log 'ev=fork child=PID' with --model fork"
	# the second child is forked while the parent still keeps the first connection
	run_program "$CLIENT" --port "$PORT" --send second --then none --timeout 3000 --log "$CLOG"
	wait_client
	assert_success || mistake "the first client did not end with EOF"
	parent_close=$(t_of "$SLOG" role=parent ev=close keep=timer) ||
	    mistake "the parent did not log its close of the first connection after --parent-keeps 1000 ('keep=timer')"
	eof=$(t_of "$CLOGS/first.log" ev=eof) ||
	    mistake "the first client did not log 'ev=eof' for the end of its connection"
	timeout=$(t_of "$CLOG" ev=timeout) ||
	    mistake "the second client did not log 'ev=timeout' after its --timeout 3000"
	((eof >= parent_close && eof < timeout)) ||
	    mistake "the first connection's FIN waited for the second connection's child: a forked child must close every descriptor it does not serve (the listener and the other connections)"
}
