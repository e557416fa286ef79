/* tcpstate.h: the kernel's TCP states, by its numbers, named as the logs name them */
#ifndef TCPSTATE_H
#define TCPSTATE_H

/* As Linux numbers them (include/net/tcp_states.h), which TCP_INFO, sock_diag and the tracer give. */
enum {
	TCPS_ESTABLISHED = 1, TCPS_SYN_SENT, TCPS_SYN_RECV, TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2, TCPS_TIME_WAIT, TCPS_CLOSE, TCPS_CLOSE_WAIT, TCPS_LAST_ACK,
	TCPS_LISTEN, TCPS_CLOSING, TCPS_NEW_SYN_RECV, TCPS_COUNT
};
/* Every state a socket can be listed in, as a mask of 1 << state (NEW_SYN_RECV shows as SYN_RECV). */
#define TCPS_ALL (((1u << TCPS_NEW_SYN_RECV) - 1) & ~1u)

/* "CLOSE_WAIT" for TCPS_CLOSE_WAIT; "?" for a number that is no state. */
const char *tcp_state_name(int state);
/* The state a word names ("close-wait" or "CLOSE_WAIT", any case), or -1. */
int tcp_state_word(const char *word);
/* Whether a socket in state has sent its FIN already. */
int tcp_state_fin_sent(int state);

#endif
