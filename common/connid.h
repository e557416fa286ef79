/* connid.h: an end of a connection, named as every closelab log names it */
#ifndef CONNID_H
#define CONNID_H

#include <stddef.h>

/* Room for the longest name: "[" IPv6 "]:" port. */
#define CONNID_LEN 64

/*
 * "127.0.0.1:80" or "[::1]:80" in buf, for the address addr of family
 * (AF_INET: 4 bytes, AF_INET6: 16, network order) and port. An IPv4
 * address mapped into IPv6 is named as IPv4, as its owner names itself.
 */
void conn_id(int family, const void *addr, unsigned port, char *buf, size_t len);

#endif
