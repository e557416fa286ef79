#!/usr/bin/env bats
# What goes on the wire, captured by the server's own --wire (a packet
# socket: Linux, with the right to capture), and what the kernel says about
# holders and states (Linux).

load test_helper

setup() {
	[ "$(uname -s)" = Linux ] || skip "capture and /proc need Linux"
}

# start_wire ARGS...: a server with --wire, or skip if it may not capture
start_wire() {
	start_server --wire "$@"
	if grep -q 'no right to capture' "$BATS_TEST_TMPDIR/server.err"; then
		skip "capturing needs root or CAP_NET_RAW"
	fi
}

# The segments the server logged, one line each: "dir flags len".
segments() {
	values "$SLOG" "dir flags len" role=wire ev=segment
}

# t_seg DIR FLAGS: the t= of the first such segment
t_seg() {
	t_of "$SLOG" role=wire ev=segment "dir=$1" "flags=$2"
}

@test "worker close while the parent holds sends no FIN until the parent closes" {
	start_wire --parent-keeps 300 --end close
	client --send hello
	assert_success
	stop_server
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1)
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0)
	fin=$(t_seg out F.)
	((worker_close < parent_close && parent_close <= fin))
	# one FIN from the server, no RST
	assert_equal "$(segments | grep -c '^out F')" 1
	run grep -c '^out R' <<<"$(segments)"
	assert_output 0
}

@test "after shutdown(SHUT_WR) exactly one FIN leaves, before the parent closes" {
	start_wire --parent-keeps 1000 --end shutdown
	client --send hello
	assert_success
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	stop_server
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR)
	parent_close=$(t_of "$SLOG" role=parent ev=close keep=timer)
	fin=$(t_seg out F.)
	((shutdown <= fin && fin < parent_close))
	assert_equal "$(segments | grep -c '^out F')" 1
}

@test "an abortive close sends RST, at the last close only" {
	start_wire --end abort --parent-keeps 300
	client --send hello
	assert_failure 3
	stop_server
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0)
	rst=$(t_seg out R.)
	((rst >= parent_close))
	run grep -c '^out F' <<<"$(segments)"
	assert_output 0
}

@test "closing with unread data sends RST, not FIN" {
	start_wire --reads none --end-after 100
	client --send unread --then none
	assert_failure 3
	stop_server
	segments | grep -q '^out R'
	run grep -c '^out F' <<<"$(segments)"
	assert_output 0
}

# The article's experiments: the echoes wait 1000 ms, 10 times the client's
# steps, so that a loaded machine cannot reorder the segments.
@test "the article's first experiment: the client's FIN, both echoes, then the server's FIN" {
	start_wire --reply-delay 1000
	client --send ABCDEFG --interval 100 --send 1234567 --after 100 --then shutdown
	assert_success
	stop_server
	# all but the pure ACKs, in order: as segments 4, 6, 8, 10, 12 and 14 of the article
	run grep -v ' \. 0$' <<<"$(segments)"
	assert_output "$(printf '%s\n' 'in S 0' 'out S. 0' 'in P. 7' 'in P. 7' 'in F. 0' \
	    'out P. 7' 'out P. 7' 'out F. 0')"
}

@test "the article's second experiment: the client's close, an echo, and its RST" {
	start_wire --reply-delay 1000
	client --send ABCDEFG --interval 100 --send 1234567 --after 100 --then close
	assert_success
	# the worker goes on after the client has gone: wait for its end
	wait_for_event "$SLOG" ev=close holders=1-\>0
	stop_server
	# as segments 4, 6, 8, 10 and 11 of the article: the RST ends it
	run grep -v ' \. 0$' <<<"$(segments)"
	assert_output "$(printf '%s\n' 'in S 0' 'out S. 0' 'in P. 7' 'in P. 7' 'in F. 0' \
	    'out P. 7' 'in R 0')"
}

@test "the kernel's holders go 2 -> 1 -> 0 across the worker's and the parent's close" {
	start_server --kernel-holders --parent-keeps 200 --end close
	client --send hello
	assert_success
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	parent=$SERVER_PID
	worker=$(field "$(event "$SLOG" role=worker ev=take)" pid)
	has_event "$SLOG" role=worker ev=close "kernel=$parent,$worker->$parent"
	has_event "$SLOG" role=parent ev=close "kernel=$parent->"
}

@test "both sides log the TCP states of closing" {
	start_server --parent-keeps 200 --end close
	client --send hello
	assert_success
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	has_event "$CLOG" ev=shutdown then=FIN_WAIT1
	has_event "$SLOG" role=worker ev=eof state=CLOSE_WAIT
	has_event "$SLOG" role=parent ev=close keep=timer state=CLOSE_WAIT
}

# pcap_records FILE: how many packets the pcap file holds (16 bytes of
# header each, then the packet; in this machine's byte order: little-endian)
pcap_records() {
	od -A n -t u1 -v "$1" | tr -s ' ' '\n' | grep -v '^$' |
	    awk '{ b[NR] = $1 } END {
		for (pos = 25; pos + 15 <= NR; pos += 16 + len) {
			len = b[pos + 8] + 256 * b[pos + 9] + 65536 * b[pos + 10]
			n++
		}
		print n + 0
	    }'
}

@test "--pcap writes the captured segments in a file tcpdump reads" {
	start_wire --pcap "$BATS_TEST_TMPDIR/cap.pcap"
	client --send hello
	assert_success
	stop_server
	# the pcap header: magic a1b2c3d4, version 2.4, link type 101 (raw IP)
	run od -A n -t x4 -N 24 "$BATS_TEST_TMPDIR/cap.pcap"
	assert_output --regexp '^ *a1b2c3d4 00040002 00000000 00000000'
	[[ $(od -A n -t u4 -j 20 -N 4 "$BATS_TEST_TMPDIR/cap.pcap") -eq 101 ]]
	# as many records as logged segments
	assert_equal "$(pcap_records "$BATS_TEST_TMPDIR/cap.pcap")" "$(segments | wc -l)"
	if command -v tcpdump >/dev/null; then
		run tcpdump -nn -r "$BATS_TEST_TMPDIR/cap.pcap"
		assert_success
		assert_line --regexp 'Flags \[F\.\]'
	fi
}

@test "--pcap alone captures, with no log at all" {
	SLOG='' start_wire --pcap "$BATS_TEST_TMPDIR/cap.pcap"
	client --send hello
	assert_success
	stop_server
	# one exchange: at least the handshake, the data, both FINs
	(($(pcap_records "$BATS_TEST_TMPDIR/cap.pcap") >= 7))
	[ ! -e "$SLOG" ]
}

@test "the capture holds its own server's segments only: not another address's, on the same port" {
	start_wire --pcap "$BATS_TEST_TMPDIR/cap.pcap"
	# a second server on 127.0.0.2, with the same port number
	"$SERVER" --addr 127.0.0.2 --port "$PORT" --log "$BATS_TEST_TMPDIR/other.log" \
	    2>"$BATS_TEST_TMPDIR/other.err" 3>&- &
	other=$!
	wait_until "the other server" has_event "$BATS_TEST_TMPDIR/other.log" ev=listen
	run_program "$CLIENT" --addr 127.0.0.2 --port "$PORT" --send elsewhere --repeat 5
	assert_success
	client --send hello --repeat 3
	assert_success
	kill -TERM "$other"
	wait "$other"
	stop_server
	# three connections: every segment is one of theirs
	assert_equal "$(segments | grep -c '^in S ')" 3
	run awk '
	FNR == NR { if (/ ev=accept fd=/) ours[$4] = 1; next }
	/ role=wire / && !($4 in ours) { print "not ours: " $0; bad = 1 }
	END { exit bad }' "$SLOG" "$SLOG"
	assert_success
	assert_equal "$(pcap_records "$BATS_TEST_TMPDIR/cap.pcap")" "$(segments | wc -l)"
}

@test "under unrelated loopback load the capture loses nothing" {
	# another server and 4,000 exchanges with it, all the while
	"$SERVER" --port 0 --port-file "$BATS_TEST_TMPDIR/load.port" 2>/dev/null 3>&- &
	load_server=$!
	wait_until "the load's server" [ -s "$BATS_TEST_TMPDIR/load.port" ]
	timeout -k 2 60 "$CLIENT" --port "$(cat "$BATS_TEST_TMPDIR/load.port")" --send load \
	    --repeat 4000 --concurrency 8 >/dev/null 2>&1 3>&- &
	load=$!
	start_wire --end abort --parent-keeps 300
	client --send hello --repeat 10 --concurrency 2
	assert_failure 3
	stop_server
	wait "$load" || true
	kill -TERM "$load_server"
	wait "$load_server"
	# ten connections, each with its one SYN in and its RST out: all seen
	assert_equal "$(segments | grep -c '^in S ')" 10
	assert_equal "$(segments | grep -c '^out R')" 10
	run has_event "$SLOG" role=wire ev=drops
	assert_failure
}

@test "what the capture could not keep is counted and logged" {
	start_wire --pcap "$BATS_TEST_TMPDIR/cap.pcap"
	capture=$(field "$(event "$SLOG" ev=spawn wire=)" wire)
	kill -STOP "$capture"
	# far more than its buffer of 8 MiB, while it is stopped
	client --send "$(head -c 100000 /dev/zero | tr '\0' x)" --repeat 100 --concurrency 4
	kill -CONT "$capture"
	assert_success
	stop_server
	dropped=$(field "$(event "$SLOG" role=wire ev=drops)" dropped) ||
	    mistake "the capture lost segments and said nothing"
	((dropped > 0))
}

@test "the capture ends with its parent, even one killed outright" {
	start_wire
	capture=$(field "$(event "$SLOG" ev=spawn wire=)" wire)
	kill_server
	wait_until "the capture to end" gone "$capture" ||
	    mistake "the capture process went on after its parent was killed"
	wait_until "the workers to exit" children_gone
}

@test "the timeline numbers the segments and draws them as SVG" {
	start_wire --parent-keeps 100
	client --send hello
	assert_success
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	stop_server
	run "$TOP/bin/timeline" --svg "$BATS_TEST_TMPDIR/t.svg" "$SLOG" "$CLOG"
	assert_success
	n=$(segments | wc -l)
	assert_line --regexp "#1 +->S +SYN"
	assert_line --regexp "#$n +"
	assert_line --regexp "#[0-9]+ +<-F\. +FIN"
	run grep -c 'marker-end' "$BATS_TEST_TMPDIR/t.svg"
	assert_output "$n"
	run head -c 4 "$BATS_TEST_TMPDIR/t.svg"
	assert_output '<svg'
}

@test "without the right to capture, the server says so once and goes on" {
	[ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null || skip "needs setpriv to drop the right"
	if [ "$(id -u)" -eq 0 ]; then
		# shellcheck disable=SC2034 # start_server runs the server under it
		SERVER_WRAP="setpriv --inh-caps=-all --bounding-set=-net_raw --"
	fi
	start_server --wire
	client --send hello
	assert_success
	run grep -c 'no right to capture packets' "$BATS_TEST_TMPDIR/server.err"
	assert_output 1
	run has_event "$SLOG" role=wire
	assert_failure
}

@test "no line shows a TCP state from after its stamp" {
	start_server --end close
	client --send hello --repeat 200
	assert_success
	# a worker's socket is in CLOSE_WAIT only once the client's FIN has
	# come, which is after the client's shutdown() was called
	run awk '
	FNR == NR {
		if ($0 ~ / ev=shutdown /)
			fin[$4] = substr($1, 3)
		next
	}
	/ role=worker / && / state=CLOSE_WAIT/ && !($4 in fin && substr($1, 3) + 0 >= fin[$4] + 0) {
		print "before the FIN: " $0
		bad = 1
	}
	END { exit bad }' "$CLOG" "$SLOG"
	assert_success
}

@test "a port used again: each connection's SYN is its sequence number 0" {
	command -v unshare >/dev/null && unshare -n true 2>/dev/null || skip "needs unshare -n (root)"
	# two ports only, in a namespace of its own: the server takes one, and each
	# connection comes from the other. Before the next, the last one's sockets
	# are gone (but the server's TIME_WAIT): its port is free again.
	# shellcheck disable=SC2016 # for the inner shell to expand
	run_program unshare -n sh -c 'ip link set lo up &&
	    sysctl -q -w net.ipv4.ip_local_port_range="40000 40001" || exit 1
	    "$1" --port 0 --port-file "$3/port" --wire --log "$3/server.log" --reads discard \
	        --end-after 2 2>"$3/server.err" &
	    server=$!
	    while [ ! -s "$3/port" ] && kill -0 $server; do sleep 0.02; done
	    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	        "$2" --port "$(cat "$3/port")" --then none >/dev/null || exit 1
	        while ss -Htan state connected exclude time-wait | grep -q .; do sleep 0.01; done
	    done
	    kill -TERM $server
	    wait $server' reuse "$SERVER" "$CLIENT" "$BATS_TEST_TMPDIR"
	! grep -q 'no right to capture' "$BATS_TEST_TMPDIR/server.err" || skip "capturing needs CAP_NET_RAW"
	assert_success
	assert_equal "$(segments | grep -c '^in S ')" 12
	assert_equal "$(values "$SLOG" seq role=wire ev=segment dir=in flags=S | sort -u)" 0
}

@test "a listener on an IPv4-mapped address is captured as the IPv4 it is" {
	start_wire --addr ::ffff:127.0.0.1
	client --send hello
	assert_success
	stop_server
	assert_equal "$(segments | grep -c '^in S ')" 1
}
