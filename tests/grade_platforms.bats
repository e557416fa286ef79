#!/usr/bin/env bats
# make grade-package: what Gradescope, PrairieLearn and GitHub Classroom
# need to judge the lesson's assignment, each tried in a simulation of the
# platform: its paths under a directory (CLOSELAB_PLATFORM_ROOT), in a
# network namespace of the test's own, on answers of tests/grade/lesson/.

# bats file_tags=host

load test_helper

setup_file() {
	export PACKAGE=$BATS_FILE_TMPDIR/package CLASS=$BATS_FILE_TMPDIR/class
	grader_setup || return 0
	sh "$TOP/tests/grade/lesson.sh" "$CLASS" >/dev/null
	make -s -C "$TOP" grade-package PACKAGE="$PACKAGE" >/dev/null
}

# in_netns COMMAND...: COMMAND in a network namespace of its own (loopback up)
in_netns() {
	unshare --net sh -c 'ip link set lo up && exec "$@"' in_netns "$@"
}

@test "make grade-package makes Gradescope's zip, PrairieLearn's files and GitHub Classroom's workflow" {
	graded
	command -v python3 >/dev/null || skip "python3 is not installed"
	run python3 -m zipfile -l "$PACKAGE/gradescope/autograder.zip"
	assert_success
	assert_line --regexp '^setup.sh '
	assert_line --regexp '^run_autograder '
	assert_line --regexp '^closelab/grade/judge.c '
	run python3 -c 'import json, sys; o = json.load(open(sys.argv[1]))["externalGradingOptions"]
print(o["entrypoint"], o["serverFilesCourse"])' "$PACKAGE/prairielearn/info.json"
	assert_output "/grade/serverFilesCourse/closelab/grade/platform/prairielearn/run.sh ['closelab/']"
	[ -f "$PACKAGE/prairielearn/serverFilesCourse/closelab/grade/platform/prairielearn/run.sh" ] ||
	    mistake "info.json's entrypoint is not in serverFilesCourse"
	# a step a check of grade/lesson.tsv, worth its points, and the reporter of them all
	run sed -n 's/^          command: sudo sh closelab\/grade\/platform\/github\/check.sh //p' \
	    "$PACKAGE/github/.github/workflows/classroom.yml"
	assert_output "$(grep -v '^#' "$TOP/grade/lesson.tsv" | cut -f 1)"
	run sed -n 's/^          max-score: //p' "$PACKAGE/github/.github/workflows/classroom.yml"
	assert_output "$(grep -v '^#' "$TOP/grade/lesson.tsv" | cut -f 2)"
	grep -q '^          runners: listens,echo,handoff,close_keep,' \
	    "$PACKAGE/github/.github/workflows/classroom.yml" || mistake "the reporter does not name every step"
}

@test "Gradescope, simulated without a sandbox: setup.sh and run_autograder judge the submission into results.json" {
	graded
	command -v python3 >/dev/null || skip "python3 is not installed"
	local root=$BATS_TEST_TMPDIR/gs
	mkdir -p "$root/autograder/source" "$root/autograder/submission"
	(cd "$root/autograder/source" && python3 -m zipfile -e "$PACKAGE/gradescope/autograder.zip" .)
	cp -R "$CLASS/liar/." "$root/autograder/submission/"
	CLOSELAB_PLATFORM_ROOT=$root run sh "$root/autograder/source/setup.sh"
	assert_success
	CLOSELAB_PLATFORM_ROOT=$root CLOSELAB_PLATFORM_SANDBOX=none run in_netns \
	    sh "$root/autograder/source/run_autograder"
	assert_success
	assert_line --partial "grade: no sandbox (--sandbox none): each submission runs as an unprivileged uid"
	run python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(r["score"], [t["status"] for t in r["tests"]].count("failed"), r["output"][:59])' \
	    "$root/autograder/results/results.json"
	assert_output "50.0 2 the kernel showed the parent without its copy of the socket" ||
	    mistake "the failed tests: $(python3 -c 'import json, sys
for t in json.load(open(sys.argv[1]))["tests"]:
    if t["status"] == "failed": print(t["name"], "|", t.get("output", ""))' "$root/autograder/results/results.json")"
}

@test "PrairieLearn, simulated with closelab's sandbox: run.sh judges /grade/student into results.json" {
	graded
	command -v python3 >/dev/null || skip "python3 is not installed"
	local root=$BATS_TEST_TMPDIR/pl
	mkdir -p "$root/grade/student" "$root/grade/serverFilesCourse"
	cp -R "$PACKAGE/prairielearn/serverFilesCourse/closelab" "$root/grade/serverFilesCourse/"
	cp -R "$CLASS/forking/." "$root/grade/student/"
	CLOSELAB_PLATFORM_ROOT=$root run in_netns \
	    sh "$root/grade/serverFilesCourse/closelab/grade/platform/prairielearn/run.sh"
	refute_line --partial "no sandbox"
	run python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(r["gradable"], r["score"], sum(t["points"] for t in r["tests"]), r["message"])' \
	    "$root/grade/results/results.json"
	assert_output "True 1.0 100 Every check passed."
}

@test "GitHub Classroom, simulated: each step passes or fails as the judge found, from one grading" {
	graded
	local repo=$BATS_TEST_TMPDIR/repo id
	mkdir -p "$repo"
	cp -R "$CLASS/close-only/." "$PACKAGE/github/closelab" "$PACKAGE/github/.github" "$repo/"
	run make -s -C "$repo/closelab" grader
	assert_success
	while read -r id; do
		CLOSELAB_GITHUB_RESULTS=$BATS_TEST_TMPDIR/results run in_netns \
		    sh "$repo/closelab/grade/platform/github/check.sh" "$id"
		if [ "$id" = shutdown ]; then
			assert_failure 1
			assert_line --partial "shutdown: fail: with --end shutdown no FIN came while the parent was stopped"
		else
			assert_success
			assert_line --regexp "^$id: pass"
		fi
	done < <(grep -v '^#' "$TOP/grade/lesson.tsv" | cut -f 1)
	# one grading for all the steps
	run grep -c '^graded as ' "$BATS_TEST_TMPDIR/results/submission/sandbox.log"
	assert_output 1
}
