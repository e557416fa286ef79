# svg.awk: the timeline as an SVG sequence diagram (with timeline.awk,
# which calls svg_row() for each row it draws and svg_end() at its end).
#
# A lane a process, from the first row that concerns it to the last (a
# child from its fork, a helper from its spawn); a lane is free again after
# its process, for another of the same side. Clients are on the left, then
# the kernel's end of each side with the wire between them, then the
# server's processes. A call is a dot on its process's lane. A segment is
# an arrow from the lane of the process whose call put it on the wire (its
# connect, its write, its shutdown, its last close or exit) to the other
# side's kernel; one the kernel sent by itself (an ACK, a SYN-ACK, a
# retransmission, an RST in answer) starts at its own side's kernel. Time
# runs down, to scale with breaks (svg_gaps()). Every call and segment is
# a <g> with data-t (ns), data-pid (for a segment, its sender's pid, or
# "kernel") and, for a segment, data-flags as tcpdump spells them and
# data-dir.

# The rows go to rows_path() as they come, one a line, tab-separated; the
# file is written at the end, once its size is known. p: the process whose
# lane has the row ("" for a segment or a note); sent: F or R, what the
# call sent, as say() found it; also: the child or helper the row forks or
# spawns, whose lane begins there; raw: the log line; held: its holders=
# (a->b); st: the socket's state after it.
function svg_row(t, ms, p, r, ev, c, dir, fl, len, seq, sent, also, text, raw, held, st) {
	gsub(/\t/, " ", text)
	gsub(/\t/, " ", raw)
	if (length(text) > svgtextw)
		svgtextw = length(text)
	printf "%s\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t, ms, p, r, ev, c, \
	    dir, fl, len, seq, sent, also, text, raw, held, st > rows_path()
}

# s with the characters XML gives a meaning to escaped.
function xml(s) {
	gsub(/&/, "\\&amp;", s)
	gsub(/</, "\\&lt;", s)
	gsub(/>/, "\\&gt;", s)
	gsub(/"/, "\\&quot;", s)
	return s
}

# The side of a role: c for the client, s for the server's processes.
function side_of(r) {
	return r == "client" ? "c" : "s"
}

# Pair calls and the segments they sent, of one kind (S a connect, F a FIN,
# R an RST), side and connection, in their order, whichever is logged
# first (an exit is logged when its process is reaped, after its FIN):
# sv_from[row] is the pid of the segment's call. A segment that no call
# claims was the kernel's.
function sent_call(kind, s, k, pid) {
	if (sv_segs[kind, s, k] > sv_seg0[kind, s, k])
		sv_from[sv_segq[kind, s, k, ++sv_seg0[kind, s, k]]] = pid
	else
		sv_callq[kind, s, k, ++sv_calls[kind, s, k]] = pid
}

function sent_segment(kind, s, k, n) {
	if (sv_calls[kind, s, k] > sv_call0[kind, s, k])
		sv_from[n] = sv_callq[kind, s, k, ++sv_call0[kind, s, k]]
	else
		sv_segq[kind, s, k, ++sv_segs[kind, s, k]] = n
}

# Row n of the first pass, a segment: whose call sent it. Data goes to the
# side's last write (or, before any, the next); a segment that repeats
# what was sent already (seq below the highest sent) is a retransmission.
# A SYN starts the connection's numbers again (a port used again).
function segment_sender(n, fl, len, seq,    s, k) {
	s = sv_dir[n] == "in" ? "c" : "s"
	k = sv_conn[n]
	if (fl == "S") {
		delete sv_hi[k, "c"]
		delete sv_hi[k, "s"]
	}
	if (seq + 0 < sv_hi[k, s] + 0 && fl !~ /R/)
		return
	if (seq + len + (fl ~ /[SF]/) > sv_hi[k, s] + 0)
		sv_hi[k, s] = seq + len + (fl ~ /[SF]/)
	if (fl == "S")
		sent_segment("S", s, k, n)
	else if (fl ~ /R/)
		sent_segment("R", s, k, n)
	else if (fl ~ /F/)
		sent_segment("F", s, k, n)
	else if (len > 0 && ((s, k) in sv_writer))
		sv_from[n] = sv_writer[s, k]
	else if (len > 0)
		sv_unwritten[s, k] = sv_unwritten[s, k] " " n
}

# Row n of the first pass, a call: what it sent, and whose data is next.
function call_sends(n, ev, sent,    s, k, i, m, w) {
	s = side_of(sv_role[n])
	k = sv_conn[n]
	if (ev == "connect")
		sent_call("S", s, k, sv_pid[n])
	if (sent != "")
		sent_call(sent, s, k, sv_pid[n])
	if (ev != "write")
		return
	sv_writer[s, k] = sv_pid[n]
	m = split(sv_unwritten[s, k], w, " ")
	for (i = 1; i <= m; i++)
		sv_from[w[i]] = sv_pid[n]
	delete sv_unwritten[s, k]
}

# Row n concerns pid (if any): its lane spans it.
function spans(pid, n) {
	if (pid == "")
		return
	if (!(pid in sv_first)) {
		sv_first[pid] = n
		sv_appear[++sv_nappear] = pid
	}
	sv_last[pid] = n
}

# The lanes of one side (clients, or the server's processes in the order
# of ROLES, others last), from x: each process the lowest lane free since
# its previous process's last row; the x after them.
function svg_lanes(clients, roles, x,    order, nord, r, j, pid, rp, k, nl, free) {
	nord = split(roles, order, " ")
	for (r = 1; r <= nord + 1; r++)
		for (j = 1; j <= sv_nappear; j++) {
			pid = sv_appear[j]
			rp = (pid in role) ? role[pid] : ""
			if ((pid in sv_laneX) || ((rp == "client") != clients) ||
			    (r <= nord && rp != order[r]) || (r > nord && index(" " roles " ", " " rp " ")))
				continue
			for (k = 1; k <= nl && free[k] >= sv_first[pid]; k++)
				;
			if (k > nl)
				nl = k
			free[k] = sv_last[pid]
			sv_laneX[pid] = x + (k - 1) * 120
		}
	return x + nl * 120
}

# The rows' heights, to scale with breaks: ROW px below the last, plus PXMS
# px a millisecond up to GAPMS; a longer gap is cut there, marked with its
# length, and still drawn a little taller for each doubling of it, so that
# the longest wait stays the tallest.
function svg_gaps(n, ROW, PXMS, GAPMS,    i, gap, d) {
	for (i = 2; i <= n; i++) {
		gap = sv_ms[i] - sv_ms[i - 1]
		sv_dy[i] = ROW + PXMS * (gap > GAPMS ? GAPMS : gap)
		if (gap <= GAPMS)
			continue
		sv_brk[i] = gap
		# 10 px a doubling, straight between (no log(): busybox may lack it)
		for (d = gap / GAPMS; d >= 2; d /= 2)
			sv_dy[i] += 10
		sv_dy[i] += 10 * (d - 1)
	}
}

# A lane of pid from row a to row b: its line and its name.
function lane(pid, a, b) {
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-width=\"2\"/>\n", \
	    sv_laneX[pid], sv_y[a] - 8, sv_laneX[pid], sv_y[b] + 8 > svg
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">" \
	    "%s %s</text>\n", sv_laneX[pid], sv_y[a] - 12, (pid in role) ? role[pid] : "process", \
	    xml(pid) > svg
}

# The head: a title, this run in a sentence, the legend, and a missing
# capture said; n events. Sets head[1..nh]; returns nh.
function svg_head(n, ROW, PXMS, GAPMS,    nh, i, nl, s, w) {
	head[nh = 1] = "closelab: " (want != "" ? "connection " want : !manyconns && onlyconn != "" ? \
	    "connection " onlyconn : "the connections of the logs") ", " n " events"
	if ((s = run_sentence()) != "") {
		w = textw
		textw = 110
		nl = wrap(s)
		textw = w
		for (i = 1; i <= nl; i++)
			head[++nh] = part[i]
	}
	head[++nh] = "A dot is a call of the process on its lane. An arrow is a segment, from the lane of the " \
	    "process whose call sent it, or from its side's kernel (ACKs, retransmissions):"
	head[++nh] = "blue FIN, red RST, grey data and ACKs. Rows are " ROW " px apart plus " PXMS \
	    " px a millisecond; a gap over " GAPMS " ms is cut, marked with its length."
	if (!captured)
		head[++nh] = "No segment is in these logs (capturing them needs Linux and root or " \
		    "CAP_NET_RAW): the calls are drawn, but no arrow."
	return nh
}

# The drawing's rows, as svg_row() writes them.
function rows_path() {
	return (svg != "" ? svg : html) ".rows"
}

# Lay the drawing out, now that its size is known, and write it: the SVG
# (svg), the HTML page (html), or both.
function svg_end(    ROW, PXMS, GAPMS, rows_file, line, cell, n, i) {
	ROW = 18
	PXMS = 2
	GAPMS = 50
	rows_file = rows_path()
	close(rows_file)
	# the first pass: the rows, the processes and who sent what
	for (n = 0; (getline line < rows_file) > 0; ) {
		split(line, cell, "\t")
		n++
		sv_t[n] = cell[1]
		sv_ms[n] = cell[2]
		sv_pid[n] = cell[3]
		sv_role[n] = cell[4]
		sv_conn[n] = cell[6]
		sv_dir[n] = cell[7]
		sv_flags[n] = cell[8]
		sv_sent[n] = cell[11]
		sv_text[n] = cell[13]
		sv_raw[n] = cell[14]
		sv_held[n] = cell[15]
		sv_state[n] = cell[16]
		spans(cell[3], n)
		spans(cell[12], n)
		if (cell[4] == "wire" && cell[7] != "")
			segment_sender(n, cell[8], cell[9] + 0, cell[10] + 0)
		else if (cell[3] != "")
			call_sends(n, cell[5], cell[11])
	}
	close(rows_file)
	sv_n = n
	sv_nh = svg_head(n, ROW, PXMS, GAPMS)
	sv_top = 30 + sv_nh * 16 + 40
	svg_gaps(n, ROW, PXMS, GAPMS)
	for (i = 1; i <= n; i++)
		sv_y[i] = i == 1 ? sv_top : sv_y[i - 1] + sv_dy[i]
	sv_H = (n ? sv_y[n] : sv_top) + 40
	sv_kx["c"] = svg_lanes(1, "", 100)
	sv_wireX = sv_kx["c"] + 90
	sv_kx["s"] = sv_kx["c"] + 180
	sv_textX = svg_lanes(0, "parent worker helper", sv_kx["c"] + 300)
	sv_W = sv_textX + int(svgtextw * 7.3) + 20
	for (i = 1; i <= sv_nh; i++)
		if (30 + length(head[i]) * 7.3 > sv_W)
			sv_W = 30 + int(length(head[i]) * 7.3)
	sv_ink["F"] = "#06c"
	sv_ink["R"] = "#c00"
	sv_ink["."] = "#777"
	# each row's segment: its sender's lane, its ends, its ink
	for (i = 1; i <= n; i++) {
		if (sv_role[i] != "wire" || sv_dir[i] == "")
			continue
		sv_spid[i] = (i in sv_from) ? sv_from[i] : "kernel"
		sv_side[i] = sv_dir[i] == "in" ? "c" : "s"
		sv_x1[i] = (sv_spid[i] in sv_laneX) ? sv_laneX[sv_spid[i]] : sv_kx[sv_side[i]]
		sv_x2[i] = sv_side[i] == "c" ? sv_kx["s"] : sv_kx["c"]
		sv_kind[i] = sv_flags[i] ~ /R/ ? "R" : sv_flags[i] ~ /F/ ? "F" : "."
	}
	if (svg != "")
		svg_write()
	if (html != "")
		html_write()
}

# The SVG.
function svg_write(    i, s, pid) {
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	    "font-family=\"monospace\" font-size=\"12\">\n", sv_W, sv_H > svg
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<defs>" > svg
	for (i = 1; i <= 3; i++) {
		s = substr("FR.", i, 1)
		printf "<marker id=\"m%d\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" " \
		    "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"%s\"/></marker>", i, sv_ink[s] > svg
	}
	printf "</defs>\n<title>%s</title>\n", xml(head[1]) > svg
	for (i = 1; i <= sv_nh; i++)
		printf "<text x=\"10\" y=\"%d\"%s>%s</text>\n", 14 + i * 16, \
		    i == 1 ? " font-size=\"14\" font-weight=\"bold\"" : "", xml(head[i]) > svg
	for (i = 1; i <= 3; i++) {
		s = substr("cws", i, 1)
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">" \
		    "%s</text>\n", s == "w" ? sv_wireX : sv_kx[s], sv_top - 24, s == "w" ? "wire" : s == "c" ? \
		    "client's kernel" : "server's kernel" > svg
		if (s != "w")
			printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\" " \
			    "stroke-dasharray=\"4 4\"/>\n", sv_kx[s], sv_top - 16, sv_kx[s], sv_H - 20 > svg
	}
	for (i = 1; i <= sv_nappear; i++) {
		pid = sv_appear[i]
		lane(pid, sv_first[pid], sv_last[pid])
	}
	for (i = 1; i <= sv_n; i++) {
		if (i in sv_brk) {
			printf "<line class=\"break\" x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" " \
			    "stroke-dasharray=\"2 4\"/>\n", sv_y[i] - sv_dy[i] / 2, sv_W - 10, \
			    sv_y[i] - sv_dy[i] / 2 > svg
			printf "<text x=\"%d\" y=\"%d\" fill=\"#666\">... %.3f ms ...</text>\n", sv_wireX - 50, \
			    sv_y[i] - sv_dy[i] / 2 - 4, sv_brk[i] > svg
		}
		printf "<text x=\"10\" y=\"%d\">%s ms</text>\n", sv_y[i] + 4, sv_ms[i] > svg
		if (i in sv_kind) {
			s = sv_kind[i]
			printf "<g class=\"segment\" data-t=\"%s\" data-pid=\"%s\" data-flags=\"%s\" " \
			    "data-dir=\"%s\">", xml(sv_t[i]), xml(sv_spid[i]), xml(sv_flags[i]), xml(sv_dir[i]) > svg
			printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
			    "marker-end=\"url(#m%d)\"/>", sv_x1[i], sv_y[i], sv_x2[i] + (sv_x2[i] > sv_x1[i] ? -8 : 8), \
			    sv_y[i], sv_ink[s], index("FR.", s) > svg
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text></g>\n", \
			    sv_wireX, sv_y[i] - 3, sv_ink[s], xml(sv_flags[i]) > svg
		} else if (sv_pid[i] in sv_laneX) {
			printf "<g class=\"call\" data-t=\"%s\" data-pid=\"%s\"><circle cx=\"%d\" cy=\"%d\" " \
			    "r=\"4\" fill=\"%s\"/></g>\n", xml(sv_t[i]), xml(sv_pid[i]), sv_laneX[sv_pid[i]], \
			    sv_y[i], sv_sent[i] == "" ? "#333" : sv_ink[sv_sent[i]] > svg
		}
		printf "<text x=\"%d\" y=\"%d\">%s</text>\n", sv_textX, sv_y[i] + 4, xml(sv_text[i]) > svg
	}
	print "</svg>" > svg
	close(svg)
}
