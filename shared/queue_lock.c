/* SPDX-License-Identifier: MIT */
/*
 * queue_lock: a lock in Redis under <prefix>:lock:<name>, for one holder among all runners
 * (the scheduler's leader, the jobs that must not run twice at once).  Taking it is SET NX
 * PX with a random token; releasing and extending are scripts that act only while the key
 * still holds that token, so a holder whose lock expired and was taken by another never
 * releases or extends the other's.
 *
 * Memory: nothing is kept; the token is the caller's.
 */
#include <stdio.h>
#include <stdlib.h>

#include <hiredis/hiredis.h>

#include "mem.h"
#include "queue.h"
#include "queue_int.h"
#include "rand.h"

static const char unlock_lua[] =
	"if redis.call('get', KEYS[1]) == ARGV[1] then "
	"return redis.call('del', KEYS[1]) else return 0 end";
static const char extend_lua[] =
	"if redis.call('get', KEYS[1]) == ARGV[1] then "
	"return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

int
queue_lock(struct queue *q, const char *name, long ttl_ms, char token[33], struct fb_err *err)
{
	char ttl[24];
	char *key;
	redisReply *r;
	int rc;

	fb_random_hex(token, 16);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_ms > 0 ? ttl_ms : 1);
	key = xasprintf("%s%s", q->lock_prefix, name);
	{
		const char *a[] = {"SET", key, token, "NX", "PX", ttl};

		r = q_cmd(q, NULL, NARGS(a), a, err);
	}
	free(key);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_STATUS ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

static int
lock_script(struct queue *q, const char *script, const char *name, const char *token,
            const char *ttl, struct fb_err *err)
{
	char *key = xasprintf("%s%s", q->lock_prefix, name);
	const char *a[] = {"EVAL", script, "1", key, token, ttl};
	redisReply *r;
	int rc;

	r = q_cmd(q, NULL, ttl != NULL ? 6 : 5, a, err);
	free(key);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

int
queue_unlock(struct queue *q, const char *name, const char token[33], struct fb_err *err)
{
	return lock_script(q, unlock_lua, name, token, NULL, err);
}

int
queue_lock_extend(struct queue *q, const char *name, const char token[33], long ttl_ms,
                  struct fb_err *err)
{
	char ttl[24];

	snprintf(ttl, sizeof(ttl), "%ld", ttl_ms > 0 ? ttl_ms : 1);
	return lock_script(q, extend_lua, name, token, ttl, err);
}
