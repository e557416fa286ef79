# serverctl.sh: start a closelab server on a free port, wait for what it
# logs, and stop it, every wait with a deadline. Sourced by demo/demo.sh,
# bench/bench.sh and tests/test_helper.bash: POSIX sh, and bash too.
# shellcheck shell=sh
#
# TOP: the top of the tree; SERVER: the server to run; SERVER_WRAP: a
# command it runs under (ip netns exec NS, setpriv ...); DEADLINE_S: how
# long any wait may take (10 s).

DEADLINE_S=${DEADLINE_S:-10}

# event FILE KEY=VALUE...: print the first line of the log FILE that holds
# every pair (KEY= alone: the key with any value; KEY=*END: a value ending
# with END); NTH=n: the n-th such line. Logs are read with common/log.awk.
event() {
	sc_file=$1
	shift
	[ -f "$sc_file" ] || return 1
	awk -v want="$*" -v nth="${NTH:-1}" -f "$TOP/common/log.awk" -f "$TOP/common/event.awk" \
	    "$sc_file"
}

has_event() {
	event "$@" >/dev/null
}

# values FILE KEYS KEY=VALUE...: for each line of the log FILE that holds
# every pair, the values of the space-separated KEYS that it has.
values() {
	sc_file=$1
	sc_keys=$2
	shift 2
	[ -f "$sc_file" ] || return 0
	awk -v keys="$sc_keys" -v want="$*" -f "$TOP/common/log.awk" -f "$TOP/common/values.awk" \
	    "$sc_file"
}

# field LINE KEY: the value of KEY in a log, result or stats line.
field() {
	printf '%s\n' "$1" | awk -v wanted_key="$2" -f "$TOP/common/log.awk" -f "$TOP/common/field.awk"
}

# wait_until WHAT COMMAND...: run COMMAND until it succeeds. At the deadline,
# or at once when COMMAND returns 255 (waiting is pointless), say so on
# stderr and return 1.
wait_until() {
	sc_what=$1
	sc_end=$(($(date +%s) + DEADLINE_S))
	shift
	until "$@"; do
		sc_status=$?
		if [ "$sc_status" -eq 255 ]; then
			echo "stopped waiting for $sc_what: it cannot come any more" >&2
			return 1
		fi
		if [ "$(date +%s)" -ge "$sc_end" ]; then
			echo "gave up after ${DEADLINE_S}s waiting for $sc_what" >&2
			return 1
		fi
		sleep 0.02
	done
}

# gone PID: the process has exited (a zombie that nobody has reaped yet, for
# want of a prompt init, has exited too: /proc tells, where there is one)
gone() {
	! kill -0 "$1" 2>/dev/null || [ "$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# server_listening DIR: its port file is there; 255 if the server died first
server_listening() {
	[ -s "$1/port" ] && return 0
	! gone "$SERVER_PID" || return 255
	return 1
}

# server_start DIR ARGS...: a server on port 0 in the background, its port
# file in DIR, its stderr in SERVER_ERR (DIR/server.err); sets SERVER_PID
# and PORT. 1 if it did not listen (its stderr says why).
server_start() {
	sc_dir=$1
	shift
	rm -f "$sc_dir/port"
	# 3>&-: bats waits for fd 3 to close; a background server must not hold it
	# shellcheck disable=SC2086 # SERVER_WRAP is a command and its words
	${SERVER_WRAP:-} "$SERVER" --port 0 --port-file "$sc_dir/port" "$@" \
	    2>"${SERVER_ERR:-$sc_dir/server.err}" 3>&- &
	SERVER_PID=$!
	wait_until "the server's port file" server_listening "$sc_dir" || return 1
	PORT=$(cat "$sc_dir/port")
}

# server_stop: SIGTERM (unless it has stopped already), then wait at most
# DEADLINE_S, and SIGKILL after that. Its exit status, or 124 if it had to be
# killed.
server_stop() {
	sc_pid=$SERVER_PID
	SERVER_PID=
	kill -TERM "$sc_pid" 2>/dev/null
	if ! wait_until "the server to exit" gone "$sc_pid"; then
		kill -KILL "$sc_pid" 2>/dev/null
		wait "$sc_pid" 2>/dev/null
		return 124
	fi
	wait "$sc_pid"
}

# trace_start ERRFILE ARGS...: bin/trace (BIN/trace, TRACE to override)
# with ARGS in the background, its stderr in ERRFILE, waited for until its
# probes are attached (bpftrace reads the kernel's types first: seconds, so
# ATTACH_S, 60). Sets TRACER_PID.
trace_start() {
	sc_err=$1
	shift
	"${TRACE:-$TOP/bin/trace}" "$@" 2>"$sc_err" 3>&- &
	TRACER_PID=$!
	DEADLINE_S=${ATTACH_S:-60} wait_until "the tracer to attach" tracer_ready "$sc_err"
}

# tracer_ready ERRFILE: the tracer has attached its probes; 255 if it ended
tracer_ready() {
	grep -q '^Attaching' "$1" && return 0
	kill -0 "$TRACER_PID" 2>/dev/null || return 255
	return 1
}

# trace_stop: SIGTERM to the tracer, if one runs, and wait for it
trace_stop() {
	if [ -n "${TRACER_PID:-}" ]; then
		kill -TERM "$TRACER_PID" 2>/dev/null || :
		wait "$TRACER_PID" 2>/dev/null || :
		TRACER_PID=
	fi
	return 0
}

# server_scratch DIR: for a script (the demo, the bench): at its exit stop
# the server and the tracer it started, if they run, and remove DIR; INT and
# TERM exit 130 through that too.
server_scratch() {
	sc_scratch=$1
	SERVER_PID=
	TRACER_PID=
	trap server_cleanup EXIT
	trap 'exit 130' INT TERM
}

server_cleanup() {
	trace_stop || :
	[ -z "$SERVER_PID" ] || server_stop || :
	rm -rf "$sc_scratch"
}
