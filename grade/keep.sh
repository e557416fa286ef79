# shellcheck shell=sh
# keep.sh: what the lesson's judge wrote, kept for bin/grade (sourced by
# grade/sandbox.sh and grade/bare.sh, as root).
#
# keep_lesson TAP OUT: the judge's TAP (root's file, from the judge's own
# pipe) into OUT: lesson.tap, lesson.results (its "ok"/"not ok" lines),
# lesson.reasons (ID<TAB>the mistake's sentence) and lesson.evidence
# (ID<TAB>a line of what the judge saw)
keep_lesson() {
	cp "$1" "$2/lesson.tap" &&
	    grep -E '^(not )?ok [0-9]+ ' "$1" >"$2/lesson.results"
	sed -n 's/^# mistake \([a-z-]*\): /\1\t/p' "$1" >"$2/lesson.reasons" &&
	    awk '/^(not )?ok [0-9]+ [a-z-]+$/ { id = $NF; next }
		/^# / && !/^# mistake / && id != "" { print id "\t" substr($0, 3) }' \
		"$1" >"$2/lesson.evidence"
}
