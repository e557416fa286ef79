# bats.sh: find bats-core 1.8+, bats-support and bats-assert, and install
# them when they are missing: Debian's packages where apt-get can be used,
# otherwise pinned versions from npm into tests/.deps. Sourced by
# tests/run.sh and grade/grade.sh with TOP set to the top of the tree (or of
# the installed grading files); sets BATS_LIB_PATH and PATH. bats_ready
# tells whether they are there.
# shellcheck shell=sh

bats_deps=$TOP/tests/.deps
BATS_LIB_PATH=${BATS_LIB_PATH:+$BATS_LIB_PATH:}/usr/lib/bats:/usr/local/lib/bats:$bats_deps/node_modules
export BATS_LIB_PATH
PATH=$bats_deps/node_modules/bats/bin:$PATH

bats_have_lib() {
	(
		IFS=:
		for d in $BATS_LIB_PATH; do
			[ -f "$d/$1/load.bash" ] && exit 0
		done
		exit 1
	)
}

# bats-core 1.8 or later: bats_load_library and $BATS_TEST_TMPDIR
bats_have_bats() {
	bats_v=$(bats --version 2>/dev/null | sed -n 's/^Bats \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	# shellcheck disable=SC2086 # "MAJOR MINOR" into $1 and $2
	[ -n "$bats_v" ] && set -- $bats_v && { [ "$1" -gt 1 ] || [ "$2" -ge 8 ]; }
}

bats_ready() {
	bats_have_bats && bats_have_lib bats-support && bats_have_lib bats-assert
}

# bats_install NAME: install what is missing; NAME says who installs, on stderr
bats_install() {
	if ! bats_ready && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "$1: installing bats, bats-support and bats-assert with apt-get" >&2
		apt-get install -y -q bats bats-support bats-assert >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 &&
		    apt-get install -y -q bats bats-support bats-assert >/dev/null; }
	fi
	if ! bats_ready && command -v npm >/dev/null 2>&1; then
		echo "$1: installing bats-core, bats-support and bats-assert with npm" >&2
		mkdir -p "$bats_deps"
		npm install --prefix "$bats_deps" --no-save --no-package-lock --no-audit --no-fund \
		    bats@1.13.0 bats-support@0.3.0 bats-assert@2.2.4 >/dev/null
	fi
	bats_ready
}
