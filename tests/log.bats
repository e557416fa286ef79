#!/usr/bin/env bats
# The log's one format, read the same way on both sides of the language
# line: common/log.c (the client) and common/log.awk (the timeline, the
# tests, the bench) agree on every line of one corpus; and every event the
# programs log is in the vocabulary, common/events.h.

load test_helper

@test "log.c and log.awk read every line of the corpus the same way" {
	command -v cc >/dev/null || skip "needs cc"
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -o "$BATS_TEST_TMPDIR/parse" "$TOP/tests/log/parse.c" \
	    "$TOP/common/log.c" "$TOP/common/events.c" "$TOP/common/kernel.c" "$TOP/common/util.c"
	c=$("$BATS_TEST_TMPDIR/parse" <"$TOP/tests/log/corpus.txt")
	a=$(awk -f "$TOP/common/log.awk" -f "$TOP/tests/log/parse.awk" "$TOP/tests/log/corpus.txt")
	assert_equal "$a" "$c"
	# and they read it right: a line as it is, and what is not a line at all
	assert_equal "$(sed -n 1p <<<"$c")" "t=8772073369227 pid=2561 role=worker conn=127.0.0.1:44452 ev=close fd=4 holders=2->1 unread=0 linger=off kernel=- keep=- by=- err=- how=- bytes=- state=CLOSE_WAIT dir=- flags=- seq=-"
	assert_equal "$(grep -c -v '^invalid$' <<<"$c")" 16
	assert_equal "$(grep -c '^invalid$' <<<"$c")" 17
}

@test "the tests find events by their fields, whatever their order" {
	printf '%s\n' 't=5 pid=6 role=worker conn=c ev=close fd=4 holders=2->1' \
	    't=7 pid=6 role=worker conn=c ev=close holders=1->0 fd=4' >"$BATS_TEST_TMPDIR/x.log"
	assert_equal "$(t_of "$BATS_TEST_TMPDIR/x.log" fd=4 ev=close holders=1-\>0)" 7
	assert_equal "$(NTH=2 t_of "$BATS_TEST_TMPDIR/x.log" ev=close fd=)" 7
	run t_of "$BATS_TEST_TMPDIR/x.log" ev=close holders=3-\>2
	assert_failure
	assert_equal "$(field 'result end=eof ms=1.5 sent=5' ms)" 1.5
}
