/* SPDX-License-Identifier: MIT */
/*
 * errbook: the failed items of a batch as a workbook that can be uploaded again.
 *
 * The columns are those of the single template for the batch's node (task id, title, the
 * visible fields read-only first, then the writable ones, 操作, 审批意见, 下一处理人 when
 * the next node is 'choose'), then 错误原因.  A row shows the session's current values
 * with the batch's form and the item's own values laid over them, and the item's (or the
 * batch's) action, comment and assignee.  Dropdowns for 操作 and plain selects come from a
 * hidden "Lists" sheet; the hidden "_meta" is signed as the template's is.  libxlsxwriter
 * writes in constant-memory mode; one PostgreSQL result holds the failed items.
 *
 * The reasons are said in the language asked for; the headers stay those of the template
 * (the import finds its columns by them).
 *
 * Memory: everything allocated here is released before errbook_write returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include <xlsxwriter.h>

#include "errbook.h"
#include "import.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "template.h"
#include "utf8.h"
#include "db.h"

#define CELL_MAX 32767

enum ekind { E_TASK, E_TITLE, E_FIELD, E_ACTION, E_COMMENT, E_ASSIGNEE, E_REASON };

struct ecol {
	enum ekind kind;
	const struct schema_field *f;
	int writable;
	char *label;
	int list;           /* column of Lists (1-based count of rows in it), 0 none */
	char list_col[4];
	int list_rows;
};

struct eb {
	const struct node_info *node;
	struct ecol *cols;
	size_t ncols;
	enum msg_lang lang; /* what the reasons are said in */
};

static void
col_add(struct eb *b, enum ekind kind, const struct schema_field *f, int writable, char *label)
{
	struct ecol *c;

	b->cols = xrealloc(b->cols, sizeof(*b->cols) * (b->ncols + 1));
	c = &b->cols[b->ncols++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->f = f;
	c->writable = writable;
	c->label = label;
}

static void
plan(struct eb *b)
{
	const struct schema *s = b->node->schema;
	const struct view *v = b->node->view;
	size_t i, nf = schema_nfields(s);
	int pass;

	col_add(b, E_TASK, NULL, 0, xstrdup(import_fixed_label("task_id")));
	col_add(b, E_TITLE, NULL, 0, xstrdup(import_fixed_label("title")));
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nf; i++) {
			const struct schema_field *f = schema_field_at(s, i);
			const char *key = schema_field_key(f);

			if (!view_is_visible(v, key) || schema_field_type(f) == SCHEMA_TABLE ||
			    view_is_writable(v, key) != pass)
				continue;
			col_add(b, E_FIELD, f, pass,
			        view_is_required(v, key) ? xasprintf("%s *", schema_field_label(f))
			                                 : xstrdup(schema_field_label(f)));
		}
	}
	col_add(b, E_ACTION, NULL, 1, xstrdup(import_fixed_label("action")));
	col_add(b, E_COMMENT, NULL, 1, xstrdup(import_fixed_label("comment")));
	if (b->node->next.id != 0 && b->node->next.choose)
		col_add(b, E_ASSIGNEE, NULL, 1, xstrdup(import_fixed_label("assignee")));
	col_add(b, E_REASON, NULL, 0, xstrdup(IMPORT_ERROR_HEADER));
}

static void
eb_free(struct eb *b)
{
	size_t i;

	for (i = 0; i < b->ncols; i++)
		free(b->cols[i].label);
	free(b->cols);
}

static struct json_object *
meta_new(const struct eb *b)
{
	struct json_object *m = json_object_new_object(), *cols = json_object_new_array();
	static const char *const keys[] = {
		[E_TASK] = "task_id", [E_TITLE] = "title", [E_ACTION] = "action",
		[E_COMMENT] = "comment", [E_ASSIGNEE] = "assignee",
	};
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jsonh_add_int(m, "v", TEMPLATE_META_VERSION);
	jsonh_add_str(m, "layout", "single");
	jsonh_add_int(m, "node_id", b->node->id);
	jsonh_add_int(m, "app_version_id", b->node->app_version_id);
	jsonh_add_str(m, "generated", ts);
	for (i = 0; i < b->ncols; i++) {
		const struct ecol *c = &b->cols[i];
		struct json_object *o;

		if (c->kind == E_REASON)
			continue;
		o = json_object_new_object();
		if (c->kind == E_FIELD) {
			char *key = xasprintf("f:%s", schema_field_key(c->f));

			jsonh_add_str(o, "key", key);
			free(key);
			jsonh_add_str(o, "label", c->label);
			jsonh_add_bool(o, "writable", c->writable);
		} else {
			jsonh_add_str(o, "key", keys[c->kind]);
		}
		json_object_array_add(cols, o);
	}
	json_object_object_add(m, "columns", cols);
	return m;
}

static int
lxw_check(lxw_error e, const char *what, struct fb_err *err)
{
	if (e == LXW_NO_ERROR)
		return 0;
	fb_err_set(err, FB_EIO, "error workbook: %s: %s", what, lxw_strerror(e));
	return -1;
}

/* Write s cut to Excel's cell limit (on a character boundary). */
static lxw_error
write_text(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *s, lxw_format *fmt)
{
	size_t n = utf8_prefix(s, CELL_MAX);
	char *cut;
	lxw_error e;

	if (s[n] == '\0')
		return worksheet_write_string(ws, row, col, s, fmt);
	cut = xstrndup(s, n);
	e = worksheet_write_string(ws, row, col, cut, fmt);
	free(cut);
	return e;
}

/* The options a column's dropdown offers, or NULL. */
static const char *const *
list_options(const struct ecol *c, size_t *n)
{
	static const char *const actions[] = {TEMPLATE_ACTION_APPROVE, TEMPLATE_ACTION_REJECT};

	*n = 0;
	if (c->kind == E_ACTION) {
		*n = 2;
		return actions;
	}
	if (c->kind == E_FIELD && c->writable && schema_field_type(c->f) == SCHEMA_SELECT)
		return schema_field_options(c->f, n);
	return NULL;
}

/*
 * Lists: column A the actions, then one column per writable plain select.  The workbook
 * is in constant-memory mode, where rows must be written in ascending order: the columns
 * are planned first, then written row by row across them.
 */
static int
write_lists(struct eb *b, lxw_worksheet *ws, struct fb_err *err)
{
	size_t i, lc = 0, rows = 0, nopts;
	lxw_row_t r;

	for (i = 0; i < b->ncols; i++) {
		struct ecol *c = &b->cols[i];

		if (list_options(c, &nopts) == NULL || nopts == 0)
			continue;
		c->list = 1;
		c->list_rows = (int)nopts;
		template_col_letters(c->list_col, lc++);
		if (nopts > rows)
			rows = nopts;
	}
	for (r = 0; r <= rows; r++) {
		for (i = 0, lc = 0; i < b->ncols; i++) {
			const struct ecol *c = &b->cols[i];
			const char *const *opts = list_options(c, &nopts);

			if (!c->list)
				continue;
			if (r <= nopts &&
			    lxw_check(write_text(ws, r, (lxw_col_t)lc, r == 0 ? c->label : opts[r - 1],
			                         NULL),
			              "lists", err) < 0)
				return -1;
			lc++;
		}
	}
	return 0;
}

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

static int
write_item(struct eb *b, lxw_worksheet *ws, lxw_row_t row, const PGresult *res, int i,
           const struct batch_row *br, lxw_format *textfmt, struct fb_err *err)
{
	struct json_object *post = parse_or_null(db_val(res, i, 2));
	struct json_object *session = parse_or_null(db_val(res, i, 4)), *rowform = NULL;
	const char *action, *comment, *assignee;
	lxw_error e = LXW_NO_ERROR;
	size_t c;
	int rc = -1;

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
	for (c = 0; c < b->ncols && e == LXW_NO_ERROR; c++) {
		const struct ecol *k = &b->cols[c];
		const char *s = NULL;

		switch (k->kind) {
		case E_TASK:
			s = PQgetvalue(res, i, 0);
			e = worksheet_write_string(ws, row, (lxw_col_t)c, s, textfmt);
			continue;
		case E_TITLE:
			s = db_val(res, i, 3);
			break;
		case E_ACTION:
			s = action == NULL ? NULL
			    : strcmp(action, "reject") == 0 ? TEMPLATE_ACTION_REJECT
			                                    : TEMPLATE_ACTION_APPROVE;
			break;
		case E_COMMENT:
			s = comment;
			break;
		case E_ASSIGNEE:
			s = assignee;
			break;
		case E_REASON: {
			char *said = msg_reason_text(db_val(res, i, 5), db_val(res, i, 6),
			                             db_val(res, i, 1), b->lang);

			if (said != NULL && said[0] != '\0')
				e = write_text(ws, row, (lxw_col_t)c, said, textfmt);
			free(said);
			continue;
		}
		case E_FIELD: {
			const char *key = schema_field_key(k->f);
			struct json_object *v =
			    k->writable ? value_of(key, rowform, br->form, session)
			                : value_of(key, NULL, NULL, session);
			char *text;

			if (v == NULL || json_object_is_type(v, json_type_null))
				continue;
			if (schema_field_type(k->f) == SCHEMA_NUMBER &&
			    (json_object_is_type(v, json_type_int) ||
			     json_object_is_type(v, json_type_double))) {
				e = worksheet_write_number(ws, row, (lxw_col_t)c, json_object_get_double(v),
				                           NULL);
				continue;
			}
			text = schema_value_to_text(k->f, v);
			if (text != NULL)
				e = write_text(ws, row, (lxw_col_t)c, text, textfmt);
			free(text);
			continue;
		}
		}
		if (s != NULL && s[0] != '\0')
			e = write_text(ws, row, (lxw_col_t)c, s, textfmt);
	}
	if (lxw_check(e, "write", err) < 0)
		goto out;
	rc = 0;
out:
	json_object_put(post);
	json_object_put(session);
	return rc;
}

static int
validations(struct eb *b, lxw_worksheet *ws, size_t rows, struct fb_err *err)
{
	lxw_row_t last = (lxw_row_t)(rows < 1000 ? 1000 : rows);
	size_t c;

	for (c = 0; c < b->ncols; c++) {
		const struct ecol *k = &b->cols[c];
		lxw_data_validation dv;
		char formula[64];

		if (!k->list)
			continue;
		memset(&dv, 0, sizeof(dv));
		snprintf(formula, sizeof(formula), "=" TEMPLATE_SHEET_LISTS "!$%s$2:$%s$%d", k->list_col,
		         k->list_col, k->list_rows + 1);
		dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
		dv.value_formula = formula;
		if (lxw_check(worksheet_data_validation_range(ws, 1, (lxw_col_t)c, last, (lxw_col_t)c,
		                                              &dv),
		              "validation", err) < 0)
			return -1;
	}
	return 0;
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
	struct eb b = {0};
	struct node_info *node = NULL;
	struct json_object *meta = NULL;
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = cfg->web_tmpdir};
	lxw_workbook *wb = NULL;
	lxw_worksheet *ws, *lists, *msheet;
	lxw_format *head, *text;
	char sig[65];
	size_t c;
	int i, n, rc = -1;

	*rows = 0;
	if (load(db, u, id, &x, err) < 0)
		goto out;
	if ((node = node_load(db, x.node_id, err)) == NULL)
		goto out;
	b.node = node;
	b.lang = lang;
	plan(&b);
	wb = workbook_new_opt(path, &opt);
	if (wb == NULL) {
		fb_err_set(err, FB_EIO, "cannot create the error workbook");
		goto out;
	}
	ws = workbook_add_worksheet(wb, TEMPLATE_SHEET_SINGLE);
	lists = workbook_add_worksheet(wb, TEMPLATE_SHEET_LISTS);
	msheet = workbook_add_worksheet(wb, TEMPLATE_SHEET_META);
	if (ws == NULL || lists == NULL || msheet == NULL) {
		fb_err_set(err, FB_EINTERNAL, "error workbook: cannot add sheets");
		goto out;
	}
	head = workbook_add_format(wb);
	format_set_bold(head);
	format_set_num_format(head, "@");
	text = workbook_add_format(wb);
	format_set_num_format(text, "@");
	for (c = 0; c < b.ncols; c++) {
		if (lxw_check(write_text(ws, 0, (lxw_col_t)c, b.cols[c].label, head), "header", err) < 0)
			goto out;
		if (lxw_check(worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
		                                   b.cols[c].kind == E_REASON ? 40 : 16, NULL),
		              "column", err) < 0)
			goto out;
	}
	worksheet_freeze_panes(ws, 1, 0);
	n = PQntuples(x.items);
	for (i = 0; i < n; i++)
		if (write_item(&b, ws, (lxw_row_t)(i + 1), x.items, i, &x.br, text, err) < 0)
			goto out;
	if (write_lists(&b, lists, err) < 0 || validations(&b, ws, (size_t)n, err) < 0)
		goto out;
	meta = meta_new(&b);
	template_meta_sign(cfg->auth_secret, jsonh_str(meta), sig);
	if (lxw_check(write_text(msheet, 0, 0, jsonh_str(meta), NULL), "meta", err) < 0 ||
	    lxw_check(worksheet_write_string(msheet, 1, 0, sig, NULL), "meta", err) < 0)
		goto out;
	worksheet_hide(lists);
	worksheet_hide(msheet);
	{
		lxw_error e = workbook_close(wb);

		wb = NULL;
		if (lxw_check(e, "close", err) < 0)
			goto out;
	}
	*rows = (size_t)n;
	rc = 0;
out:
	if (wb != NULL)
		workbook_close(wb);
	json_object_put(meta);
	json_object_put(x.br.form);
	PQclear(x.head);
	PQclear(x.items);
	eb_free(&b);
	node_free(node);
	return rc;
}
