/* SPDX-License-Identifier: MIT */
/*
 * jobs: the job types the runner knows, and the parsing of a job message.
 *
 * A job type is a name, a handler and the priority its jobs are published with by default.
 * The table lives in registry.c; adding a type is one line there plus a file in
 * runner/jobs/ with its handler.  A handler runs with everything it needs in struct
 * job_ctx (all borrowed for the duration of the call) and must be idempotent: the same
 * job may be delivered again after a crash or a lost acknowledgement.
 */
#ifndef FB_JOBS_H
#define FB_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "queue.h"

struct db;
struct json_object;
struct metrics;

struct job_ctx {
	const struct fb_config *cfg; /* the current settings */
	struct db *db;               /* this worker's PostgreSQL connection */
	struct queue *q;             /* this worker's Redis connection (publish, locks) */
	const char *consumer;        /* "host:pid:n" */
	const char *job_id;
	int attempt;                 /* 1 on the first run, counted in job_runs */
	volatile int *stopping;      /* non-zero once the runner drains: finish, start nothing new */
	struct metrics *metrics;     /* the runner's metrics (runners.h families); may be NULL */
};

/*
 * 0: done (recorded and acknowledged).  -1: failed, err says why.  A failure whose code is
 * FB_EDB or FB_EREDIS is transient: the job stays unacknowledged and runs again later; any
 * other failure is recorded and acknowledged.
 */
typedef int (*job_fn)(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);

struct job_type {
	const char *name;
	job_fn run;
	enum queue_prio prio;
};

/* The type called name, or NULL.  Borrowed from a static table. */
const struct job_type *jobs_find(const char *type);
/* Every registered type; *n gets the count. */
const struct job_type *jobs_all(int *n);

/* Largest job message accepted, in bytes. */
#define JOBS_MAX_MSG (1024 * 1024)

/* A parsed job message. */
struct job_msg {
	char id[65];
	char type[65];
	char enqueued_at[32]; /* RFC 3339 UTC as published; "" when absent or malformed */
	int attempt;
	struct json_object *args; /* owned: job_msg_clear() releases it; an object, never NULL */
};

/*
 * Parse {"id","type","args","enqueued_at","attempt"} (strict JSON, valid UTF-8, bounded
 * size and depth).  On success the caller clears msg with job_msg_clear().
 */
int jobs_parse_msg(const char *text, size_t len, struct job_msg *msg,
                   struct fb_err *err) FB_MUSTCHECK;
void job_msg_clear(struct job_msg *msg);

/*
 * An executor job's kind (executor.c): the args key of its work's id ("batch_id",
 * "op_id"), the count of its pending items, and how to publish n more executors of it
 * (helpers: {"<id key>": id, "helper": true}); arg is the kind's own, passed back.
 */
struct job_exec {
	const char *id_key;
	int (*pending)(struct db *db, int64_t id, long long *n, struct fb_err *err);
	int (*publish)(struct job_ctx *ctx, int64_t id, const void *arg, int n,
	               struct fb_err *err);
	const void *arg;
};

/*
 * Read args' id (into *id) and helper flag; a first executor (not a helper) publishes
 * chunk_helpers() helpers for the pending items.  *slot gets the counter slot to use.
 */
int jobs_exec_start(struct job_ctx *ctx, struct json_object *args, const struct job_exec *x,
                    int64_t *id, int *slot, struct fb_err *err) FB_MUSTCHECK;
/*
 * After the run: publish the task-center push when items succeeded or this executor
 * finished the work (its finish statement wrote the batch.finished events), and a
 * continuation when the executor drained with items left (more).
 */
int jobs_exec_finish(struct job_ctx *ctx, const struct job_exec *x, int64_t id, int success,
                     int finished, int more, struct fb_err *err) FB_MUSTCHECK;

/*
 * Cooperative cancel: 1 when the job in hand is a scheduled run (job id cron-...) whose
 * crontab asked it to stop (overlap replace), 0 otherwise (also when the database does not
 * answer: the job goes on).  Jobs that work in steps look between steps and, on 1, stop
 * and return 0; the run is then recorded as cancelled.
 */
int jobs_cancel_requested(struct job_ctx *ctx);

/* Handlers, one per file in runner/jobs/. */
int job_noop(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_batch_execute(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_batch_retry(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_batch_recover(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_process_bulk(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_taskcenter_push(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_taskcenter_retry(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_crontab_purge(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_task_timeout(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_alert_evaluate(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);
int job_http_call(struct job_ctx *ctx, struct json_object *args, struct fb_err *err);

#endif
