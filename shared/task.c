/* SPDX-License-Identifier: MIT */
/*
 * task: listing one assignee's pending tasks for the batch console, and selecting them by
 * filter for a batch.
 *
 * The filter's conditions become a WHERE clause built with $n placeholders only: every
 * value (the user, the node, the keyword pattern, the department, the ids, field keys and
 * values) travels as a parameter, never inside the SQL text.  The listing, its count and
 * the id selection share that one builder, so a batch submitted "by filter" acts on
 * exactly the tasks the console showed.  Field conditions are checked against the node's
 * view and the app version's form schema, parsed by node_form_load.
 *
 * Memory: a struct task_filter owns its strings and arrays (malloc'ed, task_filter_free).
 * The query builder owns copies of its parameters until it is freed; the filtered node's
 * parsed form is held for one call (node_form_release on every path); PGresults are
 * cleared on every path; the JSON objects returned are new references for the caller.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "utf8.h"
#include "task.h"
#include "db.h"

#define TASK_FIELD_KEY_MAX 128

/* ---- the filter ------------------------------------------------------------------------ */

void
task_filter_init(struct task_filter *f)
{
	memset(f, 0, sizeof(*f));
}

void
task_filter_free(struct task_filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	free(f->keyword);
	free(f->task_ids);
	for (i = 0; i < f->nfields; i++) {
		free(f->fields[i].key);
		free(f->fields[i].value);
		free(f->fields[i].param);
	}
	free(f->fields);
	memset(f, 0, sizeof(*f));
}

/*
 * FB_EINVAL "parameter <param>: <what>" with a detail naming the parameter; what is the
 * message code and params (stolen, may be NULL) of msg.c's catalogue.
 */
static void
bad_param(struct fb_err *err, const char *param, const char *code, struct json_object *params)
{
	struct json_object *what = json_object_new_object();

	if (params == NULL)
		params = json_object_new_object();
	json_object_object_add(what, "code", json_object_new_string(code));
	json_object_object_add(what, "params", json_object_get(params));
	fb_err_msg(err, FB_EINVAL, "task.param",
	           msg_args("name", json_object_new_string(param), "what", what, NULL));
	fb_err_detail(err, fb_err_detail_msg(param, code, params));
}

/* {"max": n} */
static struct json_object *
max_arg(long long n)
{
	return msg_args("max", json_object_new_int64(n), NULL);
}

int
task_filter_set_keyword(struct task_filter *f, const char *param, const char *keyword,
                        struct fb_err *err)
{
	size_t len;

	while (*keyword == ' ' || *keyword == '\t')
		keyword++;
	len = strlen(keyword);
	while (len > 0 && (keyword[len - 1] == ' ' || keyword[len - 1] == '\t'))
		len--;
	free(f->keyword);
	f->keyword = NULL;
	if (len == 0)
		return 0;
	f->keyword = xstrndup(keyword, len);
	if (utf8_chars(f->keyword) > TASK_KEYWORD_MAX) {
		bad_param(err, param, "task.keyword_long", max_arg(TASK_KEYWORD_MAX));
		free(f->keyword);
		f->keyword = NULL;
		return -1;
	}
	return 0;
}

int
task_filter_set_ids_csv(struct task_filter *f, const char *param, const char *csv,
                        struct fb_err *err)
{
	int64_t *ids = NULL;
	size_t n = 0;
	const char *p = csv;

	if (*p == '\0') {
		bad_param(err, param, "task.ids_list", NULL);
		return -1;
	}
	ids = xmalloc(sizeof(*ids) * TASK_IDS_MAX);
	for (;;) {
		char *end;
		long long v;

		if (n == TASK_IDS_MAX) {
			bad_param(err, param, "task.ids_max", max_arg(TASK_IDS_MAX));
			goto fail;
		}
		if (*p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || v <= 0 || (*end != ',' && *end != '\0'))
			goto bad;
		ids[n++] = v;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	free(f->task_ids);
	f->task_ids = ids;
	f->ntask_ids = n;
	return 0;
bad:
	bad_param(err, param, "task.ids_positive", NULL);
fail:
	free(ids);
	return -1;
}

int
task_filter_add_field(struct task_filter *f, const char *param, const char *key,
                      const char *value, int is_number, struct fb_err *err)
{
	struct task_field_cond *c;
	size_t i, klen = strlen(key);

	if (klen == 0 || klen > TASK_FIELD_KEY_MAX) {
		bad_param(err, param, "task.field_key", max_arg(TASK_FIELD_KEY_MAX));
		return -1;
	}
	if (strlen(value) > TASK_FIELD_VALUE_MAX) {
		bad_param(err, param, "task.field_value", max_arg(TASK_FIELD_VALUE_MAX));
		return -1;
	}
	for (i = 0; i < f->nfields; i++) {
		if (strcmp(f->fields[i].key, key) == 0) {
			bad_param(err, param, "task.given_twice", NULL);
			return -1;
		}
	}
	if (f->nfields == TASK_FIELDS_MAX) {
		bad_param(err, param, "task.fields_max", max_arg(TASK_FIELDS_MAX));
		return -1;
	}
	if (f->fields == NULL)
		f->fields = xcalloc(TASK_FIELDS_MAX, sizeof(*f->fields));
	c = &f->fields[f->nfields++];
	c->key = xstrdup(key);
	c->value = xstrdup(value);
	c->param = xstrdup(param);
	c->is_number = is_number;
	return 0;
}

/* Say which object a jsonh error is about, and add it as a detail. */
static void
in_member(struct fb_err *err, const char *name)
{
	struct json_object *what = fb_err_to_detail(NULL, err);

	fb_err_detail(err, fb_err_to_detail(name, err));
	fb_err_msg(err, err->code, "task.in_member",
	           msg_args("name", json_object_new_string(name), "what", what, NULL));
}

int
task_filter_from_json(struct task_filter *f, const char *name, struct json_object *obj,
                      struct fb_err *err)
{
	static const char *const allowed[] = {"node_id", "keyword", "dept_id", "fields", NULL};
	struct json_object *fields = NULL;
	const char *keyword = NULL;
	char param[200];
	int rc = 0;

	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		bad_param(err, name, "task.must_object", NULL);
		return -1;
	}
	if (jsonh_only_keys(obj, allowed, err) < 0) {
		in_member(err, name);
		return -1;
	}
	if (jsonh_get_int(obj, "node_id", 1, INT64_MAX, &f->node_id, err) < 0 ||
	    jsonh_get_int(obj, "dept_id", 1, INT64_MAX, &f->dept_id, err) < 0 ||
	    (rc = jsonh_get_str(obj, "keyword", &keyword, err)) < 0 ||
	    jsonh_get_obj(obj, "fields", &fields, err) < 0) {
		in_member(err, name);
		return -1;
	}
	if (rc == 1) {
		snprintf(param, sizeof(param), "%s.keyword", name);
		if (task_filter_set_keyword(f, param, keyword, err) < 0)
			return -1;
	}
	if (fields == NULL)
		return 0;
	json_object_object_foreach(fields, key, val) {
		enum json_type t = json_object_get_type(val);

		snprintf(param, sizeof(param), "%s.fields.%.128s", name, key);
		if (t != json_type_string && t != json_type_int && t != json_type_double) {
			bad_param(err, param, "task.string_or_number", NULL);
			return -1;
		}
		if (task_filter_add_field(f, param, key, json_object_get_string(val),
		                          t != json_type_string, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- the node's view and schema -------------------------------------------------------- */

/* Load node_id's parsed form into m; FB_ENOTFOUND names the node_id parameter. */
static int
meta_load(struct db *db, int64_t node_id, struct node_form *m, struct fb_err *err)
{
	if (node_form_load(db, node_id, m, err) == 0)
		return 0;
	if (err->code == FB_ENOTFOUND)
		fb_err_detail(err, fb_err_detail_msg("node_id", "node.no_such", NULL));
	return -1;
}

/* Step *p over decimal digits; how many. */
static size_t
skip_digits(const char **p)
{
	size_t d = 0;

	for (; **p >= '0' && **p <= '9'; (*p)++)
		d++;
	return d;
}

/* A plain decimal: -?digits[.digits][e[+-]digits], what PostgreSQL's numeric reads. */
static int
is_decimal(const char *s)
{
	const char *p = s;
	size_t d;

	if (strlen(s) > 64)
		return 0;
	if (*p == '-')
		p++;
	if (skip_digits(&p) == 0)
		return 0;
	if (*p == '.') {
		p++;
		if (skip_digits(&p) == 0)
			return 0;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		d = skip_digits(&p);
		if (d == 0 || d > 3)
			return 0;
	}
	return *p == '\0';
}

/*
 * The field conditions against the node: searchable in its view, known to the schema, a
 * value of the field's type.  numeric[i] says whether condition i compares numerically.
 */
static int
check_fields(const struct task_filter *f, const struct node_form *m, unsigned char *numeric,
             struct fb_err *err)
{
	size_t i;

	for (i = 0; i < f->nfields; i++) {
		const struct task_field_cond *c = &f->fields[i];
		const struct schema_field *fd = schema_field_by_key(m->schema, c->key);

		if (fd == NULL || !view_is_searchable(m->view, c->key)) {
			bad_param(err, c->param, "task.not_searchable",
			          msg_args("key", json_object_new_string(c->key), NULL));
			return -1;
		}
		numeric[i] = schema_field_type(fd) == SCHEMA_NUMBER;
		if (schema_field_type(fd) == SCHEMA_TABLE) {
			bad_param(err, c->param, "task.table_search", NULL);
			return -1;
		}
		if (numeric[i] && !is_decimal(c->value)) {
			bad_param(err, c->param, "form.number", NULL);
			return -1;
		}
		if (!numeric[i] && c->is_number) {
			bad_param(err, c->param, "task.must_string", NULL);
			return -1;
		}
	}
	return 0;
}

/*
 * Load the node (when the filter names one) and check the filter against it.  A node where
 * user_id has no pending task is not looked at at all: 1, "nothing matches", the same for
 * a node that does not exist, so that neither the node nor its searchable fields can be
 * probed by someone without tasks there.  0 when the filter was checked, -1 with err.
 */
static int
prepare(struct db *db, int64_t user_id, const struct task_filter *f, struct node_form *m,
        unsigned char *numeric, struct fb_err *err)
{
	int has;

	m->view = NULL;
	m->schema = NULL;
	if (f->nfields > 0 && f->node_id == 0) {
		bad_param(err, f->fields[0].param, "task.fields_need_node", NULL);
		return -1;
	}
	if (f->node_id == 0)
		return 0;
	if ((has = task_node_has_pending(db, user_id, f->node_id, err)) <= 0)
		return has < 0 ? -1 : 1;
	if (meta_load(db, f->node_id, m, err) < 0)
		return -1;
	if (check_fields(f, m, numeric, err) < 0) {
		node_form_release(m);
		return -1;
	}
	return 0;
}

/* ---- the query ------------------------------------------------------------------------- */

/*
 * SQL text with its parameters.  with holds the department CTE when there is one
 * ("sub(id) AS (..)"), where the conditions over tasks t and, when joins is set, over the
 * session s; params are copies owned here.
 *
 * Plan shape: the conditions on the session (keyword, department, form fields) are read
 * through a LATERAL subquery fenced with OFFSET 0, so that PostgreSQL walks the assignee's
 * own pending tasks by index and looks each session up by key.  Left to itself it scans
 * every session to test ILIKE or jsonb conditions whose selectivity it cannot estimate,
 * which costs in proportion to the whole table instead of one user's tasks.
 */
struct query {
	struct buf with, where;
	char **params;
	size_t n, cap;
	int joins; /* the conditions read the session s */
};

static void
query_free(struct query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		free(q->params[i]);
	free(q->params);
	free(q->with.data);
	free(q->where.data);
	memset(q, 0, sizeof(*q));
}

/* Add a parameter (taken over: malloc'ed); its placeholder number. */
static int
query_take(struct query *q, char *value)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->params = xrealloc(q->params, q->cap * sizeof(*q->params));
	}
	q->params[q->n++] = value;
	return (int)q->n;
}

static int
query_int(struct query *q, int64_t v)
{
	return query_take(q, xasprintf("%lld", (long long)v));
}

/* The conditions of user_id's pending tasks matching f, over tasks t [and session s]. */
static void
query_build(struct query *q, int64_t user_id, const struct task_filter *f,
            const unsigned char *numeric)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	buf_printf(&q->where, "t.assignee = $%d AND t.state = 'pending'", query_int(q, user_id));
	if (f->node_id > 0)
		buf_printf(&q->where, " AND t.node_id = $%d", query_int(q, f->node_id));
	if (f->ntask_ids > 0) {
		struct buf arr = {0};

		buf_puts(&arr, "{");
		for (i = 0; i < f->ntask_ids; i++)
			buf_printf(&arr, "%s%lld", i ? "," : "", (long long)f->task_ids[i]);
		buf_puts(&arr, "}");
		buf_cstr(&arr);
		buf_printf(&q->where, " AND t.id = ANY ($%d::bigint[])", query_take(q, arr.data));
	}
	if (f->keyword != NULL) {
		int k = query_take(q, db_like_pattern(f->keyword));

		buf_printf(&q->where,
		           " AND (s.title ILIKE $%d OR s.creator IN "
		           "(SELECT u.id FROM users u WHERE u.name ILIKE $%d))",
		           k, k);
		q->joins = 1;
	}
	if (f->dept_id > 0) {
		/* UNION, not UNION ALL: a cycle in parent_id ends instead of looping. */
		buf_printf(&q->with,
		           "sub(id) AS (SELECT id FROM departments WHERE id = $%d "
		           "UNION SELECT d.id FROM departments d JOIN sub ON d.parent_id = sub.id)",
		           query_int(q, f->dept_id));
		buf_puts(&q->where, " AND s.creator IN (SELECT u.id FROM users u "
		                    "WHERE u.dept_id IN (SELECT id FROM sub))");
		q->joins = 1;
	}
	for (i = 0; i < f->nfields; i++) {
		int k = query_take(q, xstrdup(f->fields[i].key));
		int v = query_take(q, xstrdup(f->fields[i].value));

		buf_printf(&q->where, " AND s.form_data -> $%d::text = to_jsonb($%d::%s)", k, v,
		           numeric[i] ? "numeric" : "text");
		q->joins = 1;
	}
	buf_cstr(&q->with);
	buf_cstr(&q->where);
}

static PGresult *
query_run(struct db *db, struct query *q, const char *sql, struct fb_err *err)
{
	return db_query(db, NULL, sql, (int)q->n, (const char *const *)q->params, err);
}

/* "WITH .. " (with extra, a further CTE, when given) or "". */
static void
query_with(struct buf *sql, const struct query *q, const char *extra)
{
	if (q->with.len > 0)
		buf_printf(sql, "WITH RECURSIVE %s%s%s ", q->with.data, extra ? ", " : "",
		           extra ? extra : "");
	else if (extra != NULL)
		buf_printf(sql, "WITH %s ", extra);
}

/* " FROM .. WHERE ..": the matching tasks t. */
static void
query_from_where(struct buf *sql, const struct query *q)
{
	buf_puts(sql, " FROM tasks t");
	if (q->joins)
		buf_puts(sql, " CROSS JOIN LATERAL (SELECT s.title, s.creator, s.form_data "
		              "FROM app_sessions s WHERE s.id = t.session_id OFFSET 0) s");
	buf_printf(sql, " WHERE %s", q->where.data);
}

/* ---- nodes ----------------------------------------------------------------------------- */

int
task_node_has_pending(struct db *db, int64_t user_id, int64_t node_id, struct fb_err *err)
{
	char uid[24], nid[24];
	const char *params[2] = {uid, nid};
	PGresult *res;
	int found;

	db_id(uid, user_id);
	db_id(nid, node_id);
	res = db_query(db, "task_node_has_pending",
	               "SELECT 1 FROM tasks WHERE assignee = $1 AND node_id = $2 "
	               "AND state = 'pending' LIMIT 1",
	               2, params, err);
	if (res == NULL)
		return -1;
	found = PQntuples(res) > 0;
	PQclear(res);
	return found;
}

struct json_object *
task_list_nodes(struct db *db, int64_t user_id, struct fb_err *err)
{
	char uid[24];
	const char *params[1] = {uid};
	struct json_object *body, *items;
	PGresult *res;
	int i, n;
	int64_t tasks = 0;

	db_id(uid, user_id);
	res = db_query(db, "task_list_nodes",
	               "SELECT n.id, n.name, a.id, a.name, v.id, v.version, x.cnt "
	               "FROM (SELECT node_id, count(*) AS cnt FROM tasks "
	               "      WHERE assignee = $1 AND state = 'pending' GROUP BY node_id) x "
	               "JOIN nodes n ON n.id = x.node_id "
	               "JOIN app_versions v ON v.id = n.app_version_id "
	               "JOIN apps a ON a.id = v.app_id "
	               "ORDER BY a.name, v.version, n.seq, n.id",
	               1, params, err);
	if (res == NULL)
		return NULL;
	body = json_object_new_object();
	items = json_object_new_array();
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		struct json_object *it = json_object_new_object();

		jsonh_add_int(it, "node_id", db_ll(res, i, 0));
		jsonh_add_str(it, "node_name", PQgetvalue(res, i, 1));
		jsonh_add_int(it, "app_id", db_ll(res, i, 2));
		jsonh_add_str(it, "app_name", PQgetvalue(res, i, 3));
		jsonh_add_int(it, "app_version_id", db_ll(res, i, 4));
		jsonh_add_int(it, "app_version", db_ll(res, i, 5));
		jsonh_add_int(it, "count", db_ll(res, i, 6));
		tasks += db_ll(res, i, 6);
		json_object_array_add(items, it);
	}
	PQclear(res);
	json_object_object_add(body, "items", items);
	jsonh_add_int(body, "total", n);
	jsonh_add_int(body, "tasks", tasks);
	return body;
}

/* ---- the list -------------------------------------------------------------------------- */

/* labels: {key: label} for the fields the node's view lists as visible, in its order. */
static struct json_object *
labels_of(const struct node_form *m)
{
	struct json_object *labels = json_object_new_object();
	size_t i;

	for (i = 0; i < view_nlisted(m->view); i++) {
		const struct schema_field *fd = view_listed_at(m->view, i);

		jsonh_add_str(labels, schema_field_key(fd), schema_field_label(fd));
	}
	return labels;
}

static struct json_object *
item_of(const PGresult *res, int i, struct fb_err *err)
{
	struct json_object *it = json_object_new_object(), *o, *fields;
	const char *lock = db_val(res, i, 11);

	jsonh_add_int(it, "task_id", db_ll(res, i, 0));
	jsonh_add_int(it, "session_id", db_ll(res, i, 1));
	jsonh_add_str(it, "title", PQgetvalue(res, i, 2));
	jsonh_add_str(it, "session_state", PQgetvalue(res, i, 3));
	o = json_object_new_object();
	jsonh_add_str(o, "login", PQgetvalue(res, i, 4));
	jsonh_add_str(o, "name", PQgetvalue(res, i, 5));
	json_object_object_add(it, "creator", o);
	if (db_val(res, i, 6) != NULL) {
		o = json_object_new_object();
		jsonh_add_int(o, "id", db_ll(res, i, 6));
		jsonh_add_str(o, "name", db_val(res, i, 7));
		json_object_object_add(it, "creator_dept", o);
	} else {
		jsonh_add_null(it, "creator_dept");
	}
	jsonh_add_str(it, "created", PQgetvalue(res, i, 8));
	jsonh_add_int(it, "node_id", db_ll(res, i, 9));
	jsonh_add_str(it, "node_name", PQgetvalue(res, i, 10));
	jsonh_add_bool(it, "locked", lock != NULL);
	jsonh_add_str(it, "lock_kind", lock);
	fields = json_tokener_parse(PQgetvalue(res, i, 12));
	if (fields == NULL) {
		json_object_put(it);
		fb_err_set(err, FB_EINTERNAL, "task %s: unreadable form data", PQgetvalue(res, i, 0));
		return NULL;
	}
	json_object_object_add(it, "fields", fields);
	return it;
}

struct json_object *
task_list(struct db *db, int64_t user_id, const struct task_filter *f, int64_t page,
          int64_t page_size, struct fb_err *err)
{
	struct node_form m = {0};
	unsigned char numeric[TASK_FIELDS_MAX];
	struct query q = {0};
	struct buf sql = {0};
	struct json_object *body = NULL, *items = NULL;
	PGresult *res = NULL;
	long long total;
	int i, n, lim, off;

	if (page < 1 || page > TASK_PAGE_MAX || page_size < 1 || page_size > TASK_PAGE_SIZE_MAX) {
		fb_err_msg(err, FB_EINVAL, "task.page_range", NULL);
		return NULL;
	}
	switch (prepare(db, user_id, f, &m, numeric, err)) {
	case -1:
		return NULL;
	case 1:
		body = json_object_new_object();
		json_object_object_add(body, "items", json_object_new_array());
		jsonh_add_int(body, "total", 0);
		jsonh_add_int(body, "page", page);
		jsonh_add_int(body, "page_size", page_size);
		return body;
	}
	query_build(&q, user_id, f, numeric);

	query_with(&sql, &q, NULL);
	buf_puts(&sql, "SELECT count(*)");
	query_from_where(&sql, &q);
	res = query_run(db, &q, buf_cstr(&sql), err);
	if (res == NULL)
		goto fail;
	total = db_ll(res, 0, 0);
	PQclear(res);

	lim = query_int(&q, page_size);
	off = query_int(&q, (page - 1) * page_size);
	/* The page's ids first (index order, no session read unless a condition needs it),
	 * then the page's rows. */
	buf_reset(&sql);
	{
		struct buf pg = {0};

		buf_puts(&pg, "pg AS MATERIALIZED (SELECT t.id, t.created");
		query_from_where(&pg, &q);
		buf_printf(&pg, " ORDER BY t.created, t.id LIMIT $%d OFFSET $%d)", lim, off);
		query_with(&sql, &q, buf_cstr(&pg));
		free(pg.data);
	}
	buf_puts(&sql,
	         "SELECT t.id, t.session_id, s.title, s.state, c.login, c.name, c.dept_id, "
	         "cd.name, to_char(t.created AT TIME ZONE 'UTC', "
	         "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), t.node_id, n.name, t.lock_kind, "
	         "coalesce((SELECT jsonb_object_agg(v.key, s.form_data -> v.key) "
	         "  FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(n.view -> 'visible') = "
	         "  'array' THEN n.view -> 'visible' END) AS v(key) WHERE v.key IS NOT NULL), "
	         "  '{}')::text "
	         "FROM pg JOIN tasks t ON t.id = pg.id "
	         "JOIN app_sessions s ON s.id = t.session_id "
	         "JOIN users c ON c.id = s.creator "
	         "LEFT JOIN departments cd ON cd.id = c.dept_id "
	         "JOIN nodes n ON n.id = t.node_id "
	         "ORDER BY pg.created, pg.id");
	res = query_run(db, &q, buf_cstr(&sql), err);
	if (res == NULL)
		goto fail;

	body = json_object_new_object();
	items = json_object_new_array();
	json_object_object_add(body, "items", items);
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		struct json_object *it = item_of(res, i, err);

		if (it == NULL)
			goto fail;
		json_object_array_add(items, it);
	}
	jsonh_add_int(body, "total", total);
	jsonh_add_int(body, "page", page);
	jsonh_add_int(body, "page_size", page_size);
	if (f->node_id > 0)
		json_object_object_add(body, "labels", labels_of(&m));
	PQclear(res);
	query_free(&q);
	free(sql.data);
	node_form_release(&m);
	return body;
fail:
	json_object_put(body);
	PQclear(res);
	query_free(&q);
	free(sql.data);
	node_form_release(&m);
	return NULL;
}

int
task_filter_ids(struct db *db, int64_t user_id, const struct task_filter *f, size_t max,
                int64_t **ids, size_t *n, struct fb_err *err)
{
	struct node_form m = {0};
	unsigned char numeric[TASK_FIELDS_MAX];
	struct query q = {0};
	struct buf sql = {0};
	PGresult *res = NULL;
	int64_t *out = NULL;
	size_t i, rows;
	int lim;

	*ids = NULL;
	*n = 0;
	if (max > 100000000)
		max = 100000000;
	switch (prepare(db, user_id, f, &m, numeric, err)) {
	case -1:
		return -1;
	case 1:
		return 0;
	}
	query_build(&q, user_id, f, numeric);
	lim = query_int(&q, (int64_t)max + 1);
	query_with(&sql, &q, NULL);
	buf_puts(&sql, "SELECT t.id");
	query_from_where(&sql, &q);
	buf_printf(&sql, " ORDER BY t.created, t.id LIMIT $%d", lim);
	res = query_run(db, &q, buf_cstr(&sql), err);
	if (res == NULL)
		goto fail;
	rows = (size_t)PQntuples(res);
	if (rows > max) {
		fb_err_msg(err, FB_ETOOBIG, "task.filter_too_many", max_arg((long long)max));
		goto fail;
	}
	if (rows > 0) {
		out = xmalloc(rows * sizeof(*out));
		for (i = 0; i < rows; i++)
			out[i] = db_ll(res, (int)i, 0);
	}
	*ids = out;
	*n = rows;
	PQclear(res);
	query_free(&q);
	free(sql.data);
	node_form_release(&m);
	return 0;
fail:
	PQclear(res);
	query_free(&q);
	free(sql.data);
	node_form_release(&m);
	return -1;
}
