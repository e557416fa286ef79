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
	assert_equal "$(man_options "$TOP/docs/server.1")" "$(help_options "$TOP/bin/server")"
	assert_equal "$(man_options "$TOP/docs/client.1")" "$(help_options "$TOP/bin/client")"
	assert_equal "$(man_options "$TOP/docs/trace.1")" "$(help_options "$TOP/bin/trace")"
}

@test "bin/trace's usage line is its man page's SYNOPSIS" {
	command -v groff >/dev/null || skip "groff is not installed"
	usage=$("$TOP/bin/trace" --help | sed -n '1s/^usage: trace //p')
	man=$(groff -man -Tascii -rLL=200n -P-cbou "$TOP/docs/trace.1" |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n' '  ' |
	    sed 's/^ *closelab-trace //; s/ *$//')
	assert_equal "$man" "$usage"
}

@test "the man pages render with no warning" {
	command -v groff >/dev/null || skip "groff is not installed"
	for page in server.1 client.1 trace.1; do
		run groff -ww -man -Tutf8 -z "$TOP/docs/$page"
		assert_success
		assert_output ""
	done
	if command -v man >/dev/null; then
		run bash -c "MANWIDTH=80 man -l '$TOP/docs/server.1' 2>&1 >/dev/null"
		assert_output ""
	fi
}

@test "make install and uninstall honour PREFIX and DESTDIR" {
	root=$BATS_TEST_TMPDIR/root
	run make -s -C "$TOP" install DESTDIR="$root" PREFIX=/opt/closelab
	assert_success
	for f in bin/closelab-server bin/closelab-client bin/closelab-timeline \
	    bin/closelab-trace share/closelab/closes.bt \
	    share/man/man1/closelab-server.1 share/man/man1/closelab-client.1 \
	    share/man/man1/closelab-trace.1; do
		[ -f "$root/opt/closelab/$f" ]
	done
	[ -x "$root/opt/closelab/bin/closelab-server" ]
	run make -s -C "$TOP" uninstall DESTDIR="$root" PREFIX=/opt/closelab
	assert_success
	run find "$root" -type f
	assert_output ""
}
