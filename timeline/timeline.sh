#!/bin/sh
# timeline: merge closelab logs (server, client, wire) into one timeline of
# its connections: a lane for each process and one for the wire, each event
# in words, the segments numbered, the time relative to the first event.
# Lines are ordered by t= (CLOCK_MONOTONIC: one clock for every process on
# a host); timeline.awk draws them. Colour only on a terminal.
#
# Exit status: 0; 1 a log cannot be read or holds a line that is not a
# closelab event, FILE cannot be written, or no connection is in the logs;
# 2 a usage error.

me=${0##*/}
usage="usage: $me [--conn ID] [--svg FILE] [--html FILE] LOG...
       $me --help | --version"

bad() {
	echo "$me: $1" >&2
	echo "$usage" >&2
	exit 2
}

# where the awk programs are: set at install; in the tree, beside this script
awkdir=
if [ -z "$awkdir" ]; then
	awkdir=$(dirname "$0")/../timeline
	parser=$(dirname "$0")/../common/log.awk
else
	parser=$awkdir/log.awk
fi
# mawk where there is one: it draws a long log in half the time of gawk
AWK=${AWK:-$(command -v mawk || echo awk)}
check=$awkdir/check.awk render=$awkdir/timeline.awk svgawk=$awkdir/svg.awk htmlawk=$awkdir/html.awk

conn=
svg=
html=
while [ $# -gt 0 ]; do
	case $1 in
	--conn) [ $# -ge 2 ] || bad "option --conn needs a value"; conn=$2; shift 2 ;;
	--conn=*) conn=${1#--conn=}; shift ;;
	--svg) [ $# -ge 2 ] || bad "option --svg needs a value"; svg=$2; shift 2 ;;
	--svg=*) svg=${1#--svg=}; shift ;;
	--html) [ $# -ge 2 ] || bad "option --html needs a value"; html=$2; shift 2 ;;
	--html=*) html=${1#--html=}; shift ;;
	-h|--help)
		cat <<EOF
$usage

Merge closelab logs into one timeline of their connections: a lane for
each process, one for the wire, each event in words.

  --conn ID     only the connection ID (the client's address:port)
  --svg FILE    also draw the timeline as an SVG sequence diagram
  --html FILE   also write it as one HTML page: the same drawing, the
                holders and states, the log line on hover, j/k to step
  --help        show this help
  --version     show the version

Exit status: 0, 1 a log cannot be read or holds a line that is not a
closelab event, FILE cannot be written, or no connection is in the logs,
2 usage error.
EOF
		exit 0 ;;
	--version) echo "$me (closelab) @VERSION@"; exit 0 ;;
	--) shift; break ;;
	-*) bad "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || bad "no LOG given"
for f; do
	if ! [ -f "$f" ] || ! [ -r "$f" ]; then
		echo "$me: cannot read $f" >&2
		exit 1
	fi
	# shellcheck disable=SC3013 # -ef: POSIX.1-2024, and every sh before it
	if [ -n "$svg" ] && [ "$svg" -ef "$f" ]; then
		bad "--svg $svg is one of the logs: it would be overwritten"
	elif [ -n "$html" ] && [ "$html" -ef "$f" ]; then
		bad "--html $html is one of the logs: it would be overwritten"
	fi
done
for out in "$svg" "$html"; do
	if [ -n "$out" ] && ! { [ -d "$(dirname "$out")" ] && [ -w "$(dirname "$out")" ]; }; then
		echo "$me: cannot write $out" >&2
		exit 1
	fi
done

LC_ALL=C
export LC_ALL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/closelab-timeline.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# every line an event line, or a clear refusal naming the first that is not
"$AWK" -v prog="$me" -f "$parser" -f "$check" "$@" || exit 1

# t= is the first field: order numerically on what follows "t="
sort -t= -k2,2n "$@" >"$tmp/sorted" || exit 1
color=0
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] && color=1
"$AWK" -v prog="$me" -v want="$conn" -v svg="${svg:+$tmp/svg}" -v html="${html:+$tmp/html}" \
    -v color="$color" -f "$parser" -f "$render" -f "$svgawk" -f "$htmlawk" "$tmp/sorted" \
    "$tmp/sorted" || exit 1
# each drawing whole, or not at all
if [ -n "$svg" ] && ! mv -f "$tmp/svg" "$svg" 2>/dev/null; then
	echo "$me: cannot write $svg" >&2
	exit 1
fi
if [ -n "$html" ] && ! mv -f "$tmp/html" "$html" 2>/dev/null; then
	echo "$me: cannot write $html" >&2
	exit 1
fi
