/* SPDX-License-Identifier: MIT */
/*
 * import_form: a multi-layout workbook (one task: its form sheet, label | value, and a
 * sheet per writable table) mapped to one row of the import (see import_map.h).
 *
 * The form sheet is read label by label: labels are matched to the meta's columns by
 * text, a label twice or a required one missing is a problem of that workbook; its task
 * id must be the one its meta names.  A writable table's sheet is matched by its header
 * row to the table's columns and each row converted cell by cell.  A workbook whose
 * action is blank gives no row (unless it has problems to report).
 *
 * Memory: the row and its records belong to struct imap (imap_free); a table's values
 * are a JSON object the row owns.
 */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "import.h"
#include "import_check.h"
#include "import_map.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "template.h"
#include "xlsx_read.h"

/* The index of the column whose label is text, or -1. */
static int
col_by_label(const struct imap *m, const char *text)
{
	char *want = import_header_norm(text);
	size_t i;
	int found = -1;

	for (i = 0; i < m->ncols && found < 0; i++) {
		char *have = import_header_norm(m->cols[i].label);

		if (strcmp(have, want) == 0)
			found = (int)i;
		free(have);
	}
	free(want);
	return found;
}

struct form_state {
	struct imap *m;
	int *seen;                   /* per col: the sheet row it was on, 0 if not yet */
	const struct xlsx_cell *dummy;
	struct imap_row *r;
	int64_t task_cell;
	long action_row;
	int act;
};

static int
form_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct form_state *fs = arg;
	struct imap *m = fs->m;
	const struct xlsx_cell *label = NULL, *value = NULL;
	size_t i;
	int k;

	(void)err;
	if (row == 1)
		return 0;
	for (i = 0; i < n; i++) {
		if (cells[i].col == 0)
			label = &cells[i];
		else if (cells[i].col == 1)
			value = &cells[i];
	}
	if (label == NULL || label->type != XLSX_STRING || (k = col_by_label(m, label->value)) < 0)
		return 0;
	if (fs->seen[k]) {
		import_report_add(m->rep, m->file, row, m->cols[k].label, m->cols[k].key,
		                  "import.row_twice",
		                  msg_args("label", json_object_new_string(m->cols[k].label), "other",
		                           json_object_new_int(fs->seen[k]), NULL));
		fs->r->bad = 1;
		return 0;
	}
	fs->seen[k] = (int)row;
	if (value == NULL)
		return 0;
	if (k == m->c_task) {
		fs->task_cell = imap_task_id(value);
		return 0;
	}
	if (k == m->c_action) {
		fs->action_row = row;
		fs->act = value->type == XLSX_STRING ? (int)import_parse_action(value->value)
		                                     : IMPORT_ACTION_INVALID;
		return 0;
	}
	if (imap_col_kept(&m->cols[k]) &&
	    !(m->cols[k].kind == IMAP_FIELD && schema_field_type(m->cols[k].f) == SCHEMA_TABLE)) {
		char buf[32], kind;
		const char *text = imap_cell_text(m, value, buf, &kind);

		imap_rec_add(&m->cells, k, kind, row, text);
	}
	return 0;
}

struct table_state {
	struct imap *m;
	const struct schema_field *f;
	const char *sheet;
	int *col_at;      /* sheet column -> table column index, or -1 */
	int ncol_at;
	int have_header;
	struct json_object *arr;
	int bad;
};

static int
table_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct table_state *ts = arg;
	struct imap *m = ts->m;
	struct json_object *obj;
	size_t i;

	(void)err;
	if (!ts->have_header) {
		int maxcol = 0;

		ts->have_header = 1;
		if (row != 1)
			return 0;
		for (i = 0; i < n; i++)
			if (cells[i].col + 1 > maxcol)
				maxcol = cells[i].col + 1;
		ts->ncol_at = maxcol;
		ts->col_at = xmalloc(sizeof(int) * ((size_t)maxcol + 1));
		for (i = 0; i < (size_t)maxcol + 1; i++)
			ts->col_at[i] = -1;
		for (i = 0; i < n; i++) {
			size_t j, nc = schema_field_ncolumns(ts->f);
			char *h;

			if (cells[i].type != XLSX_STRING)
				continue;
			h = import_header_norm(cells[i].value);
			for (j = 0; j < nc; j++) {
				char *l = import_header_norm(schema_field_label(schema_field_column(ts->f, j)));

				if (strcmp(h, l) == 0)
					ts->col_at[cells[i].col] = (int)j;
				free(l);
			}
			free(h);
		}
		return 0;
	}
	if ((long)json_object_array_length(ts->arr) >= schema_field_max_rows(ts->f)) {
		import_report_add(m->rep, m->file, row, ts->sheet, schema_field_key(ts->f),
		                  "import.table_rows",
		                  msg_args("max", json_object_new_int64(schema_field_max_rows(ts->f)),
		                           NULL));
		ts->bad = 1;
		return 0;
	}
	obj = json_object_new_object();
	for (i = 0; i < n; i++) {
		int j = cells[i].col < ts->ncol_at ? ts->col_at[cells[i].col] : -1;
		const struct schema_field *c;
		struct json_object *v = NULL;
		struct fb_err verr = {0};
		char buf[32], kind;
		const char *text;

		if (j < 0)
			continue;
		c = schema_field_column(ts->f, (size_t)j);
		text = imap_cell_text(m, &cells[i], buf, &kind);
		if (kind == IMAP_CELL_ERROR) {
			import_report_add(m->rep, m->file, row, schema_field_label(c), schema_field_key(ts->f),
			                  "import.cell_error",
			                  msg_args("value", json_object_new_string(text), NULL));
			ts->bad = 1;
			continue;
		}
		if (kind == IMAP_CELL_NUMBER && schema_field_type(c) == SCHEMA_DATE &&
		    xlsx_serial_to_date(cells[i].num, m->date1904, buf) == 0)
			text = buf;
		if (schema_value_from_text(c, text, &v, &verr) < 0) {
			import_report_err(m->rep, m->file, row, schema_field_label(c),
			                  schema_field_key(ts->f), &verr);
			fb_err_clear(&verr);
			ts->bad = 1;
			continue;
		}
		if (v != NULL)
			json_object_object_add(obj, schema_field_key(c), v);
	}
	if (json_object_object_length(obj) > 0)
		json_object_array_add(ts->arr, obj);
	else
		json_object_put(obj);
	return 0;
}

/* The writable tables of a multi meta, read from their sheets into r->tables. */
static int
read_tables(struct imap *m, struct xlsx *x, struct json_object *meta, struct imap_row *r,
            struct fb_err *err)
{
	struct json_object *tables, *t, *v;
	size_t i, n;

	if (!json_object_object_get_ex(meta, "tables", &tables) ||
	    !json_object_is_type(tables, json_type_array))
		return 0;
	n = json_object_array_length(tables);
	for (i = 0; i < n; i++) {
		struct table_state ts = {.m = m};
		const char *key;
		int rc;

		t = json_object_array_get_idx(tables, i);
		if (!json_object_object_get_ex(t, "key", &v) || strncmp(json_object_get_string(v), "f:", 2))
			continue;
		key = json_object_get_string(v) + 2;
		ts.f = schema_field_by_key(m->node->schema, key);
		if (ts.f == NULL || schema_field_type(ts.f) != SCHEMA_TABLE ||
		    !view_is_writable(m->node->view, key))
			continue;
		if (!json_object_object_get_ex(t, "sheet", &v))
			continue;
		ts.sheet = json_object_get_string(v);
		if (xlsx_sheet_find(x, ts.sheet) == NULL) {
			import_report_add(m->rep, m->file, 0, ts.sheet, key, "import.sheet_missing",
			                  msg_args("sheet", json_object_new_string(ts.sheet), NULL));
			r->bad = 1;
			continue;
		}
		ts.arr = json_object_new_array();
		rc = xlsx_read_sheet(x, ts.sheet, table_row, &ts, err);
		free(ts.col_at);
		if (rc < 0) {
			json_object_put(ts.arr);
			return -1;
		}
		if (ts.bad)
			r->bad = 1;
		if (r->tables == NULL)
			r->tables = json_object_new_object();
		json_object_object_add(r->tables, key, ts.arr);
	}
	return 0;
}

/* One workbook of the multi layout (meta verified): one row, unless its action is blank. */
int
imap_multi(struct imap *m, struct xlsx *x, struct json_object *meta, struct fb_err *err)
{
	struct form_state fs = {.m = m, .act = IMPORT_ACTION_NONE};
	size_t saved_off = m->cells.len, i;
	struct imap_row *r;
	int rc = -1;

	if (imap_columns(m, meta, err) < 0)
		return -1;
	if (xlsx_sheet_find(x, TEMPLATE_SHEET_FORM) == NULL) {
		import_report_add(m->rep, m->file, 0, TEMPLATE_SHEET_FORM, NULL,
		                  "import.form_sheet_missing",
		                  msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_FORM), NULL));
		return 0;
	}
	if ((r = imap_row_push(m, "import.too_many_books", err)) == NULL)
		return -1;
	r->file = xstrdup(m->file);
	r->row_no = m->workbook_no;
	fs.r = r;
	fs.seen = xcalloc(m->ncols, sizeof(int));
	if (xlsx_read_sheet(x, TEMPLATE_SHEET_FORM, form_row, &fs, err) < 0)
		goto out;
	imap_rec_end(&m->cells);
	for (i = 0; i < m->ncols; i++)
		if (!fs.seen[i] && imap_col_required(m, &m->cols[i])) {
			import_report_add(m->rep, m->file, 0, m->cols[i].label, m->cols[i].key,
			                  "import.row_missing",
			                  msg_args("label", json_object_new_string(m->cols[i].label), NULL));
			r->bad = 1;
		}
	r->task_id = imap_meta_id(meta, "task_id");
	r->action = fs.act;
	r->row = fs.action_row;
	if (fs.task_cell != 0 && fs.task_cell != r->task_id) {
		import_report_add(m->rep, m->file, fs.seen[m->c_task], m->cols[m->c_task].label, "task_id",
		                  "import.task_changed",
		                  msg_args("task", json_object_new_int64(r->task_id), NULL));
		r->bad = 1;
	}
	if (fs.act == IMPORT_ACTION_NONE && !r->bad) {
		/* Not processed: drop the row and its records. */
		m->nrows--;
		free(r->file);
		m->cells.len = saved_off;
		m->skipped++;
		rc = 0;
		goto out;
	}
	if (fs.act == IMPORT_ACTION_INVALID) {
		import_report_add(m->rep, m->file, fs.action_row, m->cols[m->c_action].label, "action",
		                  "import.action", NULL);
		r->bad = 1;
	} else if (fs.act == IMPORT_ACTION_NONE) {
		import_report_add(m->rep, m->file, 0, m->cols[m->c_action].label, "action",
		                  "import.action_required", NULL);
	}
	rc = read_tables(m, x, meta, r, err);
out:
	free(fs.seen);
	return rc;
}

