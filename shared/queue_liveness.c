/* SPDX-License-Identifier: MIT */
/*
 * queue_liveness: runners that are alive, and the jobs of those that are gone.
 *
 * Every runner keeps a key <prefix>:runner:<host:pid> alive with a short TTL.  Workers
 * look at the group's consumers (XINFO CONSUMERS, sorted by name, so the consumers of one
 * runner come together and one EXISTS serves them all); those of a runner whose key is
 * gone are dead, and one script per entry checks that the entry is still the dead
 * consumer's and claims it, or deletes the consumer when nothing of it is left.  The
 * scripts name only the stream as a key; the runner keys are read outside them, which is
 * harmless: a runner that comes back after its key expired merely has a job run twice,
 * and every job is idempotent.
 *
 * Memory: nothing is kept; a claimed job's JSON is the caller's (queue_msg_clear).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "mem.h"
#include "queue.h"
#include "queue_int.h"

int
queue_runner_beat(struct queue *q, const char *runner, long ttl_ms, struct fb_err *err)
{
	char *key = xasprintf("%s%s", q->runner_prefix, runner);
	char ttl[24], when[32];
	redisReply *r;

	snprintf(ttl, sizeof(ttl), "%ld", ttl_ms > 0 ? ttl_ms : 1);
	q_now_rfc3339(when);
	{
		const char *a[] = {"SET", key, when, "PX", ttl};

		r = q_cmd(q, NULL, NARGS(a), a, err);
	}
	free(key);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
queue_runner_gone(struct queue *q, const char *runner, struct fb_err *err)
{
	char *key = xasprintf("%s%s", q->runner_prefix, runner);
	const char *a[] = {"DEL", key};
	redisReply *r = q_cmd(q, NULL, NARGS(a), a, err);

	free(key);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
queue_consumer_runner(const char *consumer, char *out, size_t outsz)
{
	const char *last = strrchr(consumer, ':'), *mid;
	size_t n;

	if (last == NULL || !all_digits(last + 1, strlen(last + 1)))
		return -1;
	for (mid = last - 1; mid >= consumer && *mid != ':'; mid--)
		;
	if (mid <= consumer || !all_digits(mid + 1, (size_t)(last - mid - 1)))
		return -1;
	n = (size_t)(last - consumer);
	if (n >= outsz)
		return -1;
	memcpy(out, consumer, n);
	out[n] = '\0';
	return 0;
}

/*
 * Of a dead consumer (ARGV[2]): claim its first pending entry for ARGV[3] (the XCLAIM
 * reply), or, with nothing pending, delete it from the group (0).  Atomic, so that two
 * workers never both claim one entry, and a consumer is never deleted with entries.
 */
static const char claim_dead_lua[] =
	"local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) "
	"if #p == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) "
	"return 0 end "
	"return redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, p[1][1])";

/* Up to this many script calls per dead consumer per queue_reclaim_dead(): entries deleted
 * while pending fall out of the list one by one. */
#define QUEUE_DEAD_TRIES 16

/*
 * Take what is left of one dead consumer on stream p.  1 with msg filled, 0 when nothing
 * was claimed (it is pruned, or its entries were deleted), -1 on error.
 */
static int
claim_dead(struct queue *q, enum queue_prio p, const char *dead, const char *consumer,
           struct queue_msg *msg, struct fb_err *err)
{
	int i, rc;

	for (i = 0; i < QUEUE_DEAD_TRIES; i++) {
		const char *a[] = {"EVAL", claim_dead_lua, "1", q->stream[p], q->group, dead, consumer};
		redisReply *r = q_cmd(q, NULL, NARGS(a), a, err);

		if (r == NULL)
			return -1;
		if (r->type == REDIS_REPLY_INTEGER) {
			freeReplyObject(r);
			log_info("dead consumer removed from the group", "stream", LOG_STR(q->stream[p]),
			         "consumer", LOG_STR(dead), NULL);
			return 0;
		}
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			fb_err_set(err, FB_EREDIS, "redis XCLAIM: unexpected reply");
			q_drop(q);
			return -1;
		}
		if (r->elements == 0) {
			freeReplyObject(r);
			continue;
		}
		rc = q_entry_fill(r->element[0], p, msg);
		freeReplyObject(r);
		if (rc < 0) {
			fb_err_set(err, FB_EREDIS, "redis XCLAIM: unexpected entry");
			q_drop(q);
			return -1;
		}
		if (rc == 0) {
			if (q_ack_entry(q, p, msg->entry_id, err) < 0)
				return -1;
			continue;
		}
		if (q_pending_deliveries(q, p, msg->entry_id, &msg->deliveries, err) < 0) {
			queue_msg_clear(msg);
			return -1;
		}
		log_info("claimed a job of a runner that is gone", "stream", LOG_STR(q->stream[p]),
		         "entry_id", LOG_STR(msg->entry_id), "from", LOG_STR(dead), "consumer",
		         LOG_STR(consumer), "deliveries", LOG_INT(msg->deliveries), NULL);
		return 1;
	}
	return 0;
}

const redisReply *
q_info_field(const redisReply *item, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < item->elements; i += 2)
		if (item->element[i]->type == REDIS_REPLY_STRING && strcmp(item->element[i]->str, name) == 0)
			return item->element[i + 1];
	return NULL;
}

int
queue_reclaim_dead(struct queue *q, const char *consumer, const char *self,
                   enum queue_prio lowest, long min_idle_ms, struct queue_msg *msg,
                   struct fb_err *err)
{
	char runner[300], last[300] = "";
	int p, last_alive = 1;

	memset(msg, 0, sizeof(*msg));
	if ((int)lowest < 0 || lowest >= QUEUE_NPRIO) {
		fb_err_set(err, FB_EINVAL, "queue_reclaim_dead: bad priority");
		return -1;
	}
	for (p = 0; p <= (int)lowest; p++) {
		const char *a[] = {"XINFO", "CONSUMERS", q->stream[p], q->group};
		redisReply *r;
		size_t i;
		int rc = 0;

		if (q->paused & (1u << p))
			continue;
		if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
			return -1;
		for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && rc == 0; i++) {
			const redisReply *c = r->element[i], *name, *idle;

			if (c->type != REDIS_REPLY_ARRAY)
				continue;
			name = q_info_field(c, "name");
			idle = q_info_field(c, "idle");
			if (name == NULL || name->type != REDIS_REPLY_STRING || idle == NULL ||
			    idle->type != REDIS_REPLY_INTEGER || idle->integer < min_idle_ms ||
			    queue_consumer_runner(name->str, runner, sizeof(runner)) < 0 ||
			    strcmp(runner, self) == 0)
				continue;
			if (strcmp(runner, last) != 0) {
				char *key = xasprintf("%s%s", q->runner_prefix, runner);
				const char *e[] = {"EXISTS", key};
				redisReply *x = q_cmd(q, NULL, NARGS(e), e, err);

				free(key);
				if (x == NULL) {
					rc = -1;
					break;
				}
				last_alive = x->type != REDIS_REPLY_INTEGER || x->integer != 0;
				freeReplyObject(x);
				snprintf(last, sizeof(last), "%s", runner);
			}
			if (!last_alive)
				rc = claim_dead(q, (enum queue_prio)p, name->str, consumer, msg, err);
		}
		freeReplyObject(r);
		if (rc != 0)
			return rc;
	}
	return 0;
}
