#!/bin/sh
# run.sh: run the bats suite (all tests/*.bats, or the files named) and end
# with the line "N passed, N failed". Installs bats-core, bats-support and
# bats-assert first when they are missing: Debian's packages where apt-get
# can be used, otherwise pinned versions from npm into tests/.deps.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
deps=$top/tests/.deps
BATS_LIB_PATH=${BATS_LIB_PATH:+$BATS_LIB_PATH:}/usr/lib/bats:/usr/local/lib/bats:$deps/node_modules
export BATS_LIB_PATH
PATH=$deps/node_modules/bats/bin:$PATH

have_lib() {
	(
		IFS=:
		for d in $BATS_LIB_PATH; do
			[ -f "$d/$1/load.bash" ] && exit 0
		done
		exit 1
	)
}

# bats-core 1.8 or later: bats_load_library and $BATS_TEST_TMPDIR
have_bats() {
	v=$(bats --version 2>/dev/null | sed -n 's/^Bats \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	# shellcheck disable=SC2086 # "MAJOR MINOR" into $1 and $2
	[ -n "$v" ] && set -- $v && { [ "$1" -gt 1 ] || [ "$2" -ge 8 ]; }
}

ready() {
	have_bats && have_lib bats-support && have_lib bats-assert
}

if ! ready && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "run.sh: installing bats, bats-support and bats-assert with apt-get" >&2
	apt-get install -y -q bats bats-support bats-assert >/dev/null 2>&1 ||
	    { apt-get update -q >/dev/null 2>&1 &&
	    apt-get install -y -q bats bats-support bats-assert >/dev/null; }
fi
if ! ready && command -v npm >/dev/null 2>&1; then
	echo "run.sh: installing bats-core, bats-support and bats-assert with npm" >&2
	mkdir -p "$deps"
	npm install --prefix "$deps" --no-save --no-package-lock --no-audit --no-fund \
	    bats@1.13.0 bats-support@0.3.0 bats-assert@2.2.4 >/dev/null
fi
if ! ready; then
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
[ $# -gt 0 ] || set -- "$top"/tests/*.bats
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
