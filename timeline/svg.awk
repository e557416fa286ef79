# svg.awk: the timeline as an SVG sequence diagram (with timeline.awk,
# which calls svg_row() for each row it draws and svg_end() at its end).
#
# A lane a process, from the first row that concerns it to the last (a
# helper from its spawn to its exit), clients on the left, then the
# kernel's end of each side with the wire between them, then the server's
# processes. A call is a dot on its process's lane. A segment is an arrow
# from the lane of the process whose call put it on the wire (its write,
# its shutdown, its last close or exit) to the other side's kernel; one the
# kernel sent by itself (an ACK, a SYN-ACK, a retransmission, an RST in
# answer) starts at its side's kernel. Time runs down, to scale with
# breaks: each row is ROW px below the last plus PXMS px a millisecond
# between them, and a gap longer than GAPMS is drawn as GAPMS, marked with
# its length. Every call and segment is a <g> with data-t (ns), data-pid
# (for a segment, its sender's pid, or "kernel") and, for a segment,
# data-flags as tcpdump spells them.

# The rows go to svg ".rows" as they come, tab-separated; the file is
# written at the end, once its size is known. p: the row's process ("" for
# a segment or a note); also: a pid the row speaks for (a helper spawned
# or reaped, a process whose exit closed its copy); sent: what the call
# sent, as say() put it in the wire column.
function svg_row(t, ms, p, r, ev, c, dir, fl, len, sent, also, text) {
	if (length(text) > svgtextw)
		svgtextw = length(text)
	printf "%s\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t, ms, p, r, ev, c, dir, fl, \
	    len, sent, also, text > (svg ".rows")
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

# The pid that sent segment i (a row of the first pass): the call that
# sent its FIN or RST, for the first such segment of its side; for data,
# the side's last write at or before it (or else its first after); or
# "kernel".
function sender_of(i,    s, k, n, best) {
	s = sv_dir[i] == "in" ? "c" : "s"
	k = sv_conn[i]
	if (sv_flags[i] ~ /R/) {
		if (!((s, k) in rst_by) || ((s, k) in rst_drawn))
			return "kernel"
		rst_drawn[s, k] = 1
		return rst_by[s, k]
	}
	if (sv_flags[i] ~ /F/ && ((s, k) in fin_by) && !((s, k) in fin_drawn)) {
		fin_drawn[s, k] = 1
		return fin_by[s, k]
	}
	if (sv_flags[i] ~ /S/ && s == "c" && (k in opener))
		return opener[k]
	if (sv_len[i] > 0) {
		for (n = 1; n <= nwrites[s, k]; n++) {
			if (wrow[s, k, n] > i && best != "")
				break
			best = wpid[s, k, n]
		}
		if (best != "")
			return best
	}
	return "kernel"
}

# Row n concerns pid (if any): its lane spans it.
function spans(pid, n) {
	if (pid == "")
		return
	if (!(pid in firstrow)) {
		firstrow[pid] = n
		appear[++nappear] = pid
	}
	lastrow[pid] = n
}

# A lane of pid from row a to row b: its line and its name.
function lane(pid, a, b) {
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-width=\"2\"/>\n", \
	    laneX[pid], sv_y[a] - 8, laneX[pid], sv_y[b] + 8 > svg
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">" \
	    "%s %s</text>\n", laneX[pid], sv_y[a] - 12, pid in role ? role[pid] : "pid", pid > svg
}

# Write the whole file, now that its size is known.
function svg_end(    ROW, PXMS, GAPMS, rows_file, line, cell, n, i, gap, pid, k, x, W, H, top, kx, \
    wireX, textX, head, nh, from, to, ink, s, order, nord, r, j, nl) {
	ROW = 18
	PXMS = 2
	GAPMS = 50
	arrowhead["#c00"] = "rst"
	arrowhead["#06c"] = "fin"
	arrowhead["#777"] = "seg"
	rows_file = svg ".rows"
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
		sv_len[n] = cell[9]
		sv_sent[n] = cell[10]
		sv_text[n] = cell[12]
		spans(cell[3], n)
		spans(cell[11], n)
		s = side_of(cell[4])
		from = cell[11] != "" && cell[10] != "" ? cell[11] : cell[3]
		if (cell[10] ~ /FIN/ && !((s, cell[6]) in fin_by))
			fin_by[s, cell[6]] = from
		if (cell[10] ~ /RST/ && !((s, cell[6]) in rst_by))
			rst_by[s, cell[6]] = from
		if (cell[5] == "write" && cell[3] != "") {
			k = ++nwrites[s, cell[6]]
			wrow[s, cell[6], k] = n
			wpid[s, cell[6], k] = cell[3]
		}
		if (cell[5] == "connect")
			opener[cell[6]] = cell[3]
		# to scale, with breaks
		gap = n > 1 ? sv_ms[n] - sv_ms[n - 1] : 0
		if (gap > GAPMS)
			sv_brk[n] = gap
		sv_dy[n] = ROW + PXMS * (gap > GAPMS ? GAPMS : gap)
	}
	close(rows_file)
	# the head: a title, this run in a sentence, the legend, and the
	# missing capture said
	head[nh = 1] = "closelab: " (want != "" ? "connection " want : onlyconn != "" && !manyconns ? \
	    "connection " onlyconn : "the connections of the logs") ", " n " events"
	if (!manyconns) {
		textw = 110
		for (i = 1; i <= (nl = wrap(run_sentence())); i++)
			head[++nh] = part[i]
	}
	head[++nh] = "A dot is a call of the process on its lane. An arrow is a segment, from the lane of the " \
	    "process whose call sent it, or from its side's kernel (ACKs, retransmissions):"
	head[++nh] = "blue FIN, red RST, grey data and ACKs. Rows are " ROW " px apart plus " PXMS \
	    " px a millisecond; a gap over " GAPMS " ms is drawn as " GAPMS " ms, marked with its length."
	if (!captured)
		head[++nh] = "No segment was captured (that needs Linux and root or CAP_NET_RAW): the " \
		    "calls are drawn, but no arrow."
	top = 30 + nh * 16 + 40
	for (i = 1; i <= n; i++)
		sv_y[i] = (i == 1 ? top : sv_y[i - 1]) + (i == 1 ? 0 : sv_dy[i])
	H = (n ? sv_y[n] : top) + 40
	# the lanes: clients, the client's kernel, the wire, the server's
	# kernel, then the server's processes by role
	x = 100
	for (j = 1; j <= nappear; j++)
		if (role[pid = appear[j]] == "client") {
			laneX[pid] = x
			x += 120
		}
	kx["c"] = x
	wireX = x + 90
	kx["s"] = x + 180
	x += 300
	nord = split("parent worker helper", order, " ")
	for (r = 1; r <= nord + 1; r++)
		for (j = 1; j <= nappear; j++)
			if (!((pid = appear[j]) in laneX) && (r > nord || role[pid] == order[r])) {
				laneX[pid] = x
				x += 120
			}
	textX = x
	W = textX + int(svgtextw * 7.3) + 20
	for (i = 1; i <= nh; i++)
		if (30 + length(head[i]) * 7.3 > W)
			W = 30 + int(length(head[i]) * 7.3)
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	    "font-family=\"monospace\" font-size=\"12\">\n", W, H > svg
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > svg
	printf "<defs>" > svg
	for (ink in arrowhead)
		printf "<marker id=\"%s\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" " \
		    "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"%s\"/></marker>", arrowhead[ink], \
		    ink > svg
	printf "</defs>\n" > svg
	printf "<title>%s</title>\n", xml(head[1]) > svg
	for (i = 1; i <= nh; i++)
		printf "<text x=\"10\" y=\"%d\"%s>%s</text>\n", 14 + i * 16, \
		    i == 1 ? " font-size=\"14\" font-weight=\"bold\"" : "", xml(head[i]) > svg
	for (s in kx) {
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">" \
		    "%s's kernel</text>\n", kx[s], top - 24, s == "c" ? "client" : "server" > svg
		printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\" " \
		    "stroke-dasharray=\"4 4\"/>\n", kx[s], top - 16, kx[s], H - 20 > svg
	}
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">" \
	    "wire</text>\n", wireX, top - 24 > svg
	for (pid in laneX)
		lane(pid, firstrow[pid], lastrow[pid])
	for (i = 1; i <= n; i++) {
		if (i in sv_brk) {
			printf "<line class=\"break\" x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\" " \
			    "stroke-dasharray=\"2 4\"/>\n", sv_y[i] - sv_dy[i] / 2, W - 10, sv_y[i] - sv_dy[i] / 2 > svg
			printf "<text x=\"%d\" y=\"%d\" fill=\"#666\">... %.3f ms ...</text>\n", wireX - 50, \
			    sv_y[i] - sv_dy[i] / 2 - 4, sv_brk[i] > svg
		}
		printf "<text x=\"10\" y=\"%d\">%s ms</text>\n", sv_y[i] + 4, sv_ms[i] > svg
		if (sv_role[i] == "wire" && sv_dir[i] != "") {
			pid = sender_of(i)
			s = sv_dir[i] == "in" ? "c" : "s"
			from = pid == "kernel" || !(pid in laneX) ? kx[s] : laneX[pid]
			to = sv_dir[i] == "in" ? kx["s"] : kx["c"]
			ink = sv_flags[i] ~ /R/ ? "#c00" : sv_flags[i] ~ /F/ ? "#06c" : "#777"
			printf "<g class=\"segment\" data-t=\"%s\" data-pid=\"%s\" data-flags=\"%s\" data-dir=\"%s\">", sv_t[i], pid, \
			    sv_flags[i], sv_dir[i] > svg
			printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
			    "marker-end=\"url(#%s)\"/>", from, sv_y[i], to + (to > from ? -8 : 8), sv_y[i], ink, \
			    arrowhead[ink] > svg
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text></g>\n", \
			    wireX, sv_y[i] - 3, ink, xml(sv_flags[i]) > svg
		} else if (sv_pid[i] != "" && (sv_pid[i] in laneX)) {
			ink = sv_sent[i] ~ /RST/ ? "#c00" : sv_sent[i] ~ /FIN/ ? "#06c" : "#333"
			printf "<g class=\"call\" data-t=\"%s\" data-pid=\"%s\"><circle cx=\"%d\" cy=\"%d\" " \
			    "r=\"4\" fill=\"%s\"/></g>\n", sv_t[i], sv_pid[i], laneX[sv_pid[i]], sv_y[i], ink > svg
		}
		printf "<text x=\"%d\" y=\"%d\">%s</text>\n", textX, sv_y[i] + 4, xml(sv_text[i]) > svg
	}
	print "</svg>" > svg
	close(svg)
}
