#!/bin/sh
# labcheck.sh: make lab-check. Runs each exercise of docs/lab.md with the
# command the handout gives it, and checks, on this machine, what its
# Observe paragraph points the student at, against the key (docs/lab-key.md):
# each event is logged with the fields the key says, in its order, and the
# times keep its lower bounds (ranges only where they are generous).
#
# usage: labcheck.sh [N...]     the exercises N (all of docs/lab.md's)
# One line an exercise: "ok N title", "FAIL N title: what was not seen",
# or "skip N title: needs root or CAP_NET_RAW ..." where the handout says
# it needs the capture, none was made, and this process could not have
# made one. Exit status 0 when none failed, 1 otherwise (or when the programs do
# not build), 2 a usage error.
#
# The commands are read from the handout, so that the lab and its check
# cannot drift. Each runs in a scratch directory that stands for a fresh
# clone (the tree's entries linked into it), bounded by LAB_TIMEOUT seconds
# (120); its output is read once it has exited. LAB_KEEP=1 keeps the scratch
# directory, and says where it is; REPLY_DELAY=MS is passed on to the demo.
#
# The checks read the log lines that the timeline is drawn from, field by
# field (common/log.awk, through demo/labcheck.awk), never the timeline's
# sentences, which are worded for the student and may change.
# shellcheck disable=SC2317 # the helpers serve check_N, called by its name
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
lab=$TOP/docs/lab.md
LAB_TIMEOUT=${LAB_TIMEOUT:-120}
# the handout's commands run as in a fresh shell: no scenario. LOGS=1: the
# demo prints, after each timeline, the log lines it was drawn from, which
# the checks read (the handout asks for them where the student reads them
# too). REPLY_DELAY (ms), which the demo reads, is kept: the test suite
# stretches the article's echo delay with it, as its scenario tests do, so
# that a loaded machine cannot reorder the segments of exercises 2 and 3
unset SCENARIO
LOGS=1
export LOGS
work=$(mktemp -d "${TMPDIR:-/tmp}/closelab-lab.XXXXXX")
if [ -n "${LAB_KEEP:-}" ]; then
	echo "labcheck: the commands' output is kept in $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi
# an interrupted check stops the command it runs (timeout, in a process
# group of its own, passes the signal on)
runner=
trap '[ -z "$runner" ] || kill -TERM "$runner" 2>/dev/null; exit 130' INT TERM
mkdir "$work/clone"
for f in "$TOP"/*; do
	ln -s "$f" "$work/clone/${f##*/}"
done

# event, has_event, values and field: the log helpers of the demo and the tests
# shellcheck source=common/serverctl.sh
. "$TOP/common/serverctl.sh"

# --- the handout ---

# title N: the exercise's title, from its heading "## N. Title"
title() {
	sed -n "s/^## $1\. //p" "$lab"
}

# part N WORD: the paragraph of exercise N that starts with **WORD.**, joined
# into one line
part() {
	awk -v n="$1" -v word="**$2.**" '
		/^## / { on = index($0, "## " n ". ") == 1 }
		on && index($0, word) == 1 { p = 1 }
		p && /^$/ { exit }
		p { text = text (text == "" ? "" : " ") $0 }
		END { print text }' "$lab"
}

# command N: the command the handout runs for exercise N: the `...` that
# opens its Run paragraph, or else the ```sh block that follows it
command_of() {
	awk -v n="$1" '
		/^## / { on = index($0, "## " n ". ") == 1 }
		!on { next }
		index($0, "**Run.**") == 1 { run = 1 }
		run == 1 && /^$/ { run = 2 }
		run == 1 { para = para " " $0 }
		run == 2 && /^```/ { if (block) exit; block = 1; next }
		block { print; found = 1 }
		run == 2 && !block && para ~ /^ \*\*Run\.\*\* `[^`]+`/ {
			sub(/^[^`]*`/, "", para)
			sub(/`.*/, "", para)
			print para
			found = 1
			exit
		}
		END { exit !found }' "$lab"
}

# --- what a command printed ---

# scene NAME: the part of the output ($out) for the demo's scenario NAME
# (scene), and its log lines (log), the demo's LOGS=1 print of them, in
# the order of their t=; captured= is empty when no segment was captured.
# 1 if the output has no such scenario.
scene() {
	awk -v name="$1" '
		index($0, "== " name ": ") == 1 { on = 1; found = 1; next }
		/^== / { on = 0 }
		on { print }
		END { exit !found }' "$out" >"$work/scene" ||
	    miss "the output has no scenario $1 (no line '== $1: ...')" || return
	sed -n 's/^  \(t=\)/\1/p' "$work/scene" | sort -t= -k2,2n >"$work/log"
	[ -s "$work/log" ] ||
	    miss "the scenario $1 printed no log lines (the demo prints them with LOGS=1)" || return
	captured=yes
	logged role=wire ev=segment || captured=
}

# ask ASSIGNMENTS...: demo/labcheck.awk's answer (a time in ms) to the
# question its awk -v ASSIGNMENTS ask of the scene's log
ask() {
	awk "$@" -f "$TOP/common/log.awk" -f "$TOP/demo/labcheck.awk" "$work/log"
}

# at PAIRS...: the ms, from the connection's first event, of the first log
# line of the scene that holds every KEY=VALUE pair (as event() takes them:
# KEY= any value, KEY=*END a value that ends with END); 1 if there is none.
# after MS PAIRS...: of the first at MS ms or later; nth N PAIRS...: of the
# N-th.
at() {
	ask -v want="$*"
}
after() {
	lc_from=$1
	shift
	ask -v from="$lc_from" -v want="$*"
}
nth() {
	lc_nth=$1
	shift
	ask -v nth="$lc_nth" -v want="$*"
}

# in_state MS ROLE STATE: the ms of ROLE's first log line at MS or later
# where its socket is in STATE (the state a call left it in, or else the
# one at the event), as the timeline prints [STATE]
in_state() {
	ask -v from="$1" -v want="role=$2" -v state="$3"
}

# first_sent server|client F|R: the ms at which that side first sent a FIN
# (F) or an RST (R): as root, its captured segment; without, the close or
# shutdown that sent it, worked out from the log's fields by the rule of
# the timeline's wire column (labcheck.awk's sends())
first_sent() {
	ask -v side="$1" -v sent="$2"
}

# segment K: the K-th segment captured, in the handout's letters: ->F. (to
# the server), <-P. (to the client)
segment() {
	values "$work/log" "dir flags" role=wire ev=segment |
	    sed -n "$1{s/^in /->/; s/^out /<-/; p; q;}"
}

# segments: how many segments were captured
segments() {
	values "$work/log" flags role=wire ev=segment | awk 'END { print NR }'
}

# logged PAIRS...: a log line of the scene holds every KEY=VALUE pair
logged() {
	has_event "$work/log" "$@"
}

# elapsed FROM TO: the ms from FROM to TO; 1 if either is not known (empty)
elapsed() {
	[ -n "$1" ] && [ -n "$2" ] || return 1
	awk -v from="$1" -v to="$2" 'BEGIN { printf "%.3f\n", to - from }'
}

# result: the client's result line of the scene, without its prefix
result() {
	sed -n 's/^client: result //p' "$work/scene" | tail -n 1
}

# ge A B, lt A B: numeric comparisons, decimals too
ge() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'
}
lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}

# miss SENTENCE: what was not seen; fails, so that "check || miss ... ||
# return" ends the exercise's check there
miss() {
	why=$1
	return 1
}

# article_order: as in the article's captures, the client's FIN left before
# the first echo, and the server's ACK of it on its own before the echo too:
# the numbering of the segments depends on both, and a loaded machine can
# delay the client's steps past them
article_order() {
	fin=$(first_sent client F) || miss "the client's FIN was not captured" || return
	echo1=$(at role=wire ev=segment dir=out flags=P.) || miss "no echo was captured" || return
	lt "$fin" "$echo1" ||
	    miss "the first echo left at $echo1 ms, before the client's FIN at $fin ms: the client's steps came late (a loaded machine?), so the segments are not in the article's order" || return
	{ ack=$(after "$fin" role=wire ev=segment dir=out flags=.) && lt "$ack" "$echo1"; } ||
	    miss "the server acknowledged the client's FIN only with the first echo, not on its own before it: the FIN came less than the delayed ACK's 40 ms before the echo (a loaded machine?), so the segments are not numbered as in the article"
}

# the exercises' checks: check_N for each exercise N
# shellcheck source=demo/exercises.sh
. "$TOP/demo/exercises.sh"

# --- running them ---

# may_capture: this process may open a packet socket (Linux: CAP_NET_RAW in
# its effective set, bit 13, which root has)
may_capture() {
	lc_cap=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status 2>/dev/null)
	[ -n "$lc_cap" ] && [ $((0x$lc_cap >> 13 & 1)) -eq 1 ]
}

# run N: run exercise N's command in the scratch clone, its output in $out;
# why= when it did not run to its end
run() {
	out=$work/out.$1
	cmd=$(command_of "$1") ||
	    miss "the handout gives it no command" || return
	overflows=$(tw_overflows)
	status=0
	(cd "$work/clone" && exec timeout -k 5 "$LAB_TIMEOUT" sh -c "$cmd") >"$out" 2>&1 &
	runner=$!
	wait "$runner" || status=$?
	runner=
	# a loop is named by its first line
	short=$(printf '%s\n' "$cmd" | sed -n '1p; 2{s/.*/.../p;q;}' | tr '\n' ' ')
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		miss "its command (${short% }) was still running after $LAB_TIMEOUT s"
	elif [ "$status" -ne 0 ]; then
		miss "its command (${short% }) failed with status $status: $(tail -n 1 "$out")"
	fi
}

# the handout's exercises: its headings "## N. Title", 1 to n
n=$(grep -c '^## [1-9][0-9]*\. ' "$lab")
if [ $# -eq 0 ]; then
	set -- $(seq "$n")
fi
for ex; do
	case $ex in
	*[!0-9]* | '' | 0*) ex=0 ;;
	esac
	if [ "$ex" -lt 1 ] || [ "$ex" -gt "$n" ]; then
		echo "usage: labcheck.sh [N...]: N an exercise, 1 to $n" >&2
		exit 2
	fi
done
# as the handout starts: make
make -s -C "$TOP" all >"$work/make.out" 2>&1 || {
	cat "$work/make.out" >&2
	echo "labcheck: make failed: the programs the lab runs are not built" >&2
	exit 1
}
failed=0
for ex; do
	why=
	name=$(title "$ex")
	# an exercise that needs the capture is skipped where none was made, and
	# none could be: what the run shows, not who ran it (a server given
	# CAP_NET_RAW of its own captures for anyone)
	if run "$ex" && grep -q '^(no segments: ' "$out" &&
	    part "$ex" Root | grep -q '^\*\*Root\.\*\* Needed' && ! may_capture; then
		echo "skip $ex $name: needs root or CAP_NET_RAW (no segment was captured)"
		continue
	fi
	if [ -z "$why" ] && "check_$ex"; then
		echo "ok $ex $name"
	else
		echo "FAIL $ex $name: ${why:-its check failed without saying why}"
		failed=1
	fi
done
exit "$failed"
