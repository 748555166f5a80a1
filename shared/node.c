/* SPDX-License-Identifier: MIT */
/*
 * node: loading a node with its app version's schema and its neighbours (two queries; the
 * result owns the parsed schema and view), loading only a node's parsed form (one query;
 * the struct node_form owns it), and the node's form as JSON for the console (a new
 * object built from the schema accessors; the node is only read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "db.h"

static void
fill_ref(struct node_ref *ref, const PGresult *res, int row)
{
	ref->id = db_ll(res, row, 0);
	snprintf(ref->name, sizeof(ref->name), "%s", PQgetvalue(res, row, 1));
	ref->choose = strcmp(PQgetvalue(res, row, 2), "choose") == 0;
	ref->assignee_id = db_ll(res, row, 3);
}

/*
 * Parse node id's form: schema_text (the app version's form_schema) and view_text (the
 * node's view) into *schema and *view (new, the caller frees them; both NULL on failure).
 * -1 with FB_EINTERNAL naming the node and what is wrong.
 */
static int
parse_form(int64_t id, const char *schema_text, const char *view_text, struct schema **schema,
           struct view **view, struct fb_err *err)
{
	struct json_object *schema_json, *view_json = NULL;
	int rc = -1;

	*schema = NULL;
	*view = NULL;
	schema_json = jsonh_parse(schema_text, strlen(schema_text), err);
	if (schema_json != NULL)
		view_json = jsonh_parse(view_text, strlen(view_text), err);
	if (view_json != NULL && (*schema = schema_parse(schema_json, err)) != NULL &&
	    (*view = view_parse(*schema, view_json, err)) != NULL)
		rc = 0;
	json_object_put(schema_json);
	json_object_put(view_json);
	if (rc < 0) {
		char why[sizeof(err->msg)];

		schema_free(*schema);
		*schema = NULL;
		snprintf(why, sizeof(why), "%s", err->msg);
		fb_err_clear(err);
		fb_err_set(err, FB_EINTERNAL, "node %lld has a broken form definition: %.400s",
		           (long long)id, why);
	}
	return rc;
}

/* The row sql (a prepared statement name, $1 = id) gives for node id; NULL with err
 * (FB_ENOTFOUND when there is none).  The caller clears it. */
static PGresult *
query_node(struct db *db, int64_t id, const char *name, const char *sql, struct fb_err *err)
{
	char idbuf[24];
	const char *params[1] = {idbuf};
	PGresult *res;

	db_id(idbuf, id);
	res = db_query(db, name, sql, 1, params, err);
	if (res != NULL && PQntuples(res) == 0) {
		PQclear(res);
		res = NULL;
		fb_err_msg(err, FB_ENOTFOUND, "node.not_found", msg_args("id", json_object_new_int64(id), NULL));
	}
	return res;
}

int
node_form_load(struct db *db, int64_t id, struct node_form *form, struct fb_err *err)
{
	PGresult *res;
	int rc;

	form->schema = NULL;
	form->view = NULL;
	res = query_node(db, id, "node_form_load",
	                 "SELECT av.form_schema::text, n.view::text FROM nodes n "
	                 "JOIN app_versions av ON av.id = n.app_version_id WHERE n.id = $1",
	                 err);
	if (res == NULL)
		return -1;
	rc = parse_form(id, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), &form->schema,
	                &form->view, err);
	PQclear(res);
	return rc;
}

void
node_form_release(struct node_form *form)
{
	view_free(form->view);
	schema_free(form->schema);
	form->view = NULL;
	form->schema = NULL;
}

struct node_info *
node_load(struct db *db, int64_t id, struct fb_err *err)
{
	struct node_info *n = NULL;
	PGresult *res;
	int i;

	res = query_node(db, id, "node_load",
	                 "SELECT n.id, n.name, n.assignee_rule, n.assignee_id, n.seq, n.app_version_id, "
	                 "a.id, a.name, av.form_schema, n.view "
	                 "FROM nodes n JOIN app_versions av ON av.id = n.app_version_id "
	                 "JOIN apps a ON a.id = av.app_id WHERE n.id = $1",
	                 err);
	if (res == NULL)
		goto fail;
	n = xcalloc(1, sizeof(*n));
	n->id = id;
	snprintf(n->name, sizeof(n->name), "%s", PQgetvalue(res, 0, 1));
	n->choose = strcmp(PQgetvalue(res, 0, 2), "choose") == 0;
	n->assignee_id = db_ll(res, 0, 3);
	n->seq = (int)db_ll(res, 0, 4);
	n->app_version_id = db_ll(res, 0, 5);
	n->app_id = db_ll(res, 0, 6);
	snprintf(n->app_name, sizeof(n->app_name), "%s", PQgetvalue(res, 0, 7));
	if (parse_form(id, PQgetvalue(res, 0, 8), PQgetvalue(res, 0, 9), &n->schema, &n->view,
	               err) < 0)
		goto fail;
	PQclear(res);
	{
		char avbuf[24], seqbuf[16];
		const char *nparams[2] = {avbuf, seqbuf};

		db_id(avbuf, n->app_version_id);
		snprintf(seqbuf, sizeof(seqbuf), "%d", n->seq);
		res = db_query(db, "node_neighbours",
		               "(SELECT id, name, assignee_rule, assignee_id, 1 FROM nodes "
		               " WHERE app_version_id = $1 AND seq > $2 ORDER BY seq LIMIT 1) "
		               "UNION ALL "
		               "(SELECT id, name, assignee_rule, assignee_id, -1 FROM nodes "
		               " WHERE app_version_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT 1)",
		               2, nparams, err);
	}
	if (res == NULL)
		goto fail;
	for (i = 0; i < PQntuples(res); i++)
		fill_ref(strcmp(PQgetvalue(res, i, 4), "1") == 0 ? &n->next : &n->prev, res, i);
	PQclear(res);
	return n;
fail:
	PQclear(res);
	node_free(n);
	return NULL;
}

void
node_free(struct node_info *n)
{
	if (n == NULL)
		return;
	schema_free(n->schema);
	view_free(n->view);
	free(n);
}

/* ---- the form as the console needs it ------------------------------------------------ */

/* A number as JSON: whole values within int64 as integers, others as doubles. */
static void
add_number(struct json_object *o, const char *key, double v)
{
	if (v == (double)(int64_t)v && v > -9.2e18 && v < 9.2e18)
		jsonh_add_int(o, key, (int64_t)v);
	else
		jsonh_add_double(o, key, v);
}

/*
 * Append to arr (no duplicates) the values a select field can take: a plain select's
 * options, a dependent select's options under every value its parent can take.  depth
 * bounds the walk up the chain of parents.
 */
static void
select_values(const struct schema_field *f, struct json_object *arr, int depth)
{
	const struct schema_field *parent = schema_field_parent(f);
	const char *const *opts;
	size_t n, i, j, k, m;

	if (parent == NULL) {
		opts = schema_field_options(f, &n);
		for (i = 0; i < n; i++)
			json_object_array_add(arr, json_object_new_string(opts[i]));
		return;
	}
	if (depth >= SCHEMA_MAX_FIELDS)
		return;
	{
		struct json_object *pv = json_object_new_array();

		select_values(parent, pv, depth + 1);
		m = json_object_array_length(pv);
		for (i = 0; i < m; i++) {
			opts = schema_field_child_options(
				f, json_object_get_string(json_object_array_get_idx(pv, i)), &n);
			for (j = 0; j < n; j++) {
				size_t have = json_object_array_length(arr);

				for (k = 0; k < have; k++)
					if (strcmp(json_object_get_string(json_object_array_get_idx(arr, k)),
					           opts[j]) == 0)
						break;
				if (k == have)
					json_object_array_add(arr, json_object_new_string(opts[j]));
			}
		}
		json_object_put(pv);
	}
}

/* A new JSON array of the n strings v. */
static struct json_object *
strings_json(const char *const *v, size_t n)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(v[i]));
	return arr;
}

/* The type-specific members of a field or table column. */
static void
field_constraints(struct json_object *o, const struct schema_field *f)
{
	const struct schema_field *parent;
	const char *const *opts;
	size_t n, i;

	switch (schema_field_type(f)) {
	case SCHEMA_TEXT:
		jsonh_add_int(o, "max_length", schema_field_max_length(f));
		break;
	case SCHEMA_NUMBER:
		add_number(o, "min", schema_field_min(f));
		add_number(o, "max", schema_field_max(f));
		jsonh_add_int(o, "decimals", schema_field_decimals(f));
		break;
	case SCHEMA_SELECT:
		parent = schema_field_parent(f);
		if (parent == NULL) {
			opts = schema_field_options(f, &n);
			json_object_object_add(o, "options", strings_json(opts, n));
		} else {
			struct json_object *by = json_object_new_object(), *pv = json_object_new_array();

			jsonh_add_str(o, "depends_on", schema_field_depends_on(f));
			select_values(parent, pv, 0);
			for (i = 0; i < json_object_array_length(pv); i++) {
				const char *p = json_object_get_string(json_object_array_get_idx(pv, i));

				opts = schema_field_child_options(f, p, &n);
				json_object_object_add(by, p, strings_json(opts, n));
			}
			json_object_put(pv);
			json_object_object_add(o, "options_by_parent", by);
		}
		break;
	case SCHEMA_TABLE: {
		struct json_object *cols = json_object_new_array();

		jsonh_add_int(o, "max_rows", schema_field_max_rows(f));
		for (i = 0; i < schema_field_ncolumns(f); i++) {
			const struct schema_field *c = schema_field_column(f, i);
			struct json_object *co = json_object_new_object();

			jsonh_add_str(co, "key", schema_field_key(c));
			jsonh_add_str(co, "label", schema_field_label(c));
			jsonh_add_str(co, "type", schema_type_name(schema_field_type(c)));
			field_constraints(co, c);
			json_object_array_add(cols, co);
		}
		json_object_object_add(o, "columns", cols);
		break;
	}
	case SCHEMA_DATE:
	case SCHEMA_USER:
		break;
	}
}

static struct json_object *
ref_json(const struct node_ref *ref)
{
	struct json_object *o;

	if (ref->id == 0)
		return NULL;
	o = json_object_new_object();
	jsonh_add_int(o, "id", ref->id);
	jsonh_add_str(o, "name", ref->name);
	jsonh_add_bool(o, "choose", ref->choose);
	return o;
}

struct json_object *
node_form_json(const struct node_info *n)
{
	struct json_object *o = json_object_new_object(), *fields = json_object_new_array();
	size_t i;

	jsonh_add_int(o, "node_id", n->id);
	jsonh_add_str(o, "node_name", n->name);
	jsonh_add_int(o, "app_id", n->app_id);
	jsonh_add_str(o, "app_name", n->app_name);
	jsonh_add_int(o, "app_version_id", n->app_version_id);
	json_object_object_add(o, "next", ref_json(&n->next));
	json_object_object_add(o, "prev", ref_json(&n->prev));
	for (i = 0; i < schema_nfields(n->schema); i++) {
		const struct schema_field *f = schema_field_at(n->schema, i);
		const char *key = schema_field_key(f);
		struct json_object *fo = json_object_new_object();

		jsonh_add_str(fo, "key", key);
		jsonh_add_str(fo, "label", schema_field_label(f));
		jsonh_add_str(fo, "type", schema_type_name(schema_field_type(f)));
		field_constraints(fo, f);
		jsonh_add_bool(fo, "visible", view_is_visible(n->view, key));
		jsonh_add_bool(fo, "writable", view_is_writable(n->view, key));
		jsonh_add_bool(fo, "required", view_is_required(n->view, key));
		jsonh_add_bool(fo, "searchable", view_is_searchable(n->view, key));
		json_object_array_add(fields, fo);
	}
	json_object_object_add(o, "fields", fields);
	return o;
}
