# log.awk: closelab's log lines, read in awk. The C side is common/log.c;
# both are tried on one corpus of lines (tests/log.bats), and find a key the
# same way. The timeline, the tests and the bench read logs through these
# functions only.
#
# A line is "t=<ns> pid=<pid> role=<role> conn=<conn> ev=<event>" and then
# key=value words; the vocabulary is common/events.h.

# log_use(LINE): the line that log_get() and log_got() read next; a
# program that reads a record many times says so once.
function log_use(line) {
	log_line = line
	log_spaced = " " line
}

# log_got(KEY): whether that line has a word KEY=..., as log_field() finds
# one in log.c: after the start of the line or a space.
function log_got(key) {
	return index(log_spaced, " " key "=") > 0
}

# log_get(KEY): the value of its first word KEY=..., up to the next space;
# "" where it has none.
function log_get(key,    p, v, e) {
	if ((p = index(log_spaced, " " key "=")) == 0)
		return ""
	v = substr(log_line, p + length(key) + 1)
	return (e = index(v, " ")) ? substr(v, 1, e - 1) : v
}

# log_present(LINE, KEY) and log_value(LINE, KEY): the same, of any line.
function log_present(line, key) {
	if (line != log_line)
		log_use(line)
	return log_got(key)
}

function log_value(line, key) {
	if (line != log_line)
		log_use(line)
	return log_get(key)
}

# log_parse(LINE): whether LINE is a closelab event line: t, pid, role, conn
# and ev first, in that order; t (at most 18 digits) and pid (at most 9)
# decimal; role and ev at most 15 characters, conn at most 63. log.c's
# log_parse() says the same of every line.
function log_parse(line,    rest, i, n) {
	if (line !~ /^t=[0-9]+ pid=[0-9]+ role=[^ ]+ conn=[^ ]+ ev=[^ ]+( |$)/)
		return 0
	if (!log_widths)
		log_widths = split("20 13 20 68 18", log_width, " ")
	# the first five words, each no longer than its key and value may be:
	# of the record, the fields that awk has split already (FS below)
	if (line == $0)
		return length($1) <= log_width[1] && length($2) <= log_width[2] &&
		    length($3) <= log_width[3] && length($4) <= log_width[4] &&
		    length($5) <= log_width[5]
	rest = line
	for (i = 1; i <= 5; i++) {
		if ((n = index(rest, " ")) == 0)
			n = length(rest) + 1
		if (n - 1 > log_width[i])
			return 0
		rest = substr(rest, n + 1)
	}
	return 1
}

# log_fixed(): the first five words of the record being read, which every
# event line has, in that order (after log_parse()): log_t, log_pid,
# log_role, log_conn, log_ev. Fast: awk's own field splitting, one space
# apart (FS below).
function log_fixed() {
	log_t = substr($1, 3)
	log_pid = substr($2, 5)
	log_role = substr($3, 6)
	log_conn = substr($4, 6)
	log_ev = substr($5, 4)
}

BEGIN { FS = "[ ]" }

# log_has(LINE, PAIRS): whether LINE holds every KEY=VALUE of the
# space-separated PAIRS: "KEY=" alone, the key with any value; "KEY=*END", a
# value that ends with END.
function log_has(line, pairs,    n, i, p, k, key, v, have) {
	n = split(pairs, p, " ")
	for (i = 1; i <= n; i++) {
		k = index(p[i], "=")
		key = substr(p[i], 1, k - 1)
		v = substr(p[i], k + 1)
		if (!log_present(line, key))
			return 0
		have = log_value(line, key)
		if (substr(v, 1, 1) == "*") {
			if (substr(have, length(have) - length(v) + 2) != substr(v, 2))
				return 0
		} else if (v != "" && have != v) {
			return 0
		}
	}
	return 1
}

# log_sends(): what the line (log_fixed(), log_use()) sends on the wire, as
# the log alone tells it, where no segment was captured: "F" a FIN, "R" an
# RST, "" nothing. Called on every process's line in t= order: it notes, for
# the lines after it, a reset of the connection and the FINs already sent
# (log_reset, log_client_fin, log_server_fin, by conn). The timeline and
# make lab-check both go by it.
function log_sends(    c, e, to, h, seg) {
	c = log_conn
	e = log_get("err")
	if (e == "ECONNRESET" || e == "EPIPE" || log_ev == "rst")
		log_reset[c] = 1
	if (e != "" || (log_ev != "shutdown" && log_ev != "close" && log_ev != "release"))
		return ""
	if (log_role == "client") {
		# its shutdown(SHUT_WR) or first close sends the FIN; a close with
		# SO_LINGER {1, 0}, the RST
		if (log_ev == "close" && log_get("linger") == "0")
			return "R"
		if (log_ev == "close" && ((c in log_client_fin) || (c in log_reset)))
			return ""
		log_client_fin[c] = 1
		return "F"
	}
	# the server's: nothing on a socket already closed (state=, the state
	# at the call: CLOSE once both FINs or an RST have passed)
	if (log_get("state") == "CLOSE")
		return ""
	# a shutdown that ends its writing sends the FIN whoever else holds
	# the socket
	if (log_ev == "shutdown") {
		if (log_get("how") == "SHUT_RD")
			return ""
		log_server_fin[c] = 1
		return "F"
	}
	# the return of a call that held the socket past its last close: what
	# that close would have sent
	if (log_ev == "release") {
		if (!(c in log_call_held) || (c in log_reset))
			return ""
		seg = log_call_held[c]
		delete log_call_held[c]
		# a read that filled its buffer may have left bytes unread: a FIN
		# or an RST, which the log cannot tell
		if (seg == "F" && log_got("full"))
			return ""
		if (seg == "F" && (c in log_server_fin))
			return ""
		log_server_fin[c] = 1
		return seg
	}
	# a close, only where it drops the last holder (holders=N->0, not a
	# dup of the same process): a FIN, or an RST with SO_LINGER {1, 0} or
	# data unread; nothing on a reset connection, nor a second FIN
	if (log_got("dups"))
		return ""
	split(log_get("holders"), h, "->")
	to = h[2]
	if (to > 0 || (c in log_reset))
		return ""
	seg = log_get("linger") == "0" || log_get("unread") + 0 > 0 ? "R" : "F"
	# a call of another thread's still holds it (calls=): the call's return sends it
	if (log_got("calls")) {
		log_call_held[c] = seg
		return ""
	}
	if (seg == "F" && (c in log_server_fin))
		return ""
	log_server_fin[c] = 1
	return seg
}
