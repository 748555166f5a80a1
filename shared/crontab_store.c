/* SPDX-License-Identifier: MIT */
/*
 * crontab_store: crontabs kept — the list and one crontab as JSON, create and update (the
 * body checked by crontab_spec.c, the first due time from the rule), delete, enable and
 * disable, and a run now.  System crontabs are never deleted.  Every change writes
 * action_log in its own transaction.  JSON answers are new objects the caller puts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab.h"
#include "crontab_int.h"
#include "jsonh.h"
#include "msg.h"
#include "db.h"

#define CRONTAB_COLS                                                                    \
	"c.id, c.name, c.type, c.rule::text, c.job::text, c.enable, c.last_state,"          \
	" c.is_system, c.system_key, c.misfire, c.overlap, c.remark, c.creator,"          \
	" extract(epoch FROM c.next_run_at)::bigint, extract(epoch FROM c.last_run_at)::bigint," \
	" extract(epoch FROM c.created)::bigint, extract(epoch FROM c.modified)::bigint,"      \
	" array_to_json(c.depends_on)::text"

void
crontab_add_time(struct json_object *o, const char *key, const PGresult *res, int row, int col)
{
	char buf[32];

	if (db_val(res, row, col) == NULL) {
		jsonh_add_null(o, key);
		return;
	}
	crontab_format_time(db_ll(res, row, col), buf);
	jsonh_add_str(o, key, buf);
}

void
crontab_add_text(struct json_object *o, const char *key, const PGresult *res, int row, int col)
{
	const char *v = db_val(res, row, col);

	if (v == NULL)
		jsonh_add_null(o, key);
	else
		jsonh_add_str(o, key, v);
}

static struct json_object *
row_json(const PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	struct fb_err e = {0};
	struct json_object *sub;

	jsonh_add_int(o, "id", db_ll(res, row, 0));
	crontab_add_text(o, "name", res, row, 1);
	crontab_add_text(o, "type", res, row, 2);
	sub = jsonh_parse(db_val(res, row, 3), strlen(db_val(res, row, 3)), &e);
	json_object_object_add(o, "rule", sub);
	fb_err_clear(&e);
	sub = jsonh_parse(db_val(res, row, 4), strlen(db_val(res, row, 4)), &e);
	json_object_object_add(o, "job", sub);
	fb_err_clear(&e);
	jsonh_add_bool(o, "enable", db_val(res, row, 5)[0] == 't');
	crontab_add_text(o, "last_state", res, row, 6);
	jsonh_add_bool(o, "is_system", db_val(res, row, 7)[0] == 't');
	crontab_add_text(o, "system_key", res, row, 8);
	crontab_add_text(o, "misfire", res, row, 9);
	crontab_add_text(o, "overlap", res, row, 10);
	crontab_add_text(o, "remark", res, row, 11);
	if (db_val(res, row, 12) == NULL)
		jsonh_add_null(o, "creator");
	else
		jsonh_add_int(o, "creator", db_ll(res, row, 12));
	crontab_add_time(o, "next_run_at", res, row, 13);
	crontab_add_time(o, "last_run_at", res, row, 14);
	crontab_add_time(o, "created", res, row, 15);
	crontab_add_time(o, "modified", res, row, 16);
	sub = jsonh_parse(db_val(res, row, 17), strlen(db_val(res, row, 17)), &e);
	json_object_object_add(o, "depends_on", sub);
	fb_err_clear(&e);
	return o;
}

/* The list's filters: $3 name keyword, $4 enable, $5 last_state (each NULL: any). */
#define CRONTAB_FILTER_SQL                                                                   \
	" WHERE ($3::text IS NULL OR c.name ILIKE '%' || replace(replace(replace($3::text, '\\',"  \
	" '\\\\'), '%', '\\%'), '_', '\\_') || '%')"                                            \
	" AND ($4::boolean IS NULL OR c.enable = $4::boolean)"                                 \
	" AND ($5::text IS NULL OR c.last_state = $5::text)"

struct json_object *
crontab_list(struct db *db, const struct crontab_filter *f, int64_t page, int64_t page_size,
             struct fb_err *err)
{
	char lim[24], off[24];
	const char *params[5] = {lim, off, f->keyword, f->enable < 0 ? NULL : f->enable ? "t" : "f",
	                         f->state};
	struct json_object *items;
	PGresult *res;
	long long total;
	int i, n;

	db_id(lim, page_size);
	db_id(off, ((page - 1) * page_size));
	res = db_query(db, "crontab_list",
	               "SELECT " CRONTAB_COLS ", count(*) OVER () FROM crontab c" CRONTAB_FILTER_SQL
	               " ORDER BY c.id DESC LIMIT $1 OFFSET $2",
	               5, params, err);
	if (res == NULL)
		return NULL;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, row_json(res, i));
	n = PQntuples(res);
	total = n > 0 ? db_ll(res, 0, 18) : 0;
	PQclear(res);
	if (n == 0 && page > 1) {
		/* The same parameters: the filters, and the paging as guards. */
		res = db_query(db, "crontab_count",
		               "SELECT count(*) FROM crontab c" CRONTAB_FILTER_SQL
		               " AND $1::bigint > 0 AND $2::bigint >= 0",
		               5, params, err);
		if (res == NULL) {
			json_object_put(items);
			return NULL;
		}
		total = db_ll(res, 0, 0);
		PQclear(res);
	}
	return jsonh_page(items, total, page, page_size);
}

/* 0 when res holds the one row of crontab id; else -1 (res cleared, FB_ENOTFOUND). */
static int
found(PGresult *res, int64_t id, struct fb_err *err)
{
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		fb_err_msg(err, FB_ENOTFOUND, "crontab.not_found", msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	return 0;
}

struct json_object *
crontab_get(struct db *db, int64_t id, struct fb_err *err)
{
	char ids[24];
	const char *params[1] = {ids};
	struct json_object *o;
	PGresult *res;

	db_id(ids, id);
	res = db_query(db, "crontab_get", "SELECT " CRONTAB_COLS " FROM crontab c WHERE c.id = $1",
	               1, params, err);
	if (found(res, id, err) < 0)
		return NULL;
	o = row_json(res, 0);
	PQclear(res);
	return o;
}

static int
log_action(struct db *db, int64_t actor, const char *action, int64_t id,
           struct json_object *detail, struct fb_err *err)
{
	char a[24], t[24];
	const char *params[4] = {a, action, t, detail != NULL ? jsonh_str(detail) : NULL};

	db_id(a, actor);
	db_id(t, id);
	return db_exec(db, "crontab_action_log",
	               "INSERT INTO action_log (actor, action, target_type, target_id, detail)"
	               " VALUES ($1, $2, 'crontab', $3, $4::jsonb)",
	               4, params, err);
}

struct write_arg {
	const struct fb_config *cfg;
	int64_t actor, id;
	struct crontab_spec *s;
	struct json_object *body;
	int creating;
};

static int
write_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct write_arg *w = argp;
	struct crontab_spec *s = w->s;
	struct json_object *job = crontab_spec_job(s->job);
	char idb[24], actor[24], next[32] = "";
	const char *params[11];
	struct buf deps = {0};
	int64_t t = 0;
	int has, rc = -1;
	PGresult *res = NULL;

	crontab_spec_deps(s, &deps);
	if (crontab_spec_check_deps(db, w->creating ? 0 : w->id, s, buf_cstr(&deps), err) < 0)
		goto out;
	has = crontab_rule_first(&s->parsed, w->cfg, crontab_now(w->cfg), &t, err);
	if (has < 0)
		goto out;
	if (has)
		db_id(next, t);
	db_id(actor, w->actor);
	params[0] = s->name;
	params[1] = s->type;
	params[2] = jsonh_str(s->rule);
	params[3] = jsonh_str(job);
	params[4] = s->enable < 0 ? NULL : s->enable ? "t" : "f";
	params[5] = s->misfire;
	params[6] = s->overlap;
	params[7] = s->remark;
	params[8] = has ? next : NULL;
	params[10] = buf_cstr(&deps);
	if (w->creating) {
		params[9] = actor;
		res = db_query(db, "crontab_insert",
		               "INSERT INTO crontab (name, type, rule, job, enable, misfire, overlap,"
		               " remark, next_run_at, creator, depends_on) VALUES ($1, $2, $3::jsonb, $4::jsonb,"
		               " COALESCE($5::boolean, true), $6, $7, $8, to_timestamp($9::bigint), $10,"
		               " $11::bigint[]) RETURNING id",
		               11, params, err);
	} else {
		db_id(idb, w->id);
		params[9] = idb;
		res = db_query(db, "crontab_update",
		               "UPDATE crontab SET name = $1, type = $2, rule = $3::jsonb, job = $4::jsonb,"
		               " enable = COALESCE($5::boolean, enable), misfire = $6, overlap = $7,"
		               " remark = COALESCE($8, remark), next_run_at = to_timestamp($9::bigint),"
		               " modified = now(), depends_on = $11::bigint[] WHERE id = $10 RETURNING id",
		               11, params, err);
	}
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		fb_err_msg(err, FB_ENOTFOUND, "crontab.not_found", msg_args("id", json_object_new_int64(w->id), NULL));
		goto out;
	}
	w->id = db_ll(res, 0, 0);
	rc = log_action(db, w->actor, w->creating ? "crontab.create" : "crontab.update", w->id,
	                w->body, err);
out:
	PQclear(res);
	free(deps.data);
	json_object_put(job);
	return rc;
}

int
crontab_create(struct db *db, const struct fb_config *cfg, int64_t actor,
               struct json_object *body, int64_t *id, struct fb_err *err)
{
	struct crontab_spec s;
	struct write_arg w = {.cfg = cfg, .actor = actor, .s = &s, .body = body, .creating = 1};

	if (crontab_spec_read(body, NULL, cfg, &s, err) < 0)
		return -1;
	if (db_tx(db, write_tx, &w, err) < 0)
		return -1;
	*id = w.id;
	return 0;
}

int
crontab_update(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
               struct json_object *body, struct fb_err *err)
{
	struct json_object *cur = crontab_get(db, id, err);
	struct crontab_spec s;
	struct write_arg w = {.cfg = cfg, .actor = actor, .id = id, .s = &s, .body = body};
	int rc = -1;

	if (cur == NULL)
		return -1;
	if (crontab_spec_read(body, cur, cfg, &s, err) == 0)
		rc = db_tx(db, write_tx, &w, err);
	json_object_put(cur);
	return rc;
}

struct simple_arg {
	const struct fb_config *cfg;
	int64_t actor, id, out;
	int enable;
};

static int
delete_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct simple_arg *a = argp;
	char idb[24];
	const char *params[1] = {idb};
	PGresult *res;
	int sys;

	db_id(idb, a->id);
	res = db_query(db, "crontab_lock_row", "SELECT is_system FROM crontab WHERE id = $1 FOR UPDATE",
	               1, params, err);
	if (found(res, a->id, err) < 0)
		return -1;
	sys = db_val(res, 0, 0)[0] == 't';
	PQclear(res);
	if (sys) {
		fb_err_msg(err, FB_ECONFLICT, "crontab.system_delete",
		           msg_args("id", json_object_new_int64(a->id), NULL));
		return -1;
	}
	res = db_query(db, "crontab_downstreams",
	               "SELECT string_agg(format('%s (#%s)', name, id), ', ' ORDER BY id) FROM crontab"
	               " WHERE $1::bigint = ANY (depends_on)",
	               1, params, err);
	if (res == NULL)
		return -1;
	if (db_val(res, 0, 0) != NULL) {
		fb_err_msg(err, FB_ECONFLICT, "crontab.upstream",
		           msg_args("id", json_object_new_int64(a->id), "names",
		                    json_object_new_string(db_val(res, 0, 0)), NULL));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (db_exec(db, "crontab_delete", "DELETE FROM crontab WHERE id = $1", 1, params, err) < 0)
		return -1;
	return log_action(db, a->actor, "crontab.delete", a->id, NULL, err);
}

int
crontab_delete(struct db *db, int64_t actor, int64_t id, struct fb_err *err)
{
	struct simple_arg a = {.actor = actor, .id = id};

	return db_tx(db, delete_tx, &a, err);
}

static int
enable_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct simple_arg *a = argp;
	struct crontab_rule rule;
	char idb[24], next[24] = "";
	const char *params[3] = {idb, a->enable ? "t" : "f", NULL};
	PGresult *res;
	int64_t t;
	int has = 0, rc;

	db_id(idb, a->id);
	res = db_query(db, "crontab_lock_rule",
	               "SELECT type, rule::text FROM crontab WHERE id = $1 FOR UPDATE", 1, params,
	               err);
	if (found(res, a->id, err) < 0)
		return -1;
	/* Enabling starts from now: times missed while disabled are not misfires. */
	rc = crontab_rule_load(db_val(res, 0, 1), strcmp(db_val(res, 0, 0), "repeat") == 0, a->cfg,
	                       &rule, err);
	PQclear(res);
	if (rc < 0 || (has = crontab_rule_first(&rule, a->cfg, crontab_now(a->cfg), &t, err)) < 0)
		return -1;
	if (has)
		db_id(next, t);
	params[2] = has ? next : NULL;
	if (db_exec(db, "crontab_enable",
	            "UPDATE crontab SET enable = $2::boolean, modified = now(),"
	            " next_run_at = CASE WHEN $2::boolean AND NOT enable"
	            " THEN to_timestamp($3::bigint) ELSE next_run_at END WHERE id = $1",
	            3, params, err) < 0)
		return -1;
	return log_action(db, a->actor, a->enable ? "crontab.enable" : "crontab.disable", a->id,
	                  NULL, err);
}

int
crontab_set_enable(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
                   int enable, struct fb_err *err)
{
	struct simple_arg a = {.cfg = cfg, .actor = actor, .id = id, .enable = enable};

	return db_tx(db, enable_tx, &a, err);
}

static int
run_now_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct simple_arg *a = argp;
	char idb[24], now[40];
	const char *params[2] = {idb, now};
	PGresult *res;

	db_id(idb, a->id);
	snprintf(now, sizeof(now), "%.6f", crontab_now(a->cfg));
	res = db_query(db, "crontab_run_now",
	               "WITH n AS (SELECT nextval(pg_get_serial_sequence('crontab_history', 'id')) AS hid)"
	               " INSERT INTO crontab_history (id, crontab_id, scheduled_at, manual, job_id)"
	               " SELECT n.hid, c.id, to_timestamp($2::float8), true, 'cron-m' || n.hid"
	               " FROM crontab c, n WHERE c.id = $1 RETURNING id",
	               2, params, err);
	if (found(res, a->id, err) < 0)
		return -1;
	a->out = db_ll(res, 0, 0);
	PQclear(res);
	if (db_exec(db, "crontab_wake", "SELECT pg_notify('crontab_changed', '')", 0, NULL, err) < 0)
		return -1;
	return log_action(db, a->actor, "crontab.run", a->id, NULL, err);
}

int
crontab_run_now(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
                int64_t *hid, struct fb_err *err)
{
	struct simple_arg a = {.cfg = cfg, .actor = actor, .id = id};

	if (db_tx(db, run_now_tx, &a, err) < 0)
		return -1;
	*hid = a.out;
	return 0;
}
