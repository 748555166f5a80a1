/* SPDX-License-Identifier: MIT */
/*
 * taskcenter: the outbox of to-do changes pushed to third-party platforms.
 *
 * A task change writes its task_center_log rows (one per enabled platform, one per
 * (task, platform, event)) in the caller's transaction; taskcenter.push claims due rows,
 * sends them (runner/jobs/taskcenter_push.c) and records the answers here; taskcenter.retry
 * queues failed rows again after their interval, abandons them at max_retries, and queues
 * again rows whose sender died.  Every function takes a struct db borrowed for the call;
 * results are owned by the caller as each function says.
 */
#ifndef FB_TASKCENTER_H
#define FB_TASKCENTER_H

#include <stdint.h>
#include <stddef.h>

#include "err.h"
#include "webhook.h"

struct db;
struct queue;

/*
 * Write event ("create", "done", "cancel", "timeout") of task_id for every enabled
 * platform, with a snapshot of the task as it is in this transaction.  Writing the same
 * event twice is a no-op.  Call inside the transaction that changed the task.
 */
int taskcenter_task_event(struct db *db, int64_t task_id, const char *event,
                          struct fb_err *err) FB_MUSTCHECK;
/*
 * The approval steps of the tasks task_ids (a bigint[] literal, e.g. a chunk's approved
 * tasks) were written: for each its "done", and a "create" for every pending task of its
 * session that has none yet (the next task), in one statement.  Same transaction.
 */
int taskcenter_tasks_advanced(struct db *db, const char *task_ids,
                              struct fb_err *err) FB_MUSTCHECK;

/*
 * The "cancel" of every task of the sessions session_ids (a bigint[] literal) that this
 * transaction cancelled (their finished time is the transaction's now()).  Same transaction.
 */
int taskcenter_sessions_cancelled(struct db *db, const char *session_ids,
                                  struct fb_err *err) FB_MUSTCHECK;

/*
 * The statement that ends a batch or bulk process operation and also writes, in the same
 * statement, its "batch.finished" event for every enabled platform that opts in
 * (notify_batch_finished): update is an UPDATE of its table by id ($1) that may end it
 * (the CHUNK_FINISH_UPDATE or the CHUNK_CANCEL_SQL of the table), ended a condition on f,
 * the updated row, that holds when this statement ended the work, kind "batch" or
 * "operation", col its column in task_center_log (batch_id, op_id), counters its counter
 * table keyed by key, extra more members of the event (a jsonb expression over f starting
 * with "||", or "").  The payload holds kind, id, status (finished, cancelled), submitter
 * (login), total, success, failed, ignored, cancelled, started, finished; the webhook id
 * is msg_tc_<kind>_<id>_<platform>_<end time in µs>, one per end.  Like CHUNK_FINISH_SQL
 * it answers one row per updated row.
 */
#define TASKCENTER_END_SQL(update, ended, kind, col, counters, key, extra)                   \
	"WITH f AS (" update " RETURNING *),"                                                    \
	" n AS (INSERT INTO task_center_log (" col ", platform_id, event, webhook_id, payload)"   \
	"  SELECT f.id, p.id, 'batch.finished', 'msg_tc_" kind "_' || f.id || '_' || p.id"       \
	"   || '_' || (extract(epoch FROM f.finished) * 1000000)::bigint,"                       \
	"   jsonb_build_object('kind', '" kind "', 'id', f.id, 'status', f.status,"              \
	"    'submitter', u.login, 'total', f.total, 'success', f.success + coalesce(c.success, 0)," \
	"    'failed', f.failed + coalesce(c.failed, 0), 'ignored', f.ignored + coalesce(c.ignored, 0)," \
	"    'cancelled', f.cancelled + coalesce(c.cancelled, 0), 'started', f.started,"         \
	"    'finished', f.finished) " extra                                                     \
	"  FROM f JOIN users u ON u.id = f.creator"                                              \
	"  LEFT JOIN LATERAL (SELECT sum(success) AS success, sum(failed) AS failed,"            \
	"   sum(ignored) AS ignored, sum(cancelled) AS cancelled FROM " counters                 \
	"   WHERE " key " = f.id) c ON true"                                                     \
	"  CROSS JOIN task_center_platform p WHERE p.enabled AND p.notify_batch_finished"        \
	"   AND (" ended ")"                                                                     \
	"  ORDER BY p.id ON CONFLICT (webhook_id) DO NOTHING)"                                   \
	" SELECT 1 FROM f"
/* A batch's and a bulk operation's end statements (update and ended as above). */
#define TASKCENTER_BATCH_END_SQL(update, ended)                                              \
	TASKCENTER_END_SQL(update, ended, "batch", "batch_id", "batch_counter", "batch_id",      \
	                   "|| jsonb_build_object('superseded',"                                 \
	                   " (SELECT coalesce(sum(superseded), 0)"                               \
	                   " FROM batch_counter WHERE batch_id = f.id))")
#define TASKCENTER_OP_END_SQL(update, ended)                                                 \
	TASKCENTER_END_SQL(update, ended, "operation", "op_id", "process_bulk_counter", "op_id", "")
/* The condition of a cancel (CHUNK_CANCEL_SQL): it moved the work to cancelled just now. */
#define TASKCENTER_CANCEL_ENDED "f.status = 'cancelled' AND f.finished = now()"

/* Publish a taskcenter.push job (after the commit that wrote rows). */
int taskcenter_publish(struct queue *q, struct fb_err *err) FB_MUSTCHECK;

struct tc_platform {
	int64_t id;
	char *url;
	char *secret;        /* NULL: requests go unsigned */
	int connect_timeout_ms;
	int timeout_ms;      /* total */
	int max_concurrency;
};

/* The enabled platforms: *out is an array of *n the caller frees with taskcenter_platforms_free. */
int taskcenter_platforms(struct db *db, struct tc_platform **out, size_t *n,
                         struct fb_err *err) FB_MUSTCHECK;
void taskcenter_platforms_free(struct tc_platform *p, size_t n);

struct tc_delivery {
	int64_t id;
	char webhook_id[96];
	char *body;          /* the JSON request body, owned */
};

/* One answer to a delivery: the row's id and what the request gave. */
struct tc_answer {
	int64_t id;
	struct webhook_result res;
};

/*
 * Record the na answers a (see taskcenter_record; none when na is 0), then claim up to
 * max_concurrency minus the rows of platform p being sent (by anyone) of its due queued
 * rows, oldest first, skipping a row while an earlier row of the same task and platform is
 * not settled; one statement, one transaction, whose commit does not wait for the WAL
 * flush (a claim or answer lost in a crash of PostgreSQL means the row is sent again under
 * the same webhook id).  The rows become 'sending' with a lease of the platform's timeout
 * plus a margin.  A task's event links to task_url + its id, a batch.finished to
 * console_url + "#/batch/<id>" or "#/process/op/<id>" (no link when they are empty).
 * *out: array of *n the caller frees with taskcenter_deliveries_free.
 */
int taskcenter_claim(struct db *db, const struct tc_platform *p, const char *task_url,
                     const char *console_url, const struct tc_answer *a, size_t na,
                     struct tc_delivery **out, size_t *n, struct fb_err *err) FB_MUSTCHECK;
void taskcenter_deliveries_free(struct tc_delivery *d, size_t n);

/*
 * Record the n answers a in one statement, each as its result classified it: delivered,
 * rejected, or failed (WEBHOOK_RETRY).  A row keeps webhook_result_text cut to 1000 bytes
 * (made valid UTF-8 here) and the HTTP status; a failure's next try is
 * retry_interval_minutes with jitter later, or the Retry-After when that is later.  Rows
 * no longer 'sending' (their lease ran out and another sender took them) are left alone.
 * The commit does not wait for the WAL flush, as taskcenter_claim's.
 */
int taskcenter_record(struct db *db, const struct tc_answer *a, size_t n,
                      struct fb_err *err) FB_MUSTCHECK;

struct tc_retry_result {
	long long requeued;  /* failed rows queued again */
	long long abandoned;
	long long expired;   /* 'sending' rows whose lease ran out, queued again */
	long long due;       /* queued rows due now, after the above */
};
/* One retry round in one transaction (see the module comment). */
int taskcenter_retry(struct db *db, struct tc_retry_result *r, struct fb_err *err) FB_MUSTCHECK;

/*
 * The tasks of the last days days (the seed's 3: taskcenter.sweep_days), of app versions
 * that are not test versions, that have no row at all for an enabled platform (a platform
 * added or enabled later) get their create and the event of their state, as the seed's
 * retry did: chunks of chunk tasks, one
 * transaction each, walked in (created, id) order, at most max_chunks of them (*more is 1
 * when the walk stopped there).  *tasks and *rows receive what was found and written.
 */
int taskcenter_sweep_missing(struct db *db, int days, int chunk, int max_chunks, long long *tasks,
                             long long *rows, int *more, struct fb_err *err) FB_MUSTCHECK;

/* One event reconciliation found missing (taskcenter_reconcile). */
struct tc_missing {
	int64_t task_id, platform_id;
	char event[16];
};
/*
 * Tasks created in the last since_s seconds, of app versions that are not test versions,
 * whose events for an enabled platform (platform_id, or every one when 0) are not all
 * there: every task has a create, and a done, cancelled or timed-out task the event of its
 * state.  A missing event is one with no row, or whose row was abandoned.  Unless dry_run,
 * the missing events are queued (a new row, or the abandoned row queued again with its
 * retries reset), a task's create before its later event, in one transaction; the caller
 * publishes taskcenter.push after.  *out: array of *n the caller frees.
 */
int taskcenter_reconcile(struct db *db, long since_s, int64_t platform_id, int dry_run,
                         struct tc_missing **out, size_t *n, struct fb_err *err) FB_MUSTCHECK;

/* "3d", "12h", "30m", "90s" in seconds; -1 when malformed or over 366 days. */
long taskcenter_age_seconds(const char *s);

/* task_center_config.  0 / -1. */
int taskcenter_config_get(struct db *db, int *max_retries, int *retry_interval_minutes,
                          struct fb_err *err) FB_MUSTCHECK;
int taskcenter_config_set(struct db *db, int max_retries, int retry_interval_minutes,
                          struct fb_err *err) FB_MUSTCHECK;

/* A filter of the log listing; 0 / NULL fields do not filter. */
struct tc_log_filter {
	int64_t task_id, platform_id;
	const char *status;
	long since_s;
};
/*
 * The log rows that match f, newest first: a new {"items":[...],"total","page","page_size"}
 * the caller puts, or NULL with err.  No row holds a secret.
 */
struct json_object *taskcenter_logs(struct db *db, const struct tc_log_filter *f, int64_t page,
                                    int64_t page_size, struct fb_err *err) FB_MUSTCHECK;
/*
 * Queue log row id again (failed, abandoned or rejected: retries reset).  1 queued, 0 no
 * such row (err FB_ENOTFOUND) or a row in another status (err FB_ECONFLICT), -1 on error.
 */
int taskcenter_log_retry(struct db *db, int64_t id, struct fb_err *err) FB_MUSTCHECK;
/*
 * Queue again every failed, abandoned or rejected row that f selects (retries reset), in
 * one statement; *count receives how many.  The caller publishes taskcenter.push.
 */
int taskcenter_logs_retry(struct db *db, const struct tc_log_filter *f, long long *count,
                          struct fb_err *err) FB_MUSTCHECK;

/*
 * Delivery status at a glance: every platform (id, name, enabled) with its rows created
 * in the last 24 hours by state — delivered, pending (queued or being sent), failing
 * (failed, to be retried), rejected, abandoned — over task_center_log_created_idx: a new
 * array the caller puts, or NULL with err.
 */
struct json_object *taskcenter_status(struct db *db, struct fb_err *err) FB_MUSTCHECK;

/*
 * Platforms as the admin API shows them (never the secret; has_secret says whether one is
 * set): the list (a new array), or one (a new object; NULL with FB_ENOTFOUND).
 */
struct json_object *taskcenter_platform_list(struct db *db, struct fb_err *err) FB_MUSTCHECK;
struct json_object *taskcenter_platform_get(struct db *db, int64_t id,
                                            struct fb_err *err) FB_MUSTCHECK;
/* The members of a platform to write; NULL / -1 keep (or default, on create). */
struct tc_platform_in {
	const char *name, *url, *secret;
	int enabled, notify_batch_finished; /* -1 keep */
	int connect_timeout_ms, timeout_ms, max_concurrency; /* -1 keep */
};
/*
 * Create (*id == 0; *id receives the new id) or update platform *id.  FB_ECONFLICT when
 * the name is taken, FB_ENOTFOUND when there is no such platform.
 */
int taskcenter_platform_save(struct db *db, int64_t *id, const struct tc_platform_in *in,
                             struct fb_err *err) FB_MUSTCHECK;
/*
 * Send platform id (enabled or not) a signed "ping" now and wait for the answer:
 * {"event":"ping","platform":{"id","name"},"occurred_at"} under a new webhook id
 * "msg_tc_ping_<platform>_<random>" written into webhook_id.  0 with *res filled when the
 * request was made (whatever its outcome), -1 with err (FB_ENOTFOUND: no such platform).
 */
int taskcenter_platform_ping(struct db *db, int64_t id, char webhook_id[64],
                             struct webhook_result *res, struct fb_err *err) FB_MUSTCHECK;
/* Delete platform id and its log rows; FB_ENOTFOUND when there is none. */
int taskcenter_platform_delete(struct db *db, int64_t id, struct fb_err *err) FB_MUSTCHECK;

#endif
