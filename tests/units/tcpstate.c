/*
 * tcpstate.c: the TCP states by Linux's numbers (include/net/tcp_states.h)
 * and names; the words a user may name one with; which have sent a FIN.
 */
#include <limits.h>

#include "../../common/tcpstate.h"
#include "unit.h"

/* Linux's numbers and names, as the kernel has them. */
static const struct { int number; const char *name; } linux_states[] = {
	{ 1, "ESTABLISHED" }, { 2, "SYN_SENT" }, { 3, "SYN_RECV" }, { 4, "FIN_WAIT1" },
	{ 5, "FIN_WAIT2" }, { 6, "TIME_WAIT" }, { 7, "CLOSE" }, { 8, "CLOSE_WAIT" },
	{ 9, "LAST_ACK" }, { 10, "LISTEN" }, { 11, "CLOSING" }, { 12, "NEW_SYN_RECV" },
};
enum { NSTATES = sizeof linux_states / sizeof linux_states[0] };

/* name in lower case with '-' for '_': "close-wait" */
static const char *
dashed(const char *name)
{
	static char buf[32];
	size_t i;

	for (i = 0; name[i] && i + 1 < sizeof buf; i++)
		buf[i] = name[i] == '_' ? '-' : name[i] >= 'A' && name[i] <= 'Z' ?
		    (char)(name[i] - 'A' + 'a') : name[i];
	buf[i] = '\0';
	return buf;
}

int
main(void)
{
	static const int nostate[] = { 0, TCPS_COUNT, -1, INT_MIN, INT_MAX };
	char why[128], longword[200];
	int i, fin;

	CHECK(TCPS_COUNT == NSTATES + 1, "TCPS_COUNT is one past Linux's last state, NEW_SYN_RECV");
	for (i = 0; i < NSTATES; i++) {
		snprintf(why, sizeof why, "state %d is named %s, as Linux names it",
		    linux_states[i].number, linux_states[i].name);
		CHECK(same(tcp_state_name(linux_states[i].number), linux_states[i].name), why);
	}
	for (i = 0; i < (int)(sizeof nostate / sizeof nostate[0]); i++) {
		snprintf(why, sizeof why, "%d, no state, is named \"?\"", nostate[i]);
		CHECK(same(tcp_state_name(nostate[i]), "?"), why);
	}

	/* every state a socket is listed in, by its name or its dashed word */
	for (i = 0; i < NSTATES - 1; i++) {
		snprintf(why, sizeof why, "the words %s and %s name state %d",
		    linux_states[i].name, dashed(linux_states[i].name), linux_states[i].number);
		CHECK(tcp_state_word(linux_states[i].name) == linux_states[i].number &&
		    tcp_state_word(dashed(linux_states[i].name)) == linux_states[i].number, why);
	}
	CHECK(tcp_state_word("close-wait") == TCPS_CLOSE_WAIT &&
	    tcp_state_word("CLOSE_WAIT") == TCPS_CLOSE_WAIT &&
	    tcp_state_word("closewait") == TCPS_CLOSE_WAIT &&
	    tcp_state_word("Close-Wait") == TCPS_CLOSE_WAIT,
	    "close-wait, CLOSE_WAIT, closewait and Close-Wait all name CLOSE_WAIT");
	CHECK(tcp_state_word("close") == TCPS_CLOSE && tcp_state_word("closing") == TCPS_CLOSING,
	    "close names CLOSE and closing CLOSING: a word names the state it spells, whole");
	CHECK(tcp_state_word("NEW_SYN_RECV") == -1 && tcp_state_word("new-syn-recv") == -1,
	    "NEW_SYN_RECV is no word a user can ask for (sockets in it are listed as SYN_RECV)");
	CHECK(tcp_state_word("bogus") == -1 && tcp_state_word("") == -1 &&
	    tcp_state_word("?") == -1 && tcp_state_word("close wait") == -1 &&
	    tcp_state_word("established!") == -1 && tcp_state_word("estab") == -1,
	    "a word that spells no state names none");
	memset(longword, 'a', sizeof longword - 1);
	longword[sizeof longword - 1] = '\0';
	CHECK(tcp_state_word(longword) == -1, "a word of 199 letters names no state");
	snprintf(longword, sizeof longword, "ESTABLISHED%0100d", 0);
	CHECK(tcp_state_word(longword) == -1,
	    "a state's name followed by a hundred more characters names no state");

	/* FIN_WAIT1, FIN_WAIT2, TIME_WAIT, LAST_ACK and CLOSING, and no other */
	for (i = -1; i <= TCPS_COUNT; i++) {
		fin = i == TCPS_FIN_WAIT1 || i == TCPS_FIN_WAIT2 || i == TCPS_TIME_WAIT ||
		    i == TCPS_LAST_ACK || i == TCPS_CLOSING;
		snprintf(why, sizeof why, "a socket in state %d (%s) has %s its FIN", i,
		    tcp_state_name(i), fin ? "sent" : "not sent");
		CHECK(!tcp_state_fin_sent(i) == !fin, why);
	}

	/* TCPS_ALL: 1 to 11, every state but NEW_SYN_RECV, which shows as SYN_RECV */
	for (i = 0; i < 32; i++) {
		snprintf(why, sizeof why, "TCPS_ALL %s state %d",
		    i >= 1 && i <= 11 ? "has" : "has not", i);
		CHECK(!(TCPS_ALL & 1u << i) == !(i >= 1 && i <= 11), why);
	}
	return 0;
}
