#!/bin/sh
# attacks.sh: a class of hostile submissions for bin/grade
# (tests/grade_attacks.bats), each a subdirectory of DIR, beside an honest
# one. They aim at what docs/grading.md's threat model lists: files that
# root may open, descriptors they inherit, secrets of the host, memory.
#
# usage: attacks.sh DIR VICTIM SECRET
#   VICTIM  a file of root's that no submission may change
#   SECRET  a file of root's (0600) whose text no output may hold; the
#           grader's environment holds CLOSELAB_ATTACK_SECRET too
#
# DIR/expected: NAME<TAB>all|none|any|same:OTHER|quoted: every test passed,
# none, any number, as many as OTHER, or a sentence quotes the error of a
# program not found
set -eu

if [ $# -ne 3 ]; then
	echo "usage: attacks.sh DIR VICTIM SECRET" >&2
	exit 2
fi
dir=$1 victim=$2 secret=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
: >"$dir/expected"

# b-honest: closelab's own sources, graded beside the attackers; the names
# order the slots: a-spinner and b-honest are graded at once
sh "$top/tests/grade/class.sh" --quick "$dir/.quick" >/dev/null
mv "$dir/.quick/correct" "$dir/b-honest"
rm -rf "$dir/.quick"
printf 'b-honest\tall\n' >>"$dir/expected"

# a-spinner: a build that keeps 150 processes busy for 40 s (within the
# uid's 200), beside b-honest: each must still get its share of the CPU
mkdir -p "$dir/a-spinner"
# shellcheck disable=SC2016 # for make and its shell to expand
printf 'all:\n\tfor i in $$(seq 150); do (while :; do :; done) & done; sleep 40; exit 1\n' \
    >"$dir/a-spinner/Makefile"
printf 'a-spinner\tnone\n' >>"$dir/expected"

# program NAME FILE BODY: FILE (server or client, in bin/) of NAME, a bash
# script that knows its --log and --port-file (LOG, PORTFILE) and the host's
# paths
program() {
	mkdir -p "$dir/$1/bin"
	{
		echo '#!/bin/bash'
		echo "VICTIM='$victim' SECRET='$secret'"
		# shellcheck disable=SC2016 # expanded by the script, when it runs
		echo 'LOG= PORTFILE= prev=
for a; do
	case $prev in
	--log) LOG=$a ;;
	--port-file) PORTFILE=$a ;;
	esac
	prev=$a
done'
		printf '%s\n' "$3"
	} >"$dir/$1/bin/$2"
	chmod 755 "$dir/$1/bin/$2"
}

# with_server NAME: closelab's sources, whose make builds bin/real-server
# alone, and bin/server, a script that runs it (or more)
with_server() {
	cp -R "$dir/b-honest" "$dir/$1"
	sed -e 's|^all: bin/server bin/client$|all: bin/real-server|' \
	    -e 's|^bin/server: |bin/real-server: |' "$dir/b-honest/Makefile" >"$dir/$1/Makefile"
	# shellcheck disable=SC2016 # expanded by the script, when it runs
	program "$1" server "${2:-}"'
exec "${0%/*}/real-server" "$@"'
}

# traps: a working server, and closelab's client, but beside its log and
# its port file a link to the victim at every name that a grader running
# as root has written, to the secret or to /proc/1/environ at names it has
# read, a FIFO that would hang a reader, a hard link; and a loop that keeps
# putting them back while its tests run
# shellcheck disable=SC2016 # expanded by the script, when it runs
with_server traps 'plant() {
	for n in client.log client.out client.err first.log .reason reasons; do
		ln -sfn "$VICTIM" "$1/$n"
	done
	for n in secret.log secret.out secret.err second.log program.err status results; do
		ln -sfn "$SECRET" "$1/$n"
	done
	ln -sfn /proc/1/environ "$1/environ.log"
	[ -p "$1/fifo.log" ] || mkfifo "$1/fifo.log"
	ln -f "$VICTIM" "$1/hard.log" 2>/dev/null
}
for d in "${LOG%/*}" "${PORTFILE%/*}" "${LOG%/*/*}" "$TMPDIR" /tmp "$HOME"; do
	[ -n "$d" ] && plant "$d" 2>/dev/null
done
(
	end=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$end" ]; do
		for d in "${LOG%/*}" "${PORTFILE%/*}" "${LOG%/*/*}"; do
			[ -n "$d" ] && plant "$d" 2>/dev/null
		done
		sleep 0.01
	done
) </dev/null >/dev/null 2>&1 &'
printf 'traps\tany\n' >>"$dir/expected"

# looks: what the host would show it, written wherever it can be read back
# shellcheck disable=SC2016 # expanded by the script, when it runs
looks='{
	env
	cat /proc/1/environ /proc/self/mountinfo "$SECRET"
	ls -la / /home /root /run /tmp /var/tmp "${LOG%/*/*}" "${LOG%/*/*/*}"
	cat "$LOG" "${LOG%/*}"/../*
} 2>&1 | tee -a "${LOG:-/dev/null}" | head -c 65536'

# forger: a working server, and a client that forges TAP on every
# descriptor from 3 to 20 and on what may lead to the runner's output, and
# shows what the host would show it
# shellcheck disable=SC2016 # expanded by the script, when it runs
forge='for fd in $(seq 3 20); do
	for k in $(seq 1 60); do
		echo "ok $k forged"
	done 2>/dev/null >&"$fd"
done
for f in /dev/fd/{3..20} /proc/self/fd/{3..20} /proc/$PPID/fd/{1,3} /dev/tty; do
	[ -e "$f" ] && seq 1 60 | sed "s/.*/ok & forged/" >"$f" 2>/dev/null
done
seq 1 60 | sed "s/.*/ok & forged/"'
with_server forger
program forger client "$forge
$looks
exit 1"
# the same, not forging: it must pass just as many
with_server quiet
program quiet client "$looks
exit 1"
printf 'forger\tsame:quiet\nquiet\tany\n' >>"$dir/expected"

# lingerer: a process that leaves its session and outlives every test
# shellcheck disable=SC2016 # expanded by the script, when it runs
program lingerer server 'setsid sh -c "trap \"\" TERM HUP INT; sleep 100000" </dev/null >/dev/null 2>&1 &
ipcmk -M 65536 -p 0666 >/dev/null 2>&1
ipcmk -Q -p 0666 >/dev/null 2>&1
exit 1'
printf 'lingerer\tnone\n' >>"$dir/expected"

# hog: four processes, each holding 120 MiB, more than the cap together;
# once (the first test's server): the others exit at once
# shellcheck disable=SC2016 # expanded by the script, when it runs
program hog server 'mkdir /tmp/hogged 2>/dev/null || exit 1
for i in 1 2 3 4; do
	awk "BEGIN { s = \"x\"; while (length(s) < 125829120) s = s s; system(\"sleep 30\") }" &
done
wait
exit 1'
printf 'hog\tnone\n' >>"$dir/expected"

# missing: closelab's sources, but a client that runs what the sandbox
# does not have: the sentence quotes the error
with_server missing
printf '#!/bin/sh\nexec /opt/closelab-attack/client "$@"\n' >"$dir/missing/bin/client"
chmod 755 "$dir/missing/bin/client"
printf 'missing\tquoted\n' >>"$dir/expected"

# injector: a working server whose log's first read line has a t= that
# bash's arithmetic would run (it prints INJECTED on the TAP's descriptor)
# shellcheck disable=SC2016 # expanded by the script, when it runs
with_server injector '[ -z "$LOG" ] ||
	echo "t=a[\$(printf\${IFS}INJ%sED\${IFS}ECT>&3)] pid=1 role=worker conn=- ev=read bytes=7" >>"$LOG"'
printf 'injector\tany\n' >>"$dir/expected"

# suicide: a client that kills itself: a crash, not a hang
with_server suicide
printf '#!/bin/sh\nkill -KILL $$\n' >"$dir/suicide/bin/client"
chmod 755 "$dir/suicide/bin/client"
printf 'suicide\tany\n' >>"$dir/expected"

# newline: a port file whose second line would be a sentence of its own,
# for another test, that a spreadsheet takes for a formula
# shellcheck disable=SC2016 # expanded by the script, when it runs
program newline server 'printf "9\nIPv6 loopback works too\t=HYPERLINK(\"x\",\"100\")\n" >"$PORTFILE"
exec sleep 30'
printf 'newline\tnone\n' >>"$dir/expected"

# spoofer: a build that runs processes carrying the grader's tag of every
# other sandbox of the run, as it reads it from its cgroup's name or its
# mounts
# shellcheck disable=SC2016 # expanded by the script, when it runs
mkdir -p "$dir/spoofer"
cat >"$dir/spoofer/spoof.sh" <<'SPOOF'
run=$(cat /proc/self/cgroup /proc/self/mountinfo | grep -o 'run\.[A-Za-z0-9]\{6\}' | head -n 1)
envs=
for s in 0 1; do for n in $(seq 1 16); do envs="$envs CLOSELAB_GRADE_SANDBOX=$run.$s.$n"; done; done
end=$(($(date +%s) + 30))
while [ "$(date +%s)" -lt "$end" ]; do
	for e in $envs; do env -i "$e" sleep 2 & done
	sleep 1
done
SPOOF
printf 'all:\n\tsh spoof.sh; exit 1\n' >"$dir/spoofer/Makefile"
printf 'spoofer\tnone\n' >>"$dir/expected"
