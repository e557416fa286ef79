# timeline.awk: draw closelab's merged logs as a timeline (run by
# timeline.sh, with common/log.awk). Its input, sorted by t=, comes twice:
# the first pass finds each process's first and last event and how many
# lanes the processes need at once; the second draws a row per event.
#
# A process holds a lane from its first event to its last, and the lane is
# free again after it for another process of its role: a fork-model log of
# a hundred thousand children needs as many worker lanes as children lived
# at once. The lanes go parent, workers, helpers, clients, from the left.
# Nothing is kept per event but the SVG's rows, which go to a file as they
# are drawn.
#
# -v want=ID: only connection ID. -v svg=FILE: also an SVG sequence diagram.
# -v color=1: ANSI colours.

# Whether the line is one to draw: an event of a connection (of want's, if
# given), or a drop the capture reports, which concerns them all.
function shown(f) {
	if (f["ev"] == "drops")
		return 1
	if (f["conn"] == "-")
		return 0
	return want == "" || f["conn"] == want
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

# What a close of the server's sends, in words; sets wire to it.
function server_close(f, c,    h, hh, to, b, seg, why) {
	h = f["holders"]
	if ("dups" in f)
		return "close() fd " f["fd"] ": another fd of this process " \
		    "still refers to the socket: nothing is sent"
	split(h, hh, "->")
	to = hh[2]
	if (f["by"] == "exit")
		b = "process " f["exited"] " exits, the kernel closes its copy"
	else if ("keep" in f)
		b = "close() its copy (keep: " f["keep"] ")"
	else
		b = "close() fd " f["fd"]
	# what a last close sends
	seg = "FIN"
	why = ""
	if (f["linger"] == "0") {
		seg = "RST"
		why = " (SO_LINGER 0)"
	} else if (f["unread"] > 0) {
		seg = "RST"
		why = " (" f["unread"] " bytes unread)"
	}
	if (to > 0)
		return b ", holders " h ": nothing is sent, " others(to)
	if (c in reset)
		return b ", holders " h ": nothing is sent, the connection was reset"
	if ((c in sfin) && seg == "FIN")
		return b ", holders " h ": the FIN left already"
	sfin[c] = 1
	wire = "<- " seg
	return b ", holders " h ": last holder, " seg why
}

# What one event means, in words; sets wire to a FIN or RST it sends.
function say(f, r, ev, c,    h, b, e) {
	b = f["bytes"]
	e = f["err"]
	h = f["holders"]
	wire = ""
	if (e == "ECONNRESET" || e == "EPIPE" || ev == "rst")
		reset[c] = 1
	if (ev == "connect")
		return "connect() to " f["peer"]
	if (ev == "accept")
		return e != "" ? "accept() fails: " e : "accept() as fd " f["fd"] "; holders " h
	if (ev == "handoff")
		return e != "" ? "handoff to worker " f["worker"] " failed: " e \
		    : "pass fd " f["fd"] " to worker " f["worker"] " (SCM_RIGHTS); holders " h
	if (ev == "fork")
		return e != "" ? "fork() failed: " e \
		    : "fork() child " f["child"] ", which inherits fd " f["fd"] "; holders " h
	if (ev == "take")
		return "take the connection as fd " f["fd"] "; holders " h
	if (ev == "spawn")
		return e != "" ? "spawning the helper failed: " e \
		    : f["inherits"] == "yes" \
		    ? "spawn helper " f["helper"] ", which inherits the socket; holders " h \
		    : "spawn helper " f["helper"] "; close-on-exec keeps the socket from it"
	if (ev == "exit")
		return "helper " f["helper"] " exits with status " f["status"]
	if (ev == "read") {
		if ("nothing" in f)
			return "read: nothing came"
		return e != "" ? "read() fails: " e : "read " b " bytes"
	}
	if (ev == "write")
		return e != "" ? "write() fails: " e : "write " b " bytes"
	if (ev == "eof")
		return r == "client" ? "read() returns 0: EOF, the server's FIN came" \
		    : "read() returns 0: EOF"
	if (ev == "rst")
		return "read() fails: " e ": the connection was reset"
	if (ev == "timeout")
		return "gives up after " f["ms"] " ms: no EOF"
	if (ev == "idle")
		return "nothing " (f["waiting"] == "write" ? "written" : "read") " for " f["ms"] \
		    " ms: --idle-timeout ends it"
	if (ev == "linger")
		return e != "" ? "SO_LINGER fails: " e \
		    : "set SO_LINGER {1, 0}: the last close will send RST"
	if (ev == "leak")
		return "never closes fd " f["fd"] ": CLOSE_WAIT stays"
	if (ev == "dup")
		return e != "" ? "dup() fails: " e : "dup(" f["fd"] ") = " f["dup"]
	if (ev == "shutdown") {
		if (e != "")
			return "shutdown(" f["how"] ") fails: " e
		if (r == "client") {
			cfin[c] = 1
			wire = "FIN ->"
			return "shutdown(SHUT_WR): FIN to the server"
		}
		if (f["how"] == "SHUT_RD")
			return "shutdown(SHUT_RD), holders " h ": nothing is sent"
		sfin[c] = 1
		wire = "<- FIN"
		return "shutdown(" f["how"] "), holders " h ": FIN at once"
	}
	if (ev == "close") {
		if (e != "")
			return "close() fails: " e
		if (r != "client")
			return server_close(f, c)
		if (f["linger"] == "0") {
			wire = "RST ->"
			return "close() with SO_LINGER {1, 0}: RST"
		}
		if ((c in cfin) || (c in reset))
			return "close()"
		cfin[c] = 1
		wire = "FIN ->"
		return "close(): FIN to the server"
	}
	return ev
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

function xml(s) {
	gsub(/&/, "\\&amp;", s)
	gsub(/</, "\\&lt;", s)
	gsub(/>/, "\\&gt;", s)
	return s
}

# The first pass: every process's role, first and last row, and the rows
# where each pool reaches a new number of lanes at once.
function note(f,    p) {
	rows++
	p = f["pid"]
	role[p] = f["role"]
	if (f["ev"] == "spawn" && ("helper" in f))
		role[f["helper"]] = "helper"
	if (f["role"] == "wire") {
		captured = 1
		return
	}
	if (!(p in first)) {
		first[p] = rows
		starts[rows] = p
	}
	last[p] = rows
}

# Between the passes: how many lanes each role needs at once, and who comes
# first in each; then the columns, role by role.
function plan(    i, k, n, p, r, busy, ends, endp, order, lw) {
	for (p in last)
		ends[last[p]] = ends[last[p]] " " p
	nroles = split("parent worker helper client", order, " ")
	for (r = 1; r <= nroles; r++)
		seen[order[r]] = r
	for (i = 1; i <= rows; i++) {
		if ((p = starts[i]) != "") {
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
	col[p] = k
}

# The lanes of this row: * for the event, | for a lane whose process lives.
function lanes_now(me,    k, s, cell) {
	s = ""
	for (k = 1; k <= ncol; k++) {
		cell = sprintf("%-" colw[k] "s", k == me ? " *" : occupied[k] != "" ? " |" : "")
		if (k == me && color)
			sub(/\*/, paint("*", 32 + (k % 5)), cell)
		s = s cell
	}
	return s
}

# The second pass: one row per event, and its continuation lines.
function draw(f,    p, r, ev, c, t, ms, w, text, me, st, side, kh, kt, nl, i, wp, cont) {
	row++
	p = f["pid"]
	r = f["role"]
	ev = f["ev"]
	c = f["conn"]
	t = f["t"]
	if (row == 1)
		t0 = t
	ms = (t - t0) / 1e6
	dir = ""
	fl = ""
	if (ev == "drops") {
		text = "the capture lost " f["dropped"] " segments here: the numbering from here on " \
		    "is not complete"
		w = "!"
		me = 0
	} else if (r == "wire") {
		nseg++
		dir = f["dir"]
		fl = f["flags"]
		w = sprintf("#%-3d%s%s", nseg, dir == "in" ? "->" : "<-", fl)
		text = segwords(fl, f["len"]) "  seq=" f["seq"] " ack=" f["ack"]
		me = 0
	} else {
		if (first[p] == row)
			take_lane(p)
		me = col[p]
		text = say(f, r, ev, c)
		w = captured ? "" : wire
		# the socket state, where it changed for this side: the state a
		# call left (then=), or the state at the event
		st = ("then" in f) ? f["then"] : f["state"]
		side = c (r == "client" ? " client" : " server")
		if (st != "" && st != state[side]) {
			text = text " [" st "]"
			state[side] = st
		}
	}
	# a FIN or RST stands out
	wp = sprintf("%-10s", w)
	if (w ~ /RST|R|!/)
		wp = paint(wp, "1;31")
	else if (w ~ /FIN|F/)
		wp = paint(wp, 1)
	nl = wrap(text)
	printf "%9.3f %s %s %s\n", ms, lanes_now(me), wp, part[1]
	cont = lanes_now(0)
	for (i = 2; i <= nl; i++)
		printf "%9s %s %-10s %s\n", "", cont, "", part[i]
	if ("kernel" in f) {
		split(f["kernel"], kh, "->")
		kt = "kernel: held by " who(kh[1])
		if (ev != "shutdown")
			kt = kt "; after: " who(kh[2])
		nl = wrap(kt)
		for (i = 1; i <= nl; i++)
			printf "%9s %s %-10s %s\n", "", cont, "", part[i]
	}
	if (svg != "")
		svg_row(ms, me, w, r, dir, fl, text)
	# the lane is free after its process's last event
	if (me && last[p] == row)
		occupied[me] = ""
}

{
	# timeline.sh let only event lines through
	log_parse($0, f)
	if (!shown(f))
		next
	if (FNR == NR) {
		note(f)
		next
	}
	if (!planned)
		plan()
	draw(f)
}

END {
	if (rows == 0) {
		print "timeline: no connection events in the logs" > "/dev/stderr"
		exit 1
	}
	if (svg != "")
		svg_end()
}

# The SVG: a lane a column (the client's on the left of the wire, the
# server's on its right), one row an event; rows go to svg ".rows" as they
# come, and the whole file is written at the end, once its size is known.
function svg_row(ms, me, w, r, dir, fl, text,    c) {
	if (length(text) > svgtextw)
		svgtextw = length(text)
	svgn++
	printf "%.3f\t%d\t%s\t%s\t%s\t%s\t%s\n", ms, me, w, r, dir, fl, text > (svg ".rows")
}

function svg_end(    k, x, laneX, wireX, clientX, serverX, textX, rowh, top, W, H, y, c, n, v, line, rows_file) {
	rows_file = svg ".rows"
	close(rows_file)
	rowh = 22
	top = 70
	H = top + svgn * rowh + 30
	x = 120
	for (k = 1; k <= ncol; k++) {
		if (colrole[k] == "client") {
			laneX[k] = x
			clientX = x
			x += 150
		}
	}
	wireX = x
	x += 150
	serverX = x
	for (k = 1; k <= ncol; k++) {
		if (colrole[k] != "client") {
			laneX[k] = x
			x += 150
		}
	}
	textX = x
	# monospace at 12 px: about 7.3 px a character
	W = textX + int(svgtextw * 7.3) + 20
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	    "font-family=\"monospace\" font-size=\"12\">\n", W, H > svg
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > svg
	printf "<defs><marker id=\"a\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" " \
	    "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#333\"/></marker></defs>\n" > svg
	for (k = 1; k <= ncol; k++) {
		printf "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">%s %s</text>\n", \
		    laneX[k], colrole[k], occupant[k] > svg
		printf "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", \
		    laneX[k], laneX[k], H - 20 > svg
	}
	printf "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">wire</text>\n", \
	    wireX > svg
	printf "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\" " \
	    "stroke-dasharray=\"4 4\"/>\n", wireX, wireX, H - 20 > svg
	for (n = 0; (getline line < rows_file) > 0; n++) {
		split(line, v, "\t")
		y = top + n * rowh
		printf "<text x=\"10\" y=\"%d\">%s ms</text>\n", y + 4, v[1] > svg
		if (v[4] == "wire" && v[5] != "") {
			c = v[6] ~ /R/ ? "#c00" : v[6] ~ /F/ ? "#06c" : "#333"
			if (v[5] == "in")
				printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
				    "marker-end=\"url(#a)\"/>\n", clientX, y, serverX - 10, y, c > svg
			else
				printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
				    "marker-end=\"url(#a)\"/>\n", serverX, y, clientX + 10, y, c > svg
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n", \
			    wireX, y - 3, c, xml(v[3]) > svg
		} else if (v[2] > 0) {
			printf "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/>\n", laneX[v[2]], y, \
			    v[3] ~ /RST/ ? "#c00" : v[3] ~ /FIN/ ? "#06c" : "#333" > svg
		}
		printf "<text x=\"%d\" y=\"%d\">%s</text>\n", textX, y + 4, xml(v[7]) > svg
	}
	close(rows_file)
	print "</svg>" > svg
	close(svg)
}
