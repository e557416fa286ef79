# svg.awk: the timeline as an SVG sequence diagram (with timeline.awk,
# which calls svg_row() for each row it draws and svg_end() at its end).

# A lane a column (the client's on the left of the wire, the
# server's on its right), one row an event; rows go to svg ".rows" as they
# come, and the whole file is written at the end, once its size is known.
function svg_row(ms, me, w, r, dir, fl, text,    c) {
	if (length(text) > svgtextw)
		svgtextw = length(text)
	svgn++
	printf "%.3f\t%d\t%s\t%s\t%s\t%s\t%s\n", ms, me, w, r, dir, fl, text > (svg ".rows")
}

# Write the whole file, now that its size is known.
function svg_end(    k, x, laneX, wireX, clientX, serverX, textX, rowh, top, W, H, y, c, n, cell, line, rows_file) {
	rows_file = svg ".rows"
	close(rows_file)
	rowh = 22
	top = 70
	H = top + svgn * rowh + 30
	x = 120
	for (k = 1; k <= ncol; k++) {
		if (colrole[k] == "client") {
			laneX[k] = x
			clientX = x
			x += 150
		}
	}
	wireX = x
	x += 150
	serverX = x
	for (k = 1; k <= ncol; k++) {
		if (colrole[k] != "client") {
			laneX[k] = x
			x += 150
		}
	}
	textX = x
	# monospace at 12 px: about 7.3 px a character
	W = textX + int(svgtextw * 7.3) + 20
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
	    "font-family=\"monospace\" font-size=\"12\">\n", W, H > svg
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n" > svg
	printf "<defs><marker id=\"a\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" refY=\"4\" " \
	    "orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#333\"/></marker></defs>\n" > svg
	for (k = 1; k <= ncol; k++) {
		printf "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">%s %s</text>\n", \
		    laneX[k], colrole[k], occupant[k] > svg
		printf "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", \
		    laneX[k], laneX[k], H - 20 > svg
	}
	printf "<text x=\"%d\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">wire</text>\n", \
	    wireX > svg
	printf "<line x1=\"%d\" y1=\"40\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\" " \
	    "stroke-dasharray=\"4 4\"/>\n", wireX, wireX, H - 20 > svg
	for (n = 0; (getline line < rows_file) > 0; n++) {
		split(line, cell, "\t")
		y = top + n * rowh
		printf "<text x=\"10\" y=\"%d\">%s ms</text>\n", y + 4, cell[1] > svg
		if (cell[4] == "wire" && cell[5] != "") {
			c = cell[6] ~ /R/ ? "#c00" : cell[6] ~ /F/ ? "#06c" : "#333"
			if (cell[5] == "in")
				printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
				    "marker-end=\"url(#a)\"/>\n", clientX, y, serverX - 10, y, c > svg
			else
				printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" " \
				    "marker-end=\"url(#a)\"/>\n", serverX, y, clientX + 10, y, c > svg
			printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>\n", \
			    wireX, y - 3, c, xml(cell[3]) > svg
		} else if (cell[2] > 0) {
			printf "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/>\n", laneX[cell[2]], y, \
			    cell[3] ~ /RST/ ? "#c00" : cell[3] ~ /FIN/ ? "#06c" : "#333" > svg
		}
		printf "<text x=\"%d\" y=\"%d\">%s</text>\n", textX, y + 4, xml(cell[7]) > svg
	}
	close(rows_file)
	print "</svg>" > svg
	close(svg)
}

# s with the characters XML gives a meaning to escaped.
function xml(s) {
	gsub(/&/, "\\&amp;", s)
	gsub(/</, "\\&lt;", s)
	gsub(/>/, "\\&gt;", s)
	return s
}
