/* SPDX-License-Identifier: MIT */
/*
 * batch_recover: the job batch.recover — find batches whose execution was lost (a runner
 * died, Redis lost the job) and failed items due for an automatic retry, and publish the
 * jobs that carry them on; then let go of the task locks of batches that can no longer act
 * on them (each release logged), and forget idempotency keys and throughput rows past their
 * time.  One runner at a time: the scan holds a Redis lock, and the rows it changes are
 * locked in PostgreSQL, which remains the real guard.  Bulk process operations whose execution was
 * lost are found by the same scan (procop_recover_scan) and published again.
 */
#include <stdlib.h>
#include <json-c/json.h>

#include "batch.h"
#include "idem.h"
#include "jobs.h"
#include "log.h"
#include "overview.h"
#include "procop.h"

/* Locks released per transaction, and transactions per run (the next run goes on). */
#define SWEEP_BATCH 500
#define SWEEP_ROUNDS 20

static int
sweep_locks(struct job_ctx *ctx, struct fb_err *err)
{
	int round;

	for (round = 0; round < SWEEP_ROUNDS; round++) {
		struct tasklock_release *rel;
		size_t n, i;

		if (batch_recover_locks(ctx->db, ctx->cfg, SWEEP_BATCH, &rel, &n, err) < 0)
			return -1;
		for (i = 0; i < n; i++)
			log_info("stale batch lock released", "job_id", LOG_STR(ctx->job_id), "batch_id",
			         LOG_INT(rel[i].batch_id), "task_id", LOG_INT(rel[i].task_id), "reason",
			         LOG_STR(rel[i].reason), NULL);
		free(rel);
		if (n < SWEEP_BATCH)
			break;
	}
	return 0;
}

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
	free(ids);
	ids = NULL;
	if (procop_recover_scan(ctx->db, ctx->cfg, &ids, &nids, err) < 0)
		goto out;
	for (i = 0; i < nids; i++)
		if (procop_publish(ctx->q, ids[i], 0, err) < 0)
			goto out;
	if (nids > 0)
		log_info("process bulk recovery", "job_id", LOG_STR(ctx->job_id), "resumed",
		         LOG_INT(nids), NULL);
	if (sweep_locks(ctx, err) < 0)
		goto out;
	{
		long long purged;

		if (idem_purge(ctx->db, &purged, err) < 0)
			goto out;
		if (purged > 0)
			log_info("idempotency keys purged", "job_id", LOG_STR(ctx->job_id), "keys",
			         LOG_INT(purged), NULL);
		if (overview_purge(ctx->db, &purged, err) < 0)
			goto out;
		if (purged > 0)
			log_info("throughput rows purged", "job_id", LOG_STR(ctx->job_id), "rows",
			         LOG_INT(purged), NULL);
	}
	rc = 0;
out:
	queue_unlock(ctx->q, "batch-recover", token, NULL);
	free(ids);
	free(retry);
	return rc;
}
