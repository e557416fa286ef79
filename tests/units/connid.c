/*
 * connid.c: conn_id() names an end of a connection as every log does:
 * IPv4 as ADDRESS:PORT, IPv6 as [ADDRESS]:PORT, an IPv4 address mapped into
 * IPv6 as IPv4; a buffer too small gets a name cut short, still a string.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../../common/connid.h"
#include "unit.h"

/* conn_id() of the numeric address text (of family) and port. */
static const char *
named(int family, const char *text, unsigned port)
{
	static char buf[CONNID_LEN];
	unsigned char addr[16];

	CHECK(inet_pton(family, text, addr) == 1, "the test's address is a numeric one");
	conn_id(family, addr, port, buf, sizeof buf);
	return buf;
}

int
main(void)
{
	unsigned char addr[4];
	char small[8];

	CHECK(same(named(AF_INET, "127.0.0.1", 80), "127.0.0.1:80"),
	    "an IPv4 address is named ADDRESS:PORT");
	CHECK(same(named(AF_INET6, "::1", 80), "[::1]:80"),
	    "an IPv6 address is named [ADDRESS]:PORT");
	CHECK(same(named(AF_INET6, "2001:db8:0:0:0:0:1:2", 443), "[2001:db8::1:2]:443"),
	    "an IPv6 address is named in its shortest form, as inet_ntop() writes it");
	CHECK(same(named(AF_INET6, "::ffff:10.1.2.3", 8080), "10.1.2.3:8080"),
	    "an IPv4 address mapped into IPv6 is named as IPv4, without brackets");
	CHECK(same(named(AF_INET6, "::ffff:127.0.0.1", 0), "127.0.0.1:0"),
	    "the mapped loopback address is named as IPv4's loopback");
	CHECK(same(named(AF_INET, "10.0.0.1", 0), "10.0.0.1:0"), "port 0 is named 0");
	CHECK(same(named(AF_INET, "10.0.0.1", 65535), "10.0.0.1:65535"),
	    "port 65535 is named 65535");
	CHECK(same(named(AF_INET6, "::", 0), "[::]:0"), "IPv6's wildcard address is named [::]");
	CHECK(same(named(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
	    "the longest name there is fits in CONNID_LEN, whole");

	/* a buffer of 6: five characters and the NUL, nothing written after */
	CHECK(inet_pton(AF_INET, "192.168.100.200", addr) == 1,
	    "the test's address is a numeric one");
	memset(small, 'x', sizeof small);
	conn_id(AF_INET, addr, 65535, small, 6);
	CHECK(memcmp(small, "192.1\0xx", 8) == 0,
	    "a name longer than its buffer is cut there and ends with a NUL inside it");
	memset(small, 'x', sizeof small);
	conn_id(AF_INET, addr, 65535, small, 1);
	CHECK(small[0] == '\0' && small[1] == 'x', "a buffer of one byte gets the empty name");
	return 0;
}
