/* SPDX-License-Identifier: MIT */
/*
 * backup: session backups and their restore (see backup.h).
 *
 * The document is {"session":<row>,"tasks":[<row>..],"history":[<row>..]}, each row as
 * to_jsonb gives it, so that a restore is jsonb_populate_record(set) back into the same
 * tables: columns added later come back as their defaults' NULL, nothing is named twice.
 * Nothing here allocates except the JSON returned.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "backup.h"
#include "jsonh.h"
#include "db.h"

int
backup_take(struct db *db, const char *session_ids, int64_t op_id, const char *operation,
            struct fb_err *err)
{
	char oid[DB_ID_MAX];

	db_id(oid, op_id);
	return db_exec(
	    db, "backup_take",
	    "INSERT INTO session_backup (session_id, bulk_op_id, app_version_id, operation, data)"
	    " SELECT s.id, nullif($2::bigint, 0), s.app_version_id, $3, jsonb_build_object("
	    "  'session', to_jsonb(s),"
	    "  'tasks', coalesce((SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tasks t"
	    "   WHERE t.session_id = s.id), '[]'::jsonb),"
	    "  'history', coalesce((SELECT jsonb_agg(to_jsonb(h) ORDER BY h.id) FROM task_history h"
	    "   WHERE h.session_id = s.id), '[]'::jsonb))"
	    " FROM app_sessions s WHERE s.id = ANY ($1::bigint[]) ORDER BY s.id",
	    3, (const char *[]){session_ids, oid, operation}, err);
}

int
backup_list(struct db *db, const struct user_rec *u, int64_t session_id,
            struct json_object **out, struct fb_err *err)
{
	char sid[DB_ID_MAX], uid[DB_ID_MAX];
	struct json_object *items;
	PGresult *res;
	int i;

	db_id(sid, session_id);
	db_id(uid, u->id);
	res = db_query(db, "backup_list",
	               "SELECT b.id, b.session_id, b.bulk_op_id, b.operation,"
	               " b.data -> 'session' ->> 'title', b.data -> 'session' ->> 'state',"
	               " jsonb_array_length(b.data -> 'tasks'), jsonb_array_length(b.data -> 'history'),"
	               " to_char(b.created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	               " to_char(b.restored AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	               " FROM session_backup b JOIN app_versions av ON av.id = b.app_version_id"
	               " WHERE b.session_id = $1 AND (EXISTS (SELECT 1 FROM users WHERE id = $2"
	               "  AND is_admin) OR av.app_id IN (SELECT app_id FROM app_monitors"
	               "  WHERE user_id = $2))"
	               " ORDER BY b.id DESC LIMIT 100",
	               2, (const char *[]){sid, uid}, err);
	if (res == NULL)
		return -1;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *o = json_object_new_object();

		jsonh_add_int(o, "backup_id", db_ll(res, i, 0));
		jsonh_add_int(o, "session_id", db_ll(res, i, 1));
		if (db_val(res, i, 2) != NULL)
			jsonh_add_int(o, "op_id", db_ll(res, i, 2));
		else
			jsonh_add_null(o, "op_id");
		jsonh_add_str(o, "operation", db_val(res, i, 3));
		jsonh_add_str(o, "title", db_val(res, i, 4));
		jsonh_add_str(o, "state", db_val(res, i, 5));
		jsonh_add_int(o, "tasks", db_ll(res, i, 6));
		jsonh_add_int(o, "history", db_ll(res, i, 7));
		jsonh_add_str(o, "created", db_val(res, i, 8));
		jsonh_add_str(o, "restored", db_val(res, i, 9));
		json_object_array_add(items, o);
	}
	PQclear(res);
	*out = json_object_new_object();
	json_object_object_add(*out, "items", items);
	return 0;
}

struct restore_ctx {
	const struct user_rec *actor;
	int64_t id;
	int64_t session_id;
};

static int
restore_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct restore_ctx *c = arg;
	char bid[DB_ID_MAX], sid[DB_ID_MAX], actor[DB_ID_MAX];
	PGresult *res;

	db_id(bid, c->id);
	db_id(actor, (c->actor ? c->actor->id : 0));
	res = db_query(db, "backup_lock", "SELECT session_id FROM session_backup WHERE id = $1 FOR UPDATE",
	               1, (const char *[]){bid}, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		fb_err_set(err, FB_ENOTFOUND, "backup %lld not found", (long long)c->id);
		return -1;
	}
	c->session_id = db_ll(res, 0, 0);
	PQclear(res);
	db_id(sid, c->session_id);
	res = db_query(db, "backup_session_state",
	               "SELECT state FROM app_sessions WHERE id = $1 FOR UPDATE", 1,
	               (const char *[]){sid}, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "deleted") != 0) {
		fb_err_set(err, FB_ECONFLICT,
		           "process instance %lld exists and is %s: only a deleted or removed one is restored",
		           (long long)c->session_id, PQgetvalue(res, 0, 0));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	/* The deleted row goes with its tasks and history (ON DELETE CASCADE), then all comes back. */
	if (db_exec(db, "backup_drop", "DELETE FROM app_sessions WHERE id = $1", 1,
	            (const char *[]){sid}, err) < 0 ||
	    db_exec(db, "backup_put_session",
	            "INSERT INTO app_sessions SELECT r.* FROM session_backup b,"
	            " jsonb_populate_record(NULL::app_sessions, b.data -> 'session') r WHERE b.id = $1",
	            1, (const char *[]){bid}, err) < 0 ||
	    db_exec(db, "backup_put_tasks",
	            "INSERT INTO tasks SELECT r.* FROM session_backup b,"
	            " jsonb_populate_recordset(NULL::tasks, b.data -> 'tasks') r WHERE b.id = $1",
	            1, (const char *[]){bid}, err) < 0 ||
	    db_exec(db, "backup_put_history",
	            "INSERT INTO task_history SELECT r.* FROM session_backup b,"
	            " jsonb_populate_recordset(NULL::task_history, b.data -> 'history') r WHERE b.id = $1",
	            1, (const char *[]){bid}, err) < 0)
		return -1;
	return db_exec(db, "backup_restored",
	               "WITH a AS (INSERT INTO action_log (actor, action, target_type, target_id, detail)"
	               "  VALUES (nullif($3::bigint, 0), 'process.restore', 'session', $2,"
	               "  jsonb_build_object('backup_id', $1::bigint)))"
	               " UPDATE session_backup SET restored = now(), restored_by = nullif($3::bigint, 0)"
	               " WHERE id = $1",
	               3, (const char *[]){bid, sid, actor}, err);
}

int
backup_restore(struct db *db, const struct user_rec *actor, int64_t id, int64_t *session_id,
               struct fb_err *err)
{
	struct restore_ctx c = {.actor = actor, .id = id};

	if (actor != NULL && !actor->is_admin) {
		fb_err_set(err, FB_EFORBIDDEN, "only admins restore backups");
		return -1;
	}
	if (db_tx(db, restore_tx, &c, err) < 0)
		return -1;
	*session_id = c.session_id;
	return 0;
}
