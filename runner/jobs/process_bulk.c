/* SPDX-License-Identifier: MIT */
/*
 * process_bulk: the job process.bulk — run a bulk process operation's pending sessions
 * through procexec_run, the way batch.execute runs a batch through the engine.
 *
 * args: {"op_id": N, "helper": bool}.  A job that is not a helper first asks for up to
 * batch.max_concurrency - 1 helpers, so that other workers and runners share a large
 * operation; each executor claims its own chunks and whoever finds nothing left finishes
 * the operation.  A drained executor with sessions left publishes a continuation before
 * it is acknowledged.  Lost jobs are found again by the recovery scan (batch.recover).
 */
#include <json-c/json.h>

#include "chunk.h"
#include "jobs.h"
#include "jsonh.h"
#include "log.h"
#include "procexec.h"
#include "procop.h"
#include "rand.h"
#include "taskcenter.h"

int
job_process_bulk(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	struct procexec_result r = {0};
	int64_t id;
	int helper = 0, i;
	unsigned slot;

	if (jsonh_get_int(args, "op_id", 1, INT64_MAX, &id, err) != 1) {
		if (err->code == FB_OK)
			fb_err_set(err, FB_EINVAL, "args.op_id is required");
		return -1;
	}
	if (jsonh_get_bool(args, "helper", &helper, err) < 0)
		return -1;
	if (!helper) {
		long long pending;
		int want;

		if (procop_pending(ctx->db, id, &pending, err) < 0)
			return -1;
		want = chunk_helpers(ctx->cfg, pending);
		for (i = 0; i < want; i++)
			if (procop_publish(ctx->q, id, 1, err) < 0)
				return -1;
	}
	fb_random_bytes(&slot, sizeof(slot));
	if (procexec_run(ctx->db, ctx->cfg, id, (int)(slot % 16), ctx->stopping, &r, err) < 0)
		return -1;
	/* Cancelled to-dos wrote task-center rows; a lost publish is found by taskcenter.retry. */
	if (r.success > 0 && taskcenter_publish(ctx->q, err) < 0)
		return -1;
	if (r.more && procop_publish(ctx->q, id, 1, err) < 0)
		return -1;
	log_info("process bulk executor done", "job_id", LOG_STR(ctx->job_id), "op_id", LOG_INT(id),
	         "success", LOG_INT(r.success), "failed", LOG_INT(r.failed), "ignored",
	         LOG_INT(r.ignored), "finished", LOG_INT(r.finished), "more", LOG_INT(r.more), NULL);
	return 0;
}
