#!/bin/sh
# demo: the headline comparison. A prefork server hands each connection to a
# worker and keeps its own copy of the socket for 500 ms. The worker ends the
# connection with close() in one run and with shutdown(SHUT_WR) in the other;
# the client measures when its EOF arrives.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
keep=500
dir=$(mktemp -d "${TMPDIR:-/tmp}/closelab-demo.XXXXXX")
server=

cleanup() {
	if [ -n "$server" ]; then
		kill -TERM "$server" 2>/dev/null || :
		wait "$server" 2>/dev/null || :
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME ARGS...: a server on a free port; sets $port
start_server() {
	name=$1
	shift
	"$bin/server" --port 0 --port-file "$dir/$name.port" \
	    --log "$dir/$name.server.log" "$@" 2>"$dir/$name.err" &
	server=$!
	# wait for the port file, for 10 s at most
	tries=0
	while [ ! -s "$dir/$name.port" ]; do
		if ! kill -0 "$server" 2>/dev/null || [ $tries -ge 200 ]; then
			echo "demo: the server did not start:" >&2
			cat "$dir/$name.err" >&2
			exit 1
		fi
		tries=$((tries + 1))
		sleep 0.05
	done
	port=$(cat "$dir/$name.port")
}

stop_server() {
	kill -TERM "$server"
	wait "$server" || :
	server=
}

# run_case NAME END: one run; sets $ms to the client's EOF time
run_case() {
	name=$1
	end=$2
	start_server "$name" --parent-keeps "$keep" --end "$end"
	"$bin/client" --port "$port" --send hello --log "$dir/$name.client.log" \
	    >"$dir/$name.out" || :
	# let the parent's keep run out, so the timeline shows its close
	tries=0
	until grep -q 'role=parent .* ev=close ' "$dir/$name.server.log"; do
		[ $tries -lt 200 ] || { echo "demo: the parent never closed" >&2; exit 1; }
		tries=$((tries + 1))
		sleep 0.05
	done
	stop_server
	sh "$top/timeline/timeline.sh" "$dir/$name.server.log" "$dir/$name.client.log"
	result=$(tail -n 1 "$dir/$name.out")
	echo "client: $result"
	ms=$(echo "$result" | sed -n 's/.* end=eof ms=\([0-9.]*\) .*/\1/p')
	[ -n "$ms" ] || { echo "demo: no EOF in case $name" >&2; exit 1; }
}

cat <<EOF
closelab demo: when does the client see EOF, if two processes hold the socket?

The server's parent accept()s the connection and passes it to a worker over
a UNIX socket (SCM_RIGHTS): both processes now hold the same socket
("holders 2"). The parent keeps its copy for $keep ms. The client sends
"hello", calls shutdown(SHUT_WR), and waits for the server's EOF (its FIN).
In the timelines, ms counts from the connection's first event; the wire
column shows where a FIN leaves: "->" to the server, "<-" to the client.

== 1. The worker ends with close() ==========================================
EOF
run_case close close
close_ms=$ms

cat <<EOF

== 2. The worker ends with shutdown(SHUT_WR), then close() ==================
EOF
run_case shutdown shutdown
shutdown_ms=$ms

cat <<EOF

Verdict: with close() the client's EOF came after $close_ms ms, only when the
parent let go of its copy; with shutdown(SHUT_WR) it came after $shutdown_ms ms,
while the parent still held the socket.
EOF
