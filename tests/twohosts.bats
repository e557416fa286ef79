#!/usr/bin/env bats
# Two hosts: the server in one network namespace, the client in another,
# joined by a veth pair. The close-while-held and shutdown cases again,
# across a link that is not loopback. The addresses are TEST-NET-1
# (192.0.2.0/24) and exist only inside these namespaces.

load test_helper

setup() {
	[ "$(uname -s)" = Linux ] || skip "network namespaces need Linux"
	[ "$(id -u)" -eq 0 ] || skip "creating network namespaces needs root"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	A=closelab-a-$$
	B=closelab-b-$$
	ip netns add "$A"
	ip netns add "$B"
	ip link add "cla$$" type veth peer name "clb$$"
	ip link set "cla$$" netns "$A"
	ip link set "clb$$" netns "$B"
	ip -n "$A" addr add 192.0.2.1/24 dev "cla$$"
	ip -n "$B" addr add 192.0.2.2/24 dev "clb$$"
	for ns in "$A" "$B"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$A" link set "cla$$" up
	ip -n "$B" link set "clb$$" up
}

teardown() {
	closelab_teardown
	# deleting a namespace deletes its end of the veth pair, and the pair
	ip netns del "closelab-a-$$" 2>/dev/null || true
	ip netns del "closelab-b-$$" 2>/dev/null || true
}

# start_remote ARGS...: the server in namespace A, on 192.0.2.1
start_remote() {
	SERVER_WRAP="ip netns exec $A" start_server --addr 192.0.2.1 --wire "$@"
}

# remote_client ARGS...: the client in namespace B
remote_client() {
	run ip netns exec "$B" "$CLIENT" --addr 192.0.2.1 --port "$PORT" --log "$CLOG" "$@"
}

@test "across two hosts: the worker's close sends no FIN while the parent holds" {
	start_remote --parent-keeps 300 --end close
	remote_client --send hello
	assert_success || mistake "the client on the other host did not get its echo and EOF"
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	stop_server
	handoff=$(t_of "$SLOG" role=parent ev=handoff) ||
	    mistake "the parent did not log its handoff of the connection"
	worker_close=$(t_of "$SLOG" role=worker ev=close holders=2-\>1) ||
	    mistake "the worker's close() was not logged as 'holders=2->1' while the parent keeps its copy"
	parent_close=$(t_of "$SLOG" role=parent ev=close holders=1-\>0) ||
	    mistake "the parent's close was not logged as the last ('holders=1->0')"
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	((worker_close < parent_close && parent_close <= eof)) ||
	    mistake "the order is wrong: the worker's close, then the parent's close, then the client's EOF"
	((eof - handoff >= 300 * MS)) ||
	    mistake "the client's EOF came less than 300 ms after the handoff: the worker's close() must not send the FIN while the parent keeps its copy"
	# the segments crossed the veth: one FIN each way
	assert_equal "$(values "$SLOG" flags role=wire dir=out flags=F. | wc -l)" 1 ||
	    mistake "the capture did not see exactly one FIN from the server cross the link"
	assert_equal "$(values "$SLOG" flags role=wire dir=in flags=F. | wc -l)" 1 ||
	    mistake "the capture did not see exactly one FIN from the client cross the link"
	fin=$(t_of "$SLOG" role=wire ev=segment dir=out flags=F.)
	((fin >= parent_close)) ||
	    mistake "the server's FIN crossed the link before the parent's close, while the parent still held the socket"
}

@test "across two hosts: shutdown sends the FIN at once, while the parent holds" {
	start_remote --parent-keeps 1000 --end shutdown
	remote_client --send hello
	assert_success || mistake "the client on the other host did not get its echo and EOF"
	assert_line --regexp '^result end=eof ' || mistake "the connection did not end with EOF"
	wait_for_event "$SLOG" role=parent ev=close keep=timer ||
	    mistake "the parent never closed its copy after --parent-keeps 1000"
	stop_server
	shutdown=$(t_of "$SLOG" role=worker ev=shutdown how=SHUT_WR) ||
	    mistake "the worker did not log its shutdown(SHUT_WR)"
	parent_close=$(t_of "$SLOG" role=parent ev=close keep=timer)
	eof=$(t_of "$CLOG" ev=eof) || mistake "the client logged no EOF"
	fin=$(t_of "$SLOG" role=wire ev=segment dir=out flags=F.) ||
	    mistake "the capture saw no FIN from the server cross the link"
	((shutdown <= fin && fin <= eof && eof < parent_close)) ||
	    mistake "the FIN did not cross the link at the worker's shutdown, with the client's EOF before the parent let go"
}

@test "a connection to this host's own non-loopback address goes through lo, and is captured" {
	start_remote --parent-keeps 0 --end close
	# the client beside the server, in namespace A: to 192.0.2.1, through lo
	run ip netns exec "$A" "$CLIENT" --addr 192.0.2.1 --port "$PORT" --log "$CLOG" --send hello
	assert_success || mistake "the client beside the server did not get its echo and EOF"
	stop_server
	assert_equal "$(values "$SLOG" flags role=wire dir=in flags=S | wc -l)" 1 ||
	    mistake "the capture did not see exactly one SYN of a connection to the host's own address, which goes through lo"
	assert_equal "$(values "$SLOG" flags role=wire dir=out flags=F. | wc -l)" 1 ||
	    mistake "the capture did not see exactly one FIN of a connection to the host's own address, which goes through lo"
}
