#!/bin/sh
# grade.sh: how long bin/grade takes on the lesson's assignment, what make
# bench-grade runs (root). A class of N (40): every member of the lesson's
# class (tests/grade/lesson.sh: the answers, each mistake, the attacks, a
# hang, a fork bomb), and copies of the two correct answers up to N, graded
# at the default parallelism. Prints the wall time, each kind's time from
# the sandboxes' logs, and the time of 200 submissions at that rate. It is
# a benchmark, not a test: it judges no figure.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-40}
if [ "$(id -u)" != 0 ]; then
	echo "grading's speed: needs root (bin/grade's sandboxes): skipped"
	exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-bench-grade.XXXXXX")
trap 'rm -rf "$work"' EXIT
sh "$TOP/tests/grade/lesson.sh" "$work/class" >/dev/null
rm -f "$work/class/expected"
i=0
while [ "$(find "$work/class" -mindepth 1 -maxdepth 1 -type d | wc -l)" -lt "$n" ]; do
	i=$((i + 1))
	cp -R "$work/class/prefork" "$work/class/prefork-$i"
	cp -R "$work/class/forking" "$work/class/forking-$i"
done
chmod -R go-w "$work"
load0=$(cut -d ' ' -f 1 /proc/loadavg)
t0=$(date +%s)
"$TOP/bin/grade" -o "$work/grades" "$work/class" >/dev/null 2>&1 || true
wall=$(($(date +%s) - t0))
load1=$(cut -d ' ' -f 1 /proc/loadavg)
graded=$(($(wc -l <"$work/grades/grades.csv") - 1))
echo "grading $graded submissions of the lesson at the default parallelism ($(getconf _NPROCESSORS_ONLN) CPUs):"
echo "  wall $wall s (load average $load0 at the start, $load1 at the end)"
echo "  200 submissions at that rate: $((wall * 200 / graded)) s"
# each submission's seconds, from "N s: the sandbox has ended"
for d in "$work"/grades/*/; do
	printf '%s %s\n' "$(basename "$d")" \
	    "$(sed -n 's/^\([0-9]*\) s: the sandbox has ended.*/\1/p' "$d/sandbox.log")"
done | awk '
	$1 ~ /^(prefork|forking)(-[0-9]+)?$/ { c++; cs += $2; if ($2 > cm) cm = $2; next }
	{ o[$1] = $2 }
	END {
		printf "  the %d correct answers: %.1f s each on average, %d s at most\n", c, cs / c, cm
		for (k in o)
			printf "  %-16s %3d s\n", k, o[k] | "sort"
	}'
