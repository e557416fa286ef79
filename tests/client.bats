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
	server_eof=$(t_of "$SLOG" role=worker ev=eof)
	eof=$(t_of "$CLOG" ev=eof)
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
	close=$(t_of "$SLOG" ev=close holders=1-\>0)
	rst=$(t_of "$CLOG" ev=rst)
	((rst >= close)) || mistake "the client saw the reset before the server's last close"
}

@test "no EOF before --timeout ends with end=timeout, exit 4" {
	start_server --reads discard --end-after 60000
	client --send hello --then none --timeout 200
	assert_failure 4 || mistake "no EOF within --timeout must make the client exit 4"
	assert_line --regexp '^result end=timeout ms=[0-9.]+ sent=5 received=0$' ||
	    mistake "a timeout must give 'result end=timeout'"
	connect=$(t_of "$CLOG" ev=connect)
	timeout=$(t_of "$CLOG" ev=timeout)
	((timeout - connect >= 200 * MS)) || mistake "the client gave up sooner than --timeout 200"
}

@test "ms counts from connect to EOF, to the microsecond" {
	start_server --end-after 100 --reads discard
	client --then none
	assert_success || mistake "the client did not get EOF"
	line=${lines[-1]}
	ms=$(field "$line" ms)
	[[ $ms =~ ^[0-9]+\.[0-9]{3}$ ]] || mistake "ms= must have three decimals (microseconds): '$ms'"
	connect=$(t_of "$CLOG" ev=connect)
	eof=$(t_of "$CLOG" ev=eof)
	# the printed figure is the logged interval, rounded to the microsecond
	us=$(((eof - connect + 500) / 1000))
	[ "${ms/./}" = "$(printf '%d%03d' $((us / 1000)) $((us % 1000)))" ] ||
	    mistake "ms= ($ms) is not the logged time from connect to EOF"
	((eof - connect >= 100 * MS)) || mistake "the EOF came sooner than --end-after 100"
}
