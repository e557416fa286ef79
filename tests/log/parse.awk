# parse.awk: each line of the corpus as common/log.awk reads it, in the
# form parse.c prints for common/log.c: "invalid", or the fixed fields and
# then the value of each key the corpus's first line names ("# keys: ...").
NR == 1 && /^# keys:/ {
	nkeys = split(substr($0, 9), keys, " ")
	next
}
/^#/ { next }
{
	if (!log_parse($0, f)) {
		print "invalid"
		next
	}
	line = "t=" f["t"] " pid=" f["pid"] " role=" f["role"] " conn=" f["conn"] " ev=" f["ev"]
	for (i = 1; i <= nkeys; i++)
		line = line " " keys[i] "=" ((keys[i] in f) ? f[keys[i]] : "-")
	print line
}
