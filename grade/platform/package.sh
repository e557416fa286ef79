#!/bin/sh
# package.sh: what each grading platform needs to judge the lesson's
# assignment with closelab (make grade-package), in OUT:
#   gradescope/autograder.zip   setup.sh, run_autograder and closelab/
#   prairielearn/               serverFilesCourse/closelab/, and info.json's
#                               externalGradingOptions for the question
#   github/                     closelab/ and .github/workflows/classroom.yml,
#                               for the assignment's template repository
# closelab/ holds the grader's sources, built there (make grader).
#
# usage: package.sh OUT [REQUIRE [WEIGHTS]]
#   REQUIRE  the model asked for: prefork, fork or either (default)
#   WEIGHTS  a table of weights (grade/lesson.tsv's columns)
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -lt 1 ] || [ $# -gt 3 ] || [ -z "$1" ]; then
	echo "usage: package.sh OUT [REQUIRE [WEIGHTS]]" >&2
	exit 2
fi
out=$1 require=${2:-either} weights=${3:-}
case $require in
prefork | fork | either) ;;
*) echo "package.sh: REQUIRE is prefork, fork or either, not '$require'" >&2; exit 2 ;;
esac
if [ -n "$weights" ] && ! [ -r "$weights" ]; then
	echo "package.sh: cannot read the weights $weights" >&2
	exit 2
fi
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/closelab"
(cd "$top" && tar -cf - Makefile config.mk common/*.c common/*.h common/*.awk \
    common/serverctl.sh client/*.c client/*.h grade/*.c grade/*.sh grade/*.awk grade/lesson.tsv \
    grade/platform tests/bats.sh tests/core.list) | (cd "$src/closelab" && tar -xf -)
echo "$require" >"$src/closelab/grade/platform/require"
table=$top/grade/lesson.tsv
if [ -n "$weights" ]; then
	cp "$weights" "$src/closelab/grade/platform/weights.tsv"
	table=$weights
fi
rm -rf "$out"
mkdir -p "$out/gradescope" "$out/prairielearn/serverFilesCourse" "$out/github/.github/workflows"
out=$(cd "$out" && pwd)

# Gradescope: the zip, with setup.sh and run_autograder at its root
cp "$top/grade/platform/gradescope/setup.sh" "$top/grade/platform/gradescope/run_autograder" "$src/"
chmod 755 "$src/setup.sh" "$src/run_autograder"
if command -v zip >/dev/null; then
	(cd "$src" && zip -qr "$out/gradescope/autograder.zip" setup.sh run_autograder closelab)
else
	(cd "$src" && python3 -m zipfile -c "$out/gradescope/autograder.zip" setup.sh run_autograder closelab)
fi

# PrairieLearn: the course's shared files, and the question's options
cp -R "$src/closelab" "$out/prairielearn/serverFilesCourse/"
cp "$top/grade/platform/prairielearn/info.json" "$out/prairielearn/info.json"

# GitHub Classroom: a step a check, worth its points (sudo: the sandbox)
cp -R "$src/closelab" "$out/github/"
{
	cat <<'YAML'
# closelab: the lesson's assignment, judged from what the kernel saw
name: closelab
on: [push, workflow_dispatch]
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - name: closelab's grader
        run: sudo apt-get install -y make gcc && make -C closelab grader
YAML
	# a step's id is the check's, with _ for - (the reporter's variables)
	grep -v '^#' "$table" | awk -F '\t' 'NF >= 2 {
		id = $1; gsub(/-/, "_", id)
		printf "      - id: %s\n        uses: classroom-resources/autograding-command-grader@v1\n", id
		printf "        with:\n          test-name: \"%s\"\n", $1
		printf "          command: sudo sh closelab/grade/platform/github/check.sh %s\n", $1
		printf "          timeout: 10\n          max-score: %d\n", $2
		ids = ids (ids ? "," : "") id
		env = env sprintf("          %s_RESULTS: \"${{ steps.%s.outputs.result }}\"\n", toupper(id), id)
	} END {
		printf "      - uses: classroom-resources/autograding-grading-reporter@v1\n"
		printf "        env:\n%s        with:\n          runners: %s\n", env, ids
	}'
} >"$out/github/.github/workflows/classroom.yml"
echo "grade-package: $out (gradescope/autograder.zip, prairielearn/, github/)"
