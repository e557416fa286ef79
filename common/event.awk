# event.awk: serverctl.sh's event(): print the nth line (nth, 1 by default) of
# the log that holds every pair of want (common/log.awk's log_has()).
BEGIN {
	nth = nth ? nth : 1
	found = 0
}
log_parse($0) && log_has($0, want) && ++seen == nth {
	print
	found = 1
	exit
}
END { exit !found }
