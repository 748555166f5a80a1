/* SPDX-License-Identifier: MIT */
/*
 * procexec: the execution of bulk process operations — the semantics table (procop.h)
 * applied chunk by chunk, the way engine.c applies the approval step (chunk.h).
 *
 * A chunk claims pending proc_log rows, locks their sessions in id order, decides each
 * row (gone: ignored; the creator no longer an admin or a monitor of the app: failed;
 * a state the operation does not apply to: ignored with the reason), applies the
 * effects set-wise (one statement per effect for the whole chunk; backups first), and
 * commits the rows, the counter deltas and the heartbeat together.  An unexpected SQL
 * error re-runs the chunk one row per transaction so that only the row at fault fails.
 *
 * Memory: everything per chunk is freed before the chunk's transaction returns, since
 * db_tx() may run it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "backup.h"
#include "chunk.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "procexec.h"
#include "procop.h"
#include "taskcenter.h"
#include "tasklock.h"
#include "db.h"

/* ---- the semantics table ----------------------------------------------------------------- */

struct opdef {
	const char *name;
	const char *from[5];  /* states it applies to (said as applies.<name> in msg.c) */
	const char *to;       /* the state after it ("removed": the row is gone) */
	const char *outcome;  /* the outcome it sets, or NULL */
	int cancels_tasks;
	int backs_up;
};

static const struct opdef opdefs[] = {
	{"suspend", {"running"}, "suspended", NULL, 0, 0},
	{"resume", {"suspended"}, "running", NULL, 0, 0},
	{"stop", {"running", "suspended"}, "stopped", "stopped", 1, 0},
	{"finish", {"running", "suspended"}, "finished", "finished_by_admin", 1, 0},
	{"delete", {"running", "suspended", "stopped", "finished"}, "deleted", NULL, 1, 1},
	{"archive_delete", {"finished", "stopped"}, "removed", NULL, 0, 1},
};

static const struct opdef *
opdef_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(opdefs) / sizeof(opdefs[0]); i++)
		if (strcmp(opdefs[i].name, name) == 0)
			return &opdefs[i];
	return NULL;
}

static int
opdef_allows(const struct opdef *d, const char *state)
{
	int i;

	for (i = 0; i < 5 && d->from[i] != NULL; i++)
		if (strcmp(d->from[i], state) == 0)
			return 1;
	return 0;
}

int
procexec_known(const char *name)
{
	return opdef_find(name) != NULL;
}

int
procexec_cancel_pending(struct db *db, int64_t id, long long *n, struct fb_err *err)
{
	char oid[DB_ID_MAX];
	PGresult *res;

	db_id(oid, id);
	res = db_query(db, "procop_cancel_pending",
	               "WITH l AS (" CHUNK_CANCEL_ITEMS_SQL("proc_log", "bulk_op_id", "1") ")"
	               " SELECT count(*) FROM l",
	               1, (const char *[]){oid}, err);
	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

/* ---- the executor ------------------------------------------------------------------------ */

enum outcome { OUT_NONE, OUT_SUCCESS, OUT_FAILED, OUT_IGNORED };

struct exec {
	const struct fb_config *cfg;
	int64_t id;
	int slot;
	const struct opdef *op;
	int64_t creator;
	struct chunk_result res;
};

struct item {
	int64_t log_id, session_id;
	int found, allowed;
	char state[16];
	enum outcome out;
	struct msg_reason why;
};

static int
exec_load(struct db *db, struct exec *x, struct fb_err *err)
{
	char oid[DB_ID_MAX];
	PGresult *res;

	db_id(oid, x->id);
	res = db_query(db, "procop_load", "SELECT operation, creator FROM process_bulk_op WHERE id = $1",
	               1, (const char *[]){oid}, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		fb_err_set(err, FB_ENOTFOUND, "operation %lld does not exist", (long long)x->id);
		return -1;
	}
	x->op = opdef_find(PQgetvalue(res, 0, 0));
	x->creator = db_ll(res, 0, 1);
	PQclear(res);
	if (x->op == NULL) {
		fb_err_set(err, FB_EINVAL, "operation %lld has an unknown kind", (long long)x->id);
		return -1;
	}
	return 0;
}

static void
classify(const struct exec *x, struct item *it)
{
	const struct opdef *d = x->op;

	if (!it->found) {
		it->out = OUT_IGNORED;
		msg_reason_set(&it->why, "proc.session_gone", NULL);
	} else if (!it->allowed) {
		it->out = OUT_FAILED;
		msg_reason_set(&it->why, "proc.not_monitor", NULL);
	} else if (!opdef_allows(d, it->state)) {
		it->out = OUT_IGNORED;
		msg_reason_set(&it->why, "proc.state_mismatch",
		               msg_args("state", json_object_new_string(it->state), "op",
		                        json_object_new_string(d->name), NULL));
	} else {
		it->out = OUT_SUCCESS;
	}
}

/* The effects of the operation on the sessions S (a bigint[] literal) that succeed. */
static int
apply(struct db *db, struct exec *x, const char *S, struct fb_err *err)
{
	const struct opdef *d = x->op;
	char oid[DB_ID_MAX];

	db_id(oid, x->id);
	if (d->backs_up && backup_take(db, S, x->id, d->name, err) < 0)
		return -1;
	if (d->cancels_tasks && tasklock_release_sessions(db, S, NULL, err) < 0)
		return -1;
	if (strcmp(d->name, "archive_delete") == 0)
		return db_exec(db, "procop_remove", "DELETE FROM app_sessions WHERE id = ANY ($1::bigint[])",
		               1, (const char *[]){S}, err);
	if (strcmp(d->name, "suspend") == 0)
		return db_exec(db, "procop_suspend",
		               "WITH s AS (UPDATE app_sessions SET state = 'suspended', modified = now()"
		               "  WHERE id = ANY ($1::bigint[]))"
		               " UPDATE tasks SET due_paused = greatest(due_at - now(), interval '0'),"
		               " due_at = NULL WHERE session_id = ANY ($1::bigint[]) AND state = 'pending'"
		               " AND due_at IS NOT NULL",
		               1, (const char *[]){S}, err);
	if (strcmp(d->name, "resume") == 0)
		return db_exec(db, "procop_resume",
		               "WITH s AS (UPDATE app_sessions SET state = 'running', modified = now()"
		               "  WHERE id = ANY ($1::bigint[]))"
		               " UPDATE tasks SET due_at = now() + due_paused, due_paused = NULL"
		               " WHERE session_id = ANY ($1::bigint[]) AND state = 'pending'"
		               " AND due_paused IS NOT NULL",
		               1, (const char *[]){S}, err);
	/*
	 * stop, finish and delete: pending tasks are cancelled (a deleted session's to-dos
	 * leave every listing; its backup keeps them as they were).  delete keeps the outcome.
	 */
	if (db_exec(db, "procop_end",
	            "WITH s AS (UPDATE app_sessions SET state = $2, modified = now(),"
	            "  outcome = CASE WHEN $2 = 'deleted' THEN outcome ELSE $3 END,"
	            "  finished = CASE WHEN $2 = 'deleted' THEN finished ELSE now() END"
	            "  WHERE id = ANY ($1::bigint[]))"
	            " UPDATE tasks SET state = 'cancelled', finished = now(), due_paused = NULL"
	            " WHERE session_id = ANY ($1::bigint[]) AND state = 'pending'",
	            3, (const char *[]){S, d->to, d->outcome}, err) < 0)
		return -1;
	/* The platforms hear of every to-do cancelled here, through the same outbox. */
	return taskcenter_sessions_cancelled(db, S, err);
}

static int
finish_chunk(struct db *db, struct exec *x, struct item *items, int n, struct fb_err *err)
{
	struct buf ids = {0}, st = {0}, old = {0};
	struct json_object *errors = json_object_new_array(), *news = json_object_new_array();
	int i, s = 0, f = 0, g = 0, ret = -1;

	buf_puts(&ids, "{");
	buf_puts(&st, "{");
	buf_puts(&old, "{");
	for (i = 0; i < n; i++) {
		struct item *it = &items[i];

		s += it->out == OUT_SUCCESS;
		f += it->out == OUT_FAILED;
		g += it->out == OUT_IGNORED;
		buf_printf(&ids, "%s%lld", i ? "," : "", (long long)it->log_id);
		buf_printf(&st, "%s%s", i ? "," : "",
		           it->out == OUT_SUCCESS ? "success" : it->out == OUT_FAILED ? "failed" : "ignored");
		buf_printf(&old, "%s%s", i ? "," : "", it->found ? it->state : "NULL");
		json_object_array_add(errors, it->out == OUT_SUCCESS ? NULL : msg_reason_json(&it->why));
		json_object_array_add(news, it->out == OUT_SUCCESS ? json_object_new_string(x->op->to)
		                                                   : NULL);
	}
	buf_puts(&ids, "}");
	buf_puts(&st, "}");
	buf_puts(&old, "}");
	if (db_exec(db, "procop_outcomes",
	            "UPDATE proc_log l SET status = o.status, old_state = o.old_state,"
	            " new_state = ($4::jsonb) ->> (o.ord::int - 1), error = ($5::jsonb) -> (o.ord::int - 1) ->> 'e',"
	            " error_code = ($5::jsonb) -> (o.ord::int - 1) ->> 'c',"
	            " error_params = ($5::jsonb) -> (o.ord::int - 1) -> 'p',"
	            " finished = now()"
	            " FROM unnest($1::bigint[], $2::text[], $3::text[])"
	            "  WITH ORDINALITY AS o(id, status, old_state, ord)"
	            " WHERE l.id = o.id",
	            5, (const char *[]){ids.data, st.data, old.data, jsonh_str(news), jsonh_str(errors)},
	            err) < 0)
		goto out;
	if (chunk_settle(db, &procop_kind, x->id, x->slot, s, f, g, &x->res, err) < 0)
		goto out;
	ret = 0;
out:
	json_object_put(errors);
	json_object_put(news);
	free(ids.data);
	free(st.data);
	free(old.data);
	return ret;
}

/* One chunk (chunk.h: struct chunk_step): claim, lock, decide and apply its rows. */
static int
chunk_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct chunk_step *c = arg;
	struct exec *x = c->arg;
	struct item *items = NULL;
	struct buf sids = {0}, ok = {0};
	PGresult *res = NULL;
	char uid[DB_ID_MAX];
	int i, j, n = 0, nok = 0, ret = -1;

	n = chunk_claim(db, &procop_kind, c, x->id, x->slot, "procop_claim",
	                CHUNK_CLAIM_SQL("id, session_id", "proc_log", "bulk_op_id"), &res, err);
	if (n <= 0) { /* error, cancelled, or nothing left */
		ret = n < 0 ? -1 : 0;
		goto out;
	}
	items = xcalloc((size_t)n, sizeof(*items));
	buf_puts(&sids, "{");
	for (i = 0; i < n; i++) {
		items[i].log_id = db_ll(res, i, 0);
		items[i].session_id = db_ll(res, i, 1);
		buf_printf(&sids, "%s%lld", i ? "," : "", (long long)items[i].session_id);
	}
	buf_puts(&sids, "}");
	PQclear(res);
	db_id(uid, x->creator);
	/* Lock the sessions in id order (as the engine does); the permission as of now. */
	res = db_query(db, "procop_lock",
	               "SELECT s.id, s.state, (u.is_admin OR EXISTS (SELECT 1 FROM app_monitors m"
	               "  WHERE m.app_id = av.app_id AND m.user_id = u.id))"
	               " FROM app_sessions s JOIN app_versions av ON av.id = s.app_version_id,"
	               " users u WHERE u.id = $2 AND s.id = ANY ($1::bigint[])"
	               " ORDER BY s.id FOR UPDATE OF s",
	               2, (const char *[]){sids.data, uid}, err);
	if (res == NULL)
		goto out;
	for (j = 0; j < PQntuples(res); j++) {
		int64_t sid = db_ll(res, j, 0);

		for (i = 0; i < n; i++) {
			if (items[i].session_id != sid)
				continue;
			items[i].found = 1;
			snprintf(items[i].state, sizeof(items[i].state), "%s", PQgetvalue(res, j, 1));
			items[i].allowed = strcmp(PQgetvalue(res, j, 2), "t") == 0;
		}
	}
	PQclear(res);
	res = NULL;
	buf_puts(&ok, "{");
	for (i = 0; i < n; i++) {
		classify(x, &items[i]);
		if (items[i].out == OUT_SUCCESS)
			buf_printf(&ok, "%s%lld", nok++ ? "," : "", (long long)items[i].session_id);
	}
	buf_puts(&ok, "}");
	if (nok > 0 && apply(db, x, ok.data, err) < 0)
		goto out;
	if (finish_chunk(db, x, items, n, err) < 0)
		goto out;
	ret = 0;
out:
	PQclear(res);
	for (i = 0; items != NULL && i < n; i++)
		msg_reason_clear(&items[i].why);
	free(items);
	free(sids.data);
	free(ok.data);
	return ret;
}

/* In one-row mode, the row whose own change failed is failed alone. */
static int
fail_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct chunk_fail *a = arg;
	struct exec *x = a->arg;
	char lid[DB_ID_MAX];

	db_id(lid, a->item);
	return chunk_fail_item(db, &procop_kind, x->id, x->slot, "procop_fail_one",
	                       "WITH l AS (" CHUNK_FAIL_ITEM_SQL("proc_log", "", "1") ")"
	                       " SELECT count(*) FROM l",
	                       3, (const char *[]){lid, a->why, a->why_params}, &x->res, err);
}

int
procexec_run(struct db *db, const struct fb_config *cfg, int64_t id, int slot,
             volatile int *stopping, struct chunk_result *out, struct fb_err *err)
{
	struct exec x = {.cfg = cfg, .id = id, .slot = slot};
	const struct chunk_work w = {
	    .kind = &procop_kind, .id = id, .arg = &x, .chunk = chunk_tx, .fail_one = fail_tx};
	int rc = -1;

	if (exec_load(db, &x, err) == 0)
		rc = chunk_drive(db, cfg->batch_chunk_size, &w, stopping, &x.res, err);
	*out = x.res;
	return rc;
}
