#!/usr/bin/env bats
# make demo and the timeline it prints.

load test_helper

@test "the demo shows both cases and a verdict with two measured EOF times" {
	run sh "$TOP/demo/demo.sh"
	assert_success
	assert_line --regexp '^== close-while-held: '
	assert_line --regexp '^== shutdown-while-held: '
	assert_line --regexp 'close\(\) fd [0-9]+, holders 2->1: nothing is sent'
	assert_line --regexp 'shutdown\(SHUT_WR\), holders 2: FIN at once'
	assert_line --regexp '^Verdict: with close\(\) the client.s EOF came after [0-9]+\.[0-9]{3} ms'
	# the close case waited for the parent's 500 ms; the shutdown case did not
	close_ms=$(sed -n 's/.*EOF came after \([0-9]*\)\.[0-9]* ms.*/\1/p' <<<"$output")
	shutdown_ms=$(sed -n 's/.*it came after \([0-9]*\)\.[0-9]* ms.*/\1/p' <<<"$output")
	((close_ms >= 500))
	((shutdown_ms < 500))
}

@test "the timeline orders both logs and marks where the FIN left" {
	start_server --parent-keeps 100 --end close
	client --send hello
	assert_success
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	run sh "$TOP/timeline/timeline.sh" "$SLOG" "$CLOG"
	assert_success
	assert_line --index 0 --regexp '^lanes: A parent [0-9]+, B worker [0-9]+, C client [0-9]+$'
	assert_line --index 1 --regexp '^ +ms +A +B +C +wire +event$'
	assert_line --index 2 --regexp '^ +0\.000 '
	# without a capture, the FIN is worked out from the logs: the parent's close
	fin=$(grep '<- FIN' <<<"$output")
	[[ $fin =~ ^\ +[0-9.]+\ +\*\ +\|\ +\|\ +\<-\ FIN\ +close\(\)\ its\ copy ]]
	# no line is wider than 80 columns, and the times only grow
	awk 'length > 80 { exit 1 }' <<<"$output"
	sed -n '3,$p' <<<"$output" | awk '$1 ~ /^[0-9]/ { if ($1 < last) exit 1; last = $1 }'
}

@test "the timeline rejects what it cannot read" {
	run sh "$TOP/timeline/timeline.sh"
	assert_failure 2
	run sh "$TOP/timeline/timeline.sh" "$BATS_TEST_TMPDIR/none.log"
	assert_failure 1
	assert_output "timeline: cannot read $BATS_TEST_TMPDIR/none.log"
	touch "$BATS_TEST_TMPDIR/empty.log"
	run sh "$TOP/timeline/timeline.sh" --svg /nonexistent/t.svg "$BATS_TEST_TMPDIR/empty.log"
	assert_failure 1
	assert_output "timeline: cannot write /nonexistent/t.svg"
	run sh "$TOP/timeline/timeline.sh" "$BATS_TEST_TMPDIR/empty.log"
	assert_failure 1
	assert_output "timeline: no connection events in the logs"
}
