#!/usr/bin/env bats
# Every scenario of the catalogue (demo/demo.sh list), run by name as a
# student runs it, then checked from its logs: what each side observed and
# in what order.

load test_helper

# Where the parent keeps nothing, whether it or the worker closes last is a
# race (the parent closes just after the handoff): the tests then look for
# the last close, whoever made it.

# scenario NAME: run it with demo.sh, keeping its logs; sets SLOG, CLOG, RESULT
# The article's experiments wait this long before each echo: 10 times the
# client's 100 ms steps, so that a loaded machine cannot reorder them.
REPLY_DELAY_MS=1000

scenario() {
	REPLY_DELAY=$REPLY_DELAY_MS run sh "$TOP/demo/demo.sh" --logs "$BATS_TEST_TMPDIR" "$1"
	assert_success
	SLOG=$BATS_TEST_TMPDIR/$1.server.log
	CLOG=$BATS_TEST_TMPDIR/$1.client.log
	RESULT=$(tail -n 1 "$BATS_TEST_TMPDIR/$1.client.out")
	children_gone
}

linux_only() {
	[ "$(uname -s)" = Linux ] || skip "what Linux does: other systems differ (docs/scenarios.md)"
}

@test "the catalogue lists every scenario, and an unknown name is refused" {
	run sh "$TOP/demo/demo.sh" list
	assert_success
	assert_equal "${#lines[@]}" 17
	for name in orderly-release close-before-echo abort lingering leak dup diagnose; do
		assert_line --regexp "^$name "
	done
	run sh "$TOP/demo/demo.sh" no-such-thing
	assert_failure 2
	assert_output --partial "demo: no scenario 'no-such-thing'"
}

@test "close-while-held: EOF waits for the parent's close" {
	scenario close-while-held
	assert_equal "$RESULT" "$(grep '^result end=eof ' <<<"$RESULT")"
	# the parent's keep runs from its handoff
	handoff=$(t_of "$SLOG" role=parent ev=handoff)
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer)
	eof=$(t_of "$CLOG" ev=eof)
	((worker_close < parent_close && parent_close <= eof))
	((eof - handoff >= 500 * MS))
}

@test "shutdown-while-held: EOF at the worker's shutdown, before the parent's close" {
	scenario shutdown-while-held
	[[ $RESULT == "result end=eof "* ]]
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR holders=2)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer)
	eof=$(t_of "$CLOG" ev=eof)
	((shutdown <= eof && eof < parent_close))
}

@test "orderly-release: after the client's half-close both echoes arrive, then EOF" {
	scenario orderly-release
	[[ $RESULT == "result end=eof "*" sent=14 received=14" ]]
	run grep '^recv ' "$BATS_TEST_TMPDIR/orderly-release.client.out"
	assert_output $'recv bytes=7 data=ABCDEFG\nrecv bytes=7 data=1234567'
	client_fin=$(t_of "$CLOG" ev=shutdown how=SHUT_WR)
	echo1=$(t_of "$SLOG" role=worker ev=write bytes=7)
	echo2=$(NTH=2 t_of "$SLOG" role=worker ev=write bytes=7)
	server_eof=$(t_of "$SLOG" role=worker ev=eof)
	server_fin=$(t_of "$SLOG" ev=close holders=1-\>0)
	eof=$(t_of "$CLOG" ev=eof)
	# the article's order: client FIN, echo, echo, server FIN
	((client_fin < echo1 && echo1 < echo2 && echo2 < server_fin))
	((server_eof < server_fin && server_fin <= eof))
	((echo1 - client_fin >= 0 && echo2 - echo1 >= REPLY_DELAY_MS * MS))
}

@test "close-before-echo: the echo meets an RST, the worker's later call fails" {
	linux_only
	scenario close-before-echo
	[[ $RESULT == "result end=closed "*" sent=14 received=0" ]]
	client_close=$(t_of "$CLOG" ev=close)
	echo1=$(t_of "$SLOG" role=worker ev=write bytes=7)
	((client_close < echo1))
	# the RST that answered the echo shows in the worker's next call
	failed=$(earliest "$SLOG" 'role=worker ev=read err=EPIPE' 'role=worker ev=read err=ECONNRESET' \
	    'role=worker ev=write err=EPIPE' 'role=worker ev=write err=ECONNRESET')
	(($(field "$failed" t) > echo1))
}

@test "close-before-echo: the server goes on serving other connections" {
	start_server --reply-delay 50 --workers 1
	client --send first --then close
	assert_success
	wait_for_event "$SLOG" ev=close holders=1-\>0
	client --send second
	assert_success
	assert_line 'recv bytes=6 data=second'
}

@test "shutdown-rd: nothing is sent; read returns 0 at once, yet later data arrives" {
	linux_only
	scenario shutdown-rd
	[[ $RESULT == "result end=eof "* ]]
	shut=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_RD)
	early_eof=$(t_of "$SLOG" role=worker ev=eof)
	second=$(NTH=2 t_of "$CLOG" ev=write bytes=3)
	late=$(NTH=2 t_of "$SLOG" role=worker ev=read bytes=3)
	eof=$(t_of "$CLOG" ev=eof)
	# the client's data sent after SHUT_RD is still read; the FIN comes at the close
	((shut < early_eof && early_eof < second && second < late))
	close=$(t_of "$SLOG" ev=close holders=1-\>0)
	((close <= eof && eof - shut >= 200 * MS))
}

@test "shutdown-rdwr: the FIN leaves at once; data that comes after is reset" {
	linux_only
	scenario shutdown-rdwr
	[[ $RESULT == "result end=eof "* ]]
	shut=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_RDWR)
	eof=$(t_of "$CLOG" ev=eof)
	second=$(NTH=2 t_of "$CLOG" ev=write bytes=3)
	reset=$(t_of "$SLOG" role=worker ev=read err=ECONNRESET)
	((shut <= eof && eof < second && second < reset))
}

@test "abort: the last close with SO_LINGER {1, 0} sends RST" {
	scenario abort
	[[ $RESULT == "result end=rst "* ]]
	has_event "$SLOG" role=worker ev=linger onoff=1 secs=0
	close=$(t_of "$SLOG" ev=close holders=1-\>0 linger=0)
	rst=$(t_of "$CLOG" ev=rst err=ECONNRESET)
	((close <= rst))
}

@test "abort-while-held: the worker's abortive close sends nothing; the parent's sends RST" {
	scenario abort-while-held
	[[ $RESULT == "result end=rst "* ]]
	handoff=$(t_of "$SLOG" role=parent ev=handoff)
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1 linger=0)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 linger=0 keep=timer)
	rst=$(t_of "$CLOG" ev=rst err=ECONNRESET)
	((worker_close < parent_close && parent_close <= rst))
	((rst - handoff >= 300 * MS))
}

@test "client-abort: the worker finds the connection reset" {
	scenario client-abort
	[[ $RESULT == "result end=closed "* ]]
	abort=$(t_of "$CLOG" ev=close linger=0)
	# which error a reset shows as depends on what the worker was doing when it came
	failed=$(earliest "$SLOG" 'role=worker ev=read err=EPIPE' 'role=worker ev=read err=ECONNRESET' \
	    'role=worker ev=write err=EPIPE' 'role=worker ev=write err=ECONNRESET')
	(($(field "$failed" t) > abort))
}

@test "unread-close: closing with unread data sends RST, not FIN" {
	linux_only
	scenario unread-close
	[[ $RESULT == "result end=rst "*" sent=7 received=0" ]]
	close=$(t_of "$SLOG" ev=close holders=1-\>0 unread=7)
	rst=$(t_of "$CLOG" ev=rst err=ECONNRESET)
	((close <= rst))
	run has_event "$SLOG" role=worker ev=read
	assert_failure
}

@test "unread-while-held: nothing at the worker's close, RST at the parent's" {
	linux_only
	scenario unread-while-held
	[[ $RESULT == "result end=rst "* ]]
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1 unread=7)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 unread=7)
	rst=$(t_of "$CLOG" ev=rst)
	handoff=$(t_of "$SLOG" role=parent ev=handoff)
	((worker_close < parent_close && parent_close <= rst))
	((rst - handoff >= 300 * MS))
}

@test "lingering: the worker drains until the client's EOF, so no RST" {
	scenario lingering
	[[ $RESULT == "result end=eof "*" sent=7 received=0" ]]
	shut=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR)
	drained=$(t_of "$SLOG" role=worker ev=read bytes=7)
	client_fin=$(t_of "$CLOG" ev=shutdown how=SHUT_WR)
	server_eof=$(t_of "$SLOG" role=worker ev=eof)
	close=$(t_of "$SLOG" ev=close holders=1-\>0 unread=0)
	eof=$(t_of "$CLOG" ev=eof)
	((shut <= eof && shut < drained && client_fin < server_eof && server_eof < close))
	run has_event "$CLOG" ev=rst
	assert_failure
}

@test "leak: CLOSE_WAIT on the server, FIN_WAIT2 on the client, until the worker exits" {
	scenario leak
	[[ $RESULT == "result end=timeout "* ]]
	has_event "$SLOG" role=worker ev=leak
	if command -v ss >/dev/null; then
		assert_line --regexp '^  CLOSE-WAIT '
		assert_line --regexp '^  FIN-WAIT-2 '
	fi
	# the kernel closed the leaked socket when the worker exited
	has_event "$SLOG" role=parent ev=close by=exit holders=1-\>0
}

@test "spawn-inherits: EOF waits for the helper that inherited the socket" {
	scenario spawn-inherits
	[[ $RESULT == "result end=eof "* ]]
	# whether the parent has let go yet is a race: the helper makes 2 or 3
	spawn=$(t_of "$SLOG" role=worker ev=spawn inherits=yes)
	worker_close=$(event "$SLOG" role=worker ev=close fd=)
	[[ $worker_close != *"->0 "* ]]
	worker_close=$(field "$worker_close" t)
	has_event "$SLOG" role=worker ev=close by=exit holders=1-\>0
	eof=$(t_of "$CLOG" ev=eof)
	((worker_close < eof && eof - spawn >= 300 * MS))
}

@test "spawn-cloexec: EOF at the worker's close, before the helper exits" {
	scenario spawn-cloexec
	[[ $RESULT == "result end=eof "* ]]
	has_event "$SLOG" role=worker ev=spawn inherits=no
	close=$(t_of "$SLOG" ev=close holders=1-\>0)
	helper_exit=$(t_of "$SLOG" role=worker ev=exit)
	eof=$(t_of "$CLOG" ev=eof)
	((close <= eof && eof < helper_exit))
}

@test "dup: closing one of two descriptors sends nothing; the last sends the FIN" {
	scenario dup
	[[ $RESULT == "result end=eof "* ]]
	first=$(t_of "$SLOG" role=worker ev=close dups=2-\>1)
	last=$(t_of "$SLOG" ev=close holders=1-\>0)
	eof=$(t_of "$CLOG" ev=eof)
	((first < last && last <= eof && eof - first >= 200 * MS))
}

@test "a helper that has exited holds nothing: the worker's close is counted the last" {
	start_server --spawn true --end close
	client --send hello --after 300
	assert_success
	helper=$(field "$(event "$SLOG" role=worker ev=spawn)" helper)
	exited=$(t_of "$SLOG" role=worker ev=exit "helper=$helper")
	close=$(t_of "$SLOG" role=worker ev=close holders=1-\>0) ||
	    mistake "the worker's close was not counted the last, though its helper had exited"
	eof=$(t_of "$CLOG" ev=eof)
	((exited < close && close <= eof))
}
