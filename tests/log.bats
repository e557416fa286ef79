#!/usr/bin/env bats
# The log's one format, read the same way on both sides of the language
# line: common/log.c (the client) and common/log.awk (the timeline, the
# tests, the bench) agree on every line of one corpus; and every event the
# programs log is in the vocabulary, common/events.h.

load test_helper

@test "log.c and log.awk read every line of the corpus the same way" {
	command -v cc >/dev/null || skip "needs cc"
	cc -std=c11 -D_POSIX_C_SOURCE=200809L -o "$BATS_TEST_TMPDIR/parse" "$TOP/tests/log/parse.c" \
	    "$TOP/common/libcommon.a" ||
	    mistake "the log parser of common/log.c did not build for the test"
	c=$("$BATS_TEST_TMPDIR/parse" <"$TOP/tests/log/corpus.txt")
	a=$(awk -f "$TOP/common/log.awk" -f "$TOP/tests/log/parse.awk" "$TOP/tests/log/corpus.txt")
	assert_equal "$a" "$c" ||
	    mistake "log.awk (the timeline's and the tests' reader) and log.c (the client's) read a line of the corpus differently"
	# and they read it right: a line as it is, and what is not a line at all
	assert_equal "$(sed -n 1p <<<"$c")" "t=8772073369227 pid=2561 role=worker conn=127.0.0.1:44452 ev=close fd=4 holders=2->1 unread=0 linger=off kernel=- keep=- by=- err=- how=- bytes=- state=CLOSE_WAIT dir=- flags=- seq=-" ||
	    mistake "log.c did not read the corpus's first line, a worker's close, field by field as it is"
	assert_equal "$(grep -c -v '^invalid$' <<<"$c")" 16 ||
	    mistake "log.c did not take the corpus's 16 event lines as events"
	assert_equal "$(grep -c '^invalid$' <<<"$c")" 17 ||
	    mistake "log.c did not refuse the corpus's 17 lines that are not events"
}

@test "the tests find events by their fields, whatever their order" {
	printf '%s\n' 't=5 pid=6 role=worker conn=c ev=close fd=4 holders=2->1' \
	    't=7 pid=6 role=worker conn=c ev=close holders=1->0 fd=4' >"$BATS_TEST_TMPDIR/x.log"
	assert_equal "$(t_of "$BATS_TEST_TMPDIR/x.log" fd=4 ev=close holders=1-\>0)" 7 ||
	    mistake "t_of did not find the event by its fields in another order"
	assert_equal "$(NTH=2 t_of "$BATS_TEST_TMPDIR/x.log" ev=close fd=)" 7 ||
	    mistake "t_of with NTH=2 did not find the second event that has the fields"
	run t_of "$BATS_TEST_TMPDIR/x.log" ev=close holders=3-\>2
	assert_failure || mistake "t_of found an event that no line of the log holds"
	assert_equal "$(field 'result end=eof ms=1.5 sent=5' ms)" 1.5 ||
	    mistake "field did not read ms= from a result line"
}
