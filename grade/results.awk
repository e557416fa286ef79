# results.awk: one student's results (bin/grade): the expected tests of
# each file (the file named by -v expected: FILE<TAB>N<TAB>NAME), then each
# file's TAP lines (FILE.results) and mistake sentences (FILE.reasons);
# prints FILE<TAB>NAME<TAB>pass|fail|skip|error<TAB>reason<TAB>evidence, in
# the expected order; the evidence, what the lesson's judge saw
# (FILE.evidence: NAME<TAB>a line), joined with "; ". A TAP line counts only if it names the test its number should: a
# test reported twice, or differently, fails. -v state: built, build-failed
# or stopped (each test failed), or not-graded (each test an error); file_s:
# a file's deadline in seconds.
# GRADE_WHY in the environment: the build's last words, or why it was not
# graded.
BEGIN {
	n = 0
	why = ENVIRON["GRADE_WHY"]
}
function clean(s, w) {
	gsub(/[^ -~]/, "?", s)
	w = w ? w : 300
	return length(s) > w ? substr(s, 1, w - 3) "..." : s
}
FILENAME == expected { n++; file[n] = $1; num[n] = $2; name[n] = $3; next }
# "N NAME", "N NAME in Tms" or "N NAME # ...": the TAP line names N NAME
function names(tapline, want,   rest) {
	rest = substr(tapline, length(want) + 1)
	return substr(tapline, 1, length(want)) == want && (rest == "" || rest ~ /^ (in|#) /)
}
FILENAME ~ /\.results$/ {
	f = FILENAME; sub(/\.results$/, "", f)
	line = $0
	st = line ~ /^not ok / ? "fail" : "pass"
	sub(/^(not )?ok /, "", line)
	k = line; sub(/ .*/, "", k)
	if (st == "pass" && line ~ / # skip( |$)/)
		st = "skip"
	if ((f, k) in res)
		st = "twice"
	res[f, k] = st
	tap[f, k] = line
	if (st == "fail" && match(line, / # timeout after [0-9]+s$/))
		meta[f, k] = substr(line, RSTART + 17, RLENGTH - 18)
	next
}
FILENAME ~ /\.evidence$/ {
	f = FILENAME; sub(/\.evidence$/, "", f)
	t = $1; sub(/^[^\t]*\t/, "")
	seen[f, t] = ((f, t) in seen ? seen[f, t] "; " : "") $0
	next
}
FILENAME ~ /\.reasons$/ {
	f = FILENAME; sub(/\.reasons$/, "", f)
	t = $1; sub(/^[^\t]*\t/, "")
	if (!((f, t) in reason))
		reason[f, t] = $0
	next
}
END {
	for (i = 1; i <= n; i++) {
		f = file[i]; k = num[i]; st = res[f, k]; r = ""
		if (st != "" && st != "twice" && !names(tap[f, k], k " " name[i]))
			st = "other"
		if (state == "build-failed") {
			st = "fail"; r = "it did not build: " why
		} else if (state == "stopped") {
			st = "fail"; r = why
		} else if (state != "built") {
			st = "error"; r = "not graded: " why
		} else if (st == "twice" || st == "other") {
			r = "the test's result was not the test runner's own (" \
			    (st == "twice" ? "reported twice" : "under another name") "): see " f ".tap"
			st = "fail"
		} else if (st == "") {
			st = "fail"
			r = "the test did not run: its file was stopped after " file_s \
			    " s, for the programs under test kept the tests waiting (they hang)"
		} else if (st == "fail") {
			if ((f, name[i]) in reason)
				r = reason[f, name[i]]
			else if ((f, k) in meta)
				r = "the test was stopped after " meta[f, k] " s: a program under test hung; it must end by itself, or on SIGTERM"
			else
				r = "the test \"" name[i] "\" failed without naming a mistake: see " f ".tap"
		}
		printf "%s\t%s\t%s\t%s\t%s\n", f, name[i], st, clean(r), clean(seen[f, name[i]], 1000)
	}
}
