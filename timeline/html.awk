# html.awk: the timeline as one HTML page (bin/timeline --html FILE), with
# svg.awk's layout: the same lanes, arrows from the sender's lane, time to
# scale with breaks. The page holds the layout as data, the rows in chunks
# that it reads and draws where the reader looks (a long log opens at
# once: CHUNK rows a chunk), each event and segment
# with the SVG's data-t, data-pid, data-flags and data-dir; beside them, a
# band of the connection's holders (data-holders) and each side's TCP
# state. The raw log line shows on hover, and j/k (or the arrows) step from
# event to event. It fetches nothing.

# s as a JSON string, safe inside a <script> element: no "<", no control.
function jsq(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	gsub(/</, "\\u003c", s)
	gsub(/[\001-\037\177]/, "?", s)
	return "\"" s "\""
}

# Each row's connection: its holders after the row, and each side's state,
# carried forward from the rows before (sv_hold, sv_cst, sv_sst).
function html_states(    i, c, h, side, held, st) {
	for (i = 1; i <= sv_n; i++) {
		c = sv_conn[i]
		if (sv_held[i] != "") {
			h = sv_held[i]
			sub(/^.*->/, "", h)
			held[c] = h
		}
		side = sv_role[i] == "client" ? "c" : sv_role[i] == "wire" ? "" : "s"
		if (side != "" && sv_state[i] != "")
			st[c, side] = sv_state[i]
		sv_hold[i] = (c in held) ? held[c] : ""
		sv_cst[i] = ((c, "c") in st) ? st[c, "c"] : ""
		sv_sst[i] = ((c, "s") in st) ? st[c, "s"] : ""
	}
}

function html_write(    i, pid, s, CHUNK) {
	CHUNK = 250
	html_states()
	printf "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n" > html
	printf "<title>%s</title>\n", xml(head[1]) > html
	printf "<style>\nbody { font: 12px monospace; margin: 0 }\n" \
	    "header { padding: 8px 10px; background: #fff; border-bottom: 1px solid #ccc }\n" \
	    "header p { margin: 2px 0 }\n#raw { position: sticky; top: 0; z-index: 1; " \
	    "background: #ffd; padding: 4px 10px; min-height: 1.3em; white-space: pre }\n" \
	    ".now circle, .now line { stroke: #e80; stroke-width: 3 }\n</style>\n</head><body>\n" > html
	printf "<header>\n" > html
	for (i = 1; i <= sv_nh; i++)
		printf "<p%s>%s</p>\n", i == 1 ? " style=\"font-weight: bold; font-size: 14px\"" : "", \
		    xml(head[i]) > html
	printf "<p>The band left of the lanes: the connection's holders and each side's TCP " \
	    "state after each event. Hover for the log line; j and k (or the arrows) step " \
	    "from event to event.</p>\n</header>\n<div id=\"raw\"></div>\n" > html
	printf "<svg id=\"draw\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	    "font-family=\"monospace\" font-size=\"12\"></svg>\n", sv_W + 160, sv_H > html
	# the layout: the static parts, then a row a line
	printf "<script type=\"application/json\" id=\"layout\">\n{\"W\": %d, \"H\": %d, " \
	    "\"top\": %d, \"kc\": %d, \"ks\": %d, \"wire\": %d, \"text\": %d, \"lanes\": [", \
	    sv_W, sv_H, sv_top, sv_kx["c"], sv_kx["s"], sv_wireX, sv_textX > html
	for (i = 1; i <= sv_nappear; i++) {
		pid = sv_appear[i]
		printf "%s\n[%s, %s, %d, %d, %d]", (i > 1 ? "," : ""), jsq(pid), \
		    jsq((pid in role) ? role[pid] : "process"), sv_laneX[pid], sv_y[sv_first[pid]], \
		    sv_y[sv_last[pid]] > html
	}
	printf "],\n\"chunk\": %d, \"ys\": [", CHUNK > html
	for (i = 1; i <= sv_n; i++)
		printf "%s%d", (i > 1 ? (i % 20 == 1 ? ",\n" : ",") : ""), sv_y[i] > html
	printf "]}\n</script>" > html
	for (i = 1; i <= sv_n; i++) {
		if (i % CHUNK == 1)
			printf "\n<script type=\"application/json\" class=\"rows\">[" > html
		# y, ms, the gap cut before it (ms, 0: none), kind, t, pid, flags, dir,
		# x1, x2, ink, text, raw, holders, client's state, server's state
		if (i in sv_kind)
			s = "\"s\", " jsq(sv_t[i]) ", " jsq(sv_spid[i]) ", " jsq(sv_flags[i]) ", " \
			    jsq(sv_dir[i]) ", " sv_x1[i] ", " sv_x2[i] ", " jsq(sv_ink[sv_kind[i]])
		else if (sv_pid[i] in sv_laneX)
			s = "\"c\", " jsq(sv_t[i]) ", " jsq(sv_pid[i]) ", \"\", \"\", " \
			    sv_laneX[sv_pid[i]] ", 0, " jsq(sv_sent[i] == "" ? "#333" : sv_ink[sv_sent[i]])
		else
			s = "\"\", " jsq(sv_t[i]) ", " jsq(sv_pid[i]) ", \"\", \"\", 0, 0, \"\""
		printf "%s\n[%d, %s, %s, %s, %s, %s, %s, %s]", (i % CHUNK == 1 ? "" : ","), sv_y[i], \
		    jsq(sv_ms[i]), (i in sv_brk) ? sprintf("%.3f", sv_brk[i]) : 0, s, jsq(sv_text[i]), \
		    jsq(sv_raw[i]), jsq(sv_hold[i]), jsq(sv_cst[i]) ", " jsq(sv_sst[i]) > html
		if (i % CHUNK == 0 || i == sv_n)
			printf "]</script>" > html
	}
	printf "\n<script>\n" > html
	html_script()
	printf "</script>\n</body></html>\n" > html
	close(html)
}

# The page's script: draws the static parts, then the rows in chunks as
# they come into view.
function html_script() {
	print "\"use strict\";" \
	    "\nconst L = JSON.parse(document.getElementById(\"layout\").textContent);" \
	    "\nconst svg = document.getElementById(\"draw\"), raw = document.getElementById(\"raw\");" \
	    "\nconst NS = \"http://www.w3.org/2000/svg\", BAND = L.W + 20, CHUNK = L.chunk, ys = L.ys;" \
	    "\nconst chunks = document.querySelectorAll(\"script.rows\"), parsed = [];" \
	    "\nfunction at(i) {" \
	    "\n  const c = Math.floor(i / CHUNK);" \
	    "\n  if (!parsed[c]) parsed[c] = JSON.parse(chunks[c].textContent);" \
	    "\n  return parsed[c][i % CHUNK];" \
	    "\n}" \
	    "\nfunction el(name, attrs, parent, text) {" \
	    "\n  const e = document.createElementNS(NS, name);" \
	    "\n  for (const k in attrs) e.setAttribute(k, attrs[k]);" \
	    "\n  if (text !== undefined) e.textContent = text;" \
	    "\n  (parent || svg).appendChild(e);" \
	    "\n  return e;" \
	    "\n}" \
	    "\nconst defs = el(\"defs\", {});" \
	    "\n[\"#06c\", \"#c00\", \"#777\"].forEach((ink, i) => {" \
	    "\n  const m = el(\"marker\", {id: \"m\" + i, markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: \"auto\"}, defs);" \
	    "\n  el(\"path\", {d: \"M0,0 L8,4 L0,8 z\", fill: ink}, m);" \
	    "\n});" \
	    "\n[[L.kc, \"client's kernel\"], [L.wire, \"wire\"], [L.ks, \"server's kernel\"]].forEach(([x, name]) => {" \
	    "\n  el(\"text\", {x: x, y: L.top - 24, \"text-anchor\": \"middle\", \"font-weight\": \"bold\", \"font-size\": 11}, null, name);" \
	    "\n  if (name !== \"wire\") el(\"line\", {x1: x, y1: L.top - 16, x2: x, y2: L.H - 20, stroke: \"#ccc\", \"stroke-dasharray\": \"4 4\"});" \
	    "\n});" \
	    "\nel(\"text\", {x: BAND, y: L.top - 24, \"font-weight\": \"bold\", \"font-size\": 11}, null, \"holders, states\");" \
	    "\nfor (const [pid, role, x, y1, y2] of L.lanes) {" \
	    "\n  el(\"line\", {class: \"lane\", \"data-pid\": pid, x1: x, y1: y1 - 8, x2: x, y2: y2 + 8, stroke: \"#999\", \"stroke-width\": 2});" \
	    "\n  el(\"text\", {x: x, y: y1 - 12, \"text-anchor\": \"middle\", \"font-size\": 11, \"font-weight\": \"bold\"}, null, role + \" \" + pid);" \
	    "\n}" \
	    "\nconst inks = {\"#06c\": 0, \"#c00\": 1, \"#777\": 2};" \
	    "\nfunction row(i) {" \
	    "\n  const [y, ms, brk, kind, t, pid, flags, dir, x1, x2, ink, text, line, held, cst, sst] = at(i);" \
	    "\n  const g = el(\"g\", {\"data-row\": i});" \
	    "\n  el(\"title\", {}, g, line);" \
	    "\n  if (brk) {" \
	    "\n    const dy = y - ys[i - 1];" \
	    "\n    el(\"line\", {class: \"break\", x1: 10, y1: y - dy / 2, x2: L.W - 10, y2: y - dy / 2, stroke: \"#999\", \"stroke-dasharray\": \"2 4\"}, g);" \
	    "\n    el(\"text\", {x: L.wire - 50, y: y - dy / 2 - 4, fill: \"#666\"}, g, \"... \" + brk + \" ms ...\");" \
	    "\n  }" \
	    "\n  el(\"text\", {x: 10, y: y + 4}, g, ms + \" ms\");" \
	    "\n  if (kind === \"s\") {" \
	    "\n    const s = el(\"g\", {class: \"segment\", \"data-t\": t, \"data-pid\": pid, \"data-flags\": flags, \"data-dir\": dir}, g);" \
	    "\n    el(\"line\", {x1: x1, y1: y, x2: x2 + (x2 > x1 ? -8 : 8), y2: y, stroke: ink, \"marker-end\": \"url(#m\" + inks[ink] + \")\"}, s);" \
	    "\n    el(\"text\", {x: L.wire, y: y - 3, \"text-anchor\": \"middle\", fill: ink}, s, flags);" \
	    "\n  } else if (kind === \"c\") {" \
	    "\n    const c = el(\"g\", {class: \"call\", \"data-t\": t, \"data-pid\": pid}, g);" \
	    "\n    el(\"circle\", {cx: x1, cy: y, r: 4, fill: ink}, c);" \
	    "\n  }" \
	    "\n  el(\"text\", {x: L.text, y: y + 4}, g, text);" \
	    "\n  const next = i + 1 < ys.length ? ys[i + 1] : y + 18;" \
	    "\n  const b = el(\"g\", {class: \"band\", \"data-t\": t, \"data-holders\": held, \"data-client-state\": cst, \"data-server-state\": sst}, g);" \
	    "\n  el(\"rect\", {x: BAND, y: y - 9, width: 150, height: next - y, fill: held === \"0\" ? \"#eee\" : held === \"1\" ? \"#dfd\" : held ? \"#fdd\" : \"#fff\"}, b);" \
	    "\n  el(\"text\", {x: BAND + 4, y: y + 4}, b, (held ? held + \" \" : \"\") + (sst || \"\"));" \
	    "\n  g.addEventListener(\"mouseenter\", () => { raw.textContent = line; });" \
	    "\n}" \
	    "\nconst drawn = new Set();" \
	    "\nfunction first(y) { let lo = 0, hi = ys.length; while (lo < hi) { const m = (lo + hi) >> 1; if (ys[m] < y) lo = m + 1; else hi = m; } return lo; }" \
	    "\nfunction draw() {" \
	    "\n  const top = svg.getBoundingClientRect().top + window.scrollY;" \
	    "\n  const a = first(window.scrollY - top - 400), b = first(window.scrollY - top + window.innerHeight + 400);" \
	    "\n  for (let c = Math.floor(a / CHUNK); c * CHUNK <= Math.min(b, ys.length - 1); c++) {" \
	    "\n    if (drawn.has(c)) continue;" \
	    "\n    drawn.add(c);" \
	    "\n    for (let i = c * CHUNK; i < Math.min((c + 1) * CHUNK, ys.length); i++) row(i);" \
	    "\n  }" \
	    "\n}" \
	    "\nlet now = -1;" \
	    "\nfunction step(d) {" \
	    "\n  now = Math.max(0, Math.min(ys.length - 1, now + d));" \
	    "\n  const top = svg.getBoundingClientRect().top + window.scrollY;" \
	    "\n  window.scrollTo(0, top + ys[now] - window.innerHeight / 2);" \
	    "\n  draw();" \
	    "\n  document.querySelectorAll(\".now\").forEach(e => e.classList.remove(\"now\"));" \
	    "\n  const g = svg.querySelector(\"[data-row=\\\"\" + now + \"\\\"]\");" \
	    "\n  if (g) g.classList.add(\"now\");" \
	    "\n  raw.textContent = at(now)[12];" \
	    "\n}" \
	    "\ndocument.addEventListener(\"keydown\", e => {" \
	    "\n  if (e.key === \"j\" || e.key === \"ArrowDown\") { step(1); e.preventDefault(); }" \
	    "\n  if (e.key === \"k\" || e.key === \"ArrowUp\") { step(-1); e.preventDefault(); }" \
	    "\n});" \
	    "\nwindow.addEventListener(\"scroll\", draw, {passive: true});" \
	    "\nwindow.addEventListener(\"resize\", draw);" \
	    "\ndraw();" \
	    "\ndocument.body.dataset.ready = \"1\";" > html
}
