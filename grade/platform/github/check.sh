#!/bin/sh
# check.sh (GitHub Classroom): whether the lesson's check ID passed, for one
# step of the classroom's workflow (autograding-command-grader: exit 0 earns
# the step's points). The first step grades the repository (grade-one.sh,
# which needs root: sudo) and keeps the results for the others; each prints
# its check's sentence and what the judge saw. GitHub Classroom adds up the
# steps' points: the caps of the lesson's table are not applied there, and
# the capped score is printed instead.
#
# usage: check.sh ID
here=$(cd "$(dirname "$0")/../../.." && pwd)
repo=$(cd "$here/.." && pwd)
results=${CLOSELAB_GITHUB_RESULTS:-/tmp/closelab-github}
if [ ! -f "$results/submission/results.tsv" ]; then
	rm -rf "$results"
	sh "$here/grade/platform/grade-one.sh" "$repo" "$results" || exit 1
fi
awk -F '\t' -v id="$1" '$2 == id {
	print id ": " $3 (($4 $5) != "" ? ": " $4 ($4 != "" && $5 != "" ? "; " : "") $5 : "")
	found = 1; ok = $3 == "pass"
} END { exit found && ok ? 0 : 1 }' "$results/submission/results.tsv"
