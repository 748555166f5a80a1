/* SPDX-License-Identifier: MIT */
/*
 * chunk: the executor loop, counter rows, staleness scan and helper count shared by
 * batches (engine.c) and bulk process operations (procexec.c), and the user's lookup,
 * cancel and retry of either (batch.c, procop.c); see chunk.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "chunk.h"
#include "jsonh.h"
#include "log.h"
#include "msg.h"
#include "db.h"

int
chunk_drive(struct db *db, int chunk_size, const struct chunk_work *w, volatile int *stopping,
            struct chunk_result *end, struct fb_err *err)
{
	const struct chunk_kind *k = w->kind;
	int isolate_left = 0;

	end->started = 0;
	end->more = 0;
	end->finished = 0;
	if (chunk_mark(db, k->start_stmt, k->start_sql, w->id, &end->started, err) < 0)
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
				log_warn("chunk failed; isolating its items", k->id_field, LOG_INT(w->id),
				         "error", LOG_STR(err->msg), NULL);
				isolate_left = chunk_size;
				fb_err_clear(err);
				continue;
			}
			struct json_object *params = msg_args("detail", json_object_new_string(err->msg), NULL);
			int failed;

			snprintf(why, sizeof(why), "unexpected error: %s", err->msg);
			log_error("item failed unexpectedly", k->id_field, LOG_INT(w->id), k->item_field,
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
			return chunk_mark(db, k->finish_stmt, k->finish_sql, w->id, &end->finished, err);
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
chunk_count(struct db *db, const struct chunk_kind *k, int64_t id, int slot, long long success,
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
	return db_exec(db, k->counter.stmt, k->counter.sql, 6, (const char *[]){sid, sl, s, f, g, x},
	               err);
}

int
chunk_settle(struct db *db, const struct chunk_kind *k, int64_t id, int slot, long long success,
             long long failed, long long ignored, struct chunk_result *res, struct fb_err *err)
{
	char sid[24];

	if (chunk_count(db, k, id, slot, success, failed, ignored, 0, err) < 0)
		return -1;
	db_id(sid, id);
	if (db_exec(db, k->heartbeat_stmt, k->heartbeat_sql, 1, (const char *[]){sid}, err) < 0)
		return -1;
	res->success += (int)success;
	res->failed += (int)failed;
	res->ignored += (int)ignored;
	return 0;
}

int
chunk_today(struct db *db, const struct chunk_kind *k, int64_t creator, struct chunk_day *out,
            struct fb_err *err)
{
	char uid[24];
	PGresult *res;

	db_id(uid, creator);
	if ((res = db_query(db, k->today_stmt, k->today_sql, 1, (const char *[]){uid}, err)) == NULL)
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
chunk_stale(struct db *db, const struct fb_config *cfg, const struct chunk_kind *k,
            int64_t **ids, size_t *n, struct fb_err *err)
{
	char stale[16], grace[16];
	PGresult *res;

	snprintf(stale, sizeof(stale), "%d", cfg->batch_stale_minutes * 60);
	snprintf(grace, sizeof(grace), "%d", cfg->batch_init_grace_seconds);
	res = db_query(db, k->stale_stmt, k->stale_sql, 2, (const char *[]){stale, grace}, err);
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

int
chunk_owned(struct db *db, const struct chunk_kind *k, int64_t id, int64_t uid, int lock,
            char status[16], struct fb_err *err)
{
	char sid[DB_ID_MAX], u[DB_ID_MAX];
	PGresult *res;

	db_id(sid, id);
	db_id(u, uid);
	res = db_query(db, lock ? k->lock_stmt : k->owned_stmt, lock ? k->lock_sql : k->owned_sql, 2,
	               (const char *[]){sid, u}, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		fb_err_msg(err, FB_ENOTFOUND, k->not_found, msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	snprintf(status, 16, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int
chunk_pending(struct db *db, const struct chunk_kind *k, int64_t id, long long *n,
              struct fb_err *err)
{
	char sid[DB_ID_MAX];
	PGresult *res;

	db_id(sid, id);
	res = db_query(db, k->pending_stmt, k->pending_sql, 1, (const char *[]){sid}, err);
	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

/* A user's cancel or retry: the kind, the work, the user, and what came of it. */
struct user_act {
	const struct chunk_kind *k;
	int64_t id, uid;
	chunk_reopen_fn reopen;
	void *arg;
	int n;
};

static int
cancel_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct user_act *a = arg;
	char st[16];
	long long n;

	if (chunk_owned(db, a->k, a->id, a->uid, 1, st, err) < 0)
		return -1;
	/*
	 * Items in flight are locked by their executor and skipped: they finish rather than
	 * being cancelled half-way.  Waiting for them instead would trail the executors
	 * (they claim the next chunk before this commits) and deadlock with their heartbeat
	 * on the row locked above.  An executor that finds the work cancelled cancels
	 * whatever is still pending (chunk_check).
	 */
	if (a->k->cancel_items(db, a->id, &n, err) < 0)
		return -1;
	a->n = (int)n;
	return chunk_adjust(db, a->k->cancel_stmt, a->k->cancel_sql, a->id, n, err);
}

int
chunk_cancel(struct db *db, const struct chunk_kind *k, int64_t id, int64_t uid, int *n,
             struct fb_err *err)
{
	struct user_act a = {.k = k, .id = id, .uid = uid};

	if (db_tx(db, cancel_tx, &a, err) < 0)
		return -1;
	*n = a.n;
	return 0;
}

static int
retry_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct user_act *a = arg;
	char st[16];

	a->n = 0;
	if (chunk_owned(db, a->k, a->id, a->uid, 1, st, err) < 0)
		return -1;
	if (strcmp(st, "cancelled") == 0) {
		fb_err_msg(err, FB_ECONFLICT, a->k->cancelled,
		           msg_args("id", json_object_new_int64(a->id), NULL));
		return -1;
	}
	if (a->reopen(db, a->arg, a->id, &a->n, err) < 0)
		return -1;
	if (a->n == 0)
		return 0;
	return chunk_adjust(db, a->k->reopen_stmt, a->k->reopen_sql, a->id, a->n, err);
}

int
chunk_retry(struct db *db, const struct chunk_kind *k, int64_t id, int64_t uid,
            chunk_reopen_fn reopen, void *arg, int *n, struct fb_err *err)
{
	struct user_act a = {.k = k, .id = id, .uid = uid, .reopen = reopen, .arg = arg};

	if (db_tx(db, retry_tx, &a, err) < 0)
		return -1;
	*n = a.n;
	return 0;
}

int
chunk_claim(struct db *db, const struct chunk_kind *k, struct chunk_step *st, int64_t id,
            int slot, const char *stmt, const char *sql, PGresult **res, struct fb_err *err)
{
	char sid[DB_ID_MAX], lim[16];
	long long n;

	st->claimed = 0;
	st->cancelled = 0;
	st->item = 0;
	*res = NULL;
	db_id(sid, id);
	if ((*res = db_query(db, k->status_stmt, k->status_sql, 1, (const char *[]){sid}, err)) == NULL)
		return -1;
	st->cancelled = PQntuples(*res) == 0 || strcmp(PQgetvalue(*res, 0, 0), "cancelled") == 0;
	if (st->cancelled) {
		int gone = PQntuples(*res) == 0;

		PQclear(*res);
		*res = NULL;
		/* Cancelled while items were in flight: cancel what is still pending, and count it. */
		if (!gone && (k->cancel_items(db, id, &n, err) < 0 ||
		              chunk_count(db, k, id, slot, 0, 0, 0, n, err) < 0))
			return -1;
		return 0;
	}
	PQclear(*res);
	snprintf(lim, sizeof(lim), "%d", st->limit);
	if ((*res = db_query(db, stmt, sql, 2, (const char *[]){sid, lim}, err)) == NULL)
		return -1;
	st->claimed = PQntuples(*res);
	if (st->claimed == 1)
		st->item = db_ll(*res, 0, 0);
	if (st->claimed > 0)
		return st->claimed;
	PQclear(*res);
	*res = NULL;
	return 0;
}

int
chunk_fail_item(struct db *db, const struct chunk_kind *k, int64_t id, int slot,
                const char *stmt, const char *sql, int nparams, const char *const *params,
                struct chunk_result *out, struct fb_err *err)
{
	PGresult *res = db_query(db, stmt, sql, nparams, params, err);
	int n;

	if (res == NULL)
		return -1;
	n = (int)db_ll(res, 0, 0);
	PQclear(res);
	if (n == 0)
		return 0;
	if (chunk_count(db, k, id, slot, 0, n, 0, 0, err) < 0)
		return -1;
	out->failed += n;
	return 0;
}
