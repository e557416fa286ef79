#!/usr/bin/env bats
# bin/timeline: the logs of every process merged into one timeline, lane
# by lane; whatever the logs, it tells the truth or refuses.

load test_helper

@test "the timeline orders both logs and marks where the FIN left" {
	start_server --parent-keeps 100 --end close
	client --send hello
	assert_success
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success
	assert_line --index 0 --regexp '^lanes: A parent [0-9]+, B worker [0-9]+, C client [0-9]+$'
	assert_line --index 1 --regexp '^ +ms +A +B +C +wire +event$'
	assert_line --index 2 --regexp '^ +0\.000 '
	# without a capture, the FIN is worked out from the logs: the parent's
	# close, in lane A; the worker has closed, the client waits
	fin=$(grep '<- FIN' <<<"$output")
	[[ $fin =~ ^\ +[0-9.]+\ +\*\ {5}\|\ +\<-\ FIN\ +close\(\)\ its\ copy ]]
	# no line is wider than 80 columns, and the times only grow
	awk 'length > 80 { exit 1 }' <<<"$output"
	sed -n '3,$p' <<<"$output" | awk '$1 ~ /^[0-9]/ { if ($1 < last) exit 1; last = $1 }'
}

@test "the timeline rejects what it cannot read" {
	run "$TOP/bin/timeline"
	assert_failure 2
	run "$TOP/bin/timeline" "$BATS_TEST_TMPDIR/none.log"
	assert_failure 1
	assert_output "timeline: cannot read $BATS_TEST_TMPDIR/none.log"
	touch "$BATS_TEST_TMPDIR/empty.log"
	run "$TOP/bin/timeline" --svg /nonexistent/t.svg "$BATS_TEST_TMPDIR/empty.log"
	assert_failure 1
	assert_output "timeline: cannot write /nonexistent/t.svg"
	run "$TOP/bin/timeline" "$BATS_TEST_TMPDIR/empty.log"
	assert_failure 1
	assert_output "timeline: no connection events in the logs"
}

@test "--svg onto one of its own logs is refused, and the log kept" {
	start_server
	client --send hello
	cp "$SLOG" "$BATS_TEST_TMPDIR/before"
	run "$TOP/bin/timeline" --svg "$SLOG" "$SLOG" "$CLOG"
	assert_failure 2
	assert_line --index 0 "timeline: --svg $SLOG is one of the logs: it would be overwritten"
	cmp "$SLOG" "$BATS_TEST_TMPDIR/before"
}

@test "a line that is not a closelab event is refused, with its file and line" {
	start_server
	client --send hello
	stop_server
	sed -i '3s/.*/garbage, not an event/' "$SLOG"
	run "$TOP/bin/timeline" "$CLOG" "$SLOG"
	assert_failure 1
	assert_output "timeline: $SLOG:3: not a closelab event line: garbage, not an event"
	printf 't=12 pid=3 role=client\n' >"$BATS_TEST_TMPDIR/short.log"
	run "$TOP/bin/timeline" "$BATS_TEST_TMPDIR/short.log"
	assert_failure 1
	assert_output --partial ':1: not a closelab event line: t=12 pid=3 role=client'
}

@test "forty processes at once get forty lanes, each its own name" {
	start_server --model fork --workers 40 --reply-delay 300
	client --send hello --repeat 40 --concurrency 40
	assert_success
	stop_server
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success
	# the parent, forty children and the client, named A to Z, then AA...
	lanes=$(sed -n '1s/^lanes: //p' <<<"$output" | tr ',' '\n' | awk '{ print $1 }')
	assert_equal "$(wc -l <<<"$lanes")" 42
	assert_equal "$(sort -u <<<"$lanes" | wc -l)" 42
	assert_equal "$(sed -n '27p' <<<"$lanes")" AA
}

@test "a lane is free again when its process is done: a fork log stays narrow" {
	start_server --model fork
	client --send hello --repeat 200
	assert_success
	stop_server
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success
	# the parent, one child at a time, the client
	assert_line --index 0 --regexp '^lanes: A parent [0-9]+, B worker [0-9]+, C client [0-9]+$'
	assert_equal "$(grep -c 'lane B is now worker' <<<"$output")" 199
	awk 'length > 80 { print "too wide: " $0; exit 1 }' <<<"$output"
}

@test "segments the capture lost are said where it lost them" {
	start_server
	client --send hello
	stop_server
	# what the capture logs when its socket overflowed
	t=$(t_of "$SLOG" ev=accept)
	echo "t=$t pid=1 role=wire conn=- ev=drops dropped=7" >>"$SLOG"
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success
	assert_line --regexp '! +the capture lost 7 segments here: the numbering'
}

@test "the timeline's help and version" {
	run "$TOP/bin/timeline" --help
	assert_success
	assert_line --index 0 'usage: timeline [--conn ID] [--svg FILE] LOG...'
	run "$TOP/bin/timeline" --version
	assert_success
	assert_output --regexp '^timeline \(closelab\) [0-9]+\.[0-9]+$'
	run "$TOP/bin/timeline" --bogus
	assert_failure 2
	assert_line --index 0 'timeline: unknown option --bogus'
}
