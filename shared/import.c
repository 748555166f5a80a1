/* SPDX-License-Identifier: MIT */
/*
 * import: the import driver (see import.h): upload -> workbooks -> rows -> checks ->
 * the result a dry run reports or a batch is made of.
 *
 * The upload stays in the caller's memory.  A single-layout .xlsx is opened in place; a
 * .zip pack is walked entry by entry, each workbook inflated into a buffer of its own
 * (bytes counted here, capped per entry and in total).  Each workbook's signed meta is
 * verified and names the node (loaded once, with its schema and view parsed once for the
 * whole import); its sheets are mapped to rows by import_map.c, and all rows are then
 * checked by import_check.c.  Every problem is collected with its row and column.
 *
 * Memory: struct imp owns the node, the first meta, the mapping and the checker, freed in
 * imp_free; the result hands its arrays and the post_data texts to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>
#include <zip.h>

#include "import.h"
#include "import_check.h"
#include "import_map.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "template.h"
#include "xlsx_read.h"

/* ---- zip entries ------------------------------------------------------------------------ */

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

struct imp {
	struct db *db;
	const struct fb_config *cfg;
	const struct user_rec *u;
	struct node_info *node;
	struct json_object *meta;   /* the first workbook's meta */
	int single;
	struct import_report rep;
	struct imap map;
	struct icheck check;
};

static void
imp_free(struct imp *m)
{
	icheck_free(&m->check);
	imap_free(&m->map);
	json_object_put(m->meta);
	node_free(m->node);
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
		fb_err_detail(err, fb_err_detail_msg(TEMPLATE_SHEET_META, "import.sheet_missing",
		                                     msg_args("sheet", json_object_new_string(
		                                                           TEMPLATE_SHEET_META),
		                                              NULL)));
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

/* Load the node of the first meta, or check a later meta against it. */
static int
meta_node(struct imp *m, struct json_object *meta, struct fb_err *err)
{
	if (m->node == NULL) {
		struct fb_err nerr = {0};

		m->node = node_load(m->db, imap_meta_id(meta, "node_id"), &nerr);
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
			fb_err_msg(err, FB_EVALIDATION, "import.workbook_bad",
			           msg_args("file", json_object_new_string(m->map.file), "detail",
			                    json_object_new_string(msg), NULL));
		}
		return -1;
	}
	m->map.date1904 = xlsx_date1904(x);
	if (read_meta(m, x, &meta, err) < 0 || meta_node(m, meta, err) < 0)
		goto out;
	m->map.node = m->node;
	layout = meta_layout(meta);
	if (strcmp(layout, "single") == 0) {
		if (in_zip) {
			fb_err_msg(err, FB_EVALIDATION, "import.single_in_zip",
			           msg_args("file", json_object_new_string(m->map.file), NULL));
			goto out;
		}
		m->single = 1;
		rc = imap_single(&m->map, x, meta, err);
	} else {
		m->single = 0;
		rc = imap_multi(&m->map, x, meta, err);
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
		fb_err_msg(err, FB_EVALIDATION, "import.zip_unreadable",
		           msg_args("file", json_object_new_string(zip_get_name(za, i, 0)), "detail",
		                    json_object_new_string(zip_strerror(za)), NULL));
		return -1;
	}
	data = xmalloc(cap);
	for (;;) {
		zip_int64_t n;

		if (len == cap) {
			if (cap >= IMPORT_MAX_WORKBOOK) {
				fb_err_msg(err, FB_ETOOBIG, "import.zip_workbook_big",
				           msg_args("mib", json_object_new_int(IMPORT_MAX_WORKBOOK >> 20), NULL));
				goto fail;
			}
			cap *= 2;
			data = xrealloc(data, cap);
		}
		n = zip_fread(zf, data + len, cap - len);
		if (n < 0) {
			fb_err_msg(err, FB_EVALIDATION, "import.zip_damaged",
			           msg_args("detail", json_object_new_string(zip_file_strerror(zf)), NULL));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		*total += (size_t)n;
		if (*total > IMPORT_MAX_ZIP_TOTAL) {
			fb_err_msg(err, FB_ETOOBIG, "import.zip_big",
			           msg_args("mib", json_object_new_int(IMPORT_MAX_ZIP_TOTAL >> 20), NULL));
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
		fb_err_msg(err, FB_ETOOBIG, "import.zip_entries",
		           msg_args("n", json_object_new_int64((int64_t)n), "max",
		                    json_object_new_int(TEMPLATE_MULTI_MAX), NULL));
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
			fb_err_msg(err, FB_ETOOBIG, "import.zip_books",
			           msg_args("max", json_object_new_int(TEMPLATE_MULTI_MAX), NULL));
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
		m->map.file = name;
		m->map.workbook_no = books;
		rc = read_workbook(m, data, len, 1, &werr);
		free(data);
		m->map.file = NULL;
		if (rc < 0 && werr.code != FB_EVALIDATION) {
			fb_err_clear(err);
			*err = werr;
			return -1;
		}
		if (rc < 0) {
			/* A problem of this workbook as a whole: report it, go on with the others. */
			import_report_err(&m->rep, name, 0, NULL, NULL, &werr);
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
		m->map.file = NULL;
		return read_workbook(m, data, len, 0, err);
	}
	rc = read_pack(m, za, err);
	zip_discard(za);
	return rc;
}

/* ---- the whole import ------------------------------------------------------------------ */

int
import_load(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
            int64_t node_id, int check_only, const void *data, size_t len,
            struct import_result *out, struct fb_err *err)
{
	struct imp m = {.db = db, .cfg = cfg, .u = u};
	struct buf posts = {0};
	size_t *post_off = NULL, i;
	long t0 = import_ms();
	int rc = -1;

	memset(out, 0, sizeof(*out));
	m.rep.err = err;
	m.map.cfg = cfg;
	m.map.rep = &m.rep;
	m.map.c_task = m.map.c_action = -1;
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
	if (m.map.nrows == 0 && m.rep.n == 0) {
		fb_err_msg(err, FB_EVALIDATION, "import.no_action", NULL);
		fb_err_detail(err, fb_err_detail_msg("action", "import.no_action_detail", NULL));
		goto out;
	}
	out->read_ms = import_ms() - t0;
	t0 = import_ms();
	if (m.map.nrows > 0) {
		m.check.db = db;
		m.check.u = u;
		m.check.map = &m.map;
		if (!check_only)
			post_off = xcalloc(m.map.nrows, sizeof(*post_off));
		if (icheck_rows(&m.check, check_only ? NULL : &posts, post_off, err) < 0)
			goto out;
	}
	out->check_ms = import_ms() - t0;
	out->tasks_ms = m.check.tasks_ms;
	if (import_report_end(&m.rep) < 0)
		goto out;
	out->node_id = m.node->id;
	out->is_single = m.single;
	out->n = m.map.nrows;
	out->task_ids = xmalloc(sizeof(*out->task_ids) * m.map.nrows);
	out->row_no = xmalloc(sizeof(*out->row_no) * m.map.nrows);
	for (i = 0; i < m.map.nrows; i++) {
		out->task_ids[i] = m.map.rows[i].task_id;
		out->row_no[i] = m.map.rows[i].row_no;
	}
	if (!check_only) {
		out->row_text = posts.data;
		posts.data = NULL;
		out->row_data = xmalloc(sizeof(*out->row_data) * m.map.nrows);
		for (i = 0; i < m.map.nrows; i++)
			out->row_data[i] = out->row_text + post_off[i];
	}
	rc = 0;
out:
	free(posts.data);
	free(post_off);
	imp_free(&m);
	return rc;
}

void
import_result_free(struct import_result *res)
{
	if (res == NULL)
		return;
	free(res->row_data);
	free(res->row_text);
	free(res->task_ids);
	free(res->row_no);
	memset(res, 0, sizeof(*res));
}
