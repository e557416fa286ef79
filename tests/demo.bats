#!/usr/bin/env bats
# make demo and the timeline it prints.

load test_helper

@test "the demo shows both cases and a verdict with two measured EOF times" {
	run sh "$TOP/demo/demo.sh"
	assert_success
	assert_line --regexp '^== close-while-held: '
	assert_line --regexp '^== shutdown-while-held: '
	assert_line --regexp 'worker .* holders 2->1: nothing is sent, 1 other process still holds it$'
	assert_line --regexp 'shutdown\(SHUT_WR\) with holders 2: FIN to the client at once$'
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
	assert_line --index 0 --regexp '^ +ms +process +wire +event$'
	assert_line --index 1 --regexp '^ +0\.000 '
	fin=$(grep -n '<- FIN' <<<"$output")
	[[ $fin == *"parent "*"holders 1->0: last holder, FIN to the client" ]]
	# the times only grow
	sed -n '2,$p' <<<"$output" | awk '{ if ($1 < last) exit 1; last = $1 }'
}

@test "the timeline rejects what it cannot read" {
	run sh "$TOP/timeline/timeline.sh"
	assert_failure 2
	run sh "$TOP/timeline/timeline.sh" "$BATS_TEST_TMPDIR/none.log"
	assert_failure 1
	assert_output "timeline: cannot read $BATS_TEST_TMPDIR/none.log"
}
