#!/bin/sh
# lesson.sh: make a class for the lesson's assignment (docs/assignment.md),
# each submission a subdirectory of DIR: the two answers of
# tests/grade/lesson/ (pre-forking in C, forking in Python), each classic
# mistake as one of them built or run with MISTAKE set, a few that
# misbehave on purpose (a hang, a fork bomb, one that does not build), and
# the attacks on the judge that a hostile review found, each of which
# fooled it or crashed it once (docs/testing.md).
#
# usage: lesson.sh DIR
#
# DIR/expected lists each submission with what its grade must be:
# NAME<TAB>LOW<TAB>HIGH<TAB>the check it fails (- for none)<TAB>a phrase of
# that check's sentence, or phrases "A|B" where the judge may see either
# of two mistakes first, both true of it.
set -eu

src=$(cd "$(dirname "$0")/lesson" && pwd)
if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: lesson.sh DIR" >&2
	exit 2
fi
mkdir -p "$1"
dir=$(cd "$1" && pwd)
: >"$dir/expected"

# expect NAME LOW HIGH CHECK PHRASE
expect() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$dir/expected"
}

# c NAME MISTAKE: the pre-forking answer, built by its Makefile with MISTAKE
c() {
	mkdir -p "$dir/$1"
	cp "$src/prefork.c" "$dir/$1/"
	printf 'server: prefork.c\n\tcc -std=c11 -O2 -pthread -DMISTAKE=%s -o server prefork.c\n' "$2" \
	    >"$dir/$1/Makefile"
}

# py NAME MISTAKE: the forking answer, as it is, run with MISTAKE
py() {
	mkdir -p "$dir/$1"
	cp "$src/forking.py" "$dir/$1/"
	# shellcheck disable=SC2016 # the script's own expansions
	printf '#!/bin/sh\nMISTAKE=%s exec python3 "$(dirname "$0")/forking.py" "$@"\n' "$2" \
	    >"$dir/$1/server"
	chmod 755 "$dir/$1/server"
}

# attack NAME FILE [CFLAGS]: a program of tests/grade/lesson/, built by its Makefile
attack() {
	mkdir -p "$dir/$1"
	cp "$src/$2" "$dir/$1/"
	printf 'server: %s\n\tcc -std=c11 -O2 -pthread %s -o server %s\n' "$2" "${3:-}" "$2" \
	    >"$dir/$1/Makefile"
}

# python_server NAME: DIR/NAME/server, a Python program listening on the
# port it is given (s), then the rest of it from standard input
python_server() {
	mkdir -p "$dir/$1"
	{
		cat <<'PY'
#!/usr/bin/env python3
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])))
s.listen(8)
PY
		cat
	} >"$dir/$1/server"
	chmod 755 "$dir/$1/server"
}

c prefork 0
expect prefork 100 100 - -
py forking ''
expect forking 100 100 - -
c close-only 1
expect close-only 50 50 shutdown "the worker must call shutdown(SHUT_WR)"
c no-keep 2
expect no-keep 45 45 close-keep "the parent without its copy of the socket"
c parent-never 3
expect parent-never 50 50 close-keep "the parent never closed its copy"
c liar 4
expect liar 50 50 close-keep "the parent without its copy of the socket"
c worker-holds 5
expect worker-holds 50 50 close-keep "the worker still held its copy"
c serves-itself 6
expect serves-itself 50 50 handoff "no other process than the parent held the connection"
c leaves-workers 7
expect leaves-workers 95 95 sigterm "after SIGTERM a process of the server was still running"
py no-reap no-reap
expect no-reap 95 95 reaped "a child that had ended was not reaped"
py inherits inherits
expect inherits 50 50 never "held another connection's socket"

# a hang: it never listens
mkdir -p "$dir/hang"
printf '#!/bin/sh\nexec sleep 3600\n' >"$dir/hang/server"
chmod 755 "$dir/hang/server"
expect hang 0 0 listens "the server did not listen"

# a fork bomb beside a parent that listens and echoes nothing
python_server fork-bomb <<'PY'
if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            pass
held = []
while True:
    held.append(s.accept())
PY
expect fork-bomb 0 5 echo "the server did not echo"

# the attacks: a parent that keeps 30 ms; a parent that shuts down for a
# worker that only closes; 8 KiB more than was sent (it overran the judge's
# buffer); a worker's copy in a thread with a descriptor table of its own;
# a child made the judge's with CLONE_PARENT (correct otherwise); a parent
# that serves while a child holds a copy of the socket; a decoy
# connection on other addresses with the same ports; a build whose 100 MiB
# of output filled root's space; a flood of bytes; a parent that keeps 30 ms
# and a worker that lets go right after it (the judge blamed the worker);
# and those of a second review (tests/grade/lesson/prefork.c, 15 to 22):
# copies in flight in messages, a twin sharing the parent's descriptor
# table, a worker whose first thread has left, a keep of the server's own;
# and of a third (23 to 30, forger.c): a child that continues the stopped
# parent, twins that hide their table, a short hiding, a FIN between two
# stops, a keep of its own for positive keeps, the second message forged
c short-keep 8
expect short-keep 50 50 close-keep "the parent"
c parent-shuts 9
expect parent-shuts 50 50 shutdown "no FIN came while the parent was stopped"
c extra-bytes 10
expect extra-bytes 90 90 echo "did not echo every byte"
c hidden-thread 11
expect hidden-thread 50 50 close-keep "the worker still held its copy"
c judges-child 12
expect judges-child 100 100 - -
c dummy-holder 13
expect dummy-holder 40 50 handoff "the echo stopped while the parent was stopped"
c worker-follows 14
expect worker-follows 50 50 close-keep "the parent"
c never-300 15
expect never-300 50 50 never "the connection still ended"
c inflight-worker 16
expect inflight-worker 50 50 close-keep "kept out of every descriptor table"
c twin-shuts 17
expect twin-shuts 50 50 shutdown "no FIN came while the parent was stopped"
c inflight-liar 18
expect inflight-liar 50 50 close-keep "kept out of every descriptor table|without its copy"
c always-shutdown 19
expect always-shutdown 50 50 close-keep "which only a shutdown() does"
c zombie-leader 20
expect zombie-leader 50 50 close-keep "the worker still held its copy"
c main-leaves 21
expect main-leaves 100 100 - -
c fixed-keep 22
expect fixed-keep 50 50 close-keep "long after"
c unstopped-shuts 23
expect unstopped-shuts 50 50 shutdown "did not stay stopped"
c unstopped-serves 24
expect unstopped-serves 0 50 handoff "did not stay stopped"
c twin-ghost 25
expect twin-ghost 50 50 shutdown "no FIN came while the parent was stopped"
c twin-decoy 26
expect twin-decoy 50 50 shutdown "no FIN came while the parent was stopped"
c inflight-short 27
expect inflight-short 50 50 close-keep "the worker still held its copy"
c gap-shuts 28
expect gap-shuts 50 50 shutdown "the FIN came before the client's shutdown|no FIN came while the parent was stopped"
c twin-65th 29
expect twin-65th 50 50 shutdown "no FIN came while the parent was stopped"
c keep-1500 30
expect keep-1500 50 50 shutdown "without its copy"
# and of a fifth (ghost.c, standby.c, restop.c, warp.c, and prefork.c's
# 31): an O_PATH descriptor shown as the parent's copy; a stand-in that
# echoes only while the parent is stopped; a parent continued while
# "stopped", its count of switches put back by a new thread; the judge's
# looks slowed to hide a keep of its own; and a correct answer whose idle
# threads and descriptors by the hundred made the judge run out of time
attack ghost-close-only ghost.c -DMODE=1
expect ghost-close-only 50 50 shutdown "without its copy"
attack ghost-liar ghost.c -DMODE=2
expect ghost-liar 0 50 close-keep "kept out of every descriptor table|without its copy"
attack standby standby.c
expect standby 0 50 handoff "standing in only while it was stopped"
attack restop restop.c
expect restop 0 50 - -
attack warp warp.c
expect warp 0 50 shutdown -
c busy 31
expect busy 100 100 - -
# and of a sixth (standby.c's modes): a stand-in that lets go and takes the
# socket again (pidfd_getfd), and one that will not stop (vfork). grab is
# a stand-in as well: which the judge sees first depends on the machine's
# load (a grading beside it once made it the stand-in)
attack grab standby.c -DMODE=1
expect grab 0 50 handoff "let go of it while it was served|standing in only while it was stopped"
attack standd standby.c -DMODE=2
expect standd 0 50 handoff "could not be stopped"
# and two more of the sixth's: a keep half kept, the worker's copy in flight
# for the rest; and twins born between the judge's look and its stop, one
# of which may run on to its exit while the judge stops it (its twins, one
# born every millisecond, slow the judge's looks: on a loaded machine its
# steps outlast the keep, which the judge says)
c halfkeep 32
expect halfkeep 50 50 close-keep "without its copy"
c twinrace 33
expect twinrace 0 50 shutdown "no FIN came while the parent was stopped|did not stay stopped|keep had ended before the judge could look"
# and of a seventh: two correct answers that the judge's stop of the worker
# broke (a SIGCHLD handler cut the parent's keep short; calls that failed
# with EINTR), each now told what happened and why (docs/assignment.md);
# a keep of the server's own counted from the client's FIN; a worker's
# copy in flight for a look, then back beside the parent's; a parent that
# spins on, continued, while the judge believed it stopped
attack sigchld sigchld.c
expect sigchld 50 50 shutdown "a keep must outlast the SIGCHLD|without its copy"
attack eintr eintr.c
expect eintr 45 50 handoff "a call that a stop interrupts may fail with EINTR"
attack eintr-epoll eintr.c -DEPOLL_PARENT
expect eintr-epoll 0 50 handoff "the parent exited while the server was judged|let go of it while it was served"
attack eofkeep eofkeep.c
expect eofkeep 50 50 shutdown "without its copy"
attack peekaboo peekaboo.c
expect peekaboo 50 50 close-keep "the worker still held its copy"
attack spinner spinner.c
expect spinner 50 50 shutdown "did not stay stopped"
# and of an eighth: keeps counted from the client's FIN, which slow echoes
# put later in the shutdown run than in the close run (the close run now
# goes through the same exchanges, so its keep is over before they are)
attack uniform eofkeep.c -DMODE=1
expect uniform 50 50 close-keep "the parent's keep had ended before the judge could look"
attack stopslow eofkeep.c -DMODE=2
expect stopslow 50 50 close-keep "the parent's keep had ended before the judge could look"
# and of a ninth: keeps counted from the judge's steps, which only the
# shutdown run took (the close run takes them too now)
attack contkeep stepkeep.c -DMODE=1
expect contkeep 50 50 close-keep "long after"
attack vforkstall stepkeep.c -DMODE=2
expect vforkstall 50 50 close-keep "the parent's keep had ended before the judge could look"
attack msgkeep stepkeep.c -DMODE=3
expect msgkeep 50 50 close-keep "long after"
attack shortsig stepkeep.c -DMODE=4
expect shortsig 50 50 close-keep "the FIN came before --parent-keeps MS had passed|without its copy"
attack sigok stepkeep.c -DMODE=5
expect sigok 100 100 - -
# and of a tenth: the ninth's keep, and a worker whose copy, hidden at the
# EOF, ends late: the judge kept one run's parent stopped longer
attack latefin stepkeep.c -DMODE=6
expect latefin 50 50 shutdown "no FIN came while the parent was stopped"
# and of an eleventh: a worker that keeps every socket it served, an echo
# that stops at a NUL byte, the never run's copy in flight, a late reaper
c keeps-served 34
expect keeps-served 95 95 model "held another connection's socket"
c strlen-echo 35
expect strlen-echo 90 90 echo "did not echo every byte"
c never-hidden 36
expect never-hidden 50 50 never "kept out of every descriptor table"
py reap-late reap-late
expect reap-late 95 95 reaped "a child that had ended was not reaped"
# and of a twelfth: a server that stops accepting, which the judge once
# waited for 5 s a connection, past the sandbox's deadline
c stops-accepting 37
expect stops-accepting 85 85 echo "did not echo every byte"
# and of a thirteenth: a parent that keeps its copies when told 0
c keeps-at-0 38
expect keeps-at-0 95 95 model "though told to close its copy at once"
# and of the record's eintr-epoll: a correct parent whose keep spins, never
# asleep, which a judge that waited for it to sleep after a continue held
# past its keep
c polling 39
expect polling 100 100 - -
mkdir -p "$dir/forger"
cp "$src/forger.c" "$dir/forger/"
printf 'server: forger.c\n\tcc -O2 -pthread -o server forger.c\n' >"$dir/forger/Makefile"
expect forger 0 50 handoff -
mkdir -p "$dir/decoy"
cp "$src/decoy.c" "$dir/decoy/"
printf 'server: decoy.c\n\tcc -std=c11 -O2 -o server decoy.c\n' >"$dir/decoy/Makefile"
expect decoy 0 50 handoff -
c loud-build 0
printf 'server: loud\nloud:\n\t@head -c 104857600 /dev/zero | tr "\\0" x || true\n' >>"$dir/loud-build/Makefile"
expect loud-build 100 100 - -
python_server flood <<'PY'
c, _ = s.accept()
while True:
    c.sendall(b"x" * 65536)
PY
expect flood 0 10 echo "did not echo every byte"

# one that does not build
mkdir -p "$dir/no-build"
printf 'int main(void) { return missing; }\n' >"$dir/no-build/server.c"
printf 'server: server.c\n\tcc -o server server.c\n' >"$dir/no-build/Makefile"
expect no-build 0 0 listens "it did not build"
