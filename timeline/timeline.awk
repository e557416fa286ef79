# timeline.awk: draw closelab's merged logs as a timeline (run by
# timeline.sh, with common/log.awk). Its input, sorted by t=, comes twice:
# the first pass finds each process's first and last event and how many
# lanes the processes need at once; the second draws a row per event.
#
# A process holds a lane from its first event (a child from its fork, a
# helper from its spawn) to its last, and the lane is free again after it
# for another process of its role: a fork-model log of a hundred thousand
# children needs as many worker lanes as children lived at once. The lanes
# go parent, workers, helpers, clients, from the left.
# Nothing is kept per event but the SVG's rows, which go to a file as they
# are drawn (svg.awk).
#
# -v want=ID: only connection ID. -v svg=FILE: also an SVG sequence diagram.
# -v color=1: ANSI colours.

# Whether the line is one to draw: an event of a connection (of want's, if
# given), or a drop the capture reports, which concerns them all.
function shown() {
	if (log_ev == "drops")
		return 1
	if (log_conn == "-")
		return 0
	return want == "" || log_conn == want
}


# The name of column k: A to Z, then AA, AB...
function letter(k,    s) {
	for (s = ""; k > 0; k = int((k - 1) / 26))
		s = substr("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (k - 1) % 26 + 1, 1) s
	return s
}

function others(n) {
	return n == 1 ? "1 other process still holds it" : n " other processes still hold it"
}

# pids as roles: "parent 12, worker 34"
function who(list,    n, p, i, s) {
	if (list == "")
		return "nobody"
	n = split(list, p, ",")
	for (i = 1; i <= n; i++)
		s = s (i > 1 ? ", " : "") (p[i] in role ? role[p[i]] " " p[i] : "pid " p[i])
	return s
}

# A segment in words: "FIN", "data, 5 bytes", ...
function segwords(flags, len) {
	if (flags ~ /R/)
		return "RST"
	if (flags ~ /S/)
		return flags ~ /\./ ? "SYN-ACK" : "SYN"
	if (flags ~ /F/)
		return len > 0 ? "data, " len " bytes, and FIN" : "FIN"
	if (len > 0)
		return "data, " len " bytes"
	return "ACK"
}

# The worker a copy of the parent's was passed to, over SCM_RIGHTS, and
# which has not taken it yet (a reference that no process holds), for the
# parent's close that leaves that copy the only one; "" otherwise.
function passed_to(    hh) {
	split(log_get("holders"), hh, "->")
	return log_role == "parent" && hh[2] == 1 && (log_conn in inflight) ? inflight[log_conn] : ""
}

# Whether the kernel's holders (kernel=BEFORE->AFTER) show no process after
# such a close: the message in flight holds the reference.
function in_flight(    kh) {
	return passed_to() != "" && split(log_get("kernel"), kh, "->") == 2 && kh[2] == ""
}

# A close with SO_LINGER {1, S}: whether it waited, how long, and why it
# returned (was_last: it dropped the last holder).
function lingered(was_last,    s, w) {
	s = log_get("linger")
	if (s == "" || s == "off" || s == "0")
		return ""
	if (!was_last)
		return "; it returns at once: only the last close waits (SO_LINGER " s " s)"
	w = log_get("waited")
	if (w + 0 >= s * 1000)
		return "; it returned after SO_LINGER's " s " s (" w " ms), the FIN not yet " \
		    "acknowledged: the kernel sends on, without the process"
	return "; it returned after " w " ms, once the peer had acknowledged the FIN " \
	    "(SO_LINGER " s " s)"
}

# What a close of the server's did, in words: sent, what log_sends() said it sent.
function server_close(c, sent,    h, hh, b, why) {
	h = log_get("holders")
	if (log_got("dups"))
		return "close() fd " log_get("fd") ": another fd of this process " \
		    "still refers to the socket: nothing is sent"
	split(h, hh, "->")
	if (log_get("by") == "exit")
		b = "process " log_get("exited") " exits, the kernel closes its copy"
	else if (log_got("keep"))
		b = "close() its copy (keep: " log_get("keep") ")"
	else
		b = "close() fd " log_get("fd")
	if (log_got("calls"))
		return b ", holders " h ": no descriptor refers to the socket now, but a call " \
		    "of another thread's on it, a read() or write() in progress, holds it: " \
		    "nothing is sent until that call returns"
	if (sent == "F")
		return b ", holders " h ": last holder, FIN" (log_got("unacked") ? ", queued behind " \
		    log_get("unacked") " bytes the peer has not acknowledged" : "") lingered(1)
	if (sent == "R") {
		why = log_get("linger") == "0" ? "SO_LINGER 0" : log_get("unread") " bytes unread"
		return b ", holders " h ": last holder, RST (" why ")"
	}
	if (passed_to() != "")
		return b ", holders " h ": nothing is sent, the copy passed to worker " passed_to() \
		    " still holds it" (in_flight() ? ", in flight: no process has it yet" : "")
	if (hh[2] > 0)
		return b ", holders " h ": nothing is sent, " others(hh[2]) lingered(0)
	if (c in log_reset)
		return b ", holders " h ": nothing is sent, the connection was reset"
	if (log_get("state") == "CLOSE")
		return b ", holders " h ": nothing is sent, the connection was closed already"
	return b ", holders " h ": the FIN left already"
}

# What one event means, in words; sets wire to a FIN or RST it sends.
function say(r, ev, c,    h, e, sent) {
	e = log_get("err")
	sent = log_sends()
	wire = sent == "" ? "" : r == "client" ? (sent == "F" ? "FIN ->" : "RST ->") \
	    : (sent == "F" ? "<- FIN" : "<- RST")
	if (ev == "read") {
		if (log_got("nothing"))
			return "read: nothing came"
		return e != "" ? "read() fails: " e : "read " log_get("bytes") " bytes"
	}
	if (ev == "write")
		return e != "" ? "write() fails: " e : "write " log_get("bytes") " bytes"
	if (ev == "eof")
		return r == "client" ? "read() returns 0: EOF, the server's FIN came" \
		    : "read() returns 0: EOF"
	h = log_get("holders")
	if (ev == "connect")
		return "connect() to " log_get("peer")
	if (ev == "accept")
		return e != "" ? "accept() fails: " e : "accept() as fd " log_get("fd") "; holders " h
	if (ev == "handoff")
		return e != "" ? "handoff to worker " log_get("worker") " failed: " e \
		    : "pass fd " log_get("fd") " to worker " log_get("worker") " (SCM_RIGHTS); holders " h
	if (ev == "fork")
		return e != "" ? "fork() failed: " e \
		    : "fork() child " log_get("child") ", which inherits fd " log_get("fd") "; holders " h
	if (ev == "thread")
		return e != "" ? "starting a thread failed: " e \
		    : "start a thread, which serves fd " log_get("fd") " itself: threads share " \
		    "one descriptor table, so nothing is handed over; holders " h
	if (ev == "take")
		return "take the connection as fd " log_get("fd") "; holders " h
	if (ev == "release")
		return log_get("call") "() returns, after another thread's close(): the " \
		    "reference the call held goes" (sent == "F" ? ", the last: FIN" : \
		    sent == "R" ? ", the last: RST" : log_got("full") ? ", the last: a FIN, or an " \
		    "RST if the read, which filled its buffer, left bytes unread" : "")
	if (ev == "spawn")
		return e != "" ? "spawning the helper failed: " e \
		    : log_get("inherits") == "yes" \
		    ? "spawn helper " log_get("helper") ", which inherits the socket; holders " h \
		    : "spawn helper " log_get("helper") "; close-on-exec keeps the socket from it"
	if (ev == "exit")
		return "helper " log_get("helper") (log_got("signal") ? " is ended by signal " \
		    log_get("signal") : " exits with status " log_get("status"))
	if (ev == "rst")
		return "read() fails: " e ": the connection was reset"
	if (ev == "timeout")
		return "gives up after " log_get("ms") " ms: no EOF"
	if (ev == "idle")
		return "nothing " (log_get("waiting") == "write" ? "written" : "read") " for " log_get("ms") \
		    " ms: --idle-timeout ends it"
	if (ev == "linger")
		return e != "" ? "SO_LINGER fails: " e \
		    : log_get("secs") == "0" ? "set SO_LINGER {1, 0}: the last close will send RST" \
		    : "set SO_LINGER {1, " log_get("secs") "}: the last close will wait up to " \
		    log_get("secs") " s for the peer's ACK"
	if (ev == "leak")
		return "never closes fd " log_get("fd") ": CLOSE_WAIT stays"
	if (ev == "dup")
		return e != "" ? "dup() fails: " e : "dup(" log_get("fd") ") = " log_get("dup")
	if (ev == "shutdown") {
		if (e != "")
			return "shutdown(" log_get("how") ") fails: " e
		if (r == "client")
			return "shutdown(SHUT_WR): FIN to the server"
		if (sent == "")
			return "shutdown(SHUT_RD), holders " h ": nothing is sent"
		return "shutdown(" log_get("how") "), holders " h ": FIN at once"
	}
	if (ev == "close") {
		if (e != "")
			return "close() fails: " e
		if (r != "client")
			return server_close(c, sent)
		if (sent == "R")
			return "close() with SO_LINGER {1, 0}: RST"
		return sent == "F" ? "close(): FIN to the server" : "close()"
	}
	wire = "?"
	return "ev=" ev ": an event that closelab's vocabulary (common/events.h) does not have"
}

# Cut text into part[1..n] of at most textw characters, at spaces; n.
function wrap(text,    nl, cut) {
	nl = 0
	while (length(text) > textw) {
		for (cut = textw + 1; cut > 10 && substr(text, cut, 1) != " "; cut--)
			;
		part[++nl] = substr(text, 1, cut - 1)
		text = substr(text, cut + 1)
	}
	part[++nl] = text
	return nl
}

function paint(s, c) {
	return color ? "\033[" c "m" s "\033[0m" : s
}

BEGIN { rows = 0 }

# bin/trace's holders "12(server),34(sh)" in words: "12 (server), 34 (sh)"
function holder_words(h) {
	if (h == "-" || h == "")
		return "other processes, gone before /proc was read"
	gsub(/\(/, " (", h)
	gsub(/,/, ", ", h)
	return h
}

# A line of bin/trace (role=trace ev=drop) in words: the call, and what it sent.
function traced(    s, why) {
	s = "trace: " log_get("call") " by " log_pid " (" log_get("comm") ")"
	if (log_got("fd"))
		s = s " fd " log_get("fd")
	if (log_got("how"))
		s = s " " log_get("how")
	if (log_get("sent") != "none") {
		s = s ": " toupper(log_get("sent")) " left"
		if (log_got("first"))
			s = s ", " log_get("after") " ms after the first drop that sent nothing (pid " \
			    log_get("first") ")"
		return s
	}
	why = log_get("why")
	if (why == "held")
		return s ": nothing sent: still held by " holder_words(log_get("holders")) \
		    (log_got("more") ? " and " log_get("more") " more" : "")
	if (why == "sent-before")
		return s ": nothing sent: the FIN left before"
	if (why == "read-only")
		return s ": nothing sent (SHUT_RD)"
	return s ": nothing sent: the connection was over"
}

# The lane of the line: its process's pid, or "PID/TID" for a thread of
# --model thread (a line with tid=), which has a lane of its own.
function lane_of() {
	return log_got("tid") ? log_pid "/" log_get("tid") : log_pid
}

# Process p is forked (or spawned) at this row, in role r until it says:
# its first birth only (a pid used again later is another process's).
function birth(p, r) {
	if (!(p in role))
		role[p] = r
	if (!(p in born) && !(p in first))
		born[p] = rows
}

# The first pass: every process's role, first and last row, and the rows
# where each pool reaches a new number of lanes at once.
function note(    p) {
	rows++
	p = lane_of()
	# the tracer's lines name processes of the other logs: no lane of their own
	if (log_role == "trace")
		return
	role[p] = log_role
	# one connection, or more: another id, or the same id accepted or
	# connected again (a client's port used again)
	if (log_conn != "-" && onlyconn == "")
		onlyconn = log_conn
	else if (log_conn != "-" && log_conn != onlyconn)
		manyconns = 1
	if ((log_ev == "accept" || log_ev == "connect") && ++opened[log_role] > 1)
		manyconns = 1
	if (log_role != "client" && log_role != "wire")
		server_logged = 1
	# a child's lane begins at its fork, a helper's at its spawn, though
	# the child logs its first line later (after another has exited, on a
	# loaded machine): plan() moves its start there
	if (log_ev == "fork" && log_got("child"))
		birth(log_get("child"), "worker")
	else if (log_ev == "spawn" && log_got("helper"))
		birth(log_get("helper"), "helper")
	if (log_role == "wire") {
		captured = 1
		return
	}
	if (!(p in first))
		first[p] = rows
	last[p] = rows
}

# Between the passes: how many lanes each role needs at once, and who comes
# first in each; then the columns, role by role.
function plan(    i, k, n, p, r, busy, ends, endp, sp, order, lw) {
	for (p in last) {
		if ((p in born) && born[p] < first[p])
			first[p] = born[p]
		starts[first[p]] = starts[first[p]] " " p
		ends[last[p]] = ends[last[p]] " " p
	}
	nroles = split("parent worker helper client", order, " ")
	for (r = 1; r <= nroles; r++)
		seen[order[r]] = r
	for (i = 1; i <= rows; i++) {
		n = split(starts[i], sp, " ")
		for (k = 1; k <= n; k++) {
			p = sp[k]
			r = role[p]
			if (!(r in seen))
				order[seen[r] = ++nroles] = r
			if (++busy[r] > lanes[r])
				firstin[r, lanes[r] = busy[r]] = p
		}
		if (i in ends)
			for (n = split(ends[i], endp, " "); n > 0; n--)
				busy[role[endp[n]]]--
	}
	for (r = 1; r <= nroles; r++) {
		base[order[r]] = ncol
		for (k = 1; k <= lanes[order[r]]; k++) {
			colrole[++ncol] = order[r]
			occupant[ncol] = firstin[order[r], k]
		}
	}
	for (k = 1; k <= ncol; k++) {
		name[k] = letter(k)
		colw[k] = length(name[k]) + 2
		lw += colw[k]
		# the cells a lane can show: its event, a live process, nothing
		star[k] = sprintf("%-" colw[k] "s", " *")
		if (color)
			sub(/\*/, paint("*", 32 + (k % 5)), star[k])
		bar[k] = sprintf("%-" colw[k] "s", " |")
		blank[k] = sprintf("%-" colw[k] "s", "")
	}
	# 80 columns: "ms lanes wire text"
	textw = 80 - (9 + 1 + lw + 1 + 10 + 1)
	if (textw < 30)
		textw = 30	# many lanes at once: wider than 80 columns
	printf "lanes:"
	for (k = 1; k <= ncol; k++)
		printf " %s %s %s%s", name[k], colrole[k], occupant[k], k < ncol ? "," : "\n"
	printf "%9s ", "ms"
	for (k = 1; k <= ncol; k++)
		printf "%-" colw[k] "s", " " name[k]
	printf "%-11s%s\n", "wire", "event"
	planned = 1
	lanes_changed = 1
}

# The lowest free lane of pid's role, now its; a row saying so if the lane
# had another process before.
function take_lane(p,    k) {
	for (k = base[role[p]] + 1; occupied[k] != ""; k++)
		;
	if (k in used)
		printf "%9s %s %-10s %s\n", "", lanes_now(0), "", \
		    "lane " name[k] " is now " role[p] " " p
	used[k] = 1
	occupied[k] = p
	lanes_changed = 1
	col[p] = k
}

# The lanes of this row: * for the event, | for a lane whose process lives.
# The lanes without a * are made again only when a lane is taken or freed.
function lanes_now(me,    k) {
	if (lanes_changed) {
		idle = ""
		for (k = 1; k <= ncol; k++) {
			at[k] = length(idle)
			idle = idle (occupied[k] != "" ? bar[k] : blank[k])
		}
		lanes_changed = 0
	}
	return me ? substr(idle, 1, at[me]) star[me] substr(idle, at[me] + colw[me] + 1) : idle
}

# The run's ending, for its last line (one connection only), from the row
# just drawn: when the server's first FIN and first RST were captured, how
# the client's wait ended, and the server's call that sent the first FIN
# or RST (sent, as say() found it).
function ending(r, ev, ms, sent) {
	if (manyconns)
		return
	if (r == "wire")
		captured_at(ms)
	else if (r == "client")
		client_ended(ev, ms)
	else if (sent != "" && sent_kind == "")
		server_sent(ev, ms, sent)
	else if (ev == "release" && log_got("full") && sent_kind == "" && maybe_by == "")
		maybe_by = sprintf("the return of %s %s's read() at %.3f ms, which filled its " \
		    "buffer and may have left bytes unread", role[lane_of()], lane_of(), ms)
}

# A segment captured: the first FIN and RST from the server, by ms.
function captured_at(ms) {
	if (log_get("dir") == "out" && log_get("flags") ~ /F/ && !("FIN" in wire_out))
		wire_out["FIN"] = ms
	if (log_get("dir") == "out" && log_get("flags") ~ /R/ && !("RST" in wire_out))
		wire_out["RST"] = ms
}

# A client's event: the first that ends its wait (EOF, reset, giving up).
function client_ended(ev, ms) {
	if (client_end != "")
		return
	if (ev == "eof")
		client_end = sprintf("the client read EOF at %.3f ms", ms)
	else if (ev == "rst")
		client_end = sprintf("the client's read() failed with %s at %.3f ms", log_get("err"), ms)
	else if (ev == "timeout")
		client_end = sprintf("the client gave up at %.3f ms, without EOF", ms)
}

# The server's first call that sent a FIN or RST: who, how, who else held.
function server_sent(ev, ms, sent,    hh, p, left) {
	sent_kind = sent == "F" ? "FIN" : "RST"
	split(log_get("holders"), hh, "->")
	p = log_get("by") == "exit" ? log_get("exited") : lane_of()
	p = (p in role ? role[p] : "process") " " p
	if (ev == "release") {
		sent_by = sprintf("the return of %s's %s() at %.3f ms, whose reference was the " \
		    "last: the close() before it had left the socket to that call", p,
		    log_get("call"), ms)
		return
	}
	# an exit is logged when its process is reaped, after the FIN it sent
	sent_by = log_get("by") == "exit" ? sprintf("the exit of %s (seen at %.3f ms)", p, ms) \
	    : sprintf("%s's %s at %.3f ms", p, ev == "shutdown" ? "shutdown(" log_get("how") ")" \
	    : "close()", ms)
	# a shutdown's holders= is the count then, itself among them
	left = ev == "shutdown" ? hh[1] - 1 : hh[2]
	sent_by = sent_by ", " (left == 1 ? "while 1 other process still held it" : \
	    left > 1 ? "while " left " other processes still held it" : \
	    ev == "shutdown" ? "the only holder" : "the last holder")
}

# The run in one sentence, from ending()'s findings: where segments were
# captured, they decide what left and when; "" where the server's log is
# not among the logs (a client's, or a tracer's alone cannot tell).
function run_sentence(    s) {
	if (!server_logged)
		return ""
	if (sent_kind != "" && (sent_kind in wire_out))
		s = sprintf("the %s left at %.3f ms, sent by %s", sent_kind, wire_out[sent_kind], sent_by)
	else if (sent_kind != "" && captured)
		s = "no " sent_kind " from the server was captured, though the log counts " sent_by
	else if (sent_kind != "")
		s = "the " sent_kind " was sent by " sent_by
	else if (maybe_by != "" && ("FIN" in wire_out || "RST" in wire_out))
		s = sprintf("the %s left at %.3f ms, sent by %s", "RST" in wire_out ? "RST" : "FIN",
		    "RST" in wire_out ? wire_out["RST"] : wire_out["FIN"], maybe_by)
	else if (maybe_by != "")
		s = "a FIN, or an RST, was sent by " maybe_by
	else if (captured && ("FIN" in wire_out || "RST" in wire_out))
		s = "the server's " ("FIN" in wire_out ? "FIN" : "RST") " was captured, though no call " \
		    "in its log sent it"
	else
		s = "no FIN or RST left the server"
	return "In this run: " s (client_end != "" ? "; " client_end : "") "."
}

# The run's last line, run_sentence(), wrapped at 80 columns.
function in_this_run(    nl, i, s, w) {
	if ((s = run_sentence()) == "")
		return
	w = textw
	textw = 80
	nl = wrap(s)
	textw = w
	for (i = 1; i <= nl; i++)
		print part[i]
}

# The second pass: one row per event, and its continuation lines.
function draw(    p, r, ev, c, t, ms, w, text, me, st, side, kh, kt, nl, i, wp, cont, dir, fl, sent, sp) {
	row++
	# the lanes that begin here: a process's first line, a child's fork
	nl = split(starts[row], sp, " ")
	for (i = 1; i <= nl; i++)
		take_lane(sp[i])
	p = lane_of()
	r = log_role
	ev = log_ev
	c = log_conn
	t = log_t
	if (row == 1)
		t0 = t
	ms = (t - t0) / 1e6
	dir = ""
	fl = ""
	sent = ""
	if (ev == "drops") {
		text = "the capture lost " log_get("dropped") " segments here: the numbering from here on " \
		    "is not complete"
		w = "!"
		me = 0
	} else if (r == "wire") {
		nseg++
		dir = log_get("dir")
		fl = log_get("flags")
		w = sprintf("#%-3d%s%s", nseg, dir == "in" ? "->" : "<-", fl)
		text = segwords(fl, log_get("len")) "  seq=" log_get("seq") " ack=" log_get("ack")
		me = 0
		ending(r, ev, ms, "")
	} else if (r == "trace") {
		text = traced()
		w = ""
		me = 0
	} else {
		me = col[p]
		# a copy passed over SCM_RIGHTS and not yet taken: a reference
		# that no process holds, until the worker takes it or is gone
		if (ev == "handoff" && !log_got("err"))
			inflight[c] = log_get("worker")
		else if ((c in inflight) && (ev == "take" || log_get("exited") == inflight[c] || \
		    p == inflight[c]))
			delete inflight[c]
		text = say(r, ev, c)
		sent = wire ~ /FIN/ ? "F" : wire ~ /RST/ ? "R" : ""
		ending(r, ev, ms, r == "client" ? "" : sent)
		w = captured && wire != "?" ? "" : wire
		# the socket state, where it changed for this side: the state a
		# call left (then=), or the state at the event
		if ((st = log_get("then")) == "")
			st = log_get("state")
		side = c (r == "client" ? " client" : " server")
		if (st != "" && st != state[side]) {
			text = text " [" st "]"
			state[side] = st
		}
	}
	# a FIN or RST stands out
	wp = sprintf("%-10s", w)
	if (index(w, "R") || w == "!" || w == "?")
		wp = paint(wp, "1;31")
	else if (index(w, "F"))
		wp = paint(wp, 1)
	nl = wrap(text)
	printf "%9.3f %s %s %s\n", ms, lanes_now(me), wp, part[1]
	if (nl > 1 || log_got("kernel"))
		cont = lanes_now(0)
	for (i = 2; i <= nl; i++)
		printf "%9s %s %-10s %s\n", "", cont, "", part[i]
	if (log_got("kernel")) {
		split(log_get("kernel"), kh, "->")
		kt = "kernel: held by " who(kh[1])
		if (ev != "shutdown")
			kt = kt "; after: " (in_flight() ? "no process: the copy in flight to worker " \
			    passed_to() : who(kh[2]))
		nl = wrap(kt)
		for (i = 1; i <= nl; i++)
			printf "%9s %s %-10s %s\n", "", cont, "", part[i]
	}
	if (svg != "" || html != "")
		# a close by an exit is drawn on the lane of the process that exited
		svg_row(t, ms, !me ? "" : log_got("exited") ? log_get("exited") : p, r, ev, c, dir, fl, \
		    log_get("len"), log_get("seq"), sent, ev == "fork" ? log_get("child") : log_get("helper"), text, $0, \
		    log_get("holders"), log_got("then") ? log_get("then") : log_get("state"))
	# the lane is free after its process's last event
	if (me && last[p] == row) {
		occupied[me] = ""
		lanes_changed = 1
	}
}

# timeline.sh let only event lines through
{
	log_fixed()
	log_use($0)
}

shown() {
	if (FNR == NR) {
		note()
		next
	}
	if (!planned)
		plan()
	draw()
}

END {
	if (rows == 0) {
		print prog ": no connection events in the logs" > "/dev/stderr"
		close("/dev/stderr")
		exit 1
	}
	if (!manyconns)
		in_this_run()
	if (svg != "" || html != "")
		svg_end()
}
