#!/usr/bin/env bats
# The client's ends and exit statuses: 0 eof or closed, 3 rst, 4 timeout.

load test_helper

@test "client close ends at once with end=closed, exit 0" {
	start_server
	client --send hello --then close
	assert_success || mistake "after --then close the client must exit 0"
	assert_line --regexp '^result end=closed ms=[0-9]+\.[0-9]{3} sent=5 received=[05]$' ||
	    mistake "after --then close the result must be 'end=closed'"
	has_event "$CLOG" ev=close || mistake "the client did not log its close"
}

@test "client shutdown still receives the echo, then EOF" {
	start_server
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	assert_line 'recv bytes=5 data=hello' ||
	    mistake "the client did not print 'recv bytes=5 data=hello' for the echo"
	assert_line --regexp '^result end=eof ms=[0-9.]+ sent=5 received=5$' ||
	    mistake "the result line is not 'result end=eof ms=MS sent=5 received=5'"
	shutdown=$(t_of "$CLOG" ev=shutdown how=SHUT_WR) ||
	    mistake "the client did not log 'shutdown how=SHUT_WR'"
	server_eof=$(t_of "$SLOG" role=worker ev=eof) ||
	    mistake "the worker did not log 'eof' when the client's FIN came"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	((shutdown < server_eof && server_eof < eof)) ||
	    mistake "the order is wrong: the client's shutdown, then the worker's EOF, then the client's EOF"
}

@test "a reset from the server ends with end=rst, exit 3" {
	# the worker never reads, so its close finds unread data: Linux sends RST
	start_server --reads none --end-after 300
	client --send unread --then none
	assert_failure 3 || mistake "a connection reset by the server must make the client exit 3"
	assert_line --regexp '^result end=rst ms=[0-9.]+ sent=6 received=0$' ||
	    mistake "a reset must give 'result end=rst'"
	has_event "$CLOG" ev=rst err=ECONNRESET || mistake "the client did not log 'rst err=ECONNRESET'"
	close=$(t_of "$SLOG" ev=close holders=1-\>0) ||
	    mistake "the server did not log its last close ('holders=1->0')"
	rst=$(t_of "$CLOG" ev=rst) || mistake "the client did not log 'ev=rst'"
	((rst >= close)) || mistake "the client saw the reset before the server's last close"
}

@test "no EOF before --timeout ends with end=timeout, exit 4" {
	start_server --reads discard --end-after 60000 --grace 100
	client --send hello --then none --timeout 200
	assert_failure 4 || mistake "no EOF within --timeout must make the client exit 4"
	assert_line --regexp '^result end=timeout ms=[0-9.]+ sent=5 received=0$' ||
	    mistake "a timeout must give 'result end=timeout'"
	connect=$(t_of "$CLOG" ev=connect) || mistake "the client did not log 'ev=connect'"
	timeout=$(t_of "$CLOG" ev=timeout) || mistake "the client did not log 'ev=timeout'"
	((timeout - connect >= 200 * MS)) || mistake "the client gave up sooner than --timeout 200"
}

@test "ms counts from connect to EOF, to the microsecond" {
	start_server --end-after 100 --reads discard
	client --then none
	assert_success || mistake "the client did not get EOF"
	((${#lines[@]} > 0)) || mistake "the client printed no result line"
	line=${lines[-1]}
	ms=$(field "$line" ms)
	[[ $ms =~ ^[0-9]+\.[0-9]{3}$ ]] || mistake "ms= must have three decimals (microseconds): '$ms'"
	connect=$(t_of "$CLOG" ev=connect) || mistake "the client did not log 'ev=connect'"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	# the printed figure is the logged interval, rounded to the microsecond
	us=$(((eof - connect + 500) / 1000))
	[ "${ms/./}" = "$(printf '%d%03d' $((us / 1000)) $((us % 1000)))" ] ||
	    mistake "ms= ($ms) is not the logged time from connect to EOF"
	((eof - connect >= 100 * MS)) || mistake "the EOF came sooner than --end-after 100"
}

@test "a connect() that fails at once ends the exchange with its error, never a hang" {
	command -v unshare >/dev/null && unshare -n true 2>/dev/null ||
	    skip "needs unshare -n (root): a namespace with no network at all"
	# no interface is up in a new network namespace: 127.0.0.1 is unreachable
	run_program unshare -n "$CLIENT" --port 4500 --send x
	assert_failure 1 || mistake "a connect() that fails at once must end the client with exit 1"
	assert_output 'client: cannot connect to 127.0.0.1:4500: Network is unreachable' ||
	    mistake "a connect() that fails must be said in one line: 'client: cannot connect to 127.0.0.1:4500: Network is unreachable'"
	run_program unshare -n "$CLIENT" --port 4500 --send x --repeat 3 --concurrency 2
	assert_failure 1 || mistake "with --repeat, exchanges that all fail must end the client with exit 1"
	assert_line --regexp '^stats runs=3 eof=0 rst=0 timeout=0 closed=0 errors=3 ' ||
	    mistake "three connects that failed must give 'stats runs=3 eof=0 rst=0 timeout=0 closed=0 errors=3 ...'"
	assert_line 'client: 3 exchanges failed; the first: 127.0.0.1:4500: Network is unreachable' ||
	    mistake "failed exchanges must be said in one line: 'client: 3 exchanges failed; the first: 127.0.0.1:4500: Network is unreachable'"
}

@test "a socket() that fails ends the exchange with its error, for every address of a name" {
	use_faults
	# localhost has two addresses here or one; each fails, and is named
	LD_PRELOAD=$FAULTS CLOSELAB_FAULT=socket:1+:EMFILE run_program "$CLIENT" --addr localhost \
	    --port 4500 --send x --repeat 4 --concurrency 2
	assert_failure 1 || mistake "a socket() that fails must end the client with exit 1"
	assert_line --regexp '^stats runs=4 eof=0 rst=0 timeout=0 closed=0 errors=4 ' ||
	    mistake "four exchanges whose socket() failed must give 'stats runs=4 eof=0 rst=0 timeout=0 closed=0 errors=4 ...'"
	assert_line --regexp '^client: 4 exchanges failed; the first: (127\.0\.0\.1|\[::1\]):4500: Too many open files$' ||
	    mistake "a socket() that fails must be named in one line: 'client: 4 exchanges failed; the first: ADDR:4500: Too many open files'"
}

@test "after a reset the client waits out --after without spinning" {
	start_server --reads none --end-after 50
	# user and system CPU seconds of a client that waits 2 s after the reset
	# shellcheck disable=SC2016 # for the inner shell or awk to expand
	HANG=$NO_FIN run_program bash -c 'TIMEFORMAT="%U %S"; time "$@" >/dev/null' cpu "$CLIENT" \
	    --port "$PORT" --send unread --after 2000 --then none
	cpu=$(tail -n 1 <<<"$output")
	# a spinning client burns the 2 s; a waiting one, about a millisecond
	awk -v u="${cpu% *}" -v s="${cpu#* }" 'BEGIN { exit !(u + s < 0.2) }' ||
	    mistake "the client used $cpu s of CPU while it waited after a reset: it spins"
}

@test "a result that cannot be written is an error, not a silent exit 0" {
	[ -w /dev/full ] || skip "needs /dev/full"
	start_server
	# shellcheck disable=SC2016 # for the inner shell or awk to expand
	HANG=$NO_FIN run_program bash -c '"$@" >/dev/full' full "$CLIENT" --port "$PORT" --send hello
	assert_failure 1 || mistake "a result that cannot be written must end the client with exit 1, not a silent exit 0"
	assert_output 'client: cannot write to standard output: No space left on device' ||
	    mistake "a result that cannot be written must be said in one line: 'client: cannot write to standard output: No space left on device'"
}

@test "a client log that cannot be written is said, and the exit status says so" {
	[ -w /dev/full ] || skip "needs /dev/full"
	start_server
	HANG=$NO_FIN run_program "$CLIENT" --port "$PORT" --send hello --log /dev/full
	assert_failure 1 || mistake "a log that cannot be written must end the client with exit 1"
	assert_line 'client: cannot write log /dev/full (it is incomplete from here on): No space left on device' ||
	    mistake "a log that cannot be written must be said in one line: 'client: cannot write log /dev/full (it is incomplete from here on): No space left on device'"
	assert_line --regexp '^result end=eof ' ||
	    mistake "a log that cannot be written must not stop the exchange: the result must still be 'result end=eof ...'"
}

@test "--timeout bounds a connect() that gets no answer at all" {
	start_program unanswering.py --queue-full
	run_program "$CLIENT" --port "$PORT" --send hello --timeout 300 --log "$CLOG"
	assert_failure 4 || mistake "a connect() that got no answer must end with the timeout, exit 4"
	assert_line --regexp '^result end=timeout ms=[0-9.]+ sent=0 received=0$' ||
	    mistake "a connect() with no answer must end with 'result end=timeout ... sent=0 received=0'"
	has_event "$CLOG" ev=timeout ms=300 || mistake "the client did not log 'ev=timeout ms=300'"
}

@test "--timeout bounds a send that never finds room" {
	command -v unshare >/dev/null && unshare -n true 2>/dev/null ||
	    skip "needs unshare -n (root): small socket buffers in a namespace of its own"
	need_python
	# in a network namespace of its own, the smallest buffers TCP allows
	# shellcheck disable=SC2016 # for the inner shell to expand
	run_program unshare -n sh -c 'ip link set lo up &&
	    sysctl -q -w net.ipv4.tcp_wmem="4096 4096 4096" net.ipv4.tcp_rmem="4096 4096 4096" &&
	    python3 "$1" --port-file "$2/port" --never-reads --keep 20 &
	    peer=$!
	    while [ ! -s "$2/port" ] && kill -0 $peer; do sleep 0.02; done
	    "$3" --port "$(cat "$2/port")" --send "$4" --send "$4" --send "$4" --timeout 300
	    status=$?
	    kill $peer
	    exit $status' \
	    blocked "$PROGRAMS/unanswering.py" "$BATS_TEST_TMPDIR" "$CLIENT" \
	    "$(head -c 100000 /dev/zero | tr '\0' x)"
	assert_failure 4 || mistake "a write that never found room must end with the timeout, exit 4"
	assert_line --regexp '^result end=timeout ms=[0-9.]+ sent=[0-9]+ received=0$' ||
	    mistake "a send with no room must end with 'result end=timeout ... received=0'"
	sent=$(field "${lines[-1]}" sent)
	[[ $sent =~ ^[0-9]{1,18}$ ]] && ((sent < 300000)) || mistake "the client says it sent $sent bytes, though the peer never read: sent= counts what write() took"
}
