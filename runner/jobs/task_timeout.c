/* SPDX-License-Identifier: MIT */
/*
 * task_timeout: the job task.timeout — time out the pending tasks past their due time,
 * one chunk per transaction (tasktimeout_chunk), until none are due or the runner drains;
 * then publish taskcenter.push when anything was timed out.  Run every minute by a system
 * crontab.  Idempotent: a task already timed out is no longer due.  No memory outlives the
 * call.
 */
#include "jobs.h"
#include "log.h"
#include "taskcenter.h"
#include "tasktimeout.h"

int
job_task_timeout(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	long long n = 0, total = 0;

	(void)args;
	do {
		if (tasktimeout_chunk(ctx->db, TASKTIMEOUT_CHUNK, &n, err) < 0)
			return -1;
		total += n;
	} while (n == TASKTIMEOUT_CHUNK && !*ctx->stopping);
	if (total == 0)
		return 0;
	log_info("tasks timed out", "job_id", LOG_STR(ctx->job_id), "timed_out", LOG_INT(total),
	         NULL);
	return taskcenter_publish(ctx->q, err);
}
