# exercises.sh: the checks of make lab-check (demo/labcheck.sh, which
# sources this file), one function an exercise of docs/lab.md: check_N reads
# what exercise N's command printed ($out, and the timeline in $work/tl)
# with labcheck.sh's helpers, and sets why= when the observation does not hold.
# shellcheck shell=sh
# shellcheck disable=SC2154 # out, work, captured: set by labcheck.sh

# 1. Who sends the FIN? (make demo)
check_1() {
	scene close-while-held || return
	w=$(at worker 'close\(\) fd [0-9]+, holders 2->1: nothing is sent, 1 other process still holds it') ||
	    miss "with close(), the worker's close() line did not say 'holders 2->1: nothing is sent, 1 other process still holds it'" || return
	p=$(at parent 'close\(\) its copy .*holders 1->0: last holder, FIN' '' "$w") ||
	    miss "with close(), the parent's close after the worker's was not the last holder's, with the FIN" || return
	ge "$p" 500 ||
	    miss "with close(), the parent let go of its copy after $p ms, before its 500 ms keep ran out" || return
	f=$(first_sent F) ||
	    miss "with close(), no FIN reached the client (no <-F. segment as root, no '<- FIN' without)" || return
	ge "$f" "$p" ||
	    miss "with close(), the server's FIN left at $f ms, before the parent's close at $p ms" || return
	e=$(at client 'read\(\) returns 0: EOF, the server.s FIN came' '' "$f") ||
	    miss "with close(), the client saw no EOF after the server's FIN" || return

	scene shutdown-while-held || return
	s=$(at worker 'shutdown\(SHUT_WR\), holders 2: FIN at once') ||
	    miss "with shutdown(), the worker's line did not say 'shutdown(SHUT_WR), holders 2: FIN at once'" || return
	{ f=$(first_sent F) && ge "$f" "$s"; } ||
	    miss "with shutdown(), no FIN reached the client after the worker's shutdown()" || return
	e=$(at client 'read\(\) returns 0: EOF, the server.s FIN came' '' "$f") ||
	    miss "with shutdown(), the client saw no EOF after the server's FIN" || return
	at worker 'close\(\) fd [0-9]+, holders 2->1: nothing is sent, 1 other process still holds it' >/dev/null ||
	    miss "with shutdown(), the worker's close() line did not say 'holders 2->1: nothing is sent, 1 other process still holds it'" || return
	p=$(at parent 'close\(\) its copy .*holders 1->0') ||
	    miss "with shutdown(), the parent's close of its copy is not in the timeline" || return
	lt "$e" "$p" ||
	    miss "with shutdown(), the client's EOF at $e ms did not come before the parent let go at $p ms" || return

	verdict=$(sed -n '/^Verdict: /,/^$/p' "$out" | tr '\n' ' ')
	close_ms=$(echo "$verdict" | sed -n 's/.*with close() the client.s EOF came after \([0-9.]*\) ms.*/\1/p')
	shutdown_ms=$(echo "$verdict" | sed -n 's/.*with shutdown(SHUT_WR) it came after \([0-9.]*\) ms.*/\1/p')
	{ [ -n "$close_ms" ] && [ -n "$shutdown_ms" ]; } ||
	    miss "the verdict at the end did not give both EOF times" || return
	ge "$close_ms" 500 ||
	    miss "the verdict's EOF with close() came after $close_ms ms, before the parent's 500 ms" || return
	lt "$shutdown_ms" "$close_ms" ||
	    miss "the verdict's EOF with shutdown() ($shutdown_ms ms) was not earlier than with close() ($close_ms ms)"
}

# 2. Half-close (make demo SCENARIO=orderly-release), as root
check_2() {
	scene orderly-release || return
	[ -n "$captured" ] ||
	    miss "no segment was captured, though we run as root" || return
	article_order || return
	nseg=$(segments)
	[ "$nseg" -eq 15 ] || miss "the wire had $nseg segments, not the article's 15" || return
	case $(segment 8) in *'->F'*) ;; *) miss "segment #8 was $(segment 8), not the client's FIN (->F.)"; return ;; esac
	case $(segment 9) in *'<-.') ;; *) miss "segment #9 was $(segment 9), not the server's ACK of the FIN (<-.)"; return ;; esac
	for k in 10 12; do
		case $(segment "$k") in
		*'<-P'*) ;;
		*) miss "segment #$k was $(segment "$k"), not an echo (<-P.)"; return ;;
		esac
	done
	case $(segment 14) in *'<-F'*) ;; *) miss "segment #14 was $(segment 14), not the server's FIN (<-F.)"; return ;; esac
	e1=$(at wire '' '^#10 ')
	e2=$(at wire '' '^#12 ')
	{ ge "$e1" 250 && ge "$e2" 500; } ||
	    miss "the echoes left at $e1 and $e2 ms, not 250 ms after each read (at 250 and 500 ms or later)" || return
	at client 'connect\(\).*\[ESTABLISHED\]' >/dev/null ||
	    miss "the client's connect() line did not show [ESTABLISHED]" || return
	s=$(at client 'shutdown\(SHUT_WR\).*\[FIN_WAIT1\]') ||
	    miss "the client's shutdown() line did not show [FIN_WAIT1]" || return
	[ "$(awk -F '\t' -v s="$s" '$2 == "worker" && $4 ~ /^write 7 bytes/ && $1 + 0 >= s + 0' "$work/tl" | wc -l)" -eq 2 ] ||
	    miss "the worker's two 'write 7 bytes' lines (the echoes) did not both come after the client's shutdown()" || return
	at client '\[FIN_WAIT2\]' '' "$s" >/dev/null ||
	    miss "the client's socket did not show [FIN_WAIT2] after its shutdown()" || return
	f=$(at wire '' '^#14 ')
	{ e=$(at worker '^read\(\) returns 0: EOF') && c=$(at worker 'close\(\) .*holders 1->0: last holder, FIN' '' "$e") &&
	    ge "$f" "$c"; } ||
	    miss "the server's FIN (#14) did not leave at the worker's close, after it read the client's EOF" || return
	# a state is shown where it changes: on the EOF line, or on the client's
	# read of the last echo when a slow client read it after the FIN came
	{ e=$(at client 'read\(\) returns 0: EOF' '' "$f") && closed=$(at client '\[CLOSE\]' '' "$f") &&
	    ge "$e" "$closed"; } ||
	    miss "the client's socket did not show [CLOSE] after the server's FIN, by its EOF"
}

# 3. close() instead (make demo SCENARIO=close-before-echo LOGS=1), as root
check_3() {
	scene close-before-echo || return
	[ -n "$captured" ] ||
	    miss "no segment was captured, though we run as root" || return
	article_order || return
	nseg=$(segments)
	[ "$nseg" -eq 11 ] || miss "the wire had $nseg segments, not the article's 11" || return
	case $(segment 11) in
	*'->R') ;;
	*) miss "the last segment was $(segment 11), not the client's RST (->R)"; return ;;
	esac
	r=$(at wire '' '^#11 ')
	{ w=$(at worker '^write 7 bytes') && lt "$w" "$r"; } ||
	    miss "the worker's first echo ('write 7 bytes') did not succeed before the RST" || return
	logged role=worker ev=write bytes=7 state=CLOSE_WAIT ||
	    miss "the worker's first echo was not written in CLOSE_WAIT, after the client's FIN" || return
	d=$(at worker '^read 7 bytes' '' "$r") ||
	    miss "the worker had no 'read 7 bytes' after the RST" || return
	at worker '^write\(\) fails: EPIPE' '' "$d" >/dev/null ||
	    miss "the worker's write after that read did not fail with 'write() fails: EPIPE'" || return
	logged role=worker ev=write err=EPIPE ||
	    miss "no log line of the worker reads 'ev=write ... err=EPIPE'"
}

# 4. Closing with unread data (make demo SCENARIO=unread-close LOGS=1)
check_4() {
	scene unread-close || return
	w=$(at worker 'close\(\) fd [0-9]+, holders 1->0: last holder, RST \(7 bytes unread\)') ||
	    miss "the worker's close() line did not say 'last holder, RST (7 bytes unread)'" || return
	logged role=worker ev=close unread=7 ||
	    miss "the worker's close log line did not have unread=7" || return
	{ r=$(first_sent R) && ge "$r" "$w"; } ||
	    miss "no RST left at the worker's close (no <-R. as root, no '<- RST' without)" || return
	! first_sent F >/dev/null ||
	    miss "the server sent a FIN, not only the RST" || return
	at client 'read\(\) fails: ECONNRESET' '' "$r" >/dev/null ||
	    miss "the client's read() did not fail with ECONNRESET after the RST" || return
	grep -Eq '^client: result end=rst .*\(exit status 3\)$' "$work/scene" ||
	    miss "the client's last line was not 'client: result end=rst ... (exit status 3)' but '$(grep '^client: result' "$work/scene")'"
}

# 5. Lingering close (make demo SCENARIO=lingering LOGS=1)
check_5() {
	scene lingering || return
	s=$(at worker 'shutdown\(SHUT_WR\), holders 1: FIN at once') ||
	    miss "the worker's line did not say 'shutdown(SHUT_WR), holders 1: FIN at once'" || return
	ge "$s" 100 ||
	    miss "the worker's shutdown() came at $s ms, before its 100 ms" || return
	{ f=$(first_sent F) && ge "$f" "$s"; } ||
	    miss "no FIN left at the worker's shutdown()" || return
	! first_sent R >/dev/null ||
	    miss "an RST left the server, where the lingering close sends none" || return
	client_sent_fin >/dev/null ||
	    miss "the client's FIN is not in the timeline (no ->F. as root, no 'FIN ->' without)" || return
	d=$(at worker '^read 7 bytes' '' "$s") ||
	    miss "the worker did not 'read 7 bytes' after its shutdown()" || return
	e=$(at worker '^read\(\) returns 0: EOF' '' "$d") ||
	    miss "the worker did not read EOF after the 7 bytes" || return
	at worker 'close\(\) fd [0-9]+, holders 1->0' '' "$e" >/dev/null ||
	    miss "the worker did not close after reading EOF" || return
	logged role=worker ev=close unread=0 ||
	    miss "the worker's close log line did not have unread=0" || return
	[ "$(field "$(result)" end)" = eof ] ||
	    miss "the client's result was not end=eof but '$(result)'"
}

# 6. SO_LINGER belongs to the socket (make demo SCENARIO=abort-while-held LOGS=1)
check_6() {
	scene abort-while-held || return
	w=$(at worker 'close\(\) fd [0-9]+, holders 2->1: nothing is sent') ||
	    miss "the worker's close() line did not say 'holders 2->1: nothing is sent'" || return
	logged role=worker ev=close linger=0 ||
	    miss "the worker's close log line did not have linger=0" || return
	p=$(at parent 'close\(\) its copy .*holders 1->0: last holder, RST \(SO_LINGER 0\)' '' "$w") ||
	    miss "the parent's close line did not say 'last holder, RST (SO_LINGER 0)'" || return
	ge "$p" 300 ||
	    miss "the parent let go of its copy after $p ms, before its 300 ms keep ran out" || return
	logged role=parent ev=close linger=0 ||
	    miss "the parent's close log line did not have linger=0" || return
	! logged role=parent ev=linger ||
	    miss "the parent set SO_LINGER itself (an ev=linger line of the parent)" || return
	{ r=$(first_sent R) && ge "$r" "$p"; } ||
	    miss "the RST did not leave with the parent's close (no <-R. as root, no '<- RST' without)" || return
	! first_sent F >/dev/null ||
	    miss "the server sent a FIN, not only the RST"
}

# 7. A connection that never ends (make demo SCENARIO=leak)
check_7() {
	scene leak || return
	port=$(sed -n 's/.*connect() to [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$work/tl" | head -n 1)
	grep -q '^TCP states now (ss -tan):' "$work/scene" ||
	    miss "no 'ss -tan' lines were printed before the server stopped" || return
	! grep -q '(ss is not installed here)' "$work/scene" ||
	    miss "ss is not installed here, so the demo printed no socket states" || return
	states=$(sed -n '/^TCP states now/,/^$/p' "$work/scene")
	echo "$states" | awk -v p=":$port" '$1 == "CLOSE-WAIT" && substr($4, length($4) - length(p) + 1) == p { f = 1 } END { exit !f }' ||
	    miss "ss did not show the server's side (port $port) in CLOSE-WAIT" || return
	# ss runs once the client has given up: its FIN_WAIT2 socket is then the
	# kernel's orphan, which it keeps only where its table of TIME_WAIT
	# sockets has room
	if ! echo "$states" | awk -v p=":$port" '$1 == "FIN-WAIT-2" && substr($5, length($5) - length(p) + 1) == p { f = 1 } END { exit !f }'; then
		if [ "$(tw_overflows)" -gt "$overflows" ]; then
			miss "ss did not show the client's side in FIN-WAIT-2: the kernel's table of TIME_WAIT sockets was full (TCPTimeWaitOverflow in /proc/net/netstat rose), so it dropped the client's orphaned socket at once"
		else
			miss "ss did not show the client's side in FIN-WAIT-2"
		fi
		return
	fi
	c=$(at client 'gives up after 500 ms: no EOF') ||
	    miss "the client's line 'gives up after 500 ms: no EOF' is not in the timeline" || return
	grep -Eq '^client: result end=timeout .*\(exit status 4\)$' "$work/scene" ||
	    miss "the client's last line was not 'client: result end=timeout ... (exit status 4)'" || return
	at '' 'process [0-9]+ exits, the kernel closes its copy, holders 1->0: last holder, FIN' '' "$c" >/dev/null ||
	    miss "no 'process ... exits, the kernel closes its copy' line sent the FIN after the client gave up" || return
	{ f=$(first_sent F) && ge "$f" "$c"; } ||
	    miss "the server's FIN did not leave after the client gave up, at the worker's exit"
}

# 8. Inherited across exec (make demo SCENARIO=spawn-inherits LOGS=1; ... spawn-cloexec)
check_8() {
	scene spawn-inherits || return
	at worker 'spawn helper [0-9]+, which inherits the socket; holders [23]( |$)' >/dev/null ||
	    miss "the worker's spawn line did not say 'which inherits the socket; holders 3' (or 2)" || return
	logged role=worker ev=spawn inherits=yes ||
	    miss "the worker's spawn log line did not have inherits=yes" || return
	h=$(field "$(event "$work/log" role=worker ev=spawn)" holders)
	[ "$h" = 3 ] || [ "$h" = 2 ] ||
	    miss "the worker's spawn log line had holders=$h, not 3 (or 2)" || return
	w=$(at worker 'close\(\) fd [0-9]+, holders (3->2|2->1): nothing is sent') ||
	    miss "the worker's close() line did not say 'holders 3->2' (or '2->1'): nothing is sent" || return
	if ! at '' 'process [0-9]+ exits, the kernel closes its copy, holders 1->0: last holder, FIN' '' "$w" >/dev/null; then
		if p=$(at parent 'close\(\) its copy .*holders 1->0: last holder, FIN'); then
			miss "the parent let go of its copy only at $p ms, after the helper had exited (a loaded machine?), so its close sent the FIN, not the helper's exit"
		else
			miss "no 'process ... exits, the kernel closes its copy' line sent the FIN"
		fi
		return
	fi
	{ f=$(first_sent F) && ge "$f" "$w"; } ||
	    miss "no FIN left after the worker's close" || return
	e=$(at client 'read\(\) returns 0: EOF' '' "$w") ||
	    miss "the client saw no EOF after the worker's close" || return
	ge "$e" 300 ||
	    miss "the client's EOF came at $e ms, before the helper's 300 ms" || return
	# as root, after the FIN's segment; without, the FIN is shown on the
	# line of the helper's exit, which the worker logs when it reaps the
	# helper: after the EOF
	[ -z "$captured" ] || ge "$e" "$f" ||
	    miss "the client's EOF at $e ms came before the server's FIN at $f ms" || return

	scene spawn-cloexec || return
	at worker 'spawn helper [0-9]+; close-on-exec keeps the socket from it' >/dev/null ||
	    miss "with --cloexec, the spawn line did not say 'close-on-exec keeps the socket from it'" || return
	logged role=worker ev=spawn inherits=no ||
	    miss "with --cloexec, the worker's spawn log line did not have inherits=no" || return
	l=$(at 'worker|parent' 'close\(\) .*holders 1->0: last holder, FIN') ||
	    miss "with --cloexec, neither the worker's nor the parent's close was the last holder's, with the FIN" || return
	{ f=$(first_sent F) && ge "$f" "$l"; } ||
	    miss "with --cloexec, no FIN left at the last close" || return
	e=$(at client 'read\(\) returns 0: EOF' '' "$f") ||
	    miss "with --cloexec, the client saw no EOF after the server's FIN" || return
	x=$(at worker 'helper [0-9]+ exits') ||
	    miss "with --cloexec, the helper's exit is not in the timeline" || return
	lt "$e" "$x" ||
	    miss "with --cloexec, the client's EOF at $e ms did not come before the helper exited at $x ms"
}

# 9. Two descriptors in one process (make demo SCENARIO=dup LOGS=1)
check_9() {
	scene dup || return
	fds=$(awk -F '\t' '$2 == "worker" && match($4, /^dup\([0-9]+\) = [0-9]+/) {
		s = substr($4, 5, RLENGTH - 4); gsub(/[)=]/, " ", s); print s; exit }' "$work/tl")
	# shellcheck disable=SC2086 # the two numbers
	set -- $fds
	[ $# -eq 2 ] || miss "the worker's 'dup(N) = M' line is not in the timeline" || return
	c1=$(at worker "close\\(\\) fd $1: another fd of this process still refers to the socket: nothing is sent") ||
	    miss "the first close line did not say 'close() fd $1: another fd of this process still refers to the socket: nothing is sent'" || return
	c2=$(at worker "close\\(\\) fd $2, holders 1->0: last holder, FIN" '' "$c1") ||
	    miss "the second close line did not say 'close() fd $2, holders 1->0: last holder, FIN'" || return
	t1=$(t_ms role=worker ev=close 'dups=2->1') ||
	    miss "the first close's log line did not have dups=2->1" || return
	t2=$(t_ms role=worker ev=close 'holders=1->0') ||
	    miss "the second close's log line did not have holders=1->0" || return
	[ $((t2 - t1)) -ge 200 ] ||
	    miss "the second close came $((t2 - t1)) ms after the first, not 200 ms or more" || return
	{ f=$(first_sent F) && ge "$f" "$c2"; } ||
	    miss "the FIN did not leave at the second close (none, or one before it)"
}

# 10. How long does EOF take, and what does a fork cost? (the handout's loop)
check_10() {
	grep -E '^(stats|fin) ' "$out" >"$work/figures"
	[ "$(wc -l <"$work/figures")" -eq 4 ] ||
	    miss "the loop did not print a stats line and a 'fin runs=' line for each model" || return
	{
		read -r pre_stats
		read -r pre_fin
		read -r fork_stats
		read -r fork_fin
	} <"$work/figures"
	for l in "$pre_stats" "$fork_stats"; do
		case $l in stats*) ;; *) miss "the loop's lines did not come as stats, fin, stats, fin"; return ;; esac
		{ [ "$(field "$l" runs)" = 20000 ] && [ "$(field "$l" eof)" = 20000 ]; } ||
		    miss "not every one of the 20,000 exchanges ended with EOF: $l" || return
	done
	for l in "$pre_fin" "$fork_fin"; do
		case $l in 'fin runs=2000 '*) ;; *) miss "a 'fin runs=' line was not of the 2,000 exchanges: $l"; return ;; esac
	done
	{ pre=$(field "$pre_stats" rate) && fork=$(field "$fork_stats" rate); } ||
	    miss "a stats line had no rate=" || return
	# the key: 3.2 to 4.9 times; the check takes 1.5, which a loaded machine keeps
	awk -v a="$pre" -v b="$fork" 'BEGIN { exit !(a >= 1.5 * b) }' ||
	    miss "the prefork rate ($pre/s) was not at least 1.5 times the fork rate ($fork/s)" || return
	for l in "$pre_fin" "$fork_fin"; do
		p50=$(field "$l" us_p50) ||
		    miss "a 'fin runs=' line had no us_p50=" || return
		lt "$p50" 1000 ||
		    miss "the close-to-EOF median was $p50 us, not well under a millisecond" || return
	done
}

# tw_overflows: how many times the kernel had no room for one more socket
# in TIME_WAIT (TCPTimeWaitOverflow), 0 where it does not say
tw_overflows() {
	awk '$1 == "TcpExt:" {
		if (!c) { for (i = 2; i <= NF; i++) if ($i == "TCPTimeWaitOverflow") c = i; next }
		n = $c
	} END { print n + 0 }' /proc/net/netstat 2>/dev/null || echo 0
}

