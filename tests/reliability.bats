#!/usr/bin/env bats
# A server that drains on stop, survives its workers, bounds what it holds,
# and neither leaks a descriptor nor grows under load.

load test_helper

# pids_of: the server and its children now, from /proc (Linux)
pids_of() {
	local st
	echo "$SERVER_PID"
	for st in /proc/[0-9]*/status; do
		[ "$(sed -n 's/^PPid:[[:space:]]*//p' "$st" 2>/dev/null)" = "$SERVER_PID" ] &&
		    basename "$(dirname "$st")"
	done
}

# snapshot: "pid fds rss_kb" for the server and each child, sorted by pid
snapshot() {
	local pid
	for pid in $(pids_of | sort -n); do
		set -- "/proc/$pid/fd"/*
		echo "$pid $# $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")"
	done
}

linux_only() {
	[ -d /proc/self/fd ] || skip "needs /proc"
}

@test "SIGTERM drains: a connection in flight finishes with an orderly release" {
	start_server --reply-delay 300
	"$CLIENT" --port "$PORT" --send hello --log "$CLOG" >"$BATS_TEST_TMPDIR/out" 3>&- &
	client_pid=$!
	wait_for_event "$SLOG" role=worker ev=read bytes=5
	kill -TERM "$SERVER_PID"
	wait "$client_pid"
	run tail -n 1 "$BATS_TEST_TMPDIR/out"
	assert_output --regexp '^result end=eof .* sent=5 received=5$'
	stop_server
	stop=$(t_of "$SLOG" role=parent ev=stop)
	close=$(t_of "$SLOG" role=worker ev=close)
	((stop < close))
	run has_event "$SLOG" role=parent ev=abort
	assert_failure
}

@test "what is still open after --grace is ended, and logged" {
	start_server --grace 200 --reads discard --end-after 60000
	"$CLIENT" --port "$PORT" --then none --timeout 30000 --log "$CLOG" >/dev/null 3>&- &
	client_pid=$!
	wait_for_event "$SLOG" role=worker ev=take
	kill -TERM "$SERVER_PID"
	wait "$client_pid" || true
	stop_server
	stop=$(t_of "$SLOG" role=parent ev=stop grace=200)
	abort=$(t_of "$SLOG" role=parent ev=abort workers=1)
	((abort - stop >= 200 * MS))
	# the client's end came with the worker's, long before its own timeout
	has_event "$SLOG" role=parent ev=close by=exit
	end=$(grep -E ' ev=(eof|rst) ' "$CLOG")
	(($(field "$end" t) >= abort))
}

@test "a second SIGTERM ends the drain at once" {
	start_server --grace 60000 --reads discard --end-after 60000
	"$CLIENT" --port "$PORT" --then none --timeout 30000 >/dev/null 3>&- &
	client_pid=$!
	wait_for_event "$SLOG" role=worker ev=take
	kill -TERM "$SERVER_PID"
	wait_for_event "$SLOG" role=parent ev=stop
	kill -TERM "$SERVER_PID"
	wait "$client_pid" || true
	stop_server
	has_event "$SLOG" role=parent ev=abort workers=1
}

@test "a worker killed while it serves: the parent logs the close, the pool keeps its size" {
	linux_only
	start_server --workers 2 --reads discard --end-after 60000
	"$CLIENT" --port "$PORT" --then none --timeout 30000 --log "$CLOG" >/dev/null 3>&- &
	client_pid=$!
	wait_for_event "$SLOG" role=worker ev=take
	victim=$(field "$(event "$SLOG" role=worker ev=take)" pid)
	kill -KILL "$victim"
	wait "$client_pid"
	wait_for_event "$SLOG" role=parent ev=close by=exit "exited=$victim" holders=1-\>0
	wait_until "a new worker" spawned 3
	has_event "$CLOG" ev=eof
	assert_equal "$(pids_of | wc -l)" 3
}

# spawned N: the server has forked N workers
spawned() {
	[ "$(server_children | wc -l)" -eq "$1" ]
}

@test "when the parent dies, its workers notice and exit: no orphans" {
	start_server --workers 3
	wait_until "three workers" spawned 3
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" || true
	SERVER_PID=
	wait_until "the workers to exit" children_gone
}

@test "--queue holds connections for a busy pool; past it they wait in the backlog" {
	command -v ss >/dev/null || skip "needs ss to see the backlog"
	start_server --workers 1 --queue 2 --reads discard --end-after 60000 --grace 0
	for _ in 1 2 3 4; do
		"$CLIENT" --port "$PORT" --then none --timeout 30000 >/dev/null 3>&- &
	done
	# one served, two accepted and queued, the fourth left in the listen backlog
	wait_until "three accepts" accepted 3
	wait_until "one in the backlog" backlog 1
	has_event "$SLOG" role=parent ev=accept queued=1
	stop_server
	wait
}

accepted() {
	[ "$(grep -c ' ev=accept ' "$SLOG")" -eq "$1" ]
}

backlog() {
	[ "$(ss -tln "( sport = :$PORT )" | awk 'NR == 2 { print $2 }')" = "$1" ]
}

@test "--idle-timeout ends a connection that sends nothing" {
	start_server --idle-timeout 200
	client --then none --timeout 30000
	assert_success
	assert_line --regexp '^result end=eof '
	idle=$(t_of "$SLOG" role=worker ev=idle ms=200)
	take=$(t_of "$SLOG" role=worker ev=take)
	eof=$(t_of "$CLOG" ev=eof)
	((idle - take >= 200 * MS && eof >= idle))
}

@test "the descriptor limit is checked at start, clearly" {
	run bash -c "ulimit -n 20 && exec '$SERVER' --port 0 --workers 8"
	assert_failure 1
	assert_output "server: the descriptor limit (ulimit -n) is 20: --workers 8 and --queue 0 need at least 25"
}

@test "1,000 clients at once: each sends, half-closes and gets its echo, every byte right" {
	start_server
	run bash -c "ulimit -n 4096 && exec '$CLIENT' --port $PORT --send 'a thousand at once' \
	    --send ' and every byte checked' --repeat 1000 --concurrency 1000"
	assert_success
	assert_line --regexp '^stats runs=1000 eof=1000 rst=0 timeout=0 closed=0 errors=0 '
}

@test "20,000 exchanges: no growth in descriptors, memory or processes" {
	linux_only
	start_server
	run "$CLIENT" --port "$PORT" --send first
	assert_success
	first=$(snapshot)
	# a warm-up that touches every slot of the tables, so that memory is
	# compared with all of them paged in
	run "$CLIENT" --port "$PORT" --send warm --repeat 2000 --concurrency 8
	assert_success
	warm=$(snapshot)
	run "$CLIENT" --port "$PORT" --send "$(printf '%064d' 0)" --repeat 20000 --concurrency 8
	assert_success
	assert_line --regexp ' errors=0 '
	after=$(snapshot)
	# the same processes, each with the descriptors it had after the first
	assert_equal "$(cut -d ' ' -f 1,2 <<<"$after")" "$(cut -d ' ' -f 1,2 <<<"$first")"
	# and no more than 64 kB more memory each than after the warm-up; under
	# ASan, whose quarantine holds freed memory on purpose, that says nothing
	[ -z "${CLOSELAB_SANITIZED:-}" ] || return 0
	paste -d ' ' <(echo "$warm") <(echo "$after") |
	    awk '{ if ($6 - $3 > 64) { print "pid " $1 " grew " $6 - $3 " kB"; exit 1 } }'
}
