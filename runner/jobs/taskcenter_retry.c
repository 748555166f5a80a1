/* SPDX-License-Identifier: MIT */
/*
 * taskcenter_retry: the job taskcenter.retry, a system crontab every minute — queue again
 * the failed task-center rows whose next try is due (their failed_at plus
 * retry_interval_minutes with jitter, or a later Retry-After) while retry_count <
 * max_retries, abandon those at max_retries, queue again rows whose sender died (lease
 * over); then give the tasks of the last taskcenter.sweep_days days (3) that have no row for
 * an enabled platform their events (a platform added later gets them), SWEEP_CHUNK tasks
 * per transaction; and
 * publish taskcenter.push when anything is due: this is also how a push lost after its
 * commit is found again.  One runner at a time (a Redis lock); the rows it changes are
 * changed in short transactions, the real guard.
 */
#include "jobs.h"
#include "log.h"
#include "taskcenter.h"

/* Tasks per transaction of the sweep, and transactions per run (the next run goes on). */
#define SWEEP_CHUNK 1000
#define SWEEP_CHUNKS 20

int
job_taskcenter_retry(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	struct tc_retry_result r;
	long long tasks = 0, rows = 0;
	char token[33];
	int got, more = 0, rc = -1;

	(void)args;
	got = queue_lock(ctx->q, "taskcenter-retry", 60000, token, err);
	if (got <= 0)
		return got;
	if (ctx->cfg->taskcenter_sweep_days > 0 &&
	    taskcenter_sweep_missing(ctx->db, ctx->cfg->taskcenter_sweep_days, SWEEP_CHUNK,
	                             SWEEP_CHUNKS, &tasks, &rows, &more, err) < 0)
		goto out;
	if (rows > 0)
		log_info("task-center rows written for tasks without any", "job_id", LOG_STR(ctx->job_id),
		         "tasks", LOG_INT(tasks), "rows", LOG_INT(rows), "more", LOG_INT(more), NULL);
	if (taskcenter_retry(ctx->db, &r, err) < 0)
		goto out;
	if (r.requeued + r.abandoned + r.expired > 0)
		log_info("task-center retry", "job_id", LOG_STR(ctx->job_id), "requeued",
		         LOG_INT(r.requeued), "abandoned", LOG_INT(r.abandoned), "lease_expired",
		         LOG_INT(r.expired), "due", LOG_INT(r.due), NULL);
	if (r.due > 0 && taskcenter_publish(ctx->q, err) < 0)
		goto out;
	rc = 0;
out:
	queue_unlock(ctx->q, "taskcenter-retry", token, NULL);
	return rc;
}
