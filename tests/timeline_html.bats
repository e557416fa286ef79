#!/usr/bin/env bats
# bin/timeline --html: the page opened in a real browser (Debian's chromium,
# driven by playwright-core through tests/browser/timeline.cjs), and what it
# drew checked against the log: make demo's shutdown-while-held, where the
# worker's shutdown sends the FIN and the parent keeps its copy five of the
# demo's steps (STEP_MS: 1000 here, as in scenarios.bats, so that a loaded
# machine's worker closes within the keep).

load test_helper

# browser: sets NODE_PATH and CHROMIUM, installing chromium (apt, as root)
# and playwright-core (npm, into tests/.deps/browser) where they are missing;
# skips, saying why, where they cannot be had
browser() {
	local deps=$TOP/tests/.deps/browser
	export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
	if ! [ -x "$CHROMIUM" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
		    { apt-get update -q >/dev/null 2>&1 &&
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || :
	fi
	[ -x "$CHROMIUM" ] || skip "chromium is not installed, and apt-get cannot install it here"
	command -v node >/dev/null 2>&1 || skip "node is not installed"
	if ! [ -d "$deps/node_modules/playwright-core" ] && command -v npm >/dev/null 2>&1; then
		mkdir -p "$deps"
		npm install --prefix "$deps" --no-save --no-package-lock --no-audit --no-fund \
		    playwright-core@1.64.1 >/dev/null 2>&1 || :
	fi
	[ -d "$deps/node_modules/playwright-core" ] ||
	    skip "playwright-core is not installed, and npm cannot install it here"
	export NODE_PATH=$deps/node_modules
}

# drawn PAGE [ARGS]: what the browser drew on PAGE, as JSON, in $output
drawn() {
	run node "$TOP/tests/browser/timeline.cjs" "$@"
	assert_success || mistake "the page could not be opened in chromium"
}

setup_file() {
	export DEMO_LOGS=$BATS_FILE_TMPDIR/logs PAGE=$BATS_FILE_TMPDIR/shutdown-while-held.html
	mkdir -p "$DEMO_LOGS"
	STEP_MS=1000 sh "$TOP/demo/demo.sh" --logs "$DEMO_LOGS" --html "$PAGE" shutdown-while-held \
	    >"$BATS_FILE_TMPDIR/demo.out" 2>&1 3>&- || :
}

@test "the HTML page: the worker's FIN leaves from the worker's lane" {
	browser
	[ -s "$PAGE" ] || mistake "make demo wrote no page: $(tail -n 3 "$BATS_FILE_TMPDIR/demo.out")"
	need_python
	worker=$(values "$DEMO_LOGS/shutdown-while-held.server.log" pid role=worker ev=shutdown)
	drawn "$PAGE"
	run python3 -c '
import json, sys
d = json.loads(sys.argv[1])
lane = {l["pid"]: l["x"] for l in d["lanes"]}
fins = [s for s in d["segments"] if "F" in s["flags"] and s["dir"] == "out"]
print(len(fins), fins[0]["pid"], fins[0]["x"] == lane.get(fins[0]["pid"]))' "$output"
	assert_output "1 $worker True" ||
	    mistake "the server's FIN was not drawn from the lane of worker $worker, whose shutdown sent it"
}

@test "the HTML page: time to scale, the longest wait drawn longest; the holders fall 2, 1, 0" {
	browser
	need_python
	drawn "$PAGE"
	# (the parent's keep is the longest wait; under load the worker's close
	# may come within it. A row's y is a whole pixel: a gap may be drawn a
	# pixel off)
	run python3 -c '
import json, sys
d = json.loads(sys.argv[1])
rows = sorted(d["rows"], key=lambda r: r["row"])
gaps = sorted((b["ms"] - a["ms"], b["y"] - a["y"]) for a, b in zip(rows, rows[1:]))
print(all(a[1] <= b[1] + 1 for a, b in zip(gaps, gaps[1:]) if a[0] < b[0]), gaps[-1][0] >= 100)
held = [h for h in d["holders"] if h != ""]
seq = [h for i, h in enumerate(held) if i == 0 or h != held[i - 1]]
print(" ".join(seq[-3:]))' "$output"
	assert_line --index 0 "True True" ||
	    mistake "a longer wait was drawn shorter than another, or no wait of the keep was drawn"
	assert_line --index 1 "2 1 0" ||
	    mistake "the band of holders does not fall from 2 to 1 to 0"
}

@test "the HTML page: j steps from event to event, and shows each one's log line" {
	browser
	drawn "$PAGE" --steps 3
	run node -e 'const d = JSON.parse(process.argv[1]); console.log(d.now); console.log(d.raw)' "$output"
	assert_line --index 0 2
	assert_line --index 1 --regexp '^t=[0-9]+ pid=[0-9]+ role=' ||
	    mistake "the third event's log line is not shown after three steps"
}

@test "the HTML page fetches nothing: no URL but its own namespace's" {
	run grep -Eo '(src|href)="[^"]*"|https?://[a-zA-Z0-9./-]+' "$PAGE"
	refute_output --regexp 'src=|href=' ||
	    mistake "the page loads something from elsewhere"
	run grep -Eo 'https?://[a-zA-Z0-9./-]+' "$PAGE"
	assert_output "http://www.w3.org/2000/svg" || assert_output "$(printf 'http://www.w3.org/2000/svg\nhttp://www.w3.org/2000/svg')"
}
