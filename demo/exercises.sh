# exercises.sh: the checks of make lab-check (demo/labcheck.sh, which
# sources this file), one function an exercise of docs/lab.md: check_N reads
# what exercise N's command printed ($out: the log lines of each scene, the
# demo's verdict and the client's result) with labcheck.sh's helpers, and
# sets why= when the observation does not hold. Times are ms from the
# connection's first event; a bound counts from the event it is kept from
# (the handoff for the parent's keep, the take for --end-after ...).
# shellcheck shell=sh
# shellcheck disable=SC2154 # out, work, captured: set by labcheck.sh

# 1. Who sends the FIN? (make demo)
check_1() {
	scene close-while-held || return
	w=$(at role=worker ev=close 'holders=2->1') ||
	    miss "with close(), the worker's close did not leave the socket to the parent (no ev=close holders=2->1 of the worker): it should send nothing" || return
	p=$(after "$w" role=parent ev=close keep=timer 'holders=1->0') ||
	    miss "with close(), the parent's close after the worker's, at the end of its keep (keep=timer), was not the last holder's (holders=1->0), the one that sends the FIN" || return
	kept=$(elapsed "$(at role=parent ev=handoff)" "$p") ||
	    miss "with close(), the parent's handoff of the connection is not in the log" || return
	# the keep is five of the demo's steps (STEP_MS, 100)
	ge "$kept" $((5 * ${STEP_MS:-100})) ||
	    miss "with close(), the parent let go of its copy $kept ms after the handoff, before its $((5 * ${STEP_MS:-100})) ms keep ran out" || return
	f=$(first_sent server F) ||
	    miss "with close(), no FIN reached the client (no <-F. segment as root, no last close that sends it without)" || return
	ge "$f" "$p" ||
	    miss "with close(), the server's FIN left at $f ms, before the parent's close at $p ms" || return
	after "$f" role=client ev=eof >/dev/null ||
	    miss "with close(), the client saw no EOF after the server's FIN" || return

	scene shutdown-while-held || return
	s=$(at role=worker ev=shutdown how=SHUT_WR holders=2) ||
	    miss "with shutdown(), the worker did not call shutdown(SHUT_WR) while 2 processes held the socket (no ev=shutdown how=SHUT_WR holders=2)" || return
	{ f=$(first_sent server F) && ge "$f" "$s"; } ||
	    miss "with shutdown(), no FIN reached the client after the worker's shutdown()" || return
	e=$(after "$f" role=client ev=eof) ||
	    miss "with shutdown(), the client saw no EOF after the server's FIN" || return
	logged role=worker ev=close 'holders=2->1' ||
	    miss "with shutdown(), the worker's close did not leave the socket to the parent (no ev=close holders=2->1 of the worker)" || return
	p=$(at role=parent ev=close keep=timer 'holders=1->0') ||
	    miss "with shutdown(), the parent's close of its copy at the end of its keep (keep=timer holders=1->0) is not in the log" || return
	lt "$e" "$p" ||
	    miss "with shutdown(), the client's EOF at $e ms did not come before the parent let go at $p ms" || return

	verdict=$(sed -n '/^Verdict: /,/^$/p' "$out" | tr '\n' ' ')
	close_ms=$(echo "$verdict" | sed -n 's/.*with close() the client.s EOF came after \([0-9.]*\) ms.*/\1/p')
	shutdown_ms=$(echo "$verdict" | sed -n 's/.*with shutdown(SHUT_WR) it came after \([0-9.]*\) ms.*/\1/p')
	{ [ -n "$close_ms" ] && [ -n "$shutdown_ms" ]; } ||
	    miss "the verdict at the end did not give both EOF times" || return
	ge "$close_ms" $((5 * ${STEP_MS:-100})) ||
	    miss "the verdict's EOF with close() came after $close_ms ms, before the parent's $((5 * ${STEP_MS:-100})) ms" || return
	lt "$shutdown_ms" "$close_ms" ||
	    miss "the verdict's EOF with shutdown() ($shutdown_ms ms) was not earlier than with close() ($close_ms ms)"
}

# 2. Half-close (make demo SCENARIO=orderly-release), as root
check_2() {
	scene orderly-release || return
	[ -n "$captured" ] ||
	    miss "no segment was captured, though this user may capture (root or CAP_NET_RAW)" || return
	article_order || return
	nseg=$(segments)
	[ "$nseg" -eq 15 ] || miss "the wire had $nseg segments, not the article's 15" || return
	case $(segment 8) in '->F'*) ;; *) miss "segment #8 was $(segment 8), not the client's FIN (->F.)"; return ;; esac
	case $(segment 9) in '<-.') ;; *) miss "segment #9 was $(segment 9), not the server's ACK of the FIN (<-.)"; return ;; esac
	for k in 10 12; do
		case $(segment "$k") in
		'<-P'*) ;;
		*) miss "segment #$k was $(segment "$k"), not an echo (<-P.)"; return ;;
		esac
	done
	case $(segment 14) in '<-F'*) ;; *) miss "segment #14 was $(segment 14), not the server's FIN (<-F.)"; return ;; esac
	# each echo leaves the reply delay after the worker's read of its message
	delay=${REPLY_DELAY:-250}
	{ e1=$(elapsed "$(at role=worker ev=read bytes=7)" "$(nth 10 role=wire ev=segment)") &&
	    e2=$(elapsed "$(nth 2 role=worker ev=read bytes=7)" "$(nth 12 role=wire ev=segment)"); } ||
	    miss "the worker did not read the two messages of 7 bytes" || return
	{ ge "$e1" "$delay" && ge "$e2" "$delay"; } ||
	    miss "the echoes left $e1 and $e2 ms after the worker's reads, not $delay ms or more after each" || return
	logged role=client ev=connect then=ESTABLISHED ||
	    miss "the client's connect() did not leave its socket ESTABLISHED (then=ESTABLISHED)" || return
	s=$(at role=client ev=shutdown then=FIN_WAIT1) ||
	    miss "the client's shutdown() did not leave its socket in FIN_WAIT1 (then=FIN_WAIT1)" || return
	{ w=$(at role=worker ev=write bytes=7) && ge "$w" "$s" &&
	    nth 2 role=worker ev=write bytes=7 >/dev/null && ! nth 3 role=worker ev=write bytes=7 >/dev/null; } ||
	    miss "the worker's two writes of 7 bytes (the echoes) did not both come after the client's shutdown()" || return
	in_state "$s" client FIN_WAIT2 >/dev/null ||
	    miss "the client's socket was not in FIN_WAIT2 after its shutdown()" || return
	f=$(nth 14 role=wire ev=segment)
	{ e=$(at role=worker ev=eof) && c=$(after "$e" role=worker ev=close 'holders=1->0') &&
	    ge "$f" "$c"; } ||
	    miss "the server's FIN (#14) did not leave at the worker's close, after it read the client's EOF" || return
	# a state is shown where it changes: on the EOF line, or on the client's
	# read of the last echo when a slow client read it after the FIN came
	{ e=$(after "$f" role=client ev=eof) && closed=$(in_state "$f" client CLOSE) &&
	    ge "$e" "$closed"; } ||
	    miss "the client's socket was not in CLOSE after the server's FIN, by its EOF"
}

# 3. close() instead (make demo SCENARIO=close-before-echo LOGS=1), as root
check_3() {
	scene close-before-echo || return
	[ -n "$captured" ] ||
	    miss "no segment was captured, though this user may capture (root or CAP_NET_RAW)" || return
	article_order || return
	nseg=$(segments)
	[ "$nseg" -eq 11 ] || miss "the wire had $nseg segments, not the article's 11" || return
	case $(segment 11) in
	'->R') ;;
	*) miss "the last segment was $(segment 11), not the client's RST (->R)"; return ;;
	esac
	r=$(nth 11 role=wire ev=segment)
	{ w=$(at role=worker ev=write bytes=7) && lt "$w" "$r"; } ||
	    miss "the worker's first echo (its write of 7 bytes) did not succeed before the RST" || return
	logged role=worker ev=write bytes=7 state=CLOSE_WAIT ||
	    miss "the worker's first echo was not written in CLOSE_WAIT, after the client's FIN" || return
	d=$(after "$r" role=worker ev=read bytes=7) ||
	    miss "the worker did not read 7 bytes after the RST" || return
	after "$d" role=worker ev=write err=EPIPE >/dev/null ||
	    miss "the worker's write after that read did not fail with EPIPE (no ev=write ... err=EPIPE line of the worker after it)"
}

# 4. Closing with unread data (make demo SCENARIO=unread-close LOGS=1)
check_4() {
	scene unread-close || return
	w=$(at role=worker ev=close 'holders=1->0' unread=7) ||
	    miss "the worker's close was not the last holder's with 7 bytes unread (no ev=close holders=1->0 unread=7 of the worker)" || return
	{ r=$(first_sent server R) && ge "$r" "$w"; } ||
	    miss "no RST left at the worker's close (no <-R. as root, no close that sends it without)" || return
	! first_sent server F >/dev/null ||
	    miss "the server sent a FIN, not only the RST" || return
	after "$r" role=client ev=rst err=ECONNRESET >/dev/null ||
	    miss "the client's read() did not fail with ECONNRESET after the RST (no ev=rst err=ECONNRESET of the client)" || return
	case $(result) in
	'end=rst '*'(exit status 3)') ;;
	*) miss "the client's last line was not 'client: result end=rst ... (exit status 3)' but 'client: result $(result)'" ;;
	esac
}

# 5. Lingering close (make demo SCENARIO=lingering LOGS=1)
check_5() {
	scene lingering || return
	s=$(at role=worker ev=shutdown how=SHUT_WR holders=1) ||
	    miss "the worker did not call shutdown(SHUT_WR) as the socket's one holder (no ev=shutdown how=SHUT_WR holders=1)" || return
	waited=$(elapsed "$(at role=worker ev=take)" "$s") ||
	    miss "the worker's take of the connection is not in the log" || return
	# the worker shuts down one of the demo's steps (STEP_MS, 100) after its take
	ge "$waited" "${STEP_MS:-100}" ||
	    miss "the worker's shutdown() came $waited ms after it took the connection, before its ${STEP_MS:-100} ms" || return
	{ f=$(first_sent server F) && ge "$f" "$s"; } ||
	    miss "no FIN left at the worker's shutdown()" || return
	! first_sent server R >/dev/null ||
	    miss "an RST left the server, where the lingering close sends none" || return
	first_sent client F >/dev/null ||
	    miss "the client sent no FIN (no ->F. as root, no shutdown or close that sends it without)" || return
	d=$(after "$s" role=worker ev=read bytes=7) ||
	    miss "the worker did not read 7 bytes after its shutdown()" || return
	e=$(after "$d" role=worker ev=eof) ||
	    miss "the worker did not read EOF after the 7 bytes" || return
	after "$e" role=worker ev=close 'holders=1->0' unread=0 >/dev/null ||
	    miss "the worker did not close after reading EOF, the last holder with nothing unread (ev=close holders=1->0 unread=0)" || return
	logged role=client ev=eof ||
	    miss "the client did not read EOF (no ev=eof of the client): its result was '$(result)'"
}

# 6. SO_LINGER belongs to the socket (make demo SCENARIO=abort-while-held LOGS=1)
check_6() {
	scene abort-while-held || return
	w=$(at role=worker ev=close 'holders=2->1' linger=0) ||
	    miss "the worker's close, with SO_LINGER {1, 0}, did not leave the socket to the parent (no ev=close holders=2->1 linger=0 of the worker): it should send nothing" || return
	p=$(after "$w" role=parent ev=close keep=timer 'holders=1->0' linger=0) ||
	    miss "the parent's close at the end of its keep was not the last holder's on a socket with linger=0 (no ev=close keep=timer holders=1->0 linger=0 of the parent)" || return
	kept=$(elapsed "$(at role=parent ev=handoff)" "$p") ||
	    miss "the parent's handoff of the connection is not in the log" || return
	ge "$kept" $((3 * ${STEP_MS:-100})) ||
	    miss "the parent let go of its copy $kept ms after the handoff, before its $((3 * ${STEP_MS:-100})) ms keep ran out" || return
	! logged role=parent ev=linger ||
	    miss "the parent set SO_LINGER itself (an ev=linger line of the parent)" || return
	{ r=$(first_sent server R) && ge "$r" "$p"; } ||
	    miss "the RST did not leave with the parent's close (no <-R. as root, no close that sends it without)" || return
	! first_sent server F >/dev/null ||
	    miss "the server sent a FIN, not only the RST"
}

# 7. A connection that never ends (make demo SCENARIO=leak)
check_7() {
	scene leak || return
	peer=$(field "$(event "$work/log" role=client ev=connect)" peer) ||
	    miss "the client's connect() is not in the log" || return
	port=${peer##*:}
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
	c=$(at role=client ev=timeout ms=$((5 * ${STEP_MS:-100}))) ||
	    miss "the client did not give up after $((5 * ${STEP_MS:-100})) ms without EOF (no ev=timeout ms=$((5 * ${STEP_MS:-100})) of the client)" || return
	case $(result) in
	'end=timeout '*'(exit status 4)') ;;
	*) miss "the client's last line was not 'client: result end=timeout ... (exit status 4)' but 'client: result $(result)'"; return ;;
	esac
	after "$c" ev=close by=exit 'holders=1->0' >/dev/null ||
	    miss "no process's exit closed the last copy (ev=close by=exit holders=1->0) after the client gave up" || return
	{ f=$(first_sent server F) && ge "$f" "$c"; } ||
	    miss "the server's FIN did not leave after the client gave up, at the worker's exit"
}

# 8. Inherited across exec (make demo SCENARIO=spawn-inherits LOGS=1; ... spawn-cloexec)
check_8() {
	scene spawn-inherits || return
	h=$(field "$(event "$work/log" role=worker ev=spawn inherits=yes)" holders) ||
	    miss "the worker's spawn log line did not have inherits=yes" || return
	[ "$h" = 3 ] || [ "$h" = 2 ] ||
	    miss "the worker's spawn log line had holders=$h, not 3 (or 2)" || return
	{ w=$(at role=worker ev=close 'holders=3->2') || w=$(at role=worker ev=close 'holders=2->1'); } ||
	    miss "the worker's close did not leave the socket to the others (no ev=close holders=3->2, or 2->1, of the worker): it should send nothing" || return
	if ! after "$w" ev=close by=exit 'holders=1->0' >/dev/null; then
		if p=$(at role=parent ev=close 'holders=1->0'); then
			miss "the parent let go of its copy only at $p ms, after the helper had exited (a loaded machine?), so its close sent the FIN, not the helper's exit"
		else
			miss "no process's exit closed the last copy (ev=close by=exit holders=1->0) after the worker's close"
		fi
		return
	fi
	{ f=$(first_sent server F) && ge "$f" "$w"; } ||
	    miss "no FIN left after the worker's close" || return
	e=$(after "$w" role=client ev=eof) ||
	    miss "the client saw no EOF after the worker's close" || return
	waited=$(elapsed "$w" "$e")
	# the helper lives three of the demo's steps (STEP_MS, 100) after the
	# worker's close, at which the demo continues it
	ge "$waited" $((3 * ${STEP_MS:-100})) ||
	    miss "the client's EOF came $waited ms after the worker's close, before the helper's $((3 * ${STEP_MS:-100})) ms" || return
	# as root, after the FIN's segment; without, the FIN is worked out on
	# the line of the helper's exit, which the worker logs when it reaps
	# the helper: after the EOF
	[ -z "$captured" ] || ge "$e" "$f" ||
	    miss "the client's EOF at $e ms came before the server's FIN at $f ms" || return

	scene spawn-cloexec || return
	logged role=worker ev=spawn inherits=no ||
	    miss "with --cloexec, the worker's spawn log line did not have inherits=no" || return
	l=$(at ev=close fd= 'holders=1->0') ||
	    miss "with --cloexec, neither the worker's nor the parent's close was the last holder's (no ev=close fd=... holders=1->0)" || return
	{ f=$(first_sent server F) && ge "$f" "$l"; } ||
	    miss "with --cloexec, no FIN left at the last close" || return
	e=$(after "$f" role=client ev=eof) ||
	    miss "with --cloexec, the client saw no EOF after the server's FIN" || return
	x=$(at role=worker ev=exit helper=) ||
	    miss "with --cloexec, the helper's exit is not in the log" || return
	lt "$e" "$x" ||
	    miss "with --cloexec, the client's EOF at $e ms did not come before the helper exited at $x ms"
}

# 9. Two descriptors in one process (make demo SCENARIO=dup LOGS=1)
check_9() {
	scene dup || return
	dup=$(event "$work/log" role=worker ev=dup dup=) ||
	    miss "the worker's dup() is not in the log (no ev=dup ... dup=)" || return
	fd1=$(field "$dup" fd)
	fd2=$(field "$dup" dup)
	c1=$(at role=worker ev=close fd="$fd1" 'dups=2->1') ||
	    miss "the first close, of fd $fd1, did not leave the other fd of the process (no ev=close fd=$fd1 dups=2->1): it should send nothing" || return
	c2=$(after "$c1" role=worker ev=close fd="$fd2" 'holders=1->0') ||
	    miss "the second close, of fd $fd2, was not the last holder's (no ev=close fd=$fd2 holders=1->0 after the first)" || return
	apart=$(elapsed "$c1" "$c2")
	ge "$apart" $((2 * ${STEP_MS:-100})) ||
	    miss "the second close came $apart ms after the first, not $((2 * ${STEP_MS:-100})) ms or more" || return
	{ f=$(first_sent server F) && ge "$f" "$c2"; } ||
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

# 11. The fork server that forgets to close (make demo
# SCENARIO=fork-forgets-close LOGS=1)
check_11() {
	scene fork-forgets-close || return
	parent=$(field "$(event "$work/log" role=parent ev=fork)" pid) ||
	    miss "the parent did not fork a child for the connection (no ev=fork of the parent)" || return
	c=$(at role=worker ev=close 'holders=2->1') ||
	    miss "the child's close did not leave the socket to the parent (no ev=close holders=2->1 of the child): it should send nothing" || return
	g=$(after "$c" role=client ev=timeout) ||
	    miss "the client did not give up after the child's close (no ev=timeout of the client)" || return
	# bin/holders ran before the server stopped: the CLOSE_WAIT socket, and
	# the parent under it
	awk -v p="$parent" '/^CLOSE_WAIT / { cw = 1; next } /^[A-Z]/ { cw = 0 }
	    cw && $1 == p { found = 1 } END { exit !found }' "$work/scene" ||
	    miss "bin/holders did not name the parent ($parent) as holding the socket in CLOSE_WAIT" || return
	p=$(after "$g" role=parent ev=close 'holders=1->0') ||
	    miss "the parent's close at the server's stop, after the client gave up, was not the last holder's (holders=1->0)" || return
	{ f=$(first_sent server F) && ge "$f" "$p"; } ||
	    miss "the FIN did not leave at the parent's close (none, or one before it)"
}

# 12. A child's shutdown() (make demo SCENARIO=child-shutdown LOGS=1)
check_12() {
	scene child-shutdown || return
	logged role=parent ev=fork ||
	    miss "the parent did not fork a child for the connection (no ev=fork of the parent)" || return
	s=$(at role=worker ev=shutdown how=SHUT_WR holders=2) ||
	    miss "the child did not call shutdown(SHUT_WR) while 2 processes held the socket (no ev=shutdown how=SHUT_WR holders=2)" || return
	{ f=$(first_sent server F) && ge "$f" "$s"; } ||
	    miss "no FIN left after the child's shutdown()" || return
	e=$(after "$f" role=client ev=eof) ||
	    miss "the client saw no EOF after the server's FIN" || return
	p=$(at role=parent ev=close keep=timer 'holders=1->0') ||
	    miss "the parent's close at the end of its keep (keep=timer holders=1->0) is not in the log" || return
	lt "$e" "$p" ||
	    miss "the client's EOF at $e ms did not come before the parent let go at $p ms" || return
	state=$(values "$work/log" state role=parent ev=close keep=timer)
	case $state in
	ESTABLISHED | CLOSE_WAIT | '')
		miss "the parent's copy was '$state' at its close (state=): the child's shutdown should have ended the connection for it too" ;;
	esac
}

# tw_overflows: how many times the kernel had no room for one more socket
# in TIME_WAIT (TCPTimeWaitOverflow), 0 where it does not say
tw_overflows() {
	awk '$1 == "TcpExt:" {
		if (!c) { for (i = 2; i <= NF; i++) if ($i == "TCPTimeWaitOverflow") c = i; next }
		n = $c
	} END { print n + 0 }' /proc/net/netstat 2>/dev/null || echo 0
}

# lingered LINGER: the scene's last close, with SO_LINGER {1, LINGER} and
# bytes the client had not acknowledged: sets l (its ms) and waited (ms)
lingered() {
	l=$(at ev=close 'holders=1->0' linger="$1" unacked=) ||
	    miss "the last close did not find SO_LINGER {1, $1} and bytes not yet acknowledged (no ev=close holders=1->0 linger=$1 unacked=...)" || return
	waited=$(field "$(event "$work/log" ev=close 'holders=1->0' linger="$1")" waited) ||
	    miss "the last close's line did not say how long it waited (no waited=)"
}

# 13. A close that blocks: SO_LINGER with a timeout (make demo
# SCENARIO="linger-acked linger-timeout" LOGS=1)
check_13() {
	scene linger-acked || return
	# the linger is ten of the demo's steps (STEP_MS, 100), and the client
	# reads after three
	lingered $((10 * ${STEP_MS:-100} / 1000)) || return
	r=$(at role=client ev=read) || miss "in linger-acked, the client read nothing" || return
	awk -v l="$l" -v w="$waited" -v r="$r" -v s="${STEP_MS:-100}" \
	    'BEGIN { exit !(l + w + 1 >= r && w < 10 * s) }' ||
	    miss "in linger-acked, the close returned after $waited ms: not once the client had read, at $r ms, within its linger" || return
	case $(result) in
	'end=eof '*' received=65536 '*) ;;
	*) miss "in linger-acked, the client's last line was 'client: result $(result)', not EOF with its 65536 bytes"; return ;;
	esac
	scene linger-timeout || return
	lingered 1 || return
	r=$(at role=client ev=read) || miss "in linger-timeout, the client read nothing" || return
	awk -v l="$l" -v w="$waited" -v r="$r" 'BEGIN { exit !(w >= 1000 && l + w < r) }' ||
	    miss "in linger-timeout, the close returned after $waited ms, not once its second had run out and before the client read, at $r ms" || return
	! logged role=client ev=rst ||
	    miss "in linger-timeout, the client's connection was reset: Linux sends on after the linger" || return
	case $(result) in
	'end=eof '*' received=65536 '*) ;;
	*) miss "in linger-timeout, the client's last line was 'client: result $(result)', not EOF with all its 65536 bytes" ;;
	esac
}

# 14. Threads: one descriptor, and a call that holds it (make demo
# SCENARIO="thread-close thread-close-idle" LOGS=1)
check_14() {
	scene thread-close || return
	logged role=parent ev=thread holders=1 ||
	    miss "in thread-close, the parent did not start a thread for the connection, one holder (no ev=thread holders=1)" || return
	take=$(at role=worker ev=take holders=1) ||
	    miss "in thread-close, the serving thread did not take the connection as the one holder (no ev=take holders=1)" || return
	c=$(at role=worker ev=close 'holders=1->0' calls=1) ||
	    miss "in thread-close, the closer's close was not the last descriptor's with the serving thread's read in progress (no ev=close holders=1->0 calls=1)" || return
	# the closer closes two of the demo's steps (STEP_MS, 100) after the take
	ge "$(elapsed "$take" "$c")" $((2 * ${STEP_MS:-100})) ||
	    miss "in thread-close, the closer closed at $c ms, before its $((2 * ${STEP_MS:-100})) ms after the take" || return
	w=$(nth 2 role=client ev=write) ||
	    miss "in thread-close, the client did not write its second message" || return
	lt "$c" "$w" ||
	    miss "in thread-close, the close at $c ms came after the client's second message at $w ms: the read had returned already" || return
	after "$c" role=worker ev=release call=read >/dev/null ||
	    miss "in thread-close, the serving thread's read did not return after the close (no ev=release call=read)" || return
	{ f=$(first_sent server F) && ge "$f" "$w"; } ||
	    miss "in thread-close, the server's FIN left before the client's second message woke the read, at $w ms" || return
	after "$f" role=client ev=eof >/dev/null ||
	    miss "in thread-close, the client saw no EOF after the server's FIN" || return

	scene thread-close-idle || return
	c=$(at role=worker ev=close 'holders=1->0') ||
	    miss "in thread-close-idle, the closer's close was not the last holder's (no ev=close holders=1->0)" || return
	! logged role=worker ev=close calls= ||
	    miss "in thread-close-idle, the close saw a call in progress (calls=), though the serving thread slept" || return
	{ f=$(first_sent server F) && ge "$f" "$c"; } ||
	    miss "in thread-close-idle, no FIN reached the client after the close" || return
	after "$f" role=client ev=eof >/dev/null ||
	    miss "in thread-close-idle, the client saw no EOF after the server's FIN" || return
	case $(result) in
	'end=eof '*' received=0 '*) ;;
	*) miss "in thread-close-idle, the client's last line was 'client: result $(result)', not EOF without the echo" ;;
	esac
}
