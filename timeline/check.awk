# check.awk: every line of the logs a closelab event line (common/log.awk),
# or the first one that is not, named by its file and line; exit 1.
!log_parse($0) {
	printf "%s: %s:%d: not a closelab event line: %.60s\n", prog, FILENAME, FNR, $0 > "/dev/stderr"
	close("/dev/stderr")
	exit 1
}
