#!/usr/bin/env bats
# bin/grade grades a class, each submission in a sandbox of its own. The
# class comes from tests/grade/class.sh: here four submissions (correct, a
# classic mistake, a hang, one that does not build) on two test files, the
# files cut at 60 s; with CLOSELAB_GRADE_CLASS=full (make grade-class),
# twenty on the core. The grading runs once, in setup_file; the tests read
# what it left.

# bats file_tags=host

load test_helper

setup_file() {
	export CLASS=$BATS_FILE_TMPDIR/class GRADES=$BATS_FILE_TMPDIR/grades
	grader_setup || return 0
	local status=0
	if [ "${CLOSELAB_GRADE_CLASS:-}" = full ]; then
		sh "$TOP/tests/grade/class.sh" "$CLASS"
		fingerprint >"$BATS_FILE_TMPDIR/before"
		"$TOP/bin/grade" --assignment full -j 2 -o "$GRADES" "$CLASS" >"$BATS_FILE_TMPDIR/summary" \
		    2>"$BATS_FILE_TMPDIR/stderr" 3>&- || status=$?
	else
		sh "$TOP/tests/grade/class.sh" --quick "$CLASS"
		fingerprint >"$BATS_FILE_TMPDIR/before"
		CLOSELAB_GRADE_TESTS="echo.bats bad_input.bats" CLOSELAB_GRADE_FILE_S=60 \
		    "$TOP/bin/grade" --assignment full -j 2 -o "$GRADES" "$CLASS" >"$BATS_FILE_TMPDIR/summary" \
		    2>"$BATS_FILE_TMPDIR/stderr" 3>&- || status=$?
	fi
	echo "$status" >"$BATS_FILE_TMPDIR/status"
}

# fingerprint: every file of the class and its checksum
fingerprint() {
	(cd "$CLASS" && find . -type f ! -name expected ! -name markers -exec cksum {} + | sort)
}

# sandboxed: the processes of this run's sandboxes (CLOSELAB_GRADE_SANDBOX
# in their environment, with the run's id: another grading run may go on
# meanwhile, a suite of another tree's)
sandboxed() {
	local id
	id=$(graded_run "$GRADES")
	[ -n "$id" ] || { echo "no sandbox.log names this run's sandboxes"; return 0; }
	grep -lzF "CLOSELAB_GRADE_SANDBOX=$id." /proc/[0-9]*/environ 2>/dev/null
	return 0
}

# row NAME: the student's line of grades.csv
row() {
	grep "^$1," "$GRADES/grades.csv"
}

# each line of the class's expected list: NAME<TAB>all|some|none<TAB>PHRASE
expected() {
	cat "$CLASS/expected"
}

@test "the class is graded: exit 0, nothing on stderr, one row a submission" {
	graded
	[ "$(cat "$BATS_FILE_TMPDIR/status")" -eq 0 ] ||
	    mistake "bin/grade exited $(cat "$BATS_FILE_TMPDIR/status"): $(cat "$BATS_FILE_TMPDIR/stderr")"
	# but the one line that says no cgroup could be made, where none can
	run grep -v '^grade: no cgroup can be made beneath' "$BATS_FILE_TMPDIR/stderr"
	assert_output ""
	run sed -n 1p "$GRADES/grades.csv"
	assert_output "student,score,passed,failed,total,mistakes"
	[ "$(($(wc -l <"$GRADES/grades.csv") - 1))" -eq "$(expected | wc -l)" ] ||
	    mistake "grades.csv does not have one row for each submission of the class"
}

@test "each submission's score is what its code deserves" {
	graded
	local name kind phrase line score passed failed total
	while IFS="$(printf '\t')" read -r name kind phrase; do
		line=$(row "$name") || mistake "no row for $name in grades.csv"
		IFS=, read -r _ score passed failed total _ <<<"$line"
		((passed + failed == total && total > 0)) || mistake "$name: $line does not add up"
		((score == (100 * passed + total / 2) / total)) || mistake "$name: score $score is not passed/total"
		case $kind in
		all) ((passed == total)) || mistake "$name should pass every test: $line" ;;
		none) ((passed == 0)) || mistake "$name should pass no test: $line" ;;
		some) ((passed > 0 && failed > 0)) || mistake "$name should pass some tests, not all: $line" ;;
		fail) ((failed > 0)) || mistake "$name should fail a test: $line" ;;
		esac
	done < <(expected)
}

@test "every failed test names its mistake in a sentence, and each submission's mistake is named" {
	graded
	local name kind phrase
	while IFS="$(printf '\t')" read -r name kind phrase; do
		run awk -F '\t' '$3 == "fail" && $4 == ""' "$GRADES/$name/results.tsv"
		assert_output "" || mistake "$name: a failed test with no reason"
		run awk -F '\t' '/failed without naming a mistake/ { print $1 ": " $2 }' \
		    "$GRADES/$name/results.tsv"
		assert_output "" || mistake "$name: a core test failed with no sentence of its own"
		[ -z "$phrase" ] || grep -qF -- "$phrase" "$GRADES/$name/results.tsv" ||
		    mistake "$name: no reason says '$phrase': $(cut -f 4 "$GRADES/$name/results.tsv" | sort -u)"
	done < <(expected)
	row no-build | grep -q ',0,0,[0-9]*,[0-9]*,"it did not build: make: \*\*\* ' ||
	    mistake "no-build: its row does not give score 0 and the last line of the build"
}

@test "junit.xml is valid XML: a testsuite a student, a testcase a test, a failure a reason" {
	graded
	local xml=$GRADES/junit.xml
	if command -v python3 >/dev/null; then
		# shellcheck disable=SC2016 # python, not shell
		run python3 -c '
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
suites = d.getElementsByTagName("testsuite")
for s in suites:
    cases = s.getElementsByTagName("testcase")
    fails = [c for c in cases if c.getElementsByTagName("failure")]
    assert int(s.getAttribute("tests")) == len(cases), s.getAttribute("name")
    assert int(s.getAttribute("failures")) == len(fails), s.getAttribute("name")
    for c in fails:
        assert c.getElementsByTagName("failure")[0].getAttribute("message"), c.getAttribute("name")
print(len(suites))' "$xml"
		assert_success
		assert_output "$(expected | wc -l)"
	else
		run grep -c '<testsuite ' "$xml"
		assert_output "$(expected | wc -l)"
		run grep -c '<failure type="mistake" message=""' "$xml"
		assert_output 0
	fi
	# the test names hold apostrophes: escaped
	run grep -c "&apos;" "$xml"
	((output > 0)) || mistake "junit.xml did not escape the apostrophes of the test names"
}

@test "no process of a student's uid or of a sandbox is left, and every uid was the slot's own" {
	graded
	local uids left u
	uids=$(graded_uids "$GRADES")
	[ -n "$uids" ] || mistake "no sandbox.log says which uids it graded as"
	# two slots (-j 2): two uids each, the student's and the tester's, none
	# of them a user's
	[ "$(echo "$uids" | wc -l)" -le 4 ] || mistake "more uids than the two slots': $uids"
	for u in $uids; do
		if getent passwd "$u" >/dev/null; then
			mistake "uid $u, which a student's code ran as, is a user's"
		fi
	done
	left=$(left_behind "$GRADES")
	[ -z "$left" ] || mistake "processes of the run's uids are left: $left"
	run sandboxed
	assert_output "" || mistake "processes of this run's sandboxes are left"
}

@test "nothing outside the sandboxes was touched: no marker, the submissions as they were" {
	graded
	local m
	while read -r m; do
		[ ! -e "$m" ] || { rm -f "$m"; mistake "a submission left $m outside its sandbox"; }
	done <"$CLASS/markers"
	run fingerprint
	assert_output "$(cat "$BATS_FILE_TMPDIR/before")"
}

@test "the summary fits a screen: a line a student, then the most common mistakes" {
	graded
	local name lines
	lines=$(wc -l <"$BATS_FILE_TMPDIR/summary")
	((lines <= 40)) || mistake "the summary has $lines lines"
	# but the last line, which gives OUTDIR
	run awk 'length($0) > 100 && !/^Grades in /' "$BATS_FILE_TMPDIR/summary"
	assert_output ""
	while IFS= read -r name; do
		grep -q "^$name " "$BATS_FILE_TMPDIR/summary" || mistake "$name is not in the summary"
	done < <(cut -f 1 "$CLASS/expected")
	grep -q 'the most common mistakes:$' "$BATS_FILE_TMPDIR/summary" ||
	    mistake "the summary does not end with the most common mistakes"
	# the logs went to files
	[ -s "$GRADES/correct/build.log" ] && [ -s "$GRADES/correct/echo.tap" ] ||
	    mistake "the build's and the tests' logs are not in the student's directory"
}

@test "grade: bad input is one line and the usage, exit 2" {
	local bad
	for bad in "-j 0" "-j x" "-j 65" "-j" "--bogus" "" "/nonexistent/dir" "a b"; do
		# shellcheck disable=SC2086 # the words of each case
		run "$TOP/bin/grade" $bad
		assert_failure 2
		assert_line --index 0 --regexp '^grade: '
		assert_line --index 1 --regexp '^usage: grade \[-j JOBS\] \[-o OUTDIR\] \[--assignment lesson\|full\]$'
	done
	run "$TOP/bin/grade" ""
	assert_failure 2
	assert_line --index 0 "grade: SUBMISSIONS_DIR is empty (make grade SUBMISSIONS=dir)"
	run "$TOP/bin/grade" --help
	assert_success
	assert_line --index 0 'usage: grade [-j JOBS] [-o OUTDIR] [--assignment lesson|full]'
	run "$TOP/bin/grade" --version
	assert_success
	assert_output --regexp '^grade \(closelab\) [0-9.]+$'
}
