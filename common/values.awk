# values.awk: serverctl.sh's values(): for each line of the log that holds
# every pair of want (common/log.awk's log_has()), the values it has of the
# space-separated keys, on one line.
BEGIN { nkeys = split(keys, key_list, " ") }
log_parse($0) && log_has($0, want) {
	out = ""
	for (j = 1; j <= nkeys; j++)
		if (log_present($0, key_list[j]))
			out = out (out == "" ? "" : " ") log_value($0, key_list[j])
	if (out != "")
		print out
}
