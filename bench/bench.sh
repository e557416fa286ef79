#!/bin/sh
# bench.sh: what make bench runs. For each model (prefork with the SCM_RIGHTS
# handoff, fork per connection) and each end (close, shutdown): exchanges per
# second with a 64-byte echo and 8 connections in flight, the time per
# exchange, and the time from the server's close or shutdown to the client's
# EOF. Then the cost of logging, and the workers' memory. Loopback only;
# every run is bounded by its count. N=100000 make bench for longer runs.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
bin=$TOP/bin
n=${N:-20000}		# exchanges a rate run
fin_n=${FIN_N:-2000}	# exchanges a latency run, one at a time
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-bench.XXXXXX")
msg=$(printf '%064d' 0)
SERVER=$bin/server
SERVER_PID=

# shellcheck source=common/serverctl.sh
. "$TOP/common/serverctl.sh"

cleanup() {
	[ -z "$SERVER_PID" ] || server_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_server() {
	server_start "$work" "$@" || { cat "$work/server.err" >&2; exit 1; }
	server=$SERVER_PID port=$PORT
}

stop_server() {
	server_stop || :
}

# rate ARGS...: a rate run; sets $stats, the client's last line
rate() {
	start_server --workers 4 "$@"
	stats=$("$bin/client" --port "$port" --send "$msg" --repeat "$n" --concurrency 8 | tail -n 1)
	[ "$(field "$stats" errors)" = 0 ] || { echo "bench: errors: $stats" >&2; exit 1; }
	# the largest resident memory of the server's children, where /proc tells it
	rss=
	for st in /proc/[0-9]*/status; do
		[ "$(sed -n 's/^PPid:[[:space:]]*//p' "$st" 2>/dev/null)" = "$server" ] || continue
		kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "$st" 2>/dev/null)
		[ -z "$kb" ] || { [ -n "$rss" ] && [ "$rss" -ge "$kb" ]; } || rss=$kb
	done
	stop_server
}

# fin ARGS...: a latency run, logging on; sets $fin, the client's fin line
fin() {
	rm -f "$work/fin.log"
	start_server --workers 4 --log "$work/fin.log" "$@"
	fin=$("$bin/client" --port "$port" --send "$msg" --repeat "$fin_n" \
	    --server-log "$work/fin.log" | grep '^fin runs=')
	stop_server
}

make -s -C "$TOP" all
echo "closelab bench: $n exchanges of a 64-byte echo, 8 in flight, 4 workers;"
echo "close-to-EOF over $fin_n exchanges one at a time. $(uname -sr), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo ?) cpus."
echo
printf '%-8s %-9s %9s %8s %8s %12s %12s\n' model end "rate/s" "p50 ms" "p99 ms" "fin p50 us" "fin p99 us"
rates=
for model in prefork fork; do
	for end in close shutdown; do
		rate --model "$model" --end "$end"
		fin --model "$model" --end "$end"
		printf '%-8s %-9s %9s %8s %8s %12s %12s\n' "$model" "$end" \
		    "$(field "$stats" rate)" "$(field "$stats" ms_p50)" "$(field "$stats" ms_p99)" \
		    "$(field "$fin" us_p50)" "$(field "$fin" us_p99)"
		rates="$rates $(field "$stats" rate)"
	done
done

# the workers' memory after a prefork run; then logging on, every event written
rate --model prefork
worker_rss=$rss
rm -f "$work/log"
rate --log "$work/log"
logged=$(field "$stats" rate)
echo
# the rates in the order of the table: prefork close, shutdown, fork close, shutdown
echo "$rates" | awk -v lg="$logged" '{
	pc = $1; ps = $2; fc = $3; fs = $4
	printf "prefork/fork: %.2fx with close, %.2fx with shutdown\n", pc / fc, ps / fs
	printf "logging on: %.0f exchanges/s, %.0f%% of the rate without\n", lg, 100 * lg / pc
}'
if [ -n "$worker_rss" ]; then
	echo "largest worker resident memory after $n exchanges: $worker_rss kB"
fi
echo "TIME_WAIT now (on the client's side, which sends the first FIN): $(
	ss -tan state time-wait 2>/dev/null | tail -n +2 | wc -l || echo ?)"

# bin/holders beside ss -tanp and lsof -nP -iTCP on 10,000 loopback
# connections held by a few hundred processes (Linux; bench/holders.sh)
echo
sh "$top/bench/holders.sh"
