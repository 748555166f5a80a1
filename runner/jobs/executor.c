/* SPDX-License-Identifier: MIT */
/*
 * executor: what the executor jobs (batch.execute, batch.retry, process.bulk) share around
 * their kind's chunk loop — reading {"<id key>": N, "helper": bool}, asking a first
 * executor's helpers for the pending items (chunk_helpers), drawing the counter slot, and
 * after the run publishing the task-center push (to-do events of the items, batch.finished
 * of the finish: shared/taskcenter.h TASKCENTER_BATCH_END_SQL) and a drained executor's
 * continuation.
 *
 * Nothing here allocates; the job's kind publishes its own jobs through x->publish.
 */
#include <json-c/json.h>

#include "chunk.h"
#include "jobs.h"
#include "jsonh.h"
#include "rand.h"
#include "taskcenter.h"

int
jobs_exec_start(struct job_ctx *ctx, struct json_object *args, const struct job_exec *x,
                int64_t *id, int *slot, struct fb_err *err)
{
	int helper = 0;
	unsigned r;

	if (jsonh_get_int(args, x->id_key, 1, INT64_MAX, id, err) != 1) {
		if (err->code == FB_OK)
			fb_err_set(err, FB_EINVAL, "args.%s is required", x->id_key);
		return -1;
	}
	if (jsonh_get_bool(args, "helper", &helper, err) < 0)
		return -1;
	if (!helper) {
		long long pending;
		int want;

		if (x->pending(ctx->db, *id, &pending, err) < 0)
			return -1;
		want = chunk_helpers(ctx->cfg, pending);
		if (want > 0 && x->publish(ctx, *id, x->arg, want, err) < 0)
			return -1;
	}
	fb_random_bytes(&r, sizeof(r));
	*slot = (int)(r % 16);
	return 0;
}

int
jobs_exec_finish(struct job_ctx *ctx, const struct job_exec *x, int64_t id, int success,
                 int finished, int more, struct fb_err *err)
{
	/* The run wrote task-center rows; a lost publish is found by taskcenter.retry. */
	if ((success > 0 || finished) && taskcenter_publish(ctx->q, err) < 0)
		return -1;
	if (more && x->publish(ctx, id, x->arg, 1, err) < 0)
		return -1;
	return 0;
}
