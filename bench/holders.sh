#!/bin/sh
# holders.sh: bin/holders beside ss -tanp (and lsof -nP -iTCP), on loopback
# connections that bench/hold.c opens and shares among its children (Linux),
# in three shapes:
#   spread  CONNS connections shared out among PROCS children, a quarter of
#           them held by the parent too: a pre-forking server's many workers
#   shared  CONNS_SHARED connections, each held by the parent and all of
#           PROCS_SHARED children: the shape of a server whose children
#           inherit every socket (the Guacamole bug)
#   netns   NETNS network namespaces of its own, each with CONNS_NETNS
#           connections among 10 children; bin/holders, which covers every
#           namespace, beside a loop of `ip netns exec NS ss -tanp` (root)
# Each round runs the tools in turn, output to /dev/null; the figures are
# medians over the rounds, and the ratios are the medians of each round's
# ratio, which hold when the machine's speed drifts. bench.sh runs it.
#
# usage: holders.sh    SHAPES="spread shared netns" ROUNDS=11 CONNS=10000
#                      PROCS=300 CONNS_SHARED=2000 PROCS_SHARED=40 NETNS=20
#                      CONNS_NETNS=100 in the environment
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
shapes=${SHAPES:-spread shared netns}
rounds=${ROUNDS:-11}
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-holders.XXXXXX")
loads=
namespaces=

# end every load (each ends its children; its process group, in case it
# cannot) and remove the namespaces
stop_loads() {
	for p in $loads; do
		kill -TERM "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
		kill -TERM -- "-$p" 2>/dev/null || :
	done
	loads=
	for ns in $namespaces; do
		ip netns delete "$ns" 2>/dev/null || :
	done
	namespaces=
}
trap 'stop_loads; rm -rf "$work"' EXIT
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

# load READY [NS] HOLD-ARGS...: start hold (in network namespace NS unless
# it is "-"), bounded to 600 s whatever happens to this script, and wait
# until it has written READY
load() {
	ready=$1 ns=$2
	shift 2
	rm -f "$ready"
	if [ "$ns" = - ]; then
		"$work/hold" "$@" "$ready" 600 &
	else
		ip netns exec "$ns" "$work/hold" "$@" "$ready" 600 &
	fi
	loads="$loads $!"
	tries=0
	until [ -s "$ready" ]; do
		kill -0 "$!" 2>/dev/null || { echo "holders: the load failed to start" >&2; exit 1; }
		[ $tries -lt 3000 ] || { echo "holders: gave up waiting for the load" >&2; exit 1; }
		tries=$((tries + 1))
		sleep 0.02
	done
}

# run TOOL: one timed run, in milliseconds
run() {
	t0=$(date +%s%N)
	case $1 in
	holders) "$top/bin/holders" >/dev/null 2>&1 || : ;;
	ss) ss -tanp >/dev/null 2>&1 ;;
	lsof) lsof -nP -iTCP >/dev/null 2>&1 || : ;;
	ss-netns)
		for ns in $namespaces; do
			ip netns exec "$ns" ss -tanp >/dev/null 2>&1
		done ;;
	esac
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) | awk '{ printf "%.1f\n", $1 / 1000 }'
}

# measure TOOL...: a warm-up each, then ROUNDS rounds of all in turn; the
# medians, and the ratios of bin/holders (the first) to each other tool
measure() {
	: >"$work/times"
	for tool; do
		run "$tool" >/dev/null
	done
	i=0
	while [ $i -lt "$rounds" ]; do
		line=
		for tool; do
			line="$line $(run "$tool")"
		done
		echo "$line" >>"$work/times"
		i=$((i + 1))
	done
	awk -v tools="$*" '
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
			printf "  %-9s median %8.1f ms\n", name[k], median(a, NR)
		}
		for (k = 2; k <= nt; k++) {
			for (i = 1; i <= NR; i++) a[i] = r[k, i]
			printf "  holders/%s: %.2f (median of the rounds'"'"' ratios)\n", name[k], median(a, NR)
		}
	}' "$work/times"
}

echo "bin/holders beside ss -tanp: $rounds rounds a shape, output to /dev/null."
echo "$(uname -sr), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo ?) cpus."
for shape in $shapes; do
	case $shape in
	spread)
		load "$work/ready" - "${CONNS:-10000}" "${PROCS:-300}"
		read -r port made forked <"$work/ready"
		tools="holders ss"
		if command -v lsof >/dev/null 2>&1; then
			tools="$tools lsof"
		else
			echo "holders: lsof is not installed; measuring bin/holders and ss only"
		fi
		echo "spread: $made connections ($(ss -tanH | wc -l) TCP sockets) among $forked"
		echo "processes and their parent, port $port; $tools:"
		# shellcheck disable=SC2086 # one word a tool
		measure $tools
		;;
	shared)
		load "$work/ready" - -s "${CONNS_SHARED:-2000}" "${PROCS_SHARED:-40}"
		read -r port made forked <"$work/ready"
		echo "shared: $made connections ($(ss -tanH | wc -l) TCP sockets), each held by"
		echo "$forked processes and their parent, port $port:"
		measure holders ss
		;;
	netns)
		if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
			echo "netns: needs root and ip(8), to make network namespaces; not measured"
			continue
		fi
		i=1
		while [ $i -le "${NETNS:-20}" ]; do
			ns=closelab-bench.$$.$i
			ip netns add "$ns"
			namespaces="$namespaces $ns"
			ip -n "$ns" link set lo up
			load "$work/ready.$i" "$ns" "${CONNS_NETNS:-100}" 10
			i=$((i + 1))
		done
		echo "netns: ${NETNS:-20} network namespaces, each with ${CONNS_NETNS:-100} connections"
		echo "among 10 processes and their parent; bin/holders (every namespace) beside"
		echo "ip netns exec NS ss -tanp for each:"
		measure holders ss-netns
		;;
	*)
		echo "holders: no shape '$shape' (spread, shared or netns)" >&2
		exit 2
		;;
	esac
	stop_loads
done
