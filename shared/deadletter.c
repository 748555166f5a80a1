/* SPDX-License-Identifier: MIT */
/*
 * deadletter: the table dead_letter (see deadletter.h).  A retry deletes and publishes in
 * one transaction (retry_one): a failed publish keeps the row, and a lost COMMIT answer
 * merely publishes a job twice, which is harmless (job_runs makes a job that ran to the end
 * a no-op; every job is idempotent).  Results are cleared on every path; JSON handed out is
 * the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "deadletter.h"
#include "jsonh.h"
#include "log.h"
#include "db.h"

/* Rows a retry of everything publishes per call. */
#define DEADLETTER_RETRY_MAX 10000

int
deadletter_add(struct db *db, const char *job_id, const char *type, const char *stream,
               struct json_object *args, int attempts, long long deliveries,
               const char *error, struct fb_err *err)
{
	static const char sql[] =
		"INSERT INTO dead_letter (job_id, type, stream, args, attempts, deliveries, error)"
		" VALUES ($1, $2, $3, coalesce($4::jsonb, '{}'), $5, $6, $7)"
		" ON CONFLICT (job_id) DO UPDATE SET type = EXCLUDED.type, stream = EXCLUDED.stream,"
		" args = EXCLUDED.args, attempts = EXCLUDED.attempts,"
		" deliveries = EXCLUDED.deliveries, error = EXCLUDED.error, created = now()";
	char att[16], dl[24];
	const char *params[7] = {job_id, type, stream,
	                         args != NULL ? json_object_to_json_string_ext(
	                                            args, JSON_C_TO_STRING_PLAIN |
	                                                      JSON_C_TO_STRING_NOSLASHESCAPE)
	                                      : NULL,
	                         att, dl, error};

	snprintf(att, sizeof(att), "%d", attempts);
	snprintf(dl, sizeof(dl), "%lld", deliveries);
	return db_exec(db, "deadletter_add", sql, 7, params, err);
}

struct json_object *
deadletter_list(struct db *db, int64_t page, int64_t page_size, struct fb_err *err)
{
	static const char sql[] =
		"SELECT id, job_id, type, stream, args::text, attempts, deliveries, error,"
		" to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
		" count(*) OVER ()"
		" FROM dead_letter ORDER BY id DESC LIMIT $1 OFFSET $2";
	char lim[24], off[24];
	const char *params[2] = {lim, off};
	struct json_object *items;
	PGresult *res;
	long long total = 0;
	int i;

	db_id(lim, page_size);
	db_id(off, ((page - 1) * page_size));
	if ((res = db_query(db, "deadletter_list", sql, 2, params, err)) == NULL)
		return NULL;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *o = json_object_new_object(), *args;
		struct fb_err perr = {0};

		jsonh_add_int(o, "id", db_ll(res, i, 0));
		jsonh_add_str(o, "job_id", db_val(res, i, 1));
		jsonh_add_str(o, "type", db_val(res, i, 2));
		jsonh_add_str(o, "stream", db_val(res, i, 3));
		args = jsonh_parse(db_val(res, i, 4), strlen(db_val(res, i, 4)), &perr);
		fb_err_clear(&perr);
		json_object_object_add(o, "args", args != NULL ? args : json_object_new_object());
		jsonh_add_int(o, "attempts", db_ll(res, i, 5));
		jsonh_add_int(o, "deliveries", db_ll(res, i, 6));
		if (db_val(res, i, 7) != NULL)
			jsonh_add_str(o, "error", db_val(res, i, 7));
		else
			jsonh_add_null(o, "error");
		jsonh_add_str(o, "created", db_val(res, i, 8));
		total = db_ll(res, i, 9);
		json_object_array_add(items, o);
	}
	PQclear(res);
	if (total == 0 && page > 1) {
		/* Past the end: the total still says how many there are. */
		if (deadletter_count(db, &total, err) < 0) {
			json_object_put(items);
			return NULL;
		}
	}
	return jsonh_page(items, total, page, page_size);
}

struct retry_one {
	struct queue *q;
	const char *id;
	int done;
};

/*
 * One dead letter out of the table and onto its stream, in one transaction: the row is
 * deleted first and stays locked until the commit, so that the job failing again at once
 * (its worker adding it back) waits for the commit and lands as a new row instead of being
 * deleted with the old one.  A failed publish rolls the delete back.
 */
static int
retry_one(struct db *db, void *arg, struct fb_err *err)
{
	struct retry_one *r = arg;
	const char *params[1] = {r->id};
	struct json_object *args;
	enum queue_prio prio;
	char job_id[37];
	PGresult *res;
	int rc;

	r->done = 0;
	res = db_query(db, "deadletter_take",
	               "DELETE FROM dead_letter WHERE id = $1::bigint"
	               " RETURNING job_id, type, stream, args::text",
	               1, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	if (queue_prio_parse(db_val(res, 0, 2), &prio) < 0)
		prio = QUEUE_COMMON;
	snprintf(job_id, sizeof(job_id), "%s", db_val(res, 0, 0));
	args = jsonh_parse(db_val(res, 0, 3), strlen(db_val(res, 0, 3)), err);
	rc = args == NULL ? -1 : queue_publish(r->q, prio, db_val(res, 0, 1), args, job_id, err);
	json_object_put(args);
	PQclear(res);
	r->done = rc == 0;
	return rc;
}

int
deadletter_retry(struct db *db, struct queue *q, int64_t id, long long *n, struct fb_err *err)
{
	static const char sql[] =
		"SELECT id FROM dead_letter"
		" WHERE ($1::bigint = 0 OR id = $1::bigint) ORDER BY id LIMIT $2";
	char idbuf[24], lim[24];
	const char *params[2] = {idbuf, lim};
	PGresult *res;
	int i, rc = 0;

	*n = 0;
	db_id(idbuf, id);
	snprintf(lim, sizeof(lim), "%d", DEADLETTER_RETRY_MAX);
	if ((res = db_query(db, "deadletter_pick", sql, 2, params, err)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res) && rc == 0; i++) {
		struct retry_one one = {.q = q, .id = db_val(res, i, 0)};

		rc = db_tx(db, retry_one, &one, err);
		if (rc == 0 && one.done)
			(*n)++;
	}
	PQclear(res);
	return rc;
}

int
deadletter_drop(struct db *db, int64_t id, long long *n, struct fb_err *err)
{
	char idbuf[24];
	const char *params[1] = {idbuf};
	PGresult *res;

	db_id(idbuf, id);
	res = db_query(db, "deadletter_drop",
	               "WITH d AS (DELETE FROM dead_letter WHERE $1::bigint = 0 OR id = $1::bigint RETURNING 1)"
	               " SELECT count(*) FROM d",
	               1, params, err);
	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

int
deadletter_count(struct db *db, long long *n, struct fb_err *err)
{
	PGresult *res = db_query(db, "deadletter_count", "SELECT count(*) FROM dead_letter", 0,
	                         NULL, err);

	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}
