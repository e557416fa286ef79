#!/bin/sh
# bench.sh: what make bench runs. A benchmark, not a test: it prints
# figures and judges none. Loopback only; every run is bounded by its count.
#
#  1. closelab's prefork server beside bench/minimal.c, the least an
#     SCM_RIGHTS prefork echo server does, both without a log: rounds of
#     one run each, in turn, so that a drift of the machine's speed falls on
#     both; the medians, and the median of each round's ratio. Then
#     closelab's server with its log on beside the same with it off.
#  2. each model (prefork, fork) and each end (close, shutdown): the rate,
#     the time per exchange, the time from the server's end to the EOF.
#  3. the workers' memory; the timeline on a 1,000,000-event log;
#     bin/holders beside ss and lsof (bench/holders.sh); bin/trace's cost
#     (bench/trace.sh, as root).
#
# A rate run: N exchanges (20000) of a 64-byte echo, 8 in flight, 4
# workers. ROUNDS (7) rounds of each comparison. N=100000 for longer runs.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
bin=$TOP/bin
n=${N:-20000}
rounds=${ROUNDS:-7}
fin_n=${FIN_N:-2000}	# exchanges a latency run, one at a time
events=${EVENTS:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-bench.XXXXXX")
msg=$(printf '%064d' 0)
SERVER=$bin/server
ports=			# every port a server of this bench listened on

# shellcheck source=common/serverctl.sh
. "$TOP/common/serverctl.sh"
server_scratch "$work"

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# run SERVER ARGS...: one rate run against SERVER (bin/server or the
# minimal one); sets $stats, the client's last line, and $rss, its largest
# child's resident memory where /proc tells it
run() {
	SERVER=$1
	shift
	server_start "$work" "$@" || { cat "$work/server.err" >&2; exit 1; }
	ports="$ports $PORT"
	stats=$("$bin/client" --port "$PORT" --send "$msg" --repeat "$n" --concurrency 8 | tail -n 1)
	[ "$(field "$stats" errors)" = 0 ] || { echo "bench: errors: $stats" >&2; exit 1; }
	rss=
	for st in /proc/[0-9]*/status; do
		[ "$(sed -n 's/^PPid:[[:space:]]*//p' "$st" 2>/dev/null)" = "$SERVER_PID" ] || continue
		kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "$st" 2>/dev/null)
		[ -z "$kb" ] || { [ -n "$rss" ] && [ "$rss" -ge "$kb" ]; } || rss=$kb
	done
	server_stop || :
}

# stats_of "A1 B1 A2 B2 ...": "median A, median B, median of A/B"
stats_of() {
	echo "$1" | awk '{
		for (i = 1; i + 1 <= NF; i += 2) {
			a[++m] = $i; b[m] = $(i + 1); r[m] = $i / $(i + 1)
		}
		printf "%.0f %.0f %.3f\n", median(a, m), median(b, m), median(r, m)
	}
	function median(v, k,    i, j, t) {
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}'
}

# side_by_side NAME-A NAME-B 'SERVER-A ARGS' 'SERVER-B ARGS': rounds of one
# run each, in turn, A first in odd rounds and B first in even ones, so
# that neither always runs on the other's leftovers (its TIME_WAIT sockets,
# a warm or cold cache); a dot a round; prints the medians and the ratio
side_by_side() {
	pairs=
	printf '%-42s' "$1 beside $2"
	round=0
	while [ "$round" -lt "$rounds" ]; do
		if [ $((round % 2)) = 0 ]; then
			# shellcheck disable=SC2086 # a server and its options
			run $3
			a=$(field "$stats" rate)
			# shellcheck disable=SC2086
			run $4
			b=$(field "$stats" rate)
		else
			# shellcheck disable=SC2086
			run $4
			b=$(field "$stats" rate)
			# shellcheck disable=SC2086
			run $3
			a=$(field "$stats" rate)
		fi
		pairs="$pairs $a $b"
		round=$((round + 1))
		printf '.'
	done
	# shellcheck disable=SC2046 # three numbers into $3, $4 and $5
	set -- "$1" "$2" $(stats_of "$pairs")
	printf '\n  %s %s/s, %s %s/s: %sx (median of %s rounds)\n' "$1" "$3" "$2" "$4" "$5" "$rounds"
}

began=$(now_ms)
make -s -C "$TOP" all
cc -O2 -o "$work/minimal" "$TOP/bench/minimal.c"
echo "closelab bench: rate runs of $n exchanges of a 64-byte echo, 8 in flight,"
echo "4 workers. $(uname -sr), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo ?) cpus."

# how long it takes, from how long a run takes here
t=$(now_ms)
run "$bin/server" --workers 4
run_ms=$(($(now_ms) - t))
# the rate runs, the timeline and bin/holders; as root with bpftrace, also
# bin/trace's rounds (ROUNDS, 5) of two runs, each waiting seconds for bpftrace
total_ms=$((run_ms * (4 * rounds + 12) + 80000))
if [ "$(id -u)" = 0 ] && command -v bpftrace >/dev/null 2>&1; then
	total_ms=$((total_ms + ${ROUNDS:-5} * (2 * run_ms + 5000)))
fi
echo "A rate run takes $((run_ms / 100 / 10)).$((run_ms / 100 % 10)) s here: this bench takes" \
    "about $((total_ms / 1000)) s."
echo

side_by_side closelab minimal "$bin/server --workers 4" "$work/minimal --workers 4"
side_by_side "logging on" "logging off" "$bin/server --workers 4 --log $work/log" \
    "$bin/server --workers 4"
rm -f "$work/log"
echo

printf '%-8s %-9s %9s %8s %8s %12s %12s\n' model end "rate/s" "p50 ms" "p99 ms" \
    "fin p50 us" "fin p99 us"
for model in prefork fork; do
	for end in close shutdown; do
		run "$bin/server" --workers 4 --model "$model" --end "$end"
		rm -f "$work/fin.log"
		server_start "$work" --workers 4 --model "$model" --end "$end" --log "$work/fin.log" ||
		    exit 1
		ports="$ports $PORT"
		fin=$("$bin/client" --port "$PORT" --send "$msg" --repeat "$fin_n" \
		    --server-log "$work/fin.log" | grep '^fin runs=')
		server_stop || :
		printf '%-8s %-9s %9s %8s %8s %12s %12s\n' "$model" "$end" \
		    "$(field "$stats" rate)" "$(field "$stats" ms_p50)" "$(field "$stats" ms_p99)" \
		    "$(field "$fin" us_p50)" "$(field "$fin" us_p99)"
	done
done
echo

run "$bin/server" --workers 4
[ -z "$rss" ] || echo "largest worker resident memory after $n exchanges: $rss kB"
echo "TIME_WAIT sockets of this bench's connections now: $(ss -tan state time-wait 2>/dev/null |
    awk -v ports="$ports" 'BEGIN { n = split(ports, p, " "); for (i = 1; i <= n; i++) ours[p[i]] = 1 }
	NR > 1 { split($3, l, ":"); split($4, r, ":")
	    if ((l[length(l)] in ours) || (r[length(r)] in ours)) c++ }
	END { print c + 0 }')"
echo "  (the client sends the first FIN, so they are the client's)"
echo

# the timeline: a real log of 2000 exchanges, copied with later times and
# other ports until it holds $events events
server_start "$work" --workers 4 --log "$work/s.log" || exit 1
"$bin/client" --port "$PORT" --send hello --repeat 2000 --concurrency 4 --log "$work/c.log" >/dev/null
server_stop || :
cat "$work/s.log" "$work/c.log" | awk -v want="$events" '
	{ line[++n] = $0 }
	END {
		for (copy = 0; out < want; copy++)
			for (i = 1; i <= n && out < want; i++) {
				l = line[i]
				split(l, w, " ")
				# %.0f: mawk prints a large number as 1.3e+12 otherwise
				sub(/^t=[0-9]+/, sprintf("t=%.0f", substr(w[1], 3) + copy * 100000000000), l)
				# each copy its own connections
				if (match(l, / conn=[^ -][^ ]*/))
					l = substr(l, 1, RSTART + RLENGTH - 1) "c" copy \
					    substr(l, RSTART + RLENGTH)
				print l
				out++
			}
	}' >"$work/big.log"
# beside the least a timeline in awk does: sort the log, and read it once
awk=$(command -v mawk || echo awk)
r=$(now_ms)
LC_ALL=C sort -t= -k2,2n "$work/big.log" | LC_ALL=C "$awk" 'END { print NR }' >/dev/null
r=$(($(now_ms) - r))
t=$(now_ms)
"$bin/timeline" "$work/big.log" >/dev/null
t=$(($(now_ms) - t))
echo "timeline: $events events in $((t / 1000)).$((t / 100 % 10)) s (sorted and read once by ${awk##*/}: $((r / 1000)).$((r / 100 % 10)) s)"
# its HTML page of 100,000 events, opened in chromium where it can be
# (chromium, node and playwright-core, which tests/timeline_html.bats installs)
deps=$TOP/tests/.deps/browser/node_modules
if [ -x /usr/bin/chromium ] && command -v node >/dev/null 2>&1 && [ -d "$deps/playwright-core" ]; then
	head -n 100000 "$work/big.log" >"$work/page.log"
	"$bin/timeline" --html "$work/page.html" "$work/page.log" >/dev/null
	ready=$(NODE_PATH=$deps node "$TOP/tests/browser/timeline.cjs" "$work/page.html" |
	    sed -n 's/.*"ready":\([0-9]*\).*/\1/p')
	echo "timeline's HTML page of 100000 events ($(($(wc -c <"$work/page.html") / 1048576)) MiB): ready in chromium in ${ready:-?} ms"
	rm -f "$work/page.log" "$work/page.html"
else
	echo "timeline's HTML page: chromium, node or playwright-core is missing (make test installs them): not measured"
fi
rm -f "$work/big.log"
echo

# bin/holders beside ss -tanp (and lsof): many connections among a few
# hundred processes, each held by 41, across 20 network namespaces (Linux)
sh "$TOP/bench/holders.sh"
echo

# bin/trace attached beside not (Linux, root, bpftrace: otherwise it says so)
sh "$TOP/bench/trace.sh"
echo
echo "done in $(( ($(now_ms) - began) / 1000 )) s"
