/* SPDX-License-Identifier: MIT */
/*
 * batch_recover: the job batch.recover — find batches whose execution was lost (a runner
 * died, Redis lost the job) and failed items due for an automatic retry, and publish the
 * jobs that carry them on.  One runner at a time: the scan holds a Redis lock, and the
 * rows it changes are locked in PostgreSQL, which remains the real guard.
 */
#include <stdlib.h>
#include <json-c/json.h>

#include "batch.h"
#include "jobs.h"
#include "log.h"

int
job_batch_recover(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	int64_t *ids = NULL, *retry = NULL;
	size_t nids = 0, nretry = 0, i;
	char token[33];
	int rc = -1, got;

	(void)args;
	got = queue_lock(ctx->q, "batch-recover", 60000, token, err);
	if (got < 0)
		return -1;
	if (got == 0) {
		log_info("batch recovery already running elsewhere", "job_id", LOG_STR(ctx->job_id), NULL);
		return 0;
	}
	if (batch_recover_scan(ctx->db, ctx->cfg, &ids, &nids, &retry, &nretry, err) < 0)
		goto out;
	for (i = 0; i < nids; i++)
		if (batch_publish(ctx->q, "batch.execute", ids[i], err) < 0)
			goto out;
	for (i = 0; i < nretry; i++)
		if (batch_publish(ctx->q, "batch.retry", retry[i], err) < 0)
			goto out;
	if (nids + nretry > 0)
		log_info("batch recovery", "job_id", LOG_STR(ctx->job_id), "resumed", LOG_INT(nids),
		         "retried", LOG_INT(nretry), NULL);
	rc = 0;
out:
	queue_unlock(ctx->q, "batch-recover", token, NULL);
	free(ids);
	free(retry);
	return rc;
}
