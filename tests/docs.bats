#!/usr/bin/env bats
# The manual pages match --help option for option, render cleanly, and
# install and uninstall where DESTDIR says.

load test_helper

# The options a --help lists: its lines "  --name ..."
help_options() {
	"$1" --help | sed -n 's/^  \(--[a-z-]*\).*/\1/p' | sort -u
}

# The options a man page describes: the tags of its OPTIONS section
man_options() {
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" |
	    sed -n 's/^\.B[IR]* \\-\\-\([a-z\\-]*\).*/--\1/p' | sed 's/\\-/-/g' | sort -u
}

@test "every option in --help is in the man page, and the other way round" {
	for prog in server client timeline trace grade holders; do
		assert_equal "$(man_options "$TOP/docs/$prog.1")" "$(help_options "$TOP/bin/$prog")" ||
		    mistake "docs/$prog.1's OPTIONS and bin/$prog --help do not describe the same options"
	done
	# bin/grade's short options: "  -j JOBS" in --help, ".BI \-j" in the man page
	assert_equal "$(sed -n '/^\.SH OPTIONS/,/^\.SH /s/^\.BI \\-\([a-z]\) .*/-\1/p' "$TOP/docs/grade.1")" \
	    "$("$TOP/bin/grade" --help | sed -n 's/^  \(-[a-z]\) .*/\1/p')" ||
	    mistake "docs/grade.1's short options and bin/grade --help's differ"
}

# synopsis PAGE: the SYNOPSIS of docs/PAGE as rendered, on one line
synopsis() {
	groff -man -Tascii -rLL=200n -P-cbou "$TOP/docs/$1" |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n' '  '
}

@test "bin/trace's usage line is its man page's SYNOPSIS" {
	command -v groff >/dev/null || skip "groff is not installed"
	usage=$("$TOP/bin/trace" --help | sed -n '1s/^usage: trace //p')
	man=$(synopsis trace.1 | sed 's/^ *closelab-trace //; s/ *$//')
	assert_equal "$man" "$usage" ||
	    mistake "bin/trace --help's usage line and docs/trace.1's SYNOPSIS differ"
}

@test "bin/grade's usage line is its man page's SYNOPSIS" {
	command -v groff >/dev/null || skip "groff is not installed"
	usage=$("$TOP/bin/grade" --help | sed -n '1,/^ *grade --help/p' | sed '$d' |
	    sed 's/^usage: grade //' | tr -s ' \n' '  ' | sed 's/ *$//')
	man=$(synopsis grade.1 |
	    sed 's/^ *closelab-grade //; s/ *closelab-grade --help | --version *$//')
	assert_equal "$man" "$usage" ||
	    mistake "bin/grade --help's usage line and docs/grade.1's SYNOPSIS differ"
}

@test "the man pages render with no warning" {
	command -v groff >/dev/null || skip "groff is not installed"
	for page in server.1 client.1 timeline.1 trace.1 grade.1 holders.1; do
		run groff -ww -man -Tutf8 -z "$TOP/docs/$page"
		assert_success || mistake "groff failed on docs/$page"
		assert_output "" || mistake "groff warned about docs/$page"
	done
	if command -v man >/dev/null; then
		run bash -c "MANWIDTH=80 man -l '$TOP/docs/server.1' 2>&1 >/dev/null"
		assert_output "" || mistake "man warned about docs/server.1 at 80 columns"
	fi
}

@test "make install and uninstall honour PREFIX and DESTDIR" {
	root=$BATS_TEST_TMPDIR/root
	run make -s -C "$TOP" install DESTDIR="$root" PREFIX=/opt/closelab
	assert_success || mistake "make install with DESTDIR and PREFIX failed"
	for f in bin/closelab-server bin/closelab-client bin/closelab-timeline \
	    bin/closelab-trace bin/closelab-holders bin/closelab-grade \
	    share/closelab/closes.bt share/closelab/svg.awk \
	    share/man/man1/closelab-server.1 share/man/man1/closelab-client.1 \
	    share/man/man1/closelab-timeline.1 share/man/man1/closelab-trace.1 \
	    share/man/man1/closelab-holders.1 share/man/man1/closelab-grade.1; do
		[ -f "$root/opt/closelab/$f" ] ||
		    mistake "make install did not put $f under DESTDIR/PREFIX"
	done
	[ -x "$root/opt/closelab/bin/closelab-server" ] ||
	    mistake "make install did not make closelab-server executable"
	run make -s -C "$TOP" uninstall DESTDIR="$root" PREFIX=/opt/closelab
	assert_success || mistake "make uninstall with DESTDIR and PREFIX failed"
	run find "$root" -type f
	assert_output "" || mistake "make uninstall left these files behind"
}

# The vocabulary of common/events.h, a line an event: "NAME<TAB>KEY KEY..."
vocabulary() {
	cc -std=c11 -o "$BATS_TEST_TMPDIR/events" "$TOP/tests/log/events.c" "$TOP/common/events.c" &&
	    "$BATS_TEST_TMPDIR/events" >"$BATS_TEST_TMPDIR/vocab"
}

@test "usage.md's table of events has every event of events.h, every field, nothing else" {
	command -v cc >/dev/null || skip "needs cc"
	vocabulary || mistake "the list of events of common/events.h could not be built and run"
	# the table's rows: | `ev`, `ev` | who | fields |
	run awk -F'|' '
		NR == FNR { keys[$1] = $2; next }
		/^\| `[a-z]+`/ {
			# a \| inside a cell is not a column
			gsub(/\\\|/, "/")
			split($0, cell, "|")
			n = split(cell[2], evs, ",")
			for (i = 1; i <= n; i++) {
				gsub(/[ `]/, "", evs[i])
				if (!(evs[i] in keys))
					print "usage.md has an event that events.h does not: " evs[i]
				row[evs[i]] = row[evs[i]] " " cell[4]
			}
		}
		END {
			for (e in keys) {
				if (!(e in row)) {
					print "usage.md has no row for the event " e
					continue
				}
				m = split(keys[e], k, " ")
				for (i = 1; i <= m; i++)
					if (row[e] !~ ("[^a-z_]" k[i] "="))
						print "usage.md does not give the field " k[i] "= of " e
			}
		}' FS='\t' "$BATS_TEST_TMPDIR/vocab" FS='|' "$TOP/docs/usage.md"
	assert_success || mistake "the table of events in usage.md could not be read"
	assert_output "" || mistake "usage.md's table of events and events.h disagree, as the lines above say"
}

@test "every event and field that contract.md says the tests read is in events.h" {
	command -v cc >/dev/null || skip "needs cc"
	vocabulary || mistake "the list of events of common/events.h could not be built and run"
	# the paragraph that lists them: `ev key=...` in backquotes
	run awk '
		NR == FNR { split($0, p, "\t"); keys[p[1]] = " " p[2] " "; next }
		/^The tests read these events and fields/ { on = 1 }
		on && /^$/ { on = 0 }
		on {
			line = $0
			while (on && match(line, /`[^`]+`/)) {
				item = substr(line, RSTART + 1, RLENGTH - 2)
				line = substr(line, RSTART + RLENGTH)
				n = split(item, w, " ")
				# "(or `err=`)": more fields of the event before
				if (index(w[1], "=")) {
					item = ev " " item
					n = split(item, w, " ")
				}
				if (!(w[1] in keys)) {
					print "contract.md names an event that events.h does not: " w[1]
					continue
				}
				ev = w[1]
				on = ev != "stop"	# the last of the list
				for (i = 2; i <= n; i++) {
					k = w[i]
					sub(/=.*/, "", k)
					if (index(keys[w[1]], " " k " ") == 0)
						print "contract.md names a field of " w[1] " that events.h does not: " k
				}
				seen++
			}
		}
		END { if (!seen) print "contract.md lists no event" }' "$BATS_TEST_TMPDIR/vocab" "$TOP/docs/contract.md"
	assert_success || mistake "the list of events in contract.md could not be read"
	assert_output "" || mistake "contract.md names events or fields that events.h does not have, as the lines above say"
}

@test "contract.md names every option of the programs that the core tests use" {
	# the options the programs have, and those the core test files write
	have=$( { "$TOP/bin/server" --help; "$TOP/bin/client" --help; } |
	    sed -n 's/^  \(--[a-z-]*\).*/\1/p' | sort -u)
	# shellcheck disable=SC2046 # the list of files
	used=$(cd "$TOP/tests" && grep -ho -- '--[a-z][a-z-]*' $(cat core.list) | sort -u)
	missing=
	for o in $(comm -12 <(echo "$have") <(echo "$used")); do
		grep -Eq -- "(^|[^a-z-])$o([^a-z-]|\$)" "$TOP/docs/contract.md" || missing="$missing $o"
	done
	[ -z "$missing" ] || mistake "contract.md does not name these options, which the core tests use:$missing"
}

@test "the README's layout table names every source file where it is" {
	local dir file row missing=
	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 || skip "needs the git checkout, for its list of files"
	for dir in server client common holders trace timeline grade demo bench; do
		row=$(grep "^| \`$dir/\` |" "$TOP/README.md") ||
		    mistake "the README's layout table has no row for $dir/" || return
		for file in $(git -C "$TOP" ls-files "$dir"); do
			file=${file#"$dir"/}
			case $file in */*) continue ;; esac
			case $row in *"\`$file\`"*) ;; *) missing="$missing $dir/$file" ;; esac
		done
	done
	[ -z "$missing" ] ||
	    mistake "the README's layout table does not name these files in their folder's row:$missing"
}
