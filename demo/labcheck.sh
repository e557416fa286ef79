#!/bin/sh
# labcheck.sh: make lab-check. Runs each exercise of docs/lab.md with the
# command the handout gives it, and checks, on this machine, what its
# Observe paragraph points the student at, against the key (docs/lab-key.md):
# each line or field is printed, and holds the value the key says (orders
# and lower bounds; ranges only where they are generous).
#
# usage: labcheck.sh [N...]     the exercises N (all ten)
# One line an exercise: "ok N title", "FAIL N title: what was not seen", or
# "skip N title: needs root" where the handout says it needs root and we are
# not. Exit status 0 when none failed, 1 otherwise (or when the programs do
# not build), 2 a usage error.
#
# The commands are read from the handout, so that the lab and its check
# cannot drift. Each runs in a scratch directory that stands for a fresh
# clone (the tree's entries linked into it), bounded by LAB_TIMEOUT seconds
# (120); its output is read once it has exited. LAB_KEEP=1 keeps the scratch
# directory, and says where it is; REPLY_DELAY=MS is passed on to the demo.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
lab=$TOP/docs/lab.md
LAB_TIMEOUT=${LAB_TIMEOUT:-120}
# the handout's commands run as in a fresh shell: no scenario, no logs.
# REPLY_DELAY (ms), which the demo reads, is kept: the test suite stretches
# the article's echo delay with it, as its scenario tests do, so that a
# loaded machine cannot reorder the segments of exercises 2 and 3
unset SCENARIO LOGS
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

# event, values and field: the log helpers of the demo and the tests
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

# scene NAME: the part of the output ($out) for the demo's scenario NAME,
# split into its timeline (tl: one record an event), its log lines (log),
# and the whole of it (scene); captured= is empty when no segment was
# captured. 1 if the output has no such scenario.
scene() {
	awk -v name="$1" '
		index($0, "== " name ": ") == 1 { on = 1; found = 1; next }
		/^== / { on = 0 }
		on { print }
		END { exit !found }' "$out" >"$work/scene" ||
	    miss "the output has no scenario $1 (no line '== $1: ...')" || return
	sed -n 's/^  \(t=\)/\1/p' "$work/scene" >"$work/log"
	# the timeline's rows: ms, the role of the lane with the *, the wire
	# column, the event's words with their continuation lines joined
	awk '
		function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
		function flush() { if (ms != "") print ms "\t" who "\t" wire "\t" text; ms = "" }
		/^lanes: / {
			n = split(substr($0, 8), l, ", ")
			for (i = 1; i <= n; i++) {
				split(l[i], w, " ")
				role[w[1]] = w[2]
			}
			getline hdr
			wcol = index(hdr, "wire")
			ecol = index(hdr, "event")
			split("", lane)
			for (c = 10; c < wcol; c++)
				if ((ch = substr(hdr, c, 1)) != " ")
					lane[c] = role[ch]
			on = 1
			next
		}
		on && /^ *[0-9]+\.[0-9][0-9][0-9] / {
			flush()
			ms = $1
			who = ""
			for (c in lane)
				if (substr($0, c, 1) == "*")
					who = lane[c]
			wire = trim(substr($0, wcol, ecol - wcol))
			if (who == "" && wire ~ /^#/)
				who = "wire"
			text = trim(substr($0, ecol))
			next
		}
		on && /^          / { text = text " " trim(substr($0, ecol)); next }
		on { flush(); on = 0 }
		END { flush() }' "$work/scene" >"$work/tl"
	captured=yes
	! grep -q '^(no segments' "$work/scene" || captured=
}

# at ROLE TEXT [WIRE [FROM]]: the ms of the first row of the timeline by
# ROLE (an ERE; empty: any lane) whose words match the ERE TEXT and whose
# wire column matches the ERE WIRE, at FROM ms or later; 1 if there is none.
# The EREs go through the environment: awk -v would take their backslashes
# for escapes (gawk makes \( a plain parenthesis).
at() {
	LC_R=$1 LC_T=$2 LC_W=${3:-} awk -F '\t' -v from="${4:-0}" '
		BEGIN { r = ENVIRON["LC_R"]; t = ENVIRON["LC_T"]; w = ENVIRON["LC_W"] }
		(r == "" || $2 ~ ("^(" r ")$")) && $4 ~ t && $3 ~ w && $1 + 0 >= from + 0 {
			print $1
			found = 1
			exit
		}
		END { exit !found }' "$work/tl"
}

# segment K: the K-th segment captured, as its wire column draws it (<-F.)
segment() {
	awk -F '\t' -v k="$1" '$2 == "wire" && $3 ~ ("^#" k " ") { print $3; exit }' "$work/tl" |
	    sed 's/^#[0-9]* *//'
}

# segments: how many segments were captured
segments() {
	awk -F '\t' '$2 == "wire" && $3 ~ /^#/ { n++ } END { print n + 0 }' "$work/tl"
}

# first_sent F|R: the ms at which the server first sent a FIN (F) or an RST
# (R): as root, its captured segment (<-F., <-R.); without, the first row
# with "<- FIN" or "<- RST" in its wire column, worked out from the logs
first_sent() {
	if [ -n "$captured" ]; then
		at wire '' "^#[0-9]+ +<-$1"
	elif [ "$1" = F ]; then
		at '' '' '^<- FIN$'
	else
		at '' '' '^<- RST$'
	fi
}

# client_sent_fin: the client's FIN went: captured, or on its line
client_sent_fin() {
	if [ -n "$captured" ]; then
		at wire '' '^#[0-9]+ +->F'
	else
		at client '' '^FIN ->$'
	fi
}

# logged PAIRS...: a log line of the scene holds every KEY=VALUE pair
logged() {
	has_event "$work/log" "$@"
}

# t_ms PAIRS...: the t= of the first such log line, in ms
t_ms() {
	lc_line=$(event "$work/log" "$@") || return 1
	echo "$(($(field "$lc_line" t) / 1000000))"
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
	fin=$(at wire '' '^#[0-9]+ +->F') || miss "the client's FIN was not captured" || return
	echo1=$(at wire '' '^#[0-9]+ +<-P') || miss "no echo was captured" || return
	lt "$fin" "$echo1" ||
	    miss "the first echo left at $echo1 ms, before the client's FIN at $fin ms: the client's steps came late (a loaded machine?), so the segments are not in the article's order" || return
	{ ack=$(at wire '' '^#[0-9]+ +<-\.$' "$fin") && lt "$ack" "$echo1"; } ||
	    miss "the server acknowledged the client's FIN only with the first echo, not on its own before it: the FIN came less than the delayed ACK's 40 ms before the echo (a loaded machine?), so the segments are not numbered as in the article"
}

# the exercises' checks: check_1 to check_10
# shellcheck source=demo/exercises.sh
. "$TOP/demo/exercises.sh"

# --- running them ---

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

# check N: exercise N's check of $out
check() {
	case $1 in
	1) check_1 ;;
	2) check_2 ;;
	3) check_3 ;;
	4) check_4 ;;
	5) check_5 ;;
	6) check_6 ;;
	7) check_7 ;;
	8) check_8 ;;
	9) check_9 ;;
	10) check_10 ;;
	esac
}

if [ $# -eq 0 ]; then
	set -- 1 2 3 4 5 6 7 8 9 10
fi
for ex; do
	case $ex in
	[1-9] | 10) ;;
	*) echo "usage: labcheck.sh [N...]: N an exercise, 1 to 10" >&2; exit 2 ;;
	esac
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
	case $(part "$ex" Root) in
	'**Root.** Needed'*)
		if [ "$(id -u)" != 0 ]; then
			echo "skip $ex $name: needs root"
			continue
		fi ;;
	esac
	if run "$ex" && check "$ex"; then
		echo "ok $ex $name"
	else
		echo "FAIL $ex $name: ${why:-its check failed without saying why}"
		failed=1
	fi
done
exit "$failed"
