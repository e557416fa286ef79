#!/bin/sh
# run.sh (PrairieLearn's external grader, the question's entrypoint): build
# closelab's grader from serverFilesCourse, judge /grade/student on the
# lesson's assignment, into /grade/results/results.json.
# CLOSELAB_PLATFORM_ROOT: those paths under that directory (closelab's
# tests).
root=${CLOSELAB_PLATFORM_ROOT:-}
work=$(mktemp -d /tmp/closelab-grader.XXXXXX) || exit 1
mkdir -p "$root/grade/results"
cp -R "$root/grade/serverFilesCourse/closelab" "$work/closelab" && chmod -R go-w "$work" &&
    make -s -C "$work/closelab" grader >"$work/build.log" 2>&1 &&
    sh "$work/closelab/grade/platform/grade-one.sh" "$root/grade/student" "$work/grades"
if [ -f "$work/grades/submission/prairielearn.json" ]; then
	cp "$work/grades/submission/prairielearn.json" "$root/grade/results/results.json"
else
	printf '{"gradable": false, "score": 0, "message": "closelab'"'"'s grader could not run: %s"}\n' \
	    "$(tail -n 1 "$work/build.log" 2>/dev/null | tr -c '[:print:]' ' ' | tr -d '"\134')" \
	    >"$root/grade/results/results.json"
fi
rm -rf "$work"
