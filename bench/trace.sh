#!/bin/sh
# trace.sh: bin/trace's cost, what make bench-trace runs (and make bench,
# as root). Rounds of one rate run with the tracer attached to the server's
# port and one without, in turn, against one server: the medians of the
# rates and of their ratio; the CPU time of bin/trace and of bpftrace during
# a run, and the lines it wrote. Then the same rounds with bpftrace alone,
# writing its records to a file, and with its probes alone (nothing
# matching): the floors beneath bin/trace. Linux, root and bpftrace, or it
# says why and does nothing.
#
# A rate run: N exchanges (20000) of a 64-byte echo, 8 in flight, 4
# workers, as in bench.sh. ROUNDS (5) rounds.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
bin=$TOP/bin
n=${N:-20000}
rounds=${ROUNDS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-bench-trace.XXXXXX")
msg=$(printf '%064d' 0)
SERVER=$bin/server

# shellcheck source=common/serverctl.sh
. "$TOP/common/serverctl.sh"
server_scratch "$work"

if [ "$(uname -s)" != Linux ] || [ "$(id -u)" != 0 ] || ! command -v bpftrace >/dev/null 2>&1; then
	echo "bin/trace's cost: needs Linux, root and bpftrace (apt-get install bpftrace): skipped"
	exit 0
fi

# cpu PID: its user and system time so far, in clock ticks
cpu() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# rate: one rate run against the server; prints the client's rate
rate() {
	stats=$("$bin/client" --port "$PORT" --send "$msg" --repeat "$n" --concurrency 8 | tail -n 1)
	[ "$(field "$stats" errors)" = 0 ] || { echo "bench: errors: $stats" >&2; exit 1; }
	field "$stats" rate
}

# medians "TRACED NOT ...": the medians of the rates and of their ratios
medians() {
	echo "$1" | awk -v rounds="$rounds" '{
		for (i = 1; i + 1 <= NF; i += 2) { a[++m] = $i; b[m] = $(i + 1); r[m] = $i / $(i + 1) }
		printf "  attached %.0f/s, not %.0f/s: %.3fx (median of %d rounds)\n",
		    median(a, m), median(b, m), median(r, m), rounds
	}
	function median(v, k,    i, j, t) {
		for (i = 2; i <= k; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}'
}

# floor LABEL PORT: bpftrace alone on closes.bt, its records to a file and no
# bin/trace, attached to PORT, in rounds beside none: what bin/trace cannot
# go below (PORT 1, which nothing matches: the probes' own cost)
floor() {
	printf '%-42s' "$1"
	fpairs=
	round=0
	while [ "$round" -lt "$rounds" ]; do
		: >"$work/raw"
		bpftrace -B none -f json "$TOP/trace/closes.bt" "$2" 0 - >"$work/raw" 2>"$work/raw.err" &
		TRACER_PID=$!
		DEADLINE_S=60 wait_until "bpftrace to attach" grep -q '"ready' "$work/raw" || exit 1
		a=$(rate)
		trace_stop
		fpairs="$fpairs $a $(rate)"
		round=$((round + 1))
		printf '.'
	done
	echo
	medians "$fpairs"
}

make -s -C "$TOP" all
server_start "$work" --workers 4 || { cat "$work/server.err" >&2; exit 1; }
tick=$(getconf CLK_TCK)
pairs=
cpus=
printf '%-42s' "bin/trace attached beside not"
round=0
while [ "$round" -lt "$rounds" ]; do
	: >"$work/trace.log"
	trace_start "$work/trace.err" --port "$PORT" --log "$work/trace.log" || exit 1
	bpf=$(ps -o pid= --ppid "$TRACER_PID" | tr -d ' ')
	c0=$(($(cpu "$TRACER_PID") + 0)) b0=$(($(cpu "$bpf") + 0))
	a=$(rate)
	c1=$(($(cpu "$TRACER_PID") + 0)) b1=$(($(cpu "$bpf") + 0))
	trace_stop
	lines=$(wc -l <"$work/trace.log")
	lost=0
	! grep -q 'Lost' "$work/trace.err" || lost=1
	cpus="$cpus $((c1 - c0)) $((b1 - b0)) $lines $lost"
	pairs="$pairs $a $(rate)"
	round=$((round + 1))
	printf '.'
done
echo
medians "$pairs"
echo "$cpus" | awk -v tick="$tick" -v n="$n" '{
	for (i = 1; i + 3 <= NF; i += 4) { t += $i; b += $(i + 1); l += $(i + 2); lost += $(i + 3); m++ }
	printf "  a run of %d exchanges: bin/trace %.2f s of CPU, bpftrace %.2f s, %d lines," \
	    " %d runs with lost events\n", n, t / m / tick, b / m / tick, l / m, lost
}'
floor "bpftrace alone, its records to a file" "$PORT"
floor "its probes alone, nothing matching" 1
