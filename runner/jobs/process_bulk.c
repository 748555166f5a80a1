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
#include "jobs.h"
#include "log.h"
#include "procexec.h"
#include "procop.h"

/* n executors of operation id, as helpers. */
static int
publish_helpers(struct job_ctx *ctx, int64_t id, const void *arg, int n, struct fb_err *err)
{
	int i;

	(void)arg;
	for (i = 0; i < n; i++)
		if (procop_publish(ctx->q, id, 1, err) < 0)
			return -1;
	return 0;
}

int
job_process_bulk(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	const struct job_exec x = {"op_id", procop_pending, publish_helpers, NULL};
	struct chunk_result r = {0};
	int64_t id;
	int slot;

	if (jobs_exec_start(ctx, args, &x, &id, &slot, err) < 0)
		return -1;
	if (procexec_run(ctx->db, ctx->cfg, id, slot, ctx->stopping, &r, err) < 0)
		return -1;
	if (jobs_exec_finish(ctx, &x, id, r.success, r.finished, r.more, err) < 0)
		return -1;
	log_info("process bulk executor done", "job_id", LOG_STR(ctx->job_id), "op_id", LOG_INT(id),
	         "success", LOG_INT(r.success), "failed", LOG_INT(r.failed), "ignored",
	         LOG_INT(r.ignored), "finished", LOG_INT(r.finished), "more", LOG_INT(r.more), NULL);
	return 0;
}
