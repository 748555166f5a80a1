/* SPDX-License-Identifier: MIT */
/*
 * procop: bulk process operations — selection, submission, reads, cancel, retry and the
 * recovery scan (see procop.h); the execution is procexec.c's.
 *
 * Memory: struct sel owns its parameters; everything else is freed before return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "chunk.h"
#include "taskcenter.h"
#include "jsonh.h"
#include "listing.h"
#include "mem.h"
#include "msg.h"
#include "procexec.h"
#include "procop.h"
#include "queue.h"
#include "rand.h"
#include "utf8.h"
#include "db.h"

#define TS_SQL(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* ---- selection --------------------------------------------------------------------------- */

/* SQL with its parameters (malloc'ed copies, owned here). */
struct sel {
	struct buf where;
	char *params[24];
	int n;
};

static int
sel_take(struct sel *q, char *v)
{
	q->params[q->n++] = v;
	return q->n;
}

static int
sel_int(struct sel *q, int64_t v)
{
	return sel_take(q, xasprintf("%lld", (long long)v));
}

static void
sel_free(struct sel *q)
{
	int i;

	for (i = 0; i < q->n; i++)
		free(q->params[i]);
	free(q->where.data);
	memset(q, 0, sizeof(*q));
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" with an optional "Z". */
static int
ts_shape_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s), i;

	if (n != 10 && n != 19 && !(n == 20 && s[19] == 'Z'))
		return 0;
	for (i = 0; i < n && i < 19; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	return 1;
}

int
procop_filter_check(const struct procop_filter *f, struct fb_err *err)
{
	static const char *const states[] = {"running", "suspended", "stopped", "finished", NULL};
	int i, ok = f->state == NULL;

	for (i = 0; !ok && states[i] != NULL; i++)
		ok = strcmp(states[i], f->state) == 0;
	if (!ok) {
		fb_err_msg(err, FB_EINVAL, "proc.state_filter", NULL);
		return -1;
	}
	if ((f->created_from != NULL && !ts_shape_ok(f->created_from)) ||
	    (f->created_to != NULL && !ts_shape_ok(f->created_to))) {
		fb_err_msg(err, FB_EINVAL, "proc.created_format", NULL);
		return -1;
	}
	if (f->keyword != NULL && utf8_chars(f->keyword) > PROCOP_MAX_KEYWORD) {
		fb_err_msg(err, FB_EINVAL, "proc.keyword_long",
		           msg_args("max", json_object_new_int(PROCOP_MAX_KEYWORD), NULL));
		return -1;
	}
	return 0;
}

/*
 * The conditions over session s and version av of the sessions u may operate on that
 * match f; deleted ones only with with_deleted (a submission by ids reaches them, to be
 * ignored; no listing shows them).
 */
static void
sel_build(struct sel *q, const struct user_rec *u, const struct procop_filter *f,
          int with_deleted)
{
	memset(q, 0, sizeof(*q));
	buf_puts(&q->where, with_deleted ? "true" : "s.state <> 'deleted'");
	if (!u->is_admin)
		buf_printf(&q->where, " AND av.app_id IN (SELECT app_id FROM app_monitors WHERE user_id = $%d)",
		           sel_int(q, u->id));
	if (f->app_id > 0)
		buf_printf(&q->where, " AND av.app_id = $%d", sel_int(q, f->app_id));
	if (f->app_version > 0)
		buf_printf(&q->where, " AND av.version = $%d", sel_int(q, f->app_version));
	if (f->state != NULL)
		buf_printf(&q->where, " AND s.state = $%d", sel_take(q, xstrdup(f->state)));
	if (f->creator != NULL)
		buf_printf(&q->where, " AND s.creator = (SELECT id FROM users WHERE login = $%d)",
		           sel_take(q, xstrdup(f->creator)));
	if (f->dept_id > 0)
		/* The department and those below it, as the task listing; UNION ends a cycle. */
		buf_printf(&q->where, " AND s.creator IN (SELECT id FROM users WHERE dept_id IN"
		                      " (WITH RECURSIVE sub(id) AS (SELECT id FROM departments WHERE id = $%d"
		                      " UNION SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id)"
		                      " SELECT id FROM sub))",
		           sel_int(q, f->dept_id));
	if (f->created_from != NULL)
		buf_printf(&q->where, " AND s.created >= ($%d::timestamp AT TIME ZONE 'UTC')",
		           sel_take(q, xstrdup(f->created_from)));
	if (f->created_to != NULL)
		buf_printf(&q->where, " AND s.created < ($%d::timestamp AT TIME ZONE 'UTC')",
		           sel_take(q, xstrdup(f->created_to)));
	if (f->node_id > 0)
		buf_printf(&q->where, " AND s.current_node_id = $%d", sel_int(q, f->node_id));
	if (f->keyword != NULL && f->keyword[0] != '\0')
		buf_printf(&q->where, " AND s.title ILIKE $%d", sel_take(q, db_like_pattern(f->keyword)));
	if (f->nsession_ids > 0)
		buf_printf(&q->where, " AND s.id = ANY ($%d::bigint[])",
		           sel_take(q, db_id_array(f->session_ids, f->nsession_ids)));
	buf_cstr(&q->where);
}

static PGresult *
sel_run(struct db *db, struct sel *q, const char *sql, struct fb_err *err)
{
	PGresult *res = db_query(db, NULL, sql, q->n, (const char *const *)q->params, err);

	if (res == NULL && strncmp(err->sqlstate, "22", 2) == 0) {
		/* A date that has the right shape but does not exist (2026-02-30). */
		fb_err_clear(err);
		fb_err_msg(err, FB_EINVAL, "proc.created_invalid", NULL);
	}
	return res;
}

#define SEL_FROM                                                                             \
	" FROM app_sessions s JOIN app_versions av ON av.id = s.app_version_id "

int
procop_sessions(struct db *db, const struct user_rec *u, const struct procop_filter *f,
                int64_t page, int64_t page_size, struct json_object **out, struct fb_err *err)
{
	struct sel q;
	struct json_object *items = NULL;
	PGresult *res = NULL;
	char *sql = NULL;
	long long total;
	int i, lim, off, rc = -1;

	if (procop_filter_check(f, err) < 0)
		return -1;
	sel_build(&q, u, f, 0);
	sql = xasprintf("SELECT count(*)" SEL_FROM "WHERE %s", q.where.data);
	if ((res = sel_run(db, &q, sql, err)) == NULL)
		goto out;
	total = db_ll(res, 0, 0);
	PQclear(res);
	free(sql);
	lim = sel_int(&q, page_size);
	off = sel_int(&q, (page - 1) * page_size);
	/* The page first, by the primary key backwards; then the joins for its rows only. */
	sql = xasprintf("WITH p AS (SELECT s.id" SEL_FROM "WHERE %s ORDER BY s.id DESC LIMIT $%d OFFSET $%d)"
	                " SELECT s.id, s.title, s.state, s.outcome, a.id, a.name, av.version,"
	                " s.current_node_id, n.name, c.login, c.name, c.dept_id, "
	                TS_SQL("s.created") ", " TS_SQL("s.modified")
	                " FROM p JOIN app_sessions s ON s.id = p.id"
	                " JOIN app_versions av ON av.id = s.app_version_id JOIN apps a ON a.id = av.app_id"
	                " JOIN users c ON c.id = s.creator LEFT JOIN nodes n ON n.id = s.current_node_id"
	                " ORDER BY s.id DESC",
	                q.where.data, lim, off);
	if ((res = sel_run(db, &q, sql, err)) == NULL)
		goto out;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *o = json_object_new_object();

		jsonh_add_int(o, "session_id", db_ll(res, i, 0));
		jsonh_add_str(o, "title", PQgetvalue(res, i, 1));
		jsonh_add_str(o, "state", PQgetvalue(res, i, 2));
		jsonh_add_str(o, "outcome", db_val(res, i, 3));
		jsonh_add_int(o, "app_id", db_ll(res, i, 4));
		jsonh_add_str(o, "app_name", PQgetvalue(res, i, 5));
		jsonh_add_int(o, "app_version", db_ll(res, i, 6));
		if (db_val(res, i, 7) != NULL)
			jsonh_add_int(o, "current_node_id", db_ll(res, i, 7));
		else
			jsonh_add_null(o, "current_node_id");
		jsonh_add_str(o, "current_node", db_val(res, i, 8));
		jsonh_add_str(o, "creator", PQgetvalue(res, i, 9));
		jsonh_add_str(o, "creator_name", PQgetvalue(res, i, 10));
		if (db_val(res, i, 11) != NULL)
			jsonh_add_int(o, "dept_id", db_ll(res, i, 11));
		else
			jsonh_add_null(o, "dept_id");
		jsonh_add_str(o, "created", PQgetvalue(res, i, 12));
		jsonh_add_str(o, "modified", PQgetvalue(res, i, 13));
		json_object_array_add(items, o);
	}
	*out = jsonh_page(items, total, page, page_size);
	rc = 0;
out:
	PQclear(res);
	free(sql);
	sel_free(&q);
	return rc;
}

/* ---- submission -------------------------------------------------------------------------- */

/* The ids of f that u may operate on, in id order; *ids malloc'ed (caller frees). */
static int
filter_ids(struct db *db, const struct user_rec *u, const struct procop_filter *f, size_t max,
           int64_t **ids, size_t *n, struct fb_err *err)
{
	struct sel q;
	PGresult *res;
	char *sql;

	sel_build(&q, u, f, 0);
	sql = xasprintf("SELECT s.id" SEL_FROM "WHERE %s ORDER BY s.id LIMIT $%d", q.where.data,
	                sel_int(&q, (int64_t)max + 1));
	res = sel_run(db, &q, sql, err);
	free(sql);
	sel_free(&q);
	if (res == NULL)
		return -1;
	db_id_list(res, ids, n);
	PQclear(res);
	return 0;
}

/*
 * Ids the caller may not operate on (no such session, or not theirs to operate on: one and
 * the same answer) as one detail; duplicates as another.
 */
static int
check_ids(struct db *db, const struct user_rec *u, const int64_t *ids, size_t n,
          struct fb_err *err)
{
	struct procop_filter f = {.session_ids = ids, .nsession_ids = n};
	struct json_object *list = NULL, *dups = NULL, *d;
	struct sel q;
	PGresult *res;
	char *sql;
	int i;

	sel_build(&q, u, &f, 1);
	/* The last parameter is the ids; the outer query lists those the scope does not reach. */
	sql = xasprintf("SELECT r.id, r.n FROM (SELECT id, count(*) AS n, min(ord) AS ord FROM"
	                " unnest($%d::bigint[]) WITH ORDINALITY u(id, ord) GROUP BY id) r"
	                " WHERE r.n > 1 OR NOT EXISTS (SELECT 1" SEL_FROM "WHERE s.id = r.id AND %s)"
	                " ORDER BY r.ord",
	                q.n, q.where.data);
	res = sel_run(db, &q, sql, err);
	free(sql);
	sel_free(&q);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object **to = db_ll(res, i, 1) > 1 ? &dups : &list;

		if (*to == NULL)
			*to = json_object_new_array();
		json_object_array_add(*to, json_object_new_int64(db_ll(res, i, 0)));
	}
	PQclear(res);
	if (list != NULL) {
		d = fb_err_detail_msg("session_ids", "proc.sessions_unknown", NULL);
		json_object_object_add(d, "session_ids", list);
		fb_err_detail(err, d);
	}
	if (dups != NULL) {
		d = fb_err_detail_msg("session_ids", "proc.sessions_twice", NULL);
		json_object_object_add(d, "session_ids", dups);
		fb_err_detail(err, d);
	}
	return 0;
}

static void
created_answer(struct idem_answer *a, int64_t op_id, int total)
{
	struct json_object *o = json_object_new_object();

	memset(a, 0, sizeof(*a));
	jsonh_add_int(o, "op_id", op_id);
	jsonh_add_int(o, "total", total);
	a->status = 201;
	a->bulk_op_id = op_id;
	snprintf(a->body, sizeof(a->body), "%s", jsonh_str(o));
	json_object_put(o);
}

struct submit_ctx {
	const struct user_rec *u;
	const struct procop_spec *spec;
	const int64_t *ids;
	size_t n;
	int64_t op_id;
	int key_taken;
};

static int
submit_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct submit_ctx *c = arg;
	const struct procop_spec *s = c->spec;
	char creator[DB_ID_MAX], oid[DB_ID_MAX], total[16], app[DB_ID_MAX];
	char *ids = db_id_array(c->ids, c->n), *filter = NULL;
	struct idem_answer a;
	PGresult *res;
	int got, rc = -1;

	db_id(creator, c->u->id);
	snprintf(total, sizeof(total), "%zu", c->n);
	db_id(app, s->filter != NULL ? s->filter->app_id : 0);
	if (s->filter != NULL) {
		struct json_object *fo = json_object_new_object();
		const struct procop_filter *f = s->filter;

		if (f->app_id)
			jsonh_add_int(fo, "app_id", f->app_id);
		if (f->app_version)
			jsonh_add_int(fo, "app_version", f->app_version);
		if (f->state)
			jsonh_add_str(fo, "state", f->state);
		if (f->creator)
			jsonh_add_str(fo, "creator", f->creator);
		if (f->dept_id)
			jsonh_add_int(fo, "dept_id", f->dept_id);
		if (f->created_from)
			jsonh_add_str(fo, "created_from", f->created_from);
		if (f->created_to)
			jsonh_add_str(fo, "created_to", f->created_to);
		if (f->node_id)
			jsonh_add_int(fo, "node_id", f->node_id);
		if (f->keyword)
			jsonh_add_str(fo, "keyword", f->keyword);
		filter = xstrdup(jsonh_str(fo));
		json_object_put(fo);
	}
	res = db_query(db, "procop_insert",
	               "INSERT INTO process_bulk_op (app_id, operation, filter, comment, total, creator)"
	               " VALUES (nullif($1::bigint, 0), $2, $3::jsonb, $4, $5, $6) RETURNING id",
	               6, (const char *[]){app, s->operation, filter, s->comment, total, creator}, err);
	if (res == NULL)
		goto out;
	c->op_id = db_ll(res, 0, 0);
	PQclear(res);
	db_id(oid, c->op_id);
	created_answer(&a, c->op_id, (int)c->n);
	got = idem_record(db, c->u->id, s->idem_key, s->idem_request, &a, err);
	if (got < 0)
		goto out;
	if (got == 0) {
		c->key_taken = 1;
		fb_err_msg(err, FB_ECONFLICT, "batch.idem_recorded", NULL);
		goto out;
	}
	if (db_exec(db, "procop_items_insert",
	            "WITH l AS (INSERT INTO proc_log (bulk_op_id, session_id, operation, actor)"
	            "  SELECT $1, u.id, $3, $4 FROM unnest($2::bigint[]) u(id) ORDER BY u.id)"
	            " INSERT INTO action_log (actor, action, target_type, target_id, detail)"
	            " VALUES ($4, 'process.bulk.' || $3, 'process_bulk_op', $1,"
	            "  jsonb_build_object('total', cardinality($2::bigint[]), 'filter', $5::jsonb,"
	            "  'comment', $6::text))",
	            6, (const char *[]){oid, ids, s->operation, creator, filter, s->comment}, err) < 0)
		goto out;
	rc = 0;
out:
	free(ids);
	free(filter);
	return rc;
}

int
procop_replay(struct db *db, const struct user_rec *u, const char *key, const char *fingerprint,
              struct procop_created *out, struct fb_err *err)
{
	int got;

	memset(out, 0, sizeof(*out));
	got = idem_find(db, u->id, key, fingerprint, &out->answer, err);
	if (got == 1) {
		if (out->answer.bulk_op_id == 0) {
			/* The key answered another kind of request: the fingerprint includes the route. */
			fb_err_msg(err, FB_EVALIDATION, "idem.reused", NULL);
			return -1;
		}
		out->op_id = out->answer.bulk_op_id;
		out->replayed = 1;
	}
	return got;
}

int
procop_submit(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
              const struct procop_spec *spec, struct procop_created *out, struct fb_err *err)
{
	struct submit_ctx c = {.u = u, .spec = spec};
	struct procop_spec own;
	int64_t *ids = NULL;
	size_t n = 0;
	char key[IDEM_OWN_KEY_LEN];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (spec->idem_key != NULL) {
		int got = procop_replay(db, u, spec->idem_key, spec->idem_request, out, err);

		if (got != 0)
			return got < 0 ? -1 : 0;
	} else {
		idem_own_key(key);
		own = *spec;
		own.idem_key = key;
		own.idem_request = "";
		c.spec = spec = &own;
	}
	if (!procexec_known(spec->operation))
		fb_err_detail(err, fb_err_detail_msg("operation", "proc.operation", NULL));
	if (spec->comment != NULL && utf8_chars(spec->comment) > PROCOP_MAX_COMMENT)
		fb_err_detail(err, fb_err_detail_msg("comment", "batch.comment_long", NULL));
	if (spec->filter != NULL) {
		struct fb_err ferr = {0};

		if (procop_filter_check(spec->filter, &ferr) < 0)
			fb_err_detail(err, fb_err_to_detail("filter", &ferr));
		else if (filter_ids(db, u, spec->filter, (size_t)cfg->batch_max_tasks, &ids, &n, err) < 0) {
			fb_err_clear(&ferr);
			if (err->code == FB_EINVAL) {
				fb_err_detail(err, fb_err_to_detail("filter", err));
			} else {
				goto out;
			}
		}
		fb_err_clear(&ferr);
		if (ids != NULL && n == 0)
			fb_err_detail(err, fb_err_detail_msg("filter", "proc.filter_empty", NULL));
	} else if (spec->nsession_ids == 0) {
		fb_err_detail(err, fb_err_detail_msg("session_ids", "proc.select_one", NULL));
	} else if (spec->nsession_ids <= (size_t)cfg->batch_max_tasks) {
		if (check_ids(db, u, spec->session_ids, spec->nsession_ids, err) < 0)
			goto out;
		n = spec->nsession_ids;
	} else {
		n = spec->nsession_ids;
	}
	if (n > (size_t)cfg->batch_max_tasks) {
		fb_err_clear(err);
		fb_err_msg(err, FB_ETOOBIG, "proc.too_many",
		           msg_args("max", json_object_new_int(cfg->batch_max_tasks), NULL));
		goto out;
	}
	if (err->details != NULL) {
		fb_err_msg(err, FB_EVALIDATION, "proc.invalid", NULL);
		goto out;
	}
	c.ids = spec->filter != NULL ? ids : spec->session_ids;
	c.n = n;
	if (db_tx(db, submit_tx, &c, err) < 0) {
		int got;

		if (!c.key_taken)
			goto out;
		fb_err_clear(err);
		got = procop_replay(db, u, spec->idem_key, spec->idem_request, out, err);
		if (got == 0)
			fb_err_msg(err, FB_ECONFLICT, "idem.in_progress", NULL);
		rc = got == 1 ? 0 : -1;
		goto out;
	}
	out->op_id = c.op_id;
	out->total = (int)n;
	created_answer(&out->answer, c.op_id, (int)n);
	rc = 0;
out:
	free(ids);
	return rc;
}

/* ---- reads, cancel, retry ---------------------------------------------------------------- */

/* The counter sums of the operation aliased op, as c. */
#define OP_COUNTS_JOIN(op)                                                                   \
	"LEFT JOIN LATERAL (SELECT sum(success) AS success, "                                    \
	"sum(failed) AS failed, sum(ignored) AS ignored, sum(cancelled) AS cancelled "            \
	"FROM process_bulk_counter WHERE op_id = " op ".id) c ON true "
#define OP_COLS                                                                              \
	"SELECT o.id, o.operation, o.status, o.comment, " TS_SQL("o.created") ", "                \
	TS_SQL("o.started") ", " TS_SQL("o.finished") ", "                                         \
	"extract(epoch FROM coalesce(o.finished, now()) - o.started), o.total, "                  \
	"o.success + coalesce(c.success, 0), o.failed + coalesce(c.failed, 0), "                  \
	"o.ignored + coalesce(c.ignored, 0), o.cancelled + coalesce(c.cancelled, 0) "            \
	"FROM process_bulk_op o " OP_COUNTS_JOIN("o")

static struct json_object *
op_json(const PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	long long total = db_ll(res, row, 8), s = db_ll(res, row, 9), f = db_ll(res, row, 10),
	          g = db_ll(res, row, 11), c = db_ll(res, row, 12);

	jsonh_add_int(o, "op_id", db_ll(res, row, 0));
	jsonh_add_str(o, "operation", PQgetvalue(res, row, 1));
	jsonh_add_str(o, "status", PQgetvalue(res, row, 2));
	jsonh_add_str(o, "comment", db_val(res, row, 3));
	jsonh_add_str(o, "created", db_val(res, row, 4));
	jsonh_add_str(o, "started", db_val(res, row, 5));
	jsonh_add_str(o, "finished", db_val(res, row, 6));
	jsonh_add_int(o, "total", total);
	jsonh_add_int(o, "success", s);
	jsonh_add_int(o, "failed", f);
	jsonh_add_int(o, "ignored", g);
	jsonh_add_int(o, "cancelled", c);
	jsonh_add_progress(o, total, s + f + g + c, db_val(res, row, 7));
	return o;
}

int
procop_status(struct db *db, const struct user_rec *u, int64_t id, struct json_object **out,
              struct fb_err *err)
{
	char oid[DB_ID_MAX], uid[DB_ID_MAX];
	PGresult *res;

	db_id(oid, id);
	db_id(uid, u->id);
	res = db_query(db, "procop_status", OP_COLS "WHERE o.id = $1 AND o.creator = $2", 2,
	               (const char *[]){oid, uid}, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		fb_err_msg(err, FB_ENOTFOUND, "proc.not_found", msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	*out = op_json(res, 0);
	PQclear(res);
	return 0;
}

int
procop_list(struct db *db, const struct user_rec *u, const char *status, int64_t page,
            int64_t page_size, struct json_object **out, struct fb_err *err)
{
	static const char *const statuses[] = {"init", "running", "finished", "cancelled", NULL};
	char uid[DB_ID_MAX], lim[24], off[24];
	struct json_object *items;
	PGresult *res;
	long long total;
	int i;

	if (listing_status(status, statuses,
	                   "list.run_status",
	                   err) < 0)
		return -1;
	db_id(uid, u->id);
	listing_page(page, page_size, lim, off);
	res = db_query(db, "procop_list_count",
	               "SELECT count(*) FROM process_bulk_op WHERE creator = $1"
	               " AND ($2::text IS NULL OR status = $2)",
	               2, (const char *[]){uid, status}, err);
	if (res == NULL)
		return -1;
	total = db_ll(res, 0, 0);
	PQclear(res);
	res = db_query(db, "procop_list",
	               OP_COLS "WHERE o.creator = $1 AND ($2::text IS NULL OR o.status = $2)"
	                       " ORDER BY o.id DESC LIMIT $3 OFFSET $4",
	               4, (const char *[]){uid, status, lim, off}, err);
	if (res == NULL)
		return -1;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, op_json(res, i));
	PQclear(res);
	*out = jsonh_page(items, total, page, page_size);
	return 0;
}

int
procop_active(struct db *db, int64_t creator, int limit, struct json_object **out,
              struct fb_err *err)
{
	char uid[DB_ID_MAX], lim[DB_ID_MAX];
	PGresult *res;
	int i;

	db_id(uid, creator);
	db_id(lim, limit);
	/* (status, modified) index: only operations not yet settled are read. */
	res = db_query(db, "procop_active",
	               OP_COLS "WHERE o.status IN ('init', 'running')"
	                       " AND ($1::bigint = 0 OR o.creator = $1::bigint)"
	                       " ORDER BY o.id DESC LIMIT $2",
	               2, (const char *[]){uid, lim}, err);
	if (res == NULL)
		return -1;
	*out = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(*out, op_json(res, i));
	PQclear(res);
	return 0;
}

const struct chunk_kind procop_kind = {
	CHUNK_KIND("procop", "process_bulk_op", "proc_log", "bulk_op_id"),
	.id_field = "op_id",
	.item_field = "proc_log_id",
	.counter = CHUNK_COUNTER("procop_count", "process_bulk_counter", "op_id", "process_bulk_op",
	                         "process"),
	.today_stmt = "procop_today",
	.today_sql = CHUNK_TODAY_SQL("process_bulk_op", OP_COUNTS_JOIN("b")),
	.finish_stmt = "procop_finish",
	.finish_sql = TASKCENTER_OP_END_SQL(
	    CHUNK_FINISH_UPDATE("process_bulk_op", "proc_log", "bulk_op_id"), "true"),
	/* A cancel that ends the operation tells its submitter (batch.finished, cancelled). */
	.cancel_stmt = "procop_cancel",
	.cancel_sql = TASKCENTER_OP_END_SQL(CHUNK_CANCEL_SQL("process_bulk_op"), TASKCENTER_CANCEL_ENDED),
	.not_found = "proc.not_found",
	.cancelled = "proc.cancelled",
	.cancel_items = procexec_cancel_pending,
};

int
procop_today(struct db *db, int64_t creator, struct chunk_day *out, struct fb_err *err)
{
	return chunk_today(db, &procop_kind, creator, out, err);
}

int
procop_items(struct db *db, const struct user_rec *u, int64_t id, const char *status,
             int64_t page, int64_t page_size, enum msg_lang lang, struct json_object **out,
             struct fb_err *err)
{
	static const char *const statuses[] = {"pending", "success", "failed", "ignored",
	                                       "cancelled", NULL};
	char oid[DB_ID_MAX], lim[24], off[24], st[16];
	struct json_object *items;
	PGresult *res;
	long long total;
	int i;

	if (listing_status(status, statuses,
	                   "list.item_status",
	                   err) < 0)
		return -1;
	if (chunk_owned(db, &procop_kind, id, u->id, 0, st, err) < 0)
		return -1;
	db_id(oid, id);
	listing_page(page, page_size, lim, off);
	res = db_query(db, "procop_items_count",
	               "SELECT count(*) FROM proc_log WHERE bulk_op_id = $1"
	               " AND ($2::text IS NULL OR status = $2)",
	               2, (const char *[]){oid, status}, err);
	if (res == NULL)
		return -1;
	total = db_ll(res, 0, 0);
	PQclear(res);
	res = db_query(db, "procop_items",
	               "SELECT l.session_id, l.status, l.old_state, l.new_state, l.error, "
	               TS_SQL("l.finished") ", s.title, l.error_code, l.error_params::text FROM proc_log l"
	               " LEFT JOIN app_sessions s ON s.id = l.session_id"
	               " WHERE l.bulk_op_id = $1 AND ($2::text IS NULL OR l.status = $2)"
	               " ORDER BY l.id LIMIT $3 OFFSET $4",
	               4, (const char *[]){oid, status, lim, off}, err);
	if (res == NULL)
		return -1;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *o = json_object_new_object();

		jsonh_add_int(o, "session_id", db_ll(res, i, 0));
		jsonh_add_str(o, "status", PQgetvalue(res, i, 1));
		jsonh_add_str(o, "old_state", db_val(res, i, 2));
		jsonh_add_str(o, "new_state", db_val(res, i, 3));
		msg_reason_add(o, db_val(res, i, 7), db_val(res, i, 8), db_val(res, i, 4), lang);
		jsonh_add_str(o, "finished", db_val(res, i, 5));
		jsonh_add_str(o, "title", db_val(res, i, 6));
		json_object_array_add(items, o);
	}
	PQclear(res);
	*out = jsonh_page(items, total, page, page_size);
	return 0;
}

int
procop_cancel(struct db *db, const struct user_rec *u, int64_t id, int *n, struct fb_err *err)
{
	return chunk_cancel(db, &procop_kind, id, u->id, n, err);
}

/* Every failed row of the operation back to pending, as if never run. */
static int
reopen_items(struct db *db, void *arg, int64_t id, int *n, struct fb_err *err)
{
	char oid[DB_ID_MAX];
	PGresult *res;

	(void)arg;
	db_id(oid, id);
	res = db_query(db, "procop_retry_items",
	               "WITH l AS (UPDATE proc_log SET status = 'pending', finished = NULL, error = NULL,"
	               "  error_code = NULL, error_params = NULL,"
	               "  old_state = NULL, new_state = NULL"
	               "  WHERE bulk_op_id = $1 AND status = 'failed' RETURNING 1)"
	               " SELECT count(*) FROM l",
	               1, (const char *[]){oid}, err);
	if (res == NULL)
		return -1;
	*n = (int)db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

int
procop_retry_prepare(struct db *db, const struct user_rec *u, int64_t id, int *n,
                     struct fb_err *err)
{
	return chunk_retry(db, &procop_kind, id, u->id, reopen_items, NULL, n, err);
}

int
procop_pending(struct db *db, int64_t id, long long *n, struct fb_err *err)
{
	return chunk_pending(db, &procop_kind, id, n, err);
}

int
procop_publish(struct queue *q, int64_t id, int helper, struct fb_err *err)
{
	struct json_object *args = json_object_new_object();
	char job[37] = "";
	int rc;

	jsonh_add_int(args, "op_id", id);
	if (helper)
		jsonh_add_bool(args, "helper", 1);
	rc = queue_publish(q, helper ? QUEUE_COMMON : QUEUE_HIGH, "process.bulk", args, job, err);
	json_object_put(args);
	return rc;
}

int
procop_recover_scan(struct db *db, const struct fb_config *cfg, int64_t **ids, size_t *n,
                    struct fb_err *err)
{
	return chunk_stale(db, cfg, &procop_kind, ids, n, err);
}
