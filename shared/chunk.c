/* SPDX-License-Identifier: MIT */
/*
 * chunk: the executor loop, counter rows, staleness scan and helper count shared by
 * batches (engine.c) and bulk process operations (procop.c); see chunk.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "chunk.h"
#include "jsonh.h"
#include "log.h"
#include "msg.h"
#include "db.h"

int
chunk_drive(struct db *db, int chunk_size, const struct chunk_work *w, volatile int *stopping,
            struct chunk_end *end, struct fb_err *err)
{
	int isolate_left = 0;

	end->started = 0;
	end->more = 0;
	end->finished = 0;
	if (w->start_stmt != NULL &&
	    chunk_mark(db, w->start_stmt, w->start_sql, w->id, &end->started, err) < 0)
		return -1;
	for (;;) {
		struct chunk_step st = {.arg = w->arg, .limit = isolate_left > 0 ? 1 : chunk_size};

		if (stopping != NULL && *stopping) {
			end->more = 1;
			return 0;
		}
		if (db_tx(db, w->chunk, &st, err) < 0) {
			struct chunk_fail f = {.arg = w->arg, .item = st.item};
			char why[600];

			if (err->code != FB_EDB || db_pg(db) == NULL ||
			    PQstatus(db_pg(db)) != CONNECTION_OK || db_err_retryable(err))
				return -1;
			if (isolate_left == 0) {
				/* Redo this chunk one item at a time to find the item at fault. */
				log_warn("chunk failed; isolating its items", w->id_field, LOG_INT(w->id),
				         "error", LOG_STR(err->msg), NULL);
				isolate_left = chunk_size;
				fb_err_clear(err);
				continue;
			}
			struct json_object *params = msg_args("detail", json_object_new_string(err->msg), NULL);
			int failed;

			snprintf(why, sizeof(why), "unexpected error: %s", err->msg);
			log_error("item failed unexpectedly", w->id_field, LOG_INT(w->id), w->item_field,
			          LOG_INT(st.item), "error", LOG_STR(err->msg), NULL);
			fb_err_clear(err);
			f.why = why;
			f.why_params = jsonh_str(params);
			failed = st.item == 0 || db_tx(db, w->fail_one, &f, err) < 0;
			json_object_put(params);
			if (failed)
				return -1;
			isolate_left--;
			continue;
		}
		if (isolate_left > 0)
			isolate_left--;
		if (st.cancelled)
			return 0;
		if (st.claimed == 0)
			return chunk_mark(db, w->finish_stmt, w->finish_sql, w->id, &end->finished, err);
	}
}

int
chunk_mark(struct db *db, const char *stmt, const char *sql, int64_t id, int *moved,
           struct fb_err *err)
{
	char sid[24];
	PGresult *res;

	db_id(sid, id);
	res = db_query(db, stmt, sql, 1, (const char *[]){sid}, err);
	if (res == NULL)
		return -1;
	if (moved != NULL)
		*moved = PQntuples(res) == 1;
	PQclear(res);
	return 0;
}

int
chunk_adjust(struct db *db, const char *stmt, const char *sql, int64_t id, long long n,
             struct fb_err *err)
{
	char sid[24], cnt[24];

	db_id(sid, id);
	snprintf(cnt, sizeof(cnt), "%lld", n);
	return db_exec(db, stmt, sql, 2, (const char *[]){sid, cnt}, err);
}

int
chunk_count(struct db *db, const struct chunk_counter *c, int64_t id, int slot, long long success,
            long long failed, long long ignored, long long cancelled, struct fb_err *err)
{
	char sid[24], sl[8], s[24], f[24], g[24], x[24];

	if (success == 0 && failed == 0 && ignored == 0 && cancelled == 0)
		return 0;
	db_id(sid, id);
	snprintf(sl, sizeof(sl), "%d", slot);
	snprintf(s, sizeof(s), "%lld", success);
	snprintf(f, sizeof(f), "%lld", failed);
	snprintf(g, sizeof(g), "%lld", ignored);
	snprintf(x, sizeof(x), "%lld", cancelled);
	return db_exec(db, c->stmt, c->sql, 6, (const char *[]){sid, sl, s, f, g, x}, err);
}

int
chunk_settle(struct db *db, const struct chunk_counter *c, const char *stmt, const char *sql,
             int64_t id, int slot, long long success, long long failed, long long ignored,
             struct fb_err *err)
{
	char sid[24];

	if (chunk_count(db, c, id, slot, success, failed, ignored, 0, err) < 0)
		return -1;
	db_id(sid, id);
	return db_exec(db, stmt, sql, 1, (const char *[]){sid}, err);
}

int
chunk_today(struct db *db, const char *stmt, const char *sql, int64_t creator,
            struct chunk_day *out, struct fb_err *err)
{
	char uid[24];
	PGresult *res;

	db_id(uid, creator);
	if ((res = db_query(db, stmt, sql, 1, (const char *[]){uid}, err)) == NULL)
		return -1;
	out->finished = db_ll(res, 0, 0);
	out->finished_with_failures = db_ll(res, 0, 1);
	out->cancelled = db_ll(res, 0, 2);
	out->success = db_ll(res, 0, 3);
	out->failed = db_ll(res, 0, 4);
	out->ignored = db_ll(res, 0, 5);
	out->run_seconds = atof(PQgetvalue(res, 0, 6));
	out->run_items = db_ll(res, 0, 7);
	PQclear(res);
	return 0;
}

int
chunk_stale(struct db *db, const struct fb_config *cfg, const char *stmt, const char *sql,
            int64_t **ids, size_t *n, struct fb_err *err)
{
	char stale[16], grace[16];
	PGresult *res;

	snprintf(stale, sizeof(stale), "%d", cfg->batch_stale_minutes * 60);
	snprintf(grace, sizeof(grace), "%d", cfg->batch_init_grace_seconds);
	res = db_query(db, stmt, sql, 2, (const char *[]){stale, grace}, err);
	if (res == NULL)
		return -1;
	db_id_list(res, ids, n);
	PQclear(res);
	return 0;
}

int
chunk_helpers(const struct fb_config *cfg, long long pending)
{
	long long want = (pending + cfg->batch_chunk_size - 1) / cfg->batch_chunk_size - 1;

	if (want > cfg->batch_max_concurrency - 1)
		want = cfg->batch_max_concurrency - 1;
	return want > 0 ? (int)want : 0;
}
