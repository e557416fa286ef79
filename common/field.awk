# field.awk: serverctl.sh's field(): the value of key in a line of key=value
# words (a log line, a result or stats line); fails if it has none.
log_present($0, key) {
	print log_value($0, key)
	found = 1
	exit
}
END { exit !found }
