/* SPDX-License-Identifier: MIT */
/*
 * queue: jobs on three Redis Streams (high, common, low) read by one consumer group.
 *
 * A job is the JSON {"id","type","args","enqueued_at","attempt"} in the field "job" of a
 * stream entry.  A struct queue owns one hiredis context (one per thread); after any error
 * the context is dropped and the next call reconnects, re-creating the groups.  Entries are
 * acknowledged only by queue_ack(), after the job's effects are committed.
 *
 * Built from queue.c (the connection, publishing), queue_consume.c (take, reclaim, ack,
 * touch), queue_liveness.c (runners, dead consumers), queue_stats.c (numbers, consumer
 * counts) and queue_lock.c (locks).
 */
#ifndef FB_QUEUE_H
#define FB_QUEUE_H

#include "config.h"
#include "err.h"

enum queue_prio { QUEUE_HIGH, QUEUE_COMMON, QUEUE_LOW, QUEUE_NPRIO };

struct queue;
struct json_object;

struct queue_msg {
	enum queue_prio prio;
	char entry_id[64];   /* stream entry id */
	char *job;           /* the raw job JSON, owned: queue_msg_clear() frees it */
	long long deliveries; /* times delivered, when known (reclaimed entries) */
};

struct queue *queue_open(const struct fb_config *cfg, struct fb_err *err) FB_MUSTCHECK;
void queue_close(struct queue *q);
const char *queue_prio_name(enum queue_prio prio);
int queue_prio_parse(const char *name, enum queue_prio *out);
/* The stream key of a priority: "<prefix>:jobs:<name>". Borrowed from q. */
const char *queue_stream(const struct queue *q, enum queue_prio prio);

/* PING; 0 when Redis answers. */
int queue_ping(struct queue *q, struct fb_err *err) FB_MUSTCHECK;
/* Create the consumer group on all three streams (existing groups are fine). */
int queue_ensure_groups(struct queue *q, struct fb_err *err) FB_MUSTCHECK;

/*
 * Publish a job.  args is borrowed.  job_id (may be NULL) receives the job's id (36 bytes
 * + NUL); a caller that passes a non-empty job_id keeps that id (idempotent re-publishing).
 */
int queue_publish(struct queue *q, enum queue_prio prio, const char *type,
                  struct json_object *args, char job_id[37], struct fb_err *err) FB_MUSTCHECK;

/*
 * Publish n jobs in one pipeline (one round trip), each under its given id (at most 36
 * bytes: publishing the same id again gives the same job).  All borrowed.  0 when every
 * XADD succeeded; -1 otherwise (some may have been added).
 */
struct queue_job {
	enum queue_prio prio;
	const char *type;
	struct json_object *args;
	const char *id;
};
int queue_publish_many(struct queue *q, const struct queue_job *jobs, int n,
                       struct fb_err *err) FB_MUSTCHECK;
/*
 * Take one job for consumer, trying high, then common, then low, down to and including
 * lowest; when all are empty, block up to block_ms on all of them.  First returns this
 * consumer's own pending entries (after a restart).  Returns 1 with msg filled, 0 when
 * nothing arrived, -1 on error.
 */
int queue_take(struct queue *q, const char *consumer, enum queue_prio lowest, int block_ms,
               struct queue_msg *msg, struct fb_err *err) FB_MUSTCHECK;
/* Claim one entry idle longer than idle_ms from any stream down to lowest (XAUTOCLAIM). */
int queue_reclaim(struct queue *q, const char *consumer, enum queue_prio lowest, long idle_ms,
                  struct queue_msg *msg, struct fb_err *err) FB_MUSTCHECK;
int queue_ack(struct queue *q, const struct queue_msg *msg, struct fb_err *err) FB_MUSTCHECK;
/*
 * Tell the group that consumer still works on entry_id: its idle time starts again, so that
 * a job longer than the visibility timeout is not reclaimed while it runs.  Only while the
 * entry is still consumer's (one script: XPENDING owner check, then XCLAIM ... JUSTID): an
 * entry another consumer has claimed meanwhile, or that was acknowledged, stays as it is.
 * The delivery count is unchanged.  1 renewed, 0 no longer consumer's, -1 error.
 */
int queue_touch(struct queue *q, const char *consumer, enum queue_prio prio, const char *entry_id,
                struct fb_err *err) FB_MUSTCHECK;

/*
 * Runner liveness.  A runner is "host:pid" and its workers' consumers are "host:pid:n".
 * While it lives, a runner renews the key <prefix>:runner:<host:pid> with a TTL of a few
 * seconds (queue_runner_beat) and deletes it when it exits cleanly (queue_runner_gone).
 * A consumer named like that whose runner key is missing, and that has not talked to Redis
 * for min_idle_ms, belongs to a runner that is gone: queue_reclaim_dead() claims its
 * pending entries at once instead of after the visibility timeout, and deletes it from the
 * group once it has none left.  Consumers named otherwise (other tools) are left to the
 * visibility timeout.
 */
int queue_runner_beat(struct queue *q, const char *runner, long ttl_ms,
                      struct fb_err *err) FB_MUSTCHECK;
int queue_runner_gone(struct queue *q, const char *runner, struct fb_err *err) FB_MUSTCHECK;
/*
 * Claim for consumer one pending entry of a dead consumer (see above) from the streams
 * high down to lowest; dead consumers with nothing pending are deleted from the group on
 * the way.  Consumers of runner self (this process) are never dead.  Returns 1 with msg
 * filled (its delivery count incremented), 0 when there was nothing, -1 on error.
 */
int queue_reclaim_dead(struct queue *q, const char *consumer, const char *self,
                       enum queue_prio lowest, long min_idle_ms, struct queue_msg *msg,
                       struct fb_err *err) FB_MUSTCHECK;
/* The runner part ("host:pid") of a consumer name "host:pid:n" into out; -1 when the name
 * does not have that form. */
int queue_consumer_runner(const char *consumer, char *out, size_t outsz);
void queue_msg_clear(struct queue_msg *msg);

struct queue_stats {
	long long length[QUEUE_NPRIO];
	long long pending[QUEUE_NPRIO];
	long long oldest_age_ms[QUEUE_NPRIO]; /* age of the oldest entry not yet acknowledged; 0: none */
	long long consumers[QUEUE_NPRIO];     /* consumers of the group on the stream */
};
int queue_stats(struct queue *q, struct queue_stats *st, struct fb_err *err) FB_MUSTCHECK;

/* Consumer counts stored in Redis (hash <prefix>:consumers); -1 where unset. */
int queue_get_consumers(struct queue *q, int counts[QUEUE_NPRIO], struct fb_err *err) FB_MUSTCHECK;
int queue_set_consumers(struct queue *q, const int counts[QUEUE_NPRIO], struct fb_err *err) FB_MUSTCHECK;

/*
 * A lock: SET key token NX PX ttl_ms.  token receives a random 128-bit hex token.  Returns
 * 1 when taken, 0 when held by someone else, -1 on error.
 */
int queue_lock(struct queue *q, const char *name, long ttl_ms, char token[33],
               struct fb_err *err) FB_MUSTCHECK;
/* Release only if still ours (compare-and-delete).  1 released, 0 not ours, -1 error. */
int queue_unlock(struct queue *q, const char *name, const char token[33], struct fb_err *err);
/* Extend only if still ours.  1 extended, 0 not ours, -1 error. */
int queue_lock_extend(struct queue *q, const char *name, const char token[33], long ttl_ms,
                      struct fb_err *err) FB_MUSTCHECK;

/*
 * One command on q's connection (connecting as needed; any error reply is an error and
 * drops the connection).  For the modules that keep their own keys beside the queue's
 * (runners).  Caller frees the reply with freeReplyObject().
 */
struct redisReply;
struct redisReply *queue_command(struct queue *q, int argc, const char **argv,
                                 struct fb_err *err) FB_MUSTCHECK;
/* redis.prefix, borrowed from q. */
const char *queue_prefix(const struct queue *q);
/*
 * Paused streams: a mask of (1 << prio).  queue_take, queue_reclaim and queue_reclaim_dead
 * on this connection leave those streams alone (a consumer whose streams are all paused
 * idles for block_ms).
 */
void queue_set_paused(struct queue *q, unsigned mask);

#endif
