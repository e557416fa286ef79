#!/bin/sh
# class.sh: make a class of submissions for bin/grade, each a subdirectory
# of DIR: copies of closelab's own server and client, correct or with one
# classic mistake put in by a small sed patch each, and a few that misbehave
# on purpose (a hang, a fork bomb, a disk filler, one that does not build).
# A patch that changes nothing stops this script with exit 1: the sources
# have drifted, and the class would be silently wrong.
#
# usage: class.sh [--quick] DIR
#   --quick  four submissions (for tests/grade.bats): correct, one classic
#            mistake (no usage after a bad input), a hang, one that does
#            not build
#
# Twenty in all: three correct, twelve classic mistakes, a hang, a fork
# bomb, a disk filler, one that does not build.
#
# DIR/expected lists each submission with what its grade must show:
# NAME<TAB>all|some|none|fail<TAB>a phrase its reasons hold; all: it passes
# every test, none: no test, some: some but not all, fail: not all.
# The disk filler tries to leave MARKER files (DIR/markers lists them): none
# may exist after the grading.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
quick=
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: class.sh [--quick] DIR" >&2
	exit 2
fi
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
: >"$dir/expected"

# expect NAME all|some|none PHRASE
expect() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$dir/expected"
}

# sources NAME: closelab's sources, whose make builds bin/server and bin/client
sources() {
	mkdir -p "$dir/$1"
	cp -R "$top/server" "$top/client" "$top/common" "$top/Makefile" "$top/config.mk" "$dir/$1/"
	rm -f "$dir/$1"/*/*.o
	patch "$1" Makefile 's|^all: .*|all: bin/server bin/client|'
}

# patch NAME FILE SED-SCRIPT: apply it; it must change FILE
patch() {
	f=$dir/$1/$2
	sed "$3" "$f" >"$f.new"
	if cmp -s "$f" "$f.new"; then
		echo "class.sh: '$3' changed nothing in $2: the sources have drifted" >&2
		rm -f "$f.new"
		exit 1
	fi
	mv "$f.new" "$f"
}

# script NAME TEXT: a submission that is a shell script "server", no Makefile
script() {
	mkdir -p "$dir/$1"
	printf '#!/bin/sh\n%s\n' "$2" >"$dir/$1/server"
	chmod 755 "$dir/$1/server"
}

# the places a misbehaving submission tries to leave a marker: none may
# be there after the grading
for m in /tmp/closelab-grade-marker /var/tmp/closelab-grade-marker \
    "$top/closelab-grade-marker" "$dir/closelab-grade-marker"; do
	echo "$m"
done >"$dir/markers"
markers=$(tr '\n' ' ' <"$dir/markers")

# correct, built by its Makefile
sources correct
expect correct all ''


# a bad input gets its message but no usage after it
sources no-usage
patch no-usage common/opt.c 's/^\topt_print_usage(stderr);$/\t(void)0;/'
expect no-usage some 'did not print its usage'

# a hang: it writes its port file and then sleeps, deaf to SIGTERM
# shellcheck disable=SC2016 # expanded by the script, when it runs
script hang "for m in $markers; do
	echo here >\"\$m\" 2>/dev/null
done
"'while [ $# -gt 0 ]; do
	[ "$1" != --port-file ] || echo 9 >"$2"
	shift
done
trap "" TERM INT
exec sleep 100000'
expect hang fail 'still running'

# a Makefile that fails
mkdir -p "$dir/no-build"
printf 'int main(void) { return 0 }\n' >"$dir/no-build/server.c"
printf 'server: server.c\n\tcc -o server server.c\n' >"$dir/no-build/Makefile"
expect no-build none 'it did not build: make: '

[ -z "$quick" ] || exit 0

# close() where --end shutdown asks for shutdown(SHUT_WR)
sources close-not-shutdown
patch close-not-shutdown server/ends.c \
    '/^end_shutdown(struct conn \*c)$/,/^}$/s/logged_shutdown(c, SHUT_WR, "SHUT_WR");/(void)0;/'
expect close-not-shutdown some 'must call shutdown(SHUT_WR)'

# correct, closelab's client (none of its own)
sources server-only
rm -r "$dir/server-only/client"
patch server-only Makefile 's|^all: bin/server bin/client$|all: bin/server|'
expect server-only all ''

# correct, built already: the programs, no Makefile
mkdir -p "$dir/prebuilt"
cp "$top/bin/server" "$top/bin/client" "$dir/prebuilt/"
expect prebuilt all ''

# the parent never closes its copy (it keeps every connection)
sources parent-never-closes
patch parent-never-closes server/keep.c 's/^\tif (opt.parent_keeps == 0) {$/\tif (0) {/'
patch parent-never-closes server/keep.c \
    's/h->until = opt.parent_keeps > 0 ? deadline(opt.parent_keeps) : opt.parent_keeps;/h->until = KEEP_NEVER;/'
expect parent-never-closes some 'never'

# the parent lets go at once, though --parent-keeps signal asks it to wait
sources parent-closes-early
patch parent-closes-early server/keep.c \
    's/^\tif (opt.parent_keeps == 0) {$/\tif (opt.parent_keeps == 0 || opt.parent_keeps == KEEP_SIGNAL) {/'
expect parent-closes-early some 'SIGUSR1'

# the worker never closes the connection (--end close)
sources worker-never-closes
patch worker-never-closes server/ends.c '/^end_close(struct conn \*c)$/,/^}$/s/close_copy(c);/(void)c;/'
expect worker-never-closes some 'still held the socket'

# no waitpid(): children stay zombies
sources no-reaping
patch no-reaping server/parent.c 's/while ((pid = waitpid(-1, &status, WNOHANG)) != 0) {/while (0) {/'
expect no-reaping some 'reap'

# the helper inherits the socket even with --cloexec
sources no-cloexec
patch no-cloexec server/worker.c 's/^\t\tif (!opt.cloexec) {$/\t\tif (1) {/'
expect no-cloexec some 'close-on-exec'

# a forked child keeps the other connections the parent holds
sources child-keeps-others
patch child-keeps-others server/keep.c '/^\tparent_only(fd);$/d'
expect child-keeps-others some 'close every descriptor it does not serve'


# the echo drops what comes past the first 1000 bytes of a read
sources short-echo
patch short-echo server/worker.c 's/if (logged_write(c, buf, n) == -1)/if (logged_write(c, buf, n > 1000 ? 1000 : n) == -1)/'
expect short-echo some 'every byte must come back'

# SIGTERM ends it with exit 1
sources exit-1-on-sigterm
patch exit-1-on-sigterm server/main.c 's/^\treturn parent_loop();$/\treturn parent_loop() + 1;/'
expect exit-1-on-sigterm some 'exits 0'

# a usage error exits 1, as a runtime error would
sources usage-exit-1
patch usage-exit-1 common/opt.c 's/^\texit(EXIT_USAGE);$/\texit(EXIT_RUNTIME);/'
expect usage-exit-1 some 'refused with exit 2'

# no "listening on ADDR:PORT" on stderr
sources silent
patch silent server/main.c 's/fprintf(stderr, "listening on %s\\n", where);/(void)where;/'
expect silent some 'listening on'

# its client exits 0 when it timed out (4 is due)
sources client-timeout-0
patch client-timeout-0 client/main.c 's/EXIT_RST, EXIT_TIMEOUT, 0, EXIT_RUNTIME/EXIT_RST, 0, 0, EXIT_RUNTIME/'
expect client-timeout-0 some 'exit 4'

# a fork bomb: it forks without end, held by the process limit
script fork-bomb 'bomb() {
	bomb &
	bomb &
	wait
}
bomb'
expect fork-bomb fail 'port file'

# a disk filler: it fills every place it may write, and tries to leave
# markers outside its sandbox, then fails
script disk-filler "for m in $markers; do
	echo here >\"\$m\" 2>/dev/null
done
for d in /tmp /var/tmp /dev/shm . \"\${TMPDIR:-/tmp}\"; do
	dd if=/dev/zero of=\"\$d/fill.\$\$\" bs=1M count=100 2>/dev/null
done
echo 'server: the disk is full' >&2
exit 1"
expect disk-filler fail 'port file'
