#!/usr/bin/env bats
# A server that drains on stop, survives its workers, bounds what it holds,
# cannot be held by a peer that never reads, says every failure, leaves
# nothing running, and neither leaks a descriptor nor grows under load.

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

# snapshot: "pid fds anon_kb" for the server and each child, sorted by pid
snapshot() {
	local pid
	for pid in $(pids_of | sort -n); do
		set -- "/proc/$pid/fd"/*
		# anonymous memory (heap, stack, data): the pages of code mapped from
		# files grow as rarer paths run, and are shared
		echo "$pid $# $(sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")"
	done
}

linux_only() {
	[ -d /proc/self/fd ] || skip "needs /proc"
}

accepted() {
	[ "$(values "$SLOG" fd ev=accept | wc -l)" -eq "$1" ]
}

backlog() {
	[ "$(ss -tln "( sport = :$PORT )" | awk 'NR == 2 { print $2 }')" = "$1" ]
}

# drains_on SIG: the one worker is stopped (SIGSTOP) while the parent hands
# it the connection and takes SIG, and goes on once the stop is logged: the
# connection is in flight at the stop, however slow the machine (a grace of
# 60 s: the test must see the stop and continue the worker within it)
drains_on() {
	local worker
	start_server --reply-delay 300 --workers 1 --grace 60000
	wait_until "the server's worker" spawned 1
	worker=$(server_children)
	kill -STOP "$worker"
	start_client --send hello --log "$CLOG"
	wait_for_event "$SLOG" role=parent ev=handoff ||
	    mistake "the parent never handed the connection to its worker"
	kill "-$1" "$SERVER_PID"
	wait_for_event "$SLOG" role=parent ev=stop || { kill -CONT "$worker"; false; } ||
	    mistake "the parent did not log its stop on SIG$1"
	kill -CONT "$worker"
	wait_client
	assert_line --index -1 --regexp '^result end=eof .* sent=5 received=5$' ||
	    mistake "a connection in flight at SIG$1 did not finish with its echo and EOF"
	stop_server
	stop=$(t_of "$SLOG" role=parent ev=stop) ||
	    mistake "the parent did not log its stop on SIG$1"
	close=$(t_of "$SLOG" role=worker ev=close) ||
	    mistake "the worker did not log its close of the connection in flight"
	((stop < close)) || mistake "the worker closed before the stop"
	run has_event "$SLOG" role=parent ev=abort
	assert_failure || mistake "the drain after SIG$1 ended a connection that could finish"
}

@test "SIGTERM drains: a connection in flight finishes with an orderly release" {
	drains_on TERM
}

@test "SIGHUP drains too: a hangup does not kill connections in flight" {
	drains_on HUP
}

@test "what is still open after --grace is ended, and logged" {
	start_server --grace 200 --reads discard --end-after 60000
	start_client --then none --timeout 30000 --log "$CLOG"
	wait_for_event "$SLOG" role=worker ev=take ||
	    mistake "no worker took the connection"
	kill -TERM "$SERVER_PID"
	wait_client
	stop_server
	stop=$(t_of "$SLOG" role=parent ev=stop grace=200) ||
	    mistake "the parent did not log its stop with its grace ('ev=stop grace=200')"
	abort=$(t_of "$SLOG" role=parent ev=abort workers=1) ||
	    mistake "the parent did not log that it ended the one worker still busy after --grace ('ev=abort workers=1')"
	((abort - stop >= 200 * MS)) || mistake "the server ended the connection before --grace 200 was over"
	# the client's end came with the worker's, long before its own timeout
	has_event "$SLOG" role=parent ev=close by=exit ||
	    mistake "the ended worker's exit was not logged as its close of the connection ('ev=close by=exit')"
	end=$(earliest "$CLOG" ev=eof ev=rst) ||
	    mistake "the client saw neither EOF nor a reset when the server ended its connection"
	(($(field "$end" t) >= abort)) ||
	    mistake "the client's connection ended before the server ended it"
}

@test "a second SIGTERM ends the drain at once" {
	start_server --grace 60000 --reads discard --end-after 60000
	start_client --then none --timeout 30000
	wait_for_event "$SLOG" role=worker ev=take ||
	    mistake "no worker took the connection"
	kill -TERM "$SERVER_PID"
	wait_for_event "$SLOG" role=parent ev=stop ||
	    mistake "the parent did not log its stop on the first SIGTERM"
	kill -TERM "$SERVER_PID"
	wait_client
	stop_server
	has_event "$SLOG" role=parent ev=abort workers=1 ||
	    mistake "a second SIGTERM did not end the drain and the busy worker at once ('ev=abort workers=1')"
}

@test "a helper that ignores SIGTERM does not outlive the server" {
	# shellcheck disable=SC2016 # the helper's shell runs it
	start_server --spawn 'trap "" TERM; sleep 60' --grace 100
	start_client --send hello --timeout 30000
	wait_for_event "$SLOG" role=worker ev=close ||
	    mistake "the worker never closed the connection"
	worker=$(field "$(event "$SLOG" role=worker ev=take)" pid)
	stop_server
	# the helper's whole process group, its sleep too, is gone
	! kill -0 -- "-$worker" 2>/dev/null ||
	    mistake "a --spawn helper that ignores SIGTERM was still running after the server stopped"
	# and with it the last copy of the socket: the client saw its EOF
	wait_client
	assert_line --index -1 --regexp '^result end=eof ' ||
	    mistake "the client saw no EOF, though the helper that held the socket was gone"
}

@test "a worker killed while it serves: the parent logs the close, the pool keeps its size" {
	linux_only
	start_server --workers 2 --reads discard --end-after 60000
	start_client --then none --timeout 30000 --log "$CLOG"
	wait_for_event "$SLOG" role=worker ev=take ||
	    mistake "no worker took the connection"
	victim=$(field "$(event "$SLOG" role=worker ev=take)" pid)
	kill -KILL "$victim"
	wait_client
	wait_for_event "$SLOG" role=parent ev=close by=exit "exited=$victim" holders=1-\>0 ||
	    mistake "the parent did not log the killed worker's exit as the last close of its connection"
	wait_until "a new worker" spawned 3 ||
	    mistake "the parent did not fork a new worker in place of the killed one"
	has_event "$CLOG" ev=eof ||
	    mistake "the client saw no EOF when the worker that held its connection was killed"
	assert_equal "$(pids_of | wc -l)" 3 ||
	    mistake "the server did not keep its size: the parent and 2 workers"
}

@test "when the parent dies, its workers notice and exit: no orphans" {
	start_server --workers 3
	wait_until "three workers" spawned 3 ||
	    mistake "the server did not fork its 3 workers"
	kill_server
	wait_until "the workers to exit" children_gone ||
	    mistake "a worker went on after its parent was killed"
}

@test "a worker whose parent was killed counts it gone: its own close is the last" {
	# the parent dies while the worker holds the connection: once it has
	# read, the worker waits 3 s before it answers, a hundred times what the
	# kill takes (not SIGSTOP: a stopped worker whose parent dies is sent
	# SIGHUP, its process group orphaned)
	start_server --parent-keeps never --reply-delay 3000 --end close
	start_client --send hello --log "$CLOG"
	wait_for_event "$SLOG" role=worker ev=read bytes=5 ||
	    mistake "the worker never read the client's 5 bytes"
	kill_server
	wait_client
	assert_line --index -1 --regexp '^result end=eof ' ||
	    mistake "the client saw no EOF after the worker whose parent was killed finished"
	wait_until "the workers to exit" children_gone ||
	    mistake "a worker went on after its parent was killed"
	has_event "$SLOG" role=worker ev=close by=exit "exited=$KILLED_PID" holders=2-\>1 ||
	    mistake "the worker did not count its killed parent's copy gone ('by=exit holders=2->1')"
	close=$(t_of "$SLOG" role=worker ev=close holders=1-\>0) ||
	    mistake "the worker's close was not counted the last, though the parent was dead"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((close <= eof)) || mistake "the client's EOF came before the worker's close, the last"
}

@test "--queue holds connections for a busy pool; past it they wait in the backlog" {
	command -v ss >/dev/null || skip "needs ss to see the backlog"
	start_server --workers 1 --queue 2 --reads discard --end-after 60000 --grace 0
	for _ in 1 2 3 4; do
		timeout -k 2 "$DEADLINE_S" "$CLIENT" --port "$PORT" --then none --timeout 30000 >/dev/null 3>&- &
	done
	# one served, two accepted and queued, the fourth left in the listen backlog
	wait_until "three accepts" accepted 3 ||
	    mistake "the parent did not accept 3 connections: one for its worker and 2 for its --queue"
	wait_until "one in the backlog" backlog 1 ||
	    mistake "the fourth connection was not left in the listen backlog"
	has_event "$SLOG" role=parent ev=accept queued=1 ||
	    mistake "the parent did not log a connection it accepted and queued ('queued=1')"
	stop_server
	wait
}

@test "--idle-timeout ends a connection that sends nothing" {
	start_server --idle-timeout 200
	client --then none --timeout 30000
	assert_success || mistake "the client that sent nothing did not get EOF"
	assert_line --regexp '^result end=eof ' || mistake "the idle connection did not end with EOF"
	idle=$(t_of "$SLOG" role=worker ev=idle ms=200 waiting=read) ||
	    mistake "the worker did not log the idle timeout of its read ('ev=idle ms=200 waiting=read')"
	take=$(t_of "$SLOG" role=worker ev=take)
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	# a socket's timeout counts in the kernel's ticks (jiffies): it may end up
	# to one tick early, 10 ms at most (HZ=100)
	((idle - take >= 190 * MS && eof >= idle)) ||
	    mistake "the connection was ended before --idle-timeout 200 was over"
}

@test "--idle-timeout frees a worker from a peer that sends and never reads" {
	start_server --workers 1 --idle-timeout 300
	# 64 MiB to an echo server, and not a byte read back: the echo fills up
	# shellcheck disable=SC2016 # for the inner shell or awk to expand
	timeout -k 2 "$DEADLINE_S" bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$1" &&
	    head -c 67108864 /dev/zero >&5' writer "$PORT" 2>/dev/null 3>&- &
	writer=$!
	wait_for_event "$SLOG" role=worker ev=idle ms=300 waiting=write ||
	    mistake "a worker whose writes could not go anywhere was never freed by --idle-timeout"
	# the only worker is free again
	client --send after
	assert_success || mistake "the only worker, freed by --idle-timeout, did not serve the next client"
	assert_line 'recv bytes=5 data=after' ||
	    mistake "the only worker, freed by --idle-timeout, did not echo the next client's data"
	wait "$writer" || true
}

@test "a failing accept() is logged once, and the parent rests instead of spinning" {
	use_faults
	# the first five accept()s fail as if the descriptors had run out
	LD_PRELOAD=$FAULTS CLOSELAB_FAULT=accept4:1-5:EMFILE start_server
	client --send hello
	assert_success || mistake "after accept() failed five times, the server did not serve the client"
	assert_equal "$(values "$SLOG" err ev=accept err=EMFILE | wc -l)" 1 ||
	    mistake "five failed accept()s were not logged once"
	failed=$(t_of "$SLOG" ev=accept err=EMFILE)
	accepted=$(t_of "$SLOG" ev=accept queued=0) ||
	    mistake "the parent did not log the accept() that succeeded"
	# four rests of 100 ms between five failed tries
	((accepted - failed >= 400 * MS)) ||
	    mistake "the parent tried accept() again at once after a failure: it must rest 100 ms between tries"
}

@test "a failing poll() in the parent stops the workers and exits 1" {
	use_faults
	# a limit of 256 descriptors: the start looks at them with one poll(),
	# and the parent's loop makes the second
	LD_PRELOAD=$FAULTS CLOSELAB_FAULT=poll:2:ENOMEM run_limited 256 "$SERVER" --port 0 \
	    --log "$SLOG"
	assert_failure 1 || mistake "a failing poll() in the parent must make the server exit 1"
	assert_line 'server: poll: Cannot allocate memory'
	has_event "$SLOG" ev=spawn || mistake "the server had forked no worker before its poll() failed"
	children_gone || mistake "a worker went on after the parent's poll() failed and it exited"
}

@test "the descriptor limit is checked at start, clearly" {
	run_limited 20 "$SERVER" --port 0 --workers 16
	assert_failure 1 || mistake "a server that cannot have the descriptors it needs must exit 1 at start"
	assert_output --regexp '^server: the descriptor limit \(ulimit -n\) is 20 and [0-9]+ are open: --workers 16 and --queue 0 need 24 more$'
}

@test "descriptors inherited at start count against the limit" {
	# 30 open descriptors (3 to 32), then a limit of 40
	# shellcheck disable=SC2016 # for the inner shell or awk to expand
	run_program bash -c 'for fd in $(seq 3 32); do eval "exec $fd</dev/null"; done
	    ulimit -n 40 && exec "$1" --port 0 --workers 8' with-fds "$SERVER"
	assert_failure 1 || mistake "the server did not count the 30 inherited descriptors against its limit"
	assert_output --regexp '^server: the descriptor limit \(ulimit -n\) is 40 and 3[0-9] are open: '
}

@test "--port-file never replaces what is not a regular file" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	run_program "$SERVER" --port 0 --port-file "$BATS_TEST_TMPDIR/fifo"
	assert_failure 1 || mistake "a --port-file that is not a regular file must make the server exit 1"
	assert_output "server: cannot write port file $BATS_TEST_TMPDIR/fifo: it exists and is not a regular file"
	[ -p "$BATS_TEST_TMPDIR/fifo" ] || mistake "the server replaced the FIFO given as its --port-file"
	# nothing left beside it either
	set -- "$BATS_TEST_TMPDIR"/fifo*
	assert_equal "$#" 1 || mistake "the server left a file beside the FIFO given as its --port-file"
}

@test "a log that cannot be written is said once, and the server starts nothing" {
	[ -w /dev/full ] || skip "needs /dev/full"
	run_program "$SERVER" --port 0 --log /dev/full
	assert_failure 1 || mistake "a log that cannot be written at start must make the server exit 1"
	assert_output 'server: cannot write log /dev/full (it is incomplete from here on): No space left on device'
}

@test "a log that fills up while the server serves is said, and the exit status says so" {
	[ "$(id -u)" = 0 ] || skip "needs root, to mount a small file system"
	unshare -m true 2>/dev/null || skip "needs a mount namespace of its own"
	# the server's own mount namespace, with a 64 KiB file system for its log:
	# a few dozen exchanges fill it
	small=$BATS_TEST_TMPDIR/small
	mkdir "$small"
	printf '%s\n' "mount -t tmpfs -o size=64k tmpfs '$small' && exec \"\$@\"" \
	    >"$BATS_TEST_TMPDIR/small.sh"
	SERVER_WRAP="unshare -m sh $BATS_TEST_TMPDIR/small.sh" SLOG=$small/server.log start_server
	run_program "$CLIENT" --port "$PORT" --send 'some bytes to log' --repeat 500 --concurrency 4
	assert_success || mistake "the server stopped serving when its log filled up"
	assert_line --regexp '^stats runs=500 eof=500 ' ||
	    mistake "not all 500 exchanges ended with EOF while the server's log was full"
	server_stop && mistake "the server exited 0 though its log was incomplete"
	# each process that could not write says so once
	run grep -c 'cannot write log .*server.log (it is incomplete from here on): No space left on device' \
	    "$BATS_TEST_TMPDIR/server.err"
	[ "$output" -ge 1 ] || mistake "no process said that the log could not be written"
	run grep -v -e 'cannot write log' -e '^listening on' "$BATS_TEST_TMPDIR/server.err"
	assert_output "" || mistake "the server said more than that its log could not be written"
}

@test "1,000 clients at once: each sends, half-closes and gets its echo, every byte right" {
	start_server
	run_limited 4096 "$CLIENT" --port "$PORT" --send 'a thousand at once' \
	    --send ' and every byte checked' --repeat 1000 --concurrency 1000
	assert_success || mistake "1,000 clients at once did not all get their echo and EOF"
	assert_line --regexp '^stats runs=1000 eof=1000 rst=0 timeout=0 closed=0 errors=0 ' ||
	    mistake "not all of the 1,000 clients at once ended with EOF and every byte right"
}

@test "fork model under load: every exit reaped, every close counted right, every line named right" {
	start_server --model fork --workers 16
	DEADLINE_S=60 run_program "$CLIENT" --port "$PORT" --send hello --repeat 3000 --concurrency 16
	assert_success || mistake "a fork-model server under load stopped serving: a child's exit was missed"
	assert_line --regexp '^stats runs=3000 eof=3000 ' ||
	    mistake "not all 3,000 exchanges with the fork-model server ended with EOF"
	wait_until "every child reaped" reaped 3000 ||
	    mistake "the fork-model server did not log the exit of each of its 3,000 children"
	# one last close a connection, no more: a slot is never counted empty
	# while a child still holds it
	assert_equal "$(values "$SLOG" holders ev=close | grep -c -- '->0$')" 3000 ||
	    mistake "the fork-model server did not count exactly one last close ('holders=1->0') for each of its 3,000 connections"
	# each child names the connection it was forked for, on every line
	run awk 'NR == FNR { conn[$1] = $2; next }
	    ($1 in conn) && conn[$1] != $2 { print "child " $1 " names " $2; bad = 1 }
	    END { exit bad }' <(values "$SLOG" "child conn" ev=fork) <(values "$SLOG" "pid conn" role=worker)
	assert_success || mistake "a child logged a line naming another connection than the one it was forked for"
}

# logged N KEY=VALUE...: the server's log has N lines with every pair
logged() {
	[ "$(values "$SLOG" fd "${@:2}" | wc -l)" -eq "$1" ]
}

@test "prefork under load: each worker's lines, gathered per connection, are all in the log, once" {
	start_server --workers 4
	DEADLINE_S=60 run_program "$CLIENT" --port "$PORT" --send hello --repeat 2000 --concurrency 8
	assert_success
	assert_line --regexp '^stats runs=2000 eof=2000 '
	# a connection's lines are written when it has been served: the last
	# ones a moment after the client's EOF
	wait_until "every worker's close" logged 2000 role=worker ev=close
	for ev in take read write eof; do
		logged 2000 role=worker "ev=$ev" ||
		    mistake "the workers did not log ev=$ev once for each of 2000 connections: a line was lost or written twice"
	done
}

@test "20,000 exchanges: no growth in descriptors, memory or processes" {
	linux_only
	start_server
	run_program "$CLIENT" --port "$PORT" --send first
	assert_success || mistake "the first exchange did not end with its echo and EOF"
	first=$(snapshot)
	# a warm-up that touches every slot of the tables, so that memory is
	# compared with all of them paged in
	run_program "$CLIENT" --port "$PORT" --send warm --repeat 2000 --concurrency 8
	assert_success || mistake "the 2,000 exchanges of the warm-up did not all end with EOF"
	warm=$(snapshot)
	DEADLINE_S=60 run_program "$CLIENT" --port "$PORT" --send "$(printf '%064d' 0)" \
	    --repeat 20000 --concurrency 8
	assert_success || mistake "the 20,000 exchanges did not all end with EOF"
	assert_line --regexp ' errors=0 ' || mistake "some of the 20,000 exchanges failed"
	after=$(snapshot)
	# the same processes, each with the descriptors it had after the first
	assert_equal "$(cut -d ' ' -f 1,2 <<<"$after")" "$(cut -d ' ' -f 1,2 <<<"$first")" ||
	    mistake "after 20,000 exchanges the server's processes or their open descriptors were not the ones after the first: a leak"
	# and no more than 64 kB more memory each than after the warm-up; under
	# ASan, whose quarantine holds freed memory on purpose, that says nothing
	[ -z "${CLOSELAB_SANITIZED:-}" ] || return 0
	paste -d ' ' <(echo "$warm") <(echo "$after") |
	    awk '{ if ($6 - $3 > 64) { print "pid " $1 " grew " $6 - $3 " kB"; exit 1 } }' ||
	    mistake "a process of the server grew by more than 64 kB over 20,000 exchanges"
}

@test "the holders lock is never taken from a live owner, and taken over from a dead one; a close names the holders that exited" {
	command -v cc >/dev/null || skip "needs cc to build the lock's test"
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -o "$BATS_TEST_TMPDIR/lock" \
	    "$TOP/tests/units/holders_lock.c" "$TOP/server/holders.c" "$TOP/common/libcommon.a" ||
	    mistake "the test of the holders lock did not build"
	# its own waits are of 10 s each, the 1.5 s a stopped owner keeps the lock apart
	DEADLINE_S=60 run_program "$BATS_TEST_TMPDIR/lock"
	assert_success || mistake "the test of the holders lock failed"
	assert_output "$(printf '%s: yes\n' 'a stopped owner keeps its lock' \
	    'the owner lets go, then the waiter goes in' 'the lock of a killed child is taken over' \
	    'the lock of a killed parent is taken over' \
	    'a holder that exited before a close is named, and not counted')" ||
	    mistake "the holders lock did not behave in every case as it should: the lines with 'no' above say which"
}

# ticks PID: the clock ticks of CPU, user and system, that PID has used
# itself (/proc/PID/stat); nothing once it has gone
ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}

# parent_ran: the server's parent still runs; its ticks so far in LAST
parent_ran() {
	local t
	t=$(ticks "$SERVER_PID")
	[ -n "$t" ] || return 0
	LAST=$t
	return 1
}

@test "draining while accept() rests after a failure does not spin" {
	use_faults
	# the first connection is served; every accept() after it fails
	LD_PRELOAD=$FAULTS CLOSELAB_FAULT=accept4:2+:EMFILE start_server --reads discard \
	    --end-after 60000 --grace 1000
	start_client --then none --timeout 30000
	wait_for_event "$SLOG" role=worker ev=take ||
	    mistake "no worker took the first connection"
	timeout -k 2 "$DEADLINE_S" "$CLIENT" --port "$PORT" --timeout 30000 >/dev/null 2>&1 3>&- &
	second=$!
	wait_for_event "$SLOG" ev=accept err=EMFILE ||
	    mistake "the failing accept() of the second connection was not logged"
	# a second of drain with the listener resting: the parent's own CPU,
	# sampled until it exits (what the test's own waits cost is not the
	# server's, and a loaded machine makes them long)
	first=$(ticks "$SERVER_PID")
	LAST=$first
	kill -TERM "$SERVER_PID"
	wait_until "the server to drain and exit" parent_ran
	stop_server
	wait_client
	wait "$second" || true
	awk -v t="$((LAST - first))" -v hz="$(getconf CLK_TCK)" 'BEGIN { exit !(t / hz < 0.5) }' ||
	    mistake "the server used $((LAST - first)) ticks of CPU in a one-second drain: it spins"
}

@test "a helper reaped after its worker died is counted gone" {
	linux_only
	start_server --spawn 'sleep 0.5' --parent-keeps 3000 --reads discard --end-after 60000
	start_client --then none --timeout 30000 --log "$CLOG"
	wait_for_event "$SLOG" role=worker ev=spawn ||
	    mistake "the worker did not log its helper's spawn"
	worker=$(field "$(event "$SLOG" role=worker ev=take)" pid)
	helper=$(field "$(event "$SLOG" role=worker ev=spawn)" helper)
	kill -KILL "$worker"
	# the helper, the parent's child now, exits; then the parent lets go
	wait_for_event "$SLOG" role=parent ev=close by=exit "exited=$helper" ||
	    mistake "the helper's exit was never counted: its worker had died, and the parent reaped it"
	wait_for_event "$SLOG" role=parent ev=close keep=timer holders=1-\>0 ||
	    mistake "the parent's close at the end of its keep was not counted the last ('holders=1->0'), though the worker and its helper were gone"
	wait_client
}

@test "what a helper leaves running in a session of its own is ended at the stop" {
	linux_only
	# a duration of this run's own, so that no other run's sleep is taken for it
	stray="29.$$"
	start_server --spawn "setsid sleep $stray & sleep 0.2" --grace 0
	client --send hello --timeout 300
	wait_for_event "$SLOG" role=worker ev=exit helper= ||
	    mistake "the worker did not log its helper's exit"
	pgrep -f "^sleep $stray\$" >/dev/null ||
	    mistake "the process the helper left running in a session of its own was not running before the stop"
	stop_server
	run pgrep -f "^sleep $stray\$"
	assert_failure || mistake "a process a --spawn helper left running outlived the server"
}
