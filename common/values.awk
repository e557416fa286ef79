# values.awk: serverctl.sh's values(): for each line of the log that holds
# every pair of want (common/log.awk's log_has()), the values it has of the
# space-separated keys, on one line.
BEGIN { n = split(keys, k, " ") }
log_parse($0) && log_has($0, want) {
	out = ""
	for (i = 1; i <= n; i++)
		if (log_present($0, k[i]))
			out = out (out == "" ? "" : " ") log_value($0, k[i])
	if (out != "")
		print out
}
