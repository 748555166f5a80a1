/* SPDX-License-Identifier: MIT */
/*
 * import_map: the sheets of a filled template mapped to the rows of a submission (see
 * import_map.h).
 *
 * A single-layout workbook is streamed once: the header row is mapped to the signed
 * meta's columns by text, and each row with an action keeps the cells that matter
 * (writable fields, comment, assignee) as compact records in one buffer for all rows: a
 * row costs no allocation of its own.  (A multi-layout workbook is mapped the same way by
 * import_form.c, one row per workbook.)  When the rows are checked, imap_row_values turns
 * a row's records into form values with the schema's cell conversion.
 *
 * Memory: struct imap owns its rows, records and columns (imap_free); labels and keys are
 * borrowed from the meta, which outlives the mapping of its workbook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "import.h"
#include "import_check.h"
#include "import_map.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "template.h"
#include "xlsx_read.h"

/* ---- text helpers and the header row ------------------------------------------------------ */

int64_t
imap_meta_id(struct json_object *meta, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(meta, key, &v))
		return 0;
	return json_object_get_int64(v);
}

/* Skip ASCII white space and U+3000 at the start of s. */
const char *
imap_skip_ws(const char *s)
{
	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		else if ((unsigned char)s[0] == 0xe3 && (unsigned char)s[1] == 0x80 &&
		         (unsigned char)s[2] == 0x80)
			s += 3;
		else
			return s;
	}
}

/* The length of s without trailing ASCII white space and U+3000. */
size_t
imap_trim_end(const char *s, size_t n)
{
	for (;;) {
		if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
		              s[n - 1] == '\n'))
			n--;
		else if (n >= 3 && (unsigned char)s[n - 3] == 0xe3 && (unsigned char)s[n - 2] == 0x80 &&
		         (unsigned char)s[n - 1] == 0x80)
			n -= 3;
		else
			return n;
	}
}

enum import_action
import_parse_action(const char *text)
{
	const char *s;
	size_t n;

	if (text == NULL)
		return IMPORT_ACTION_NONE;
	s = imap_skip_ws(text);
	n = imap_trim_end(s, strlen(s));
	if (n == 0)
		return IMPORT_ACTION_NONE;
	if ((n == strlen(TEMPLATE_ACTION_APPROVE) && memcmp(s, TEMPLATE_ACTION_APPROVE, n) == 0) ||
	    (n == 7 && strncasecmp(s, "approve", 7) == 0))
		return IMPORT_ACTION_APPROVE;
	if ((n == strlen(TEMPLATE_ACTION_REJECT) && memcmp(s, TEMPLATE_ACTION_REJECT, n) == 0) ||
	    (n == 6 && strncasecmp(s, "reject", 6) == 0))
		return IMPORT_ACTION_REJECT;
	return IMPORT_ACTION_INVALID;
}

char *
import_header_norm(const char *text)
{
	const char *s = imap_skip_ws(text ? text : "");
	size_t n = imap_trim_end(s, strlen(s));

	if (n >= 1 && s[n - 1] == '*')
		n = imap_trim_end(s, n - 1);
	else if (n >= 3 && memcmp(s + n - 3, "\xef\xbc\x8a", 3) == 0) /* U+FF0A full-width * */
		n = imap_trim_end(s, n - 3);
	return xstrndup(s, n);
}

const char *
import_fixed_label(const char *key)
{
	static const char *const map[][2] = {
		{"task_id", "任务ID"}, {"title", "标题"},           {"action", "操作"},
		{"comment", "审批意见"}, {"assignee", "下一处理人"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(key, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* A problem of the header row: msg.c's code with params (stolen, may be NULL). */
static struct json_object *
header_detail(const char *column, const char *field, const char *code,
              struct json_object *params)
{
	struct json_object *d = fb_err_detail_msg(field, code, params);

	jsonh_add_int(d, "row", 1);
	jsonh_add_str(d, "column", column);
	return d;
}

int
import_map_headers(const struct import_column *cols, size_t ncols, const char *const *headers,
                   size_t nheaders, int *col_of, struct fb_err *err)
{
	char **norm = xcalloc(nheaders ? nheaders : 1, sizeof(*norm));
	size_t i, j;
	int bad = 0;

	for (i = 0; i < nheaders; i++)
		norm[i] = headers[i] ? import_header_norm(headers[i]) : NULL;
	for (j = 0; j < ncols; j++) {
		char *want = import_header_norm(cols[j].label);

		col_of[j] = -1;
		for (i = 0; i < nheaders; i++) {
			if (norm[i] == NULL || norm[i][0] == '\0' || strcmp(norm[i], want) != 0)
				continue;
			if (col_of[j] >= 0) {
				fb_err_detail(err, header_detail(want, cols[j].key, "import.column_twice",
				                                 msg_args("column", json_object_new_string(want),
				                                          NULL)));
				bad = 1;
				break;
			}
			col_of[j] = (int)i;
		}
		if (col_of[j] < 0 && cols[j].required) {
			fb_err_detail(err, header_detail(want, cols[j].key, "import.column_missing",
			                                 msg_args("column", json_object_new_string(want),
			                                          NULL)));
			bad = 1;
		}
		free(want);
	}
	for (i = 0; i < nheaders; i++)
		free(norm[i]);
	free(norm);
	if (bad) {
		fb_err_msg(err, FB_EVALIDATION, "import.headers_changed", NULL);
		return -1;
	}
	return 0;
}

static void
cols_reset(struct imap *m)
{
	free(m->cols);
	m->cols = NULL;
	m->ncols = 0;
	m->c_task = m->c_action = -1;
	free(m->col_at);
	m->col_at = NULL;
	m->ncol_at = 0;
	m->have_header = 0;
}

/* Build the column list from a verified meta.  -1 when a column names an unknown field. */
int
imap_columns(struct imap *m, struct json_object *meta, struct fb_err *err)
{
	struct json_object *arr, *v;
	size_t i, n;

	cols_reset(m);
	json_object_object_get_ex(meta, "columns", &arr);
	n = json_object_array_length(arr);
	m->cols = xcalloc(n, sizeof(*m->cols));
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(arr, i);
		struct imap_col *k = &m->cols[m->ncols];
		const char *key;

		json_object_object_get_ex(c, "key", &v);
		key = json_object_get_string(v);
		k->key = key;
		if (strncmp(key, "f:", 2) == 0) {
			k->kind = IMAP_FIELD;
			k->f = schema_field_by_key(m->node->schema, key + 2);
			if (k->f == NULL || !json_object_object_get_ex(c, "label", &v) ||
			    !json_object_is_type(v, json_type_string)) {
				fb_err_msg(err, FB_EVALIDATION, "import.old_version", NULL);
				return -1;
			}
			k->label = json_object_get_string(v);
			k->writable = view_is_writable(m->node->view, key + 2);
		} else {
			k->label = import_fixed_label(key);
			if (k->label == NULL)
				continue; /* a column a later version may add; not ours to read */
			if (strcmp(key, "task_id") == 0) {
				k->kind = IMAP_TASK;
				m->c_task = (int)m->ncols;
			} else if (strcmp(key, "title") == 0) {
				k->kind = IMAP_TITLE;
			} else if (strcmp(key, "action") == 0) {
				k->kind = IMAP_ACTION;
				m->c_action = (int)m->ncols;
			} else if (strcmp(key, "comment") == 0) {
				k->kind = IMAP_COMMENT;
			} else {
				k->kind = IMAP_ASSIGNEE;
			}
		}
		m->ncols++;
	}
	if (m->c_task < 0 || m->c_action < 0) {
		fb_err_msg(err, FB_EVALIDATION, "import.meta_columns", NULL);
		return -1;
	}
	return 0;
}

/* Which columns must be present in the file: the task id, the action, required writable fields. */
int
imap_col_required(const struct imap *m, const struct imap_col *c)
{
	if (c->kind == IMAP_TASK || c->kind == IMAP_ACTION)
		return 1;
	return c->kind == IMAP_FIELD && c->writable &&
	       view_is_required(m->node->view, schema_field_key(c->f));
}

/* Whether a column's value is kept for the second pass. */
int
imap_col_kept(const struct imap_col *c)
{
	return (c->kind == IMAP_FIELD && c->writable) || c->kind == IMAP_COMMENT ||
	       c->kind == IMAP_ASSIGNEE;
}

/* The text of a cell: *kind CK_*; buf holds converted dates and booleans. */
const char *
imap_cell_text(const struct imap *m, const struct xlsx_cell *c, char buf[32], char *kind)
{
	*kind = IMAP_CELL_TEXT;
	switch (c->type) {
	case XLSX_NUMBER:
		if (c->is_date && xlsx_serial_to_date(c->num, m->date1904, buf) == 0)
			return buf;
		*kind = IMAP_CELL_NUMBER;
		return c->value;
	case XLSX_BOOL:
		return strcmp(c->value, "1") == 0 ? "TRUE" : "FALSE";
	case XLSX_ERROR:
		*kind = IMAP_CELL_ERROR;
		return c->value;
	case XLSX_STRING:
	case XLSX_DATE:
	default:
		return c->value;
	}
}

void
imap_rec_add(struct buf *b, int col, char kind, long srow, const char *text)
{
	unsigned char h[7];
	uint32_t r = (uint32_t)srow;

	h[0] = (unsigned char)(col & 0xff);
	h[1] = (unsigned char)((col >> 8) & 0xff);
	h[2] = (unsigned char)kind;
	memcpy(h + 3, &r, 4);
	buf_add(b, h, sizeof(h));
	buf_add(b, text, strlen(text) + 1);
}

void
imap_rec_end(struct buf *b)
{
	unsigned char h[2] = {0xff, 0xff};

	buf_add(b, h, 2);
}

/* The record at *off: 0 at the end of the row. */
static int
rec_next(const struct buf *b, size_t *off, int *col, char *kind, long *srow, const char **text)
{
	const unsigned char *p = (const unsigned char *)b->data + *off;
	uint32_t r;

	if (p[0] == 0xff && p[1] == 0xff)
		return 0;
	*col = p[0] | (p[1] << 8);
	*kind = (char)p[2];
	memcpy(&r, p + 3, 4);
	*srow = (long)r;
	*text = (const char *)p + 7;
	*off += 7 + strlen(*text) + 1;
	return 1;
}

/* A new row, or NULL with FB_ETOOBIG (message code too_many) past batch.max_tasks. */
struct imap_row *
imap_row_push(struct imap *m, const char *too_many, struct fb_err *err)
{
	struct imap_row *r;

	if (m->nrows >= (size_t)m->cfg->batch_max_tasks) {
		fb_err_msg(err, FB_ETOOBIG, too_many,
		           msg_args("max", json_object_new_int(m->cfg->batch_max_tasks), NULL));
		return NULL;
	}
	if (m->nrows == m->caprows) {
		m->caprows = m->caprows ? m->caprows * 2 : 256;
		m->rows = xrealloc(m->rows, m->caprows * sizeof(*m->rows));
	}
	r = &m->rows[m->nrows++];
	memset(r, 0, sizeof(*r));
	r->off = m->cells.len;
	return r;
}

/* A task id from a cell: digits (text or a whole number); 0 when it is not one. */
int64_t
imap_task_id(const struct xlsx_cell *c)
{
	const char *s;
	size_t n, i;
	int64_t v = 0;

	if (c->type == XLSX_NUMBER) {
		if (c->num >= 1 && c->num < 1e15 && c->num == (double)(int64_t)c->num)
			return (int64_t)c->num;
		return 0;
	}
	if (c->type != XLSX_STRING)
		return 0;
	s = imap_skip_ws(c->value);
	n = imap_trim_end(s, strlen(s));
	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
single_header(struct imap *m, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct import_column *ic;
	const char **headers;
	int *col_of, maxcol = 0, rc;
	size_t i;

	if (row != 1) {
		fb_err_msg(err, FB_EVALIDATION, "import.header_row",
		           msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_SINGLE), NULL));
		fb_err_detail(err, header_detail("", NULL, "import.header_missing", NULL));
		return -1;
	}
	for (i = 0; i < n; i++)
		if (cells[i].col + 1 > maxcol)
			maxcol = cells[i].col + 1;
	headers = xcalloc((size_t)maxcol + 1, sizeof(*headers));
	for (i = 0; i < n; i++)
		if (cells[i].type == XLSX_STRING)
			headers[cells[i].col] = cells[i].value;
	ic = xcalloc(m->ncols, sizeof(*ic));
	col_of = xcalloc(m->ncols, sizeof(*col_of));
	for (i = 0; i < m->ncols; i++) {
		ic[i].key = m->cols[i].key;
		ic[i].label = m->cols[i].label;
		ic[i].required = imap_col_required(m, &m->cols[i]);
	}
	rc = import_map_headers(ic, m->ncols, headers, (size_t)maxcol, col_of, err);
	if (rc == 0) {
		m->ncol_at = maxcol;
		m->col_at = xmalloc(sizeof(*m->col_at) * ((size_t)maxcol + 1));
		for (i = 0; i < (size_t)maxcol + 1; i++)
			m->col_at[i] = -1;
		for (i = 0; i < m->ncols; i++)
			if (col_of[i] >= 0)
				m->col_at[col_of[i]] = (int)i;
		m->have_header = 1;
	}
	free(headers);
	free(ic);
	free(col_of);
	return rc;
}

static int
single_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct imap *m = arg;
	const struct xlsx_cell *task = NULL, *action = NULL;
	struct imap_row *r;
	size_t i;
	int act;

	if (!m->have_header)
		return single_header(m, row, cells, n, err);
	for (i = 0; i < n; i++) {
		int k = cells[i].col < m->ncol_at ? m->col_at[cells[i].col] : -1;

		if (k == m->c_task)
			task = &cells[i];
		else if (k == m->c_action)
			action = &cells[i];
	}
	act = action == NULL ? IMPORT_ACTION_NONE
	                     : action->type == XLSX_STRING ? (int)import_parse_action(action->value)
	                                                   : IMPORT_ACTION_INVALID;
	if (act == IMPORT_ACTION_NONE) {
		m->skipped++;
		return 0;
	}
	if ((r = imap_row_push(m, "import.too_many_rows", err)) == NULL)
		return -1;
	r->row = row;
	r->row_no = (int)row;
	r->action = act;
	if (act == IMPORT_ACTION_INVALID) {
		import_report_add(m->rep, NULL, row, m->cols[m->c_action].label, "action",
		                  "import.action", NULL);
		r->bad = 1;
	}
	if (task == NULL) {
		import_report_add(m->rep, NULL, row, m->cols[m->c_task].label, "task_id",
		                  "import.task_required", NULL);
		r->bad = 1;
	} else if ((r->task_id = imap_task_id(task)) == 0) {
		import_report_add(m->rep, NULL, row, m->cols[m->c_task].label, "task_id",
		                  "import.task_bad", NULL);
		r->bad = 1;
	}
	for (i = 0; i < n; i++) {
		int k = cells[i].col < m->ncol_at ? m->col_at[cells[i].col] : -1;
		char buf[32], kind;
		const char *text;

		if (k < 0 || !imap_col_kept(&m->cols[k]))
			continue;
		text = imap_cell_text(m, &cells[i], buf, &kind);
		imap_rec_add(&m->cells, k, kind, row, text);
	}
	imap_rec_end(&m->cells);
	return 0;
}

int
imap_single(struct imap *m, struct xlsx *x, struct json_object *meta, struct fb_err *err)
{
	if (imap_columns(m, meta, err) < 0)
		return -1;
	if (xlsx_sheet_find(x, TEMPLATE_SHEET_SINGLE) == NULL) {
		fb_err_msg(err, FB_EVALIDATION, "import.form_sheet_missing",
		           msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_SINGLE), NULL));
		fb_err_detail(err, fb_err_detail_msg(TEMPLATE_SHEET_SINGLE, "import.sheet_missing",
		                                     msg_args("sheet", json_object_new_string(
		                                                           TEMPLATE_SHEET_SINGLE),
		                                              NULL)));
		return -1;
	}
	if (xlsx_read_sheet(x, TEMPLATE_SHEET_SINGLE, single_row, m, err) < 0)
		return -1;
	if (!m->have_header) {
		fb_err_msg(err, FB_EVALIDATION, "import.sheet_empty",
		           msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_SINGLE), NULL));
		fb_err_detail(err, header_detail("", NULL, "import.header_missing", NULL));
		return -1;
	}
	return 0;
}

/* ---- a row's values ------------------------------------------------------------------------ */

int
imap_row_values(const struct imap *m, const struct imap_row *r, struct json_object **form,
                const char **comment, const char **assignee)
{
	struct json_object *out = json_object_new_object();
	size_t off = r->off;
	const char *text;
	long srow;
	int col, bad = 0;
	char kind;

	*comment = *assignee = NULL;
	while (rec_next(&m->cells, &off, &col, &kind, &srow, &text)) {
		const struct imap_col *c = &m->cols[col];
		struct json_object *v = NULL;
		struct fb_err verr = {0};
		char buf[32];

		if (c->kind == IMAP_COMMENT) {
			*comment = text;
			continue;
		}
		if (c->kind == IMAP_ASSIGNEE) {
			*assignee = text;
			continue;
		}
		if (kind == IMAP_CELL_ERROR) {
			import_report_add(m->rep, r->file, srow, c->label, schema_field_key(c->f),
			                  "import.cell_error",
			                  msg_args("value", json_object_new_string(text), NULL));
			bad = 1;
			continue;
		}
		if (kind == IMAP_CELL_NUMBER && schema_field_type(c->f) == SCHEMA_DATE &&
		    xlsx_serial_to_date(strtod(text, NULL), m->date1904, buf) == 0)
			text = buf;
		if (schema_value_from_text(c->f, text, &v, &verr) < 0) {
			import_report_err(m->rep, r->file, srow, c->label, schema_field_key(c->f), &verr);
			fb_err_clear(&verr);
			bad = 1;
			continue;
		}
		/* A blank cell leaves the field as it is. */
		if (v != NULL)
			json_object_object_add(out, schema_field_key(c->f), v);
	}
	if (r->tables != NULL) {
		json_object_object_foreach(r->tables, k, v)
			json_object_object_add(out, k, json_object_get(v));
	}
	*form = out;
	return bad;
}

const char *
imap_field_column(const struct imap *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		if (m->cols[i].kind == IMAP_FIELD && strcmp(schema_field_key(m->cols[i].f), key) == 0)
			return m->cols[i].label;
	return NULL;
}

void
imap_free(struct imap *m)
{
	size_t i;

	cols_reset(m);
	for (i = 0; i < m->nrows; i++) {
		free(m->rows[i].file);
		json_object_put(m->rows[i].tables);
	}
	free(m->rows);
	free(m->cells.data);
	m->rows = NULL;
	m->cells.data = NULL;
	m->nrows = m->caprows = 0;
}
