# report.awk: the class's grades (bin/grade), from every student's name
# (shown<TAB>directory) followed by their results.tsv lines and an empty
# line: writes grades.csv (-v csv), junit.xml (-v xml), the mistakes'
# counts (-v counts), and in each student's directory under -v outdir the
# results.json of Gradescope's autograder (gradescope.json) and of
# PrairieLearn's external grader (prairielearn.json); prints a line a
# student. A student whose tests are errors was not graded:
# no score, and the reason instead of the mistakes. The score is the share
# of the tests passed, or with -v weights (the lesson's: ID<TAB>POINTS<TAB>
# CAP<TAB>WHAT) the share of the points, held under the cap of each failed
# check.
function xmlq(s) {
	gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
	gsub(/"/, "\\&quot;", s); gsub(/'/, "\\&apos;", s)
	return s
}
# a field of grades.csv, quoted if need be; one that a spreadsheet would
# take for a formula (= + - @ first) is taken as text
function csvq(s) {
	if (s ~ /^[=+@-]/)
		s = "'" s
	if (s !~ /[",\n ]/)
		return s
	gsub(/"/, "\"\"", s)
	return "\"" s "\""
}
# the sentence shortened: up to its colon, if it has one
function short(s) {
	sub(/: .*/, "", s)
	return s
}
# a JSON string; s holds printable ASCII only (results.awk's clean())
function jsonq(s) {
	gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
	return "\"" s "\""
}
# the platforms' results.json: each test's points, and the score
function platforms(score, m, sentence, held,   i, max, gs, pl, p, message, out) {
	message = m ? sentence (m > 1 ? sprintf(" (and %d more)", m - 1) : "") : "Every check passed."
	if (held)
		message = message sprintf("; the score is held at %d, for a check of the lesson failed", score)
	if (errors)
		message = why[1]
	gs = outdir "/" dir "/gradescope.json"
	pl = outdir "/" dir "/prairielearn.json"
	printf "{\n  \"score\": %s,\n  \"output\": %s,\n  \"tests\": [\n", errors ? 0 : \
	    (weights != "" ? sprintf("%.2f", score * all_points / 100) : passed), jsonq(message) >gs
	printf "{\n  \"gradable\": %s,\n  \"score\": %s,\n  \"message\": %s,\n  \"tests\": [\n", \
	    errors ? "false" : "true", errors ? 0 : sprintf("%.2f", score / 100), jsonq(message) >pl
	for (i = 1; i <= t; i++) {
		max = weights != "" ? points[nm[i]] : 1
		p = st[i] == "pass" ? max : 0
		out = why[i] (why[i] != "" && seen[i] != "" ? "; " : "") seen[i]
		printf "    {\"number\": \"%d\", \"name\": %s, \"score\": %s, \"max_score\": %s, \"status\": \"%s\", \"output\": %s}%s\n", \
		    i, jsonq(nm[i] (what[nm[i]] != "" ? ": " what[nm[i]] : "")), p, max, \
		    st[i] == "pass" ? "passed" : "failed", jsonq(out), i < t ? "," : "" >gs
		printf "    {\"name\": %s, \"description\": %s, \"points\": %s, \"max_points\": %s, \"message\": %s}%s\n", \
		    jsonq(nm[i]), jsonq(what[nm[i]] != "" ? what[nm[i]] : fl[i]), p, max, jsonq(out), \
		    i < t ? "," : "" >pl
	}
	print "  ]\n}" >gs
	print "  ]\n}" >pl
	close(gs)
	close(pl)
}
function fit(s, w) {
	return length(s) > w ? substr(s, 1, w - 3) "..." : s
}
function flush(   i, score, list, named, key, m, sentence, line, got, held) {
	total = passed + failed
	score = total ? int(100 * passed / total + 0.5) : 0
	if (weights != "") {
		got = 0
		for (i = 1; i <= t; i++)
			got += st[i] == "pass" ? points[nm[i]] : 0
		score = int(100 * got / all_points + 0.5)
		for (i = 1; i <= t; i++)
			if (st[i] == "fail" && cap[nm[i]] != "-" && score > cap[nm[i]] + 0)
				score = cap[nm[i]] + 0
		held = score < int(100 * got / all_points + 0.5)
	}
	list = ""; m = 0
	split("", named)
	for (i = 1; i <= t; i++) {
		if (st[i] != "fail")
			continue
		if (!(why[i] in named)) {
			named[why[i]] = 1
			list = list (m ? " | " : "") why[i]
			if (!m++)
				sentence = why[i] ~ /^it did not build: / ? why[i] : short(why[i])
		}
		# one mistake, whatever the bad input or the number it names
		key = short(why[i]); gsub(/'[^']*'/, "'...'", key); gsub(/[0-9]+/, "N", key)
		if (!((key) in counted)) {
			counted[key] = 1
			common[key]++
			if (!(key in shown))
				shown[key] = short(why[i])
		}
	}
	split("", counted)
	if (errors) {
		score = ""
		list = why[1]
	}
	print csvq(student) "," score "," passed "," failed "," total "," csvq(list) >csv
	line = sprintf("%-20s %4d%%  %3d/%-3d ", fit(student, 20), score, passed, total)
	if (errors)
		line = sprintf("%-20s %5s  %-7s ", fit(student, 20), "-", "-") fit(why[1], 71)
	else if (m)
		line = line fit(sentence, 100 - length(line) - (m > 1 ? 11 : 0)) \
		    (m > 1 ? sprintf(" (+%d more)", m - 1) : "")
	print line
	printf "  <testsuite name=\"%s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\">\n",
	    xmlq(student), t, failed, errors, t - total - errors >xml
	for (i = 1; i <= t; i++) {
		printf "    <testcase classname=\"%s\" name=\"%s\"", xmlq(student "." fl[i]),
		    xmlq(nm[i]) >xml
		if (st[i] == "fail")
			printf ">\n      <failure type=\"mistake\" message=\"%s\">%s</failure>\n    </testcase>\n",
			    xmlq(why[i]), xmlq(why[i] " (see " student "/" fl[i] ".tap)") >xml
		else if (st[i] == "error")
			printf ">\n      <error type=\"not-graded\" message=\"%s\"/>\n    </testcase>\n",
			    xmlq(why[i]) >xml
		else if (st[i] == "skip")
			printf ">\n      <skipped/>\n    </testcase>\n" >xml
		else
			printf "/>\n" >xml
	}
	print "  </testsuite>" >xml
	tests += t; failures += failed
	platforms(score, m, sentence, held)
}
BEGIN {
	split("", common)
	student = ""; tests = failures = all_points = 0
	while (weights != "" && (getline l <weights) > 0) {
		split(l, wt, "\t")
		points[wt[1]] = wt[2]; cap[wt[1]] = wt[3]; what[wt[1]] = wt[4]; all_points += wt[2]
	}
	if (weights != "")
		close(weights)
	print "student,score,passed,failed,total,mistakes" >csv
	print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" >xml
	print "<testsuites name=\"closelab\">" >xml
	printf "%-20s %5s  %-7s %s\n", "student", "score", "passed", "mistakes"
}
student == "" { student = $1; dir = $2; t = passed = failed = errors = 0; next }
$0 == "" { flush(); student = ""; next }
{
	t++; fl[t] = $1; nm[t] = $2; st[t] = $3; why[t] = $4; seen[t] = $5
	if ($3 == "pass") passed++
	else if ($3 == "fail") failed++
	else if ($3 == "error") errors++
}
END {
	print "</testsuites>" >xml
	for (k in common)
		printf "%d\t%s\n", common[k], shown[k] >counts
	close(csv)
	close(xml)
}
