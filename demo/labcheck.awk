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
#    the close or shutdown that sent it, by timeline.awk's rule (sends()).

BEGIN { nth = nth ? nth : 1 }

# socket_state(): the state the line gives the socket, as the timeline
# prints it: the state a call left it in (then=), or else the one at the
# event (state=)
function socket_state(    st) {
	if ((st = log_get("then")) == "")
		st = log_get("state")
	return st
}

# sends(): what the line's close or shutdown sends, by the rule of
# timeline.awk's say() and server_close(): "F" (a FIN), "R" (an RST) or ""
# (nothing). Called on every process's line in t= order: it notes, for the
# lines after it, a reset of the connection and the FINs already sent.
function sends(    c, e, to, h, seg) {
	c = log_conn
	e = log_get("err")
	if (e == "ECONNRESET" || e == "EPIPE" || log_ev == "rst")
		reset[c] = 1
	if (e != "" || (log_ev != "shutdown" && log_ev != "close"))
		return ""
	if (log_role == "client") {
		# its shutdown(SHUT_WR) or first close sends the FIN; a close with
		# SO_LINGER {1, 0}, the RST
		if (log_ev == "close" && log_get("linger") == "0")
			return "R"
		if (log_ev == "close" && ((c in client_fin) || (c in reset)))
			return ""
		client_fin[c] = 1
		return "F"
	}
	# the server's: a shutdown that ends its writing sends the FIN
	# whoever else holds the socket
	if (log_ev == "shutdown") {
		if (log_get("how") == "SHUT_RD")
			return ""
		server_fin[c] = 1
		return "F"
	}
	# a close, only where it drops the last holder (holders=N->0, not a
	# dup of the same process): a FIN, or an RST with SO_LINGER {1, 0} or
	# data unread; nothing on a reset connection, nor a second FIN
	if (log_got("dups"))
		return ""
	split(log_get("holders"), h, "->")
	to = h[2]
	if (to > 0 || (c in reset))
		return ""
	seg = log_get("linger") == "0" || log_get("unread") + 0 > 0 ? "R" : "F"
	if (seg == "F" && (c in server_fin))
		return ""
	server_fin[c] = 1
	return seg
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
		letter = sends()
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
