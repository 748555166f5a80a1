/* SPDX-License-Identifier: MIT */
/*
 * book: the layout of a flowbatch workbook (see book.h): sheets, formats, header rows,
 * Lists and their defined names, validations, help, meta and protection.  What each
 * column holds is planned by column.c, values become cells in cell.c.  The plans are
 * malloc'ed into the struct book and freed by book_done(); formats belong to the workbook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "book.h"
#include "cell.h"
#include "jsonh.h"
#include "mem.h"
#include "node.h"
#include "template.h"
#include "utf8.h"

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

void
book_done(struct book *b)
{
	size_t i, j;

	column_free(b->cols, b->ncols);
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
		column_free(b->tables[i].cols, b->tables[i].ncols);
	}
	free(b->tables);
	for (i = 0; i < b->nsheet_names; i++)
		free(b->sheet_names[i]);
	free(b->sheet_names);
	memset(b, 0, sizeof(*b));
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

			if (s != NULL && cell_write_str(b->lists, r, i, s, NULL, err) < 0)
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
			return cell_fail(err, "define_name", e);
	}
	if ((e = worksheet_set_column(b->lists, 0, (lxw_col_t)(b->nlc ? b->nlc - 1 : 0), 16, NULL)) !=
	    LXW_NO_ERROR)
		return cell_fail(err, "set_column", e);
	return 0;
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
		struct json_object *c;
		const char *k = column_key(&b->cols[i], key, sizeof(key));

		if (k == NULL)
			continue;
		c = json_object_new_object();
		jsonh_add_str(c, "key", k);
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

int
book_meta(struct book *b, int64_t task_id, struct fb_err *err)
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
	if (cell_write_str(b->meta, 0, 0, text, NULL, err) < 0 ||
	    cell_write_str(b->meta, 1, 0, sig, NULL, err) < 0)
		goto done;
	if ((e = worksheet_set_column(b->meta, 0, 0, 80, NULL)) != LXW_NO_ERROR) {
		cell_fail(err, "set_column", e);
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
	if (b->reason != NULL)
		lines[n++] = xasprintf("「%s」列说明该行为何未能处理；改正后可上传本文件，该列会被忽略。",
		                       b->reason);
	lines[n++] = xstrdup("请勿修改任务ID、表头和隐藏的工作表；上传时服务器会重新校验所有数据。");
	for (i = 0; i < n && rc == 0; i++)
		rc = cell_write_str(b->help, i, 0, lines[i], b->wrap, err);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(tables.data);
	if (rc == 0 && (e = worksheet_set_column(b->help, 0, 0, 100, NULL)) != LXW_NO_ERROR)
		rc = cell_fail(err, "set_column", e);
	return rc;
}

int
book_open(struct book *b, const struct fb_config *cfg, const struct node_info *node, int multi,
          const char *reason, const char *path, struct fb_err *err)
{
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = cfg->web_tmpdir};
	size_t i;

	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->node = node;
	b->s = node->schema;
	b->v = node->view;
	b->multi = multi;
	b->reason = multi ? NULL : reason;
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
	column_plan(b);
	for (i = 0; i < b->ntables; i++)
		b->tables[i].ws = workbook_add_worksheet(b->wb, b->tables[i].sheet);
	b->help = multi ? NULL : workbook_add_worksheet(b->wb, TEMPLATE_SHEET_HELP);
	b->lists = workbook_add_worksheet(b->wb, TEMPLATE_SHEET_LISTS);
	b->meta = workbook_add_worksheet(b->wb, TEMPLATE_SHEET_META);
	if (b->main == NULL || b->lists == NULL || b->meta == NULL || (!multi && b->help == NULL)) {
		fb_err_set(err, FB_EINTERNAL, "xlsx: cannot add the sheets");
		return -1;
	}
	for (i = 0; i < b->ntables; i++) {
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

int
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

int
book_head(struct book *b, struct fb_err *err)
{
	size_t i;
	lxw_error e;

	for (i = 0; i < b->ncols; i++) {
		const struct col *c = &b->cols[i];
		lxw_format *h = c->required ? b->hdr_req : c->writable ? b->hdr_edit : b->hdr;

		if (cell_write_str(b->main, 0, i, c->label, h, err) < 0)
			return -1;
		e = worksheet_set_column(b->main, (lxw_col_t)i, (lxw_col_t)i, c->width,
		                         c->writable ? c->fmt : NULL);
		if (e != LXW_NO_ERROR)
			return cell_fail(err, "set_column", e);
	}
	worksheet_freeze_panes(b->main, 1, 2);
	return 0;
}

int
book_validations(struct book *b, size_t rows, struct fb_err *err)
{
	size_t i;

	if (rows == 0)
		return 0;
	for (i = 0; i < b->ncols; i++) {
		struct col *c = &b->cols[i];
		char ref[16] = "", pl[4];
		long pc;

		if (!c->writable && c->kind != COL_TITLE)
			continue;
		if (c->kind == COL_FIELD && c->dep_lookup > 0) {
			pc = column_of_field(b, schema_field_depends_on(c->f));
			if (pc >= 0) {
				template_col_letters(pl, (size_t)pc);
				snprintf(ref, sizeof(ref), "$%s2", pl);
			}
		}
		if (column_validate(b->main, b, c, column_title(c), 1, rows, c->pos,
		             ref[0] ? ref : NULL, err) < 0)
			return -1;
	}
	return 0;
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

		if (cell_write_str(t->ws, 0, i, c->label, t->writable ? b->hdr_edit : b->hdr, err) < 0)
			return -1;
		e = worksheet_set_column(t->ws, (lxw_col_t)i, (lxw_col_t)i, c->width,
		                         t->writable ? c->fmt : NULL);
		if (e != LXW_NO_ERROR)
			return cell_fail(err, "set_column", e);
	}
	for (r = 0; r < nrows; r++) {
		struct json_object *row = json_object_array_get_idx(value, r);

		for (i = 0; i < t->ncols; i++) {
			struct col *c = &t->cols[i];

			if (cell_write_value(t->ws, r + 1, i, c->f, cell_form_value(row, schema_field_key(c->f)), c->fmt,
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
		if (column_validate(t->ws, b, &t->cols[i], schema_field_label(t->cols[i].f), 1, vrows, i, NULL,
		             err) < 0)
			return -1;
	return 0;
}

int
book_form(struct book *b, int64_t task_id, const char *title, struct json_object *form,
           struct fb_err *err)
{
	lxw_error e;
	size_t i;
	char id[24];

	if (cell_write_str(b->main, 0, 0, "字段", b->hdr, err) < 0 ||
	    cell_write_str(b->main, 0, 1, "值", b->hdr, err) < 0 ||
	    cell_write_str(b->main, 0, 2, "说明", b->hdr, err) < 0)
		return -1;
	if ((e = worksheet_set_column(b->main, 0, 0, 20, NULL)) != LXW_NO_ERROR ||
	    (e = worksheet_set_column(b->main, 1, 1, 40, NULL)) != LXW_NO_ERROR ||
	    (e = worksheet_set_column(b->main, 2, 2, 50, b->wrap)) != LXW_NO_ERROR)
		return cell_fail(err, "set_column", e);
	worksheet_freeze_panes(b->main, 1, 0);
	for (i = 0; i < b->ncols; i++) {
		struct col *c = &b->cols[i];
		size_t row = c->pos + 1;
		lxw_format *h = c->required ? b->hdr_req : c->writable ? b->hdr_edit : b->hdr;
		int rc = 0;
		char ref[24] = "";

		if (cell_write_str(b->main, row, 0, c->label, h, err) < 0)
			return -1;
		switch (c->kind) {
		case COL_TASK_ID:
			db_id(id, task_id);
			rc = cell_write_str(b->main, row, 1, id, b->id, err);
			break;
		case COL_TITLE:
			rc = cell_write_str(b->main, row, 1, title, NULL, err);
			break;
		case COL_FIELD:
			if (schema_field_type(c->f) == SCHEMA_TABLE) {
				const struct table *t = table_of(b, c->f);
				char *s = xasprintf("见工作表「%s」", t != NULL ? t->sheet : "");

				rc = cell_write_str(b->main, row, 1, s, NULL, err);
				free(s);
				break;
			}
			{
				struct json_object *v = cell_form_value(form, schema_field_key(c->f));
				char *txt = v != NULL ? schema_value_to_text(c->f, v) : NULL;

				if (txt == NULL && c->writable)
					rc = cell_write_blank(b->main, row, 1, c->fmt, err);
				else
					rc = cell_write_value(b->main, row, 1, c->f, v, c->fmt, err);
				free(txt);
			}
			break;
		default:
			rc = cell_write_blank(b->main, row, 1, c->fmt, err);
			break;
		}
		if (rc < 0 || cell_write_str(b->main, row, 2, c->hint, b->wrap, err) < 0)
			return -1;
		if (!c->writable || (c->kind == COL_FIELD && schema_field_type(c->f) == SCHEMA_TABLE))
			continue;
		if (c->kind == COL_FIELD && c->dep_lookup > 0) {
			long pr = column_of_field(b, schema_field_depends_on(c->f));

			if (pr >= 0)
				snprintf(ref, sizeof(ref), "$B$%ld", pr + 2);
		}
		if (column_validate(b->main, b, c, column_title(c), row, row, 1, ref[0] ? ref : NULL, err) < 0)
			return -1;
	}
	for (i = 0; i < b->ntables; i++)
		if (write_table(b, &b->tables[i], cell_form_value(form, schema_field_key(b->tables[i].f)),
		                err) < 0)
			return -1;
	return 0;
}

