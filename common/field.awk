# field.awk: serverctl.sh's field(): the value of wanted_key in a line of key=value
# words (a log line, a result or stats line); fails if it has none.
BEGIN { found = 0 }
log_present($0, wanted_key) {
	print log_value($0, wanted_key)
	found = 1
	exit
}
END { exit !found }
