/* SPDX-License-Identifier: MIT */
/*
 * crontab_purge: the job crontab.purge — delete finished crontab history rows older than
 * scheduler.history_days, in chunks (crontab_purge).  Run by a system crontab.  No memory
 * outlives the call.
 */
#include "crontab_fire.h"
#include "jobs.h"
#include "log.h"

int
job_crontab_purge(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	long long n = 0;

	(void)args;
	if (crontab_purge(ctx->db, ctx->cfg, &n, err) < 0)
		return -1;
	log_info("crontab history purged", "job_id", LOG_STR(ctx->job_id), "deleted", LOG_INT(n),
	         NULL);
	return 0;
}
