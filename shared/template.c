/* SPDX-License-Identifier: MIT */
/*
 * template: write the approval templates (template.h states the layout contract) and
 * check the signed meta data an import finds in them.
 *
 * Workbooks are written by libxlsxwriter in constant-memory mode: every sheet is written
 * strictly row by row, so the dropdown sources of sheet "Lists" are planned as columns in
 * memory first (the schema bounds them) and then written across.  Task rows are read a
 * page at a time, one parameterized query per page, so a workbook of 50,000 rows needs
 * the memory of a few pages.  The single layout reads and converts the rows in a producer
 * thread while the calling thread writes them; the multi pack writes its member workbooks
 * in up to MULTI_THREADS worker threads, one workbook per thread (libxlsxwriter is not
 * shared between threads).  A struct book owns its workbook until workbook_close(), its
 * formats belong to the workbook, and its plans (columns, lists) are malloc'ed and freed by
 * book_done().  template_write_multi() owns a private directory of member workbooks and
 * removes it before it returns.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "batch.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "crypto.h"
#include "template.h"
#include "db.h"

#define PAGE_ROWS 500
#define CELL_MAX 32767   /* characters in an Excel cell */
#define TITLE_MAX 32     /* characters of a validation title */
#define MESSAGE_MAX 255  /* characters of a validation message */
#define SHEET_NAME_MAX 31
#define LOGIN_MAX 128

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4) with its code point, or 0 when invalid. */
static size_t
utf8_seq(const unsigned char *p, unsigned long *cp)
{
	unsigned long c;
	size_t n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return n;
}

/* The byte length of the first max characters of valid UTF-8 s. */
static size_t
utf8_prefix(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0, len;
	unsigned long cp;

	while (*p != '\0' && chars < max) {
		len = utf8_seq(p, &cp);
		p += len ? len : 1;
		chars++;
	}
	return (size_t)(p - (const unsigned char *)s);
}

/* A copy of s cut to max characters; malloc'ed. */
static char *
utf8_cut(const char *s, size_t max)
{
	return xstrndup(s, utf8_prefix(s, max));
}

/* Columns of screen a string takes (wide characters count 2). */
static size_t
display_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t w = 0, len;

	while (*p != '\0') {
		len = utf8_seq(p, &cp);
		p += len ? len : 1;
		w += len > 1 && cp >= 0x1100 ? 2 : 1;
	}
	return w;
}

/* ---- pure helpers ---------------------------------------------------------------------- */

static char *
sanitize(const char *in, size_t max_chars, const char *bad, int excel_units)
{
	const unsigned char *p = (const unsigned char *)in;
	struct buf b = {0};
	size_t chars = 0, len, start, end;
	unsigned long cp;
	char *out;

	while (*p != '\0') {
		size_t units;

		len = utf8_seq(p, &cp);
		units = excel_units && len == 4 ? 2 : 1;
		if (chars + units > max_chars)
			break;
		if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    (cp < 0x80 && strchr(bad, (int)cp) != NULL))
			buf_add(&b, "_", 1);
		else
			buf_add(&b, p, len);
		p += len ? len : 1;
		chars += units;
	}
	buf_cstr(&b);
	start = 0;
	end = b.len;
	while (start < end && (b.data[start] == ' ' || b.data[start] == '.'))
		start++;
	while (end > start && (b.data[end - 1] == ' ' || b.data[end - 1] == '.'))
		end--;
	out = xstrndup(b.data + start, end - start);
	free(b.data);
	return out;
}

char *
template_sanitize_name(const char *in, size_t max_chars)
{
	return sanitize(in != NULL ? in : "", max_chars, "/\\:*?\"<>|", 0);
}

char *
template_entry_name(int64_t task_id, const char *title)
{
	char *t = template_sanitize_name(title, TEMPLATE_NAME_MAX), *out;

	out = t[0] != '\0' ? xasprintf("%lld_%s.xlsx", (long long)task_id, t)
	                   : xasprintf("%lld.xlsx", (long long)task_id);
	free(t);
	return out;
}

char *
template_sheet_name(const char *label)
{
	char *t = sanitize(label != NULL ? label : "", SHEET_NAME_MAX, "[]:*?/\\", 1);
	size_t start = 0, end = strlen(t);
	char *out;

	while (start < end && t[start] == '\'')
		start++;
	while (end > start && t[end - 1] == '\'')
		end--;
	out = end > start ? xstrndup(t + start, end - start) : xstrdup("Sheet");
	free(t);
	return out;
}

void
template_defined_name(char *out, size_t size, size_t field_index, size_t parent_index)
{
	snprintf(out, size, "fb_opt_%zu_%zu", field_index, parent_index);
}

char *
template_download_name(const struct node_info *node, const char *ext, time_t t)
{
	char *app = template_sanitize_name(node->app_name, 40);
	char *name = template_sanitize_name(node->name, 40);
	struct tm tm;
	char *out;

	localtime_r(&t, &tm);
	out = xasprintf("%s-%s-%04d%02d%02d.%s", app[0] ? app : "template", name[0] ? name : "node",
	                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, ext);
	free(app);
	free(name);
	return out;
}

char *
template_content_disposition(const char *fallback, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	const unsigned char *p;

	buf_puts(&b, "attachment; filename=\"");
	for (p = (const unsigned char *)fallback; *p != '\0';) {
		unsigned long cp;
		size_t len = utf8_seq(p, &cp);

		if (len == 1 && cp >= 0x20 && cp < 0x7f && cp != '"' && cp != '\\')
			buf_add(&b, p, 1);
		else
			buf_add(&b, "_", 1);
		p += len ? len : 1;
	}
	buf_puts(&b, "\"; filename*=UTF-8''");
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p) != NULL) {
			buf_add(&b, p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			buf_add(&b, e, 3);
		}
	}
	buf_cstr(&b);
	return b.data;
}

void
template_meta_sign(const char *secret, const char *json, char out[65])
{
	crypto_sign_hex(secret, CRYPTO_KEY_TEMPLATE, json, strlen(json), out);
}

/* ---- meta verification ----------------------------------------------------------------- */

static int
meta_bad(struct fb_err *err, const char *what)
{
	fb_err_msg(err, FB_EVALIDATION, "template.meta_bad",
	           msg_args("what", json_object_new_string(what), NULL));
	fb_err_detail(err, fb_err_detail_msg(TEMPLATE_SHEET_META, MSG_TEXT_CODE,
	                                     msg_args("text", json_object_new_string(what), NULL)));
	return -1;
}

static int
meta_int(struct json_object *meta, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(meta, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return *out > 0 ? 0 : -1;
}

int
template_meta_verify(const char *secret, const char *json, const char *sig,
                     struct json_object **meta_out, struct fb_err *err)
{
	struct json_object *meta = NULL, *v, *cols;
	struct fb_err perr = {0};
	char want[65];
	const char *layout;
	int64_t id;
	size_t i, n;

	*meta_out = NULL;
	if (json == NULL || sig == NULL || json[0] == '\0')
		return meta_bad(err, "the template has no meta data (hidden sheet _meta, cells A1:A2)");
	template_meta_sign(secret, json, want);
	if (strlen(sig) != 64 || !crypto_equal(want, sig, 64)) {
		fb_err_msg(err, FB_EVALIDATION, "template.signature", NULL);
		fb_err_detail(err, fb_err_detail_msg(TEMPLATE_SHEET_META, "template.signature_detail", NULL));
		return -1;
	}
	meta = jsonh_parse(json, strlen(json), &perr);
	fb_err_clear(&perr);
	if (meta == NULL || !json_object_is_type(meta, json_type_object)) {
		meta_bad(err, "A1 is not a JSON object");
		goto fail;
	}
	if (meta_int(meta, "v", &id) < 0 || id != TEMPLATE_META_VERSION) {
		meta_bad(err, "unknown template version");
		goto fail;
	}
	if (!json_object_object_get_ex(meta, "layout", &v) || !json_object_is_type(v, json_type_string)) {
		meta_bad(err, "no layout");
		goto fail;
	}
	layout = json_object_get_string(v);
	if (strcmp(layout, "single") != 0 && strcmp(layout, "multi") != 0) {
		meta_bad(err, "unknown layout");
		goto fail;
	}
	if (meta_int(meta, "node_id", &id) < 0 || meta_int(meta, "app_version_id", &id) < 0) {
		meta_bad(err, "no node_id or app_version_id");
		goto fail;
	}
	if (strcmp(layout, "multi") == 0 && meta_int(meta, "task_id", &id) < 0) {
		meta_bad(err, "a multi template without task_id");
		goto fail;
	}
	if (!json_object_object_get_ex(meta, "columns", &cols) ||
	    !json_object_is_type(cols, json_type_array) || json_object_array_length(cols) == 0) {
		meta_bad(err, "no columns");
		goto fail;
	}
	n = json_object_array_length(cols);
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(cols, i);

		if (!json_object_is_type(c, json_type_object) ||
		    !json_object_object_get_ex(c, "key", &v) || !json_object_is_type(v, json_type_string)) {
			meta_bad(err, "a column without a key");
			goto fail;
		}
	}
	*meta_out = meta;
	return 0;
fail:
	json_object_put(meta);
	return -1;
}

int
template_meta_check_node(struct json_object *meta, const struct node_info *node,
                         struct fb_err *err)
{
	int64_t node_id = 0, version = 0;

	if (meta_int(meta, "node_id", &node_id) < 0 || meta_int(meta, "app_version_id", &version) < 0)
		return meta_bad(err, "no node_id or app_version_id");
	if (node_id != node->id) {
		fb_err_msg(err, FB_EVALIDATION, "template.other_node",
		           msg_args("was", json_object_new_int64(node_id), "node",
		                    json_object_new_int64(node->id), "name",
		                    json_object_new_string(node->name), NULL));
		fb_err_detail(err, fb_err_detail_msg("node_id", "import.other_node", NULL));
		return -1;
	}
	if (version != node->app_version_id) {
		fb_err_msg(err, FB_EVALIDATION, "template.old_version",
		           msg_args("was", json_object_new_int64(version), "now",
		                    json_object_new_int64(node->app_version_id), NULL));
		fb_err_detail(err, fb_err_detail_msg("app_version_id", "template.old_version_detail", NULL));
		return -1;
	}
	return 0;
}

/* ---- the plans ------------------------------------------------------------------------- */

enum col_kind { COL_TASK_ID, COL_TITLE, COL_FIELD, COL_ACTION, COL_COMMENT, COL_ASSIGNEE };

/* A column of the single sheet, a row of the form sheet, or a column of a table sheet. */
struct col {
	enum col_kind kind;
	const struct schema_field *f;
	int writable;
	int required;
	char *label;        /* header text, " *" for required; malloc'ed */
	char *hint;         /* what is expected; malloc'ed */
	char *list;         /* list validation formula (a range), or NULL; malloc'ed */
	size_t dep_lookup;  /* dependent select: 1 + the Lists column of its lookup, or 0 */
	size_t dep_rows;    /* rows of that lookup */
	lxw_format *fmt;    /* value cells */
	double width;
	size_t pos;         /* column (single) or row (form) of this entry */
};

/* A column of sheet "Lists". */
struct listcol {
	char *header;
	char **vals; /* malloc'ed strings */
	size_t n;
	char *name;  /* a defined name for rows 2..n+1, or NULL */
};

/* A table sheet of the multi layout. */
struct table {
	const struct schema_field *f;
	int writable;
	char *sheet;
	struct col *cols;
	size_t ncols;
	lxw_worksheet *ws;
};

struct book {
	lxw_workbook *wb;
	const struct node_info *node;
	const struct fb_config *cfg;
	const struct schema *s;
	const struct view *v;
	int multi;
	lxw_worksheet *main, *help, *lists, *meta;
	lxw_format *hdr, *hdr_edit, *hdr_req, *id, *text[2], *date[2], *num[SCHEMA_MAX_DECIMALS + 1][2];
	lxw_format *wrap;
	struct col *cols;
	size_t ncols;
	struct listcol *lc;
	size_t nlc;
	struct table *tables;
	size_t ntables;
	char **sheet_names;
	size_t nsheet_names;
};

static int
xlsx_fail(struct fb_err *err, const char *what, lxw_error e)
{
	fb_err_set(err, FB_EINTERNAL, "xlsx: %s: %s", what, lxw_strerror(e));
	return -1;
}

void
template_col_letters(char out[4], size_t col)
{
	char tmp[4];
	size_t n = 0, i;

	col++;
	while (col > 0 && n < 3) {
		tmp[n++] = (char)('A' + (col - 1) % 26);
		col = (col - 1) / 26;
	}
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

static void
cols_free(struct col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].label);
		free(c[i].hint);
		free(c[i].list);
	}
	free(c);
}

static void
book_done(struct book *b)
{
	size_t i, j;

	cols_free(b->cols, b->ncols);
	for (i = 0; i < b->nlc; i++) {
		for (j = 0; j < b->lc[i].n; j++)
			free(b->lc[i].vals[j]);
		free(b->lc[i].vals);
		free(b->lc[i].header);
		free(b->lc[i].name);
	}
	free(b->lc);
	for (i = 0; i < b->ntables; i++) {
		free(b->tables[i].sheet);
		cols_free(b->tables[i].cols, b->tables[i].ncols);
	}
	free(b->tables);
	for (i = 0; i < b->nsheet_names; i++)
		free(b->sheet_names[i]);
	free(b->sheet_names);
	memset(b, 0, sizeof(*b));
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
field_hint(const struct book *b, const struct schema_field *f, int writable, int required)
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
	c->hint = field_hint(b, f, c->writable, c->required);
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

static void
formats_new(struct book *b)
{
	lxw_workbook *wb = b->wb;
	int d, rw;

	b->hdr = workbook_add_format(wb);
	format_set_bold(b->hdr);
	format_set_bg_color(b->hdr, 0xD9D9D9);
	format_set_border(b->hdr, LXW_BORDER_THIN);
	b->hdr_edit = workbook_add_format(wb);
	format_set_bold(b->hdr_edit);
	format_set_bg_color(b->hdr_edit, 0xE2EFDA);
	format_set_border(b->hdr_edit, LXW_BORDER_THIN);
	b->hdr_req = workbook_add_format(wb);
	format_set_bold(b->hdr_req);
	format_set_bg_color(b->hdr_req, 0xFFC7CE);
	format_set_font_color(b->hdr_req, 0x9C0006);
	format_set_border(b->hdr_req, LXW_BORDER_THIN);
	b->wrap = workbook_add_format(wb);
	format_set_text_wrap(b->wrap);
	for (rw = 0; rw < 2; rw++) {
		b->text[rw] = workbook_add_format(wb);
		format_set_num_format(b->text[rw], "@");
		b->date[rw] = workbook_add_format(wb);
		format_set_num_format(b->date[rw], "yyyy-mm-dd");
		for (d = 0; d <= SCHEMA_MAX_DECIMALS; d++) {
			char nf[16] = "0";

			if (d > 0) {
				nf[1] = '.';
				memset(nf + 2, '0', (size_t)d);
				nf[2 + d] = '\0';
			}
			b->num[d][rw] = workbook_add_format(wb);
			format_set_num_format(b->num[d][rw], nf);
		}
		if (rw) {
			format_set_unlocked(b->text[rw]);
			format_set_unlocked(b->date[rw]);
			for (d = 0; d <= SCHEMA_MAX_DECIMALS; d++)
				format_set_unlocked(b->num[d][rw]);
		}
	}
	/*
	 * One object per distinct format: libxlsxwriter 1.1.4 caches the index only in the
	 * first of two equal formats and hashes the other one again for every cell.
	 */
	b->id = b->text[0];
}

/* Plan the entries of the single sheet or the form sheet, and the Lists they need. */
static void
plan_book(struct book *b)
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
}

/* The position of the entry of field key, or -1 when it has none. */
static long
col_of_field(const struct book *b, const char *key)
{
	size_t i;

	for (i = 0; i < b->ncols; i++)
		if (b->cols[i].kind == COL_FIELD && strcmp(schema_field_key(b->cols[i].f), key) == 0)
			return (long)b->cols[i].pos;
	return -1;
}

static const char *
col_key_text(const struct col *c, char *buf, size_t n)
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
	case COL_FIELD:
		break;
	}
	snprintf(buf, n, "f:%s", schema_field_key(c->f));
	return buf;
}

/* ---- writing --------------------------------------------------------------------------- */

static int
write_str(lxw_worksheet *ws, size_t row, size_t col, const char *s, lxw_format *fmt,
          struct fb_err *err)
{
	lxw_error e;
	size_t cut = utf8_prefix(s, CELL_MAX);

	if (s[cut] != '\0') {
		char *t = xstrndup(s, cut);

		e = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, t, fmt);
		free(t);
	} else {
		e = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, fmt);
	}
	return e == LXW_NO_ERROR ? 0 : xlsx_fail(err, "write_string", e);
}

/*
 * A value cell converted ahead of its writing (by the row producer of the single layout,
 * or just before the write): its text lives in a caller's buffer, at offset off, so that a
 * page of rows needs one allocation for all of its text.
 */
enum cell_kind { CELL_NONE, CELL_STR, CELL_NUM, CELL_DATE };

struct cell {
	enum cell_kind kind;
	int y, m, d;   /* CELL_DATE */
	double num;    /* CELL_NUM */
	size_t off;    /* CELL_STR: offset of its NUL-terminated text in the buffer */
};

/* A string cell of s, cut to what a cell holds, appended to text. */
static void
cell_str(struct cell *c, const char *s, struct buf *text)
{
	c->kind = CELL_STR;
	c->off = text->len;
	buf_add(text, s, utf8_prefix(s, CELL_MAX));
	buf_add(text, "", 1);
}

/* The cell of the value of field f (borrowed, may be NULL). */
static void
cell_of(const struct schema_field *f, struct json_object *value, struct buf *text,
        struct cell *c)
{
	enum json_type t = value != NULL ? json_object_get_type(value) : json_type_null;
	char *txt;

	c->kind = CELL_NONE;
	if (t == json_type_null)
		return;
	if (schema_field_type(f) == SCHEMA_NUMBER && (t == json_type_int || t == json_type_double)) {
		c->num = json_object_get_double(value);
		if (isfinite(c->num)) {
			c->kind = CELL_NUM;
			return;
		}
	}
	if (schema_field_type(f) == SCHEMA_DATE && t == json_type_string) {
		int used = 0;
		const char *s = json_object_get_string(value);

		if (sscanf(s, "%4d-%2d-%2d%n", &c->y, &c->m, &c->d, &used) == 3 && used == 10 &&
		    s[10] == '\0' && c->y >= 1900 && c->y <= 9999 && c->m >= 1 && c->m <= 12 &&
		    c->d >= 1 && c->d <= 31) {
			c->kind = CELL_DATE;
			return;
		}
	}
	txt = schema_value_to_text(f, value);
	if (txt != NULL)
		cell_str(c, txt, text);
	free(txt);
}

/* Write cell c (its text in text) at row, col. */
static int
cell_write(lxw_worksheet *ws, size_t row, size_t col, const struct cell *c, const char *text,
           lxw_format *fmt, struct fb_err *err)
{
	lxw_datetime dt;
	lxw_error e;

	switch (c->kind) {
	case CELL_STR:
		e = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, text + c->off, fmt);
		return e == LXW_NO_ERROR ? 0 : xlsx_fail(err, "write_string", e);
	case CELL_NUM:
		e = worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, c->num, fmt);
		return e == LXW_NO_ERROR ? 0 : xlsx_fail(err, "write_number", e);
	case CELL_DATE:
		memset(&dt, 0, sizeof(dt));
		dt.year = c->y;
		dt.month = c->m;
		dt.day = c->d;
		e = worksheet_write_datetime(ws, (lxw_row_t)row, (lxw_col_t)col, &dt, fmt);
		return e == LXW_NO_ERROR ? 0 : xlsx_fail(err, "write_datetime", e);
	case CELL_NONE:
		break;
	}
	return 0;
}

/* Write the value of field f (borrowed, may be NULL) into one cell. */
static int
write_value(lxw_worksheet *ws, size_t row, size_t col, const struct schema_field *f,
            struct json_object *value, lxw_format *fmt, struct fb_err *err)
{
	struct buf text = {0};
	struct cell c;
	int rc;

	cell_of(f, value, &text, &c);
	rc = cell_write(ws, row, col, &c, text.data, fmt, err);
	free(text.data);
	return rc;
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

/*
 * The validation of a field (or fixed entry) c over rows r1..r2 of column col; parent_ref
 * is the cell reference of its parent for a dependent select (relative to r1), or NULL.
 */
static int
validate(lxw_worksheet *ws, const struct book *b, const struct col *c, const char *label,
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
	return e == LXW_NO_ERROR ? 0 : xlsx_fail(err, "data_validation", e);
}

static int
write_lists(struct book *b, struct fb_err *err)
{
	size_t rows = 0, r, i;
	lxw_error e;

	for (i = 0; i < b->nlc; i++)
		if (b->lc[i].n > rows)
			rows = b->lc[i].n;
	for (r = 0; r <= rows; r++) {
		for (i = 0; i < b->nlc; i++) {
			const char *s = r == 0 ? b->lc[i].header : r <= b->lc[i].n ? b->lc[i].vals[r - 1] : NULL;

			if (s != NULL && write_str(b->lists, r, i, s, NULL, err) < 0)
				return -1;
		}
	}
	for (i = 0; i < b->nlc; i++) {
		char c[4], *ref;

		if (b->lc[i].name == NULL)
			continue;
		template_col_letters(c, i);
		ref = xasprintf("=" TEMPLATE_SHEET_LISTS "!$%s$2:$%s$%zu", c, c, b->lc[i].n + 1);
		e = workbook_define_name(b->wb, b->lc[i].name, ref);
		free(ref);
		if (e != LXW_NO_ERROR)
			return xlsx_fail(err, "define_name", e);
	}
	if ((e = worksheet_set_column(b->lists, 0, (lxw_col_t)(b->nlc ? b->nlc - 1 : 0), 16, NULL)) !=
	    LXW_NO_ERROR)
		return xlsx_fail(err, "set_column", e);
	return 0;
}

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

/* The meta document of b; new (caller puts). */
static struct json_object *
meta_new(const struct book *b, int64_t task_id)
{
	struct json_object *m = json_object_new_object(), *cols = json_object_new_array();
	char ts[32], key[SCHEMA_MAX_KEY + 8];
	time_t now = time(NULL);
	struct tm tm;
	size_t i, j;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	jsonh_add_int(m, "v", TEMPLATE_META_VERSION);
	jsonh_add_str(m, "layout", b->multi ? "multi" : "single");
	jsonh_add_int(m, "node_id", b->node->id);
	jsonh_add_int(m, "app_version_id", b->node->app_version_id);
	jsonh_add_str(m, "generated", ts);
	for (i = 0; i < b->ncols; i++) {
		struct json_object *c = json_object_new_object();

		jsonh_add_str(c, "key", col_key_text(&b->cols[i], key, sizeof(key)));
		if (b->cols[i].kind == COL_FIELD) {
			jsonh_add_str(c, "label", b->cols[i].label);
			jsonh_add_bool(c, "writable", b->cols[i].writable);
		}
		json_object_array_add(cols, c);
	}
	json_object_object_add(m, "columns", cols);
	if (b->multi) {
		struct json_object *tables = json_object_new_array();

		jsonh_add_int(m, "task_id", task_id);
		for (i = 0; i < b->ntables; i++) {
			const struct table *t = &b->tables[i];
			struct json_object *o = json_object_new_object(), *tc = json_object_new_array();

			snprintf(key, sizeof(key), "f:%s", schema_field_key(t->f));
			jsonh_add_str(o, "key", key);
			jsonh_add_str(o, "sheet", t->sheet);
			jsonh_add_bool(o, "writable", t->writable);
			for (j = 0; j < t->ncols; j++) {
				struct json_object *c = json_object_new_object();

				jsonh_add_str(c, "key", schema_field_key(t->cols[j].f));
				jsonh_add_str(c, "label", t->cols[j].label);
				json_object_array_add(tc, c);
			}
			json_object_object_add(o, "columns", tc);
			json_object_array_add(tables, o);
		}
		json_object_object_add(m, "tables", tables);
	}
	return m;
}

static int
write_meta(struct book *b, int64_t task_id, struct fb_err *err)
{
	struct json_object *m = meta_new(b, task_id);
	const char *text = jsonh_str(m);
	char sig[65];
	lxw_error e;
	int rc = -1;

	if (utf8_prefix(text, CELL_MAX) < strlen(text)) {
		fb_err_set(err, FB_ETOOBIG, "the form has too many fields for a template");
		goto done;
	}
	template_meta_sign(b->cfg->auth_secret, text, sig);
	if (write_str(b->meta, 0, 0, text, NULL, err) < 0 || write_str(b->meta, 1, 0, sig, NULL, err) < 0)
		goto done;
	if ((e = worksheet_set_column(b->meta, 0, 0, 80, NULL)) != LXW_NO_ERROR) {
		xlsx_fail(err, "set_column", e);
		goto done;
	}
	rc = 0;
done:
	json_object_put(m);
	return rc;
}

static int
write_help(struct book *b, struct fb_err *err)
{
	struct buf tables = {0};
	char *lines[8];
	size_t n = 0, i, nf = schema_nfields(b->s);
	lxw_error e;
	int rc = 0;

	for (i = 0; i < nf; i++) {
		const struct schema_field *f = schema_field_at(b->s, i);

		if (schema_field_type(f) == SCHEMA_TABLE && view_is_visible(b->v, schema_field_key(f)))
			buf_printf(&tables, "%s「%s」", tables.len ? "、" : "", schema_field_label(f));
	}
	lines[n++] = xasprintf("批量审批模板：%s / %s", b->node->app_name, b->node->name);
	lines[n++] = xstrdup(b->multi ? "在「" TEMPLATE_SHEET_FORM "」工作表的「值」列填写：绿色标签的行可编辑，"
	                                "灰色的只读；带 * 的字段必填。"
	                              : "在「" TEMPLATE_SHEET_SINGLE "」工作表中逐行填写：绿色表头的列可编辑，"
	                                "灰色表头的列只读；表头带 * 的字段必填。");
	lines[n++] = xstrdup("操作：选择 " TEMPLATE_ACTION_APPROVE " 或 " TEMPLATE_ACTION_REJECT
	                     "；操作留空的任务不处理。");
	if (b->node->next.id != 0 && b->node->next.choose)
		lines[n++] = xasprintf("下一处理人：同意时填写下一节点「%s」处理人的登录名。",
		                       b->node->next.name);
	if (tables.len > 0)
		lines[n++] = b->multi ? xasprintf("表格字段 %s 在各自的工作表中填写，每行一条记录。",
		                                  buf_cstr(&tables))
		                      : xasprintf("表格字段 %s 无法放入一个单元格，不在此模板中；如需填写，"
		                                  "请下载多文件模板（mode=multi）。",
		                                  buf_cstr(&tables));
	lines[n++] = xstrdup("请勿修改任务ID、表头和隐藏的工作表；上传时服务器会重新校验所有数据。");
	for (i = 0; i < n && rc == 0; i++)
		rc = write_str(b->help, i, 0, lines[i], b->wrap, err);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(tables.data);
	if (rc == 0 && (e = worksheet_set_column(b->help, 0, 0, 100, NULL)) != LXW_NO_ERROR)
		rc = xlsx_fail(err, "set_column", e);
	return rc;
}

/* Open a workbook at path with the sheets of its layout; plan it. */
static int
book_open(struct book *b, const struct fb_config *cfg, const struct node_info *node, int multi,
          const char *path, struct fb_err *err)
{
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = cfg->web_tmpdir};

	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->node = node;
	b->s = node->schema;
	b->v = node->view;
	b->multi = multi;
	b->wb = workbook_new_opt(path, &opt);
	if (b->wb == NULL) {
		fb_err_set(err, FB_EIO, "cannot create a workbook at %s", path);
		return -1;
	}
	b->main = workbook_add_worksheet(b->wb, multi ? TEMPLATE_SHEET_FORM : TEMPLATE_SHEET_SINGLE);
	b->sheet_names = xmalloc(4 * sizeof(char *));
	b->sheet_names[b->nsheet_names++] = xstrdup(multi ? TEMPLATE_SHEET_FORM : TEMPLATE_SHEET_SINGLE);
	b->sheet_names[b->nsheet_names++] = xstrdup(TEMPLATE_SHEET_HELP);
	b->sheet_names[b->nsheet_names++] = xstrdup(TEMPLATE_SHEET_LISTS);
	b->sheet_names[b->nsheet_names++] = xstrdup(TEMPLATE_SHEET_META);
	formats_new(b);
	plan_book(b);
	if (multi) {
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
				c->hint = field_hint(b, cf, t->writable, 0);
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
		for (i = 0; i < b->ntables; i++)
			b->tables[i].ws = workbook_add_worksheet(b->wb, b->tables[i].sheet);
	}
	b->help = multi ? NULL : workbook_add_worksheet(b->wb, TEMPLATE_SHEET_HELP);
	b->lists = workbook_add_worksheet(b->wb, TEMPLATE_SHEET_LISTS);
	b->meta = workbook_add_worksheet(b->wb, TEMPLATE_SHEET_META);
	if (b->main == NULL || b->lists == NULL || b->meta == NULL || (!multi && b->help == NULL)) {
		fb_err_set(err, FB_EINTERNAL, "xlsx: cannot add the sheets");
		return -1;
	}
	for (size_t i = 0; i < b->ntables; i++) {
		if (b->tables[i].ws == NULL) {
			fb_err_set(err, FB_EINTERNAL, "xlsx: cannot add sheet %s", b->tables[i].sheet);
			return -1;
		}
	}
	if (write_lists(b, err) < 0)
		return -1;
	if (!multi && write_help(b, err) < 0)
		return -1;
	return 0;
}

/* Protect and hide what must be, then close (which also frees the workbook). */
static int
book_close(struct book *b, int ok, struct fb_err *err)
{
	lxw_protection prot = {0};
	lxw_error e;

	if (b->wb == NULL)
		return ok ? 0 : -1;
	if (ok) {
		prot.format_columns = 1;
		prot.format_rows = 1;
		worksheet_protect(b->main, NULL, &prot);
		worksheet_protect(b->lists, NULL, NULL);
		worksheet_protect(b->meta, NULL, NULL);
		worksheet_activate(b->main);
		worksheet_hide(b->lists);
		worksheet_hide(b->meta);
	}
	e = workbook_close(b->wb);
	b->wb = NULL;
	if (ok && e != LXW_NO_ERROR) {
		fb_err_set(err, e == LXW_ERROR_CREATING_XLSX_FILE || e == LXW_ERROR_CREATING_TMPFILE
		                    ? FB_EIO
		                    : FB_EINTERNAL,
		           "xlsx: cannot write the workbook: %s", lxw_strerror(e));
		return -1;
	}
	return ok ? 0 : -1;
}

/* Header row and columns of the single sheet; validations come after the rows. */
static int
single_head(struct book *b, struct fb_err *err)
{
	size_t i;
	lxw_error e;

	for (i = 0; i < b->ncols; i++) {
		const struct col *c = &b->cols[i];
		lxw_format *h = c->required ? b->hdr_req : c->writable ? b->hdr_edit : b->hdr;

		if (write_str(b->main, 0, i, c->label, h, err) < 0)
			return -1;
		e = worksheet_set_column(b->main, (lxw_col_t)i, (lxw_col_t)i, c->width,
		                         c->writable ? c->fmt : NULL);
		if (e != LXW_NO_ERROR)
			return xlsx_fail(err, "set_column", e);
	}
	worksheet_freeze_panes(b->main, 1, 2);
	return 0;
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

static const char *
col_title(const struct col *c)
{
	return c->f != NULL ? schema_field_label(c->f) : c->label;
}

static int
single_validations(struct book *b, size_t rows, struct fb_err *err)
{
	size_t i;
	char *note;

	if (rows == 0)
		return 0;
	for (i = 0; i < b->ncols; i++) {
		struct col *c = &b->cols[i];
		char ref[16] = "", pl[4];
		long pc;

		if (c->kind == COL_TITLE && (note = table_note(b)) != NULL) {
			free(c->hint);
			c->hint = note;
		}
		if (!c->writable && c->kind != COL_TITLE)
			continue;
		if (c->kind == COL_FIELD && c->dep_lookup > 0) {
			pc = col_of_field(b, schema_field_depends_on(c->f));
			if (pc >= 0) {
				template_col_letters(pl, (size_t)pc);
				snprintf(ref, sizeof(ref), "$%s2", pl);
			}
		}
		if (validate(b->main, b, c, col_title(c), 1, rows, c->pos,
		             ref[0] ? ref : NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- task rows ------------------------------------------------------------------------- */

/* A task row for fn; form (never NULL) is the callback's to put, also when it fails. */
typedef int (*row_fn)(void *arg, int64_t task_id, const char *title, struct json_object *form,
                      struct fb_err *err);

/*
 * One primary-key lookup per id, fenced (OFFSET 0) so that the planner cannot trade it for
 * a scan of the whole node when its statistics are stale (after a bulk load).
 */
static const char rows_sql[] =
    "SELECT t.id, s.title, s.form_data::text "
    "FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) "
    "CROSS JOIN LATERAL (SELECT id, session_id FROM tasks WHERE id = u.id "
    " AND node_id = $2 AND assignee = $3 AND state = 'pending' OFFSET 0) t "
    "JOIN app_sessions s ON s.id = t.session_id ORDER BY u.ord";

/* Send the query of the cnt ids at ids without waiting for it. */
static int
rows_send(PGconn *pg, const int64_t *ids, size_t cnt, const char *nid, const char *uid,
          struct buf *arr, struct fb_err *err)
{
	const char *params[3];
	size_t i;

	buf_reset(arr);
	buf_puts(arr, "{");
	for (i = 0; i < cnt; i++)
		buf_printf(arr, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_puts(arr, "}");
	params[0] = buf_cstr(arr);
	params[1] = nid;
	params[2] = uid;
	if (!PQsendQueryParams(pg, rows_sql, 3, NULL, params, NULL, NULL, 0)) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(pg));
		return -1;
	}
	return 0;
}

/* The result of the query sent last (NULL and err when it failed); the connection is idle. */
static PGresult *
rows_result(PGconn *pg, struct fb_err *err)
{
	PGresult *res = PQgetResult(pg), *more;

	while ((more = PQgetResult(pg)) != NULL)
		PQclear(more);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * Call fn for each of ids that is still pending at node for user_id, in the order of ids,
 * reading PAGE_ROWS rows per query.  The query of the next page is sent before the rows of
 * the current one are handed to fn, so that PostgreSQL reads while fn works.  *written
 * counts the calls.
 */
static int
for_rows(struct db *db, const struct node_info *node, int64_t user_id, const int64_t *ids,
         size_t n, row_fn fn, void *arg, size_t *written, struct fb_err *err)
{
	PGconn *pg = db_pg(db);
	char nid[24], uid[24];
	struct buf arr = {0};
	PGresult *res = NULL;
	size_t off;
	int sent = 0;

	*written = 0;
	db_id(nid, node->id);
	db_id(uid, user_id);
	if (n == 0)
		return 0;
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		fb_err_set(err, FB_EDB, "PostgreSQL connection lost");
		return -1;
	}
	if (rows_send(pg, ids, n < PAGE_ROWS ? n : PAGE_ROWS, nid, uid, &arr, err) < 0)
		goto fail;
	sent = 1;
	for (off = 0; off < n; off += PAGE_ROWS) {
		size_t next = off + PAGE_ROWS;
		int rows, r;

		res = rows_result(pg, err);
		sent = 0;
		if (res == NULL)
			goto fail;
		if (next < n) {
			if (rows_send(pg, ids + next, n - next < PAGE_ROWS ? n - next : PAGE_ROWS, nid, uid,
			              &arr, err) < 0)
				goto fail;
			sent = 1;
		}
		rows = PQntuples(res);
		for (r = 0; r < rows; r++) {
			const char *fd = db_val(res, r, 2), *title = db_val(res, r, 1);
			struct json_object *form;
			struct fb_err perr = {0};

			form = jsonh_parse(fd != NULL ? fd : "{}", fd != NULL ? strlen(fd) : 2, &perr);
			if (form == NULL) {
				fb_err_set(err, FB_EINTERNAL, "task %lld: form data: %s",
				           (long long)db_ll(res, r, 0), perr.msg);
				fb_err_clear(&perr);
				goto fail;
			}
			if (fn(arg, db_ll(res, r, 0), title != NULL ? title : "", form, err) < 0)
				goto fail;
			(*written)++;
		}
		PQclear(res);
		res = NULL;
	}
	free(arr.data);
	return 0;
fail:
	PQclear(res);
	if (sent) {
		/* Leave the connection idle for the next user. */
		struct fb_err ignored = {0};

		PQclear(rows_result(pg, &ignored));
		fb_err_clear(&ignored);
	}
	free(arr.data);
	return -1;
}

static struct json_object *
form_value(struct json_object *form, const char *key)
{
	struct json_object *v = NULL;

	if (form == NULL || !json_object_is_type(form, json_type_object) ||
	    !json_object_object_get_ex(form, key, &v))
		return NULL;
	return v;
}

/* ---- a hand-off between threads -------------------------------------------------------- */

/* An item of a hand-off starts with this. */
struct hitem {
	struct hitem *next;
};

/*
 * A bounded FIFO from one producer to one or more consumers: at most room items wait.
 * done: nothing more will be put; stop: the consumers gave up, puts fail.  The consumers
 * still get what was queued after a stop (to free it).
 */
struct handoff {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* an item put or taken, done or stop */
	struct hitem *head, *tail;
	size_t queued, room;
	int done, stop;
};

static void
handoff_init(struct handoff *q, size_t room)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->room = room;
}

static void
handoff_fini(struct handoff *q)
{
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
}

/* Put it, waiting for room; -1 (it not queued) after a stop. */
static int
handoff_put(struct handoff *q, struct hitem *it)
{
	int stop;

	pthread_mutex_lock(&q->mu);
	while (q->queued >= q->room && !q->stop)
		pthread_cond_wait(&q->cv, &q->mu);
	stop = q->stop;
	if (!stop) {
		it->next = NULL;
		if (q->tail != NULL)
			q->tail->next = it;
		else
			q->head = it;
		q->tail = it;
		q->queued++;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return stop ? -1 : 0;
}

/* The next item, waiting for one; NULL once done and empty.  *stop: a stop was asked. */
static struct hitem *
handoff_get(struct handoff *q, int *stop)
{
	struct hitem *it;

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->done)
		pthread_cond_wait(&q->cv, &q->mu);
	it = q->head;
	if (it != NULL) {
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->queued--;
		pthread_cond_broadcast(&q->cv);
	}
	*stop = q->stop;
	pthread_mutex_unlock(&q->mu);
	return it;
}

/* Set done (the producer) or stop (a consumer). */
static void
handoff_end(struct handoff *q, int stop)
{
	pthread_mutex_lock(&q->mu);
	if (stop)
		q->stop = 1;
	else
		q->done = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* ---- single ---------------------------------------------------------------------------- */

/*
 * The single layout is written by two threads: a producer reads the task rows (database,
 * JSON) and converts them into pages of cells, the calling thread writes the pages into
 * the workbook.  At most PIPE_PAGES pages wait between them; written pages are reused.
 * The producer is the only user of the database connection until it is joined.
 */
#define PIPE_PAGES 4

struct page {
	struct hitem q;
	size_t nrows;
	struct cell *cells; /* PAGE_ROWS × the book's ncols */
	struct buf text;    /* the text of the string cells */
};

struct single_ctx {
	struct book *b;
	struct handoff q;
	struct page *spare;  /* written pages (under q.mu) */
	struct page *cur;    /* the page being filled (producer) */
	struct db *db;
	const int64_t *ids;
	size_t n, written;
	int64_t user_id;
	int rc;
	struct fb_err err;   /* the producer's */
};

static void
pages_free(struct page *pg)
{
	while (pg != NULL) {
		struct page *next = (struct page *)pg->q.next;

		free(pg->cells);
		free(pg->text.data);
		free(pg);
		pg = next;
	}
}

/* Queue the current page (producer); -1 when the writer stopped. */
static int
page_put(struct single_ctx *x, struct fb_err *err)
{
	if (handoff_put(&x->q, &x->cur->q) < 0) {
		fb_err_set(err, FB_EINTERNAL, "template: the writer stopped");
		return -1;
	}
	x->cur = NULL;
	return 0;
}

/* Give a written page back for reuse (writer). */
static void
page_recycle(struct single_ctx *x, struct page *pg)
{
	pthread_mutex_lock(&x->q.mu);
	pg->q.next = x->spare != NULL ? &x->spare->q : NULL;
	x->spare = pg;
	pthread_mutex_unlock(&x->q.mu);
}

/* An empty page for the producer: a spare one or a new one. */
static struct page *
page_take(struct single_ctx *x)
{
	struct page *pg;

	pthread_mutex_lock(&x->q.mu);
	pg = x->spare;
	if (pg != NULL)
		x->spare = (struct page *)pg->q.next;
	pthread_mutex_unlock(&x->q.mu);
	if (pg == NULL) {
		pg = xcalloc(1, sizeof(*pg));
		pg->cells = xmalloc(PAGE_ROWS * (x->b->ncols ? x->b->ncols : 1) * sizeof(*pg->cells));
	}
	pg->q.next = NULL;
	pg->nrows = 0;
	buf_reset(&pg->text);
	return pg;
}

/* Convert one task row into the current page (producer); row_fn. */
static int
single_row(void *arg, int64_t task_id, const char *title, struct json_object *form,
           struct fb_err *err)
{
	struct single_ctx *x = arg;
	struct book *b = x->b;
	struct cell *cells;
	size_t i;
	char id[24];

	if (x->cur == NULL)
		x->cur = page_take(x);
	cells = x->cur->cells + x->cur->nrows * b->ncols;
	for (i = 0; i < b->ncols; i++) {
		const struct col *c = &b->cols[i];

		cells[i].kind = CELL_NONE;
		switch (c->kind) {
		case COL_TASK_ID:
			db_id(id, task_id);
			cell_str(&cells[i], id, &x->cur->text);
			break;
		case COL_TITLE:
			cell_str(&cells[i], title, &x->cur->text);
			break;
		case COL_FIELD:
			cell_of(c->f, form_value(form, schema_field_key(c->f)), &x->cur->text, &cells[i]);
			break;
		default:
			break;
		}
	}
	json_object_put(form);
	if (++x->cur->nrows == PAGE_ROWS)
		return page_put(x, err);
	return 0;
}

/* The producer thread: every row, then the last partial page, then done. */
static void *
single_producer(void *arg)
{
	struct single_ctx *x = arg;

	x->rc = for_rows(x->db, x->b->node, x->user_id, x->ids, x->n, single_row, x, &x->written,
	                 &x->err);
	if (x->rc == 0 && x->cur != NULL && x->cur->nrows > 0)
		x->rc = page_put(x, &x->err);
	pages_free(x->cur);
	x->cur = NULL;
	handoff_end(&x->q, 0);
	return NULL;
}

/* Write the pages the producer queues, in order; *rows counts the rows written. */
static int
single_consume(struct single_ctx *x, size_t *rows, struct fb_err *err)
{
	struct book *b = x->b;
	struct page *pg;
	size_t r, i;
	int stop;

	while ((pg = (struct page *)handoff_get(&x->q, &stop)) != NULL) {
		for (r = 0; r < pg->nrows; r++) {
			const struct cell *cells = pg->cells + r * b->ncols;

			++*rows;
			for (i = 0; i < b->ncols; i++) {
				const struct col *c = &b->cols[i];
				lxw_format *fmt = c->kind == COL_TASK_ID ? b->id
				                  : c->kind == COL_FIELD ? c->fmt
				                                         : NULL;

				if (cell_write(b->main, *rows, c->pos, &cells[i], pg->text.data, fmt, err) < 0) {
					page_recycle(x, pg);
					return -1;
				}
			}
		}
		page_recycle(x, pg);
	}
	return 0;
}

/* Run the producer and write what it converts; the first error is reported. */
static int
single_rows(struct db *db, struct book *b, int64_t user_id, const int64_t *ids, size_t n,
            size_t *written, size_t *rows, struct fb_err *err)
{
	struct single_ctx x;
	struct hitem *left;
	pthread_t th;
	int rc, e;

	memset(&x, 0, sizeof(x));
	handoff_init(&x.q, PIPE_PAGES);
	x.b = b;
	x.db = db;
	x.ids = ids;
	x.n = n;
	x.user_id = user_id;
	*rows = 0;
	e = pthread_create(&th, NULL, single_producer, &x);
	if (e != 0) {
		fb_err_set(err, FB_EINTERNAL, "template: cannot start a thread: %s", strerror(e));
		rc = -1;
		goto done;
	}
	rc = single_consume(&x, rows, err);
	if (rc < 0)
		handoff_end(&x.q, 1);
	pthread_join(th, NULL);
	if (rc == 0 && x.rc < 0) {
		*err = x.err;
		rc = -1;
	} else {
		fb_err_clear(&x.err);
	}
	*written = x.written;
done:
	left = x.q.head;
	pages_free((struct page *)left);
	pages_free(x.spare);
	handoff_fini(&x.q);
	return rc;
}

int
template_write_single(struct db *db, const struct fb_config *cfg, const struct node_info *node,
                      int64_t user_id, const int64_t *task_ids, size_t n, const char *path,
                      size_t *written, struct fb_err *err)
{
	struct book b;
	size_t rows = 0;
	int rc;

	*written = 0;
	if (n > TEMPLATE_SINGLE_MAX) {
		fb_err_msg(err, FB_ETOOBIG, "template.single_max",
		           msg_args("max", json_object_new_int(TEMPLATE_SINGLE_MAX), NULL));
		return -1;
	}
	rc = book_open(&b, cfg, node, 0, path, err);
	if (rc == 0)
		rc = single_head(&b, err);
	if (rc == 0)
		rc = single_rows(db, &b, user_id, task_ids, n, written, &rows, err);
	if (rc == 0 && *written == 0) {
		fb_err_msg(err, FB_ENOTFOUND, "template.none_pending", NULL);
		rc = -1;
	}
	if (rc == 0)
		rc = single_validations(&b, rows, err);
	if (rc == 0)
		rc = write_meta(&b, 0, err);
	rc = book_close(&b, rc == 0, err);
	book_done(&b);
	return rc;
}

/* ---- multi ----------------------------------------------------------------------------- */

static int
write_blank(lxw_worksheet *ws, size_t row, size_t col, lxw_format *fmt, struct fb_err *err)
{
	lxw_error e = worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, fmt);

	return e == LXW_NO_ERROR ? 0 : xlsx_fail(err, "write_blank", e);
}

static const struct table *
table_of(const struct book *b, const struct schema_field *f)
{
	size_t i;

	for (i = 0; i < b->ntables; i++)
		if (b->tables[i].f == f)
			return &b->tables[i];
	return NULL;
}

static int
write_table(struct book *b, struct table *t, struct json_object *value, struct fb_err *err)
{
	size_t i, r, nrows = 0, vrows;
	lxw_error e;

	if (value != NULL && json_object_is_type(value, json_type_array))
		nrows = json_object_array_length(value);
	for (i = 0; i < t->ncols; i++) {
		struct col *c = &t->cols[i];

		if (write_str(t->ws, 0, i, c->label, t->writable ? b->hdr_edit : b->hdr, err) < 0)
			return -1;
		e = worksheet_set_column(t->ws, (lxw_col_t)i, (lxw_col_t)i, c->width,
		                         t->writable ? c->fmt : NULL);
		if (e != LXW_NO_ERROR)
			return xlsx_fail(err, "set_column", e);
	}
	for (r = 0; r < nrows; r++) {
		struct json_object *row = json_object_array_get_idx(value, r);

		for (i = 0; i < t->ncols; i++) {
			struct col *c = &t->cols[i];

			if (write_value(t->ws, r + 1, i, c->f, form_value(row, schema_field_key(c->f)), c->fmt,
			                err) < 0)
				return -1;
		}
	}
	worksheet_freeze_panes(t->ws, 1, 0);
	if (!t->writable) {
		lxw_protection prot = {0};

		prot.format_columns = 1;
		worksheet_protect(t->ws, NULL, &prot);
		return 0;
	}
	vrows = (size_t)schema_field_max_rows(t->f);
	if (vrows < nrows)
		vrows = nrows;
	for (i = 0; i < t->ncols; i++)
		if (validate(t->ws, b, &t->cols[i], schema_field_label(t->cols[i].f), 1, vrows, i, NULL,
		             err) < 0)
			return -1;
	return 0;
}

static int
form_write(struct book *b, int64_t task_id, const char *title, struct json_object *form,
           struct fb_err *err)
{
	lxw_error e;
	size_t i;
	char id[24];

	if (write_str(b->main, 0, 0, "字段", b->hdr, err) < 0 ||
	    write_str(b->main, 0, 1, "值", b->hdr, err) < 0 ||
	    write_str(b->main, 0, 2, "说明", b->hdr, err) < 0)
		return -1;
	if ((e = worksheet_set_column(b->main, 0, 0, 20, NULL)) != LXW_NO_ERROR ||
	    (e = worksheet_set_column(b->main, 1, 1, 40, NULL)) != LXW_NO_ERROR ||
	    (e = worksheet_set_column(b->main, 2, 2, 50, b->wrap)) != LXW_NO_ERROR)
		return xlsx_fail(err, "set_column", e);
	worksheet_freeze_panes(b->main, 1, 0);
	for (i = 0; i < b->ncols; i++) {
		struct col *c = &b->cols[i];
		size_t row = c->pos + 1;
		lxw_format *h = c->required ? b->hdr_req : c->writable ? b->hdr_edit : b->hdr;
		int rc = 0;
		char ref[24] = "";

		if (write_str(b->main, row, 0, c->label, h, err) < 0)
			return -1;
		switch (c->kind) {
		case COL_TASK_ID:
			db_id(id, task_id);
			rc = write_str(b->main, row, 1, id, b->id, err);
			break;
		case COL_TITLE:
			rc = write_str(b->main, row, 1, title, NULL, err);
			break;
		case COL_FIELD:
			if (schema_field_type(c->f) == SCHEMA_TABLE) {
				const struct table *t = table_of(b, c->f);
				char *s = xasprintf("见工作表「%s」", t != NULL ? t->sheet : "");

				rc = write_str(b->main, row, 1, s, NULL, err);
				free(s);
				break;
			}
			{
				struct json_object *v = form_value(form, schema_field_key(c->f));
				char *txt = v != NULL ? schema_value_to_text(c->f, v) : NULL;

				if (txt == NULL && c->writable)
					rc = write_blank(b->main, row, 1, c->fmt, err);
				else
					rc = write_value(b->main, row, 1, c->f, v, c->fmt, err);
				free(txt);
			}
			break;
		default:
			rc = write_blank(b->main, row, 1, c->fmt, err);
			break;
		}
		if (rc < 0 || write_str(b->main, row, 2, c->hint, b->wrap, err) < 0)
			return -1;
		if (!c->writable || (c->kind == COL_FIELD && schema_field_type(c->f) == SCHEMA_TABLE))
			continue;
		if (c->kind == COL_FIELD && c->dep_lookup > 0) {
			long pr = col_of_field(b, schema_field_depends_on(c->f));

			if (pr >= 0)
				snprintf(ref, sizeof(ref), "$B$%ld", pr + 2);
		}
		if (validate(b->main, b, c, col_title(c), row, row, 1, ref[0] ? ref : NULL, err) < 0)
			return -1;
	}
	for (i = 0; i < b->ntables; i++)
		if (write_table(b, &b->tables[i], form_value(form, schema_field_key(b->tables[i].f)),
		                err) < 0)
			return -1;
	return 0;
}

/*
 * The multi pack: the calling thread reads the task rows and queues them; up to
 * MULTI_THREADS workers (one workbook per thread, as libxlsxwriter requires) write member
 * <k>.xlsx each into a private directory; once they are joined, the members are added to
 * the zip in the order of the rows.  At most 2 × workers rows wait in the queue.  The
 * workers close their workbooks one at a time: libxlsxwriter 1.1.4 formats the creation
 * time with gmtime(), whose buffer is shared (a race ThreadSanitizer reports).
 */
#define MULTI_THREADS 4

struct job {
	struct hitem q;
	size_t k;
	int64_t task_id;
	char *title;
	struct json_object *form; /* owned */
};

struct multi_ctx {
	const struct fb_config *cfg;
	const struct node_info *node;
	const char *dir;
	struct handoff q;
	pthread_mutex_t close_mu; /* workbook_close() calls gmtime(): one at a time */
	struct fb_err err;        /* the first failure of a worker (under q.mu) */
	size_t members;           /* rows queued: members named <k>.xlsx, k < members */
	char **names;             /* the zip entry name of each member; malloc'ed */
};

static char *
member_path(const char *dir, size_t k)
{
	return xasprintf("%s/%zu.xlsx", dir, k);
}

static void
job_free(struct job *j)
{
	json_object_put(j->form);
	free(j->title);
	free(j);
}

/* Write the workbook of job j to its member path. */
static int
multi_book(struct multi_ctx *x, const struct job *j, struct fb_err *err)
{
	struct book b;
	char *member = member_path(x->dir, j->k);
	int rc;

	rc = book_open(&b, x->cfg, x->node, 1, member, err);
	if (rc == 0)
		rc = form_write(&b, j->task_id, j->title, j->form, err);
	if (rc == 0)
		rc = write_meta(&b, j->task_id, err);
	pthread_mutex_lock(&x->close_mu);
	rc = book_close(&b, rc == 0, err);
	pthread_mutex_unlock(&x->close_mu);
	book_done(&b);
	free(member);
	return rc;
}

/* A worker thread: write the queued jobs until done; after a stop only free them. */
static void *
multi_worker(void *arg)
{
	struct multi_ctx *x = arg;
	struct job *j;
	struct fb_err err;
	int stop;

	while ((j = (struct job *)handoff_get(&x->q, &stop)) != NULL) {
		memset(&err, 0, sizeof(err));
		if (!stop && multi_book(x, j, &err) < 0) {
			pthread_mutex_lock(&x->q.mu);
			if (x->err.code == FB_OK)
				x->err = err;
			else
				fb_err_clear(&err);
			pthread_mutex_unlock(&x->q.mu);
			handoff_end(&x->q, 1);
		}
		job_free(j);
	}
	return NULL;
}

/* Queue one task row for the workers; row_fn. */
static int
multi_row(void *arg, int64_t task_id, const char *title, struct json_object *form,
          struct fb_err *err)
{
	struct multi_ctx *x = arg;
	struct job *j = xcalloc(1, sizeof(*j));

	j->k = x->members;
	j->task_id = task_id;
	j->title = xstrdup(title);
	j->form = form;
	if (handoff_put(&x->q, &j->q) < 0) {
		job_free(j);
		fb_err_set(err, FB_EINTERNAL, "template: a workbook failed");
		return -1;
	}
	x->names = xrealloc(x->names, (x->members + 1) * sizeof(*x->names));
	x->names[x->members++] = template_entry_name(task_id, title);
	return 0;
}

/* Read the rows into the workers; joined on return.  The first error is reported. */
static int
multi_books(struct db *db, struct multi_ctx *x, int64_t user_id, const int64_t *ids, size_t n,
            size_t *written, struct fb_err *err)
{
	pthread_t th[MULTI_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = cpus < 1 ? 1 : cpus > MULTI_THREADS ? MULTI_THREADS : (size_t)cpus, started, i;
	int rc = 0, e;

	if (nth > n)
		nth = n > 0 ? n : 1;
	x->q.room = 2 * nth;
	for (started = 0; started < nth; started++) {
		e = pthread_create(&th[started], NULL, multi_worker, x);
		if (e != 0) {
			fb_err_set(err, FB_EINTERNAL, "template: cannot start a thread: %s", strerror(e));
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		rc = for_rows(db, x->node, user_id, ids, n, multi_row, x, written, err);
	if (rc < 0)
		handoff_end(&x->q, 1); /* the workers free what is queued */
	handoff_end(&x->q, 0);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (x->err.code != FB_OK) {
		/* A worker's failure is the cause of the reader's "a workbook failed". */
		fb_err_clear(err);
		*err = x->err;
		memset(&x->err, 0, sizeof(x->err));
		rc = -1;
	}
	return rc;
}

/* Add the members to the zip, in the order of the rows. */
static int
multi_zip(struct multi_ctx *x, zip_t *za, struct fb_err *err)
{
	size_t k;

	for (k = 0; k < x->members; k++) {
		char *member = member_path(x->dir, k);
		zip_source_t *src = zip_source_file(za, member, 0, 0);
		zip_int64_t idx;

		free(member);
		if (src == NULL) {
			fb_err_set(err, FB_EIO, "zip: %s", zip_strerror(za));
			return -1;
		}
		idx = zip_file_add(za, x->names[k], src, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			fb_err_set(err, FB_EINTERNAL, "zip: %s: %s", x->names[k], zip_strerror(za));
			zip_source_free(src);
			return -1;
		}
		if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0) {
			fb_err_set(err, FB_EINTERNAL, "zip: %s", zip_strerror(za));
			return -1;
		}
	}
	return 0;
}

int
template_write_multi(struct db *db, const struct fb_config *cfg, const struct node_info *node,
                     int64_t user_id, const int64_t *task_ids, size_t n, const char *path,
                     size_t *written, struct fb_err *err)
{
	struct multi_ctx x;
	char *dir = xasprintf("%s/fb-tpl-XXXXXX", cfg->web_tmpdir);
	zip_t *za = NULL;
	int ze, rc = -1;
	size_t i;

	*written = 0;
	if (n > TEMPLATE_MULTI_MAX) {
		fb_err_msg(err, FB_ETOOBIG, "template.multi_max",
		           msg_args("max", json_object_new_int(TEMPLATE_MULTI_MAX), NULL));
		free(dir);
		return -1;
	}
	if (mkdtemp(dir) == NULL) {
		fb_err_set(err, FB_EIO, "cannot create a directory in %s: %s", cfg->web_tmpdir,
		           strerror(errno));
		free(dir);
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.node = node;
	x.dir = dir;
	handoff_init(&x.q, 1);
	pthread_mutex_init(&x.close_mu, NULL);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
	if (za == NULL) {
		zip_error_t ez;

		zip_error_init_with_code(&ez, ze);
		fb_err_set(err, FB_EIO, "cannot create %s: %s", path, zip_error_strerror(&ez));
		zip_error_fini(&ez);
		goto done;
	}
	if (multi_books(db, &x, user_id, task_ids, n, written, err) < 0)
		goto done;
	if (*written == 0) {
		fb_err_msg(err, FB_ENOTFOUND, "template.none_pending", NULL);
		goto done;
	}
	if (multi_zip(&x, za, err) < 0)
		goto done;
	if (zip_close(za) < 0) {
		fb_err_set(err, FB_EIO, "zip: %s", zip_strerror(za));
		goto done;
	}
	za = NULL;
	rc = 0;
done:
	if (za != NULL)
		zip_discard(za);
	for (i = 0; i < x.members; i++) {
		char *m = member_path(dir, i);

		unlink(m);
		free(m);
		free(x.names[i]);
	}
	free(x.names);
	pthread_mutex_destroy(&x.close_mu);
	handoff_fini(&x.q);
	rmdir(dir);
	free(dir);
	return rc;
}
