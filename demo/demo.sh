#!/bin/sh
# demo.sh: the ways a TCP connection ends, each a named scenario run with
# closelab's own server and client, shown as one timeline across processes.
#
# usage: demo.sh                  the headline: close vs shutdown under a shared socket
#        demo.sh list             the scenarios, one a line
#        demo.sh [--logs DIR] [--svg DIR] [--html FILE] NAME...
#                                 run scenarios (keep their logs, draw them, in DIR)
# --html FILE (HTML=FILE in the environment too, as make demo passes it):
# each scenario's timeline as one HTML page, FILE; with several scenarios,
# FILE with the scenario's name before its suffix (demo.NAME.html).
# With LOGS=1 in the environment, each timeline is followed by the raw log
# lines it was drawn from, every field of them.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
bin=$TOP/bin
# the programs: these, or others given as SERVER= and CLIENT= (make check does)
SERVER=${SERVER:-$bin/server}
client_bin=${CLIENT:-$bin/client}
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-demo.XXXXXX")
logs=$work
svgdir=
html=${HTML:-}
scenarios=2	# the headline's
# the article's experiments: how long the server waits before each echo (the
# tests take a longer wait, so that a loaded machine cannot reorder them)
reply_delay=${REPLY_DELAY:-250}
# the demo's step, which every wait is a number of: the parent's keep is
# five steps (three with the abort); the worker of the half-closing and
# unread scenarios ends one step after it takes the connection (the parent,
# keeping nothing, has let go by then); the client writes again three steps
# after its first write (or ends two after it), two steps before the
# worker's second read; the spawn scenarios' helper lives three steps after
# the worker's close. The tests take steps of a second, so that a loaded
# machine's delays cannot reorder them.
step=${STEP_MS:-100}
# the helper stops itself, and the demo continues it once the worker and the
# parent have closed their copies (a cue, not a time: a loaded machine can
# hold a close back for seconds)
helper="kill -STOP \$\$; sleep $((3 * step / 1000)).$(printf '%03d' $((3 * step % 1000)))"
# every wait for the server (its port, a log line, its exit) may take the
# usual deadline past the scenario's own waits, which are at most twenty
# steps: a deadline the waits themselves would use up measures nothing
DEADLINE_S=$((${DEADLINE_S:-10} + 20 * step / 1000))

# shellcheck source=common/serverctl.sh
. "$TOP/common/serverctl.sh"
server_scratch "$work"

die() {
	echo "demo: $1" >&2
	[ ! -s "$work/server.err" ] || sed 's/^/  server: /' "$work/server.err" >&2
	exit 1
}

NAMES="close-while-held shutdown-while-held orderly-release close-before-echo
shutdown-rd shutdown-rdwr abort abort-while-held client-abort unread-close
unread-while-held lingering linger-acked linger-timeout leak spawn-inherits spawn-cloexec dup
fork-forgets-close child-shutdown thread-close thread-close-idle"

# scenario NAME: set what the scenario is and how it runs:
#   title    one line, for the list
#   sargs    the server's options (besides port and log)
#   cargs    the client's options (besides port and log)
#   look     what to look at, printed under the timeline
#   until    the server's event that ends the run (KEY=VALUE pairs)
#   inspect  what to show of the live connection before the server stops
#   gate     the server's event at which the demo gives its cue (a time
#            would not do: a loaded machine can delay the server past it)
#   cue      the cue: signal_client (the client, waiting with --interval or
#            --read-after, is sent SIGUSR1) or continue_helper (the stopped
#            helper goes on)
scenario() {
	until='ev=close holders=*->0'
	gate=
	cue=
	inspect=
	case $1 in
	close-while-held)
		title="worker close()s, parent keeps its copy: EOF waits"
		sargs="--parent-keeps $((5 * step)) --end close"
		cargs="--send hello"
		look="The worker's close() sends nothing: the parent still holds the socket.
The FIN leaves at the parent's close, $((5 * step)) ms later, and only then the EOF." ;;
	shutdown-while-held)
		title="worker calls shutdown(SHUT_WR), parent keeps: EOF at once"
		sargs="--parent-keeps $((5 * step)) --end shutdown"
		cargs="--send hello"
		look="shutdown(SHUT_WR) sends the FIN whoever else holds the socket: the
client's EOF comes at once, about $((5 * step)) ms before the parent lets go." ;;
	orderly-release)
		title="the article's experiment 1: half-close, both echoes, EOF"
		sargs="--reply-delay $reply_delay"
		cargs="--send ABCDEFG --interval 3600000 --send 1234567 --after 100 --then shutdown"
		gate='role=worker ev=read bytes=7'
		cue=signal_client
		look="The client sends its second message once the worker has read the first
(the demo sends it SIGUSR1 then), and its FIN (shutdown) 100 ms later, before
either echo; the server keeps answering on its half of the connection. Both
echoes arrive, then EOF: as in the 15 segments of the article, the server's
FIN last." ;;
	close-before-echo)
		title="the article's experiment 2: close(), the echo meets RST"
		sargs="--reply-delay $reply_delay"
		cargs="--send ABCDEFG --interval 3600000 --send 1234567 --after 100 --then close"
		gate='role=worker ev=read bytes=7'
		cue=signal_client
		look="The client sends its second message once the worker has read the first
(the demo sends it SIGUSR1 then), and close()s 100 ms later, before the
first echo. That echo reaches a socket nobody holds: the client's kernel
answers RST. Linux still hands the worker the data already queued, and its
next write fails with EPIPE (a reset in CLOSE_WAIT is reported as EPIPE,
not ECONNRESET)." ;;
	shutdown-rd)
		title="shutdown(SHUT_RD): nothing sent; Linux still takes data"
		sargs="--reads discard --end-after $step --end shutdown-rd --end-wait $((4 * step))"
		cargs="--send one --interval $((3 * step)) --send two --after $((2 * step))"
		look="shutdown(SHUT_RD) sends no segment. The next read() returns 0 at once,
yet on Linux the data the client sends afterwards is still queued and read
(BSDs discard it). The close then sends the FIN." ;;
	shutdown-rdwr)
		title="shutdown(SHUT_RDWR): FIN at once; later data gets RST"
		sargs="--reads discard --end-after $step --end shutdown-rdwr --end-wait $((4 * step))"
		cargs="--send one --interval $((3 * step)) --send two --after $((2 * step))"
		look="SHUT_RDWR sends the FIN like SHUT_WR: the client's EOF comes at once. When
the client's next data arrives, Linux answers it with RST, since nobody will
ever read it: the worker's next read() fails with ECONNRESET." ;;
	abort)
		title="SO_LINGER {1, 0}, then close(): RST instead of FIN"
		sargs="--end abort"
		cargs="--send hello"
		look="SO_LINGER {1, 0} makes the last close send RST instead of FIN. The worker
sets it and closes; the parent closes its copy right after the handoff. The
two race: whichever is last sends the RST (named above, for this run), and
the client's read() fails with ECONNRESET (exit 3) instead of seeing EOF." ;;
	abort-while-held)
		title="SO_LINGER {1, 0} while held: RST at the parent's close"
		sargs="--end abort --parent-keeps $((3 * step))"
		cargs="--send hello"
		look="The worker sets SO_LINGER {1, 0} and close()s, but the parent still holds
the socket: nothing is sent. The parent's close, $((3 * step)) ms later, is the last,
and sends the RST the worker asked for." ;;
	client-abort)
		title="the client aborts: the worker finds the connection reset"
		sargs="--reply-delay 100"
		cargs="--send hello --then abort"
		look="The client's close() sends RST. The worker still reads the 5 bytes that
came before it; then, about to echo, finds the connection reset: its write
fails with ECONNRESET (or EPIPE, once the reset has been reported)." ;;
	unread-close)
		title="close() with unread data sends RST (RFC 1122 4.2.2.13)"
		sargs="--reads none --end-after $step"
		cargs="--send request --after $((2 * step))"
		look="The worker never reads the client's 7 bytes. Its close() finds them
unread, so Linux sends RST, not FIN: the client's read fails with
ECONNRESET (exit 3), and anything not yet read is lost." ;;
	unread-while-held)
		title="unread data, shared socket: RST at the last close"
		sargs="--reads none --end-after $step --parent-keeps $((3 * step))"
		cargs="--send request --after $((step / 2))"
		look="The worker's close() finds unread data but the parent still holds the
socket: nothing is sent. The parent's close is the last; it sends the RST." ;;
	lingering)
		title="lingering close: shutdown, drain until EOF, close: no RST"
		sargs="--reads none --end-after $step --end lingering --end-wait $((20 * step))"
		cargs="--send request --after $((2 * step))"
		look="As Apache and nginx do: the worker sends its FIN with shutdown(SHUT_WR),
then reads and drops what the client still sends until the client's FIN,
and only then close()s. Nothing is left unread, so no RST wipes out what
the client has not read yet. Compare unread-close." ;;
	linger-acked)
		title="SO_LINGER {1, S}: the last close waits until the peer acknowledges"
		sargs="--end-after $step --end linger --end-wait $((10 * step))"
		cargs="--send-bytes 65536 --rcvbuf 2048 --read-after $((3 * step))"
		look="The echo fills the client's small receive window, and what is left of it
waits in the server's send queue (unacked= on the close line). With
SO_LINGER {1, S} the last close() blocks until the peer has acknowledged
every byte and the FIN, or S seconds: here the client reads first, so the
close returns once it has (waited= on its line), well within S. Only the
last close waits: one that leaves the socket held returns at once." ;;
	linger-timeout)
		title="SO_LINGER {1, 1}: the linger runs out, and Linux sends on"
		sargs="--end-after $step --end linger --end-wait 1000"
		cargs="--send-bytes 65536 --rcvbuf 2048 --read-after 3600000"
		gate='ev=close holders=*->0'
		cue=signal_client
		look="The same, but the client reads only once the close has returned, after the
linger's one second (the demo sends it SIGUSR1 then). The close() returns
when the linger runs out, the data and the FIN still in the send queue.
Linux neither resets the connection nor drops them: the kernel, on its
own, delivers both once the client reads, and the client gets every byte
and EOF. SO_LINGER bounds how long close() blocks, not how long the
connection lives. Compare abort, SO_LINGER {1, 0}." ;;
	leak)
		title="the worker never closes: CLOSE_WAIT and FIN_WAIT2 remain"
		sargs="--end leak"
		cargs="--send hello --timeout $((5 * step))"
		until='ev=leak'
		inspect=show_states
		look="The client's FIN was acknowledged, but the server never answers with its
own: the server's side waits in CLOSE_WAIT, the client's in FIN_WAIT2, and
the client gives up (timeout, exit 4). Only the worker's exit ends it." ;;
	spawn-inherits)
		title="a helper inherits the socket across exec: EOF waits"
		sargs="--spawn '$helper'"
		cargs="--send hello"
		until='ev=close by=exit'
		gate='role=worker ev=close fd='
		cue=continue_helper
		look="The worker runs a helper, as a CGI server would:
  sh -c '$helper'
It stops itself, and the demo continues it once the worker and the parent
have closed their copies. The socket is not close-on-exec, so the helper
holds it too: the worker's close() sends nothing, and the FIN leaves only
when the last holder lets go, at the helper's exit (named above, for this
run)." ;;
	spawn-cloexec)
		title="the same helper with close-on-exec: EOF at once"
		sargs="--spawn '$helper' --cloexec"
		cargs="--send hello"
		until='ev=exit helper='
		gate='role=worker ev=close fd='
		cue=continue_helper
		look="With FD_CLOEXEC the helper never holds the socket: only the worker and
the parent do, and whichever closes last sends the FIN at once (named
above, for this run)." ;;
	dup)
		title="dup(): one close sends nothing, the last sends the FIN"
		sargs="--end dup --end-wait $((2 * step))"
		cargs="--send hello"
		look="Two descriptors of one process refer to one socket. Closing the first
sends nothing; closing the second, 200 ms later, sends the FIN." ;;
	fork-forgets-close)
		title="the fork server whose parent never closes: CLOSE_WAIT until it exits"
		sargs="--model fork --parent-keeps never --end close"
		cargs="--send hello --timeout $((5 * step))"
		until='role=worker ev=close'
		inspect=show_holders
		look="The classic fork server with its classic mistake: the parent never calls
close() on the connected socket. The child answers and closes, but its
close() drops only its own reference, so no FIN leaves. bin/holders names
the parent as the process that holds the socket in CLOSE_WAIT; the client
gives up (exit 4). Only the parent's exit, at the server's stop, sends the
FIN, and until then the parent keeps one descriptor for every connection." ;;
	child-shutdown)
		title="a forked child's shutdown() ends the parent's connection too"
		sargs="--model fork --parent-keeps $((5 * step)) --end shutdown"
		cargs="--send hello"
		look="The child calls shutdown(SHUT_WR): the FIN leaves at once, though the
parent still holds the socket. shutdown() acts on the socket that parent
and child share, so the connection is over for the parent too: a write
through its copy would now fail with EPIPE. A library's cleanup in a
forked child that calls shutdown() cuts its parent's connection this way
(redis-py issue 863); one that only calls close() leaves it alone." ;;
	thread-close)
		title="a thread close()s while another is in read(): no FIN until it returns"
		sargs="--model thread --end-after $((2 * step)) --end close"
		cargs="--send one --interval $((6 * step)) --send two"
		until='ev=release'
		look="A thread serves the connection; a second thread, the closer, close()s it
$((2 * step)) ms after the take. Threads share one descriptor table: there is
one descriptor, no copy, and the close drops it. Yet nothing is sent: the
serving thread is blocked in read() on the socket, and a call in progress
holds a reference of its own (Linux takes one for the call when threads
share the table: fs/file.c). The FIN leaves when that read() returns, woken
by the client's second message, $((4 * step)) ms after the close." ;;
	thread-close-idle)
		title="a thread close()s while the serving thread sleeps: FIN at once"
		sargs="--model thread --end-after $((2 * step)) --end close --reply-delay $((4 * step))"
		cargs="--send one"
		look="The same close(), but the serving thread sleeps before its echo
(--reply-delay) and is in no call on the socket: the close drops the last
reference, and the FIN leaves at once. close() ends the connection for every
thread of the process: the echo never comes. When the serving thread wakes,
its descriptor is gone: closelab's thread sees that and stops; a program
that called write() would get EBADF, or write into whatever connection
has taken the number since." ;;
	*)
		return 1 ;;
	esac
}

list() {
	for name in $NAMES; do
		scenario "$name"
		printf '%-19s %s\n' "$name" "$title"
	done
	printf '%-19s %s\n' diagnose "a connection that never ends: bin/holders and bin/trace"
}

# Who holds the connections to the port, as /proc has it: bin/holders.
show_holders() {
	echo "\$ bin/holders --port $1"
	"$bin/holders" --port "$1" || :
}

# The TCP states of connections to the port, as the kernel has them.
show_states() {
	echo "TCP states now (ss -tan):"
	if command -v ss >/dev/null 2>&1; then
		ss -tan "( sport = :$1 or dport = :$1 )" | sed 's/^/  /'
	else
		echo "  (ss is not installed here)"
	fi
}

# signal_client: the client goes on now (SIGUSR1 ends its --interval and
# its --read-after)
signal_client() {
	kill -USR1 "$client_pid" 2>/dev/null
}

# continue_helper: the worker's helper, once it has stopped itself and the
# parent too has closed its copy, goes on: its exit is the last holder's
continue_helper() {
	wait_until "the parent's close" has_event "$slog" role=parent ev=close fd= &&
	    h=$(values "$slog" helper role=worker ev=spawn | head -n 1) &&
	    wait_until "the helper $h to stop itself" helper_stopped "$h" &&
	    kill -CONT "$h"
}

# client_ended OUT: the client, in the background, printed its result line
# to OUT, or has exited
client_ended() {
	grep -q '^result ' "$1" || gone "$client_pid"
}

# stop_client: the client in the background is killed and waited for
stop_client() {
	kill "$client_pid" 2>/dev/null || :
	wait "$client_pid" 2>/dev/null || :
	client_pid=
}

# helper_stopped PID: the process is stopped (ps: state T)
helper_stopped() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	T*) return 0 ;;
	esac
	return 1
}

# run NAME: run one scenario and print its timeline; sets $result
run() {
	name=$1
	slog=$logs/$name.server.log
	clog=$logs/$name.client.log
	scenario "$name" || { echo "demo: no scenario '$name' (try: demo.sh list)" >&2; exit 2; }
	echo "== $name: $title"
	rm -f "$slog" "$clog"
	eval "set -- $sargs"
	# the kernel's holders, and the segments where this user may capture them
	server_start "$work" --kernel-holders --wire --log "$slog" "$@" ||
	    die "the server did not start"
	echo "   bin/server $sargs"
	echo "   bin/client $cargs"
	eval "set -- $cargs"
	status=0
	if [ -z "$gate" ]; then
		"$client_bin" --port "$PORT" --log "$clog" "$@" >"$logs/$name.client.out" || status=$?
	else
		"$client_bin" --port "$PORT" --log "$clog" "$@" >"$logs/$name.client.out" &
		client_pid=$!
		# shellcheck disable=SC2086 # the pairs, one a word
		if ! wait_until "the cue ($gate)" has_event "$slog" $gate || ! "$cue"; then
			stop_client
			die "the cue ($cue at $gate) could not be given"
		fi
		if ! wait_until "the client's result" client_ended "$logs/$name.client.out"; then
			stop_client
			die "the client did not end after its cue ($cue)"
		fi
		wait "$client_pid" || status=$?
		client_pid=
	fi
	# let the server finish its part (a timer, a helper), so the timeline is whole
	# shellcheck disable=SC2086 # the pairs, one a word
	wait_until "the end of the connection" has_event "$slog" $until ||
	    die "the server never logged the end of the connection ($until)"
	[ -z "$inspect" ] || "$inspect" "$PORT"
	server_stop || die "the server did not stop cleanly"
	echo
	"$bin/timeline" "$slog" "$clog"
	[ -z "$svgdir" ] || "$bin/timeline" --svg "$svgdir/$name.svg" "$slog" "$clog" >/dev/null
	if [ -n "$html" ]; then
		page=$html
		[ "$scenarios" -eq 1 ] || page=${html%.html}.$name.html
		"$bin/timeline" --html "$page" "$slog" "$clog" >/dev/null &&
		    echo "(the timeline as a page: $page)"
	fi
	has_event "$slog" role=wire ||
	    echo "(no segments: capturing them needs Linux and root or CAP_NET_RAW)"
	if [ -n "${LOGS:-}" ]; then
		echo
		echo "The logs it was drawn from, as written, server then client:"
		sed 's/^/  /' "$slog" "$clog"
	fi
	result=$(tail -n 1 "$logs/$name.client.out")
	echo "client: $result (exit status $status)"
	echo
	echo "$look"
}

# leak NAME: a server whose parent never lets go of its copy (run under
# SERVER_WRAP), bin/trace on its port (root, with bpftrace), a client (under
# CLIENT_WRAP); then what the two tools that find it on a live system say:
# bin/holders (anyone) and bin/trace. Logs NAME.*.
leak() {
	slog=$logs/$1.server.log
	tlog=$logs/$1.trace.log
	rm -f "$slog" "$tlog"
	server_start "$work" --parent-keeps never --end close --log "$slog" ||
	    die "the server did not start"
	echo "   bin/server --parent-keeps never --end close"
	if [ "$(id -u)" = 0 ] && command -v bpftrace >/dev/null 2>&1; then
		trace_start "$work/trace.err" --port "$PORT" --log "$tlog" ||
		    die "bin/trace did not start: $(tail -n 1 "$work/trace.err")"
		echo "   bin/trace --port $PORT --log $tlog"
	fi
	echo "   bin/client --send hello --timeout 300"
	status=0
	# shellcheck disable=SC2086 # CLIENT_WRAP is a command and its words
	${CLIENT_WRAP:-} "$client_bin" --port "$PORT" --send hello --timeout 300 \
	    >"$logs/$1.client.out" || status=$?
	echo "client: $(tail -n 1 "$logs/$1.client.out") (exit status $status)"
	wait_until "the worker's close" has_event "$slog" role=worker ev=close ||
	    die "the worker never closed"
	echo
	echo "\$ bin/holders --port $PORT"
	"$bin/holders" --port "$PORT" || :
	server_stop || die "the server did not stop cleanly"
	if [ -z "$TRACER_PID" ]; then
		echo
		echo "(bin/trace shows the moment a close sends nothing: it needs root and"
		echo "bpftrace, which 'apt-get install bpftrace' installs)"
		return
	fi
	# the parent's exit closed its copy: the FIN left then
	wait_until "bin/trace's line of the FIN" has_event "$tlog" ev=drop sent=fin ||
	    die "bin/trace saw no FIN leave"
	trace_stop
	echo
	echo "\$ bin/trace --port $PORT: what each close sent, as it happened"
	sed 's/^/  /' "$tlog"
	echo
	"$bin/timeline" "$tlog"
}

# the container case's network namespace and cgroup; removed at exit
container_ns=
container_cgroup=
client_pid=
demo_cleanup() {
	[ -z "$client_pid" ] || stop_client
	server_cleanup
	[ -z "$container_ns" ] || ip netns delete "$container_ns" 2>/dev/null || :
	[ -z "$container_cgroup" ] ||
	    find "$container_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || :
}
trap demo_cleanup EXIT

# cgroup_empty DIR: no process is left in cgroup DIR or beneath it
cgroup_empty() {
	! find "$1" -name cgroup.procs -exec cat {} + | grep -q .
}

# diagnose: the leak on the host; then, as root, in a network namespace of
# its own and a cgroup named as Docker names a container's (beneath this
# process's own, in the cgroup v2 hierarchy): what a container looks like
diagnose() {
	echo "== diagnose: a connection that never ends, and who holds it"
	leak diagnose
	echo
	mnt=$(findmnt -n -t cgroup2 -o TARGET 2>/dev/null | head -n 1) || :
	own=$(sed -n 's/^0:://p' /proc/self/cgroup 2>/dev/null) || :
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || [ -z "$mnt" ] ||
	    [ -z "$own" ]; then
		echo "(as root, with ip(8) and a cgroup v2 hierarchy, the demo runs the same"
		echo "server again in a network namespace and a container's cgroup)"
		return
	fi
	container_ns=closelab-demo-$$
	ip netns add "$container_ns" || die "cannot make a network namespace"
	ip -n "$container_ns" link set lo up
	# a container's id: 64 hex digits, Docker's cgroup for it
	id=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	container_cgroup=$mnt${own%/}/closelab-demo-$$
	cgroup=$container_cgroup/system.slice/docker-$id.scope
	if ! mkdir -p "$cgroup" 2>/dev/null; then
		echo "(cannot make a cgroup beneath $mnt$own: no container case here)"
		return
	fi
	printf '#!/bin/sh\necho $$ >"%s/cgroup.procs" || exit 1\nexec "$@"\n' "$cgroup" \
	    >"$work/in-container"
	chmod 755 "$work/in-container"
	echo "== diagnose, in a container: the same server and client, in network"
	echo "   namespace $container_ns, the server in cgroup"
	echo "   system.slice/docker-$id.scope"
	SERVER_WRAP="$work/in-container ip netns exec $container_ns" \
	    CLIENT_WRAP="ip netns exec $container_ns" leak diagnose-container
	wait_until "the container's processes to end" cgroup_empty "$container_cgroup" ||
	    die "a process of the container's cgroup did not end"
}

# the client's EOF time, from its result line
eof_ms() {
	[ "$(field "$result" end)" != eof ] || field "$result" ms
}

headline() {
	cat <<EOF
closelab demo: when does the client see EOF, if two processes hold the socket?

The server's parent accept()s the connection and passes it to a worker over
a UNIX socket (SCM_RIGHTS): both processes now hold the same socket
("holders 2"). The parent keeps its copy for $((5 * step)) ms. The client sends
"hello", calls shutdown(SHUT_WR), and waits for the server's EOF (its FIN).
Each timeline has a lane for each process (* marks its event) and one for
the wire, where the segments are numbered as in the article's captures:
"->" goes to the server, "<-" to the client; S is SYN, F FIN, R RST, P data,
"." ACK. ms counts from the connection's first event.

EOF
	run close-while-held
	close_ms=$(eof_ms)
	echo
	run shutdown-while-held
	shutdown_ms=$(eof_ms)
	if [ -z "$close_ms" ] || [ -z "$shutdown_ms" ]; then
		die "no EOF measured"
	fi
	# who sent each FIN, from the logs: the close that dropped the last
	# reference; the shutdown, and how many held the socket then
	last=$(event "$logs/close-while-held.server.log" ev=close 'holders=*->0') ||
	    die "no close dropped the last reference in close-while-held"
	if [ "$(field "$last" by)" = exit ]; then
		last="the exit of process $(field "$last" exited)"
	else
		last="the $(field "$last" role)'s close()"
	fi
	held=$(values "$logs/shutdown-while-held.server.log" holders ev=shutdown how=SHUT_WR)
	[ -n "$held" ] || die "no shutdown(SHUT_WR) in shutdown-while-held"
	[ "$held" = 1 ] && held="1 process" || held="$held processes"
	cat <<EOF

Verdict: with close() the client's EOF came after $close_ms ms, when
$last dropped the last reference; with shutdown(SHUT_WR)
it came after $shutdown_ms ms, while $held held the socket.

More endings: make demo SCENARIO=NAME, with a NAME from 'make scenarios'.
EOF
}

make -s -C "$TOP" all
case ${1:-} in
"") headline ;;
list) list ;;
diagnose) diagnose ;;
-h|--help) sed -n 's/^# \{0,1\}//; 2,7p' "$0" ;;
*)
	while [ "$1" = --logs ] || [ "$1" = --svg ] || [ "$1" = --html ]; do
		[ $# -ge 3 ] ||
		    { echo "usage: demo.sh [--logs DIR] [--svg DIR] [--html FILE] NAME..." >&2; exit 2; }
		case $1 in
		--logs) logs=$2 ;;
		--svg) svgdir=$2 ;;
		*) html=$2 ;;
		esac
		shift 2
	done
	scenarios=$#
	for name; do
		scenario "$name" || { echo "demo: no scenario '$name' (try: demo.sh list)" >&2; exit 2; }
	done
	for name; do
		run "$name"
		echo
	done ;;
esac
