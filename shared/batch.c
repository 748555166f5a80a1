/* SPDX-License-Identifier: MIT */
/*
 * batch: reads, cancel, retry and recovery of batches (see batch.h; creating one is
 * batch_submit.c).  Reads are scoped to the batch's creator; another user's batch is
 * "not found", not "forbidden", so that ids reveal nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "batch.h"
#include "chunk.h"
#include "taskcenter.h"
#include "jsonh.h"
#include "listing.h"
#include "mem.h"
#include "msg.h"
#include "utf8.h"
#include "node.h"
#include "pgcopy.h"
#include "queue.h"
#include "rand.h"
#include "schema.h"
#include "db.h"

/*
 * Pending items not in flight become cancelled and their tasks unlocked; nothing will
 * retry the failed items now either: their tasks go back to people.
 */
static int
cancel_items(struct db *db, int64_t id, long long *n, struct fb_err *err)
{
	char bid[DB_ID_MAX], owner[40];
	PGresult *res;

	db_id(bid, id);
	snprintf(owner, sizeof(owner), "batch:%lld", (long long)id);
	res = db_query(db, "batch_cancel_items",
	               "WITH d AS (" CHUNK_CANCEL_ITEMS_SQL("batch_task_detail", "batch_id", "task_id") "),"
	               " t AS (UPDATE tasks SET lock_kind = NULL, lock_owner = NULL, locked_at = NULL"
	               "  WHERE id IN (SELECT task_id FROM d) AND lock_owner = $2)"
	               " SELECT count(*) FROM d",
	               2, (const char *[]){bid, owner}, err);
	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return tasklock_release_batch(db, id, NULL, err);
}

const struct chunk_kind batch_kind = {
	CHUNK_KIND("batch", "batch_task", "batch_task_detail", "batch_id"),
	.id_field = "batch_id",
	.item_field = "detail_id",
	.counter = CHUNK_COUNTER("engine_count", "batch_counter", "batch_id", "batch_task", "batch"),
	.today_stmt = "batch_today",
	.today_sql = CHUNK_TODAY_SQL("batch_task", BATCH_COUNTS_JOIN),
	.finish_stmt = "engine_finish",
	.finish_sql = TASKCENTER_BATCH_END_SQL(
	    CHUNK_FINISH_UPDATE("batch_task", "batch_task_detail", "batch_id"), "true"),
	/* A cancel that ends the batch tells its submitter (batch.finished, status cancelled). */
	.cancel_stmt = "batch_cancel_count",
	.cancel_sql = TASKCENTER_BATCH_END_SQL(CHUNK_CANCEL_SQL("batch_task"), TASKCENTER_CANCEL_ENDED),
	.not_found = "batch.not_found",
	.cancelled = "batch.cancelled",
	.cancel_items = cancel_items,
};

int
batch_pending(struct db *db, int64_t id, long long *n, struct fb_err *err)
{
	return chunk_pending(db, &batch_kind, id, n, err);
}

int
batch_publish(struct queue *q, const char *type, int64_t id, struct fb_err *err)
{
	struct json_object *args = json_object_new_object();
	char job[37] = "";
	int rc;

	jsonh_add_int(args, "batch_id", id);
	rc = queue_publish(q, strcmp(type, "batch.execute") == 0 ? QUEUE_HIGH : QUEUE_COMMON, type,
	                   args, job, err);
	json_object_put(args);
	return rc;
}

/*
 * The counts of a batch: submission-time columns plus the executors' deltas (superseded
 * items only ever move by deltas).
 */
#define BATCH_COUNTS_SQL                                                                     \
	"b.total, b.success + coalesce(c.success, 0), b.failed + coalesce(c.failed, 0), "         \
	"b.ignored + coalesce(c.ignored, 0), b.cancelled + coalesce(c.cancelled, 0), "            \
	"coalesce(c.superseded, 0)"

static const char *const status_cols =
	"SELECT b.id, b.status, b.node_id, n.name, a.name, b.action, b.comment, b.source, "
	"b.is_single, to_char(b.created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	"to_char(b.started AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	"to_char(b.finished AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	"extract(epoch FROM coalesce(b.finished, now()) - b.started), " BATCH_COUNTS_SQL " ";

/* One batch row (columns of status_cols) as API JSON. */
static struct json_object *
batch_json(const PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	long long total = db_ll(res, row, 13), success = db_ll(res, row, 14),
	          failed = db_ll(res, row, 15), ignored = db_ll(res, row, 16),
	          cancelled = db_ll(res, row, 17), superseded = db_ll(res, row, 18);
	long long done = success + failed + ignored + cancelled + superseded;
	const char *elapsed = db_val(res, row, 12);
	static const char *const ts_names[] = {"created", "started", "finished"};
	int i;

	jsonh_add_int(o, "batch_id", db_ll(res, row, 0));
	jsonh_add_str(o, "status", PQgetvalue(res, row, 1));
	jsonh_add_int(o, "node_id", db_ll(res, row, 2));
	jsonh_add_str(o, "node_name", PQgetvalue(res, row, 3));
	jsonh_add_str(o, "app_name", PQgetvalue(res, row, 4));
	jsonh_add_str(o, "action", PQgetvalue(res, row, 5));
	jsonh_add_str(o, "comment", db_val(res, row, 6));
	jsonh_add_str(o, "source", PQgetvalue(res, row, 7));
	jsonh_add_bool(o, "is_single", strcmp(PQgetvalue(res, row, 8), "t") == 0);
	for (i = 0; i < 3; i++)
		jsonh_add_str(o, ts_names[i], db_val(res, row, 9 + i));
	jsonh_add_int(o, "total", total);
	jsonh_add_int(o, "success", success);
	jsonh_add_int(o, "failed", failed);
	jsonh_add_int(o, "ignored", ignored);
	jsonh_add_int(o, "cancelled", cancelled);
	jsonh_add_int(o, "superseded", superseded);
	jsonh_add_progress(o, total, done, elapsed);
	return o;
}

int
batch_status(struct db *db, const struct user_rec *u, int64_t id, struct json_object **out,
             struct fb_err *err)
{
	char bid[DB_ID_MAX], uid[DB_ID_MAX];
	const char *p[2] = {bid, uid};
	char *sql;
	PGresult *res;

	db_id(bid, id);
	db_id(uid, u->id);
	sql = xasprintf("%sFROM batch_task b JOIN nodes n ON n.id = b.node_id "
	                "JOIN app_versions av ON av.id = b.app_version_id JOIN apps a ON a.id = av.app_id "
	                BATCH_COUNTS_JOIN "WHERE b.id = $1 AND b.creator = $2",
	                status_cols);
	res = db_query(db, "batch_status", sql, 2, p, err);
	free(sql);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		fb_err_msg(err, FB_ENOTFOUND, "batch.not_found", msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	*out = batch_json(res, 0);
	PQclear(res);
	return 0;
}

int
batch_list(struct db *db, const struct user_rec *u, const char *status, int64_t page,
           int64_t page_size, struct json_object **out, struct fb_err *err)
{
	static const char *const statuses[] = {"init", "running", "finished", "cancelled", NULL};
	char uid[DB_ID_MAX], lim[24], off[24];
	const char *p[4] = {uid, status, lim, off};
	struct json_object *items;
	PGresult *res;
	char *sql;
	long long total = 0;
	int i;

	if (listing_status(status, statuses,
	                   "list.run_status",
	                   err) < 0)
		return -1;
	db_id(uid, u->id);
	listing_page(page, page_size, lim, off);
	sql = xasprintf("%s, count(*) OVER () FROM batch_task b JOIN nodes n ON n.id = b.node_id "
	                "JOIN app_versions av ON av.id = b.app_version_id JOIN apps a ON a.id = av.app_id "
	                BATCH_COUNTS_JOIN
	                "WHERE b.creator = $1 AND ($2::text IS NULL OR b.status = $2) "
	                "ORDER BY b.id DESC LIMIT $3 OFFSET $4",
	                status_cols);
	res = db_query(db, "batch_list", sql, 4, p, err);
	free(sql);
	if (res == NULL)
		return -1;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_object_array_add(items, batch_json(res, i));
		total = db_ll(res, i, 19);
	}
	if (PQntuples(res) == 0 && page > 1) {
		/* Past the end: the window count is unknown; count separately. */
		PGresult *c = db_query(db, "batch_list_count",
		                       "SELECT count(*) FROM batch_task WHERE creator = $1 "
		                       "AND ($2::text IS NULL OR status = $2)",
		                       2, p, err);

		if (c == NULL) {
			json_object_put(items);
			PQclear(res);
			return -1;
		}
		total = db_ll(c, 0, 0);
		PQclear(c);
	}
	PQclear(res);
	*out = jsonh_page(items, total, page, page_size);
	return 0;
}

int
batch_details(struct db *db, const struct user_rec *u, int64_t id, const char *status,
              int64_t page, int64_t page_size, enum msg_lang lang, struct json_object **out,
              struct fb_err *err)
{
	static const char *const statuses[] = {"pending", "success", "failed", "ignored",
	                                       "cancelled", "superseded", NULL};
	char bid[DB_ID_MAX], lim[24], off[24], st[16], uid[DB_ID_MAX];
	const char *p[5] = {bid, status, lim, off, uid};
	struct json_object *items;
	PGresult *res;
	long long total = 0;
	int i;

	if (listing_status(status, statuses,
	                   "list.detail_status",
	                   err) < 0)
		return -1;
	db_id(bid, id);
	db_id(uid, u->id);
	listing_page(page, page_size, lim, off);
	if (chunk_owned(db, &batch_kind, id, u->id, 0, st, err) < 0)
		return -1;
	/* A title only through a task of the batch's creator: what the listing showed. */
	res = db_query(db, "batch_details",
	               "SELECT d.task_id, d.status, d.error, d.retry_count, "
	               "to_char(d.finished AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	               "d.row_no, s.title, count(*) OVER (), d.error_code, d.error_params::text "
	               "FROM batch_task_detail d "
	               "LEFT JOIN tasks t ON t.id = d.task_id AND t.assignee = $5 "
	               "LEFT JOIN app_sessions s ON s.id = t.session_id "
	               "WHERE d.batch_id = $1 "
	               "AND ($2::text IS NULL OR d.status = $2) ORDER BY d.id LIMIT $3 OFFSET $4",
	               5, p, err);
	if (res == NULL)
		return -1;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *o = json_object_new_object();

		jsonh_add_int(o, "task_id", db_ll(res, i, 0));
		jsonh_add_str(o, "status", PQgetvalue(res, i, 1));
		msg_reason_add(o, db_val(res, i, 8), db_val(res, i, 9), db_val(res, i, 2), lang);
		/* "error": the reason too, as readers before reason_code knew it */
		json_object_object_add(o, "error", json_object_get(json_object_object_get(o, "reason")));
		jsonh_add_int(o, "retry_count", db_ll(res, i, 3));
		jsonh_add_str(o, "finished", db_val(res, i, 4));
		if (db_val(res, i, 5) != NULL)
			jsonh_add_int(o, "row", db_ll(res, i, 5));
		jsonh_add_str(o, "title", db_val(res, i, 6));
		json_object_array_add(items, o);
		total = db_ll(res, i, 7);
	}
	PQclear(res);
	*out = jsonh_page(items, total, page, page_size);
	return 0;
}

int
batch_cancel(struct db *db, const struct user_rec *u, int64_t id, int *n, struct fb_err *err)
{
	return chunk_cancel(db, &batch_kind, id, u->id, n, err);
}

/* The batch's failed items (all, or those of the task ids arg) back to pending. */
struct retry_ids {
	const int64_t *task_ids;
	size_t n;
};

static int
reopen_items(struct db *db, void *arg, int64_t id, int *n, struct fb_err *err)
{
	struct retry_ids *r = arg;
	char bid[DB_ID_MAX], *ids = r->task_ids != NULL ? db_id_array(r->task_ids, r->n) : NULL;
	PGresult *res;

	db_id(bid, id);
	res = db_query(db, "batch_retry_items",
	               "WITH d AS (UPDATE batch_task_detail SET status = 'pending', next_retry_at = NULL,"
	               "  finished = NULL WHERE batch_id = $1 AND status = 'failed'"
	               "  AND ($2::bigint[] IS NULL OR task_id = ANY ($2::bigint[])) RETURNING 1)"
	               " SELECT count(*) FROM d",
	               2, (const char *[]){bid, ids}, err);
	free(ids);
	if (res == NULL)
		return -1;
	*n = (int)db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

int
batch_retry_prepare(struct db *db, const struct user_rec *u, int64_t id,
                    const int64_t *task_ids, size_t ntask_ids, int *n, struct fb_err *err)
{
	struct retry_ids r = {.task_ids = task_ids, .n = ntask_ids};

	return chunk_retry(db, &batch_kind, id, u->id, reopen_items, &r, n, err);
}

struct recover_ctx {
	const struct fb_config *cfg;
	int64_t *retry_ids;
	size_t nretry;
};

static int
recover_retry_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct recover_ctx *c = arg;
	char limit[16], window[16];
	const char *p[2] = {limit, window};
	PGresult *res;
	size_t i;

	snprintf(limit, sizeof(limit), "%d", c->cfg->batch_retry_limit);
	snprintf(window, sizeof(window), "%d", c->cfg->batch_retry_window_seconds);
	/* Finished batches with failed items whose backoff has passed, within their window. */
	res = db_query(db, "batch_recover_due",
	               "SELECT id FROM batch_task WHERE status = 'finished' AND id IN ("
	               " SELECT d.batch_id FROM batch_task_detail d JOIN batch_task b ON b.id = d.batch_id"
	               " WHERE d.status = 'failed' AND d.next_retry_at <= now()"
	               " AND " TASKLOCK_RETRYABLE("$1", "$2") ") "
	               "ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED",
	               2, p, err);
	if (res == NULL)
		return -1;
	free(c->retry_ids);
	db_id_list(res, &c->retry_ids, &c->nretry);
	PQclear(res);
	for (i = 0; i < c->nretry; i++) {
		char bid[DB_ID_MAX];
		int n;

		db_id(bid, c->retry_ids[i]);
		res = db_query(db, "batch_recover_items",
		               "WITH r AS (UPDATE batch_task_detail d SET status = 'pending',"
		               "  next_retry_at = NULL, finished = NULL FROM batch_task b"
		               "  WHERE b.id = d.batch_id AND d.batch_id = $1 AND d.next_retry_at <= now()"
		               "  AND " TASKLOCK_RETRYABLE("$2", "$3") " RETURNING 1)"
		               " SELECT count(*) FROM r",
		               3, (const char *[]){bid, limit, window}, err);
		if (res == NULL)
			return -1;
		n = (int)db_ll(res, 0, 0);
		PQclear(res);
		if (chunk_adjust(db, batch_kind.reopen_stmt, batch_kind.reopen_sql, c->retry_ids[i], n,
		                 err) < 0)
			return -1;
	}
	return 0;
}

int
batch_recover_scan(struct db *db, const struct fb_config *cfg, int64_t **ids, size_t *nids,
                   int64_t **retry_ids, size_t *nretry, struct fb_err *err)
{
	struct recover_ctx c = {.cfg = cfg};

	/* Running without a heartbeat, or never started: the job or its runner was lost. */
	if (chunk_stale(db, cfg, &batch_kind, ids, nids, err) < 0)
		return -1;
	if (db_tx(db, recover_retry_tx, &c, err) < 0) {
		free(*ids);
		free(c.retry_ids);
		*ids = NULL;
		return -1;
	}
	*retry_ids = c.retry_ids;
	*nretry = c.nretry;
	return 0;
}

struct locks_ctx {
	const struct fb_config *cfg;
	int max;
	struct tasklock_release *out;
	size_t n;
};

static int
recover_locks_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct locks_ctx *c = arg;

	free(c->out);
	c->out = NULL;
	return tasklock_sweep(db, c->cfg, c->max, &c->out, &c->n, err);
}

int
batch_recover_locks(struct db *db, const struct fb_config *cfg, int max,
                    struct tasklock_release **out, size_t *n, struct fb_err *err)
{
	struct locks_ctx c = {.cfg = cfg, .max = max};

	*out = NULL;
	*n = 0;
	if (db_tx(db, recover_locks_tx, &c, err) < 0) {
		free(c.out);
		return -1;
	}
	*out = c.out;
	*n = c.n;
	return 0;
}

int
batch_active(struct db *db, int64_t creator, int limit, struct json_object **out,
             struct fb_err *err)
{
	char uid[DB_ID_MAX], lim[DB_ID_MAX];
	const char *p[2] = {uid, lim};
	PGresult *res;
	char *sql;
	int i;

	db_id(uid, creator);
	db_id(lim, limit);
	/* The status predicate is that of the partial index batch_task_active_idx. */
	sql = xasprintf("%sFROM batch_task b JOIN nodes n ON n.id = b.node_id "
	                "JOIN app_versions av ON av.id = b.app_version_id JOIN apps a ON a.id = av.app_id "
	                BATCH_COUNTS_JOIN
	                "WHERE b.status NOT IN ('finished', 'cancelled') "
	                "AND ($1::bigint = 0 OR b.creator = $1::bigint) ORDER BY b.id DESC LIMIT $2",
	                status_cols);
	res = db_query(db, "batch_active", sql, 2, p, err);
	free(sql);
	if (res == NULL)
		return -1;
	*out = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(*out, batch_json(res, i));
	PQclear(res);
	return 0;
}

int
batch_today(struct db *db, int64_t creator, struct chunk_day *out, struct fb_err *err)
{
	return chunk_today(db, &batch_kind, creator, out, err);
}
