/* tcpstate.c: the names of the kernel's TCP states, the one table of them */
#include <ctype.h>
#include <string.h>

#include "tcpstate.h"

static const char *const names[TCPS_COUNT] = {
	"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	"NEW_SYN_RECV",
};

const char *
tcp_state_name(int state)
{
	return state > 0 && state < TCPS_COUNT ? names[state] : "?";
}

/* word without '-' and '_', in lower case, into buf; -1 if it is too long */
static int
fold(const char *word, char *buf, size_t len)
{
	size_t n = 0;

	for (; *word; word++) {
		if (*word == '-' || *word == '_')
			continue;
		if (n + 1 >= len)
			return -1;
		buf[n++] = (char)tolower((unsigned char)*word);
	}
	buf[n] = '\0';
	return 0;
}

int
tcp_state_word(const char *word)
{
	char want[32], name[32];
	int i;

	if (fold(word, want, sizeof want) == -1)
		return -1;
	for (i = 1; i < TCPS_NEW_SYN_RECV; i++) {
		fold(names[i], name, sizeof name);
		if (strcmp(want, name) == 0)
			return i;
	}
	return -1;
}

int
tcp_state_fin_sent(int state)
{
	return state == TCPS_FIN_WAIT1 || state == TCPS_FIN_WAIT2 || state == TCPS_TIME_WAIT ||
	    state == TCPS_LAST_ACK || state == TCPS_CLOSING;
}
