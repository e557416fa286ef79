#!/bin/sh
# timeline: merge closelab logs (server, client, wire) into one timeline of
# a connection: a lane for each process and for the wire, each event in
# words, the segments numbered, the time relative to the first event.
#
# usage: timeline [--conn ID] [--svg FILE] LOG...
# Lines are ordered by t= (CLOCK_MONOTONIC: one clock for every process on
# a host). Only events of connections are shown: all of them, or those of
# connection ID (the client's address:port) with --conn. --svg FILE also
# draws the timeline as an SVG sequence diagram. Colour only on a terminal.

usage() {
	echo "usage: timeline [--conn ID] [--svg FILE] LOG..." >&2
	exit 2
}

conn=
svg=
while [ $# -gt 0 ]; do
	case $1 in
	--conn) [ $# -ge 2 ] || usage; conn=$2; shift 2 ;;
	--conn=*) conn=${1#--conn=}; shift ;;
	--svg) [ $# -ge 2 ] || usage; svg=$2; shift 2 ;;
	--svg=*) svg=${1#--svg=}; shift ;;
	-h|--help) echo "usage: timeline [--conn ID] [--svg FILE] LOG..."; exit 0 ;;
	--) shift; break ;;
	-*) echo "timeline: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
for f; do
	[ -r "$f" ] || { echo "timeline: cannot read $f" >&2; exit 1; }
done
# in a subshell: a failed redirection of a special built-in ends the shell
if [ -n "$svg" ] && ! (: >"$svg") 2>/dev/null; then
	echo "timeline: cannot write $svg" >&2
	exit 1
fi
color=0
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] && color=1

# t= is the first field: order numerically on what follows "t="
sort -t= -k2,2n "$@" | awk -v want="$conn" -v svg="$svg" -v color="$color" '
function val(line, key,    i, n, f) {
	n = split(line, f, " ")
	for (i = 1; i <= n; i++)
		if (index(f[i], key "=") == 1)
			return substr(f[i], length(key) + 2)
	return ""
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
# What one event means, in words; sets wire to a FIN or RST it sends.
function say(l, r, ev,    h, hh, to, b, e, seg, why) {
	b = val(l, "bytes"); e = val(l, "err"); h = val(l, "holders")
	wire = ""
	if (e == "ECONNRESET" || e == "EPIPE" || ev == "rst")
		reset[c] = 1
	if (ev == "connect")
		return "connect() to " val(l, "peer")
	if (ev == "accept")
		return "accept() as fd " val(l, "fd") "; holders " h
	if (ev == "handoff")
		return e != "" ? "handoff to worker " val(l, "worker") " failed: " e \
		    : "pass fd " val(l, "fd") " to worker " val(l, "worker") " (SCM_RIGHTS); holders " h
	if (ev == "fork")
		return e != "" ? "fork() failed: " e \
		    : "fork() child " val(l, "child") ", which inherits fd " val(l, "fd") "; holders " h
	if (ev == "take")
		return "take the connection as fd " val(l, "fd") "; holders " h
	if (ev == "spawn")
		return e != "" ? "spawning the helper failed: " e \
		    : val(l, "inherits") == "yes" \
		    ? "spawn helper " val(l, "helper") ", which inherits the socket; holders " h \
		    : "spawn helper " val(l, "helper") "; close-on-exec keeps the socket from it"
	if (ev == "exit")
		return "helper " val(l, "helper") " exits with status " val(l, "status")
	if (ev == "read") {
		if (val(l, "nothing") != "")
			return "read: nothing came"
		return e != "" ? "read() fails: " e : "read " b " bytes"
	}
	if (ev == "write")
		return e != "" ? "write() fails: " e : "write " b " bytes"
	if (ev == "eof")
		return r == "client" ? "read() returns 0: EOF, the server'"'"'s FIN came" \
		    : "read() returns 0: EOF"
	if (ev == "rst")
		return "read() fails: " e ": the connection was reset"
	if (ev == "timeout")
		return "gives up after " val(l, "ms") " ms: no EOF"
	if (ev == "linger")
		return e != "" ? "SO_LINGER fails: " e \
		    : "set SO_LINGER {1, 0}: the last close will send RST"
	if (ev == "leak")
		return "never closes fd " val(l, "fd") ": CLOSE_WAIT stays"
	if (ev == "dup")
		return e != "" ? "dup() fails: " e : "dup(" val(l, "fd") ") = " val(l, "dup")
	if (ev == "shutdown") {
		if (e != "")
			return "shutdown(" val(l, "how") ") fails: " e
		if (r == "client") {
			cfin[c] = 1
			wire = "FIN ->"
			return "shutdown(SHUT_WR): FIN to the server"
		}
		if (val(l, "how") == "SHUT_RD")
			return "shutdown(SHUT_RD), holders " h ": nothing is sent"
		sfin[c] = 1
		wire = "<- FIN"
		return "shutdown(" val(l, "how") "), holders " h ": FIN at once"
	}
	if (ev == "close") {
		if (e != "")
			return "close() fails: " e
		if (r == "client") {
			if (val(l, "linger") == "0") {
				wire = "RST ->"
				return "close() with SO_LINGER {1, 0}: RST"
			}
			if (cfin[c] || reset[c])
				return "close()"
			cfin[c] = 1
			wire = "FIN ->"
			return "close(): FIN to the server"
		}
		if (val(l, "dups") != "")
			return "close() fd " val(l, "fd") ": another fd of this process " \
			    "still refers to the socket: nothing is sent"
		split(h, hh, "->"); to = hh[2]
		if (val(l, "by") == "exit")
			b = "process " val(l, "exited") " exits, the kernel closes its copy"
		else if (val(l, "keep") != "")
			b = "close() its copy (keep: " val(l, "keep") ")"
		else
			b = "close() fd " val(l, "fd")
		# what a last close sends
		seg = "FIN"; why = ""
		if (val(l, "linger") == "0") {
			seg = "RST"; why = " (SO_LINGER 0)"
		} else if (val(l, "unread") > 0) {
			seg = "RST"; why = " (" val(l, "unread") " bytes unread)"
		}
		if (to > 0)
			return b ", holders " h ": nothing is sent, " others(to)
		if (reset[c])
			return b ", holders " h ": nothing is sent, the connection was reset"
		if (sfin[c] && seg == "FIN")
			return b ", holders " h ": the FIN left already"
		sfin[c] = 1
		wire = "<- " seg
		return b ", holders " h ": last holder, " seg why
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
	gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
	return s
}

# Read the events of the connection(s), noting every process.
{
	c = val($0, "conn")
	if (c == "-") {
		# not a connection event, but it names a process
		if ($0 ~ / ev=spawn helper=/)
			role[val($0, "helper")] = "helper"
		next
	}
	if (want != "" && c != want)
		next
	n++
	line[n] = $0
	p = val($0, "pid"); r = val($0, "role")
	role[p] = r
	if (r == "wire")
		captured = 1
	else if (!(p in lane)) {
		lane[p] = ++nlanes
		lanepid[nlanes] = p
	}
	if (val($0, "ev") == "spawn" && val($0, "helper") != "")
		role[val($0, "helper")] = "helper"
}

END {
	if (n == 0) {
		print "timeline: no connection events in the logs" > "/dev/stderr"
		exit 1
	}
	# lanes in a fixed order: parent, workers, helpers, client
	order = 0
	split("parent worker helper client", kinds, " ")
	for (k = 1; k <= 4; k++)
		for (i = 1; i <= nlanes; i++)
			if (role[lanepid[i]] == kinds[k])
				col[lanepid[i]] = ++order
	# 80 columns: "ms lanes wire text"
	lw = 3 * order
	textw = 80 - (9 + 1 + lw + 1 + 10 + 1)
	if (textw < 30)
		textw = 30	# many processes: wider than 80 columns
	for (i = 1; i <= order; i++)
		for (p in col)
			if (col[p] == i)
				colpid[i] = p

	printf "lanes:"
	for (i = 1; i <= order; i++)
		printf " %s %s %s%s", substr("ABCDEFGH", i, 1), role[colpid[i]], colpid[i], \
		    i < order ? "," : "\n"
	printf "%9s ", "ms"
	for (i = 1; i <= order; i++)
		printf "%-3s", " " substr("ABCDEFGH", i, 1)
	printf "%-11s%s\n", "wire", "event"

	t0 = val(line[1], "t")
	nseg = 0
	for (j = 1; j <= n; j++) {
		l = line[j]; p = val(l, "pid"); r = role[p]; ev = val(l, "ev"); c = val(l, "conn")
		t = val(l, "t"); ms = (t - t0) / 1e6
		if (first[p] == "")
			first[p] = j
		if (r == "wire") {
			nseg++
			dir = val(l, "dir"); fl = val(l, "flags"); len = val(l, "len")
			w = sprintf("#%-3d%s%s", nseg, dir == "in" ? "->" : "<-", fl)
			text = segwords(fl, len) "  seq=" val(l, "seq") " ack=" val(l, "ack")
			me = 0
		} else {
			text = say(l, r, ev)
			w = captured ? "" : wire
			me = col[p]
			# the socket state, where it changed for this side
			st = val(l, "state"); side = c (r == "client" ? " client" : " server")
			if (st != "" && st != state[side]) {
				text = text " [" st "]"
				state[side] = st
			}
		}
		# the lanes: * for the event, | for a process that has begun
		lanes = ""
		for (i = 1; i <= order; i++) {
			q = colpid[i]
			if (i == me)
				lanes = lanes " " paint("*", 32 + (i % 5)) " "
			else if (first[q] != "" && first[q] <= j)
				lanes = lanes " | "
			else
				lanes = lanes "   "
		}
		# a FIN or RST stands out
		wp = sprintf("%-10s", w)
		if (w ~ /RST|R/)
			wp = paint(wp, "1;31")
		else if (w ~ /FIN|F/)
			wp = paint(wp, 1)
		row_text[j] = text
		nl = wrap(text)
		printf "%9.3f %s %s %s\n", ms, lanes, wp, part[1]
		cont = lanes
		gsub(/\*/, "|", cont)
		gsub(/\033\[[0-9;]*m/, "", cont)
		for (i = 2; i <= nl; i++)
			printf "%9s %s %-10s %s\n", "", cont, "", part[i]
		if (val(l, "kernel") != "") {
			split(val(l, "kernel"), kh, "->")
			kt = "kernel: held by " who(kh[1])
			if (ev != "shutdown")
				kt = kt "; after: " who(kh[2])
			nl = wrap(kt)
			for (i = 1; i <= nl; i++)
				printf "%9s %s %-10s %s\n", "", cont, "", part[i]
		}
		row_ms[j] = ms
		row_col[j] = me; row_w[j] = w; row_r[j] = r; row_dir[j] = dir; row_fl[j] = fl
	}
	if (svg != "")
		draw()
}

# The SVG sequence diagram: a lane a process, the wire between the client
# and the server, one row an event.
function draw(    x, y, i, j, W, H, laneX, wireX, clientX, serverX, textX, c, rowh, top) {
	rowh = 22; top = 70
	H = top + n * rowh + 30
	# the client lane on the left, the wire, then the server processes
	x = 120
	for (i = 1; i <= order; i++)
		if (role[colpid[i]] == "client") {
			laneX[i] = x; clientX = x; x += 150
		}
	wireX = x; x += 150
	serverX = x
	for (i = 1; i <= order; i++)
		if (role[colpid[i]] != "client") {
			laneX[i] = x; x += 150
		}
	textX = x
	# monospace at 12 px: about 7.3 px a character
	W = 0
	for (j = 1; j <= n; j++)
		if (length(row_text[j]) > W)
			W = length(row_text[j])
	W = textX + int(W * 7.3) + 20
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	    "font-family=\"monospace\" font-size=\"12\">\n", W, H > svg
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > svg
	printf "<defs><marker id=\"a\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" " \
	    "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#333\"/></marker></defs>\n" > svg
	for (i = 1; i <= order; i++) {
		printf "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">%s %s</text>\n", \
		    laneX[i], role[colpid[i]], colpid[i] > svg
		printf "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", \
		    laneX[i], laneX[i], H - 20 > svg
	}
	printf "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">wire</text>\n", \
	    wireX > svg
	printf "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\" " \
	    "stroke-dasharray=\"4 4\"/>\n", wireX, wireX, H - 20 > svg
	for (j = 1; j <= n; j++) {
		y = top + (j - 1) * rowh
		printf "<text x=\"10\" y=\"%d\">%.3f ms</text>\n", y + 4, row_ms[j] > svg
		if (row_r[j] == "wire") {
			c = row_fl[j] ~ /R/ ? "#c00" : row_fl[j] ~ /F/ ? "#06c" : "#333"
			if (row_dir[j] == "in")
				printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
				    "marker-end=\"url(#a)\"/>\n", clientX, y, serverX - 10, y, c > svg
			else
				printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
				    "marker-end=\"url(#a)\"/>\n", serverX, y, clientX + 10, y, c > svg
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n", \
			    wireX, y - 3, c, xml(substr(row_w[j], 1)) > svg
		} else {
			printf "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/>\n", laneX[row_col[j]], y, \
			    row_w[j] ~ /RST/ ? "#c00" : row_w[j] ~ /FIN/ ? "#06c" : "#333" > svg
		}
		printf "<text x=\"%d\" y=\"%d\">%s</text>\n", textX, y + 4, xml(row_text[j]) > svg
	}
	print "</svg>" > svg
	close(svg)
}'
