#!/usr/bin/env bats
# bin/grade on the lesson's assignment (docs/assignment.md): a class that
# tests/grade/lesson.sh makes (a correct answer in C and one in Python, each
# classic mistake, the liar, a hang, a fork bomb, one that does not build),
# judged by grade/judge from what the kernel saw. The grading runs once, in
# setup_file; the tests read what it left.

# bats file_tags=host

load test_helper

setup_file() {
	export CLASS=$BATS_FILE_TMPDIR/class GRADES=$BATS_FILE_TMPDIR/grades
	grader_setup || return 0
	local status=0
	sh "$TOP/tests/grade/lesson.sh" "$CLASS"
	"$TOP/bin/grade" -j 4 -o "$GRADES" "$CLASS" >"$BATS_FILE_TMPDIR/summary" \
	    2>"$BATS_FILE_TMPDIR/stderr" 3>&- || status=$?
	echo "$status" >"$BATS_FILE_TMPDIR/status"
}

# expected: NAME<TAB>LOW<TAB>HIGH<TAB>CHECK<TAB>PHRASE, a line a submission
expected() {
	cat "$CLASS/expected"
}

# csv_field STUDENT N: column N of the student's row of grades.csv
csv_field() {
	grep "^$1," "$GRADES/grades.csv" | cut -d , -f "$2"
}

# failed_checks STUDENT: what the judge saw in each check it failed, on
# stderr, which bats shows with a test that fails
failed_checks() {
	awk '/^not ok/ { on = 1 } /^ok/ { on = 0 } on' "$GRADES/$1/lesson.tap" >&2
}

# the checks of grade/lesson.tsv, in order
checks() {
	grep -v '^#' "$TOP/grade/lesson.tsv" | cut -f 1
}

@test "the lesson's class is graded: exit 0, nothing on stderr, one row a submission" {
	graded
	[ "$(cat "$BATS_FILE_TMPDIR/status")" -eq 0 ] ||
	    mistake "bin/grade exited $(cat "$BATS_FILE_TMPDIR/status"): $(cat "$BATS_FILE_TMPDIR/stderr")"
	run grep -v '^grade: no cgroup can be made beneath' "$BATS_FILE_TMPDIR/stderr"
	assert_output ""
	[ "$(($(wc -l <"$GRADES/grades.csv") - 1))" -eq "$(expected | wc -l)" ] ||
	    mistake "grades.csv does not have one row for each submission of the class"
}

# one_of SENTENCE PHRASES: whether SENTENCE has one of PHRASES ("A|B")
one_of() {
	local p
	while IFS= read -r -d '|' p; do
		[[ $1 != *"$p"* ]] || return 0
	done <<<"$2|"
	return 1
}

@test "each submission scores in its band and fails the check of its mistake, with its sentence" {
	graded
	local name low high check phrase score result reason
	while IFS="$(printf '\t')" read -r name low high check phrase; do
		score=$(csv_field "$name" 2)
		((score >= low && score <= high)) || {
			failed_checks "$name"
			mistake "$name scored $score, not $low to $high: $(csv_field "$name" 6)"
		}
		[ "$check" != - ] || continue
		IFS="$(printf '\t')" read -r _ _ result reason _ < <(awk -F '\t' -v c="$check" \
		    '$2 == c' "$GRADES/$name/results.tsv")
		[ "$result" = fail ] || {
			failed_checks "$name"
			mistake "$name did not fail the check $check"
		}
		[ "$phrase" = - ] || one_of "$reason" "$phrase" || {
			failed_checks "$name"
			mistake "$name: the check $check's sentence is '$reason', not one with '$phrase'"
		}
	done < <(expected)
}

@test "the correct answers pass every check, from what the kernel showed" {
	graded
	failed_checks prefork
	failed_checks forking
	run grep -c '^ok ' "$GRADES/prefork/lesson.tap" "$GRADES/forking/lesson.tap"
	assert_output "$(printf '%s:9\n' "$GRADES/prefork/lesson.tap" "$GRADES/forking/lesson.tap")"
	grep -q '^# the parent (pid [0-9]*) alone held it in CLOSE_WAIT' "$GRADES/prefork/lesson.tap" ||
	    mistake "the pre-forking answer's TAP does not say that the parent alone held the socket"
	grep -q 'was served by a process that was there before it' "$GRADES/prefork/lesson.tap" ||
	    mistake "the pre-forking answer was not seen as pre-forking"
	grep -q 'was served by a new process' "$GRADES/forking/lesson.tap" ||
	    mistake "the forking answer was not seen as forking"
}

@test "the liar, whose worker holds the socket instead of the parent, fails, and its TAP says what the kernel showed" {
	graded
	run grep -E '^# pid [0-9]+ held it in CLOSE_WAIT, and the parent \(pid [0-9]+\) no longer' \
	    "$GRADES/liar/lesson.tap"
	assert_success
	run grep '^not ok 4 close-keep$' "$GRADES/liar/lesson.tap"
	assert_success
}

@test "a mistake is one sentence for every student: no pid, port or time in grades.csv" {
	graded
	# but the build's last line, which is the student's own
	run awk -F , 'NR > 1 && $1 != "no-build" { m = $0; sub(/^[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,/, "", m)
		gsub(/127\.0\.0\.1/, "", m); if (m ~ /[0-9]/) print }' "$GRADES/grades.csv"
	assert_output ""
}

@test "the judge's checks are grade/lesson.tsv's, in its order" {
	graded
	run sed -n 's/^\(not \)\{0,1\}ok [0-9]* //p' "$GRADES/prefork/lesson.tap"
	assert_output "$(checks)"
}

@test "no process of the class is left" {
	graded
	local left
	left=$(left_behind "$GRADES")
	[ -z "$left" ] || mistake "processes of the run's uids are left: $left"
}

@test "a grading whose reader has gone (a pipe closed) still writes the grades, and leaves no file of its run" {
	graded
	local class=$BATS_FILE_TMPDIR/pipe name=pipe-$$-$RANDOM left
	mkdir -p "$class"
	cp -R "$CLASS/prefork" "$class/$name"
	# the summary's first write meets a pipe nobody reads: SIGPIPE
	"$TOP/bin/grade" -j 1 -o "$BATS_FILE_TMPDIR/pipe-grades" "$class" 2>/dev/null 3>&- | true
	# each run's directory lists its students: none may list this one
	left=$(grep -lx "$name" /run/closelab-grade/run.*/students 2>/dev/null || true)
	[ -z "$left" ] || mistake "the grading left its run's files when its reader went away: $left"
	left=$(left_behind "$BATS_FILE_TMPDIR/pipe-grades")
	[ -z "$left" ] || mistake "processes of the run's uids are left: $left"
	grep -q "^$name,100," "$BATS_FILE_TMPDIR/pipe-grades/grades.csv" ||
	    mistake "the grades were lost with the summary that nobody read"
}

@test "--require fork fails the pre-forking answer's model check, and prefork the forking one's" {
	graded
	local class=$BATS_FILE_TMPDIR/two
	mkdir -p "$class"
	cp -R "$CLASS/prefork" "$CLASS/forking" "$class/"
	run "$TOP/bin/grade" -j 2 --require fork -o "$BATS_FILE_TMPDIR/fork" "$class" 3>&-
	assert_success
	run cut -d , -f 1,2,6 "$BATS_FILE_TMPDIR/fork/grades.csv"
	assert_line "forking,100,"
	assert_line "prefork,95,\"the connections were not each served by a child forked for it (forking was asked for)\""
	run "$TOP/bin/grade" -j 2 --require prefork -o "$BATS_FILE_TMPDIR/prefork" "$class" 3>&-
	assert_success
	run cut -d , -f 1,2 "$BATS_FILE_TMPDIR/prefork/grades.csv"
	assert_line "forking,95"
	assert_line "prefork,100"
}

@test "--weights: the instructor's table gives the score" {
	graded
	local class=$BATS_FILE_TMPDIR/one w=$BATS_FILE_TMPDIR/weights.tsv
	mkdir -p "$class"
	cp -R "$CLASS/close-only" "$class/"
	# shutdown's cap gone: 80 of the 100 points
	awk -F '\t' -v OFS='\t' '$1 == "shutdown" { $3 = "-" } { print }' \
	    "$TOP/grade/lesson.tsv" >"$w"
	run "$TOP/bin/grade" --weights "$w" -o "$BATS_FILE_TMPDIR/weighted" "$class" 3>&-
	assert_success
	run cut -d , -f 1,2 "$BATS_FILE_TMPDIR/weighted/grades.csv"
	assert_line "close-only,80"
}

@test "grade: a bad --assignment, --require or --weights is one line and the usage, exit 2" {
	local w=$BATS_TEST_TMPDIR/w bad
	grep -v '^reaped' "$TOP/grade/lesson.tsv" >"$w.short"
	sed 's/^echo\t10/echo\tten/' "$TOP/grade/lesson.tsv" >"$w.points"
	sed 's/^echo\t10\t-/echo\t10\t101/' "$TOP/grade/lesson.tsv" >"$w.cap"
	{ cat "$TOP/grade/lesson.tsv"; printf 'echo\t1\t-\tagain\n'; } >"$w.twice"
	{ cat "$TOP/grade/lesson.tsv"; printf 'bogus\t1\t-\tno such\n'; } >"$w.bogus"
	for bad in "--assignment x" "--assignment" "--require all" "--assignment full --require fork" \
	    "--weights $w.none" "--weights $w.short" "--weights $w.points" "--weights $w.cap" \
	    "--weights $w.twice" "--weights $w.bogus"; do
		# shellcheck disable=SC2086 # the words of each case
		run "$TOP/bin/grade" $bad "$BATS_TEST_TMPDIR"
		assert_failure 2
		assert_line --index 0 --regexp '^grade: '
		assert_line --index 1 --regexp '^usage: grade '
	done
	run "$TOP/bin/grade" --weights "$w.twice" "$BATS_TEST_TMPDIR"
	assert_line --index 0 --partial "echo is there twice"
}

@test "each student's results.json for Gradescope and PrairieLearn: their schema, each check's points, the score" {
	graded
	command -v python3 >/dev/null || skip "python3 is not installed"
	local name
	# shellcheck disable=SC2016 # python, not shell
	while IFS="$(printf '\t')" read -r name _; do
		run python3 -c '
import json, sys
gs, pl, score = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), float(sys.argv[3])
assert set(gs) == {"score", "output", "tests"} and isinstance(gs["output"], str)
assert abs(gs["score"] - score) < 0.01, (gs["score"], score)
for t in gs["tests"]:
    assert set(t) == {"number", "name", "score", "max_score", "status", "output"}, t
    assert t["status"] in ("passed", "failed") and 0 <= t["score"] <= t["max_score"], t
    assert (t["score"] == t["max_score"]) == (t["status"] == "passed"), t
assert set(pl) == {"gradable", "score", "message", "tests"} and pl["gradable"] is True
assert abs(pl["score"] - score / 100) < 0.0001 and 0 <= pl["score"] <= 1
assert [t["name"] for t in pl["tests"]] == sys.argv[4].split()
for t in pl["tests"]:
    assert set(t) == {"name", "description", "points", "max_points", "message"}, t
    assert 0 <= t["points"] <= t["max_points"], t
print(len(gs["tests"]), len(pl["tests"]))' "$GRADES/$name/gradescope.json" \
		    "$GRADES/$name/prairielearn.json" "$(csv_field "$name" 2)" "$(checks | tr '\n' ' ')"
		assert_success
		assert_output "9 9"
	done < <(expected)
}
