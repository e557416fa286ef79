#!/bin/sh
# grade-one.sh: grade one submission where a grading platform runs
# closelab's grader (make grade-package): in closelab's sandbox where this
# machine or container allows one, else with --sandbox none, which bin/grade
# names in one line on standard error. The student's results are then in
# OUTDIR/submission/ (gradescope.json, prairielearn.json, results.tsv).
#
# usage: grade-one.sh SUBMISSION OUTDIR
# The instructor's choices, set when the package was made: the model asked
# for (grade/platform/require) and the weights (grade/platform/weights.tsv).
# CLOSELAB_PLATFORM_SANDBOX=none: no sandbox even where one could be made
# (closelab's tests simulate a platform's container so).
# Exit status: bin/grade's.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -ne 2 ]; then
	echo "usage: grade-one.sh SUBMISSION OUTDIR" >&2
	exit 2
fi
class=$(mktemp -d /tmp/closelab-class.XXXXXX)
trap 'rm -rf "$class"' EXIT
mkdir "$class/submission"
# the submission without closelab's own files, where a repository holds both
(cd "$1" && tar -cf - --exclude=./closelab --exclude=./.git --exclude=./.github .) |
    (cd "$class/submission" && tar -xf - --no-same-owner)
chmod -R go-w "$class"
set -- --require "$(cat "$here/grade/platform/require" 2>/dev/null || echo either)" -o "$2"
[ ! -f "$here/grade/platform/weights.tsv" ] || set -- "$@" --weights "$here/grade/platform/weights.tsv"
if [ "${CLOSELAB_PLATFORM_SANDBOX:-}" = none ] ||
    ! unshare --net --mount --ipc --cgroup true 2>/dev/null || ! unshare --user true 2>/dev/null; then
	set -- "$@" --sandbox none
fi
"$here/bin/grade" -j 1 "$@" "$class"
