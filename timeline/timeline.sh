#!/bin/sh
# timeline: merge closelab logs (server and client) into one timeline of a
# connection's events, in words, with the time relative to its first event.
#
# usage: timeline [--conn ID] LOG...
# Lines of every log are ordered by t= (CLOCK_MONOTONIC: one clock for all
# processes on a host). Only events of a connection are shown: all of them,
# or those of connection ID (the client's address:port) with --conn.

usage() {
	echo "usage: timeline [--conn ID] LOG..." >&2
	exit 2
}

conn=
case $1 in
--conn) [ $# -ge 2 ] || usage; conn=$2; shift 2 ;;
--conn=*) conn=${1#--conn=}; shift ;;
-h|--help) echo "usage: timeline [--conn ID] LOG..."; exit 0 ;;
-*) echo "timeline: unknown option $1" >&2; usage ;;
esac
[ $# -ge 1 ] || usage
for f; do
	[ -r "$f" ] || { echo "timeline: cannot read $f" >&2; exit 1; }
done

# t= is the first field: order numerically on what follows "t="
sort -t= -k2,2n "$@" | awk -v want="$conn" '
function val(key,    i) {
	for (i = 1; i <= NF; i++)
		if (index($i, key "=") == 1)
			return substr($i, length(key) + 2)
	return ""
}
function others(n) {
	return n == 1 ? "1 other process still holds it" : n " other processes still hold it"
}
# What one event means, in words; wire is set to what went on the wire.
function say(role, ev,    h, hh, to, b, e, seg, why) {
	b = val("bytes"); e = val("err"); h = val("holders")
	wire = ""
	if (ev == "connect")
		return "connect() to " val("peer")
	if (ev == "accept")
		return "accept() the connection as fd " val("fd") "; holders " h
	if (ev == "handoff")
		return e != "" ? "handoff to worker " val("worker") " failed: " e \
		    : "pass fd " val("fd") " to worker " val("worker") " (SCM_RIGHTS); holders " h
	if (ev == "fork")
		return e != "" ? "fork() failed: " e \
		    : "fork() child " val("child") ", which inherits fd " val("fd") "; holders " h
	if (ev == "take")
		return "take the connection as fd " val("fd") "; holders " h
	if (ev == "spawn")
		return e != "" ? "spawning the helper failed: " e \
		    : val("inherits") == "yes" \
		    ? "spawn helper " val("helper") ", which inherits the socket; holders " h \
		    : "spawn helper " val("helper") "; close-on-exec kept the socket from it"
	if (ev == "exit")
		return "helper " val("helper") " exits with status " val("status")
	if (e == "ECONNRESET" || e == "EPIPE")
		reset[c] = 1
	if (ev == "read") {
		if (val("nothing") != "")
			return "read: nothing came"
		return e != "" ? "read() fails: " e : "read " b " bytes"
	}
	if (ev == "write")
		return e != "" ? "write() fails: " e : "write " b " bytes"
	if (ev == "eof") {
		if (role == "client")
			return "read() returns 0: EOF, the server'"'"'s FIN arrived"
		return "read() returns 0: EOF"
	}
	if (ev == "rst")
		reset[c] = 1
	if (ev == "rst")
		return "read() fails: " e ": the connection was reset (RST)"
	if (ev == "timeout")
		return "gives up after " val("ms") " ms: no EOF"
	if (ev == "linger")
		return e != "" ? "SO_LINGER fails: " e \
		    : "set SO_LINGER {1, 0} on the socket: its last close will send RST"
	if (ev == "leak")
		return "never closes fd " val("fd") ": the socket stays in CLOSE_WAIT"
	if (ev == "dup")
		return e != "" ? "dup() fails: " e : "dup(" val("fd") ") = " val("dup")
	if (ev == "shutdown") {
		if (e != "")
			return "shutdown(" val("how") ") fails: " e
		if (role == "client") {
			cfin[c] = 1
			wire = "FIN ->"
			return "shutdown(SHUT_WR): FIN to the server"
		}
		if (val("how") == "SHUT_RD")
			return "shutdown(SHUT_RD) with holders " h ": nothing is sent"
		finsent[c] = 1
		wire = "<- FIN"
		return "shutdown(" val("how") ") with holders " h ": FIN to the client at once"
	}
	if (ev == "close") {
		if (e != "")
			return "close() fails: " e
		if (role == "client") {
			if (val("linger") == "0") {
				wire = "RST ->"
				return "close() with SO_LINGER {1, 0}: RST to the server"
			}
			if (cfin[c] || reset[c])
				return "close()"
			cfin[c] = 1
			wire = "FIN ->"
			return "close(): FIN to the server"
		}
		if (val("dups") != "")
			return "close() fd " val("fd") ": another descriptor of this process " \
			    "refers to the socket: nothing is sent"
		split(h, hh, "->"); to = hh[2]
		if (val("by") == "exit")
			b = "process " val("exited") " exited: the kernel closed its copy"
		else if (val("keep") != "")
			b = "close() its copy (keep: " val("keep") ")"
		else
			b = "close() fd " val("fd")
		# what the last close sends
		seg = "FIN"; why = ""
		if (val("linger") == "0") {
			seg = "RST"; why = " (SO_LINGER 0)"
		} else if (val("unread") > 0) {
			seg = "RST"; why = " (" val("unread") " bytes unread)"
		}
		if (to > 0)
			return b ", holders " h ": nothing is sent, " others(to)
		if (reset[c])
			return b ", holders " h ": nothing is sent, the connection was reset"
		if (finsent[c] && seg == "FIN")
			return b ", holders " h ": the FIN left already"
		finsent[c] = 1
		wire = "<- " seg
		return b ", holders " h ": last holder, " seg " to the client" why
	}
	return ev
}
{
	c = val("conn")
	if (c == "-" || (want != "" && c != want))
		next
	t = val("t")
	if (t0 == "") {
		t0 = t
		printf "%10s  %-14s %-7s %s\n", "ms", "process", "wire", "event"
	}
	role = val("role")
	what = say(role, val("ev"))
	printf "%10.3f  %-14s %-7s %s\n", (t - t0) / 1e6, role " " val("pid"), wire, what
}
END {
	if (t0 == "")
		print "timeline: no connection events in the logs" > "/dev/stderr"
}'
