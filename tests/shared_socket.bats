#!/usr/bin/env bats
# When does the client see EOF, if parent and worker share the socket?
# Each case runs for both models: prefork (SCM_RIGHTS handoff) and fork.

load test_helper

KEEP=300	# ms the parent keeps its copy after the handoff

# worker close while the parent keeps: no FIN until the parent's close
close_while_held() {
	start_server --model "$1" --parent-keeps "$KEEP" --end close
	client --send hello
	assert_success
	assert_line --regexp '^result end=eof '

	handed=$(t_of "$SLOG" role=parent "ev=$2")
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer)
	eof=$(t_of "$CLOG" ev=eof)
	# the worker's close sent nothing: EOF waited for the parent's
	((worker_close < parent_close))
	((eof >= parent_close))
	((eof - handed >= KEEP * MS))
}

# worker shutdown while the parent keeps: the FIN leaves at once
shutdown_while_held() {
	local keep=2000
	start_server --model "$1" --parent-keeps "$keep" --end shutdown
	client --send hello
	assert_success
	assert_line --regexp '^result end=eof '

	wait_for_event "$SLOG" role=parent ev=close keep=timer
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR holders=2)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer)
	eof=$(t_of "$CLOG" ev=eof)
	((eof >= shutdown))
	# "well before": the keep is 2000 ms; EOF normally takes under 1 ms
	((eof < parent_close))
	((parent_close - eof >= keep * MS / 2))
}

# parent keeps 0: it lets go at once, and the worker's close sends the FIN
parent_keeps_nothing() {
	start_server --model "$1" --end close
	client --send hello
	assert_success
	assert_line --regexp '^result end=eof '

	parent_close=$(t_of "$SLOG" role=parent ev=close keep=0)
	worker_close=$(t_of "$SLOG" role=worker ev=close)
	last=$(t_of "$SLOG" ev=close holders=1-\>0)
	eof=$(t_of "$CLOG" ev=eof)
	((eof >= worker_close))
	((eof >= last))
	# EOF follows the worker's close closely: 1 s is 1000 times what it needs
	((eof - worker_close < 1000 * MS))
	((parent_close < eof))
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
	parent_keeps_nothing prefork
}

@test "fork: when the parent keeps nothing, EOF comes at the child's close" {
	parent_keeps_nothing fork
}

@test "parent keeps until SIGUSR1: EOF waits for the signal" {
	start_server --parent-keeps signal --end close
	"$CLIENT" --port "$PORT" --send hello --log "$CLOG" >"$BATS_TEST_TMPDIR/out" 3>&- &
	client_pid=$!
	wait_for_event "$SLOG" role=worker ev=close holders=2-\>1
	kill -USR1 "$SERVER_PID"
	wait "$client_pid"
	run tail -n 1 "$BATS_TEST_TMPDIR/out"
	assert_output --regexp '^result end=eof '

	worker_close=$(t_of "$SLOG" role=worker ev=close)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=signal)
	eof=$(t_of "$CLOG" ev=eof)
	((worker_close < parent_close))
	((eof >= parent_close))
}

@test "parent keeps forever: the client times out though the worker closed" {
	start_server --parent-keeps never --end close
	client --send hello --timeout 300
	assert_failure 4
	assert_line --regexp '^result end=timeout '
	has_event "$SLOG" role=worker ev=close holders=2-\>1
	run has_event "$CLOG" ev=eof
	assert_failure
}
