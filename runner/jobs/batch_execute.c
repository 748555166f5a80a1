/* SPDX-License-Identifier: MIT */
/*
 * batch_execute: the jobs batch.execute and batch.retry — run a batch's pending items
 * through the engine.
 *
 * args: {"batch_id": N, "helper": bool}.  A job that is not a helper first asks for up to
 * batch.max_concurrency - 1 helper jobs, so that other workers and other runners share a
 * large batch; every executor claims its own chunks, and whoever finds nothing left
 * finishes the batch.  A drained executor with items left publishes a continuation
 * before it is acknowledged.
 */
#include <json-c/json.h>

#include "batch.h"
#include "engine.h"
#include "jobs.h"
#include "jsonh.h"
#include "log.h"
#include "metrics.h"
#include "runners.h"

/* The items this executor settled, into the runner's metrics. */
static void
count_items(struct job_ctx *ctx, const char *type, const struct chunk_result *r)
{
	const char *outcome[3] = {"success", "failed", "ignored"};
	const int n[3] = {r->success, r->failed, r->ignored};
	char labels[96];
	int i;

	for (i = 0; i < 3 && ctx->metrics != NULL; i++) {
		snprintf(labels, sizeof(labels), "type=\"%s\",outcome=\"%s\"", type, outcome[i]);
		metrics_add(ctx->metrics, &runners_m_items, labels, (uint64_t)(n[i] > 0 ? n[i] : 0));
	}
}

/* n executors of type (arg) for batch id, as helpers. */
static int
publish_helpers(struct job_ctx *ctx, int64_t id, const void *arg, int n, struct fb_err *err)
{
	struct json_object *args = json_object_new_object();
	int i, rc = 0;

	jsonh_add_int(args, "batch_id", id);
	jsonh_add_bool(args, "helper", 1);
	for (i = 0; i < n && rc == 0; i++) {
		char job[37] = "";

		rc = queue_publish(ctx->q, QUEUE_COMMON, (const char *)arg, args, job, err);
	}
	json_object_put(args);
	return rc;
}

static int
run(struct job_ctx *ctx, struct json_object *args, const char *type, struct fb_err *err)
{
	const struct job_exec x = {"batch_id", batch_pending, publish_helpers, type};
	struct chunk_result r = {0};
	int64_t id;
	int slot;

	if (jobs_exec_start(ctx, args, &x, &id, &slot, err) < 0)
		return -1;
	if (engine_run(ctx->db, ctx->cfg, id, slot, ctx->stopping, &r, err) < 0) {
		count_items(ctx, type, &r); /* the chunks committed before the failure */
		return -1;
	}
	count_items(ctx, type, &r);
	if (jobs_exec_finish(ctx, &x, id, r.success, r.finished, r.more, err) < 0)
		return -1;
	log_info("batch executor done", "job_id", LOG_STR(ctx->job_id), "batch_id", LOG_INT(id),
	         "success", LOG_INT(r.success), "failed", LOG_INT(r.failed), "ignored",
	         LOG_INT(r.ignored), "finished", LOG_INT(r.finished), "more", LOG_INT(r.more), NULL);
	return 0;
}

int
job_batch_execute(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	return run(ctx, args, "batch.execute", err);
}

int
job_batch_retry(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	return run(ctx, args, "batch.retry", err);
}
