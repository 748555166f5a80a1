/* SPDX-License-Identifier: MIT */
/*
 * queue_stats: what the streams look like (length, entries pending, the age of the oldest
 * entry not yet acknowledged, consumers of the group) and the run-time consumer counts kept
 * in the hash <prefix>:consumers, which every runner's control thread reads.
 *
 * Memory: nothing is kept; every reply is freed before a function returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "queue.h"
#include "queue_int.h"

/* The age in ms of a stream entry id ("<ms>-<seq>") at now_ms; 0 when not an id. */
static long long
entry_age_ms(const char *id, long long now_ms)
{
	long long ms = strtoll(id, NULL, 10);

	return ms > 0 && now_ms > ms ? now_ms - ms : 0;
}

int
queue_stats(struct queue *q, struct queue_stats *st, struct fb_err *err)
{
	struct timespec now;
	long long now_ms;
	int p;

	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	for (p = 0; p < QUEUE_NPRIO; p++) {
		const char *a1[] = {"XLEN", q->stream[p]};
		const char *a2[] = {"XPENDING", q->stream[p], q->group};
		/* Acknowledged entries are deleted: the first entry is the oldest waiting one. */
		const char *a3[] = {"XRANGE", q->stream[p], "-", "+", "COUNT", "1"};
		const char *a4[] = {"XINFO", "GROUPS", q->stream[p]};
		redisReply *r;
		size_t i;

		if ((r = q_cmd(q, NULL, NARGS(a1), a1, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_INTEGER)
			st->length[p] = r->integer;
		freeReplyObject(r);
		if ((r = q_cmd(q, NULL, NARGS(a2), a2, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
		    r->element[0]->type == REDIS_REPLY_INTEGER)
			st->pending[p] = r->element[0]->integer;
		freeReplyObject(r);
		if ((r = q_cmd(q, NULL, NARGS(a3), a3, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
		    r->element[0]->element[0]->type == REDIS_REPLY_STRING)
			st->oldest_age_ms[p] = entry_age_ms(r->element[0]->element[0]->str, now_ms);
		freeReplyObject(r);
		if ((r = q_cmd(q, NULL, NARGS(a4), a4, err)) == NULL)
			return -1;
		for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
			const redisReply *g = r->element[i], *name, *n;

			if (g->type != REDIS_REPLY_ARRAY)
				continue;
			name = q_info_field(g, "name");
			n = q_info_field(g, "consumers");
			if (name != NULL && name->type == REDIS_REPLY_STRING &&
			    strcmp(name->str, q->group) == 0 && n != NULL &&
			    n->type == REDIS_REPLY_INTEGER)
				st->consumers[p] = n->integer;
		}
		freeReplyObject(r);
	}
	return 0;
}

int
queue_get_consumers(struct queue *q, int counts[QUEUE_NPRIO], struct fb_err *err)
{
	const char *a[] = {"HMGET", q->consumers_key, queue_prio_name(QUEUE_HIGH),
	                   queue_prio_name(QUEUE_COMMON), queue_prio_name(QUEUE_LOW)};
	redisReply *r;
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++)
		counts[p] = -1;
	if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == QUEUE_NPRIO) {
		for (p = 0; p < QUEUE_NPRIO; p++) {
			const redisReply *v = r->element[p];
			char *end;
			long n;

			if (v->type != REDIS_REPLY_STRING)
				continue;
			errno = 0;
			n = strtol(v->str, &end, 10);
			if (errno == 0 && end != v->str && *end == '\0' && n >= 0 && n <= 1000)
				counts[p] = (int)n;
		}
	}
	freeReplyObject(r);
	return 0;
}

int
queue_set_consumers(struct queue *q, const int counts[QUEUE_NPRIO], struct fb_err *err)
{
	char num[QUEUE_NPRIO][16];
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++) {
		const char *name = queue_prio_name((enum queue_prio)p);
		redisReply *r;

		if (counts[p] >= 0) {
			const char *a[] = {"HSET", q->consumers_key, name, num[p]};

			snprintf(num[p], sizeof(num[p]), "%d", counts[p]);
			r = q_cmd(q, NULL, NARGS(a), a, err);
		} else {
			const char *a[] = {"HDEL", q->consumers_key, name};

			r = q_cmd(q, NULL, NARGS(a), a, err);
		}
		if (r == NULL)
			return -1;
		freeReplyObject(r);
	}
	return 0;
}
