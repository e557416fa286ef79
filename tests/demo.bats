#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031 # diagnose_container reads the output its test ran
# make demo: both cases, their timelines and a verdict.

load test_helper

@test "the demo shows both cases and a verdict with two measured EOF times" {
	# the demo's steps of 1000 ms, as in scenarios.bats: its keep is 5000 ms
	STEP_MS=1000 run sh "$TOP/demo/demo.sh"
	assert_success || mistake "make demo failed"
	assert_line --regexp '^== close-while-held: ' ||
	    mistake "the demo did not run the close-while-held case"
	assert_line --regexp '^== shutdown-while-held: ' ||
	    mistake "the demo did not run the shutdown-while-held case"
	assert_line --regexp 'close\(\) fd [0-9]+, holders 2->1: nothing is sent' ||
	    mistake "the demo's timeline did not show the worker's close() sending nothing while the parent holds the socket"
	assert_line --regexp 'shutdown\(SHUT_WR\), holders 2: FIN at once' ||
	    mistake "the demo's timeline did not show the worker's shutdown() sending the FIN at once while the parent holds the socket"
	assert_line --regexp '^Verdict: with close\(\) the client.s EOF came after [0-9]+\.[0-9]{3} ms' ||
	    mistake "the demo did not end with its verdict, the EOF time with close()"
	# the close case waited for the parent's 5000 ms; the shutdown case did not
	close_ms=$(sed -n 's/.*EOF came after \([0-9]*\)\.[0-9]* ms.*/\1/p' <<<"$output")
	shutdown_ms=$(sed -n 's/.*it came after \([0-9]*\)\.[0-9]* ms.*/\1/p' <<<"$output")
	((close_ms >= 5000)) ||
	    mistake "with close() the demo's EOF came after $close_ms ms, before the parent's 5000 ms were up"
	((shutdown_ms < 5000)) ||
	    mistake "with shutdown() the demo's EOF came after $shutdown_ms ms, not before the parent let go at 5000 ms"
}

@test "the diagnose demo: bin/holders names the parent that keeps a CLOSE_WAIT; bin/trace, as root, the close that sent nothing" {
	run sh "$TOP/demo/demo.sh" diagnose
	assert_success || mistake "make demo SCENARIO=diagnose failed"
	assert_line --regexp '^    diagnosis: CLOSE_WAIT, .* process [0-9]+ \(server\) still holds the socket\.' ||
	    mistake "bin/holders did not name the server's parent as the process that keeps the CLOSE_WAIT socket"
	# shellcheck disable=SC2016 # a $ prompt in the output
	if [[ $output == *'$ bin/trace --port'* ]]; then
		assert_line --regexp 'ev=drop call=close comm=server .*sent=none why=held holders=[0-9]+\(server\)' ||
		    mistake "bin/trace did not show the worker's close sending nothing because the server's parent held the socket"
		assert_line --regexp 'ev=drop call=close comm=server .*sent=fin first=[0-9]+ after=' ||
		    mistake "bin/trace did not show the FIN leaving when the server's parent finally let go of the socket"
	else
		assert_output --partial '(bin/trace shows the moment a close sends nothing' ||
		    mistake "without bin/trace, the demo did not say what bin/trace would show and what it needs"
	fi
	diagnose_container
}

# diagnose_container: the diagnose demo's second case, as root: the leak
# in a network namespace and a Docker container's cgroup, each named, and
# neither left behind
diagnose_container() {
	local ns id
	if [[ $output != *"== diagnose, in a container"* ]]; then
		assert_output --partial "(as root, with ip(8) and a cgroup v2 hierarchy, the demo runs" ||
		    assert_output --partial "(cannot make a cgroup beneath" ||
		    mistake "the diagnose demo neither ran its container case nor said why not"
		return
	fi
	[[ $output =~ namespace\ (closelab-demo-[0-9]+),.*docker-([0-9a-f]{12}) ]] ||
	    mistake "the diagnose demo did not say which namespace and container it made"
	ns=${BASH_REMATCH[1]} id=${BASH_REMATCH[2]}
	assert_line --regexp "^    network namespace [0-9]+ \($ns\)$" ||
	    mistake "bin/holders did not name the container's network namespace, $ns"
	assert_line "      in docker $id" || mistake "bin/holders did not name the container, docker $id"
	if [[ $output == *'$ bin/trace --port'* ]]; then
		assert_line --regexp "ev=drop call=close comm=server .*sent=fin .* netns=[0-9]+ container=docker:$id " ||
		    mistake "bin/trace did not name the namespace and the container of the close that sent the FIN"
	fi
	run ip netns list
	refute_output --partial "$ns" || mistake "the demo left its network namespace $ns"
	run find /sys/fs/cgroup -maxdepth 6 -type d -name "$ns"
	assert_output "" || mistake "the demo left its cgroup behind"
}

@test "a scenario whose server cannot start ends at once, saying why, and leaves nothing behind" {
	mkdir "$BATS_TEST_TMPDIR/tmp"
	TMPDIR=$BATS_TEST_TMPDIR/tmp run sh "$TOP/demo/demo.sh" --logs "$BATS_TEST_TMPDIR/none/x" close-while-held
	assert_failure 1
	assert_output --partial "demo: the server did not start"
	assert_output --partial "cannot open log $BATS_TEST_TMPDIR/none/x/close-while-held.server.log"
	refute_output --partial "gave up after" ||
	    mistake "the demo waited out its deadline for a server that had already exited"
	run ls -A "$BATS_TEST_TMPDIR/tmp"
	assert_output "" || mistake "the demo left its scratch directory behind after its server failed"
}
