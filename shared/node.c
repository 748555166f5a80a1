/* SPDX-License-Identifier: MIT */
/*
 * node: loading a node with its app version's schema and its neighbours.  Two queries;
 * the result owns the parsed schema and view.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "node.h"
#include "schema.h"

static void
fill_ref(struct node_ref *ref, const PGresult *res, int row)
{
	ref->id = db_ll(res, row, 0);
	snprintf(ref->name, sizeof(ref->name), "%s", PQgetvalue(res, row, 1));
	ref->choose = strcmp(PQgetvalue(res, row, 2), "choose") == 0;
	ref->assignee_id = db_ll(res, row, 3);
}

struct node_info *
node_load(struct db *db, int64_t id, struct fb_err *err)
{
	struct node_info *n = NULL;
	struct json_object *schema_json = NULL, *view_json = NULL;
	PGresult *res = NULL;
	char idbuf[24];
	const char *params[1] = {idbuf};
	const char *s, *v;
	int i;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	res = db_query(db, "node_load",
	               "SELECT n.id, n.name, n.assignee_rule, n.assignee_id, n.seq, n.app_version_id, "
	               "a.id, a.name, av.form_schema, n.view "
	               "FROM nodes n JOIN app_versions av ON av.id = n.app_version_id "
	               "JOIN apps a ON a.id = av.app_id WHERE n.id = $1",
	               1, params, err);
	if (res == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		fb_err_set(err, FB_ENOTFOUND, "node %lld does not exist", (long long)id);
		goto fail;
	}
	n = xcalloc(1, sizeof(*n));
	n->id = id;
	snprintf(n->name, sizeof(n->name), "%s", PQgetvalue(res, 0, 1));
	n->choose = strcmp(PQgetvalue(res, 0, 2), "choose") == 0;
	n->assignee_id = db_ll(res, 0, 3);
	n->seq = (int)db_ll(res, 0, 4);
	n->app_version_id = db_ll(res, 0, 5);
	n->app_id = db_ll(res, 0, 6);
	snprintf(n->app_name, sizeof(n->app_name), "%s", PQgetvalue(res, 0, 7));
	s = PQgetvalue(res, 0, 8);
	v = PQgetvalue(res, 0, 9);
	schema_json = jsonh_parse(s, strlen(s), err);
	view_json = schema_json ? jsonh_parse(v, strlen(v), err) : NULL;
	if (view_json == NULL ||
	    (n->schema = schema_parse(schema_json, err)) == NULL ||
	    (n->view = view_parse(n->schema, view_json, err)) == NULL) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		fb_err_clear(err);
		fb_err_set(err, FB_EINTERNAL, "node %lld has a broken form definition: %.400s",
		           (long long)id, why);
		goto fail;
	}
	PQclear(res);
	{
		char avbuf[24], seqbuf[16];
		const char *nparams[2] = {avbuf, seqbuf};

		snprintf(avbuf, sizeof(avbuf), "%lld", (long long)n->app_version_id);
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
	json_object_put(schema_json);
	json_object_put(view_json);
	return n;
fail:
	json_object_put(schema_json);
	json_object_put(view_json);
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
