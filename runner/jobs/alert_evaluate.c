/* SPDX-License-Identifier: MIT */
/*
 * alert_evaluate: the job alert.evaluate — apply every alert rule a runner can see (all
 * but no_live_runner, alert.h), then send the alert webhooks that are due.  Run every
 * minute by a system crontab whose overlap policy is forbid, so one evaluation runs at a
 * time.  Idempotent: applying the same firing sets again only moves last_seen.  No memory
 * outlives the call.
 */
#include "alert.h"
#include "jobs.h"
#include "log.h"

int
job_alert_evaluate(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	struct alert_counts c;
	int rc;

	(void)args;
	rc = alert_evaluate(ctx->db, ctx->q, ctx->cfg, &c, err);
	log_debug("alerts evaluated", "job_id", LOG_STR(ctx->job_id), "raised", LOG_INT(c.raised),
	          "kept", LOG_INT(c.kept), "resolved", LOG_INT(c.resolved), "failed",
	          LOG_INT(c.failed), NULL);
	return rc;
}
