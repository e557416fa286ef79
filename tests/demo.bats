#!/usr/bin/env bats
# make demo: both cases, their timelines and a verdict.

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

@test "the diagnose demo: bin/holders names the parent that keeps a CLOSE_WAIT; bin/trace, as root, the close that sent nothing" {
	run sh "$TOP/demo/demo.sh" diagnose
	assert_success
	assert_line --regexp '^    diagnosis: CLOSE_WAIT, .* process [0-9]+ \(server\) still holds the socket\.'
	# shellcheck disable=SC2016 # a $ prompt in the output
	if [[ $output == *'$ bin/trace --port'* ]]; then
		assert_line --regexp 'ev=drop call=close comm=server .*sent=none why=held holders=[0-9]+\(server\)'
		assert_line --regexp 'ev=drop call=close comm=server .*sent=fin first=[0-9]+ after='
	else
		assert_output --partial '(bin/trace shows the moment a close sends nothing'
	fi
}
