/*
 * events.h: closelab's log vocabulary, defined once. Every event that a
 * program logs, who logs it, the fields that may follow "ev=NAME", and what
 * it means. log.c takes the names from here; tests/docs.bats checks
 * docs/usage.md's table of events and docs/contract.md's list against it.
 *
 * A field "key=" takes a value; "key=a|b" lists the values it may have.
 */
#ifndef EVENTS_H
#define EVENTS_H

#define LOG_EVENTS(X) \
	X(LISTEN, "listen", "parent", "addr= model=prefork|fork|thread workers=", \
	    "the server listens; its workers start next") \
	X(SPAWN, "spawn", "parent worker", "worker= wire= helper= inherits=yes|no holders= err=", \
	    "a process started: a prefork worker or the capture (parent), a --spawn helper (worker)") \
	X(ACCEPT, "accept", "parent", "fd= holders= queued= err=", \
	    "a connection accepted (queued: how many wait before it), or accept() failed") \
	X(HANDOFF, "handoff", "parent", "worker= fd= holders= err=", \
	    "the connection passed to a worker (SCM_RIGHTS)") \
	X(FORK, "fork", "parent", "child= fd= holders= err=", \
	    "a child forked for the connection, which it inherits") \
	X(THREAD, "thread", "parent", "fd= holders= err=", \
	    "a thread started for the connection (--model thread): it serves the parent's one " \
	    "descriptor, for threads share the descriptor table") \
	X(TAKE, "take", "worker", "fd= holders=", "the worker has the connection") \
	X(CONNECT, "connect", "client", "fd= peer=", \
	    "the client's connect(), stamped at the call; then= the state it reached") \
	X(READ, "read", "worker client", "fd= bytes= err= nothing=1", \
	    "read() returned bytes, or failed (nothing=1: nothing came)") \
	X(WRITE, "write", "worker client", "fd= bytes= err=", "write() of bytes, or its failure") \
	X(EOF, "eof", "worker client", "fd=", "read() returned 0: the peer's FIN") \
	X(RST, "rst", "client", "fd= err=", "the connection was reset") \
	X(SHUTDOWN, "shutdown", "worker client", "how=SHUT_RD|SHUT_WR|SHUT_RDWR holders= kernel= err=", \
	    "shutdown(); the worker adds how many of the server's processes hold the socket") \
	X(LINGER, "linger", "worker", "fd= onoff=1 secs= err=", \
	    "SO_LINGER set: {1, 0} (--end abort) or {1, secs} (--end linger)") \
	X(DUP, "dup", "worker", "fd= dup= err=", "a second descriptor of the socket (--end dup)") \
	X(LEAK, "leak", "worker", "fd= holders=", "the worker will never close the socket (--end leak)") \
	X(IDLE, "idle", "worker", "fd= ms= waiting=read|write", \
	    "--idle-timeout ended a connection that sent nothing, or read nothing, for ms") \
	X(CLOSE, "close", "parent worker client", \
	    "fd= holders= unread= unacked= linger= waited= kernel= calls= " \
	    "keep=0|timer|signal|exit|fork-failed|thread-failed dups= by=exit exited= err=", \
	    "a close(): holders=before->after counted with it; unacked= the bytes the peer has " \
	    "not acknowledged; linger=off|0|secs, and waited= the ms a lingering close took; " \
	    "calls=1: a call of another thread's, blocked in it, held the socket through the close; " \
	    "by=exit: a holder that exited") \
	X(RELEASE, "release", "worker", "fd= call=read|write full=1", \
	    "a call that held the socket through another thread's close (calls=1) returned, " \
	    "stamped at its return: the reference it held went as it returned") \
	X(TIMEOUT, "timeout", "client", "fd= ms=", "the client gave up waiting for the end") \
	X(EXIT, "exit", "parent worker", "child= wire= helper= status= signal=", \
	    "a child was reaped: how it ended") \
	X(STOP, "stop", "parent", "signal= grace=", "a stop signal: no more accepts, drain for grace ms") \
	X(ABORT, "abort", "parent", "workers=", "the grace is over: these workers are ended") \
	X(SEGMENT, "segment", "wire", "dir=in|out flags= seq= ack= len=", \
	    "a segment on the wire, in tcpdump's letters, numbered from each side's SYN") \
	X(DROPS, "drops", "wire", "dropped=", "the capture lost segments: the kernel's count") \
	X(DROP, "drop", "trace", \
	    "call=close|shutdown|exit comm= fd= how=SHUT_RD|SHUT_WR|SHUT_RDWR refs= " \
	    "sent=fin|rst|none why=held|sent-before|closed|read-only holders= more= first= after= " \
	    "local= remote= netns= container= pod= unit=", \
	    "bin/trace: a close(), shutdown() or exit dropped a TCP socket; what it sent, who " \
	    "still holds it (holders=, and how many more a long list leaves out: more=), and " \
	    "for a FIN or RST the first drop that sent nothing (first=, after= ms); netns= a " \
	    "socket outside trace's network namespace, container=, pod=, unit= the process's " \
	    "owner from its cgroup")

enum event {
#define EVENT_ENUM(sym, name, who, fields, meaning) EV_##sym,
	LOG_EVENTS(EVENT_ENUM)
#undef EVENT_ENUM
	NEVENTS
};

/* One event of the vocabulary, as LOG_EVENTS defines it. */
struct event_info {
	const char *name, *who, *fields, *meaning;
};

extern const struct event_info events[NEVENTS];

/* The event named name ("close": EV_CLOSE), or -1 if the vocabulary has none. */
int event_named(const char *name);

#endif
