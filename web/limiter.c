/* SPDX-License-Identifier: MIT */
/*
 * limiter: a counter of busy slots under a mutex (see limiter.h).  Nothing waits: a
 * request that finds every slot taken is refused, so a slow upload never holds a thread
 * that merely waits for another one.
 */
#include <json-c/json.h>

#include "limiter.h"
#include "mem.h"
#include "msg.h"
#include "request.h"

void
limiter_init(struct limiter *l, int max, int threads)
{
	pthread_mutex_init(&l->mu, NULL);
	if (max < 1)
		max = threads / 2;
	l->max = max < 1 ? 1 : max;
	l->busy = 0;
}

void
limiter_destroy(struct limiter *l)
{
	pthread_mutex_destroy(&l->mu);
}

int
limiter_enter(struct limiter *l)
{
	int ok;

	pthread_mutex_lock(&l->mu);
	ok = l->busy < l->max;
	if (ok)
		l->busy++;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void
limiter_leave(struct limiter *l)
{
	pthread_mutex_lock(&l->mu);
	if (l->busy > 0)
		l->busy--;
	pthread_mutex_unlock(&l->mu);
}

static void
leave_cb(void *l)
{
	limiter_leave(l);
}

int
request_limit(struct request *r, struct limiter *l, const char *what, struct fb_err *err)
{
	if (l == NULL)
		return 0;
	if (!limiter_enter(l)) {
		fb_err_msg(err, FB_EBUSY, "request.busy",
		           msg_args("what", json_object_new_string(what), "max",
		                    json_object_new_int(l->max), "seconds",
		                    json_object_new_int(LIMITER_RETRY_AFTER), NULL));
		return -1;
	}
	arena_defer(r->arena, leave_cb, l);
	return 0;
}
