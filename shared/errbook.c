/* SPDX-License-Identifier: MIT */
/*
 * errbook: the failed items of a batch as a workbook that can be uploaded again.
 *
 * The layout is the single template's for the batch's node, written by book.c — the same
 * sheets, columns, Lists and defined names, validations with dependent dropdowns, help,
 * signed _meta and protection (only the writable cells unlocked) — with one last
 * read-only column 错误原因 holding each reason (not in the meta; the import ignores it).
 * A row shows the session's current values with the batch's form and the item's own
 * values laid over them, and the item's (or the batch's) action, comment and assignee.
 * One PostgreSQL result holds the failed items.
 *
 * The reasons are said in the language asked for; the headers stay those of the template
 * (the import finds its columns by them).
 *
 * Memory: everything allocated here is released before errbook_write returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "book.h"
#include "cell.h"
#include "errbook.h"
#include "import.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "template.h"
#include "db.h"

/* The value of a field for a row: the item's own, else the batch's, else the session's. */
static struct json_object *
value_of(const char *key, struct json_object *rowform, struct json_object *batchform,
         struct json_object *session)
{
	struct json_object *v;

	if (rowform && json_object_object_get_ex(rowform, key, &v))
		return v;
	if (batchform && json_object_object_get_ex(batchform, key, &v))
		return v;
	if (session && json_object_object_get_ex(session, key, &v))
		return v;
	return NULL;
}

static const char *
str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static struct json_object *
parse_or_null(const char *text)
{
	struct fb_err e = {0};
	struct json_object *o;

	if (text == NULL)
		return NULL;
	o = jsonh_parse(text, strlen(text), &e);
	fb_err_clear(&e);
	if (o != NULL && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct batch_row {
	const char *action, *comment, *assignee;
	struct json_object *form;
};

/* The text of column c for a failed item (borrowed from the item or the batch), or NULL. */
static const char *
fixed_text(const struct col *c, const char *action, const char *comment, const char *assignee)
{
	switch (c->kind) {
	case COL_ACTION:
		return action == NULL ? NULL
		       : strcmp(action, "reject") == 0 ? TEMPLATE_ACTION_REJECT
		                                       : TEMPLATE_ACTION_APPROVE;
	case COL_COMMENT:
		return comment;
	case COL_ASSIGNEE:
		return assignee;
	default:
		return NULL;
	}
}

/* Row row: failed item i of res, with the values the user gave over the session's. */
static int
write_item(struct book *b, size_t row, const PGresult *res, int i, const struct batch_row *br,
           enum msg_lang lang, struct buf *text, struct fb_err *err)
{
	struct json_object *post = parse_or_null(db_val(res, i, 2));
	struct json_object *session = parse_or_null(db_val(res, i, 4)), *rowform = NULL;
	const char *action, *comment, *assignee;
	size_t k;
	int rc = 0;

	if (post != NULL && json_object_object_get_ex(post, "form", &rowform) &&
	    !json_object_is_type(rowform, json_type_object))
		rowform = NULL;
	action = str_member(post, "action");
	if (action == NULL)
		action = br->action;
	comment = str_member(post, "comment");
	if (comment == NULL)
		comment = br->comment;
	assignee = str_member(post, "assignee");
	if (assignee == NULL)
		assignee = br->assignee;
	for (k = 0; k < b->ncols && rc == 0; k++) {
		const struct col *c = &b->cols[k];
		struct cell cell = {.kind = CELL_NONE};
		const char *s = NULL;
		char *said = NULL;

		buf_reset(text);
		switch (c->kind) {
		case COL_TASK_ID:
			s = PQgetvalue(res, i, 0);
			break;
		case COL_TITLE:
			s = db_val(res, i, 3);
			break;
		case COL_REASON:
			said = msg_reason_text(db_val(res, i, 5), db_val(res, i, 6), db_val(res, i, 1), lang);
			s = said;
			break;
		case COL_FIELD: {
			const char *key = schema_field_key(c->f);

			cell_of(c->f,
			        c->writable ? value_of(key, rowform, br->form, session)
			                    : value_of(key, NULL, NULL, session),
			        text, &cell);
			break;
		}
		default:
			s = fixed_text(c, action, comment, assignee);
			break;
		}
		if (s != NULL && s[0] != '\0')
			cell_str(&cell, s, text);
		rc = cell_write(b->main, row, c->pos, &cell, text->data, column_format(b, c), err);
		free(said);
	}
	json_object_put(post);
	json_object_put(session);
	return rc;
}

struct errbook_ctx {
	int64_t node_id;
	struct batch_row br;
	PGresult *head, *items;
};

static int
load(struct db *db, const struct user_rec *u, int64_t id, struct errbook_ctx *x, struct fb_err *err)
{
	char bid[24], uid[24];
	const char *p[2] = {bid, uid};

	db_id(bid, id);
	db_id(uid, u->id);
	x->head = db_query(db, "errbook_batch",
	                   "SELECT node_id, action, comment, assignee_login, post_data::text "
	                   "FROM batch_task WHERE id = $1 AND creator = $2",
	                   2, p, err);
	if (x->head == NULL)
		return -1;
	if (PQntuples(x->head) == 0) {
		fb_err_set(err, FB_ENOTFOUND, "batch %lld not found", (long long)id);
		return -1;
	}
	x->node_id = db_ll(x->head, 0, 0);
	x->br.action = db_val(x->head, 0, 1);
	x->br.comment = db_val(x->head, 0, 2);
	x->br.assignee = db_val(x->head, 0, 3);
	x->br.form = parse_or_null(db_val(x->head, 0, 4));
	x->items = db_query(db, "errbook_items",
	                    "SELECT d.task_id, d.error, d.post_data::text, s.title, s.form_data::text, "
	                    "d.error_code, d.error_params::text "
	                    "FROM batch_task_detail d "
	                    "LEFT JOIN tasks t ON t.id = d.task_id AND t.assignee = $2 "
	                    "LEFT JOIN app_sessions s ON s.id = t.session_id "
	                    "WHERE d.batch_id = $1 AND d.status = 'failed' "
	                    "AND EXISTS (SELECT 1 FROM batch_task WHERE id = $1 AND creator = $2) "
	                    "ORDER BY d.row_no NULLS LAST, d.id",
	                    2, p, err);
	return x->items == NULL ? -1 : 0;
}

int
errbook_write(struct db *db, const struct fb_config *cfg, const struct user_rec *u, int64_t id,
              enum msg_lang lang, const char *path, size_t *rows, struct fb_err *err)
{
	struct errbook_ctx x = {0};
	struct book b;
	struct node_info *node = NULL;
	struct buf text = {0};
	int i, n = 0, rc = -1;

	*rows = 0;
	memset(&b, 0, sizeof(b));
	if (load(db, u, id, &x, err) < 0)
		goto out;
	if ((node = node_load(db, x.node_id, err)) == NULL)
		goto out;
	if (book_open(&b, cfg, node, 0, IMPORT_ERROR_HEADER, path, err) < 0 ||
	    book_head(&b, err) < 0)
		goto out;
	n = PQntuples(x.items);
	for (i = 0; i < n; i++)
		if (write_item(&b, (size_t)i + 1, x.items, i, &x.br, lang, &text, err) < 0)
			goto out;
	if (book_validations(&b, (size_t)n, err) < 0 || book_meta(&b, 0, err) < 0)
		goto out;
	rc = 0;
out:
	if (book_close(&b, rc == 0, err) < 0)
		rc = -1;
	if (rc == 0)
		*rows = (size_t)n;
	book_done(&b);
	free(text.data);
	json_object_put(x.br.form);
	PQclear(x.head);
	PQclear(x.items);
	node_free(node);
	return rc;
}
