# labcheck.awk: the questions demo/labcheck.sh asks of one scene's log (the
# log lines the demo printed, sorted by t=), read with common/log.awk. Only
# the connection's lines count (conn= other than -), as in the timeline.
# Each answer is a time: ms from the connection's first line, to the
# microsecond, as the timeline counts them; exit status 1 where there is none.
#
# -v want=PAIRS: the nth line (nth, 1 by default) at from ms or later
#    (from, 0) that holds every KEY=VALUE pair of want (log_has()); with
#    -v state=STATE, only a line where the socket is in STATE (socket_state()).
# -v sent=F|R -v side=server|client: the first FIN (F) or RST (R) that side
#    sent: its captured segment; where no segment was captured (no root),
#    the close or shutdown that sent it (common/log.awk's log_sends()).

BEGIN { nth = nth ? nth : 1 }

# socket_state(): the state the line gives the socket, as the timeline
# prints it: the state a call left it in (then=), or else the one at the
# event (state=)
function socket_state(    st) {
	if ((st = log_get("then")) == "")
		st = log_get("state")
	return st
}

# note_sent(ms): the line's part in the answer to sent=: a segment of
# side's, or the process's event that sent it
function note_sent(ms,    letter) {
	if (log_role == "wire") {
		if (log_ev != "segment")
			return
		captured = 1
		if (captured_ms == "" && log_get("dir") == (side == "server" ? "out" : "in") &&
		    index(log_get("flags"), sent))
			captured_ms = ms
	} else if (log_role != "trace") {
		letter = log_sends()
		if (inferred_ms == "" && letter == sent && (log_role == "client") == (side == "client"))
			inferred_ms = ms
	}
}

log_parse($0) {
	log_fixed()
	log_use($0)
	if (log_conn == "-")
		next
	if (t0 == "")
		t0 = log_t
	ms = sprintf("%.3f", (log_t - t0) / 1e6)
	if (sent != "") {
		note_sent(ms)
	} else if (ms + 0 >= from + 0 && log_has($0, want) &&
	    (state == "" || socket_state() == state) && ++seen == nth) {
		answer = ms
		exit
	}
}

END {
	if (sent != "")
		answer = captured ? captured_ms : inferred_ms
	if (answer == "")
		exit 1
	print answer
}
