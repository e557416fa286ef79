#!/usr/bin/env bats
# bin/grade against hostile submissions (tests/grade/attacks.sh), graded
# beside an honest one: links, hard links and pipes planted where root
# once opened files, forged TAP on every inherited descriptor, the host's
# secrets looked for, a process that outlives its tests, four that ask for
# more memory than the cap; and a sandbox that crashes before a good
# submission in the same slot. The gradings run once, in setup_file; the
# tests read what they left. docs/grading.md has the threat model.

# bats file_tags=host

load test_helper

setup_file() {
	export CLASS=$BATS_FILE_TMPDIR/class GRADES=$BATS_FILE_TMPDIR/grades
	grader_setup || return 0
	# the host's files the attackers aim at: root's, outside /tmp, which the
	# grader's old sandbox left in sight
	export HOST=
	HOST=$(mktemp -d /run/closelab-attack.XXXXXX)
	export VICTIM=$HOST/victim SECRET=$HOST/secret
	export ENV_SECRET=env-secret-$RANDOM$RANDOM$RANDOM FILE_SECRET=file-secret-$RANDOM$RANDOM$RANDOM
	echo "the victim, as it was" >"$VICTIM"
	chmod 644 "$VICTIM"
	(umask 077 && echo "$FILE_SECRET" >"$SECRET")
	sh "$TOP/tests/grade/attacks.sh" "$CLASS" "$VICTIM" "$SECRET"
	local status=0
	CLOSELAB_ATTACK_SECRET=$ENV_SECRET CLOSELAB_GRADE_TESTS=echo.bats CLOSELAB_GRADE_FILE_S=60 \
	    CLOSELAB_GRADE_MEMORY_MIB=300 \
	    "$TOP/bin/grade" --assignment full -j 2 -o "$GRADES" "$CLASS" >"$BATS_FILE_TMPDIR/summary" \
	    2>"$BATS_FILE_TMPDIR/stderr" 3>&- || status=$?
	echo "$status" >"$BATS_FILE_TMPDIR/status"
	crash_run
}

# crash_run: a copy of the grading files whose sandbox crashes for the
# submission named "crash", and whose tests, as if a student had fooled
# them, leave a link to the secret among the files they keep (echo.bats has
# a test that fails, so that they are kept); graded one at a time (-j 1):
# the crash, then an honest submission in the same slot, then one that
# spins on four processes until its CPU time (20 s here) is up: within the
# file's 120 s, a sixth of a core is enough, which it gets even beside
# another grading's sandboxes
crash_run() {
	local copy=$BATS_FILE_TMPDIR/grader status=0
	mkdir -p "$copy" "$BATS_FILE_TMPDIR/crash-class/crash" "$BATS_FILE_TMPDIR/crash-class/spinner"
	printf '#!/bin/sh\nfor i in 1 2 3 4; do while :; do :; done & done\nwait\n' \
	    >"$BATS_FILE_TMPDIR/crash-class/spinner/server"
	chmod 755 "$BATS_FILE_TMPDIR/crash-class/spinner/server"
	cp -R "$TOP/bin" "$TOP/common" "$TOP/grade" "$TOP/tests" "$copy/"
	rm -rf "$copy/tests/.deps"
	# shellcheck disable=SC2016 # for the sandbox to expand
	sed -i '/^src=\${CLOSELAB_GRADE_SRC/a case $src in */crash) kill -KILL $$ ;; esac' \
	    "$copy/grade/sandbox.sh"
	grep -q 'kill -KILL \$\$' "$copy/grade/sandbox.sh" || echo "the crash was not put in" >&2
	printf '\n@test "a test that fails, so that its files are kept" {\n\tfalse\n}\n' \
	    >>"$copy/tests/echo.bats"
	sed -i "s|^keep_logs() {\$|&\n\tmkdir -p \"\$CLOSELAB_KEEP/\$BATS_TEST_NUMBER\"; ln -sfn $SECRET \"\$CLOSELAB_KEEP/\$BATS_TEST_NUMBER/leak.log\"|" \
	    "$copy/tests/test_helper.bash"
	grep -q 'leak.log' "$copy/tests/test_helper.bash" || echo "the leak was not put in" >&2
	chmod -R go-w "$copy"
	cp -R "$CLASS/b-honest" "$BATS_FILE_TMPDIR/crash-class/honest"
	CLOSELAB_GRADE_TESTS=echo.bats CLOSELAB_GRADE_FILE_S=120 CLOSELAB_GRADE_CPU_S=20 \
	    "$copy/bin/grade" --assignment full -j 1 \
	    -o "$BATS_FILE_TMPDIR/crash-grades" "$BATS_FILE_TMPDIR/crash-class" \
	    >"$BATS_FILE_TMPDIR/crash-summary" 2>"$BATS_FILE_TMPDIR/crash-stderr" 3>&- || status=$?
	echo "$status" >"$BATS_FILE_TMPDIR/crash-status"
}

teardown_file() {
	[ -z "${HOST:-}" ] || rm -rf "$HOST"
}

# passed NAME [GRADES]: the tests NAME passed, from grades.csv
passed() {
	grep "^$1," "${2:-$GRADES}/grades.csv" | cut -d , -f 3
}

# expect NAME: what attacks.sh says the grade of NAME must show
expect() {
	awk -F '\t' -v n="$1" '$1 == n { print $2 }' "$CLASS/expected"
}

@test "a local user's OUTDIR is refused: no link there leads root to write a file" {
	graded
	local out=$BATS_FILE_TMPDIR/foreign-out
	mkdir -p "$out"
	ln -s "$VICTIM" "$out/grades.csv.tmp"
	chown -h 5555:5555 "$out" "$out/grades.csv.tmp"
	run "$TOP/bin/grade" -o "$out" "$CLASS"
	assert_failure 1
	assert_output --partial "is not root's alone"
	run cat "$VICTIM"
	assert_output "the victim, as it was"
}

@test "the attackers' run ends: exit 0, a row a submission" {
	graded
	[ "$(cat "$BATS_FILE_TMPDIR/status")" -eq 0 ] ||
	    mistake "bin/grade exited $(cat "$BATS_FILE_TMPDIR/status"): $(cat "$BATS_FILE_TMPDIR/stderr")"
	[ "$(($(wc -l <"$GRADES/grades.csv") - 1))" -eq "$(wc -l <"$CLASS/expected")" ] ||
	    mistake "grades.csv does not have a row for each submission"
}

@test "the honest student beside them passes every test, and each attacker gets what its code deserves" {
	graded
	local name kind total
	while IFS="$(printf '\t')" read -r name kind; do
		IFS=, read -r _ _ _ _ total _ <<<"$(grep "^$name," "$GRADES/grades.csv")"
		case $kind in
		all) [ "$(passed "$name")" -eq "$total" ] || mistake "$name: $(grep "^$name," "$GRADES/grades.csv")" ;;
		none) [ "$(passed "$name")" -eq 0 ] || mistake "$name: $(grep "^$name," "$GRADES/grades.csv")" ;;
		esac
	done <"$CLASS/expected"
}

@test "no root process followed a link: the victim is as it was, the host's directory holds only its own" {
	graded
	run cat "$VICTIM"
	assert_output "the victim, as it was"
	run ls -A "$HOST"
	assert_output "$(printf 'secret\nvictim')"
	run stat -c '%a %U' "$VICTIM" "$SECRET"
	assert_output "$(printf '644 root\n600 root')"
}

@test "forged TAP on descriptors 3 to 20 raises no score" {
	graded
	[ "$(passed forger)" -eq "$(passed quiet)" ] ||
	    mistake "the forger passed $(passed forger) tests, the same program without forging $(passed quiet)"
	run grep -c 'forged' "$GRADES/forger/echo.results"
	assert_output 0
}

@test "no secret of the host reaches any output: not the grader's environment, not a root-only file" {
	graded
	run grep -rlF -e "$ENV_SECRET" -e "$FILE_SECRET" "$GRADES" "$BATS_FILE_TMPDIR/summary" \
	    "$BATS_FILE_TMPDIR/stderr" "$BATS_FILE_TMPDIR/crash-grades"
	assert_output ""
	# a fooled tester's link to the secret was not followed by root
	[ -d "$BATS_FILE_TMPDIR/crash-grades/honest/logs/echo-8" ] ||
	    mistake "the failing test's files were not kept (logs/echo-8)"
	# what the attackers saw of the host: not the submissions, not the
	# grader's own files
	run grep -rlF -e "$CLASS" -e "/run/closelab-grade" -e "$TOP" "$GRADES/forger" "$GRADES/quiet"
	assert_output ""
	grep -q 'LANG=C.UTF-8' "$GRADES"/quiet/logs/*/client/client.log ||
	    mistake "the attacker's log, which shows its environment, was not kept"
}

@test "a crashed sandbox reads 'not graded', the run exits 1, and the next submission in its slot is graded" {
	graded
	local grades=$BATS_FILE_TMPDIR/crash-grades
	[ "$(cat "$BATS_FILE_TMPDIR/crash-status")" -eq 1 ] ||
	    mistake "a run with a crashed sandbox exited $(cat "$BATS_FILE_TMPDIR/crash-status")"
	run grep '^crash,' "$grades/grades.csv"
	assert_output --regexp '^crash,,0,0,0,"?not graded: its sandbox failed \(exit 137\)'
	run grep -c 'hang\|still running\|did not run' "$grades/crash/results.tsv"
	assert_output 0
	[ "$(passed honest "$grades")" -gt 0 ] &&
	    [ "$(passed honest "$grades")" -eq "$(passed b-honest)" ] ||
	    mistake "the honest submission after the crash: $(grep '^honest,' "$grades/grades.csv")"
	grep -q '^crash  *- *- *not graded: ' "$BATS_FILE_TMPDIR/crash-summary" ||
	    mistake "the summary does not say the crash was not graded"
	grep -q 'could not be graded' "$BATS_FILE_TMPDIR/crash-stderr" ||
	    mistake "stderr does not say a submission could not be graded"
}

@test "a submission that spins until its CPU time is up fails every test, saying so; it is graded" {
	graded
	local grades=$BATS_FILE_TMPDIR/crash-grades
	if grep -q '^grade: no cgroup can be made' "$BATS_FILE_TMPDIR/crash-stderr"; then
		skip "$(sed -n 's/^grade: //p' "$BATS_FILE_TMPDIR/crash-stderr")"
	fi
	run grep '^spinner,' "$grades/grades.csv"
	assert_output --regexp '^spinner,0,0,[1-9][0-9]*,[1-9][0-9]*,"its programs were stopped when they had used 20 s of CPU: they spin, or fork without end"$'
}

@test "four processes asking for more than the memory cap together are held to it" {
	graded
	local line peak killed
	if grep -q '^grade: no cgroup can be made' "$BATS_FILE_TMPDIR/stderr"; then
		skip "$(sed -n 's/^grade: //p' "$BATS_FILE_TMPDIR/stderr")"
	fi
	line=$(grep '^cgroup: ' "$GRADES/hog/sandbox.log") ||
	    mistake "the hog's sandbox.log gives no cgroup's figures, and bin/grade did not say why"
	peak=$(sed -n 's/^cgroup: at most \([0-9]*\) MiB.*/\1/p' <<<"$line")
	killed=$(sed -n 's/.* \([0-9]*\) processes killed for memory.*/\1/p' <<<"$line")
	((peak <= 300)) || mistake "the hog's sandbox used $peak MiB, over its cap of 300: $line"
	((killed >= 1)) || mistake "no hog was killed for memory: $line"
}

@test "nothing is left running, and every cgroup the run made is gone" {
	graded
	[ -n "$(graded_uids "$GRADES")" ] || mistake "no sandbox.log says which uids it graded as"
	run left_behind "$GRADES"
	assert_output ""
	run find /sys/fs/cgroup -maxdepth 6 -type d -name "closelab-grade.$(graded_run "$GRADES").*"
	assert_output ""
}

@test "a failed test's logs are kept where its sentence says, and a program that cannot be run is quoted" {
	graded
	local n=0 path
	while read -r path; do
		[ -d "$GRADES/$path" ] || mistake "the TAP names $path, which does not exist after the run"
		n=$((n + 1))
	done < <(sed -n 's/.*(logs: \([^)]*\)).*/\1/p' "$GRADES/quiet/echo.tap" | sort -u)
	((n > 0)) || mistake "no failed test of quiet names its logs"
	grep -q 'it could not be run: .*/opt/closelab-attack/client.*not found' \
	    "$GRADES/missing/results.tsv" ||
	    mistake "no sentence quotes the error of a client that could not be run: $(cut -f 4 \
	    "$GRADES/missing/results.tsv" | sort -u)"
}

@test "the tests' arithmetic runs nothing that a program under test wrote in its log" {
	graded
	run grep -c 'INJECTED' "$GRADES/injector/echo.tap"
	assert_output 0
}

@test "a client that kills itself is not said to hang" {
	graded
	run grep -c 'still running\|hung' "$GRADES/suicide/results.tsv"
	assert_output 0
}

@test "a sentence is one line of text: what a program wrote makes no sentence of its own, nor a formula" {
	graded
	run awk -F '\t' '$4 ~ /^[=+@-]/' "$GRADES/newline/results.tsv"
	assert_output ""
	run grep -c '^newline,[^,]*,[^,]*,[^,]*,[^,]*,"\?[=+@-]' "$GRADES/grades.csv"
	assert_output 0
}

@test "a submission cannot starve its neighbour of CPU, nor kill its sandbox by wearing its tag" {
	graded
	run grep '^a-spinner,' "$GRADES/grades.csv"
	assert_output --partial "it did not build: "
	run grep '^b-honest,' "$GRADES/grades.csv"
	assert_output --regexp '^b-honest,100,'
	run grep -c 'not graded' "$GRADES/grades.csv"
	assert_output 0
}

@test "no System V IPC object of a submission outlives it" {
	graded
	local uids u
	uids=$(graded_uids "$GRADES")
	[ -n "$uids" ] || mistake "no sandbox.log says which uids it graded as"
	for u in $uids; do
		run sh -c "ipcs -m -c; ipcs -q -c; ipcs -s -c"
		refute_output --regexp "[[:space:]]${u}[[:space:]]"
	done
}

@test "a link of another user's on the way to OUTDIR is refused: root removes nothing there" {
	graded
	local drop=$BATS_FILE_TMPDIR/drop precious=$BATS_FILE_TMPDIR/precious
	mkdir -p "$drop" "$precious/b-honest"
	chmod 1777 "$drop"
	echo "keep me" >"$precious/b-honest/important"
	ln -s "$precious" "$drop/link"
	chown -h 5555:5555 "$drop/link"
	run "$TOP/bin/grade" -o "$drop/link" "$CLASS"
	assert_failure 1
	assert_output --partial "goes through another user's link"
	run cat "$precious/b-honest/important"
	assert_output "keep me"
}

@test "submissions that another user may change, and grading files that are not root's, are refused" {
	graded
	local subs=$BATS_FILE_TMPDIR/dropbox copy=$BATS_FILE_TMPDIR/foreign-grader
	mkdir -p "$subs"
	cp -R "$CLASS/b-honest" "$subs/"
	chmod 1777 "$subs"
	run "$TOP/bin/grade" -o "$BATS_FILE_TMPDIR/dropbox-grades" "$subs"
	assert_failure 1
	assert_output --partial "is not its owner's alone"
	mkdir -p "$copy"
	cp -R "$TOP/bin" "$TOP/common" "$TOP/grade" "$TOP/tests" "$copy/"
	chown -R 5555:5555 "$copy/tests"
	run "$copy/bin/grade" -o "$BATS_FILE_TMPDIR/foreign-grades" "$CLASS"
	assert_failure 1
	assert_output --partial "are not root's alone"
}

@test "closelab installed on the host is out of the sandbox's sight: a server that runs it is not graded as closelab's" {
	graded
	local class=$BATS_FILE_TMPDIR/lazy-class bin=$BATS_FILE_TMPDIR/installed
	mkdir -p "$class/lazy/bin" "$bin"
	printf '#!/bin/sh\nexec closelab-server "$@"\n' >"$class/lazy/bin/server"
	chmod 755 "$class/lazy/bin/server"
	cp "$TOP/bin/server" "$bin/closelab-server"
	# closelab installed in /usr/local/bin, in a mount namespace of the test's
	# shellcheck disable=SC2016 # for the inner shell to expand
	run unshare --mount --propagation private sh -c '
		mount -t tmpfs tmpfs /usr/local/bin && cp "$1/closelab-server" /usr/local/bin/ &&
		CLOSELAB_GRADE_TESTS=echo.bats CLOSELAB_GRADE_FILE_S=25 "$2/bin/grade" --assignment full -j 1 \
		    -o "$3" "$4" >/dev/null' lazy "$bin" "$TOP" "$BATS_FILE_TMPDIR/lazy-grades" "$class"
	assert_success
	run grep '^lazy,' "$BATS_FILE_TMPDIR/lazy-grades/grades.csv"
	assert_output --regexp '^lazy,0,0,'
}
