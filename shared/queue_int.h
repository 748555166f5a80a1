/* SPDX-License-Identifier: MIT */
/*
 * queue_int: what the queue files share among themselves (queue.c the connection and
 * publishing, queue_consume.c taking jobs, queue_liveness.c runners and dead consumers,
 * queue_stats.c the numbers and consumer counts, queue_lock.c locks); other modules use
 * queue.h.
 *
 * Every command goes through q_cmd, which connects as needed and drops the context after
 * any error (the next call connects again and re-creates the groups).  A function that
 * holds a reply frees it before it returns.
 */
#ifndef FB_QUEUE_INT_H
#define FB_QUEUE_INT_H

#include <hiredis/hiredis.h>

#include "err.h"
#include "queue.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct queue {
	redisContext *c;
	char *host;
	int port;
	char *password;
	int dbnum;
	char *stream[QUEUE_NPRIO];
	char *group;
	char *consumers_key;
	char *lock_prefix;
	char *runner_prefix;
	char *prefix;                /* redis.prefix */
	unsigned paused;             /* streams (1 << prio) this connection takes nothing from */
	long timeout_ms;             /* read timeout currently applied */
	int drain[QUEUE_NPRIO];      /* own pending entries may remain on this stream */
	char drain_from[QUEUE_NPRIO][64]; /* ID after which to look for them */
	char *drain_for;             /* the consumer the drain flags are about */
	char cursor[QUEUE_NPRIO][64]; /* XAUTOCLAIM cursors */
};

/* ---- the connection (queue.c) ----------------------------------------------------------- */

/* Connect when there is no live context (AUTH, SELECT, timeouts, groups). */
int q_connect(struct queue *q, struct fb_err *err) FB_MUSTCHECK;
/* Drop the context; the next call connects again. */
void q_drop(struct queue *q);
/*
 * Connect if needed and run one command.  An error reply is returned only when its text
 * starts with allow (e.g. "BUSYGROUP"); any other error reply drops the connection (the
 * next call reconnects and re-creates the groups, which also repairs a flushed Redis).
 * Caller frees the reply with freeReplyObject().
 */
redisReply *q_cmd(struct queue *q, const char *allow, int argc, const char **argv,
                  struct fb_err *err) FB_MUSTCHECK;
/* Make the live context's read timeout exceed a BLOCK of block_ms. */
int q_block_timeout(struct queue *q, int block_ms, struct fb_err *err) FB_MUSTCHECK;
/* The current time as RFC 3339 UTC with microseconds. */
void q_now_rfc3339(char out[32]);

/* ---- stream entries (queue_consume.c) --------------------------------------------------- */

/*
 * Fill msg from one stream entry [id, [field, value, ...]].  Returns 1 when filled, 0 when
 * the entry was deleted while pending ([id, nil]: nothing left to run; msg->entry_id is
 * set), -1 when the reply has an unexpected shape.
 */
int q_entry_fill(const redisReply *e, enum queue_prio prio, struct queue_msg *msg);
/* XACK + XDEL of one entry, pipelined. */
int q_ack_entry(struct queue *q, enum queue_prio prio, const char *id,
                struct fb_err *err) FB_MUSTCHECK;
/* The delivery count of one pending entry (XPENDING extended form); 0 when unknown. */
int q_pending_deliveries(struct queue *q, enum queue_prio prio, const char *id, long long *out,
                         struct fb_err *err) FB_MUSTCHECK;

/* ---- XINFO replies (queue_liveness.c) --------------------------------------------------- */

/* One field of an XINFO item ([field, value, ...]); NULL when absent.  Borrowed from item. */
const redisReply *q_info_field(const redisReply *item, const char *name);

#endif
