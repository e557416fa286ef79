#!/usr/bin/env bash
# run.sh: run the bats suite (all tests/*.bats, or the files named), the
# files side by side, and end with the line "N passed, N failed". Installs
# bats-core, bats-support and bats-assert first when they are missing:
# Debian's packages where apt-get can be used, otherwise pinned versions
# from npm into tests/.deps.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/bats.sh
. "$TOP/tests/bats.sh"
if ! bats_install run.sh; then
	echo "run.sh: cannot find or install bats-core 1.8+, bats-support and bats-assert" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# another implementation to grade: absolute paths, since bats changes directory
absolute() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}
if [ -n "${SERVER:-}" ]; then
	SERVER=$(absolute "$SERVER")
	export SERVER
fi
if [ -n "${CLIENT:-}" ]; then
	CLIENT=$(absolute "$CLIENT")
	export CLIENT
fi
[ $# -gt 0 ] || set -- "$TOP"/tests/*.bats
for f; do
	if [ ! -f "$f" ]; then
		echo "run.sh: no test file $f" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done
# the longest first, by the size of the file
set -f
IFS='
'
# shellcheck disable=SC2046 # one file a line
set -- $(ls -S -- "$@")
unset IFS
set +f

# The files run side by side, JOBS at a time (twice the processors: a test
# mostly waits), the longest first. Those tagged "host" (`# bats
# file_tags=host`: the grader's, whose sandboxes take ten times a process's
# share of the CPU, and would starve the tests beside them) run after all
# the others, one at a time. Each file's TAP is shown whole when it ends,
# followed by how long it took.
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
JOBS=${JOBS:-$((2 * ncpu))}
work=$(mktemp -d)
mkfifo "$work/done"
exec 4<>"$work/done"
n=0
running=0
pids=

# Each file runs as a job of its own (set -m: bash's, which needs no
# terminal), where an interrupt reaches bats, which then ends its test as
# on ^C: teardown, servers stopped
set -m
stop() {
	for p in $pids; do
		kill -INT -- "-$p" 2>/dev/null
	done
	wait
	exit 130
}
trap 'rm -rf "$work"' EXIT
trap stop INT TERM HUP
# start FILE: run it in the background, as the nth; it tells the FIFO when done
start() {
	n=$((n + 1))
	(
		s=$(date +%s)
		bats --tap "$1" </dev/null >"$work/$n.tap" 2>&1 4>&-
		echo $? >"$work/$n.status"
		echo "# ${1##*/}: $(($(date +%s) - s)) s" >>"$work/$n.tap"
		echo "$n" >&4
	) &
	pids="$pids $!"
	running=$((running + 1))
}
# finish: wait for a file to end, and show its TAP
finish() {
	read -r i <&4
	cat "$work/$i.tap"
	running=$((running - 1))
}
on_host() {
	grep -q '^# bats file_tags=.*host' "$1"
}
for f; do
	on_host "$f" && continue
	[ "$running" -lt "$JOBS" ] || finish
	start "$f"
done
while [ "$running" -gt 0 ]; do finish; done
for f; do
	on_host "$f" || continue
	start "$f"
	finish
done

status=0
! cat "$work"/*.status | grep -qvx 0 || status=1
cat "$work"/*.tap >"$work/all"
passed=$(grep -c '^ok ' "$work/all")
failed=$(grep -c '^not ok ' "$work/all")
skipped=$(grep -c '^ok .* # skip' "$work/all")
passed=$((passed - skipped))
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1	# bats itself failed
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
