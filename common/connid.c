/* connid.c: an end of a connection, named as every closelab log names it */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "connid.h"

void
conn_id(int family, const void *addr, unsigned port, char *buf, size_t len)
{
	const unsigned char *a = addr;
	char host[INET6_ADDRSTRLEN] = "?";

	if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr))
		family = AF_INET, a += 12;
	if (inet_ntop(family, a, host, sizeof host) == NULL)
		snprintf(host, sizeof host, "?");
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}
