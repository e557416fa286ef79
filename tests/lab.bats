#!/usr/bin/env bats
# make lab-check: each exercise of docs/lab.md run with the handout's own
# command, and what it tells the student to observe, checked on this machine.

bats_require_minimum_version 1.5.0
load test_helper

@test "the lab's exercises but the tenth show what the handout says: a line each, none failed" {
	# exercise 10, the rate runs (15 s of both cores), is left to make lab-check.
	# The article's echoes wait 1000 ms and the demo's steps are 1000 ms, as in
	# scenarios.bats, so that a loaded machine cannot reorder the segments
	# that exercises 2 and 3 number, nor the closes of 8, 11 and 12, nor the
	# client's read after the linger in 13, nor the close and the client's
	# second message in 14.
	local exercises="1 2 3 4 5 6 7 8 9 11 12 13 14" n i kept
	# shellcheck disable=SC2086 # the exercises, one a word
	LAB_KEEP=1 TMPDIR=$BATS_TEST_TMPDIR REPLY_DELAY=1000 STEP_MS=1000 \
	    run --separate-stderr timeout -k 5 600 sh "$TOP/demo/labcheck.sh" $exercises
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		mistake "make lab-check was still running after 600 s: each exercise's command should end in seconds"
	fi
	failures=$(grep '^FAIL ' <<<"$output" || true)
	if [ -n "$failures" ]; then
		# what each failed exercise's command printed, its log lines too
		# shellcheck disable=SC2154 # stderr: set by run --separate-stderr
		kept=$(sed -n 's/^labcheck: the commands.* kept in //p' <<<"$stderr")
		while read -r _ n _; do
			echo "--- exercise $n's output" >&2
			cat "$kept/out.$n" >&2 || true
		done <<<"$failures"
		mistake "an exercise of docs/lab.md does not show what its handout says: $(head -n 1 <<<"$failures")"
	fi
	[ "$status" -eq 0 ] ||
	    mistake "make lab-check exited with status $status, though no exercise failed"
	[ "${#lines[@]}" -eq 13 ] ||
	    mistake "make lab-check printed ${#lines[@]} lines for 13 exercises, not one line each"
	i=0
	for n in $exercises; do
		[[ ${lines[i]} =~ ^(ok|skip)\ $n\ [A-Z] ]] ||
		    mistake "make lab-check's line for exercise $n was '${lines[i]}', not 'ok $n title' (or skip, without root)"
		i=$((i + 1))
	done
}

@test "without root or CAP_NET_RAW, exercises 2 and 3 run, capture nothing, and skip saying so" {
	need_nobody
	REPLY_DELAY=1000 TMPDIR=/tmp run as_nobody timeout -k 5 300 sh "$TOP/demo/labcheck.sh" 2 3
	assert_success
	assert_line --index 0 --regexp '^skip 2 .*: needs root or CAP_NET_RAW \(no segment was captured\)$'
	assert_line --index 1 --regexp '^skip 3 .*: needs root or CAP_NET_RAW \(no segment was captured\)$'
}

@test "exercise 10's loop ends, with the server's error, when the server cannot write its port file" {
	# the handout's loop, run where bin/server is a server that fails as one
	# does in a directory it cannot write
	mkdir -p "$BATS_TEST_TMPDIR/clone/bin"
	# shellcheck disable=SC2016 # the $ of sed's addresses
	sed -n '/^## 10\. /,/^## /p' "$TOP/docs/lab.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' \
	    >"$BATS_TEST_TMPDIR/loop.sh"
	[ -s "$BATS_TEST_TMPDIR/loop.sh" ] || mistake "docs/lab.md's exercise 10 has no sh block"
	printf '#!/bin/sh\necho "server: cannot write port file: Permission denied" >&2\nexit 1\n' \
	    >"$BATS_TEST_TMPDIR/clone/bin/server"
	chmod 755 "$BATS_TEST_TMPDIR/clone/bin/server"
	cd "$BATS_TEST_TMPDIR/clone"
	run timeout -k 5 60 sh "$BATS_TEST_TMPDIR/loop.sh"
	[ "$status" -ne 124 ] && [ "$status" -ne 137 ] ||
	    mistake "exercise 10's loop still waited for the port file 60 s after the server had failed"
	assert_output "server: cannot write port file: Permission denied"
}
