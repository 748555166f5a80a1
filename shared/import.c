/* SPDX-License-Identifier: MIT */
/*
 * import: read a filled template back and validate every row before a batch is made.
 *
 * The upload stays in the caller's memory.  A single-layout .xlsx is streamed once: the
 * header row is mapped to the signed meta's columns by text, and each row with an action
 * keeps the cells that matter (writable fields, comment, assignee) as compact records in
 * one buffer.  A .zip pack is walked entry by entry, each workbook inflated into a buffer
 * of its own (bytes counted here, capped per entry and in total) and read like the single
 * one, its form sheet giving one row.  Then the rows are checked IMPORT_TASK_CHUNK at a
 * time: one query fetches the chunk's tasks with their sessions' form data (a set, not a
 * task at a time), and each row is checked the way the engine will execute it: values
 * converted by the schema, merged over the session's form (schema_merge), action,
 * comment and next assignee.  Every problem is collected with its row and column.
 *
 * Memory: struct imp owns everything it collects (records, rows, the task result, the
 * user cache) and frees it in imp_free; the result hands its arrays to the caller.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <zip.h>

#include "batch.h"
#include "import.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "template.h"
#include "utf8.h"
#include "xlsx_read.h"
#include "db.h"

/* ---- pure helpers ------------------------------------------------------------------------ */

/* Skip ASCII white space and U+3000 at the start of s. */
static const char *
skip_ws(const char *s)
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
static size_t
trim_end(const char *s, size_t n)
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
	s = skip_ws(text);
	n = trim_end(s, strlen(s));
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
	const char *s = skip_ws(text ? text : "");
	size_t n = trim_end(s, strlen(s));

	if (n >= 1 && s[n - 1] == '*')
		n = trim_end(s, n - 1);
	else if (n >= 3 && memcmp(s + n - 3, "\xef\xbc\x8a", 3) == 0) /* U+FF0A full-width * */
		n = trim_end(s, n - 3);
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

static struct json_object *
header_detail(const char *column, const char *field, const char *message)
{
	struct json_object *d = json_object_new_object();

	jsonh_add_int(d, "row", 1);
	jsonh_add_str(d, "column", column);
	if (field != NULL)
		jsonh_add_str(d, "field", field);
	jsonh_add_str(d, "message", message);
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
				char *m = xasprintf("the column \"%s\" appears twice", want);

				fb_err_detail(err, header_detail(want, cols[j].key, m));
				free(m);
				bad = 1;
				break;
			}
			col_of[j] = (int)i;
		}
		if (col_of[j] < 0 && cols[j].required) {
			char *m = xasprintf("the column \"%s\" is missing", want);

			fb_err_detail(err, header_detail(want, cols[j].key, m));
			free(m);
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

static int
ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

enum import_entry
import_entry_kind(const char *name)
{
	const char *base, *p;

	if (name == NULL || name[0] == '\0' || name[0] == '/')
		return IMPORT_ENTRY_BAD;
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return IMPORT_ENTRY_BAD;
	for (p = name; *p != '\0';) {
		size_t seg = strcspn(p, "/");

		if ((seg == 2 && strncmp(p, "..", 2) == 0) || (seg == 1 && p[0] == '.'))
			return IMPORT_ENTRY_BAD;
		p += seg;
		if (*p == '/')
			p++;
	}
	if (name[strlen(name) - 1] == '/')
		return IMPORT_ENTRY_SKIP;
	if (strncmp(name, "__MACOSX/", 9) == 0)
		return IMPORT_ENTRY_SKIP;
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (strncmp(base, "._", 2) == 0 || strncmp(base, "~$", 2) == 0 ||
	    strcmp(base, ".DS_Store") == 0 || strcasecmp(base, "Thumbs.db") == 0)
		return IMPORT_ENTRY_SKIP;
	if (!ends_with_ci(base, ".xlsx") || strlen(base) == 5)
		return IMPORT_ENTRY_BAD;
	return IMPORT_ENTRY_WORKBOOK;
}

/* ---- the import context ---------------------------------------------------------------- */

enum col_kind { K_TASK, K_TITLE, K_FIELD, K_ACTION, K_COMMENT, K_ASSIGNEE };

struct col {
	enum col_kind kind;
	const char *key;                /* meta key, borrowed from the meta */
	const char *label;              /* header text, borrowed from the meta or static */
	const struct schema_field *f;   /* K_FIELD */
	int writable;                   /* per the node's view now */
};

/* Kinds of a stored cell. */
#define CK_TEXT 's'
#define CK_NUMBER 'n'
#define CK_ERROR 'e'

/*
 * A row to process.  Its cells are records in imp.cells from off: u16 column index, u8
 * kind, u32 sheet row, the text NUL-terminated; a column index of 0xffff ends the row.
 */
struct irow {
	int64_t task_id;    /* 0 when the cell was not a valid id (already reported) */
	long row;           /* single: sheet row; multi: row of the action in the form sheet */
	int row_no;         /* single: sheet row; multi: workbook number */
	int action;
	int bad;            /* a problem was reported in the first pass */
	size_t off;
	char *file;         /* multi: the entry name (malloc'ed) */
	struct json_object *tables; /* multi: {"<field>":[..]} of writable tables, or NULL */
};

struct ucache {
	char **keys;
	signed char *vals;
	size_t cap, n;
};

struct imp {
	struct db *db;
	const struct fb_config *cfg;
	const struct user_rec *u;
	struct node_info *node;
	struct json_object *meta;   /* the first workbook's meta */
	int single;
	/* columns of the current workbook's meta */
	struct col *cols;
	size_t ncols;
	int c_task, c_action;       /* indexes into cols, or -1 */
	int *col_at;                /* single: sheet column -> col index or -1 */
	int ncol_at;
	int have_header;
	/* collected rows */
	struct buf cells;
	struct irow *rows;
	size_t nrows, caprows;
	size_t skipped;
	/* the current workbook (multi) */
	const char *file;
	int workbook_no;
	struct irow *cur;
	/* errors */
	struct fb_err *err;
	size_t nerrors;
	/* tasks */
	PGresult *tasks;
	int64_t *task_index; /* ids of tasks rows, ascending */
	struct ucache users;
	struct json_tokener *tok; /* for the sessions' form data */
	int date1904;
};

/*
 * One problem of the file: a detail naming where it is, with the message code and params
 * (stolen, may be NULL) of msg.c's catalogue and its English text.
 */
static void
add_detail(struct imp *m, const char *file, long row, const char *column, const char *field,
           const char *code, struct json_object *params)
{
	struct json_object *d;
	char *en;

	m->nerrors++;
	if (m->nerrors > IMPORT_MAX_DETAILS) {
		json_object_put(params);
		return;
	}
	d = json_object_new_object();
	if (file != NULL)
		jsonh_add_str(d, "file", file);
	if (row > 0)
		jsonh_add_int(d, "row", row);
	if (column != NULL)
		jsonh_add_str(d, "column", column);
	if (field != NULL)
		jsonh_add_str(d, "field", field);
	if (params == NULL)
		params = json_object_new_object();
	en = msg_render(code, params, MSG_EN);
	jsonh_add_str(d, "code", code);
	json_object_object_add(d, "params", params);
	jsonh_add_str(d, "message", en);
	free(en);
	fb_err_detail(m->err, d);
}

/* A problem that an error says (its own message, nested when it has a code). */
static void
add_detail_err(struct imp *m, const char *file, long row, const char *column,
               const char *field, const struct fb_err *e)
{
	add_detail(m, file, row, column, field, "import.problem",
	           msg_args("what", fb_err_to_detail(NULL, e), NULL));
}

/* A task id as a message parameter. */
static struct json_object *
task_arg(int64_t id)
{
	return msg_args("task", json_object_new_int64(id), NULL);
}

static void
cols_reset(struct imp *m)
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

static void
imp_free(struct imp *m)
{
	size_t i;

	cols_reset(m);
	for (i = 0; i < m->nrows; i++) {
		free(m->rows[i].file);
		json_object_put(m->rows[i].tables);
	}
	free(m->rows);
	free(m->cells.data);
	PQclear(m->tasks);
	free(m->task_index);
	for (i = 0; i < m->users.cap; i++)
		free(m->users.keys ? m->users.keys[i] : NULL);
	free(m->users.keys);
	free(m->users.vals);
	if (m->tok != NULL)
		json_tokener_free(m->tok);
	json_object_put(m->meta);
	node_free(m->node);
}

/* Build the column list from a verified meta.  -1 when a column names an unknown field. */
static int
cols_from_meta(struct imp *m, struct json_object *meta)
{
	struct json_object *arr, *v;
	size_t i, n;

	cols_reset(m);
	json_object_object_get_ex(meta, "columns", &arr);
	n = json_object_array_length(arr);
	m->cols = xcalloc(n, sizeof(*m->cols));
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(arr, i);
		struct col *k = &m->cols[m->ncols];
		const char *key;

		json_object_object_get_ex(c, "key", &v);
		key = json_object_get_string(v);
		k->key = key;
		if (strncmp(key, "f:", 2) == 0) {
			k->kind = K_FIELD;
			k->f = schema_field_by_key(m->node->schema, key + 2);
			if (k->f == NULL || !json_object_object_get_ex(c, "label", &v) ||
			    !json_object_is_type(v, json_type_string)) {
				fb_err_msg(m->err, FB_EVALIDATION, "import.old_version", NULL);
				return -1;
			}
			k->label = json_object_get_string(v);
			k->writable = view_is_writable(m->node->view, key + 2);
		} else {
			k->label = import_fixed_label(key);
			if (k->label == NULL)
				continue; /* a column a later version may add; not ours to read */
			if (strcmp(key, "task_id") == 0) {
				k->kind = K_TASK;
				m->c_task = (int)m->ncols;
			} else if (strcmp(key, "title") == 0) {
				k->kind = K_TITLE;
			} else if (strcmp(key, "action") == 0) {
				k->kind = K_ACTION;
				m->c_action = (int)m->ncols;
			} else if (strcmp(key, "comment") == 0) {
				k->kind = K_COMMENT;
			} else {
				k->kind = K_ASSIGNEE;
			}
		}
		m->ncols++;
	}
	if (m->c_task < 0 || m->c_action < 0) {
		fb_err_set(m->err, FB_EVALIDATION, "the template's meta data has no task id or action");
		return -1;
	}
	return 0;
}

/* Which columns must be present in the file: the task id, the action, required writable fields. */
static int
col_required(const struct imp *m, const struct col *c)
{
	if (c->kind == K_TASK || c->kind == K_ACTION)
		return 1;
	return c->kind == K_FIELD && c->writable &&
	       view_is_required(m->node->view, schema_field_key(c->f));
}

/* Whether a column's value is kept for the second pass. */
static int
col_kept(const struct col *c)
{
	return (c->kind == K_FIELD && c->writable) || c->kind == K_COMMENT || c->kind == K_ASSIGNEE;
}

/* The text of a cell: *kind CK_*; buf holds converted dates and booleans. */
static const char *
cell_text(const struct imp *m, const struct xlsx_cell *c, char buf[32], char *kind)
{
	*kind = CK_TEXT;
	switch (c->type) {
	case XLSX_NUMBER:
		if (c->is_date && xlsx_serial_to_date(c->num, m->date1904, buf) == 0)
			return buf;
		*kind = CK_NUMBER;
		return c->value;
	case XLSX_BOOL:
		return strcmp(c->value, "1") == 0 ? "TRUE" : "FALSE";
	case XLSX_ERROR:
		*kind = CK_ERROR;
		return c->value;
	case XLSX_STRING:
	case XLSX_DATE:
	default:
		return c->value;
	}
}

static void
rec_add(struct buf *b, int col, char kind, long srow, const char *text)
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

static void
rec_end(struct buf *b)
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

static struct irow *
row_push(struct imp *m)
{
	struct irow *r;

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
static int64_t
parse_task_id(const struct xlsx_cell *c)
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
	s = skip_ws(c->value);
	n = trim_end(s, strlen(s));
	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* ---- single layout ------------------------------------------------------------------------ */

static int
single_header(struct imp *m, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct import_column *ic;
	const char **headers;
	int *col_of, maxcol = 0, rc;
	size_t i;

	if (row != 1) {
		fb_err_msg(err, FB_EVALIDATION, "import.header_row",
		           msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_SINGLE), NULL));
		fb_err_detail(err, header_detail("", NULL, "the header row is missing"));
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
		ic[i].required = col_required(m, &m->cols[i]);
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
	struct imp *m = arg;
	const struct xlsx_cell *task = NULL, *action = NULL;
	struct irow *r;
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
	if (m->nrows >= (size_t)m->cfg->batch_max_tasks) {
		fb_err_msg(err, FB_ETOOBIG, "import.too_many_rows",
		           msg_args("max", json_object_new_int(m->cfg->batch_max_tasks), NULL));
		return -1;
	}
	r = row_push(m);
	r->row = row;
	r->row_no = (int)row;
	r->action = act;
	if (act == IMPORT_ACTION_INVALID) {
		add_detail(m, NULL, row, m->cols[m->c_action].label, "action", "import.action", NULL);
		r->bad = 1;
	}
	if (task == NULL) {
		add_detail(m, NULL, row, m->cols[m->c_task].label, "task_id", "import.task_required", NULL);
		r->bad = 1;
	} else if ((r->task_id = parse_task_id(task)) == 0) {
		add_detail(m, NULL, row, m->cols[m->c_task].label, "task_id", "import.task_bad", NULL);
		r->bad = 1;
	}
	for (i = 0; i < n; i++) {
		int k = cells[i].col < m->ncol_at ? m->col_at[cells[i].col] : -1;
		char buf[32], kind;
		const char *text;

		if (k < 0 || !col_kept(&m->cols[k]))
			continue;
		text = cell_text(m, &cells[i], buf, &kind);
		rec_add(&m->cells, k, kind, row, text);
	}
	rec_end(&m->cells);
	return 0;
}

/* ---- meta ------------------------------------------------------------------------------- */

struct meta_cells {
	char *a1, *a2;
};

static int
meta_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct meta_cells *mc = arg;

	if (n == 0 || cells[0].col != 0 || cells[0].type != XLSX_STRING)
		return 0;
	if (row == 1 && mc->a1 == NULL)
		mc->a1 = xstrdup(cells[0].value);
	else if (row == 2 && mc->a2 == NULL)
		mc->a2 = xstrdup(cells[0].value);
	return 0;
}

/* Read and verify the _meta of x; *meta new. */
static int
read_meta(struct imp *m, struct xlsx *x, struct json_object **meta, struct fb_err *err)
{
	struct meta_cells mc = {0};
	int rc = -1;

	if (xlsx_sheet_find(x, TEMPLATE_SHEET_META) == NULL) {
		fb_err_msg(err, FB_EVALIDATION, "import.not_template", NULL);
		fb_err_detail(err, jsonh_detail(TEMPLATE_SHEET_META, "the sheet _meta is missing"));
		return -1;
	}
	if (xlsx_read_sheet(x, TEMPLATE_SHEET_META, meta_row, &mc, err) < 0)
		goto out;
	rc = template_meta_verify(m->cfg->auth_secret, mc.a1, mc.a2, meta, err);
out:
	free(mc.a1);
	free(mc.a2);
	return rc;
}

static const char *
meta_layout(struct json_object *meta)
{
	struct json_object *v;

	json_object_object_get_ex(meta, "layout", &v);
	return json_object_get_string(v);
}

static int64_t
meta_id(struct json_object *meta, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(meta, key, &v))
		return 0;
	return json_object_get_int64(v);
}

/* Load the node of the first meta, or check a later meta against it. */
static int
meta_node(struct imp *m, struct json_object *meta, struct fb_err *err)
{
	if (m->node == NULL) {
		struct fb_err nerr = {0};

		m->node = node_load(m->db, meta_id(meta, "node_id"), &nerr);
		if (m->node == NULL) {
			if (nerr.code == FB_ENOTFOUND) {
				fb_err_clear(&nerr);
				fb_err_msg(err, FB_EVALIDATION, "import.node_gone", NULL);
				fb_err_detail(err, fb_err_detail_msg("node_id", "import.other_node", NULL));
			} else {
				*err = nerr;
			}
			return -1;
		}
	}
	return template_meta_check_node(meta, m->node, err);
}

static int
read_single(struct imp *m, struct xlsx *x, struct json_object *meta, struct fb_err *err)
{
	if (cols_from_meta(m, meta) < 0)
		return -1;
	if (xlsx_sheet_find(x, TEMPLATE_SHEET_SINGLE) == NULL) {
		fb_err_msg(err, FB_EVALIDATION, "import.form_sheet_missing",
		           msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_SINGLE), NULL));
		fb_err_detail(err, jsonh_detail(TEMPLATE_SHEET_SINGLE, "the sheet is missing"));
		return -1;
	}
	if (xlsx_read_sheet(x, TEMPLATE_SHEET_SINGLE, single_row, m, err) < 0)
		return -1;
	if (!m->have_header) {
		fb_err_msg(err, FB_EVALIDATION, "import.sheet_empty",
		           msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_SINGLE), NULL));
		fb_err_detail(err, header_detail("", NULL, "the header row is missing"));
		return -1;
	}
	return 0;
}

/* ---- multi layout ------------------------------------------------------------------------- */

/* The index of the column whose label is text, or -1. */
static int
col_by_label(const struct imp *m, const char *text)
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
	struct imp *m;
	int *seen;                   /* per col: the sheet row it was on, 0 if not yet */
	const struct xlsx_cell *dummy;
	struct irow *r;
	int64_t task_cell;
	long action_row;
	int act;
};

static int
form_row(void *arg, long row, const struct xlsx_cell *cells, size_t n, struct fb_err *err)
{
	struct form_state *fs = arg;
	struct imp *m = fs->m;
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
		add_detail(m, m->file, row, m->cols[k].label, m->cols[k].key, "import.row_twice",
		           msg_args("label", json_object_new_string(m->cols[k].label), "other",
		                    json_object_new_int(fs->seen[k]), NULL));
		fs->r->bad = 1;
		return 0;
	}
	fs->seen[k] = (int)row;
	if (value == NULL)
		return 0;
	if (k == m->c_task) {
		fs->task_cell = parse_task_id(value);
		return 0;
	}
	if (k == m->c_action) {
		fs->action_row = row;
		fs->act = value->type == XLSX_STRING ? (int)import_parse_action(value->value)
		                                     : IMPORT_ACTION_INVALID;
		return 0;
	}
	if (col_kept(&m->cols[k]) &&
	    !(m->cols[k].kind == K_FIELD && schema_field_type(m->cols[k].f) == SCHEMA_TABLE)) {
		char buf[32], kind;
		const char *text = cell_text(m, value, buf, &kind);

		rec_add(&m->cells, k, kind, row, text);
	}
	return 0;
}

struct table_state {
	struct imp *m;
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
	struct imp *m = ts->m;
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
		add_detail(m, m->file, row, ts->sheet, schema_field_key(ts->f), "import.table_rows",
		           msg_args("max", json_object_new_int64(schema_field_max_rows(ts->f)), NULL));
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
		text = cell_text(m, &cells[i], buf, &kind);
		if (kind == CK_ERROR) {
			add_detail(m, m->file, row, schema_field_label(c), schema_field_key(ts->f),
			           "import.cell_error", msg_args("value", json_object_new_string(text), NULL));
			ts->bad = 1;
			continue;
		}
		if (kind == CK_NUMBER && schema_field_type(c) == SCHEMA_DATE &&
		    xlsx_serial_to_date(cells[i].num, m->date1904, buf) == 0)
			text = buf;
		if (schema_value_from_text(c, text, &v, &verr) < 0) {
			add_detail_err(m, m->file, row, schema_field_label(c), schema_field_key(ts->f), &verr);
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
read_tables(struct imp *m, struct xlsx *x, struct json_object *meta, struct irow *r,
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
			add_detail(m, m->file, 0, ts.sheet, key, "import.sheet_missing",
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
static int
read_form(struct imp *m, struct xlsx *x, struct json_object *meta, struct fb_err *err)
{
	struct form_state fs = {.m = m, .act = IMPORT_ACTION_NONE};
	size_t saved_off = m->cells.len, i;
	struct irow *r;
	int rc = -1;

	if (cols_from_meta(m, meta) < 0)
		return -1;
	if (xlsx_sheet_find(x, TEMPLATE_SHEET_FORM) == NULL) {
		add_detail(m, m->file, 0, TEMPLATE_SHEET_FORM, NULL, "import.form_sheet_missing",
		           msg_args("sheet", json_object_new_string(TEMPLATE_SHEET_FORM), NULL));
		return 0;
	}
	if (m->nrows >= (size_t)m->cfg->batch_max_tasks) {
		fb_err_msg(err, FB_ETOOBIG, "import.too_many_books",
		           msg_args("max", json_object_new_int(m->cfg->batch_max_tasks), NULL));
		return -1;
	}
	r = row_push(m);
	r->file = xstrdup(m->file);
	r->row_no = m->workbook_no;
	fs.r = r;
	fs.seen = xcalloc(m->ncols, sizeof(int));
	if (xlsx_read_sheet(x, TEMPLATE_SHEET_FORM, form_row, &fs, err) < 0)
		goto out;
	rec_end(&m->cells);
	for (i = 0; i < m->ncols; i++)
		if (!fs.seen[i] && col_required(m, &m->cols[i])) {
			add_detail(m, m->file, 0, m->cols[i].label, m->cols[i].key, "import.row_missing",
			           msg_args("label", json_object_new_string(m->cols[i].label), NULL));
			r->bad = 1;
		}
	r->task_id = meta_id(meta, "task_id");
	r->action = fs.act;
	r->row = fs.action_row;
	if (fs.task_cell != 0 && fs.task_cell != r->task_id) {
		add_detail(m, m->file, fs.seen[m->c_task], m->cols[m->c_task].label, "task_id",
		           "import.task_changed", task_arg(r->task_id));
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
		add_detail(m, m->file, fs.action_row, m->cols[m->c_action].label, "action",
		           "import.action", NULL);
		r->bad = 1;
	} else if (fs.act == IMPORT_ACTION_NONE) {
		add_detail(m, m->file, 0, m->cols[m->c_action].label, "action", "import.action_required",
		           NULL);
	}
	rc = read_tables(m, x, meta, r, err);
out:
	free(fs.seen);
	return rc;
}

/* Open one workbook held in memory, verify its meta and read it. */
static int
read_workbook(struct imp *m, const void *data, size_t len, int in_zip, struct fb_err *err)
{
	struct xlsx_limits lim = xlsx_limits_default();
	struct json_object *meta = NULL;
	struct xlsx *x;
	const char *layout;
	int rc = -1;

	lim.max_rows = m->cfg->batch_max_tasks + IMPORT_ROW_SLACK + 1;
	if (in_zip)
		lim.max_total_bytes = IMPORT_MAX_WORKBOOK * 2;
	x = xlsx_open_buffer(data, len, &lim, err);
	if (x == NULL) {
		if (err->code == FB_EMEDIA && in_zip) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			fb_err_clear(err);
			fb_err_set(err, FB_EVALIDATION, "%.200s: %.200s", m->file, msg);
		}
		return -1;
	}
	m->date1904 = xlsx_date1904(x);
	if (read_meta(m, x, &meta, err) < 0 || meta_node(m, meta, err) < 0)
		goto out;
	layout = meta_layout(meta);
	if (strcmp(layout, "single") == 0) {
		if (in_zip) {
			fb_err_msg(err, FB_EVALIDATION, "import.single_in_zip",
			           msg_args("file", json_object_new_string(m->file), NULL));
			goto out;
		}
		m->single = 1;
		rc = read_single(m, x, meta, err);
	} else {
		m->single = 0;
		rc = read_form(m, x, meta, err);
	}
	if (rc == 0 && m->meta == NULL) {
		m->meta = meta;
		meta = NULL;
	}
out:
	json_object_put(meta);
	xlsx_close(x);
	return rc;
}

/* Inflate entry i into a malloc'ed buffer, counting bytes against the caps. */
static int
zip_entry_read(zip_t *za, zip_uint64_t i, size_t *total, char **out, size_t *outlen,
               struct fb_err *err)
{
	zip_file_t *zf;
	size_t cap = 1 << 16, len = 0;
	char *data;

	zf = zip_fopen_index(za, i, 0);
	if (zf == NULL) {
		fb_err_set(err, FB_EVALIDATION, "cannot read %s: %s", zip_get_name(za, i, 0),
		           zip_strerror(za));
		return -1;
	}
	data = xmalloc(cap);
	for (;;) {
		zip_int64_t n;

		if (len == cap) {
			if (cap >= IMPORT_MAX_WORKBOOK) {
				fb_err_set(err, FB_ETOOBIG, "a workbook in the zip inflates to more than %u MiB",
				           IMPORT_MAX_WORKBOOK >> 20);
				goto fail;
			}
			cap *= 2;
			data = xrealloc(data, cap);
		}
		n = zip_fread(zf, data + len, cap - len);
		if (n < 0) {
			fb_err_set(err, FB_EVALIDATION, "the zip is damaged: %s", zip_file_strerror(zf));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		*total += (size_t)n;
		if (*total > IMPORT_MAX_ZIP_TOTAL) {
			fb_err_set(err, FB_ETOOBIG, "the zip inflates to more than %u MiB",
			           IMPORT_MAX_ZIP_TOTAL >> 20);
			goto fail;
		}
	}
	zip_fclose(zf);
	*out = data;
	*outlen = len;
	return 0;
fail:
	zip_fclose(zf);
	free(data);
	return -1;
}

/* A zip of multi-layout workbooks. */
static int
read_pack(struct imp *m, zip_t *za, struct fb_err *err)
{
	zip_int64_t n = zip_get_num_entries(za, 0), i;
	size_t total = 0;
	int books = 0;

	if (n > TEMPLATE_MULTI_MAX * 2 + 16) {
		fb_err_set(err, FB_ETOOBIG, "the zip has %lld entries; a pack holds at most %d workbooks",
		           (long long)n, TEMPLATE_MULTI_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t)i, ZIP_FL_ENC_GUESS);
		struct fb_err werr = {0};
		zip_stat_t st;
		char *data = NULL;
		size_t len = 0;
		int rc;

		switch (import_entry_kind(name)) {
		case IMPORT_ENTRY_SKIP:
			continue;
		case IMPORT_ENTRY_BAD:
			fb_err_msg(err, FB_EVALIDATION, "import.zip_stranger",
			           msg_args("file", json_object_new_string(name ? name : ""), NULL));
			fb_err_detail(err, fb_err_detail_msg("file", "import.zip_stranger_detail", NULL));
			return -1;
		case IMPORT_ENTRY_WORKBOOK:
			break;
		}
		if (++books > TEMPLATE_MULTI_MAX) {
			fb_err_set(err, FB_ETOOBIG, "the zip holds more than %d workbooks", TEMPLATE_MULTI_MAX);
			return -1;
		}
		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0 ||
		    ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)) {
			fb_err_msg(err, FB_EVALIDATION, "import.encrypted",
			           msg_args("file", json_object_new_string(name), NULL));
			return -1;
		}
		if (zip_entry_read(za, (zip_uint64_t)i, &total, &data, &len, err) < 0)
			return -1;
		m->file = name;
		m->workbook_no = books;
		rc = read_workbook(m, data, len, 1, &werr);
		free(data);
		m->file = NULL;
		if (rc < 0 && werr.code != FB_EVALIDATION) {
			fb_err_clear(err);
			*err = werr;
			return -1;
		}
		if (rc < 0) {
			/* A problem of this workbook as a whole: report it, go on with the others. */
			add_detail_err(m, name, 0, NULL, NULL, &werr);
			fb_err_clear(&werr);
		}
	}
	if (books == 0) {
		fb_err_msg(err, FB_EVALIDATION, "import.zip_empty", NULL);
		fb_err_detail(err, fb_err_detail_msg("file", "import.zip_empty", NULL));
		return -1;
	}
	return 0;
}

/* Decide what the upload is and read it. */
static int
read_upload(struct imp *m, const void *data, size_t len, struct fb_err *err)
{
	zip_source_t *src;
	zip_error_t ze;
	zip_t *za;
	int rc;

	zip_error_init(&ze);
	if (len == 0) {
		fb_err_msg(err, FB_EMEDIA, "import.empty_file", NULL);
		return -1;
	}
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (src == NULL) {
		fb_err_set(err, FB_EINTERNAL, "zip: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (za == NULL) {
		int code = zip_error_code_zip(&ze);

		zip_source_free(src);
		zip_error_fini(&ze);
		if (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS || code == ZIP_ER_READ ||
		    code == ZIP_ER_SEEK)
			fb_err_msg(err, FB_EMEDIA, "import.not_zip", NULL);
		else
			fb_err_msg(err, FB_EVALIDATION, "import.damaged_zip", NULL);
		return -1;
	}
	zip_error_fini(&ze);
	if (zip_name_locate(za, "[Content_Types].xml", ZIP_FL_NOCASE) >= 0) {
		zip_discard(za);
		m->file = NULL;
		return read_workbook(m, data, len, 0, err);
	}
	rc = read_pack(m, za, err);
	zip_discard(za);
	return rc;
}

/* ---- the database side ----------------------------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Fetch the tasks named by rows [from, to), each once, in one query; the previous
 * chunk's result is released.  Chunks keep the sessions' form data of a large import from
 * being held all at once.
 */
static int
load_tasks(struct imp *m, size_t from, size_t to, struct fb_err *err)
{
	int64_t *ids = xmalloc(sizeof(*ids) * (to > from ? to - from : 1));
	char uid[24], *arr;
	size_t i, n = 0, k = 0;
	int rows;

	PQclear(m->tasks);
	m->tasks = NULL;
	free(m->task_index);
	m->task_index = NULL;
	for (i = from; i < to; i++)
		if (m->rows[i].task_id > 0)
			ids[n++] = m->rows[i].task_id;
	qsort(ids, n, sizeof(*ids), cmp_i64);
	for (i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	arr = db_id_array(ids, k);
	free(ids);
	db_id(uid, m->u->id);
	m->tasks = db_query(m->db, "import_tasks",
	                    "SELECT t.id, t.state, t.node_id, s.form_data::text "
	                    "FROM tasks t JOIN app_sessions s ON s.id = t.session_id "
	                    "WHERE t.id = ANY ($1::bigint[]) AND t.assignee = $2 ORDER BY t.id",
	                    2, (const char *[]){arr, uid}, err);
	free(arr);
	if (m->tasks == NULL)
		return -1;
	rows = PQntuples(m->tasks);
	m->task_index = xmalloc(sizeof(int64_t) * (size_t)(rows ? rows : 1));
	for (i = 0; i < (size_t)rows; i++)
		m->task_index[i] = db_ll(m->tasks, (int)i, 0);
	return 0;
}

static int
task_row(const struct imp *m, int64_t id)
{
	int lo = 0, hi = PQntuples(m->tasks) - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (m->task_index[mid] == id)
			return mid;
		if (m->task_index[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static size_t
hash_str(const char *s)
{
	size_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* user_exists for schema_merge and assignees, remembered per import. */
static int
user_cached(void *arg, const char *login, struct fb_err *err)
{
	struct imp *m = arg;
	struct ucache *c = &m->users;
	struct user_rec rec;
	size_t i;
	int found;

	if (c->cap == 0 || c->n * 2 >= c->cap) {
		struct ucache g = {.cap = c->cap ? c->cap * 2 : 64};

		g.keys = xcalloc(g.cap, sizeof(*g.keys));
		g.vals = xcalloc(g.cap, sizeof(*g.vals));
		for (i = 0; i < c->cap; i++) {
			size_t j;

			if (c->keys[i] == NULL)
				continue;
			for (j = hash_str(c->keys[i]) % g.cap; g.keys[j] != NULL; j = (j + 1) % g.cap)
				;
			g.keys[j] = c->keys[i];
			g.vals[j] = c->vals[i];
		}
		g.n = c->n;
		free(c->keys);
		free(c->vals);
		*c = g;
	}
	for (i = hash_str(login) % c->cap; c->keys[i] != NULL; i = (i + 1) % c->cap)
		if (strcmp(c->keys[i], login) == 0)
			return c->vals[i];
	found = user_find(m->db, login, &rec, err);
	if (found < 0)
		return -1;
	c->keys[i] = xstrdup(login);
	c->vals[i] = (signed char)found;
	c->n++;
	return found;
}

/* The header text of field key in the file, for details. */
static const char *
field_column(const struct imp *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->ncols; i++)
		if (m->cols[i].kind == K_FIELD && strcmp(schema_field_key(m->cols[i].f), key) == 0)
			return m->cols[i].label;
	return NULL;
}

static int
raw_serializer(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	(void)level;
	(void)flags;
	return printbuf_memappend(pb, json_object_get_string(jso), json_object_get_string_len(jso));
}

/* The row's post_data as a string object that serializes to its JSON text; new. */
static struct json_object *
raw_object(struct json_object *obj)
{
	const char *text = json_object_to_json_string_ext(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct json_object *s = json_object_new_string(text);

	json_object_set_serializer(s, raw_serializer, NULL, NULL);
	return s;
}

/*
 * A session's form data as PostgreSQL printed it, parsed with the import's one tokener
 * (a tokener per row costs more than the parse); anything it does not take whole is
 * parsed again by jsonh_parse, whose answer stands.  New, or NULL when unusable.
 */
static struct json_object *
session_form(struct imp *m, const char *fd)
{
	size_t len = strlen(fd);
	struct json_object *o;
	struct fb_err perr = {0};

	if (m->tok == NULL) {
		m->tok = json_tokener_new_ex(JSONH_MAX_DEPTH);
		if (m->tok == NULL)
			abort();
		json_tokener_set_flags(m->tok, JSON_TOKENER_STRICT);
	}
	json_tokener_reset(m->tok);
	o = json_tokener_parse_ex(m->tok, fd, (int)len);
	if (o != NULL && json_tokener_get_error(m->tok) == json_tokener_success &&
	    json_tokener_get_parse_end(m->tok) == len && json_object_is_type(o, json_type_object))
		return o;
	json_object_put(o);
	if ((o = jsonh_parse(fd, len, &perr)) == NULL)
		fb_err_clear(&perr);
	return o;
}

/*
 * Check row r as the engine will run it; on success *post gets its post_data (new).
 * seen_rows is the first row of each task (for duplicates).
 */
static int
check_row(struct imp *m, struct irow *r, struct json_object **post, struct fb_err *err)
{
	struct schema_env env = {.user_exists = user_cached, .arg = m};
	struct json_object *form = json_object_new_object(), *session = NULL, *merged = NULL;
	const char *comment = NULL, *assignee = NULL, *text, *task_col = m->cols[m->c_task].label;
	char *assignee_copy = NULL;
	size_t off = r->off;
	int bad = r->bad, trow = -1, col, rc = -1;
	long srow;
	char kind;

	*post = NULL;
	if (r->task_id > 0) {
		trow = task_row(m, r->task_id);
		if (trow < 0) {
			add_detail(m, r->file, r->row, task_col, "task_id", "import.not_yours",
			           task_arg(r->task_id));
			bad = 1;
		} else if (strcmp(PQgetvalue(m->tasks, trow, 1), "pending") != 0) {
			add_detail(m, r->file, r->row, task_col, "task_id", "import.not_pending",
			           task_arg(r->task_id));
			bad = 1;
			trow = -1;
		} else if (db_ll(m->tasks, trow, 2) != m->node->id) {
			add_detail(m, r->file, r->row, task_col, "task_id", "import.moved",
			           task_arg(r->task_id));
			bad = 1;
			trow = -1;
		}
	}
	while (rec_next(&m->cells, &off, &col, &kind, &srow, &text)) {
		const struct col *c = &m->cols[col];
		struct json_object *v = NULL;
		struct fb_err verr = {0};
		char buf[32];

		if (c->kind == K_COMMENT) {
			comment = text;
			continue;
		}
		if (c->kind == K_ASSIGNEE) {
			assignee = text;
			continue;
		}
		if (kind == CK_ERROR) {
			add_detail(m, r->file, srow, c->label, schema_field_key(c->f), "import.cell_error",
			           msg_args("value", json_object_new_string(text), NULL));
			bad = 1;
			continue;
		}
		if (kind == CK_NUMBER && schema_field_type(c->f) == SCHEMA_DATE &&
		    xlsx_serial_to_date(strtod(text, NULL), m->date1904, buf) == 0)
			text = buf;
		if (schema_value_from_text(c->f, text, &v, &verr) < 0) {
			add_detail_err(m, r->file, srow, c->label, schema_field_key(c->f), &verr);
			fb_err_clear(&verr);
			bad = 1;
			continue;
		}
		/* A blank cell leaves the field as it is. */
		if (v != NULL)
			json_object_object_add(form, schema_field_key(c->f), v);
	}
	if (r->tables != NULL) {
		json_object_object_foreach(r->tables, k, v)
			json_object_object_add(form, k, json_object_get(v));
	}
	if (comment != NULL) {
		const char *s = skip_ws(comment);

		if (trim_end(s, strlen(s)) == 0)
			comment = NULL;
		else if (utf8_chars(comment) > BATCH_MAX_COMMENT) {
			add_detail(m, r->file, r->row, import_fixed_label("comment"), "comment",
			           "import.comment_long",
			           msg_args("max", json_object_new_int(BATCH_MAX_COMMENT), NULL));
			bad = 1;
		}
	}
	if (assignee != NULL) {
		const char *s = skip_ws(assignee);
		size_t n = trim_end(s, strlen(s));

		assignee = n ? (assignee_copy = xstrndup(s, n)) : NULL;
	}
	if (r->action == IMPORT_ACTION_APPROVE && m->node->next.id != 0 && m->node->next.choose) {
		const char *acol = import_fixed_label("assignee");

		if (assignee == NULL) {
			add_detail(m, r->file, r->row, acol, "assignee", "import.assignee_required",
			           msg_args("node", json_object_new_string(m->node->next.name), NULL));
			bad = 1;
		} else {
			int found = user_cached(m, assignee, err);

			if (found < 0)
				goto out;
			if (found == 0) {
				add_detail(m, r->file, r->row, acol, "assignee", "import.no_user",
				           msg_args("login", json_object_new_string(assignee), NULL));
				bad = 1;
			}
		}
	} else {
		assignee = NULL;
	}
	if (!bad && trow >= 0) {
		struct fb_err verr = {0};
		const char *fd = db_val(m->tasks, trow, 3);

		if (fd != NULL)
			session = session_form(m, fd);
		if (schema_merge(m->node->schema, m->node->view, session, form, &env, &merged,
		                 &verr) < 0) {
			if (verr.code != FB_EVALIDATION) {
				fb_err_clear(err);
				*err = verr;
				goto out;
			}
			if (verr.details != NULL) {
				size_t i, n = json_object_array_length(verr.details);

				for (i = 0; i < n; i++) {
					struct json_object *d = json_object_array_get_idx(verr.details, i), *v;
					const char *field = NULL, *column;
					long row = r->row;

					if (json_object_object_get_ex(d, "field", &v))
						field = json_object_get_string(v);
					column = field ? field_column(m, field) : NULL;
					if (column == NULL && json_object_object_get_ex(d, "label", &v))
						column = json_object_get_string(v);
					if (json_object_object_get_ex(d, "column_label", &v) && r->file != NULL) {
						struct json_object *tr;

						column = json_object_get_string(v);
						if (json_object_object_get_ex(d, "row", &tr))
							row = json_object_get_int(tr) + 1;
					}
					/* The form's own detail, said as it says itself. */
					add_detail(m, r->file, row, column, field, "import.problem",
					           msg_args("what", json_object_get(d), NULL));
				}
			} else {
				add_detail_err(m, r->file, r->row, NULL, NULL, &verr);
			}
			fb_err_clear(&verr);
			bad = 1;
		}
		json_object_put(merged);
		merged = NULL;
		if (!bad) {
			struct json_object *pd = json_object_new_object();

			json_object_object_add(pd, "form", json_object_get(form));
			jsonh_add_str(pd, "action",
			              r->action == IMPORT_ACTION_REJECT ? "reject" : "approve");
			if (comment != NULL)
				jsonh_add_str(pd, "comment", comment);
			if (assignee != NULL)
				jsonh_add_str(pd, "assignee", assignee);
			*post = raw_object(pd);
			json_object_put(pd);
		}
	}
	rc = 0;
out:
	json_object_put(session);
	json_object_put(merged);
	json_object_put(form);
	free(assignee_copy);
	return rc;
}

/* ---- the whole import ------------------------------------------------------------------ */

static int
cmp_row_task(const void *a, const void *b)
{
	const struct irow *x = *(const struct irow *const *)a, *y = *(const struct irow *const *)b;

	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	return x->row_no < y->row_no ? -1 : x->row_no > y->row_no;
}

/* A task named by two rows: an error on the later one. */
static void
check_duplicates(struct imp *m)
{
	struct irow **by = xmalloc(sizeof(*by) * (m->nrows ? m->nrows : 1));
	size_t i;

	for (i = 0; i < m->nrows; i++)
		by[i] = &m->rows[i];
	qsort(by, m->nrows, sizeof(*by), cmp_row_task);
	for (i = 1; i < m->nrows; i++) {
		if (by[i]->task_id == 0 || by[i]->task_id != by[i - 1]->task_id)
			continue;
		if (by[i]->file != NULL)
			add_detail(m, by[i]->file, by[i]->row, m->cols[m->c_task].label, "task_id",
			           "import.task_in_file",
			           msg_args("task", json_object_new_int64(by[i]->task_id), "file",
			                    json_object_new_string(by[i - 1]->file), NULL));
		else
			add_detail(m, NULL, by[i]->row, m->cols[m->c_task].label, "task_id",
			           "import.task_on_row",
			           msg_args("task", json_object_new_int64(by[i]->task_id), "row",
			                    json_object_new_int64(by[i - 1]->row), NULL));
		by[i]->bad = 1;
	}
	free(by);
}

int
import_load(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
            int64_t node_id, const void *data, size_t len, struct import_result *out,
            struct fb_err *err)
{
	struct imp m = {.db = db, .cfg = cfg, .u = u, .err = err, .c_task = -1, .c_action = -1};
	struct json_object **posts = NULL;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (read_upload(&m, data, len, err) < 0) {
		if (err->code == FB_EINVAL) {
			/* The reader's word for hostile or malformed content: the file is wrong. */
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			fb_err_msg(err, FB_EVALIDATION, "import.bad_xlsx",
			           msg_args("detail", json_object_new_string(msg), NULL));
			fb_err_detail(err, fb_err_detail_msg("file", MSG_TEXT_CODE,
			                                     msg_args("text", json_object_new_string(msg), NULL)));
		}
		goto out;
	}
	if (node_id != 0 && m.node != NULL && m.node->id != node_id) {
		fb_err_clear(err);
		fb_err_msg(err, FB_EVALIDATION, "import.other_node_upload",
		           msg_args("was", json_object_new_int64(m.node->id), "node",
		                    json_object_new_int64(node_id), NULL));
		fb_err_detail(err, fb_err_detail_msg("node_id", "import.other_node", NULL));
		goto out;
	}
	if (m.nrows == 0 && m.nerrors == 0) {
		fb_err_msg(err, FB_EVALIDATION, "import.no_action", NULL);
		fb_err_detail(err, fb_err_detail_msg("action", "import.no_action_detail", NULL));
		goto out;
	}
	if (m.nrows > 0) {
		check_duplicates(&m);
		posts = xcalloc(m.nrows, sizeof(*posts));
		for (i = 0; i < m.nrows; i++) {
			if (i % IMPORT_TASK_CHUNK == 0 &&
			    load_tasks(&m, i, i + IMPORT_TASK_CHUNK < m.nrows ? i + IMPORT_TASK_CHUNK : m.nrows,
			               err) < 0)
				goto out;
			if (check_row(&m, &m.rows[i], &posts[i], err) < 0)
				goto out;
		}
	}
	if (m.nerrors > 0) {
		if (m.nerrors > IMPORT_MAX_DETAILS) {
			fb_err_detail(err, fb_err_detail_msg(
			                       NULL, "import.more",
			                       msg_args("n", json_object_new_int64((int64_t)(m.nerrors - IMPORT_MAX_DETAILS)),
			                                NULL)));
			fb_err_msg(err, FB_EVALIDATION, "import.problems_listed",
			           msg_args("n", json_object_new_int64((int64_t)m.nerrors), "max",
			                    json_object_new_int(IMPORT_MAX_DETAILS), NULL));
		} else {
			fb_err_msg(err, FB_EVALIDATION, m.nerrors == 1 ? "import.problem_one" : "import.problems",
			           msg_args("n", json_object_new_int64((int64_t)m.nerrors), NULL));
		}
		goto out;
	}
	out->node_id = m.node->id;
	out->is_single = m.single;
	out->n = m.nrows;
	out->task_ids = xmalloc(sizeof(*out->task_ids) * m.nrows);
	out->row_no = xmalloc(sizeof(*out->row_no) * m.nrows);
	for (i = 0; i < m.nrows; i++) {
		out->task_ids[i] = m.rows[i].task_id;
		out->row_no[i] = m.rows[i].row_no;
	}
	out->row_data = posts;
	posts = NULL;
	rc = 0;
out:
	if (posts != NULL) {
		for (i = 0; i < m.nrows; i++)
			json_object_put(posts[i]);
		free(posts);
	}
	imp_free(&m);
	return rc;
}

void
import_result_free(struct import_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	if (res->row_data != NULL)
		for (i = 0; i < res->n; i++)
			json_object_put(res->row_data[i]);
	free(res->row_data);
	free(res->task_ids);
	free(res->row_no);
	memset(res, 0, sizeof(*res));
}
