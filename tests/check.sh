#!/bin/sh
# check.sh: what make check runs besides make test. The bats suite against
# an ASan+UBSan build that also checks every logged field against the log's
# vocabulary, valgrind's memcheck over the core exchanges (children traced,
# descriptors tracked), cppcheck, shellcheck and an awk lint, builds with
# gcc, clang and musl, a 32-bit build that runs part of the suite, and the
# fuzz target for a bounded time. Ends with "N passed, N failed".
#
# usage: check.sh [asan] [valgrind] [lint] [m32] [fuzz]    (default: all)
# shellcheck disable=SC2089,SC2090 # CFLAGS_STRICT carries -DVERSION="..." with its quotes
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
fuzz_seconds=${FUZZ_SECONDS:-20}
# each program's sources, as the Makefile lists them
sources() {
	make -s -C "$top" sources | sed -n "s/^$1 //p"
}
SERVERS=$(sources server)
CLIENTS=$(sources client)
COMMONS=$(sources common)
HOLDERS_C=$(sources holders)
TRACE_C=$(sources trace)
JAIL_C=$(sources jail)
# the version as make builds it, for --version
VERSION=$(sed -n 's/^VERSION = //p' "$top/config.mk")
CFLAGS_STRICT="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DARWIN_C_SOURCE -DVERSION=\"$VERSION\"
    -Wall -Wextra -Werror -pedantic -pthread"

result() {
	if [ "$1" -eq 0 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

# install PACKAGE: with apt-get, where it can be used
install() {
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "check.sh: installing $1 with apt-get" >&2
		apt-get install -y -q "$1" >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$1" >/dev/null 2>&1; }
	fi
}

# need COMMAND PACKAGE: install PACKAGE where COMMAND is missing
need() {
	command -v "$1" >/dev/null 2>&1 || install "$2"
	command -v "$1" >/dev/null 2>&1
}

# The compiler for the sanitizers and the fuzzer: clang where there is one.
sancc() {
	if need clang clang; then echo clang; else echo cc; fi
}

asan() {
	cc=$(sancc)
	# LOG_CHECK: a line with a field events.h does not list stops the program
	flags="$CFLAGS_STRICT -DLOG_CHECK -g -O1 -fno-omit-frame-pointer
	    -fsanitize=address,undefined -fno-sanitize-recover=all"
	mkdir -p "$work/asan"
	# shellcheck disable=SC2086 # lists of files and flags
	if ! (cd "$top" && $cc $flags -o "$work/asan/server" $SERVERS &&
	    $cc $flags -o "$work/asan/client" $CLIENTS &&
	    $cc $flags -o "$work/asan/holders" $HOLDERS_C &&
	    $cc $flags -o "$work/asan/trace" $TRACE_C); then
		result 1 "ASan+UBSan build"
		return
	fi
	result 0 "ASan+UBSan build"
	# bin/trace finds closes.bt at ../trace beside it, as in the tree
	mkdir -p "$work/trace" && cp "$top/trace/closes.bt" "$work/trace/"
	# every report goes to a file: the suite passing is not enough
	ASAN_OPTIONS="log_path=$work/asan/report:detect_leaks=1" \
	UBSAN_OPTIONS="log_path=$work/asan/report:print_stacktrace=1" \
	SERVER="$work/asan/server" CLIENT="$work/asan/client" HOLDERS="$work/asan/holders" \
	TRACE="$work/asan/trace" \
	CLOSELAB_SANITIZED=1 \
	    bash "$top/tests/run.sh" >"$work/asan/suite" 2>&1
	summary=$(tail -n 1 "$work/asan/suite")
	# each failure with its diagnostics: CI keeps nothing else of the suite
	awk '/^not ok/ { shown = 1; print; next } shown && /^#/ { print; next } { shown = 0 }' \
	    "$work/asan/suite"
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
		    --error-exitcode=1 --quiet --inline-suppr -D__linux__ common server client holders grade \
		    trace)
		result $? "cppcheck"
	else
		result 1 "cppcheck is installed"
	fi
	if need shellcheck shellcheck; then
		(cd "$top" && shellcheck -x demo/*.sh bench/*.sh timeline/timeline.sh \
		    grade/grade.sh grade/sandbox.sh grade/cgroup.sh tests/grade/class.sh tests/bats.sh \
		    tests/run.sh tests/check.sh .ci/run tests/*.bats tests/test_helper.bash)
		result $? "shellcheck"
	else
		result 1 "shellcheck is installed"
	fi
	# the awk programs: gawk's lint, and mawk and busybox awk reading them
	if need gawk gawk; then
		# each program with the library and the variables it is given; a
		# library function that one program does not call is no fault
		out=$(cd "$top" && {
			gawk --lint -v prog=timeline -f common/log.awk -f timeline/check.awk /dev/null
			gawk --lint -v prog=timeline -v want= -v svg= -v html= -v color=0 -f common/log.awk \
			    -f timeline/timeline.awk -f timeline/svg.awk -f timeline/html.awk /dev/null
			for p in event values field; do
				gawk --lint -v want=ev=close -v nth=1 -v keys=fd -v wanted_key=fd \
				    -f common/log.awk -f common/$p.awk /dev/null
			done
			GRADE_WHY='' gawk --lint -v state=built -v file_s=150 -v expected=/dev/null \
			    -f grade/results.awk /dev/null
			r=$(mktemp -d)
			gawk --lint -v csv="$r/csv" -v xml="$r/xml" -v counts="$r/counts" -v outdir="$r" \
			    -v weights= -f grade/report.awk /dev/null >/dev/null
			printf 'a\ta\nlesson\tlistens\tpass\t\t\n\n' >"$r/in"
			printf 'listens\t5\t0\tit listens\n' >"$r/weights"
			mkdir "$r/a"
			gawk --lint -F '\t' -v csv="$r/csv" -v xml="$r/xml" -v counts="$r/counts" \
			    -v outdir="$r" -v weights="$r/weights" -f grade/report.awk "$r/in" >/dev/null
			rm -rf "$r"
		} 2>&1 | grep -v -e 'defined but never called directly' -e 'no connection events')
		printf '%s\n' "$out" | sed '/^$/d'
		[ -z "$out" ]
		result $? "gawk --lint on the awk programs"
	else
		result 1 "gawk is installed"
	fi
	# gcc, clang and musl, no warning (-Werror)
	need musl-gcc musl-tools
	for cc in cc clang musl-gcc; do
		if ! command -v $cc >/dev/null 2>&1; then
			result 1 "$cc is installed"
			continue
		fi
		# shellcheck disable=SC2086 # lists of files and flags
		(cd "$top" && $cc $CFLAGS_STRICT -O2 -o "$work/server-$cc" $SERVERS &&
		    $cc $CFLAGS_STRICT -O2 -o "$work/client-$cc" $CLIENTS &&
		    $cc $CFLAGS_STRICT -O2 -o "$work/holders-$cc" $HOLDERS_C &&
		    $cc $CFLAGS_STRICT -O2 -o "$work/trace-$cc" $TRACE_C &&
		    $cc $CFLAGS_STRICT -O2 -o "$work/jail-$cc" $JAIL_C)
		result $? "builds with $cc, no warning"
	done
}

# A 32-bit build, where long is 32 bits: every time in nanoseconds must be
# 64-bit arithmetic. It runs the core's shared-socket and client tests,
# natively where the kernel runs 32-bit programs, else under qemu-i386.
m32_builds() {
	echo 'int main(void) { return 0; }' | cc -m32 -x c -o "$work/m32-probe" - 2>/dev/null
}

# m32_runner PROGRAM: the program's path as the tests will run it. Under
# qemu, a script named like the program runs it, and a preloaded library is
# the guest's, not qemu's.
m32_runner() {
	if "$work/m32-probe" 2>/dev/null; then
		echo "$work/m32/bin/$1"
		return
	fi
	cat >"$work/m32/$1" <<-EOF
		#!/bin/sh
		if [ -n "\${LD_PRELOAD-}" ]; then
			guest=\$LD_PRELOAD
			unset LD_PRELOAD
			exec qemu-i386 -E LD_PRELOAD="\$guest" "$work/m32/bin/$1" "\$@"
		fi
		exec qemu-i386 "$work/m32/bin/$1" "\$@"
	EOF
	chmod +x "$work/m32/$1"
	echo "$work/m32/$1"
}

m32() {
	m32_builds || install gcc-multilib
	if ! m32_builds; then
		result 1 "a 32-bit build is possible (gcc-multilib)"
		return
	fi
	mkdir -p "$work/m32/bin"
	# shellcheck disable=SC2086 # lists of files and flags
	if ! (cd "$top" && cc -m32 $CFLAGS_STRICT -O2 -o "$work/m32/bin/server" $SERVERS &&
	    cc -m32 $CFLAGS_STRICT -O2 -o "$work/m32/bin/client" $CLIENTS); then
		result 1 "a 32-bit build"
		return
	fi
	how=natively
	if ! "$work/m32-probe" 2>/dev/null; then
		how="under qemu-i386"
		if ! need qemu-i386 qemu-user; then
			result 1 "this kernel runs no 32-bit program, and qemu-i386 (qemu-user) is missing"
			return
		fi
	fi
	SERVER=$(m32_runner server) CLIENT=$(m32_runner client) FAULT_CFLAGS=-m32 bash "$top/tests/run.sh" \
	    "$top/tests/shared_socket.bats" "$top/tests/client.bats" >"$work/m32/suite" 2>&1
	summary=$(tail -n 1 "$work/m32/suite")
	grep -E '^not ok' "$work/m32/suite"
	result "$(echo "$summary" | sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' |
	    grep -qx 0; echo $?)" "a 32-bit build passes the shared-socket and client tests, $how ($summary)"
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
	    -D_POSIX_C_SOURCE=200809L -o "$work/fuzz/parsers" \
	    tests/fuzz/parsers.c $COMMONS); then
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

[ $# -gt 0 ] || set -- asan valgrind lint m32 fuzz
for step; do
	case $step in
	asan) asan ;;
	valgrind) valgrind_all ;;
	lint) lint ;;
	m32) m32 ;;
	fuzz) fuzz ;;
	*) echo "usage: check.sh [asan] [valgrind] [lint] [m32] [fuzz]" >&2; exit 2 ;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
