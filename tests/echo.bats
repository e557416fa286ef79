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
	assert_success
	assert_equal "$(received)" "ABCDEFG1234567${big}tail end"
	assert_line --regexp "^result end=eof ms=[0-9]+\.[0-9]{3} sent=100022 received=100022$"
}

@test "prefork: every byte comes back, in order" {
	echo_integrity prefork
}

@test "fork: every byte comes back, in order" {
	echo_integrity fork
}

@test "echo follows the blog's schedule: two messages, a delay before each echo" {
	start_server --reply-delay 50
	client --send ABCDEFG --interval 20 --send 1234567 --after 20
	assert_success
	assert_equal "$(received)" "ABCDEFG1234567"

	first=$(t_of "$SLOG" role=worker ev=read bytes=7)
	echo1=$(t_of "$SLOG" role=worker ev=write bytes=7)
	((echo1 - first >= 50 * MS))
	# the client's FIN came before the second echo, which still arrived
	shutdown=$(t_of "$CLOG" ev=shutdown)
	eof=$(t_of "$CLOG" ev=eof)
	((eof > shutdown))
}

@test "discard reads everything and answers nothing" {
	start_server --reads discard
	client --send hello --send world
	assert_success
	assert_line --regexp '^result end=eof .* sent=10 received=0$'
	has_event "$SLOG" role=worker ev=eof
}

@test "port 0 gets a free port, written to the port file and announced" {
	start_server
	[[ $PORT =~ ^[0-9]+$ ]]
	((PORT > 0 && PORT < 65536))
	run cat "$BATS_TEST_TMPDIR/server.err"
	assert_output "listening on 127.0.0.1:$PORT"
	has_event "$SLOG" role=parent ev=listen "addr=127.0.0.1:$PORT"
}

@test "IPv6 loopback works too" {
	start_server --addr ::1
	run cat "$BATS_TEST_TMPDIR/server.err"
	assert_output "listening on [::1]:$PORT"
	run "$CLIENT" --addr ::1 --port "$PORT" --send six
	assert_success
	assert_line 'recv bytes=3 data=six'
}

@test "the client's connection id matches the server's" {
	start_server
	client --send hello
	assert_success
	line=$(event "$CLOG" ev=connect)
	id=$(field "$line" conn)
	has_event "$SLOG" role=parent ev=accept "conn=$id"
	has_event "$SLOG" role=worker ev=close "conn=$id"
}
