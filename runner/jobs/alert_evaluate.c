/* SPDX-License-Identifier: MIT */
/*
 * alert_evaluate: the job alert.evaluate — apply every alert rule a runner can see (all
 * but no_live_runner, alert.h), then send the alert webhooks that are due.  Run every
 * minute by a system crontab whose overlap policy is forbid, so one evaluation runs at a
 * time.  Idempotent: applying the same firing sets again only moves last_seen.  No memory
 * outlives the call.
 */
#include "alert.h"
#include "alertsend.h"
#include "jobs.h"
#include "log.h"

int
job_alert_evaluate(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	struct alertsend_counts s;
	struct alert_counts c;
	struct fb_err e = {0};
	int rc;

	(void)args;
	rc = alert_evaluate(ctx->db, ctx->q, ctx->cfg, &c, err);
	log_debug("alerts evaluated", "job_id", LOG_STR(ctx->job_id), "raised", LOG_INT(c.raised),
	          "kept", LOG_INT(c.kept), "resolved", LOG_INT(c.resolved), "failed",
	          LOG_INT(c.failed), NULL);
	/* Whatever the rules did, what is due goes out (a rule's failure is reported after). */
	if (alertsend_due(ctx->db, ctx->cfg, &s, rc < 0 ? &e : err) < 0 && rc == 0)
		rc = -1;
	fb_err_clear(&e);
	return rc;
}
