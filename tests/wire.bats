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
	assert_success || mistake "the client did not get its echo and EOF"
	stop_server
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1) ||
	    mistake "the worker's close() was not logged as 'holders=2->1' while the parent keeps its copy"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0) ||
	    mistake "the parent's close was not logged as the last ('holders=1->0')"
	fin=$(t_seg out F.) || mistake "no FIN from the server was captured"
	((worker_close < parent_close && parent_close <= fin)) ||
	    mistake "the server's FIN left before the parent's close, while the parent still held the socket"
	# one FIN from the server, no RST
	assert_equal "$(segments | grep -c '^out F')" 1 ||
	    mistake "the server did not send exactly one FIN"
	run grep -c '^out R' <<<"$(segments)"
	assert_output 0 || mistake "the server sent an RST, where its closes should send one FIN"
}

@test "after shutdown(SHUT_WR) exactly one FIN leaves, before the parent closes" {
	start_wire --parent-keeps 1000 --end shutdown
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer ||
	    mistake "the parent never closed its copy after --parent-keeps 1000"
	stop_server
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR) ||
	    mistake "the worker did not log its shutdown(SHUT_WR)"
	parent_close=$(t_of "$SLOG" role=parent ev=close keep=timer)
	fin=$(t_seg out F.) || mistake "no FIN from the server was captured"
	((shutdown <= fin && fin < parent_close)) ||
	    mistake "the server's FIN did not leave at the worker's shutdown, before the parent's close"
	assert_equal "$(segments | grep -c '^out F')" 1 ||
	    mistake "the server did not send exactly one FIN, the shutdown's; the closes after it must send none"
}

@test "an abortive close sends RST, at the last close only" {
	start_wire --end abort --parent-keeps 300
	client --send hello
	assert_failure 3 || mistake "the client should have seen the connection reset (exit 3)"
	stop_server
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0) ||
	    mistake "the parent's close was not logged as the last ('holders=1->0')"
	rst=$(t_seg out R.) || mistake "no RST from the server was captured"
	((rst >= parent_close)) ||
	    mistake "the RST left before the parent's close: an abortive close sends it at the last close only"
	run grep -c '^out F' <<<"$(segments)"
	assert_output 0 || mistake "the server sent a FIN, where an abortive close sends only the RST"
}

@test "closing with unread data sends RST, not FIN" {
	start_wire --reads none --end-after 100
	client --send unread --then none
	assert_failure 3 || mistake "the client should have seen the connection reset (exit 3)"
	stop_server
	segments | grep -q '^out R' ||
	    mistake "no RST from the server was captured, though it closed with data unread"
	run grep -c '^out F' <<<"$(segments)"
	assert_output 0 || mistake "the server sent a FIN, though it closed with data unread"
}

# The article's experiments: the client sends its second message once the
# worker has read the first (SIGUSR1 ends its --interval: a fixed wait let a
# loaded server read both at once), and ends 100 ms later; the echoes wait
# 1000 ms, 10 times that, so that a loaded machine cannot reorder the
# segments.
article_client() {
	start_client --send ABCDEFG --interval 3600000 --send 1234567 --after 100 \
	    --then "$1" --log "$CLOG"
	wait_for_event "$SLOG" role=worker ev=read bytes=7 ||
	    mistake "the worker never read the client's first message"
	cue_client || mistake "the client was not running to get SIGUSR1"
	wait_client
}

@test "the article's first experiment: the client's FIN, both echoes, then the server's FIN" {
	start_wire --reply-delay 1000
	article_client shutdown
	assert_success || mistake "after its half-close the client did not get both echoes and EOF"
	stop_server
	# all but the pure ACKs, in order: as segments 4, 6, 8, 10, 12 and 14 of the article
	run grep -v ' \. 0$' <<<"$(segments)"
	assert_output "$(printf '%s\n' 'in S 0' 'out S. 0' 'in P. 7' 'in P. 7' 'in F. 0' \
	    'out P. 7' 'out P. 7' 'out F. 0')" ||
	    mistake "the segments were not the article's: the handshake, the two messages, the client's FIN, the two echoes, then the server's FIN"
}

@test "the article's second experiment: the client's close, an echo, and its RST" {
	start_wire --reply-delay 1000
	article_client close
	assert_success || mistake "the client did not close cleanly after sending (--then close)"
	# the worker goes on after the client has gone: wait for its end
	wait_for_event "$SLOG" ev=close holders=1-\>0 ||
	    mistake "the worker never closed the connection after the client had gone"
	stop_server
	# as segments 4, 6, 8, 10 and 11 of the article: the RST ends it
	run grep -v ' \. 0$' <<<"$(segments)"
	assert_output "$(printf '%s\n' 'in S 0' 'out S. 0' 'in P. 7' 'in P. 7' 'in F. 0' \
	    'out P. 7' 'in R 0')" ||
	    mistake "the segments were not the article's: the handshake, the two messages, the client's FIN, one echo, then the client's RST"
}

@test "the kernel's holders go 2 -> 1 -> 0 across the worker's and the parent's close" {
	start_server --kernel-holders --parent-keeps 200 --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer ||
	    mistake "the parent never closed its copy after --parent-keeps 200"
	parent=$SERVER_PID
	worker=$(field "$(event "$SLOG" role=worker ev=take)" pid)
	has_event "$SLOG" role=worker ev=close "kernel=$parent,$worker->$parent" ||
	    mistake "at the worker's close the kernel's holders were not the parent and the worker, then the parent alone"
	has_event "$SLOG" role=parent ev=close "kernel=$parent->" ||
	    mistake "at the parent's close the kernel's holders were not the parent alone, then nobody"
}

@test "both sides log the TCP states of closing" {
	start_server --parent-keeps 200 --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer ||
	    mistake "the parent never closed its copy after --parent-keeps 200"
	has_event "$CLOG" ev=shutdown then=FIN_WAIT1 ||
	    mistake "the client's shutdown was not logged as leaving its socket in FIN_WAIT1"
	has_event "$SLOG" role=worker ev=eof state=CLOSE_WAIT ||
	    mistake "the worker's EOF was not logged in CLOSE_WAIT"
	has_event "$SLOG" role=parent ev=close keep=timer state=CLOSE_WAIT ||
	    mistake "the parent's close was not logged in CLOSE_WAIT"
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
	assert_success || mistake "the client did not get its echo and EOF"
	stop_server
	# the pcap header: magic a1b2c3d4, version 2.4, link type 101 (raw IP)
	run od -A n -t x4 -N 24 "$BATS_TEST_TMPDIR/cap.pcap"
	assert_output --regexp '^ *a1b2c3d4 00040002 00000000 00000000' ||
	    mistake "the --pcap file did not begin with a pcap header: magic a1b2c3d4, version 2.4"
	[[ $(od -A n -t u4 -j 20 -N 4 "$BATS_TEST_TMPDIR/cap.pcap") -eq 101 ]] ||
	    mistake "the --pcap file's link type was not 101, raw IP"
	# as many records as logged segments
	assert_equal "$(pcap_records "$BATS_TEST_TMPDIR/cap.pcap")" "$(segments | wc -l)" ||
	    mistake "the --pcap file did not hold as many packets as the log's segments"
	if command -v tcpdump >/dev/null; then
		run tcpdump -nn -r "$BATS_TEST_TMPDIR/cap.pcap"
		assert_success || mistake "tcpdump could not read the --pcap file"
		assert_line --regexp 'Flags \[F\.\]' || mistake "tcpdump found no FIN in the --pcap file"
	fi
}

@test "--pcap alone captures, with no log at all" {
	SLOG='' start_wire --pcap "$BATS_TEST_TMPDIR/cap.pcap"
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	stop_server
	# one exchange: at least the handshake, the data, both FINs
	(($(pcap_records "$BATS_TEST_TMPDIR/cap.pcap") >= 7)) ||
	    mistake "--pcap without --log captured fewer than the 7 segments of one exchange (handshake, data, both FINs)"
	[ ! -e "$SLOG" ] || mistake "--pcap without --log wrote a log"
}

@test "the capture holds its own server's segments only: not another address's, on the same port" {
	start_wire --pcap "$BATS_TEST_TMPDIR/cap.pcap"
	# a second server on 127.0.0.2, with the same port number
	"$SERVER" --addr 127.0.0.2 --port "$PORT" --log "$BATS_TEST_TMPDIR/other.log" \
	    2>"$BATS_TEST_TMPDIR/other.err" 3>&- &
	other=$!
	wait_until "the other server" has_event "$BATS_TEST_TMPDIR/other.log" ev=listen ||
	    mistake "the second server, on 127.0.0.2, did not start"
	run_program "$CLIENT" --addr 127.0.0.2 --port "$PORT" --send elsewhere --repeat 5
	assert_success || mistake "the 5 exchanges with the server on 127.0.0.2 did not all end with EOF"
	client --send hello --repeat 3
	assert_success || mistake "the 3 exchanges with the capturing server did not all end with EOF"
	kill -TERM "$other"
	wait "$other"
	stop_server
	# three connections: every segment is one of theirs
	assert_equal "$(segments | grep -c '^in S ')" 3 ||
	    mistake "the capture did not hold exactly the 3 SYNs of its own server's connections"
	run awk '
	FNR == NR { if (/ ev=accept fd=/) ours[$4] = 1; next }
	/ role=wire / && !($4 in ours) { print "not ours: " $0; bad = 1 }
	END { exit bad }' "$SLOG" "$SLOG"
	assert_success || mistake "the capture logged segments of another server's connections"
	assert_equal "$(pcap_records "$BATS_TEST_TMPDIR/cap.pcap")" "$(segments | wc -l)" ||
	    mistake "the --pcap file did not hold as many packets as the log's segments"
}

@test "under unrelated loopback load the capture loses nothing" {
	# another server and 4,000 exchanges with it, all the while
	"$SERVER" --port 0 --port-file "$BATS_TEST_TMPDIR/load.port" 2>/dev/null 3>&- &
	load_server=$!
	wait_until "the load's server" [ -s "$BATS_TEST_TMPDIR/load.port" ] ||
	    mistake "the server for the other loopback load did not start"
	timeout -k 2 60 "$CLIENT" --port "$(cat "$BATS_TEST_TMPDIR/load.port")" --send load \
	    --repeat 4000 --concurrency 8 >/dev/null 2>&1 3>&- &
	load=$!
	start_wire --end abort --parent-keeps 300
	client --send hello --repeat 10 --concurrency 2
	assert_failure 3 || mistake "the client should have seen its 10 connections reset (exit 3)"
	stop_server
	wait "$load" || true
	kill -TERM "$load_server"
	wait "$load_server"
	# ten connections, each with its one SYN in and its RST out: all seen
	assert_equal "$(segments | grep -c '^in S ')" 10 ||
	    mistake "under other loopback load the capture did not see all 10 SYNs"
	assert_equal "$(segments | grep -c '^out R')" 10 ||
	    mistake "under other loopback load the capture did not see all 10 RSTs"
	run has_event "$SLOG" role=wire ev=drops
	assert_failure || mistake "under other loopback load the capture lost segments"
}

@test "what the capture could not keep is counted and logged" {
	start_wire --pcap "$BATS_TEST_TMPDIR/cap.pcap"
	capture=$(field "$(event "$SLOG" ev=spawn wire=)" wire)
	kill -STOP "$capture"
	# far more than its buffer of 8 MiB, while it is stopped
	client --send "$(head -c 100000 /dev/zero | tr '\0' x)" --repeat 100 --concurrency 4
	kill -CONT "$capture"
	assert_success || mistake "the 100 exchanges of 100,000 bytes did not all end with their echo and EOF"
	stop_server
	dropped=$(field "$(event "$SLOG" role=wire ev=drops)" dropped) ||
	    mistake "the capture lost segments and said nothing"
	((dropped > 0)) || mistake "the capture logged its losses with dropped=$dropped, not a count above 0"
}

@test "the capture ends with its parent, even one killed outright" {
	start_wire
	capture=$(field "$(event "$SLOG" ev=spawn wire=)" wire)
	kill_server
	wait_until "the capture to end" gone "$capture" ||
	    mistake "the capture process went on after its parent was killed"
	wait_until "the workers to exit" children_gone ||
	    mistake "the workers went on after their parent was killed"
}

@test "the timeline numbers the segments and draws them as SVG" {
	start_wire --parent-keeps 100
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer ||
	    mistake "the parent never closed its copy after --parent-keeps 100"
	stop_server
	run "$TOP/bin/timeline" --svg "$BATS_TEST_TMPDIR/t.svg" "$SLOG" "$CLOG"
	assert_success || mistake "the timeline failed to draw the captured segments as SVG"
	n=$(segments | wc -l)
	assert_line --regexp "#1 +->S +SYN" ||
	    mistake "the timeline did not number the client's SYN #1"
	assert_line --regexp "#$n +" ||
	    mistake "the timeline did not number the last of the $n segments #$n"
	assert_line --regexp "#[0-9]+ +<-F\. +FIN" ||
	    mistake "the timeline did not show the server's FIN among the numbered segments"
	run grep -c 'marker-end' "$BATS_TEST_TMPDIR/t.svg"
	assert_output "$n" || mistake "the SVG did not draw an arrow for each of the $n segments"
	run head -c 4 "$BATS_TEST_TMPDIR/t.svg"
	assert_output '<svg' || mistake "the --svg file did not begin as an SVG document"
}

@test "without the right to capture, the server says so once and goes on" {
	[ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null || skip "needs setpriv to drop the right"
	if [ "$(id -u)" -eq 0 ]; then
		# shellcheck disable=SC2034 # start_server runs the server under it
		SERVER_WRAP="setpriv --inh-caps=-all --bounding-set=-net_raw --"
	fi
	start_server --wire
	client --send hello
	assert_success || mistake "without the right to capture, the server did not go on serving"
	run grep -c 'no right to capture packets' "$BATS_TEST_TMPDIR/server.err"
	assert_output 1 ||
	    mistake "without the right to capture, the server did not say so exactly once ('no right to capture packets')"
	run has_event "$SLOG" role=wire
	assert_failure || mistake "without the right to capture, the server still logged segments"
}

@test "no line shows a TCP state from after its stamp" {
	start_server --end close
	client --send hello --repeat 200
	assert_success || mistake "200 exchanges did not all end with their echo and EOF"
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
	assert_success ||
	    mistake "a worker's line showed CLOSE_WAIT stamped before the client's shutdown(): its state was read after its stamp"
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
	assert_success || mistake "12 connections from one client port, one after the other, did not all succeed"
	assert_equal "$(segments | grep -c '^in S ')" 12 ||
	    mistake "the capture did not see the 12 SYNs of the 12 connections"
	assert_equal "$(values "$SLOG" seq role=wire ev=segment dir=in flags=S | sort -u)" 0 ||
	    mistake "a SYN on a port used again was not numbered seq=0: the numbers are relative to each connection's own SYN"
}

@test "a listener on an IPv4-mapped address is captured as the IPv4 it is" {
	start_wire --addr ::ffff:127.0.0.1
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF from the IPv4-mapped listener"
	stop_server
	assert_equal "$(segments | grep -c '^in S ')" 1 ||
	    mistake "the capture of a listener on ::ffff:127.0.0.1 did not see the connection's SYN, as IPv4"
}

# svg_fin SVG: the data-pid of the server's first FIN in the SVG
svg_fin() {
	sed -n 's/.*<g class="segment" [^>]*data-pid="\([^"]*\)" data-flags="[^"]*F[^"]*" data-dir="out".*/\1/p' \
	    "$1" | head -n 1
}

# to_scale SVG: the row that follows the longest time between two rows
# (by the ms it is labelled with) is drawn at least as far below the one
# before it as any other row
to_scale() {
	sed -n 's/^<text x="10" y="\([0-9]*\)">\([0-9.]*\) ms<\/text>$/\1 \2/p' "$1" | awk '
		NR > 1 { h[NR] = $1 - y; if ($2 - ms > gap) { gap = $2 - ms; at = NR } }
		{ y = $1; ms = $2 }
		END { for (i in h) if (h[i] > h[at]) exit 1; exit !at }'
}

@test "the SVG draws each FIN from the lane of the process whose call sent it, time to scale, as XML" {
	# shutdown: the worker's FIN, while the parent keeps its copy
	start_wire --parent-keeps 300 --end shutdown
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	stop_server
	"$TOP/bin/timeline" --svg "$BATS_TEST_TMPDIR/shutdown.svg" "$SLOG" "$CLOG" >/dev/null
	worker=$(values "$SLOG" pid role=worker ev=shutdown)
	[ "$(svg_fin "$BATS_TEST_TMPDIR/shutdown.svg")" = "$worker" ] ||
	    mistake "the SVG did not draw the server's FIN from the lane of worker $worker, whose shutdown sent it"
	# close: the parent's, 300 ms later, the longest gap drawn
	SLOG=$BATS_TEST_TMPDIR/close.server.log CLOG=$BATS_TEST_TMPDIR/close.client.log
	start_wire --parent-keeps 300 --end close
	client --send hello
	assert_success || mistake "the client did not get its echo and EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer
	stop_server
	run "$TOP/bin/timeline" --svg "$BATS_TEST_TMPDIR/close.svg" "$SLOG" "$CLOG"
	parent=$(values "$SLOG" pid role=parent ev=close keep=timer)
	[ "$(svg_fin "$BATS_TEST_TMPDIR/close.svg")" = "$parent" ] ||
	    mistake "the SVG did not draw the server's FIN from the lane of the parent $parent, whose last close sent it"
	to_scale "$BATS_TEST_TMPDIR/close.svg" ||
	    mistake "the SVG did not draw its longest wait as its tallest gap"
	if command -v python3 >/dev/null; then
		python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' \
		    "$BATS_TEST_TMPDIR/close.svg" || mistake "the SVG is not well-formed XML"
	fi
	grep -q '<title>closelab: connection ' "$BATS_TEST_TMPDIR/close.svg" ||
	    mistake "the SVG has no title"
	! grep -q 'No segment was captured' "$BATS_TEST_TMPDIR/close.svg" ||
	    mistake "the SVG said no segment was captured, though they were"
}
