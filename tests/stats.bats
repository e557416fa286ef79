#!/usr/bin/env bats
# The client's statistics: many exchanges, several at once, every echoed
# byte checked.

load test_helper

# sum of the ends in a stats line
ends_sum() {
	local line=$1
	echo $(($(field "$line" eof) + $(field "$line" rst) + $(field "$line" timeout) +
	    $(field "$line" closed) + $(field "$line" errors)))
}

@test "the counts add up, the percentiles are in order, and the histogram holds every run" {
	start_server --workers 2
	client --send hello --repeat 60 --concurrency 6
	assert_success || mistake "60 exchanges, 6 at a time, did not all end with their echo and EOF"
	stats=${lines[-1]}
	[[ $stats == "stats runs=60 eof=60 rst=0 timeout=0 closed=0 errors=0 ms_min="* ]] ||
	    mistake "the client's last line was not 'stats runs=60 eof=60 rst=0 timeout=0 closed=0 errors=0 ms_min=...' but '$stats'"
	assert_equal "$(ends_sum "$stats")" 60 ||
	    mistake "the stats line's ends (eof, rst, timeout, closed, errors) did not add up to its 60 runs"
	[[ $stats =~ rate=[0-9]+\.[0-9]$ ]] ||
	    mistake "the stats line did not end with the rate, 'rate=N.N'"
	# min <= p50 <= p90 <= p99 <= max, compared in microseconds
	us() { local v; v=$(field "$stats" "$1"); echo $((10#${v/./})); }
	(($(us ms_min) <= $(us ms_p50) && $(us ms_p50) <= $(us ms_p90))) ||
	    mistake "the stats line's times were not in order: ms_min <= ms_p50 <= ms_p90"
	(($(us ms_p90) <= $(us ms_p99) && $(us ms_p99) <= $(us ms_max))) ||
	    mistake "the stats line's times were not in order: ms_p90 <= ms_p99 <= ms_max"
	assert_line 'time from connect() to the end, 60 exchanges:' ||
	    mistake "the client printed no histogram of the 60 exchanges' times"
	total=$(grep -E '^ +[0-9.]+-[0-9.]+ +ms \|' <<<"$output" | awk '{ n += $NF } END { print n }')
	assert_equal "$total" 60 ||
	    mistake "the histogram's bars held $total exchanges, not the 60 that ran"
	# every exchange was its own connection, served by the server
	assert_equal "$(values "$SLOG" fd ev=accept | wc -l)" 60 ||
	    mistake "the server did not accept 60 connections, one for each exchange"
}

@test "an echo that differs from what was sent is an error" {
	# the helper holds the connection too, and writes into it first
	# shellcheck disable=SC2016 # $CLOSELAB_FD is the helper's to expand
	start_server --spawn 'printf wrong >&$CLOSELAB_FD'
	client --send hello --repeat 3
	assert_failure 1 || mistake "echoes that differ from what was sent must make the client exit 1"
	assert_line --regexp '^stats runs=3 eof=3 .* errors=3 ' ||
	    mistake "the stats line did not count the 3 wrong echoes as errors"
	assert_line --partial 'client: exchange 1 (' ||
	    mistake "the client did not name the first exchange that failed"
	assert_line --partial '): the echo differs from what was sent' ||
	    mistake "the client did not say that the echo differs from what was sent"
}

@test "more bytes than were sent are an error too" {
	# shellcheck disable=SC2016 # $CLOSELAB_FD is the helper's to expand
	start_server --spawn 'printf hello >&$CLOSELAB_FD'
	client --send hello --repeat 2
	assert_failure 1 || mistake "an echo longer than what was sent must make the client exit 1"
	assert_line --regexp '^stats runs=2 .* errors=2 ' ||
	    mistake "the stats line did not count the 2 echoes with more bytes than were sent as errors"
}

@test "resets and timeouts are counted, and the worst decides the exit status" {
	start_server --reads none --end-after 50
	client --send unread --then none --repeat 4 --concurrency 4
	assert_failure 3 || mistake "connections reset by the server must make the client exit 3"
	assert_line --regexp '^stats runs=4 eof=0 rst=4 timeout=0 closed=0 errors=0 ' ||
	    mistake "the stats line did not count the 4 resets as rst=4"
	stop_server
	start_server --parent-keeps never
	client --send hello --repeat 2 --concurrency 2 --timeout 100
	assert_failure 4 || mistake "exchanges that timed out must make the client exit 4"
	assert_line --regexp '^stats runs=2 eof=0 rst=0 timeout=2 ' ||
	    mistake "the stats line did not count the 2 timeouts as timeout=2"
}

@test "a refused connection counts as an error, said once" {
	start_server
	stop_server
	run "$CLIENT" --port "$PORT" --send x --repeat 5
	assert_failure 1 || mistake "refused connections must make the client exit 1"
	assert_line --regexp '^stats runs=5 eof=0 rst=0 timeout=0 closed=0 errors=5 rate=' ||
	    mistake "the stats line did not count the 5 refused connections as errors=5"
	assert_line "client: 5 exchanges failed; the first: 127.0.0.1:$PORT: Connection refused"
}

@test "with the server's log: the time from its close to each EOF" {
	start_server --parent-keeps 20 --end close
	client --send hello --repeat 10 --concurrency 2 --server-log "$SLOG"
	assert_success || mistake "10 exchanges with the server's log did not all end with EOF"
	assert_equal "$(grep -c '^fin conn=.* server=close client=eof us=' <<<"$output")" 10 ||
	    mistake "the client did not print a 'fin conn=... server=close client=eof us=' line for each of the 10 connections"
	assert_line --regexp '^fin runs=10 us_min=[0-9.]+ us_p50=' ||
	    mistake "the client did not sum up the 10 close-to-EOF times in a 'fin runs=10 us_min=... us_p50=...' line"
	# each latency is the client's EOF minus the server's last close, both logged
	line=$(grep -m 1 '^fin conn=' <<<"$output")
	id=$(field "$line" conn)
	close=$(t_of "$SLOG" ev=close holders=1-\>0 "conn=$id") ||
	    mistake "the server's log had no last close ('holders=1->0') of connection $id"
	eof=$(t_of "$CLOG" ev=eof "conn=$id") ||
	    mistake "the client's log had no EOF of connection $id"
	us=$(field "$line" us)
	assert_equal "$us" "$(awk -v d=$((eof - close)) 'BEGIN { printf "%.3f", d / 1e3 }')" ||
	    mistake "connection $id's close-to-EOF time was not its EOF's t= minus the server's last close's t="
	# the parent's 20 ms keep comes before every EOF
	assert_line --regexp '^stats runs=10 eof=10 ' ||
	    mistake "the stats line did not count 10 EOFs in 10 runs"
}

@test "an end at a process's exit is named, with no figure, and kept out of the distribution" {
	# the helper holds the socket last: the FIN leaves at its exit, which the
	# log stamps only when the worker reaps it
	start_server --spawn 'sleep 0.2'
	client --send hello --server-log "$SLOG"
	assert_success || mistake "the client did not get its echo and EOF"
	has_event "$SLOG" role=worker ev=close by=exit holders=1-\>0 ||
	    mistake "the server did not log the helper's exit as the last holder's close ('by=exit holders=1->0')"
	assert_line --regexp '^fin conn=[^ ]+ server=exit client=eof$' ||
	    mistake "the client did not name the end as the helper's exit ('server=exit'), with no figure"
	assert_line 'fin runs=0' ||
	    mistake "an end at a process's exit was counted in the close-to-EOF distribution"
}

@test "the shutdown is the server's end when it sends the FIN" {
	start_server --end shutdown --parent-keeps 1000
	client --send hello --server-log "$SLOG"
	assert_success || mistake "the client did not get its echo and EOF"
	assert_line --regexp '^fin conn=.* server=shutdown client=eof us=' ||
	    mistake "the worker's shutdown, which sent the FIN, was not named as the server's end ('server=shutdown')"
	assert_line --index -1 --regexp '^result end=eof ' ||
	    mistake "the connection did not end with EOF"
}

@test "too many connections for the descriptor limit is refused clearly" {
	run_limited 64 "$CLIENT" --port 1 --repeat 200 --concurrency 100
	assert_failure 1 || mistake "a --concurrency beyond the descriptor limit must make the client exit 1"
	assert_output --regexp '^client: the descriptor limit \(ulimit -n\) is 64 and [0-9]+ are open: --concurrency 100 needs 101 more$'
}

@test "a server log that cannot be read is an error" {
	start_server
	client --send hello --server-log "$BATS_TEST_TMPDIR"
	assert_failure 1 || mistake "a --server-log that cannot be read must make the client exit 1"
	assert_output --partial "client: cannot read server log $BATS_TEST_TMPDIR: Is a directory"
}

# late_server_log COPY: wait until the client has logged all its ends, then
# write COPY into the server log the client reads, late.log
late_server_log() {
	wait_until "the client's ten ends" ends 10 ||
	    mistake "the client did not log the EOFs of its ten exchanges"
	"$@" >"$BATS_TEST_TMPDIR/late.log"
}

# ends N: the client has logged N EOFs
ends() {
	[ "$(values "$CLOG" fd ev=eof | wc -l)" -eq "$1" ]
}

@test "the server's lines may come after the client's ends: it waits for them" {
	start_server --parent-keeps 20 --end close
	: >"$BATS_TEST_TMPDIR/late.log"
	start_client --send hello --repeat 10 --log "$CLOG" --server-log "$BATS_TEST_TMPDIR/late.log"
	late_server_log cat "$SLOG"
	wait_client
	assert_success || mistake "the client did not end well when the server's log came after its ends"
	assert_line --regexp '^fin runs=10 ' ||
	    mistake "the client did not wait for the server's lines that came after its ends: no 'fin runs=10'"
}

@test "lines of an earlier run in the server's log are not taken for this one's" {
	start_server --parent-keeps 20 --end close
	: >"$BATS_TEST_TMPDIR/late.log"
	start_client --send hello --repeat 10 --log "$CLOG" --server-log "$BATS_TEST_TMPDIR/late.log"
	# an earlier run with the same addresses, 1000 s before: every line again
	# shellcheck disable=SC2016 # for the inner shell or awk to expand
	late_server_log awk '{ t = substr($1, 3) - 1000000000000; $1 = "t=" t; print }
	    END { while ((getline l < FILENAME) > 0) print l }' "$SLOG"
	wait_client
	assert_success || mistake "the client did not end well with an earlier run's lines in the server's log"
	assert_line --regexp '^fin runs=10 ' ||
	    mistake "the client did not find this run's 10 closes in the server's log ('fin runs=10')"
	# each latency is the client's EOF minus the server's last close of this run
	while read -r line; do
		id=$(field "$line" conn)
		close=$(t_of "$SLOG" ev=close holders=1-\>0 "conn=$id") ||
		    mistake "the server's log had no last close ('holders=1->0') of connection $id"
		eof=$(t_of "$CLOG" ev=eof "conn=$id") ||
		    mistake "the client's log had no EOF of connection $id"
		assert_equal "$(field "$line" us)" "$(awk -v d=$((eof - close)) 'BEGIN { printf "%.3f", d / 1e3 }')" ||
		    mistake "connection $id's close-to-EOF time was taken from an earlier run's close, not this run's"
	done < <(grep '^fin conn=' <<<"$output")
}

@test "a dual-stack server names an IPv4 peer as the peer names itself" {
	start_server --addr ::
	client --send hello --server-log "$SLOG"
	assert_success || mistake "the server's log did not name the connection as the client does"
	id=$(field "$(event "$CLOG" ev=connect)" conn)
	has_event "$SLOG" ev=accept "conn=$id" ||
	    mistake "the dual-stack server named the IPv4 connection otherwise than the client's $id"
}

@test "a helper's exit is logged with its own connection's name" {
	start_server --spawn 'sleep 0.02' --cloexec --workers 4
	client --send hello --repeat 200 --concurrency 8
	assert_success || mistake "200 exchanges with a helper each did not all end with their echo and EOF"
	# the last helpers exit after their clients' ends: the drain waits for them
	stop_server
	assert_equal "$(values "$SLOG" "helper conn" ev=exit helper= | sort)" \
	    "$(values "$SLOG" "helper conn" ev=spawn helper= | sort)" ||
	    mistake "a helper's exit was not logged with the connection it was spawned for"
}
