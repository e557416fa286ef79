#!/bin/sh
# holders.sh: bin/holders beside ss -tanp and lsof -nP -iTCP, on loopback
# connections that bench/hold.c opens and shares among its children (Linux).
# Each round runs the three in turn, output to /dev/null; the figures are
# medians over the rounds, and the ratios are the medians of each round's
# ratio, which hold when the machine's speed drifts. bench.sh runs it.
#
# usage: holders.sh    CONNS=10000 PROCS=300 ROUNDS=11 in the environment
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
conns=${CONNS:-10000}
procs=${PROCS:-300}
rounds=${ROUNDS:-11}
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-holders.XXXXXX")
hold=

cleanup() {
	if [ -n "$hold" ]; then
		# hold ends its children; its process group, in case it cannot
		kill -TERM "$hold" 2>/dev/null || :
		wait "$hold" 2>/dev/null || :
		kill -TERM -- "-$hold" 2>/dev/null || :
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(uname -s)" != Linux ]; then
	echo "holders: bin/holders needs Linux; not measured"
	exit 0
fi
case $(date +%N) in
*[!0-9]*) echo "holders: date +%N gives no nanoseconds here; not measured"; exit 0 ;;
esac
make -s -C "$top" bin/holders
${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -o "$work/hold" "$top/bench/hold.c"

# the load: bounded to 600 s whatever happens to this script
"$work/hold" "$conns" "$procs" "$work/ready" 600 &
hold=$!
tries=0
until [ -s "$work/ready" ]; do
	kill -0 "$hold" 2>/dev/null || { echo "holders: the load failed to start" >&2; exit 1; }
	[ $tries -lt 1500 ] || { echo "holders: gave up waiting for the load" >&2; exit 1; }
	tries=$((tries + 1))
	sleep 0.02
done
read -r port made forked <"$work/ready"
sockets=$(ss -tanH 2>/dev/null | wc -l)

tools="holders ss"
if command -v lsof >/dev/null 2>&1; then
	tools="$tools lsof"
else
	echo "holders: lsof is not installed; measuring bin/holders and ss only"
fi

# run TOOL: one timed run, in milliseconds
run() {
	t0=$(date +%s%N)
	case $1 in
	holders) "$top/bin/holders" >/dev/null 2>&1 || : ;;
	ss) ss -tanp >/dev/null 2>&1 ;;
	lsof) lsof -nP -iTCP >/dev/null 2>&1 || : ;;
	esac
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) | awk '{ printf "%.1f\n", $1 / 1000 }'
}

for tool in $tools; do
	run "$tool" >/dev/null	# a warm-up each
done
i=0
while [ $i -lt "$rounds" ]; do
	line=
	for tool in $tools; do
		line="$line $(run "$tool")"
	done
	echo "$line" >>"$work/times"
	i=$((i + 1))
done

echo "bin/holders, ss -tanp and lsof -nP -iTCP: $made loopback connections ($sockets TCP"
echo "sockets) held by $forked processes and their parent, port $port; $rounds rounds,"
echo "output to /dev/null. $(uname -sr), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo ?) cpus."
awk -v tools="$tools" '
function median(a, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	for (k = 1; k <= NF; k++)
		t[k, NR] = $k
	for (k = 2; k <= NF; k++)
		r[k, NR] = $1 / $k
}
END {
	nt = split(tools, name, " ")
	for (k = 1; k <= nt; k++) {
		for (i = 1; i <= NR; i++) a[i] = t[k, i]
		printf "%-8s median %8.1f ms\n", name[k], median(a, NR)
	}
	for (k = 2; k <= nt; k++) {
		for (i = 1; i <= NR; i++) a[i] = r[k, i]
		printf "holders/%s: %.2f (median of the rounds'"'"' ratios)\n", name[k], median(a, NR)
	}
}' "$work/times"
