#!/bin/sh
# check.sh: what make check runs besides make test. The bats suite against
# an ASan+UBSan build, valgrind's memcheck over the core exchanges (children
# traced, descriptors tracked), cppcheck and shellcheck, and the fuzz target
# for a bounded time. Ends with "N passed, N failed".
#
# usage: check.sh [asan] [valgrind] [lint] [fuzz]    (default: all four)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
fuzz_seconds=${FUZZ_SECONDS:-20}
SERVERS="server/main.c server/parent.c server/worker.c server/handoff.c server/holders.c server/wire.c"
CLIENTS="client/main.c client/exchange.c client/stats.c"
COMMONS="common/util.c common/opt.c common/log.c common/sock.c common/kernel.c"
HOLDERS_C="holders/main.c holders/diag.c holders/procfd.c holders/diagnose.c holders/report.c \
    common/util.c common/opt.c"
CFLAGS_STRICT="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -Wall -Wextra -Werror -pedantic"

result() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

# need COMMAND PACKAGE: install PACKAGE where COMMAND is missing and apt-get can
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "check.sh: installing $2 with apt-get" >&2
		apt-get install -y -q "$2" >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$2" >/dev/null 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1
}

# The compiler for the sanitizers and the fuzzer: clang where there is one.
sancc() {
	if need clang clang; then echo clang; else echo cc; fi
}

asan() {
	cc=$(sancc)
	flags="$CFLAGS_STRICT -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
	mkdir -p "$work/asan"
	# shellcheck disable=SC2086 # lists of files and flags
	if ! (cd "$top" && $cc $flags -o "$work/asan/server" $SERVERS $COMMONS &&
	    $cc $flags -o "$work/asan/client" $CLIENTS $COMMONS &&
	    $cc $flags -o "$work/asan/holders" $HOLDERS_C); then
		result 1 "ASan+UBSan build"
		return
	fi
	result 0 "ASan+UBSan build"
	# every report goes to a file: the suite passing is not enough
	ASAN_OPTIONS="log_path=$work/asan/report:detect_leaks=1" \
	UBSAN_OPTIONS="log_path=$work/asan/report:print_stacktrace=1" \
	HOLDERS="$work/asan/holders" \
	SERVER="$work/asan/server" CLIENT="$work/asan/client" CLOSELAB_SANITIZED=1 \
	    sh "$top/tests/run.sh" >"$work/asan/suite" 2>&1
	summary=$(tail -n 1 "$work/asan/suite")
	grep -E '^not ok' "$work/asan/suite"
	result "$(echo "$summary" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' |
	    grep -qx 0; echo $?)" "the bats suite against the ASan+UBSan build ($summary)"
	if ls "$work/asan"/report.* >/dev/null 2>&1; then
		cat "$work/asan"/report.* | head -n 60
		result 1 "no sanitizer report"
	else
		result 0 "no sanitizer report"
	fi
}

# valgrind_run NAME SERVER-ARGS -- CLIENT-ARGS: an exchange under memcheck
valgrind_run() {
	name=$1
	shift
	sargs=
	while [ "$1" != -- ]; do sargs="$sargs $1"; shift; done
	shift
	dir=$work/vg/$name
	mkdir -p "$dir"
	vg="valgrind --tool=memcheck --trace-children=yes --track-fds=yes --leak-check=full
	    --errors-for-leak-kinds=definite --log-file=$dir/vg.%p"
	# shellcheck disable=SC2086 # lists of words
	$vg "$top/bin/server" --port 0 --port-file "$dir/port" --workers 2 --log "$dir/log" \
	    $sargs 2>"$dir/err" &
	pid=$!
	tries=0
	while [ ! -s "$dir/port" ] && [ $tries -lt 1500 ] && kill -0 "$pid" 2>/dev/null; do
		tries=$((tries + 1))
		sleep 0.02
	done
	status=1
	if [ -s "$dir/port" ]; then
		$vg "$top/bin/client" --port "$(cat "$dir/port")" "$@" >"$dir/out" 2>&1
		# let the server end what it keeps, then stop it
		kill -TERM "$pid"
		wait "$pid" && status=0
	fi
	# every process: no error, and no TCP socket left open at its exit
	for f in "$dir"/vg.*; do
		grep -q 'ERROR SUMMARY: 0 errors' "$f" || { status=1; cat "$f"; }
		if grep -q 'Open AF_INET' "$f"; then
			status=1
			grep -B1 -A3 'Open AF_INET' "$f"
		fi
	done
	result $status "valgrind memcheck: $name"
}

valgrind_all() {
	if ! need valgrind valgrind; then
		result 1 "valgrind is installed"
		return
	fi
	make -s -C "$top" all
	valgrind_run prefork-close --end close -- --send hello --send world
	valgrind_run prefork-shutdown --end shutdown --parent-keeps 100 -- --send hello
	valgrind_run fork-close --model fork --end close -- --send hello
	valgrind_run abort --end abort -- --send hello
	valgrind_run client-abort --reply-delay 50 -- --send hello --then abort
	valgrind_run repeat --end close -- --send hello --repeat 20 --concurrency 4
}

lint() {
	if need cppcheck cppcheck; then
		(cd "$top" && cppcheck --std=c11 --enable=warning,portability,performance \
		    --error-exitcode=1 --quiet --inline-suppr -D__linux__ common server client holders)
		result $? "cppcheck"
	else
		result 1 "cppcheck is installed"
	fi
	if need shellcheck shellcheck; then
		(cd "$top" && shellcheck -x demo/demo.sh demo/serverctl.sh bench/bench.sh timeline/timeline.sh \
		    tests/run.sh tests/check.sh .ci/run tests/*.bats tests/test_helper.bash bench/holders.sh)
		result $? "shellcheck"
	else
		result 1 "shellcheck is installed"
	fi
	# gcc, clang and musl, no warning (-Werror)
	need musl-gcc musl-tools
	for cc in cc clang musl-gcc; do
		if ! command -v $cc >/dev/null 2>&1; then
			result 1 "$cc is installed"
			continue
		fi
		# shellcheck disable=SC2086 # lists of files and flags
		(cd "$top" && $cc $CFLAGS_STRICT -O2 -o "$work/server-$cc" $SERVERS $COMMONS &&
		    $cc $CFLAGS_STRICT -O2 -o "$work/client-$cc" $CLIENTS $COMMONS &&
		    $cc $CFLAGS_STRICT -O2 -o "$work/holders-$cc" $HOLDERS_C)
		result $? "builds with $cc, no warning"
	done
}

fuzz() {
	cc=$(sancc)
	if [ "$cc" != clang ]; then
		result 1 "clang for libFuzzer is installed"
		return
	fi
	mkdir -p "$work/fuzz/corpus"
	# shellcheck disable=SC2086 # a list of files
	if ! (cd "$top" && clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -D_POSIX_C_SOURCE=200809L -o "$work/fuzz/parsers" tests/fuzz/parsers.c \
	    common/opt.c common/util.c common/log.c common/kernel.c); then
		result 1 "the fuzz target builds"
		return
	fi
	printf -- '--port 4500 --then close --send x' >"$work/fuzz/corpus/args"
	printf 't=1 pid=2 role=worker conn=127.0.0.1:5 ev=close holders=2->1' >"$work/fuzz/corpus/log"
	"$work/fuzz/parsers" -max_total_time="$fuzz_seconds" -timeout=5 \
	    "$work/fuzz/corpus" >"$work/fuzz/out" 2>&1
	status=$?
	grep -E '^(Done|==[0-9]+==ERROR|SUMMARY)' "$work/fuzz/out"
	result $status "fuzzing the option and log parsers for ${fuzz_seconds}s"
}

[ $# -gt 0 ] || set -- asan valgrind lint fuzz
for step; do
	case $step in
	asan) asan ;;
	valgrind) valgrind_all ;;
	lint) lint ;;
	fuzz) fuzz ;;
	*) echo "usage: check.sh [asan] [valgrind] [lint] [fuzz]" >&2; exit 2 ;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
