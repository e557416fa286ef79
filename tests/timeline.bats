#!/usr/bin/env bats
# bin/timeline: the logs of every process merged into one timeline, lane
# by lane; whatever the logs, it tells the truth or refuses.

load test_helper

@test "the timeline orders both logs and marks where the FIN left" {
	start_server --parent-keeps 100 --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer ||
	    mistake "the parent never closed its copy after --parent-keeps 100"
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success || mistake "the timeline failed on the server's and the client's logs"
	assert_line --index 0 --regexp '^lanes: A parent [0-9]+, B worker [0-9]+, C client [0-9]+$' ||
	    mistake "the timeline's first line did not name its lanes: A the parent, B the worker, C the client"
	assert_line --index 1 --regexp '^ +ms +A +B +C +wire +event$' ||
	    mistake "the timeline's second line was not its header: ms, the lanes, wire, event"
	assert_line --index 2 --regexp '^ +0\.000 ' ||
	    mistake "the timeline's first event was not at 0.000 ms"
	# without a capture, the FIN is worked out from the logs: the parent's
	# close, in lane A; the worker has closed, the client waits
	fin=$(grep '<- FIN' <<<"$output") ||
	    mistake "the timeline did not mark where the FIN left ('<- FIN' in the wire column)"
	[[ $fin =~ ^\ +[0-9.]+\ +\*\ {5}\|\ +\<-\ FIN\ +close\(\)\ its\ copy ]] ||
	    mistake "the timeline did not put the FIN at the parent's close of its copy, in lane A, with the worker gone and the client waiting: '$fin'"
	# no line is wider than 80 columns, and the times only grow
	awk 'length > 80 { exit 1 }' <<<"$output" ||
	    mistake "a line of the timeline was wider than 80 columns"
	sed -n '3,$p' <<<"$output" | awk '$1 ~ /^[0-9]/ { if ($1 < last) exit 1; last = $1 }' ||
	    mistake "the timeline's times went back: its events were not in the order of their t="
}

@test "the timeline rejects what it cannot read" {
	run "$TOP/bin/timeline"
	assert_failure 2 || mistake "the timeline with no log must exit 2, a usage error"
	run "$TOP/bin/timeline" "$BATS_TEST_TMPDIR/none.log"
	assert_failure 1 || mistake "a log that cannot be read must make the timeline exit 1"
	assert_output "timeline: cannot read $BATS_TEST_TMPDIR/none.log"
	touch "$BATS_TEST_TMPDIR/empty.log"
	run "$TOP/bin/timeline" --svg /nonexistent/t.svg "$BATS_TEST_TMPDIR/empty.log"
	assert_failure 1 || mistake "an --svg file that cannot be written must make the timeline exit 1"
	assert_output "timeline: cannot write /nonexistent/t.svg"
	run "$TOP/bin/timeline" "$BATS_TEST_TMPDIR/empty.log"
	assert_failure 1 || mistake "logs with no connection in them must make the timeline exit 1"
	assert_output "timeline: no connection events in the logs"
}

@test "--svg or --html onto one of its own logs is refused, and the log kept" {
	start_server
	client --send hello
	cp "$SLOG" "$BATS_TEST_TMPDIR/server.before"
	cp "$CLOG" "$BATS_TEST_TMPDIR/client.before"
	run "$TOP/bin/timeline" --svg "$SLOG" "$SLOG" "$CLOG"
	assert_failure 2 || mistake "an --svg onto one of the logs must be refused as a usage error, exit 2"
	assert_line --index 0 "timeline: --svg $SLOG is one of the logs: it would be overwritten"
	run "$TOP/bin/timeline" --html "$CLOG" "$SLOG" "$CLOG"
	assert_failure 2 || mistake "an --html onto one of the logs must be refused as a usage error, exit 2"
	assert_line --index 0 "timeline: --html $CLOG is one of the logs: it would be overwritten"
	cmp "$SLOG" "$BATS_TEST_TMPDIR/server.before" && cmp "$CLOG" "$BATS_TEST_TMPDIR/client.before" ||
	    mistake "the timeline changed a log it was told to draw over, though it refused"
}

@test "a line that is not a closelab event is refused, with its file and line" {
	start_server
	client --send hello
	stop_server
	sed -i '3s/.*/garbage, not an event/' "$SLOG"
	run "$TOP/bin/timeline" "$CLOG" "$SLOG"
	assert_failure 1 || mistake "a log line that is not an event must make the timeline exit 1"
	assert_output "timeline: $SLOG:3: not a closelab event line: garbage, not an event"
	printf 't=12 pid=3 role=client\n' >"$BATS_TEST_TMPDIR/short.log"
	run "$TOP/bin/timeline" "$BATS_TEST_TMPDIR/short.log"
	assert_failure 1 || mistake "a line with too few fields must make the timeline exit 1"
	assert_output --partial ':1: not a closelab event line: t=12 pid=3 role=client' ||
	    mistake "the timeline did not name the line with too few fields, with its file and number"
}

# forked N: the server has forked N children
forked() {
	[ "$(values "$SLOG" child ev=fork | wc -l)" -eq "$1" ]
}

@test "forty processes at once get forty lanes, each its own name" {
	local fd fds=()
	start_server --model fork --workers 40
	# forty connections held open here, so that the forty children live at once
	for _ in $(seq 40); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || mistake "a connection to the server failed"
		fds+=("$fd")
	done
	wait_until "forty children forked" forked 40
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	stop_server
	run "$TOP/bin/timeline" "$SLOG"
	assert_success || mistake "the timeline failed on a log of forty processes at once"
	# the parent and forty children, named A to Z, then AA...
	lanes=$(sed -n '1s/^lanes: //p' <<<"$output" | tr ',' '\n' | awk '{ print $1 }')
	assert_equal "$(wc -l <<<"$lanes")" 41 ||
	    mistake "the timeline did not draw 41 lanes: the parent and the forty children"
	assert_equal "$(sort -u <<<"$lanes" | wc -l)" 41 ||
	    mistake "two of the timeline's 41 lanes had the same name"
	assert_equal "$(sed -n '27p' <<<"$lanes")" AA ||
	    mistake "the timeline's 27th lane, after A to Z, was not named AA"
}

@test "a child's lane begins at its fork: one whose first line comes after another child's last gets a lane of its own" {
	# as a loaded machine logs it: child 12 is forked while child 11 lives,
	# and logs its first line after child 11's last
	cat >"$BATS_TEST_TMPDIR/fork.log" <<-EOF
	t=1000 pid=10 role=parent conn=- ev=listen addr=127.0.0.1:5000 model=fork workers=0
	t=2000 pid=10 role=parent conn=127.0.0.1:40001 ev=accept fd=8 holders=0->1 queued=0
	t=2100 pid=10 role=parent conn=127.0.0.1:40001 ev=fork child=11 fd=8 holders=1->2
	t=2200 pid=10 role=parent conn=127.0.0.1:40001 ev=close fd=8 holders=2->1 unread=0
	t=3000 pid=10 role=parent conn=127.0.0.1:40002 ev=accept fd=8 holders=0->1 queued=0
	t=3100 pid=10 role=parent conn=127.0.0.1:40002 ev=fork child=12 fd=8 holders=1->2
	t=3200 pid=10 role=parent conn=127.0.0.1:40002 ev=close fd=8 holders=2->1 unread=0
	t=4000 pid=11 role=worker conn=127.0.0.1:40001 ev=take fd=8 holders=1 state=ESTABLISHED
	t=5000 pid=11 role=worker conn=127.0.0.1:40001 ev=close fd=8 holders=1->0 unread=0 linger=off state=CLOSE_WAIT
	t=6000 pid=12 role=worker conn=127.0.0.1:40002 ev=take fd=8 holders=1 state=ESTABLISHED
	t=7000 pid=12 role=worker conn=127.0.0.1:40002 ev=close fd=8 holders=1->0 unread=0 linger=off state=CLOSE_WAIT
	EOF
	run "$TOP/bin/timeline" --svg "$BATS_TEST_TMPDIR/fork.svg" "$BATS_TEST_TMPDIR/fork.log"
	assert_success || mistake "the timeline failed on a log of two children"
	assert_line --index 0 'lanes: A parent 10, B worker 11, C worker 12' ||
	    mistake "the timeline gave child 12, forked while child 11 lived, child 11's lane"
	x11=$(sed -n 's/.*<text x="\([0-9]*\)"[^>]*>worker 11<.*/\1/p' "$BATS_TEST_TMPDIR/fork.svg")
	x12=$(sed -n 's/.*<text x="\([0-9]*\)"[^>]*>worker 12<.*/\1/p' "$BATS_TEST_TMPDIR/fork.svg")
	[ -n "$x11" ] && [ -n "$x12" ] && [ "$x11" != "$x12" ] ||
	    mistake "the SVG drew child 12, forked while child 11 lived, on child 11's lane ($x11, $x12)"
}

# most_alive LOG: how many children lived at once, each from its fork to its
# last line, in the order of t=
most_alive() {
	sort -t= -k2,2n "$1" | awk '
		{ sub(/^pid=/, "", $2); last[$2] = NR }
		/ ev=fork / && match($0, / child=[0-9]+/) { born[substr($0, RSTART + 7, RLENGTH - 7)] = NR }
		END {
			for (p in born) { up[born[p]]++; down[last[p]]++ }
			for (i = 1; i <= NR; i++) {
				if ((alive += up[i]) > most) most = alive
				alive -= down[i]
			}
			print most + 0
		}'
}

@test "a lane is free again when its process is done: a fork log stays narrow" {
	local most
	start_server --model fork
	client --send hello --repeat 20
	assert_success || mistake "20 exchanges one after the other did not all end with their echo and EOF"
	stop_server
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success || mistake "the timeline failed on the log of 20 forked children"
	# the parent, as many worker lanes as children lived at once (each from
	# its fork to its last line: the next may be forked before the last one
	# logs its close), the client
	most=$(most_alive "$SLOG")
	[ "$most" -ge 1 ] && [ "$most" -lt 20 ] ||
	    mistake "the server's log shows $most of 20 children one after the other alive at once"
	assert_line --index 0 --regexp "^lanes: A parent [0-9]+, (. worker [0-9]+, ){$most}. client [0-9]+$" ||
	    mistake "the timeline did not draw the parent's lane, $most for the children that lived at once, and the client's"
	assert_equal "$(grep -c 'lane [B-Z] is now worker' <<<"$output")" $((20 - most)) ||
	    mistake "the timeline did not give the $most worker lanes to the $((20 - most)) later children in turn"
	awk 'length > 80 { print "too wide: " $0; exit 1 }' <<<"$output" ||
	    mistake "a line of the timeline was wider than 80 columns"
}

@test "segments the capture lost are said where it lost them" {
	start_server
	client --send hello
	stop_server
	# what the capture logs when its socket overflowed
	t=$(t_of "$SLOG" ev=accept)
	echo "t=$t pid=1 role=wire conn=- ev=drops dropped=7" >>"$SLOG"
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success || mistake "the timeline failed on a log where the capture lost segments"
	assert_line --regexp '! +the capture lost 7 segments here: the numbering' ||
	    mistake "the timeline did not say, where it happened, that the capture lost 7 segments"
}

@test "the timeline's help and version" {
	run "$TOP/bin/timeline" --help
	assert_success || mistake "timeline --help must exit 0"
	assert_line --index 0 'usage: timeline [--conn ID] [--svg FILE] [--html FILE] LOG...'
	run "$TOP/bin/timeline" --version
	assert_success || mistake "timeline --version must exit 0"
	assert_output --regexp '^timeline \(closelab\) [0-9]+\.[0-9]+$' ||
	    mistake "timeline --version did not print 'timeline (closelab) N.N'"
	run "$TOP/bin/timeline" --bogus
	assert_failure 2 || mistake "an unknown option must make the timeline exit 2, a usage error"
	assert_line --index 0 'timeline: unknown option --bogus'
}

@test "a copy passed to a worker and not yet taken is named as the holder, and the kernel's line agrees" {
	# the one worker is stopped while the parent hands it the connection and
	# closes its own copy at once: the copy is in flight at that close
	local worker
	start_server --workers 1 --parent-keeps 0 --kernel-holders
	wait_until "the server's worker" spawned 1
	worker=$(server_children)
	kill -STOP "$worker"
	start_client --send hello --log "$CLOG"
	wait_for_event "$SLOG" role=parent ev=close || { kill -CONT "$worker"; false; } ||
	    mistake "the parent never closed its copy after the handoff (--parent-keeps 0)"
	kill -CONT "$worker"
	wait_client
	assert_success || mistake "the client did not get its echo and EOF once the worker went on"
	wait_for_event "$SLOG" role=worker ev=close
	run "$TOP/bin/timeline" "$SLOG" "$CLOG"
	assert_success
	# the sentence wraps: read it joined
	text=$(sed -E 's/^ +[0-9.]* +([A-Z*| ] +)*//' <<<"$output" | tr '\n' ' ' | tr -s ' ')
	[[ $text == *"holders 2->1: nothing is sent, the copy passed to worker $worker still holds it, in flight: no process has it yet"* ]] ||
	    mistake "the parent's close did not name the copy in flight to worker $worker as what holds the socket"
	[[ $text == *"after: no process: the copy in flight to worker $worker"* ]] ||
	    mistake "the kernel's line after the parent's close did not say the copy in flight holds it"
	[[ $text != *"other process still holds it"* ]] ||
	    mistake "the timeline said another process held the socket while no process did"
}
