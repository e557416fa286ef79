# parse.awk: each line of the corpus as common/log.awk reads it, in the
# form parse.c prints for common/log.c: "invalid", or the fixed fields and
# then the value of each key the corpus's first line names ("# keys: ..."),
# "-" where it has none.
NR == 1 && /^# keys:/ {
	nkeys = split(substr($0, 9), keys, " ")
	next
}
/^#/ { next }
{
	if (!log_parse($0)) {
		print "invalid"
		next
	}
	line = "t=" log_value($0, "t") " pid=" log_value($0, "pid") " role=" log_value($0, "role") \
	    " conn=" log_value($0, "conn") " ev=" log_value($0, "ev")
	for (i = 1; i <= nkeys; i++)
		line = line " " keys[i] "=" (log_present($0, keys[i]) ? log_value($0, keys[i]) : "-")
	print line
}
