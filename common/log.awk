# log.awk: closelab's log lines, read in awk. The C side is common/log.c;
# both are tried on one corpus of lines (tests/log.bats). The timeline, the
# tests and the bench read logs through these functions only.
#
# A line is "t=<ns> pid=<pid> role=<role> conn=<conn> ev=<event>" and then
# key=value fields; the vocabulary is common/events.h.

# log_fields(LINE, F): F[key] = value for each key=value word of LINE (any
# line of such words: a log line, or the client's result and stats lines);
# a key's first value, as log.c's log_field() finds it.
function log_fields(line, f,    n, i, w, k) {
	split("", f)
	n = split(line, w, / /)
	for (i = 1; i <= n; i++)
		if ((k = index(w[i], "=")) > 1 && !(substr(w[i], 1, k - 1) in f))
			f[substr(w[i], 1, k - 1)] = substr(w[i], k + 1)
	return n
}

# log_parse(LINE, F): log_fields(), and whether LINE is a closelab event
# line: t, pid, role, conn and ev first, in that order; t (at most 18
# digits) and pid (at most 9) decimal; role and ev at most 15 characters,
# conn at most 63. log.c's log_parse() says the same of every line.
function log_parse(line, f) {
	if (line !~ /^t=[0-9]+ pid=[0-9]+ role=[^ ]+ conn=[^ ]+ ev=[^ ]+( |$)/)
		return 0
	log_fields(line, f)
	return length(f["t"]) <= 18 && length(f["pid"]) <= 9 && length(f["role"]) <= 15 &&
	    length(f["conn"]) <= 63 && length(f["ev"]) <= 15
}

# log_has(F, PAIRS): whether F holds every KEY=VALUE of the space-separated
# PAIRS: "KEY=" alone, the key with any value; "KEY=*END", a value that ends
# with END.
function log_has(f, pairs,    n, i, p, k, key, v, end) {
	n = split(pairs, p, " ")
	for (i = 1; i <= n; i++) {
		k = index(p[i], "=")
		key = substr(p[i], 1, k - 1)
		v = substr(p[i], k + 1)
		if (!(key in f))
			return 0
		if (substr(v, 1, 1) == "*") {
			end = substr(v, 2)
			if (substr(f[key], length(f[key]) - length(end) + 1) != end)
				return 0
		} else if (v != "" && f[key] != v) {
			return 0
		}
	}
	return 1
}
