/*
 * log.c: log_format() writes a line in the one format, cut to its buffer
 * and still one line; log_parse() reads back what it wrote, the event by
 * its name in the vocabulary; log_field() finds a field by its whole key.
 */
#include <stdint.h>

#include "../../common/events.h"
#include "../../common/log.h"
#include "unit.h"

/* The head of the lines of these checks: t=1 pid=2 role=r conn=c ev=close. */
static struct loghead
head(const char *conn, const char *state, const char *then)
{
	struct loghead h = { 1, 2, "r", conn, EV_CLOSE, state, then, 0 };

	return h;
}

/* log_format() of h and "fd=3" as a string; its length must be the string's. */
static const char *
formatted(struct loghead h)
{
	static char line[256];
	size_t n = log_format(line, sizeof line, &h, "fd=%d", 3);

	CHECK(n == strlen(line), "log_format() returns the length of the line it wrote");
	return line;
}

/* log_format() into buffers of every length from 2 up: cut, still one line. */
static void
cut(void)
{
	static const char full[] = "t=1 pid=2 role=r conn=c ev=close fd=3 state=X then=Y\n";
	struct loghead h = head("c", "X", "Y");
	char line[sizeof full + 8], why[128];
	size_t len, n, whole = sizeof full - 1;

	for (len = 2; len <= sizeof line - 1; len++) {
		memset(line, '#', sizeof line);
		n = log_format(line, len, &h, "fd=%d", 3);
		snprintf(why, sizeof why, "in a buffer of %zu bytes the line is %s, one newline "
		    "at its end, nothing past the buffer", len, len > whole ? "whole" : "cut");
		CHECK(n == (len > whole ? whole : len - 1) && n == strlen(line) &&
		    line[len] == '#' && memcmp(line, full, n - 1) == 0 && line[n - 1] == '\n' &&
		    memchr(line, '\n', n - 1) == NULL, why);
	}
}

/* Whether log_parse() takes line for an event line. */
static int
parses(const char *line)
{
	struct logline l;

	return log_parse(line, &l) == 0;
}

/* log_parse() takes the widths log.awk takes: t 18 digits, pid 9, role and ev 15, conn 63. */
static void
widths(void)
{
	char line[256];

	snprintf(line, sizeof line, "t=%s pid=2 role=r conn=c ev=close", "123456789012345678");
	CHECK(parses(line), "a line with t of 18 digits is read");
	snprintf(line, sizeof line, "t=%s pid=2 role=r conn=c ev=close", "1234567890123456789");
	CHECK(!parses(line), "a line with t of 19 digits is refused, as log.awk refuses it");
	CHECK(parses("t=1 pid=123456789 role=r conn=c ev=close"), "a pid of 9 digits is read");
	CHECK(!parses("t=1 pid=1234567890 role=r conn=c ev=close"),
	    "a pid of 10 digits is refused");
	CHECK(parses("t=1 pid=2 role=abcdefghijklmno conn=c ev=close"),
	    "a role of 15 characters is read");
	CHECK(!parses("t=1 pid=2 role=abcdefghijklmnop conn=c ev=close"),
	    "a role of 16 characters is refused");
	snprintf(line, sizeof line, "t=1 pid=2 role=r conn=%063d ev=close", 0);
	CHECK(parses(line), "a conn of 63 characters is read");
	snprintf(line, sizeof line, "t=1 pid=2 role=r conn=%064d ev=close", 0);
	CHECK(!parses(line), "a conn of 64 characters is refused");
	CHECK(parses("t=1 pid=2 role=r conn=c ev=abcdefghijklmno"),
	    "an ev of 15 characters is read");
	CHECK(!parses("t=1 pid=2 role=r conn=c ev=abcdefghijklmnop"),
	    "an ev of 16 characters is refused");
}

int
main(void)
{
	static const char line[] = "t=8772073369227 pid=2561 role=worker conn=127.0.0.1:44452 "
	    "ev=close fd=4 holders=2->1 state=CLOSE_WAIT\n";
	struct loghead h;
	struct logline l;
	char buf[64], out[256];
	int e;

	CHECK(same(formatted(head("c", "X", "Y")),
	    "t=1 pid=2 role=r conn=c ev=close fd=3 state=X then=Y\n"),
	    "a line is t, pid, role, conn, ev, the event's fields, state and then, and a newline");
	CHECK(same(formatted(head(NULL, "X", "Y")),
	    "t=1 pid=2 role=r conn=- ev=close fd=3 state=X then=Y\n"), "no conn is written conn=-");
	CHECK(same(formatted(head("c", "X", "X")),
	    "t=1 pid=2 role=r conn=c ev=close fd=3 state=X\n"),
	    "then= is left out where it is the state");
	CHECK(same(formatted(head("c", NULL, NULL)), "t=1 pid=2 role=r conn=c ev=close fd=3\n"),
	    "no state and no then: neither is written");
	CHECK(same(formatted(head("c", NULL, "Y")),
	    "t=1 pid=2 role=r conn=c ev=close fd=3 then=Y\n"),
	    "then= without a state is written");
	h = head("c", "X", NULL);
	log_format(out, sizeof out, &h, NULL);
	CHECK(same(out, "t=1 pid=2 role=r conn=c ev=close state=X\n"),
	    "a line without fields (fmt NULL) has no space before state=");
	log_format(out, sizeof out, &h, "");
	CHECK(same(out, "t=1 pid=2 role=r conn=c ev=close state=X\n"),
	    "a line without fields (fmt \"\") has no space before state=");
	h = (struct loghead){ INT64_MAX, 4194304, "worker", "[::1]:80", EV_SHUTDOWN, NULL, NULL, 0 };
	log_format(out, sizeof out, &h, "how=%s", "SHUT_WR");
	CHECK(same(out, "t=9223372036854775807 pid=4194304 role=worker conn=[::1]:80 ev=shutdown "
	    "how=SHUT_WR\n"), "the largest stamp is written whole, with the event's name");
	h = head("c", "X", NULL);
	h.tid = 77;
	CHECK(same(formatted(h), "t=1 pid=2 role=r conn=c ev=close tid=77 fd=3 state=X\n"),
	    "a thread's tid= comes first after ev=, before the fields and the state");
	cut();

	/* what log_format() wrote, read back, for every event of the vocabulary */
	for (e = 0; e < NEVENTS; e++) {
		char why[128];
		h = (struct loghead){ 123456789, 42, "client", e % 2 ? NULL : "10.0.0.1:5", e,
		    "X", "Y", 0 };
		log_format(out, sizeof out, &h, "fd=%d", 3);
		snprintf(why, sizeof why, "the line of ev=%s is read back: t, pid, role, conn, "
		    "ev and the event", events[e].name);
		CHECK(log_parse(out, &l) == 0 && l.t == 123456789 && l.pid == 42 &&
		    same(l.role, "client") && same(l.conn, e % 2 ? "-" : "10.0.0.1:5") &&
		    same(l.ev, events[e].name) && l.event == e, why);
	}
	CHECK(log_parse(line, &l) == 0 && l.t == 8772073369227 && l.pid == 2561 &&
	    same(l.role, "worker") && same(l.conn, "127.0.0.1:44452") && same(l.ev, "close") &&
	    l.event == EV_CLOSE, "a worker's close line is read field by field");
	CHECK(log_parse("t=1 pid=2 role=r conn=c ev=bogus x=1", &l) == 0 && same(l.ev, "bogus") &&
	    l.event == -1, "an event not in the vocabulary is read, with event -1");
	CHECK(event_named("close") == EV_CLOSE && event_named("segment") == EV_SEGMENT,
	    "event_named() finds an event by its name");
	CHECK(event_named("bogus") == -1 && event_named("") == -1 && event_named("CLOSE") == -1,
	    "event_named() gives -1 for a name not in the vocabulary, spelled as it is");
	CHECK(!parses("") && !parses("hello") && !parses("t=1 pid=2 role=r ev=close") &&
	    !parses("pid=2 t=1 role=r conn=c ev=close") &&
	    !parses("t=x pid=2 role=r conn=c ev=close") &&
	    !parses("t=1 pid=-2 role=r conn=c ev=close") &&
	    !parses("t=1 pid=2 role= conn=c ev=close") &&
	    !parses("t=1  pid=2 role=r conn=c ev=close"),
	    "what is not t, pid, role, conn and ev, in that order and one space apart, is no line");
	widths();

	CHECK(same(log_field(line, "fd", buf, sizeof buf), "4") &&
	    same(log_field(line, "holders", buf, sizeof buf), "2->1") &&
	    same(log_field(line, "state", buf, sizeof buf), "CLOSE_WAIT") &&
	    same(log_field(line, "t", buf, sizeof buf), "8772073369227"),
	    "log_field() gives a field's value, the first's and the last's before the newline too");
	CHECK(log_field(line, "id", buf, sizeof buf) == NULL &&
	    log_field(line, "hold", buf, sizeof buf) == NULL &&
	    log_field(line, "then", buf, sizeof buf) == NULL,
	    "log_field() finds a key whole, not inside another key, and nothing for one absent");
	CHECK(same(log_field(line, "conn", buf, 4), "127"),
	    "log_field() cuts a value to its buffer, still a string");
	return 0;
}
