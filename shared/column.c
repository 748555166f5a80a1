/* SPDX-License-Identifier: MIT */
/*
 * column: the plan of a flowbatch workbook's columns, their Lists and validations (see
 * column.h).  Everything planned is malloc'ed into the book and freed by book_done().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch.h"
#include "book.h"
#include "cell.h"
#include "mem.h"
#include "node.h"
#include "schema.h"
#include "template.h"
#include "utf8.h"

#define TITLE_MAX 32     /* characters of a validation title */
#define MESSAGE_MAX 255  /* characters of a validation message */
#define LOGIN_MAX 128
#define SHEET_NAME_MAX 31 /* characters of a sheet name */

/* Columns of screen a string takes (wide characters count 2). */
static size_t
display_width(const char *s)
{
	unsigned long cp;
	size_t w = 0, len;

	while (*s != '\0') {
		len = utf8_decode(s, &cp);
		s += len ? len : 1;
		w += len > 1 && cp >= 0x1100 ? 2 : 1;
	}
	return w;
}

/* A copy of s cut to max characters; malloc'ed. */
static char *
utf8_cut(const char *s, size_t max)
{
	return xstrndup(s, utf8_prefix(s, max));
}

void
column_free(struct col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].label);
		free(c[i].hint);
		free(c[i].list);
	}
	free(c);
}

/* Add a column to the Lists plan; vals are copied.  Its index. */
static size_t
list_add(struct book *b, const char *header, const char *const *vals, size_t n, const char *name)
{
	struct listcol *l;
	size_t i;

	b->lc = xrealloc(b->lc, (b->nlc + 1) * sizeof(*b->lc));
	l = &b->lc[b->nlc];
	l->header = xstrdup(header);
	l->vals = xmalloc((n ? n : 1) * sizeof(*l->vals));
	for (i = 0; i < n; i++)
		l->vals[i] = xstrdup(vals[i]);
	l->n = n;
	l->name = name != NULL ? xstrdup(name) : NULL;
	return b->nlc++;
}

/* "=Lists!$C$2:$C$9" for Lists column i. */
static char *
list_range(const struct book *b, size_t i)
{
	char c[4];

	template_col_letters(c, i);
	return xasprintf("=" TEMPLATE_SHEET_LISTS "!$%s$2:$%s$%zu", c, c, b->lc[i].n + 1);
}

/* Every value a select may take (a dependent one: the union over its parent's values). */
static void
select_values(const struct schema_field *f, struct buf *out)
{
	const char *const *opts;
	size_t n, i;

	opts = schema_field_options(f, &n);
	if (opts != NULL) {
		for (i = 0; i < n; i++)
			buf_add(out, &opts[i], sizeof(opts[i]));
		return;
	}
	if (schema_field_parent(f) != NULL) {
		struct buf pv = {0};
		size_t np, j, k;

		select_values(schema_field_parent(f), &pv);
		np = pv.len / sizeof(char *);
		for (j = 0; j < np; j++) {
			const char *const *child = schema_field_child_options(f, ((char **)pv.data)[j], &n);

			for (i = 0; i < n; i++) {
				size_t have = out->len / sizeof(char *);

				for (k = 0; k < have; k++)
					if (strcmp(((char **)out->data)[k], child[i]) == 0)
						break;
				if (k == have)
					buf_add(out, &child[i], sizeof(child[i]));
			}
		}
		free(pv.data);
	}
}

/* Plan the Lists columns of a select column c (plain or dependent). */
static void
plan_select_list(struct book *b, struct col *c, const char *header)
{
	const struct schema_field *f = c->f, *parent = schema_field_parent(f);
	const char *const *opts;
	size_t n, i;

	if (parent == NULL) {
		opts = schema_field_options(f, &n);
		if (n > 0) {
			i = list_add(b, header, opts, n, NULL);
			c->list = list_range(b, i);
		}
	} else {
		struct buf pv = {0};
		const char **keys, **names;
		size_t np, k = 0, first;
		char name[48];

		select_values(parent, &pv);
		np = pv.len / sizeof(char *);
		keys = xmalloc((np ? np : 1) * sizeof(*keys));
		names = xmalloc((np ? np : 1) * sizeof(*names));
		for (i = 0; i < np; i++) {
			const char *pval = ((char **)pv.data)[i];
			char *h;

			opts = schema_field_child_options(f, pval, &n);
			if (n == 0)
				continue;
			template_defined_name(name, sizeof(name), schema_field_index(f), i);
			h = xasprintf("%s | %s", header, pval);
			list_add(b, h, opts, n, name);
			free(h);
			keys[k] = pval;
			names[k] = xstrdup(name);
			k++;
		}
		if (k > 0) {
			char *h = xasprintf("%s: %s", header, schema_field_label(parent));

			first = list_add(b, h, keys, k, NULL);
			free(h);
			list_add(b, "name", names, k, NULL);
			c->dep_lookup = first + 1;
			c->dep_rows = k;
		}
		for (i = 0; i < k; i++)
			free((char *)names[i]);
		free(keys);
		free(names);
		free(pv.data);
	}
}

static void
hint_add(struct buf *h, int *first, const char *text)
{
	if (!*first)
		buf_puts(h, "；");
	buf_puts(h, text);
	*first = 0;
}

static void
fmt_bound(char *out, size_t n, double v)
{
	snprintf(out, n, "%.15g", v);
}

/* The hint of a field column: what a cell expects. */
static char *
field_hint(const struct schema_field *f, int writable, int required)
{
	struct buf h = {0};
	int first = 1;
	char lo[40], hi[40];

	if (!writable) {
		buf_puts(&h, "只读");
		buf_cstr(&h);
		return h.data;
	}
	switch (schema_field_type(f)) {
	case SCHEMA_TEXT:
		buf_printf(&h, "文本，最多 %ld 个字符", schema_field_max_length(f));
		first = 0;
		break;
	case SCHEMA_NUMBER:
		fmt_bound(lo, sizeof(lo), schema_field_min(f));
		fmt_bound(hi, sizeof(hi), schema_field_max(f));
		if (schema_field_decimals(f) == 0)
			buf_printf(&h, "整数，%s 至 %s", lo, hi);
		else
			buf_printf(&h, "数字，%s 至 %s，最多 %d 位小数", lo, hi, schema_field_decimals(f));
		first = 0;
		break;
	case SCHEMA_DATE:
		hint_add(&h, &first, "日期，格式 YYYY-MM-DD");
		break;
	case SCHEMA_SELECT:
		if (schema_field_parent(f) != NULL) {
			buf_printf(&h, "从下拉列表中选择（选项取决于「%s」）",
			           schema_field_label(schema_field_parent(f)));
			first = 0;
		} else {
			hint_add(&h, &first, "从下拉列表中选择");
		}
		break;
	case SCHEMA_USER:
		hint_add(&h, &first, "填写用户登录名");
		break;
	case SCHEMA_TABLE:
		buf_printf(&h, "表格，最多 %ld 行", schema_field_max_rows(f));
		first = 0;
		break;
	}
	if (required)
		hint_add(&h, &first, "必填");
	buf_cstr(&h);
	return h.data;
}

static double
type_width(enum schema_type t)
{
	switch (t) {
	case SCHEMA_TEXT:
		return 24;
	case SCHEMA_NUMBER:
		return 14;
	case SCHEMA_DATE:
		return 13;
	default:
		return 14;
	}
}

static lxw_format *
value_format(const struct book *b, const struct schema_field *f, int writable)
{
	switch (schema_field_type(f)) {
	case SCHEMA_NUMBER:
		return b->num[schema_field_decimals(f)][writable];
	case SCHEMA_DATE:
		return b->date[writable];
	default:
		return b->text[writable];
	}
}

static void
col_finish_width(struct col *c)
{
	double w = (double)display_width(c->label) + 3;

	if (w > c->width)
		c->width = w;
	if (c->width > 50)
		c->width = 50;
}

static struct col *
col_push(struct col **cols, size_t *n)
{
	struct col *c;

	*cols = xrealloc(*cols, (*n + 1) * sizeof(**cols));
	c = &(*cols)[(*n)++];
	memset(c, 0, sizeof(*c));
	c->pos = *n - 1;
	return c;
}

static void
plan_field(struct book *b, const struct schema_field *f)
{
	const char *key = schema_field_key(f);
	struct col *c = col_push(&b->cols, &b->ncols);

	c->kind = COL_FIELD;
	c->f = f;
	c->writable = view_is_writable(b->v, key);
	c->required = view_is_required(b->v, key);
	c->label = c->required ? xasprintf("%s *", schema_field_label(f))
	                       : xstrdup(schema_field_label(f));
	c->hint = field_hint(f, c->writable, c->required);
	c->fmt = schema_field_type(f) == SCHEMA_TABLE ? b->text[0] : value_format(b, f, c->writable);
	c->width = type_width(schema_field_type(f));
	col_finish_width(c);
	if (c->writable && schema_field_type(f) == SCHEMA_SELECT)
		plan_select_list(b, c, schema_field_label(f));
}

static void
plan_fixed(struct book *b, enum col_kind kind, const char *label, int writable, char *hint,
           lxw_format *fmt, double width)
{
	struct col *c = col_push(&b->cols, &b->ncols);

	c->kind = kind;
	c->writable = writable;
	c->label = xstrdup(label);
	c->hint = hint;
	c->fmt = fmt;
	c->width = width;
	col_finish_width(c);
}

/* Plan the entries of the single sheet or the form sheet, and the Lists they need. */
static void
plan_entries(struct book *b)
{
	size_t i, nf = schema_nfields(b->s);
	int pass;
	const char *const actions[] = {TEMPLATE_ACTION_APPROVE, TEMPLATE_ACTION_REJECT};
	size_t ai;
	char *hint;

	ai = list_add(b, "操作", actions, 2, NULL);
	plan_fixed(b, COL_TASK_ID, "任务ID", 0, xstrdup("只读"), b->id, 12);
	plan_fixed(b, COL_TITLE, "标题", 0, xstrdup("只读"), NULL, 30);
	/* single: read-only visible fields, then writable ones; multi: schema order. */
	for (pass = 0; pass < (b->multi ? 1 : 2); pass++) {
		for (i = 0; i < nf; i++) {
			const struct schema_field *f = schema_field_at(b->s, i);
			const char *key = schema_field_key(f);

			if (!view_is_visible(b->v, key))
				continue;
			if (!b->multi && (schema_field_type(f) == SCHEMA_TABLE ||
			                  view_is_writable(b->v, key) != pass))
				continue;
			plan_field(b, f);
		}
	}
	plan_fixed(b, COL_ACTION, "操作", 1,
	           xstrdup("选择 " TEMPLATE_ACTION_APPROVE " 或 " TEMPLATE_ACTION_REJECT
	                   "；留空则不处理"),
	           b->text[1], 10);
	b->cols[b->ncols - 1].list = list_range(b, ai);
	plan_fixed(b, COL_COMMENT, "审批意见", 1,
	           xasprintf("审批意见，最多 %d 个字符", BATCH_MAX_COMMENT), b->text[1], 30);
	if (b->node->next.id != 0 && b->node->next.choose) {
		hint = xasprintf("同意时必填：下一节点「%s」处理人的登录名", b->node->next.name);
		plan_fixed(b, COL_ASSIGNEE, "下一处理人", 1, hint, b->text[1], 16);
	}
	if (b->reason != NULL)
		plan_fixed(b, COL_REASON, b->reason, 0, xstrdup("为何未能处理；上传时忽略此列"),
		           b->text[0], 40);
}

long
column_of_field(const struct book *b, const char *key)
{
	size_t i;

	for (i = 0; i < b->ncols; i++)
		if (b->cols[i].kind == COL_FIELD && strcmp(schema_field_key(b->cols[i].f), key) == 0)
			return (long)b->cols[i].pos;
	return -1;
}

const char *
column_key(const struct col *c, char *buf, size_t n)
{
	switch (c->kind) {
	case COL_TASK_ID:
		return "task_id";
	case COL_TITLE:
		return "title";
	case COL_ACTION:
		return "action";
	case COL_COMMENT:
		return "comment";
	case COL_ASSIGNEE:
		return "assignee";
	case COL_REASON:
		return NULL;
	case COL_FIELD:
		break;
	}
	snprintf(buf, n, "f:%s", schema_field_key(c->f));
	return buf;
}

/* A sheet name from label that no sheet of b has yet; kept in b->sheet_names. */
static const char *
sheet_name_unique(struct book *b, const char *label)
{
	char *base = template_sheet_name(label), *name = xstrdup(base);
	int k = 2;

	for (;;) {
		size_t i;

		for (i = 0; i < b->nsheet_names; i++)
			if (strcasecmp(b->sheet_names[i], name) == 0)
				break;
		if (i == b->nsheet_names)
			break;
		free(name);
		{
			char suffix[16];
			char *cut;

			snprintf(suffix, sizeof(suffix), "(%d)", k++);
			cut = utf8_cut(base, SHEET_NAME_MAX - strlen(suffix) - 1);
			name = xasprintf("%s%s", cut, suffix);
			free(cut);
		}
	}
	free(base);
	b->sheet_names = xrealloc(b->sheet_names, (b->nsheet_names + 1) * sizeof(char *));
	b->sheet_names[b->nsheet_names++] = name;
	return name;
}

static char *
table_note(const struct book *b)
{
	struct buf t = {0};
	size_t i, nf = schema_nfields(b->s);

	for (i = 0; i < nf; i++) {
		const struct schema_field *f = schema_field_at(b->s, i);

		if (schema_field_type(f) == SCHEMA_TABLE && view_is_visible(b->v, schema_field_key(f)))
			buf_printf(&t, "%s%s", t.len ? "、" : "", schema_field_label(f));
	}
	if (t.len == 0)
		return NULL;
	{
		char *s = xasprintf("只读。表格字段（%s）不在此模板中，请下载多文件模板（mode=multi）",
		                    buf_cstr(&t));

		free(t.data);
		return s;
	}
}

const char *
column_title(const struct col *c)
{
	return c->f != NULL ? schema_field_label(c->f) : c->label;
}

/* Fill a validation with the hint of c: title, input message, error message. */
static void
dv_messages(lxw_data_validation *dv, const char *label, const char *hint, char **title,
            char **msg)
{
	*title = utf8_cut(label, TITLE_MAX);
	*msg = utf8_cut(hint, MESSAGE_MAX);
	dv->input_title = *title;
	dv->input_message = *msg;
	dv->error_title = *title;
	dv->error_message = *msg;
	dv->show_input = LXW_VALIDATION_ON;
	dv->show_error = LXW_VALIDATION_ON;
}

int
column_validate(lxw_worksheet *ws, const struct book *b, const struct col *c, const char *label,
         size_t r1, size_t r2, size_t col, const char *parent_ref, struct fb_err *err)
{
	lxw_data_validation dv;
	char *title = NULL, *msg = NULL, *formula = NULL;
	enum schema_type type = c->f != NULL ? schema_field_type(c->f) : SCHEMA_TEXT;
	long maxlen = 0;
	lxw_error e;

	memset(&dv, 0, sizeof(dv));
	dv.validate = LXW_VALIDATION_TYPE_ANY;
	if (c->kind == COL_ACTION) {
		dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
		dv.value_formula = c->list;
	} else if (c->kind == COL_COMMENT) {
		maxlen = BATCH_MAX_COMMENT;
	} else if (c->kind == COL_ASSIGNEE) {
		maxlen = LOGIN_MAX;
	} else if (c->kind == COL_FIELD && c->writable) {
		switch (type) {
		case SCHEMA_TEXT:
			maxlen = schema_field_max_length(c->f);
			break;
		case SCHEMA_USER:
			maxlen = LOGIN_MAX;
			break;
		case SCHEMA_NUMBER:
			dv.validate = schema_field_decimals(c->f) == 0 ? LXW_VALIDATION_TYPE_INTEGER
			                                               : LXW_VALIDATION_TYPE_DECIMAL;
			dv.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
			dv.minimum_number = schema_field_min(c->f);
			dv.maximum_number = schema_field_max(c->f);
			break;
		case SCHEMA_DATE:
			dv.validate = LXW_VALIDATION_TYPE_DATE;
			dv.criteria = LXW_VALIDATION_CRITERIA_BETWEEN;
			dv.minimum_datetime = (lxw_datetime){1900, 1, 1, 0, 0, 0};
			dv.maximum_datetime = (lxw_datetime){9999, 12, 31, 0, 0, 0};
			break;
		case SCHEMA_SELECT:
			if (c->list != NULL) {
				dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
				dv.value_formula = c->list;
			} else if (c->dep_lookup > 0 && parent_ref != NULL) {
				char a[4], z[4];

				template_col_letters(a, c->dep_lookup - 1);
				template_col_letters(z, c->dep_lookup);
				formula = xasprintf("=INDIRECT(VLOOKUP(%s," TEMPLATE_SHEET_LISTS
				                    "!$%s$2:$%s$%zu,2,FALSE))",
				                    parent_ref, a, z, c->dep_rows + 1);
				dv.validate = LXW_VALIDATION_TYPE_LIST_FORMULA;
				dv.value_formula = formula;
			}
			break;
		case SCHEMA_TABLE:
			break;
		}
	}
	if (maxlen > 0) {
		dv.validate = LXW_VALIDATION_TYPE_LENGTH;
		dv.criteria = LXW_VALIDATION_CRITERIA_LESS_THAN_OR_EQUAL_TO;
		dv.value_number = (double)(maxlen > CELL_MAX ? CELL_MAX : maxlen);
	}
	dv_messages(&dv, label, c->hint, &title, &msg);
	if (r1 == r2)
		e = worksheet_data_validation_cell(ws, (lxw_row_t)r1, (lxw_col_t)col, &dv);
	else
		e = worksheet_data_validation_range(ws, (lxw_row_t)r1, (lxw_col_t)col, (lxw_row_t)r2,
		                                    (lxw_col_t)col, &dv);
	free(title);
	free(msg);
	free(formula);
	return e == LXW_NO_ERROR ? 0 : cell_fail(err, "data_validation", e);
}


/* The table sheets of the multi layout: one per visible table field. */
static void
plan_tables(struct book *b)
{
	size_t i, j, nf = schema_nfields(b->s);

	for (i = 0; i < nf; i++) {
		const struct schema_field *f = schema_field_at(b->s, i);
		struct table *t;

		if (schema_field_type(f) != SCHEMA_TABLE || !view_is_visible(b->v, schema_field_key(f)))
			continue;
		b->tables = xrealloc(b->tables, (b->ntables + 1) * sizeof(*b->tables));
		t = &b->tables[b->ntables++];
		memset(t, 0, sizeof(*t));
		t->f = f;
		t->writable = view_is_writable(b->v, schema_field_key(f));
		t->sheet = xstrdup(sheet_name_unique(b, schema_field_label(f)));
		for (j = 0; j < schema_field_ncolumns(f); j++) {
			const struct schema_field *cf = schema_field_column(f, j);
			struct col *c = col_push(&t->cols, &t->ncols);
			char *h;

			c->kind = COL_FIELD;
			c->f = cf;
			c->writable = t->writable;
			c->label = xstrdup(schema_field_label(cf));
			c->hint = field_hint(cf, t->writable, 0);
			c->fmt = value_format(b, cf, t->writable);
			c->width = type_width(schema_field_type(cf));
			col_finish_width(c);
			if (t->writable && schema_field_type(cf) == SCHEMA_SELECT) {
				h = xasprintf("%s.%s", schema_field_label(f), schema_field_label(cf));
				plan_select_list(b, c, h);
				free(h);
			}
		}
	}
}

void
column_plan(struct book *b)
{
	char *note;
	size_t i;

	plan_entries(b);
	if (b->multi) {
		plan_tables(b);
		return;
	}
	/* The single sheet leaves table fields out: the title's hint says where they are. */
	for (i = 0; i < b->ncols; i++) {
		if (b->cols[i].kind == COL_TITLE && (note = table_note(b)) != NULL) {
			free(b->cols[i].hint);
			b->cols[i].hint = note;
		}
	}
}

lxw_format *
column_format(const struct book *b, const struct col *c)
{
	if (c->kind == COL_TASK_ID)
		return b->id;
	return c->kind == COL_TITLE ? NULL : c->fmt;
}
