/* SPDX-License-Identifier: MIT */
/*
 * engine: the approval step of DESIGN.md applied chunk by chunk (see engine.h).
 *
 * Memory: struct exec holds the batch and its node for one engine_run() call and frees
 * them at the end; everything per chunk is freed before the chunk's transaction returns,
 * since db_tx() may run it again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "batch.h"
#include "chunk.h"
#include "engine.h"
#include "jsonh.h"
#include "log.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "taskcenter.h"
#include "tasklock.h"
#include "user.h"
#include "db.h"

enum outcome { OUT_NONE, OUT_SUCCESS, OUT_FAILED, OUT_IGNORED, OUT_DEFER };

/* The batch being executed, loaded once per engine_run(). */
struct exec {
	const struct fb_config *cfg;
	int64_t id;
	int slot;
	int64_t node_id;
	int64_t creator;
	char creator_login[129];
	int reject;
	char *comment;
	char *assignee;            /* the batch's next assignee login, or NULL */
	struct json_object *form;  /* the batch's form values, or NULL */
	struct node_info *node;
	char owner[40];            /* "batch:<id>" */
	struct chunk_result res;
};

/* One claimed item and what became of it. */
struct item {
	int64_t detail_id, task_id, session_id, task_node, assignee;
	int retry_count;
	const char *task_state, *lock_kind, *lock_owner, *session_state;
	struct json_object *row;   /* detail post_data (owned) */
	struct json_object *form;  /* session form_data (owned) */
	int found;
	enum outcome out;
	struct msg_reason why;
	struct msg_reason unusable; /* why the stored post_data or form_data cannot be used */
	int unlock;                /* no retry can mend it: plan none, let go of the task */
};

/*
 * Stored JSON that must be an object (an item's post_data, a session's form_data): a new
 * object, or NULL with the reason (the message code says what) in why, unless why already
 * holds one.  Never a default in its place: an empty form or the batch's action would act
 * on data that is not what was stored.
 */
static struct json_object *
stored_object(const char *text, const char *code, struct msg_reason *why)
{
	struct fb_err e = {0};
	struct json_object *o = jsonh_parse_object(text, strlen(text), "value", &e);

	if (o == NULL && why->code == NULL)
		msg_reason_set(why, code, msg_args("detail", fb_err_to_detail(NULL, &e), NULL));
	fb_err_clear(&e);
	return o;
}

static int
exec_load(struct db *db, struct exec *x, struct fb_err *err)
{
	char bid[DB_ID_MAX];
	const char *p[1] = {bid};
	PGresult *res;
	const char *form;

	db_id(bid, x->id);
	res = db_query(db, "engine_batch",
	               "SELECT b.status, b.node_id, b.creator, u.login, b.action, b.comment, "
	               "b.assignee_login, b.post_data FROM batch_task b JOIN users u ON u.id = b.creator "
	               "WHERE b.id = $1",
	               1, p, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		fb_err_set(err, FB_ENOTFOUND, "batch %lld does not exist", (long long)x->id);
		return -1;
	}
	x->node_id = db_ll(res, 0, 1);
	x->creator = db_ll(res, 0, 2);
	snprintf(x->creator_login, sizeof(x->creator_login), "%s", PQgetvalue(res, 0, 3));
	x->reject = strcmp(PQgetvalue(res, 0, 4), "reject") == 0;
	x->comment = db_val(res, 0, 5) ? xstrdup(db_val(res, 0, 5)) : NULL;
	x->assignee = db_val(res, 0, 6) ? xstrdup(db_val(res, 0, 6)) : NULL;
	form = db_val(res, 0, 7);
	if (form != NULL && (x->form = jsonh_parse(form, strlen(form), err)) == NULL) {
		PQclear(res);
		return -1;
	}
	PQclear(res);
	snprintf(x->owner, sizeof(x->owner), "batch:%lld", (long long)x->id);
	x->node = node_load(db, x->node_id, err);
	return x->node ? 0 : -1;
}

static void
exec_free(struct exec *x)
{
	free(x->comment);
	free(x->assignee);
	json_object_put(x->form);
	node_free(x->node);
}

/* The item ends as out, for the reason code with params (stolen, may be NULL). */
static void
settle(struct item *it, enum outcome out, const char *code, struct json_object *params)
{
	it->out = out;
	msg_reason_set(&it->why, code, params);
}

static void
fail(struct item *it, const char *code, struct json_object *params)
{
	settle(it, OUT_FAILED, code, params);
}

/* A validation error: its details (each a message of its own) are the reason. */
static void
fail_validation(struct item *it, const struct fb_err *e)
{
	struct json_object *errors = NULL;

	if (e->details != NULL) {
		size_t i, n = json_object_array_length(e->details);

		if (json_object_deep_copy(e->details, &errors, NULL) != 0)
			abort();
		/* The English text of each is made again when said; it is not stored twice. */
		for (i = 0; i < n; i++) {
			struct json_object *d = json_object_array_get_idx(errors, i);

			if (json_object_object_get_ex(d, "code", NULL))
				json_object_object_del(d, "message");
		}
	}
	if (errors == NULL) {
		errors = json_object_new_array();
		json_object_array_add(errors, fb_err_to_detail(NULL, e));
	}
	fail(it, "item.form_invalid", msg_args("errors", errors, NULL));
}

/* The row's own value of key (an import's per-row action, comment, assignee), or NULL. */
static const char *
row_str(const struct item *it, const char *key)
{
	struct json_object *v;

	if (it->row == NULL || !json_object_object_get_ex(it->row, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The batch's form values with the row's own values laid over them; new object. */
static struct json_object *
merged_input(const struct exec *x, const struct item *it)
{
	struct json_object *rowform = NULL;

	if (it->row != NULL && json_object_object_get_ex(it->row, "form", &rowform) &&
	    !json_object_is_type(rowform, json_type_object))
		rowform = NULL;
	return schema_overlay(x->form, rowform);
}

/* {"key":{"old":..,"new":..}} for the keys the step changed; new object. */
static struct json_object *
form_diff(struct json_object *before, struct json_object *after, struct json_object *input)
{
	struct json_object *diff = json_object_new_object();

	json_object_object_foreach(input, k, v) {
		struct json_object *old = NULL, *now = NULL, *d;

		(void)v;
		json_object_object_get_ex(before, k, &old);
		json_object_object_get_ex(after, k, &now);
		if (json_object_equal(old, now))
			continue;
		d = json_object_new_object();
		json_object_object_add(d, "old", json_object_get(old));
		json_object_object_add(d, "new", json_object_get(now));
		json_object_object_add(diff, k, d);
	}
	return diff;
}

static int
find_user_id(struct db *db, const char *login, int64_t *id, struct fb_err *err)
{
	struct user_rec u;
	int found = user_find(db, login, &u, err);

	if (found == 1)
		*id = u.id;
	return found;
}

/*
 * Classify one item and, when it advances, write the whole step in one statement.
 * Returns -1 only for database errors (the chunk is then redone or isolated).
 */
static int
step(struct db *db, struct exec *x, struct item *it, struct fb_err *err)
{
	const struct node_info *node = x->node;
	struct schema_env env = {.user_exists = user_exists, .arg = db};
	struct json_object *input = NULL, *merged = NULL, *diff = NULL;
	struct fb_err verr = {0};
	const char *action, *comment, *who;
	int reject, rc = -1, finish = 0;
	int64_t next_node = 0, next_assignee = 0;

	if (!it->found || strcmp(it->task_state, "pending") != 0) {
		settle(it, OUT_IGNORED, "item.not_pending", NULL);
		it->unlock = 1;
		return 0;
	}
	if (it->task_node != x->node_id) {
		settle(it, OUT_IGNORED, "item.moved", NULL);
		it->unlock = 1;
		return 0;
	}
	if (strcmp(it->session_state, "finished") == 0 || strcmp(it->session_state, "stopped") == 0 ||
	    strcmp(it->session_state, "deleted") == 0) {
		settle(it, OUT_IGNORED, "item.session_state",
		       msg_args("state", json_object_new_string(it->session_state), NULL));
		it->unlock = 1;
		return 0;
	}
	if (it->unusable.code != NULL) {
		fail(it, it->unusable.code, json_object_get(it->unusable.params));
		return 0;
	}
	if (it->assignee != x->creator) {
		fail(it, "item.not_assigned", NULL);
		return 0;
	}
	if (it->lock_kind != NULL && strcmp(it->lock_kind, "person") == 0) {
		fail(it, "item.locked_person",
		     msg_args("owner", json_object_new_string(it->lock_owner), NULL));
		return 0;
	}
	if (it->lock_kind != NULL && strcmp(it->lock_owner, x->owner) != 0) {
		/* "batch:<id>": the other batch's id, as in the reasons written at submission. */
		const char *colon = strchr(it->lock_owner, ':');
		long long other = colon ? strtoll(colon + 1, NULL, 10) : 0;

		fail(it, "item.locked_batch",
		     msg_args("batch", other > 0 ? json_object_new_int64(other)
		                                 : json_object_new_string(it->lock_owner),
		              NULL));
		return 0;
	}
	if (strcmp(it->session_state, "suspended") == 0) {
		fail(it, "item.suspended", NULL);
		return 0;
	}
	action = row_str(it, "action");
	reject = action ? strcmp(action, "reject") == 0 : x->reject;
	comment = row_str(it, "comment");
	if (comment == NULL)
		comment = x->comment;
	input = merged_input(x, it);
	if (schema_merge(node->schema, node->view, it->form, input, &env, &merged, &verr) < 0) {
		if (verr.code == FB_EDB) {
			fb_err_set(err, FB_EDB, "%s", verr.msg);
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", verr.sqlstate);
			goto out;
		}
		fail_validation(it, &verr);
		rc = 0;
		goto out;
	}
	if (!reject) {
		if (node->next.id == 0) {
			finish = 1;
		} else {
			next_node = node->next.id;
			if (node->next.choose) {
				who = row_str(it, "assignee");
				if (who == NULL)
					who = x->assignee;
				if (who == NULL || *who == '\0') {
					fail(it, "item.next_needs_assignee",
					     msg_args("node", json_object_new_string(node->next.name), NULL));
					rc = 0;
					goto out;
				}
				switch (find_user_id(db, who, &next_assignee, err)) {
				case -1:
					goto out;
				case 0:
					fail(it, "item.next_assignee_unknown",
					     msg_args("login", json_object_new_string(who), NULL));
					rc = 0;
					goto out;
				}
			} else if ((next_assignee = node->next.assignee_id) == 0) {
				fail(it, "item.next_no_assignee",
				     msg_args("node", json_object_new_string(node->next.name), NULL));
				rc = 0;
				goto out;
			}
		}
	} else if (node->prev.id == 0) {
		finish = 1;
	} else {
		char sid[DB_ID_MAX], nid[DB_ID_MAX];
		PGresult *res;

		next_node = node->prev.id;
		db_id(sid, it->session_id);
		db_id(nid, node->prev.id);
		res = db_query(db, "engine_prev_assignee",
		               "SELECT assignee FROM tasks WHERE session_id = $1 AND node_id = $2 "
		               "AND state = 'done' ORDER BY id DESC LIMIT 1",
		               2, (const char *[]){sid, nid}, err);
		if (res == NULL)
			goto out;
		next_assignee = PQntuples(res) ? db_ll(res, 0, 0) : node->prev.assignee_id;
		PQclear(res);
		if (next_assignee == 0) {
			fail(it, "item.reject_nobody",
			     msg_args("node", json_object_new_string(node->prev.name), NULL));
			rc = 0;
			goto out;
		}
	}
	diff = form_diff(it->form, merged, input);
	{
		char tid[DB_ID_MAX], sid[DB_ID_MAX], nid[DB_ID_MAX], cur[DB_ID_MAX], actor[DB_ID_MAX], bid[DB_ID_MAX];
		char nas[DB_ID_MAX], did[DB_ID_MAX];
		const char *form_text = xstrdup(jsonh_str(merged));
		const char *diff_text = xstrdup(jsonh_str(diff));
		const char *p[12];
		int qrc;

		db_id(tid, it->task_id);
		db_id(sid, it->session_id);
		db_id(nid, next_node);
		db_id(cur, x->node_id);
		db_id(actor, x->creator);
		db_id(bid, x->id);
		db_id(nas, next_assignee);
		db_id(did, it->detail_id);
		p[0] = tid;
		p[1] = form_text;
		p[2] = finish ? NULL : nid;
		p[3] = finish ? (reject ? "rejected" : "approved") : NULL;
		p[4] = sid;
		p[5] = cur;
		p[6] = actor;
		p[7] = reject ? "reject" : "approve";
		p[8] = comment;
		p[9] = diff_text;
		p[10] = bid;
		p[11] = finish ? NULL : nas;
		qrc = db_exec(
		    db, "engine_advance",
		    "WITH t AS (UPDATE tasks SET state = 'done', finished = now(), lock_kind = NULL,"
		    "  lock_owner = NULL, locked_at = NULL WHERE id = $1),"
		    " s AS (UPDATE app_sessions SET form_data = $2::jsonb,"
		    "  current_node_id = coalesce($3::bigint, current_node_id),"
		    "  state = CASE WHEN $4::text IS NULL THEN state ELSE 'finished' END,"
		    "  outcome = $4::text, modified = now(),"
		    "  finished = CASE WHEN $4::text IS NULL THEN NULL ELSE now() END WHERE id = $5),"
		    " h AS (INSERT INTO task_history (task_id, session_id, node_id, actor, action, comment,"
		    "  form_diff, batch_id) VALUES ($1, $5, $6, $7, $8, $9, $10::jsonb, $11)),"
		    " n AS (INSERT INTO tasks (session_id, node_id, assignee, due_at)"
		    "  SELECT $5, $3::bigint, $12::bigint, now() + make_interval(hours => x.timeout_hours)"
		    "  FROM nodes x WHERE x.id = $3::bigint AND $12::bigint IS NOT NULL)"
		    " UPDATE batch_task_detail SET status = 'success', error = NULL, error_code = NULL,"
		    "  error_params = NULL, finished = now(),"
		    "  next_retry_at = NULL WHERE id = $13",
		    13, (const char *[]){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9],
		                         p[10], p[11], did},
		    err);
		free((char *)form_text);
		free((char *)diff_text);
		if (qrc < 0)
			goto out;
	}
	it->out = OUT_SUCCESS;
	rc = 0;
out:
	fb_err_clear(&verr);
	json_object_put(input);
	json_object_put(merged);
	json_object_put(diff);
	return rc;
}

static void
items_free(struct item *items, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		json_object_put(items[i].row);
		json_object_put(items[i].form);
		msg_reason_clear(&items[i].why);
		msg_reason_clear(&items[i].unusable);
	}
	free(items);
}

/*
 * Write the outcomes that are not successes, let go of the tasks that no retry will come
 * back to (tasklock.h decides), write the task-center rows of the approved tasks, and
 * write the counters and the heartbeat.
 */
static int
finish_chunk(struct db *db, struct exec *x, struct item *items, int n, struct fb_err *err)
{
	struct buf ids = {0}, st = {0}, rc = {0}, bo = {0}, ok = {0};
	struct json_object *errors = json_object_new_array();
	int i, nout = 0, nok, s = 0, f = 0, g = 0, ret = -1;

	buf_add(&ids, "{", 1);
	buf_add(&st, "{", 1);
	buf_add(&rc, "{", 1);
	buf_add(&bo, "{", 1);
	for (i = 0; i < n; i++) {
		struct item *it = &items[i];
		int count = it->out == OUT_FAILED ? it->retry_count + 1 : it->retry_count;
		long backoff = 0;

		if (it->out == OUT_SUCCESS) {
			s++;
			continue;
		}
		if (it->out != OUT_FAILED && it->out != OUT_IGNORED)
			continue;
		if (it->out == OUT_FAILED) {
			f++;
			/* No retry is planned for an item to be unlocked now. */
			if (count < x->cfg->batch_retry_limit && !it->unlock)
				backoff = (long)x->cfg->batch_retry_backoff_seconds << (count - 1 < 20 ? count - 1 : 20);
		} else {
			g++;
		}
		buf_printf(&ids, "%s%lld", nout ? "," : "", (long long)it->detail_id);
		buf_printf(&st, "%s%s", nout ? "," : "", it->out == OUT_FAILED ? "failed" : "ignored");
		buf_printf(&rc, "%s%d", nout ? "," : "", count);
		buf_printf(&bo, "%s%ld", nout ? "," : "", backoff);
		json_object_array_add(errors, msg_reason_json(&it->why));
		nout++;
	}
	buf_add(&ids, "}", 1);
	buf_add(&st, "}", 1);
	buf_add(&rc, "}", 1);
	buf_add(&bo, "}", 1);
	if (nout > 0 &&
	    db_exec(db, "engine_outcomes",
	            "UPDATE batch_task_detail d SET status = o.status,"
	            " error = ($5::jsonb) -> (o.ord::int - 1) ->> 'e',"
	            " error_code = ($5::jsonb) -> (o.ord::int - 1) ->> 'c',"
	            " error_params = ($5::jsonb) -> (o.ord::int - 1) -> 'p', retry_count = o.retry_count,"
	            " finished = now(), next_retry_at = CASE WHEN o.backoff > 0"
	            "  THEN now() + make_interval(secs => o.backoff) END"
	            " FROM unnest($1::bigint[], $2::text[], $3::int[], $4::int[])"
	            "  WITH ORDINALITY AS o(id, status, retry_count, backoff, ord)"
	            " WHERE d.id = o.id",
	            5, (const char *[]){ids.data, st.data, rc.data, bo.data, jsonh_str(errors)}, err) < 0)
		goto out;
	if (nout > 0 && tasklock_release_items(db, x->cfg, x->id, ids.data, NULL, err) < 0)
		goto out;
	/* The task-center rows of the approved tasks, in one statement for the chunk. */
	if (s > 0) {
		buf_add(&ok, "{", 1);
		for (i = 0, nok = 0; i < n; i++)
			if (items[i].out == OUT_SUCCESS)
				buf_printf(&ok, "%s%lld", nok++ ? "," : "", (long long)items[i].task_id);
		buf_add(&ok, "}", 1);
		if (taskcenter_tasks_advanced(db, ok.data, err) < 0)
			goto out;
	}
	if (chunk_settle(db, &batch_kind, x->id, x->slot, s, f, g, &x->res, err) < 0)
		goto out;
	ret = 0;
out:
	json_object_put(errors);
	free(ids.data);
	free(st.data);
	free(rc.data);
	free(bo.data);
	free(ok.data);
	return ret;
}

/* One chunk (chunk.h: struct chunk_step): claim, lock, classify and advance its items. */
static int
chunk_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct chunk_step *c = arg;
	struct exec *x = c->arg;
	struct item *items = NULL;
	struct buf tids = {0};
	PGresult *res = NULL;
	int i, j, n = 0, ret = -1;

	n = chunk_claim(db, &batch_kind, c, x->id, x->slot, "engine_claim",
	                CHUNK_CLAIM_SQL("id, task_id, post_data, retry_count", "batch_task_detail",
	                                "batch_id"),
	                &res, err);
	if (n <= 0) { /* error, cancelled, or nothing left */
		ret = n < 0 ? -1 : 0;
		goto out;
	}
	items = xcalloc((size_t)n, sizeof(*items));
	buf_add(&tids, "{", 1);
	for (i = 0; i < n; i++) {
		const char *row = db_val(res, i, 2);

		items[i].detail_id = db_ll(res, i, 0);
		items[i].task_id = db_ll(res, i, 1);
		items[i].retry_count = (int)db_ll(res, i, 3);
		if (row != NULL && strcmp(row, "null") != 0)
			items[i].row = stored_object(row, "item.post_data_unusable", &items[i].unusable);
		buf_printf(&tids, "%s%lld", i ? "," : "", (long long)items[i].task_id);
	}
	buf_add(&tids, "}", 1);
	PQclear(res);
	/* Lock the tasks and their sessions, sessions first in id order. */
	res = db_query(db, "engine_lock",
	               "SELECT t.id, t.session_id, t.node_id, t.assignee, t.state, t.lock_kind,"
	               " t.lock_owner, s.state, s.form_data FROM tasks t"
	               " JOIN app_sessions s ON s.id = t.session_id WHERE t.id = ANY ($1::bigint[])"
	               " ORDER BY s.id, t.id FOR UPDATE OF s, t",
	               1, (const char *[]){tids.data}, err);
	if (res == NULL)
		goto out;
	for (j = 0; j < PQntuples(res); j++) {
		int64_t tid = db_ll(res, j, 0);

		for (i = 0; i < n; i++) {
			struct item *it = &items[i];
			const char *form;

			if (it->task_id != tid)
				continue;
			it->found = 1;
			it->session_id = db_ll(res, j, 1);
			it->task_node = db_ll(res, j, 2);
			it->assignee = db_ll(res, j, 3);
			it->task_state = PQgetvalue(res, j, 4);
			it->lock_kind = db_val(res, j, 5);
			it->lock_owner = db_val(res, j, 6);
			it->session_state = PQgetvalue(res, j, 7);
			form = PQgetvalue(res, j, 8);
			it->form = stored_object(form, "item.form_data_unusable", &it->unusable);
		}
	}
	for (i = 0; i < n; i++) {
		struct item *it = &items[i];

		/* A second task of one session in one chunk waits for the next chunk. */
		for (j = 0; j < i && it->found; j++) {
			if (items[j].found && items[j].session_id == it->session_id &&
			    items[j].out == OUT_SUCCESS) {
				it->out = OUT_DEFER;
				break;
			}
		}
		if (it->out == OUT_DEFER)
			continue;
		if (step(db, x, it, err) < 0)
			goto out;
	}
	if (finish_chunk(db, x, items, n, err) < 0)
		goto out;
	ret = 0;
out:
	PQclear(res);
	items_free(items, n);
	free(tids.data);
	return ret;
}

/* In one-item mode, the item whose own write failed is failed and unlocked alone. */
static int
fail_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct chunk_fail *a = arg;
	struct exec *x = a->arg;
	char did[DB_ID_MAX], limit[16];

	db_id(did, a->item);
	snprintf(limit, sizeof(limit), "%d", x->cfg->batch_retry_limit);
	return chunk_fail_item(
	    db, &batch_kind, x->id, x->slot, "engine_fail_one",
	    "WITH d AS (" CHUNK_FAIL_ITEM_SQL("batch_task_detail",
	                                      ", retry_count = greatest(retry_count + 1, $5::int),"
	                                      " next_retry_at = NULL",
	                                      "task_id") "),"
	    " t AS (UPDATE tasks SET lock_kind = NULL, lock_owner = NULL, locked_at = NULL"
	    "  WHERE id IN (SELECT task_id FROM d) AND lock_owner = $4)"
	    " SELECT count(*) FROM d",
	    5, (const char *[]){did, a->why, a->why_params, x->owner, limit}, &x->res, err);
}

int
engine_run(struct db *db, const struct fb_config *cfg, int64_t id, int slot,
           volatile int *stopping, struct chunk_result *out, struct fb_err *err)
{
	struct exec x = {.cfg = cfg, .id = id, .slot = slot};
	const struct chunk_work w = {
	    .kind = &batch_kind, .id = id, .arg = &x, .chunk = chunk_tx, .fail_one = fail_tx};
	int rc = -1;

	if (exec_load(db, &x, err) == 0)
		rc = chunk_drive(db, cfg->batch_chunk_size, &w, stopping, &x.res, err);
	*out = x.res;
	exec_free(&x);
	return rc;
}
