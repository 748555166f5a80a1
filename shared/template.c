/* SPDX-License-Identifier: MIT */
/*
 * template: what an approval template is (template.h states the layout contract) — the
 * names of its files, sheets and entries, its signed meta data and the checks an import
 * makes on it — and the two entry points that write one.  The layout itself is written by
 * book.c (with column.c and cell.c), the task rows of the single layout by
 * template_rows.c, the multi layout's zip by pack.c.
 *
 * Strings returned are malloc'ed (the caller frees them); nothing else is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "book.h"
#include "crypto.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "pack.h"
#include "template.h"
#include "template_rows.h"
#include "utf8.h"

#define SHEET_NAME_MAX 31

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

		len = utf8_decode((const char *)p, &cp);
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
		size_t len = utf8_decode((const char *)p, &cp);

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


/* ---- writing --------------------------------------------------------------------------- */

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
	rc = book_open(&b, cfg, node, 0, NULL, path, err);
	if (rc == 0)
		rc = book_head(&b, err);
	if (rc == 0)
		rc = template_rows_single(db, &b, user_id, task_ids, n, written, &rows, err);
	if (rc == 0 && *written == 0) {
		fb_err_msg(err, FB_ENOTFOUND, "template.none_pending", NULL);
		rc = -1;
	}
	if (rc == 0)
		rc = book_validations(&b, rows, err);
	if (rc == 0)
		rc = book_meta(&b, 0, err);
	rc = book_close(&b, rc == 0, err);
	book_done(&b);
	return rc;
}


int
template_write_multi(struct db *db, const struct fb_config *cfg, const struct node_info *node,
                     int64_t user_id, const int64_t *task_ids, size_t n, const char *path,
                     size_t *written, struct fb_err *err)
{
	*written = 0;
	if (n > TEMPLATE_MULTI_MAX) {
		fb_err_msg(err, FB_ETOOBIG, "template.multi_max",
		           msg_args("max", json_object_new_int(TEMPLATE_MULTI_MAX), NULL));
		return -1;
	}
	return pack_write(db, cfg, node, user_id, task_ids, n, path, written, err);
}
