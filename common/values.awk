# values.awk: serverctl.sh's values(): for each line of the log that holds
# every pair of want (common/log.awk's log_has()), the values it has of the
# space-separated keys, on one line.
BEGIN { n = split(keys, k, " ") }
log_parse($0, f) && log_has(f, want) {
	out = ""
	for (i = 1; i <= n; i++)
		if (k[i] in f)
			out = out (out == "" ? "" : " ") f[k[i]]
	if (out != "")
		print out
}
