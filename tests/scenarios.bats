#!/usr/bin/env bats
# Every scenario of the catalogue (demo/demo.sh list), run by name as a
# student runs it, then checked from its logs: what each side observed and
# in what order.

load test_helper

# Where the parent keeps nothing, whether it or the worker closes last is a
# race (the parent closes just after the handoff): the tests then look for
# the last close, whoever made it.
# The parent's keeps are steps too: five (three with the abort).

# scenario NAME: run it with demo.sh, keeping its logs; sets SLOG, CLOG, RESULT
# The article's experiments wait this long before each echo: 10 times the
# client's 100 ms steps, so that a loaded machine cannot reorder them. The
# half-closing and unread scenarios take steps of STEP_MS (the demo's are
# 100 ms), for the same reason: a parent that closes its copy just after
# the handoff must have done so a step later. The spawn scenarios' helper
# lives three of them after the demo's cue, the worker's and the parent's
# closes.
REPLY_DELAY_MS=1000
STEP_MS=1000

scenario() {
	REPLY_DELAY=$REPLY_DELAY_MS STEP_MS=$STEP_MS run sh "$TOP/demo/demo.sh" \
	    --logs "$BATS_TEST_TMPDIR" "$1"
	assert_success || mistake "the demo of scenario $1 failed"
	SLOG=$BATS_TEST_TMPDIR/$1.server.log
	CLOG=$BATS_TEST_TMPDIR/$1.client.log
	RESULT=$(tail -n 1 "$BATS_TEST_TMPDIR/$1.client.out")
	children_gone ||
	    mistake "a process the server of scenario $1 forked was still running after the demo: the server must end and reap every child"
}

linux_only() {
	[ "$(uname -s)" = Linux ] || skip "what Linux does: other systems differ (docs/scenarios.md)"
}

@test "the catalogue lists every scenario, and an unknown name is refused" {
	run sh "$TOP/demo/demo.sh" list
	assert_success || mistake "demo.sh list failed"
	assert_equal "${#lines[@]}" 23 ||
	    mistake "demo.sh list did not list the 23 scenarios, one a line"
	for name in orderly-release close-before-echo abort lingering linger-acked linger-timeout \
	    leak dup fork-forgets-close \
	    child-shutdown thread-close thread-close-idle diagnose; do
		assert_line --regexp "^$name " || mistake "demo.sh list did not list the scenario $name"
	done
	run sh "$TOP/demo/demo.sh" no-such-thing
	assert_failure 2 || mistake "an unknown scenario must make the demo exit 2, a usage error"
	assert_output --partial "demo: no scenario 'no-such-thing'" ||
	    mistake "the demo did not say that it has no scenario 'no-such-thing'"
}

@test "close-while-held: EOF waits for the parent's close" {
	scenario close-while-held
	assert_equal "$RESULT" "$(grep '^result end=eof ' <<<"$RESULT")" ||
	    mistake "the connection did not end with EOF"
	# the parent's keep runs from its handoff
	handoff=$(t_of "$SLOG" role=parent ev=handoff) ||
	    mistake "the parent did not log its handoff of the connection"
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1) ||
	    mistake "the worker's close() was not logged as 'holders=2->1' while the parent keeps its copy"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer) ||
	    mistake "the parent's close was not logged as the last ('holders=1->0 keep=timer') after its keep"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((worker_close < parent_close && parent_close <= eof)) ||
	    mistake "the order is wrong: the worker's close, then the parent's close, then the client's EOF"
	((eof - handoff >= 5 * STEP_MS * MS)) ||
	    mistake "the client's EOF came less than $((5 * STEP_MS)) ms after the handoff: the worker's close() must not send the FIN while the parent keeps its copy"
}

@test "shutdown-while-held: EOF at the worker's shutdown, before the parent's close" {
	scenario shutdown-while-held
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR holders=2) ||
	    mistake "the worker did not log 'shutdown how=SHUT_WR holders=2' while the parent held the socket"
	# (the worker's close may come before the parent's or after it, on a
	# loaded machine: the shutdown has ended the connection either way)
	parent_close=$(t_of "$SLOG" role=parent ev=close keep=timer) ||
	    mistake "the parent's close was not logged ('keep=timer') after its keep"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((shutdown <= eof && eof < parent_close)) ||
	    mistake "the client's EOF did not come between the worker's shutdown and the parent's close: shutdown(SHUT_WR) sends the FIN whoever else holds the socket"
	worker=$(values "$SLOG" pid role=worker ev=shutdown)
	said=$(sed -n '/^In this run: /,/\.$/p' <<<"$output" | tr '\n' ' ')
	[[ $said == "In this run: the FIN "*" by worker $worker's shutdown(SHUT_WR) at "*" ms, while 1 other process still held it; the client read EOF at "* ]] ||
	    mistake "the run's sentence did not name worker $worker's shutdown as the FIN's sender, while the parent held the socket: '$said'"
}

@test "orderly-release: after the client's half-close both echoes arrive, then EOF" {
	scenario orderly-release
	[[ $RESULT == "result end=eof "*" sent=14 received=14" ]] ||
	    mistake "after its half-close the client did not get both echoes (14 bytes) and EOF: '$RESULT'"
	run grep '^recv ' "$BATS_TEST_TMPDIR/orderly-release.client.out"
	assert_output $'recv bytes=7 data=ABCDEFG\nrecv bytes=7 data=1234567' ||
	    mistake "the client did not receive the two echoes, ABCDEFG then 1234567"
	client_fin=$(t_of "$CLOG" ev=shutdown how=SHUT_WR) ||
	    mistake "the client did not log its shutdown(SHUT_WR)"
	echo1=$(t_of "$SLOG" role=worker ev=write bytes=7) ||
	    mistake "the worker did not log its first echo"
	echo2=$(NTH=2 t_of "$SLOG" role=worker ev=write bytes=7) ||
	    mistake "the worker did not log its second echo"
	server_eof=$(t_of "$SLOG" role=worker ev=eof) ||
	    mistake "the worker did not log the client's EOF"
	server_fin=$(t_of "$SLOG" ev=close holders=1-\>0) ||
	    mistake "no close was logged as the last holder's ('holders=1->0')"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	# the article's order: client FIN, echo, echo, server FIN
	((client_fin < echo1 && echo1 < echo2 && echo2 < server_fin)) ||
	    mistake "not the article's order: the client's FIN, the first echo, the second, then the server's FIN"
	((server_eof < server_fin && server_fin <= eof)) ||
	    mistake "the server's FIN did not come after it read the client's EOF, and before the client's EOF"
	((echo1 - client_fin >= 0 && echo2 - echo1 >= REPLY_DELAY_MS * MS)) ||
	    mistake "the second echo came less than --reply-delay $REPLY_DELAY_MS ms after the first"
}

@test "close-before-echo: the echo meets an RST, the worker's later call fails" {
	linux_only
	scenario close-before-echo
	[[ $RESULT == "result end=closed "*" sent=14 received=0" ]] ||
	    mistake "the client did not close after sending its 14 bytes, with nothing received: '$RESULT'"
	client_close=$(t_of "$CLOG" ev=close) || mistake "the client did not log its close()"
	echo1=$(t_of "$SLOG" role=worker ev=write bytes=7) ||
	    mistake "the worker did not log its first echo"
	((client_close < echo1)) || mistake "the worker's first echo came before the client's close()"
	# the RST that answered the echo shows in the worker's next call
	failed=$(earliest "$SLOG" 'role=worker ev=read err=EPIPE' 'role=worker ev=read err=ECONNRESET' \
	    'role=worker ev=write err=EPIPE' 'role=worker ev=write err=ECONNRESET') ||
	    mistake "no later read or write of the worker failed with EPIPE or ECONNRESET after the client's RST"
	(($(field "$failed" t) > echo1)) ||
	    mistake "the worker's call failed before its first echo, not after the RST that answered it"
}

@test "close-before-echo: the server goes on serving other connections" {
	start_server --reply-delay 50 --workers 1
	client --send first --then close
	assert_success || mistake "the client did not close cleanly after sending (--then close)"
	wait_for_event "$SLOG" ev=close holders=1-\>0 ||
	    mistake "the server never closed the connection the client had closed"
	client --send second
	assert_success || mistake "after a connection reset, the server did not serve the next one"
	assert_line 'recv bytes=6 data=second' ||
	    mistake "after a connection reset, the server did not echo the next connection's data"
}

@test "shutdown-rd: nothing is sent; read returns 0 at once, yet later data arrives" {
	linux_only
	scenario shutdown-rd
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	shut=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_RD) ||
	    mistake "the worker did not log its shutdown(SHUT_RD)"
	early_eof=$(t_of "$SLOG" role=worker ev=eof) ||
	    mistake "the worker's read after shutdown(SHUT_RD) did not return 0 (EOF)"
	second=$(NTH=2 t_of "$CLOG" ev=write bytes=3) ||
	    mistake "the client did not log its second write"
	late=$(NTH=2 t_of "$SLOG" role=worker ev=read bytes=3) ||
	    mistake "the worker did not read the client's data sent after its shutdown(SHUT_RD): Linux still queues it"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	# the client's data sent after SHUT_RD is still read; the FIN comes at the close
	((shut < early_eof && early_eof < second && second < late)) ||
	    mistake "not the order of shutdown(SHUT_RD): the shutdown, read() returning 0, the client's second write, the worker reading it"
	close=$(t_of "$SLOG" ev=close holders=1-\>0) ||
	    mistake "no close was logged as the last holder's ('holders=1->0')"
	((close <= eof && eof - shut >= 4 * STEP_MS * MS)) ||
	    mistake "the client's EOF did not wait for the close, at least $((4 * STEP_MS)) ms after the shutdown(SHUT_RD), which sends nothing"
}

@test "shutdown-rdwr: the FIN leaves at once; data that comes after is reset" {
	linux_only
	scenario shutdown-rdwr
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	shut=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_RDWR) ||
	    mistake "the worker did not log its shutdown(SHUT_RDWR)"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	second=$(NTH=2 t_of "$CLOG" ev=write bytes=3) ||
	    mistake "the client did not log its second write"
	reset=$(t_of "$SLOG" role=worker ev=read err=ECONNRESET) ||
	    mistake "the worker's read after the client's later data did not fail with ECONNRESET"
	((shut <= eof && eof < second && second < reset)) ||
	    mistake "not the order of shutdown(SHUT_RDWR): the FIN at once (the client's EOF), the client's later data, then the reset"
}

@test "abort: the last close with SO_LINGER {1, 0} sends RST" {
	scenario abort
	[[ $RESULT == "result end=rst "* ]] || mistake "the connection did not end with an RST: '$RESULT'"
	has_event "$SLOG" role=worker ev=linger onoff=1 secs=0 ||
	    mistake "the worker did not log that it set SO_LINGER {1, 0}"
	close=$(t_of "$SLOG" ev=close holders=1-\>0 linger=0) ||
	    mistake "the last close was not logged with 'holders=1->0 linger=0'"
	rst=$(t_of "$CLOG" ev=rst err=ECONNRESET) ||
	    mistake "the client's read did not fail with ECONNRESET"
	((close <= rst)) || mistake "the client saw the reset before the last close that sends it"
	# the parent's close and the worker's race: the run's own sentence names
	# the one the log shows was last, and the wire's RST came after it
	last=$(values "$SLOG" "role pid" ev=close holders=1-\>0 linger=0)
	said=$(sed -n '/^In this run: /,/\.$/p' <<<"$output" | tr '\n' ' ')
	[[ $said == "In this run: the RST "*" by $last's close() at "*" ms, the last holder; "* ]] ||
	    mistake "the run's sentence did not name $last, whose close was the last, as the RST's sender: '$said'"
	if has_event "$SLOG" role=wire ev=segment; then
		sent=$(t_of "$SLOG" role=wire ev=segment dir=out flags=R.) ||
		    mistake "the capture has no RST from the server"
		((close <= sent)) || mistake "the wire's RST left before the close the sentence names"
	fi
}

@test "abort-while-held: the worker's abortive close sends nothing; the parent's sends RST" {
	scenario abort-while-held
	[[ $RESULT == "result end=rst "* ]] || mistake "the connection did not end with an RST: '$RESULT'"
	handoff=$(t_of "$SLOG" role=parent ev=handoff) ||
	    mistake "the parent did not log its handoff of the connection"
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1 linger=0) ||
	    mistake "the worker's abortive close was not logged as 'holders=2->1 linger=0' while the parent held the socket"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 linger=0 keep=timer) ||
	    mistake "the parent's close was not logged as the last with the worker's SO_LINGER ('holders=1->0 linger=0 keep=timer')"
	rst=$(t_of "$CLOG" ev=rst err=ECONNRESET) ||
	    mistake "the client's read did not fail with ECONNRESET"
	((worker_close < parent_close && parent_close <= rst)) ||
	    mistake "the RST did not wait for the parent's close, after the worker's"
	((rst - handoff >= 3 * STEP_MS * MS)) ||
	    mistake "the client saw the reset less than $((3 * STEP_MS)) ms after the handoff, while the parent still held the socket"
}

@test "client-abort: the worker finds the connection reset" {
	scenario client-abort
	[[ $RESULT == "result end=closed "* ]] || mistake "the client did not end by closing: '$RESULT'"
	abort=$(t_of "$CLOG" ev=close linger=0) ||
	    mistake "the client did not log its abortive close ('linger=0')"
	# which error a reset shows as depends on what the worker was doing when it came
	failed=$(earliest "$SLOG" 'role=worker ev=read err=EPIPE' 'role=worker ev=read err=ECONNRESET' \
	    'role=worker ev=write err=EPIPE' 'role=worker ev=write err=ECONNRESET') ||
	    mistake "no read or write of the worker failed with EPIPE or ECONNRESET after the client's RST"
	(($(field "$failed" t) > abort)) ||
	    mistake "the worker's call failed before the client's abortive close"
}

@test "unread-close: closing with unread data sends RST, not FIN" {
	linux_only
	scenario unread-close
	[[ $RESULT == "result end=rst "*" sent=7 received=0" ]] ||
	    mistake "the connection did not end with an RST after the client's 7 bytes: '$RESULT'"
	close=$(t_of "$SLOG" ev=close holders=1-\>0 unread=7) ||
	    mistake "the last close was not logged with its 7 bytes unread ('holders=1->0 unread=7')"
	rst=$(t_of "$CLOG" ev=rst err=ECONNRESET) ||
	    mistake "the client's read did not fail with ECONNRESET"
	((close <= rst)) || mistake "the client saw the reset before the close that sends it"
	run has_event "$SLOG" role=worker ev=read
	assert_failure || mistake "the worker read the data it was told never to read (--reads none)"
}

@test "unread-while-held: nothing at the worker's close, RST at the parent's" {
	linux_only
	scenario unread-while-held
	[[ $RESULT == "result end=rst "* ]] || mistake "the connection did not end with an RST: '$RESULT'"
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1 unread=7) ||
	    mistake "the worker's close was not logged as 'holders=2->1 unread=7' while the parent held the socket"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 unread=7) ||
	    mistake "the parent's close was not logged as the last, with the 7 bytes unread ('holders=1->0 unread=7')"
	rst=$(t_of "$CLOG" ev=rst) || mistake "the client logged no reset"
	handoff=$(t_of "$SLOG" role=parent ev=handoff) ||
	    mistake "the parent did not log its handoff of the connection"
	((worker_close < parent_close && parent_close <= rst)) ||
	    mistake "the RST did not wait for the parent's close, after the worker's"
	((rst - handoff >= 3 * STEP_MS * MS)) ||
	    mistake "the client saw the reset less than $((3 * STEP_MS)) ms after the handoff, while the parent still held the socket"
}

@test "lingering: the worker drains until the client's EOF, so no RST" {
	scenario lingering
	[[ $RESULT == "result end=eof "*" sent=7 received=0" ]] ||
	    mistake "the connection did not end with EOF after the client's 7 bytes: '$RESULT'"
	shut=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR) ||
	    mistake "the worker did not log its shutdown(SHUT_WR)"
	drained=$(t_of "$SLOG" role=worker ev=read bytes=7) ||
	    mistake "the worker did not read the client's 7 bytes after its shutdown"
	client_fin=$(t_of "$CLOG" ev=shutdown how=SHUT_WR) ||
	    mistake "the client did not log its shutdown(SHUT_WR)"
	server_eof=$(t_of "$SLOG" role=worker ev=eof) ||
	    mistake "the worker did not read the client's EOF"
	close=$(t_of "$SLOG" ev=close holders=1-\>0 unread=0) ||
	    mistake "the last close was not logged with nothing unread ('holders=1->0 unread=0')"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((shut <= eof && shut < drained && client_fin < server_eof && server_eof < close)) ||
	    mistake "not the lingering close's order: the shutdown (the client's EOF), the drain, the client's FIN, then the close"
	run has_event "$CLOG" ev=rst
	assert_failure || mistake "the client saw a reset, which the lingering close must not send"
}

@test "the linger scenarios' client options refuse a bad value, exit 2" {
	# closelab's own client's, beyond the contract's core
	usage_error "$CLIENT" "--send-bytes needs a number from 1 to 1048576, not '0'" --port 1 --send-bytes 0
	usage_error "$CLIENT" "--rcvbuf needs a number from 1 to 1048576, not '2097152'" --port 1 --rcvbuf 2097152
	usage_error "$CLIENT" "--read-after needs a number from 0 to 3600000, not '-1'" --port 1 --read-after -1
}

# lingered LINGER: the last close's line, with SO_LINGER {1, LINGER}, a
# queue the client had not acknowledged, and how long it took: sets CLOSE_T
# (ns) and WAITED_MS (whole ms)
lingered() {
	local line
	line=$(event "$SLOG" ev=close holders=1-\>0 linger="$1") ||
	    mistake "the last close was not logged with SO_LINGER {1, $1} ('holders=1->0 linger=$1')"
	[ "$(field "$line" unacked)" -gt 0 ] ||
	    mistake "the last close found no byte unacknowledged in the send queue (no unacked=): the client's window did not fill"
	CLOSE_T=$(field "$line" t)
	WAITED_MS=$(field "$line" waited)
	WAITED_MS=${WAITED_MS%.*}
}

@test "linger-acked: the last close waits until the client's kernel has acknowledged the FIN" {
	linux_only
	scenario linger-acked
	[[ $RESULT == "result end=eof "*" sent=65536 received=65536" ]] ||
	    mistake "the client did not get its 65536 bytes back and EOF: '$RESULT'"
	lingered $((10 * STEP_MS / 1000))
	read=$(t_of "$CLOG" ev=read) || mistake "the client logged no read"
	((CLOSE_T + WAITED_MS * MS + MS >= read)) ||
	    mistake "the close returned after $WAITED_MS ms, before the client read anything: it did not wait for the acknowledgment"
	((WAITED_MS < 10 * STEP_MS)) ||
	    mistake "the close took $WAITED_MS ms, its whole linger, though the client read long before it ran out"
	run has_event "$CLOG" ev=rst
	assert_failure || mistake "the client saw a reset: a linger of S > 0 sends none"
}

@test "the client's --read-after waits for its time or a SIGUSR1, the demo's cue to linger-timeout: the echo is read only after it" {
	start_server
	start_client --send hello --read-after 3600000 --log "$CLOG"
	# the server has echoed and closed, and the client has read nothing
	wait_for_event "$SLOG" role=worker ev=close ||
	    mistake "the worker did not close after the client's shutdown"
	close=$(t_of "$SLOG" role=worker ev=close)
	cue_client || mistake "the client was not running to get SIGUSR1"
	wait_client
	assert_success || mistake "the client did not end well once it was sent SIGUSR1"
	assert_line --regexp '^result end=eof ms=[0-9.]+ sent=5 received=5$' ||
	    mistake "after SIGUSR1 the client did not read its echo and EOF"
	read=$(t_of "$CLOG" ev=read) || mistake "the client logged no read"
	((read > close)) ||
	    mistake "the client read before the cue, though --read-after was an hour"
}

@test "linger-timeout: the close returns when the linger runs out, and the client still gets every byte" {
	linux_only
	scenario linger-timeout
	[[ $RESULT == "result end=eof "*" sent=65536 received=65536" ]] ||
	    mistake "the client did not get its 65536 bytes back and EOF, though Linux sends on after the linger: '$RESULT'"
	lingered 1
	((WAITED_MS >= 1000)) ||
	    mistake "the close took $WAITED_MS ms: it returned before its linger of 1 s ran out"
	read=$(t_of "$CLOG" ev=read) || mistake "the client logged no read"
	((CLOSE_T + WAITED_MS * MS < read)) ||
	    mistake "the client read before the close returned: the linger did not run out first"
	run has_event "$CLOG" ev=rst
	assert_failure || mistake "the client saw a reset: when the linger runs out, Linux sends on"
}

@test "leak: CLOSE_WAIT on the server, FIN_WAIT2 on the client, until the worker exits" {
	scenario leak
	[[ $RESULT == "result end=timeout "* ]] || mistake "the client did not time out: '$RESULT'"
	has_event "$SLOG" role=worker ev=leak ||
	    mistake "the worker did not log that it never closes the connection ('ev=leak')"
	if command -v ss >/dev/null; then
		assert_line --regexp '^  CLOSE-WAIT ' ||
		    mistake "ss did not show the server's side of the leaked connection in CLOSE-WAIT"
		assert_line --regexp '^  FIN-WAIT-2 ' ||
		    mistake "ss did not show the client's side of the leaked connection in FIN-WAIT-2"
	fi
	# the kernel closed the leaked socket when the worker exited
	has_event "$SLOG" role=parent ev=close by=exit holders=1-\>0 ||
	    mistake "the worker's exit was not logged as the last holder's close ('by=exit holders=1->0')"
}

@test "spawn-inherits: EOF waits for the helper that inherited the socket" {
	scenario spawn-inherits
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	# whether the parent has let go yet is a race: the helper makes 2 or 3
	spawn=$(t_of "$SLOG" role=worker ev=spawn inherits=yes) ||
	    mistake "the worker's spawn was not logged with 'inherits=yes'"
	worker_close=$(event "$SLOG" role=worker ev=close fd=) ||
	    mistake "the worker did not log its close()"
	[[ $worker_close != *"->0 "* ]] ||
	    mistake "the worker's close was counted the last, though the helper it spawned holds the socket"
	worker_close=$(field "$worker_close" t)
	has_event "$SLOG" role=worker ev=close by=exit holders=1-\>0 ||
	    mistake "the helper's exit was not logged as the last holder's close ('by=exit holders=1->0')"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((spawn < worker_close && eof - worker_close >= 3 * STEP_MS * MS)) ||
	    mistake "the client's EOF did not wait for the helper's $((3 * STEP_MS)) ms after the worker's close"
}

@test "spawn-cloexec: EOF at the worker's close, before the helper exits" {
	scenario spawn-cloexec
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	has_event "$SLOG" role=worker ev=spawn inherits=no ||
	    mistake "the worker's spawn with --cloexec was not logged with 'inherits=no'"
	close=$(t_of "$SLOG" ev=close holders=1-\>0) ||
	    mistake "no close was logged as the last holder's ('holders=1->0')"
	helper_exit=$(t_of "$SLOG" role=worker ev=exit) ||
	    mistake "the worker did not log its helper's exit"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((close <= eof && eof < helper_exit)) ||
	    mistake "the client's EOF did not come at the last close, before the helper exited: a close-on-exec helper holds nothing"
}

@test "dup: closing one of two descriptors sends nothing; the last sends the FIN" {
	scenario dup
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	first=$(t_of "$SLOG" role=worker ev=close dups=2-\>1) ||
	    mistake "the worker's first close was not logged as 'dups=2->1'"
	last=$(t_of "$SLOG" ev=close holders=1-\>0) ||
	    mistake "no close was logged as the last holder's ('holders=1->0')"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((first < last && last <= eof && eof - first >= 2 * STEP_MS * MS)) ||
	    mistake "the client's EOF did not wait for the second close, $((2 * STEP_MS)) ms after the first: a dup()ed descriptor still refers to the socket"
}

@test "a helper that has exited holds nothing: the worker's close is counted the last" {
	start_server --spawn true --end close
	client --send hello --after 300
	assert_success || mistake "the client did not get its echo and EOF"
	helper=$(field "$(event "$SLOG" role=worker ev=spawn)" helper)
	exited=$(t_of "$SLOG" role=worker ev=exit "helper=$helper") ||
	    mistake "the worker did not log its helper's exit"
	close=$(t_of "$SLOG" role=worker ev=close holders=1-\>0) ||
	    mistake "the worker's close was not counted the last, though its helper had exited"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((exited < close && close <= eof)) ||
	    mistake "not the order: the helper's exit, the worker's close, then the client's EOF"
}

@test "fork-forgets-close: the parent's copy holds the socket in CLOSE_WAIT until the parent exits" {
	scenario fork-forgets-close
	[[ $RESULT == "result end=timeout "* ]] || mistake "the client did not time out: '$RESULT'"
	has_event "$SLOG" role=parent ev=fork ||
	    mistake "the server did not fork a child for the connection"
	child_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1) ||
	    mistake "the child's close was not logged as leaving the parent's copy ('holders=2->1')"
	gave_up=$(t_of "$CLOG" ev=timeout) || mistake "the client did not log that it gave up"
	last=$(t_of "$SLOG" role=parent ev=close holders=1-\>0) ||
	    mistake "the parent's close at its exit was not logged as the last ('holders=1->0')"
	((child_close < gave_up && gave_up < last)) ||
	    mistake "not the order of a parent that never closes: the child's close, the client giving up, the parent's close at its exit"
	parent=$(values "$SLOG" pid role=parent ev=fork)
	# bin/holders, run before the server stopped: the CLOSE_WAIT socket and
	# the parent under it
	awk -v p="$parent" '/^CLOSE_WAIT / { cw = 1; next } /^[A-Z]/ { cw = 0 }
	    cw && $1 == p { found = 1 } END { exit !found }' <<<"$output" ||
	    mistake "bin/holders did not name the parent $parent as holding the CLOSE_WAIT socket"
}

@test "server: --model thread refuses what its threads cannot do safely" {
	usage_error "$SERVER" "--model thread: the thread serves the parent's one descriptor: --parent-keeps has no copy to keep" \
	    --model thread --parent-keeps 100
	usage_error "$SERVER" "--model thread cannot --spawn: a fork in one thread copies every thread's connections" \
	    --model thread --spawn true
	usage_error "$SERVER" "--model thread cannot --end dup: a new descriptor could take a number that another thread's call still uses" \
	    --model thread --end dup
}

@test "--model thread: a closer thread ends the connection in every --end mode it takes, while the serving thread reads" {
	local end
	for end in close shutdown abort linger shutdown-rd shutdown-rdwr lingering; do
		start_server --model thread --end-after 200 --end "$end" --end-wait 200
		client --send one --interval 2000 --send two --timeout 10000
		[[ $output == *"result end=eof "* || $output == *"result end=rst "* ]] ||
		    mistake "with --end $end the closer did not end the connection: '${lines[*]: -1}'"
		stop_server
	done
}

@test "thread-close: the closer thread's close() sends nothing while the serving thread is in read(); its return does" {
	linux_only
	scenario thread-close
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	has_event "$SLOG" role=parent ev=thread holders=1 ||
	    mistake "the parent did not start a thread for the connection with one holder ('ev=thread holders=1')"
	take=$(t_of "$SLOG" role=worker ev=take) || mistake "the serving thread did not take the connection"
	close=$(t_of "$SLOG" role=worker ev=close holders=1-\>0 calls=1) ||
	    mistake "the closer's close was not the last descriptor's with a call in progress ('holders=1->0 calls=1')"
	((close - take >= 2 * STEP_MS * MS)) ||
	    mistake "the closer closed $(((close - take) / MS)) ms after the take, before its two steps"
	second=$(NTH=2 t_of "$CLOG" ev=write) || mistake "the client did not write its second message"
	release=$(t_of "$SLOG" role=worker ev=release call=read) ||
	    mistake "the serving thread's read did not return after the close ('ev=release call=read')"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((close < second && second < release && second < eof)) ||
	    mistake "not the order of a read that holds the socket: the close, the client's second message, the read's return and the EOF"
	# the serving thread's lines say which thread they are; the closer is another
	[ "$(values "$SLOG" tid role=worker ev=take)" != "$(values "$SLOG" tid role=worker ev=close)" ] ||
	    mistake "the close was not the closer thread's (the same tid= as the take's)"
}

@test "thread-close-idle: the closer's close() sends the FIN at once while the serving thread is in no call" {
	scenario thread-close-idle
	[[ $RESULT == "result end=eof "*" received=0" ]] ||
	    mistake "the connection did not end with EOF before the echo: '$RESULT'"
	close=$(t_of "$SLOG" role=worker ev=close holders=1-\>0) ||
	    mistake "the closer's close was not the last holder's ('holders=1->0')"
	run has_event "$SLOG" role=worker ev=close calls=
	assert_failure || mistake "the close saw a call in progress, though the serving thread was asleep"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	take=$(t_of "$SLOG" role=worker ev=take) || mistake "the serving thread did not take the connection"
	# the serving thread sleeps four steps before its echo, which never comes
	((close < eof && eof < take + 4 * STEP_MS * MS)) ||
	    mistake "the EOF did not come at the close, before the serving thread woke to echo"
	run has_event "$SLOG" role=worker ev=write
	assert_failure || mistake "the serving thread wrote after the connection was closed"
}

@test "child-shutdown: a child's shutdown() sends the FIN while the parent holds the socket, ending it for both" {
	scenario child-shutdown
	[[ $RESULT == "result end=eof "* ]] || mistake "the connection did not end with EOF: '$RESULT'"
	has_event "$SLOG" role=parent ev=fork ||
	    mistake "the server did not fork a child for the connection"
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR holders=2) ||
	    mistake "the child did not log 'shutdown how=SHUT_WR holders=2' while the parent held the socket"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0 keep=timer) ||
	    mistake "the parent's close was not logged as the last ('holders=1->0 keep=timer') after its keep"
	((shutdown <= eof && eof < parent_close)) ||
	    mistake "the client's EOF did not come between the child's shutdown and the parent's close"
	# the parent's copy is the same socket: its sending side shut by the child
	state=$(values "$SLOG" state role=parent ev=close keep=timer)
	[[ $state != ESTABLISHED && $state != CLOSE_WAIT ]] ||
	    mistake "the parent's copy was still $state at its close: the child's shutdown did not end the connection for it"
}
