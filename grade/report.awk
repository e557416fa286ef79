# report.awk: the class's grades (bin/grade), from every student's name
# followed by their results.tsv lines and an empty line: writes grades.csv
# (-v csv), junit.xml (-v xml) and the mistakes' counts (-v counts), and
# prints a line a student. A student whose tests are errors was not graded:
# no score, and the reason instead of the mistakes. The score is the share
# of the tests passed, or with -v weights (the lesson's: ID<TAB>POINTS<TAB>
# CAP) the share of the points, held under the cap of each failed check.
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
function fit(s, w) {
	return length(s) > w ? substr(s, 1, w - 3) "..." : s
}
function flush(   i, score, list, seen, key, m, sentence, line, got) {
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
	}
	list = ""; m = 0
	split("", seen)
	for (i = 1; i <= t; i++) {
		if (st[i] != "fail")
			continue
		if (!(why[i] in seen)) {
			seen[why[i]] = 1
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
}
BEGIN {
	split("", common)
	while (weights != "" && (getline l <weights) > 0) {
		split(l, w, "\t")
		points[w[1]] = w[2]; cap[w[1]] = w[3]; all_points += w[2]
	}
	print "student,score,passed,failed,total,mistakes" >csv
	print "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" >xml
	print "<testsuites name=\"closelab\">" >xml
	printf "%-20s %5s  %-7s %s\n", "student", "score", "passed", "mistakes"
}
student == "" { student = $0; t = passed = failed = errors = 0; next }
$0 == "" { flush(); student = ""; next }
{
	t++; fl[t] = $1; nm[t] = $2; st[t] = $3; why[t] = $4
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
