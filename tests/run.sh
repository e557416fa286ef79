#!/bin/sh
# run.sh: run the bats suite (all tests/*.bats, or the files named) and end
# with the line "N passed, N failed". Installs bats-core, bats-support and
# bats-assert first when they are missing: Debian's packages where apt-get
# can be used, otherwise pinned versions from npm into tests/.deps.
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
out=$(mktemp)
trap 'rm -f "$out" "$out.status"' EXIT
{ bats --tap "$@"; echo $? >"$out.status"; } | tee "$out"
status=$(cat "$out.status")
passed=$(grep -c '^ok ' "$out")
failed=$(grep -c '^not ok ' "$out")
skipped=$(grep -c '^ok .* # skip' "$out")
passed=$((passed - skipped))
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1	# bats itself failed
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
