# serverctl.sh: start and stop a closelab server from a script; sourced by
# demo.sh and bench.sh. The caller sets $work (a scratch directory, removed
# at exit) and $me (its name, for messages); server_bin may name the server.
# shellcheck shell=sh disable=SC2154,SC2034 # work, me: the caller's; port: for it

server=
server_bin=${server_bin:-${SERVER:-$top/bin/server}}

cleanup() {
	if [ -n "$server" ]; then
		kill -TERM "$server" 2>/dev/null || :
		wait "$server" 2>/dev/null || :
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for WHAT COMMAND...: until COMMAND succeeds, for 10 s at most; gives
# up at once if the server has died
wait_for() {
	what=$1
	shift
	tries=0
	until "$@"; do
		if [ -n "$server" ] && ! kill -0 "$server" 2>/dev/null; then
			echo "$me: the server died waiting for $what:" >&2
			cat "$work/server.err" >&2
			exit 1
		fi
		[ $tries -lt 500 ] || { echo "$me: gave up waiting for $what" >&2; exit 1; }
		tries=$((tries + 1))
		sleep 0.02
	done
}

# start_server ARGS...: a server on a free port; sets $server and $port
start_server() {
	rm -f "$work/port"
	"$server_bin" --port 0 --port-file "$work/port" "$@" 2>"$work/server.err" &
	server=$!
	wait_for "the server to listen" test -s "$work/port"
	port=$(cat "$work/port")
}

stop_server() {
	kill -TERM "$server"
	wait "$server" || :
	server=
}
