/* SPDX-License-Identifier: MIT */
/*
 * queue_consume: taking jobs off the streams — queue_take by priority, queue_reclaim of
 * entries idle past the visibility timeout — and settling them: queue_ack, queue_touch.
 *
 * Priority: Redis returns streams of one XREADGROUP in its own order, so queue_take()
 * reads high, common and low one at a time without blocking, and only when all are empty
 * blocks once over all of them with COUNT 1.  Anything that read delivered beyond the one
 * entry returned stays in this consumer's pending list and is returned next (ID 0 reads).
 * queue_ack() acknowledges and deletes the entry, so that a stream's length is its backlog.
 * An entry deleted while pending (trimmed) has nothing left to run and is acknowledged away.
 *
 * Memory: a taken job's JSON is the caller's (queue_msg_clear frees it); every reply is
 * freed here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "mem.h"
#include "queue.h"
#include "queue_int.h"

/* XAUTOCLAIM calls per stream per queue_reclaim() (each scans up to 10 pending entries). */
#define QUEUE_RECLAIM_SCANS 20

void
queue_msg_clear(struct queue_msg *msg)
{
	free(msg->job);
	memset(msg, 0, sizeof(*msg));
}

int
q_entry_fill(const redisReply *e, enum queue_prio prio, struct queue_msg *msg)
{
	const redisReply *f;
	size_t i;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= sizeof(msg->entry_id))
		return -1;
	memset(msg, 0, sizeof(*msg));
	msg->prio = prio;
	memcpy(msg->entry_id, e->element[0]->str, e->element[0]->len);
	msg->deliveries = 1;
	f = e->element[1];
	if (f->type == REDIS_REPLY_NIL)
		return 0;
	if (f->type != REDIS_REPLY_ARRAY)
		return -1;
	for (i = 0; i + 1 < f->elements; i += 2) {
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, "job") == 0) {
			msg->job = xstrndup(f->element[i + 1]->str, f->element[i + 1]->len);
			return 1;
		}
	}
	/* An entry without a job field: handed out with an empty job for the caller to reject. */
	msg->job = xstrdup("");
	return 1;
}

int
q_ack_entry(struct queue *q, enum queue_prio prio, const char *id, struct fb_err *err)
{
	const char *a1[] = {"XACK", q->stream[prio], q->group, id};
	const char *a2[] = {"XDEL", q->stream[prio], id};
	size_t l1[4], l2[3];
	void *rv;
	int i, rc = 0;

	if (q_connect(q, err) < 0)
		return -1;
	for (i = 0; i < 4; i++)
		l1[i] = strlen(a1[i]);
	for (i = 0; i < 3; i++)
		l2[i] = strlen(a2[i]);
	if (redisAppendCommandArgv(q->c, 4, a1, l1) != REDIS_OK ||
	    redisAppendCommandArgv(q->c, 3, a2, l2) != REDIS_OK) {
		fb_err_set(err, FB_EREDIS, "redis XACK: %s", q->c->errstr);
		q_drop(q);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (redisGetReply(q->c, &rv) != REDIS_OK || rv == NULL) {
			fb_err_set(err, FB_EREDIS, "redis XACK: %s",
			           q->c->errstr[0] ? q->c->errstr : "connection lost");
			q_drop(q);
			return -1;
		}
		if (((redisReply *)rv)->type == REDIS_REPLY_ERROR && rc == 0) {
			fb_err_set(err, FB_EREDIS, "redis XACK: %s", ((redisReply *)rv)->str);
			rc = -1;
		}
		freeReplyObject(rv);
	}
	if (rc < 0)
		q_drop(q);
	return rc;
}

int
queue_ack(struct queue *q, const struct queue_msg *msg, struct fb_err *err)
{
	if ((int)msg->prio < 0 || msg->prio >= QUEUE_NPRIO || msg->entry_id[0] == '\0') {
		fb_err_set(err, FB_EINVAL, "queue_ack: no entry");
		return -1;
	}
	return q_ack_entry(q, msg->prio, msg->entry_id, err);
}

/* Renew the idle time of an entry only while it is still the consumer's. */
static const char touch_lua[] =
	"local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1) "
	"if #p == 1 and p[1][2] == ARGV[2] then "
	"redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID') return 1 end "
	"return 0";

int
queue_touch(struct queue *q, const char *consumer, enum queue_prio prio, const char *entry_id,
            struct fb_err *err)
{
	redisReply *r;
	int rc;

	if ((int)prio < 0 || prio >= QUEUE_NPRIO || entry_id[0] == '\0') {
		fb_err_set(err, FB_EINVAL, "queue_touch: no entry");
		return -1;
	}
	{
		const char *a[] = {"EVAL", touch_lua, "1", q->stream[prio], q->group, consumer, entry_id};

		if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
			return -1;
	}
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

int
q_pending_deliveries(struct queue *q, enum queue_prio prio, const char *id, long long *out,
                     struct fb_err *err)
{
	const char *a[] = {"XPENDING", q->stream[prio], q->group, id, id, "1"};
	redisReply *r = q_cmd(q, NULL, NARGS(a), a, err);

	*out = 0;
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 4 &&
	    r->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
		*out = r->element[0]->element[3]->integer;
	freeReplyObject(r);
	return 0;
}

/*
 * Walk an XREADGROUP reply [[stream, [entry...]]...]: fill msg with the first entry of the
 * highest-priority stream; mark every other stream that delivered something for draining.
 * Deleted entries are acknowledged away.  Returns 1 / 0 / -1.
 */
static int
read_reply(struct queue *q, const redisReply *r, struct queue_msg *msg, struct fb_err *err)
{
	const redisReply *best = NULL;
	enum queue_prio best_p = QUEUE_NPRIO;
	size_t i, j;
	int p, rc;

	if (r->type == REDIS_REPLY_NIL)
		return 0;
	if (r->type != REDIS_REPLY_ARRAY)
		goto bad;
	for (i = 0; i < r->elements; i++) {
		const redisReply *s = r->element[i];
		enum queue_prio sp = QUEUE_NPRIO;

		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
		    s->element[0]->type != REDIS_REPLY_STRING || s->element[1]->type != REDIS_REPLY_ARRAY)
			goto bad;
		for (p = 0; p < QUEUE_NPRIO; p++)
			if (strcmp(s->element[0]->str, q->stream[p]) == 0)
				sp = (enum queue_prio)p;
		if (sp == QUEUE_NPRIO)
			goto bad;
		for (j = 0; j < s->element[1]->elements; j++) {
			const redisReply *e = s->element[1]->element[j];

			if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
			    e->element[1]->type == REDIS_REPLY_NIL) {
				/* Trimmed while pending: nothing to run, nothing to keep. */
				if (e->element[0]->type == REDIS_REPLY_STRING) {
					log_warn("queue entry deleted while pending", "stream",
					         LOG_STR(q->stream[sp]), "entry_id",
					         LOG_STR(e->element[0]->str), NULL);
					if (q_ack_entry(q, sp, e->element[0]->str, err) < 0)
						return -1;
				}
				continue;
			}
			if (best == NULL || sp < best_p) {
				if (best != NULL)
					q->drain[best_p] = 1;
				best = e;
				best_p = sp;
			} else {
				q->drain[sp] = 1;
			}
		}
	}
	if (best == NULL)
		return 0;
	rc = q_entry_fill(best, best_p, msg);
	if (rc < 0)
		goto bad;
	return rc;
bad:
	fb_err_set(err, FB_EREDIS, "redis XREADGROUP: unexpected reply");
	q_drop(q);
	return -1;
}

static void
set_drain_for(struct queue *q, const char *consumer)
{
	int i;

	if (q->drain_for != NULL && strcmp(q->drain_for, consumer) == 0)
		return;
	free(q->drain_for);
	q->drain_for = xstrdup(consumer);
	for (i = 0; i < QUEUE_NPRIO; i++) {
		q->drain[i] = 1;
		strcpy(q->drain_from[i], "0");
	}
}

int
queue_take(struct queue *q, const char *consumer, enum queue_prio lowest, int block_ms,
           struct queue_msg *msg, struct fb_err *err)
{
	redisReply *r;
	char blockbuf[24];
	const char *a[9 + 2 * QUEUE_NPRIO];
	int p, n, rc;

	memset(msg, 0, sizeof(*msg));
	if ((int)lowest < 0 || lowest >= QUEUE_NPRIO) {
		fb_err_set(err, FB_EINVAL, "queue_take: bad priority");
		return -1;
	}
	if (q_connect(q, err) < 0)
		return -1;
	if (block_ms < 0)
		block_ms = 0;
	if (q_block_timeout(q, block_ms, err) < 0)
		return -1;
	set_drain_for(q, consumer);
	/* Own pending entries first (after a restart or reconnect), then new ones, by priority. */
	for (p = 0; p <= (int)lowest; p++) {
		while (q->drain[p] && !(q->paused & (1u << p))) {
			const char *d[] = {"XREADGROUP", "GROUP", q->group, consumer, "COUNT", "1",
			                   "STREAMS", q->stream[p], q->drain_from[p]};

			if ((r = q_cmd(q, NULL, NARGS(d), d, err)) == NULL)
				return -1;
			q->drain[p] = 0;
			rc = read_reply(q, r, msg, err);
			/* Entries deleted while pending were acked: look again. */
			if (rc == 0 && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
			    r->element[0]->element[1]->elements > 0) {
				const redisReply *e = r->element[0]->element[1]->element[0];

				q->drain[p] = 1;
				if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
				    e->element[0]->type == REDIS_REPLY_STRING &&
				    e->element[0]->len < sizeof(q->drain_from[p]))
					snprintf(q->drain_from[p], sizeof(q->drain_from[p]), "%s",
					         e->element[0]->str);
			}
			freeReplyObject(r);
			if (rc < 0)
				return -1;
			if (rc == 1) {
				/* Entries left unacked are not handed out again: reclaim finds them. */
				q->drain[p] = 1;
				snprintf(q->drain_from[p], sizeof(q->drain_from[p]), "%s", msg->entry_id);
				if (q_pending_deliveries(q, msg->prio, msg->entry_id, &msg->deliveries,
				                         err) < 0) {
					queue_msg_clear(msg);
					return -1;
				}
				return 1;
			}
		}
	}
	for (p = 0; p <= (int)lowest; p++) {
		const char *d[] = {"XREADGROUP", "GROUP", q->group, consumer, "COUNT", "1",
		                   "STREAMS", q->stream[p], ">"};

		if (q->paused & (1u << p))
			continue;
		if ((r = q_cmd(q, NULL, NARGS(d), d, err)) == NULL)
			return -1;
		rc = read_reply(q, r, msg, err);
		freeReplyObject(r);
		if (rc != 0)
			return rc;
	}
	if (block_ms == 0)
		return 0;
	snprintf(blockbuf, sizeof(blockbuf), "%d", block_ms);
	n = 0;
	a[n++] = "XREADGROUP";
	a[n++] = "GROUP";
	a[n++] = q->group;
	a[n++] = consumer;
	a[n++] = "COUNT";
	a[n++] = "1";
	a[n++] = "BLOCK";
	a[n++] = blockbuf;
	a[n++] = "STREAMS";
	for (p = 0; p <= (int)lowest; p++)
		if (!(q->paused & (1u << p)))
			a[n++] = q->stream[p];
	if (n == 9) {
		/* Every stream this consumer reads is paused: idle as a blocking read would. */
		struct timespec ts = {block_ms / 1000, (block_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		return 0;
	}
	for (p = 0; p <= (int)lowest; p++)
		if (!(q->paused & (1u << p)))
			a[n++] = ">";
	if ((r = q_cmd(q, NULL, n, a, err)) == NULL)
		return -1;
	rc = read_reply(q, r, msg, err);
	freeReplyObject(r);
	return rc;
}

int
queue_reclaim(struct queue *q, const char *consumer, enum queue_prio lowest, long idle_ms,
              struct queue_msg *msg, struct fb_err *err)
{
	char idle[24];
	int p, scan, rc;

	memset(msg, 0, sizeof(*msg));
	if ((int)lowest < 0 || lowest >= QUEUE_NPRIO) {
		fb_err_set(err, FB_EINVAL, "queue_reclaim: bad priority");
		return -1;
	}
	snprintf(idle, sizeof(idle), "%ld", idle_ms < 0 ? 0 : idle_ms);
	for (p = 0; p <= (int)lowest; p++) {
		if (q->paused & (1u << p))
			continue;
		for (scan = 0; scan < QUEUE_RECLAIM_SCANS; scan++) {
			const char *a[] = {"XAUTOCLAIM", q->stream[p], q->group, consumer, idle,
			                   q->cursor[p], "COUNT", "1"};
			const redisReply *entries;
			redisReply *r;
			size_t i;
			int got = 0;

			if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
				return -1;
			/* Redis 7: [cursor, entries, deleted ids]; 6.2: [cursor, entries]. */
			if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
			    r->element[0]->type != REDIS_REPLY_STRING ||
			    r->element[0]->len >= sizeof(q->cursor[p]) ||
			    r->element[1]->type != REDIS_REPLY_ARRAY) {
				freeReplyObject(r);
				fb_err_set(err, FB_EREDIS, "redis XAUTOCLAIM: unexpected reply");
				q_drop(q);
				return -1;
			}
			memcpy(q->cursor[p], r->element[0]->str, r->element[0]->len);
			q->cursor[p][r->element[0]->len] = '\0';
			entries = r->element[1];
			for (i = 0; i < entries->elements && !got; i++) {
				rc = q_entry_fill(entries->element[i], (enum queue_prio)p, msg);
				if (rc == 0) {
					if (q_ack_entry(q, (enum queue_prio)p, msg->entry_id, err) < 0) {
						freeReplyObject(r);
						return -1;
					}
				} else if (rc < 0) {
					freeReplyObject(r);
					fb_err_set(err, FB_EREDIS, "redis XAUTOCLAIM: unexpected entry");
					q_drop(q);
					return -1;
				} else {
					got = 1;
				}
			}
			freeReplyObject(r);
			if (got) {
				if (q_pending_deliveries(q, msg->prio, msg->entry_id, &msg->deliveries,
				                         err) < 0) {
					queue_msg_clear(msg);
					return -1;
				}
				return 1;
			}
			if (strcmp(q->cursor[p], "0-0") == 0)
				break;
		}
	}
	return 0;
}
