#!/usr/bin/env bats
# The server echoes every byte, in order; port 0 and the port file work.

load test_helper

# received: the data the client printed, its lines joined
received() {
	sed -n 's/^recv bytes=[0-9]* data=//p' <<<"$output" | tr -d '\n'
}

echo_integrity() {
	local big
	# 100000 bytes: more than one read, less than the 128 KiB limit of an argument
	big=$(head -c 100000 /dev/zero | tr '\0' x | sed 's/x\{10\}/0123456789/g')
	start_server --model "$1"
	client --send ABCDEFG --send 1234567 --send "$big" --send "tail end"
	assert_success || mistake "the client did not get its echo and EOF"
	[ "$(received)" = "ABCDEFG1234567${big}tail end" ] ||
	    mistake "the echo differs from what the client sent: every byte must come back, in order, across short reads and writes"
	assert_line --regexp "^result end=eof ms=[0-9]+\.[0-9]{3} sent=100022 received=100022$" ||
	    mistake "the client's result line is not 'result end=eof ms=MS.USEC sent=100022 received=100022'"
}

@test "prefork: every byte comes back, in order" {
	echo_integrity prefork
}

@test "fork: every byte comes back, in order" {
	echo_integrity fork
}

@test "echo follows the blog's schedule: two messages, a delay before each echo" {
	# the echoes wait 10 times the client's steps: a loaded machine keeps the order
	start_server --reply-delay 200
	client --send ABCDEFG --interval 20 --send 1234567 --after 20
	assert_success || mistake "the client did not get its echoes and EOF"
	[ "$(received)" = "ABCDEFG1234567" ] ||
	    mistake "the echoes differ from the two messages sent"

	# a worker that takes the connection late reads both messages at once:
	# its first read and its first echo, whatever their size
	first=$(t_of "$SLOG" role=worker ev=read bytes=) ||
	    mistake "the worker did not log its first read"
	echo1=$(t_of "$SLOG" role=worker ev=write bytes=) ||
	    mistake "the worker did not log its first echo"
	((echo1 - first >= 200 * MS)) ||
	    mistake "the worker echoed sooner than --reply-delay 200 after its read"
	# the client's FIN came before the second echo, which still arrived
	shutdown=$(t_of "$CLOG" ev=shutdown) || mistake "the client did not log its shutdown"
	eof=$(t_of "$CLOG" ev=eof) ||
	    mistake "the client did not log 'ev=eof' for the end of the connection"
	((eof > shutdown)) || mistake "the client's EOF came before its own shutdown"
}

@test "discard reads everything and answers nothing" {
	start_server --reads discard
	client --send hello --send world
	assert_success || mistake "the client did not get EOF from a server that discards"
	assert_line --regexp '^result end=eof .* sent=10 received=0$' ||
	    mistake "with --reads discard the worker must read and drop the data, answering nothing"
	has_event "$SLOG" role=worker ev=eof ||
	    mistake "the worker did not log 'eof' when the client's FIN came"
}

@test "port 0 gets a free port, written to the port file and announced" {
	start_server
	[[ $PORT =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65536)) ||
	    mistake "the port file does not hold a port number: '$PORT'"
	run cat "$BATS_TEST_TMPDIR/server.err"
	assert_output "listening on 127.0.0.1:$PORT" ||
	    mistake "the server did not print 'listening on 127.0.0.1:$PORT' on stderr"
	has_event "$SLOG" role=parent ev=listen "addr=127.0.0.1:$PORT" ||
	    mistake "the server did not log 'ev=listen addr=127.0.0.1:$PORT'"
}

@test "IPv6 loopback works too" {
	start_server --addr ::1
	run cat "$BATS_TEST_TMPDIR/server.err"
	assert_output "listening on [::1]:$PORT" ||
	    mistake "with --addr ::1 the server did not print 'listening on [::1]:$PORT'"
	HANG=$NO_FIN run_program "$CLIENT" --addr ::1 --port "$PORT" --send six
	assert_success || mistake "an exchange over IPv6 loopback (::1) failed"
	assert_line 'recv bytes=3 data=six' || mistake "the echo over IPv6 differs from what was sent"
}

@test "the client's connection id matches the server's" {
	start_server
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	line=$(event "$CLOG" ev=connect) || mistake "the client did not log 'ev=connect'"
	id=$(field "$line" conn)
	has_event "$SLOG" role=parent ev=accept "conn=$id" && has_event "$SLOG" role=worker ev=close "conn=$id" ||
	    mistake "the server's conn= for the connection is not the client's address and port ($id)"
}
