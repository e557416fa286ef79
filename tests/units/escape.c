/*
 * escape.c: escape() shows every byte that is not printable ASCII, and
 * the backslash, as \xHH; with ESCAPE_LOG the space, parentheses and comma
 * too; and cuts only at a whole byte or escape.
 */
#include "../../common/escape.h"
#include "unit.h"

int
main(void)
{
	char buf[128];

	escape(buf, sizeof buf, "server", "");
	CHECK(same(buf, "server"), "a plain name is shown as it is");
	escape(buf, sizeof buf, "a\nb\tc\x1b[31m\x7f", "");
	CHECK(same(buf, "a\\x0ab\\x09c\\x1b[31m\\x7f"), "controls and DEL are escaped");
	escape(buf, sizeof buf, "\x9b\xc2\x9b\xc3\xa9\xff", "");
	CHECK(same(buf, "\\x9b\\xc2\\x9b\\xc3\\xa9\\xff"),
	    "every byte from 0x80 is escaped: C1 controls, raw and in UTF-8, and the rest");
	escape(buf, sizeof buf, "\\x1b", "");
	CHECK(same(buf, "\\x5cx1b"), "a backslash is escaped, so that the text \\x1b is not an escape");
	escape(buf, sizeof buf, "a b(c),d", "");
	CHECK(same(buf, "a b(c),d"), "without also, the space, parentheses and comma stay");
	escape(buf, sizeof buf, "a b(c),d", ESCAPE_LOG);
	CHECK(same(buf, "a\\x20b\\x28c\\x29\\x2cd"), "with ESCAPE_LOG they are escaped: one log value");
	CHECK(escape(buf, 6, "ab\ncd", "") == 2 && same(buf, "ab"),
	    "a cut never splits an escape: the escape that does not fit is left out whole");
	CHECK(escape(buf, 1, "abc", "") == 0 && buf[0] == '\0', "room for the '\\0' alone is an empty string");
	return 0;
}
