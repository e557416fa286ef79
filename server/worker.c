/*
 * worker.c: a worker's life and what it does with one connection: take it,
 * run the --spawn helper, read and answer as --reads says, then end it the
 * --end way (ends.c). A forked child (--model fork) serves one and exits.
 * Its calls on the connection are in connio.c, its helper's life in helper.c.
 *
 * --idle-timeout is the listener's SO_RCVTIMEO and SO_SNDTIMEO, which every
 * accepted socket inherits: a read that gets nothing, or a write that sends
 * nothing, for that long fails with EAGAIN, and the connection is ended.
 *
 * The lines of a connection are written together (log_batch()), at the
 * latest when it has been served, and before every call that may wait: a
 * read or write that cannot be done at once, poll(), a sleep, waitpid() and
 * fork(). A line is never kept back from whoever waits for it.
 */
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/util.h"
#include "server.h"
#include "worker.h"

void
worker_loop(int chan)
{
	static const char ready = 'r';
	struct conn c;
	int r;

	memset(&c, 0, sizeof c);
	while ((r = handoff_recv(chan, &c)) == 1) {
		serve(&c);
		if (write(chan, &ready, 1) != 1)
			break;
	}
	if (r == -1)
		warn("worker: receiving a connection:");
	_exit(r == -1 || !log_ok());
}

/*
 * Read and answer as --reads says until the peer's EOF, an error, --end-after
 * (end_at, 0: none) or --idle-timeout.
 */
static void
converse(struct conn *c, int64_t end_at)
{
	char buf[16384];
	int64_t wake;
	ssize_t n;

	for (;;) {
		/* --end-after: wait for data no later than then */
		if (end_at) {
			wake = end_at;
			if (opt.idle_timeout > 0 && deadline(opt.idle_timeout) < wake)
				wake = deadline(opt.idle_timeout);
			if (!wait_readable(c->fd, wake)) {
				if (wake != end_at)
					log_idle(c, "read");
				return;
			}
		}
		if ((n = logged_read(c, buf, sizeof buf)) <= 0)
			return;
		if (opt.reads != READS_ECHO)
			continue;
		if (opt.reply_delay > 0)
			worker_sleep(opt.reply_delay);
		if (logged_write(c, buf, n) == -1)
			return;
	}
}

void
serve(struct conn *c)
{
	int64_t end_at = 0;

	log_batch(1);
	holders_set(c->slot, CHILD, getpid());
	/* a thread whose closer may close the number asks no state through it */
	log_sock(c->guard ? -1 : c->fd);
	logev(c->id, EV_TAKE, "fd=%d holders=%d", c->fd, holders_count(c->slot));
	if (opt.end_after != END_AT_PEER_EOF)
		end_at = deadline(opt.end_after);
	if (opt.spawn)
		helper_spawn(c);
	if (c->guard) {
		/* --model thread: the closer ends it, while this thread reads */
		if (opt.reads != READS_NONE)
			converse(c, 0);
		log_sock(-1);
		log_batch(0);
		return;
	}
	if (opt.reads != READS_NONE)
		converse(c, end_at);
	/* --end-after MS: end then, whatever the peer did meanwhile */
	if (end_at)
		worker_sleep(ms_until(end_at));
	opt.end->run(c);
	log_sock(-1);
	helper_reap(c, 1);
	log_batch(0);
}
