/* SPDX-License-Identifier: MIT */
/*
 * xlsx_read: opening an untrusted .xlsx archive and finding its parts (the public entry
 * points of xlsx_read.h but the sheet reading itself, which is xlsx_sheet.c).
 *
 * The archive is opened with libzip (ZIP_RDONLY|ZIP_CHECKCONS); its entry count, each
 * entry's encryption and compression method are checked up front.  The workbook part is
 * found through the package relationships (_rels/.rels, else xl/workbook.xml), its sheets
 * (names, states, relationship ids) read in document order and resolved to parts through
 * the workbook's relationships (targets relative to the workbook or absolute, never
 * outside the archive, external ones dropped); then the styles (xlsx_styles.c) and the
 * shared strings (xlsx_sst.c) are loaded.  Every part is read through xlsx_part.c, which
 * holds the inflation caps and refuses DOCTYPEs.
 *
 * Memory: struct xlsx owns the zip handle, the sheet list (names and part paths), one
 * "is a date" byte per cell style and the decoded shared string table, all released by
 * xlsx_close.  Relationships are only held while opening.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xlsx_int.h"

struct rel {
	char *id, *type, *target;
};

struct xlsx_limits
xlsx_limits_default(void)
{
	struct xlsx_limits l = {
		.max_entries = 1000,
		.max_part_bytes = 64u << 20,
		.max_total_bytes = 256u << 20,
		.max_shared_strings = 1000000,
		.max_shared_bytes = 64u << 20,
		.max_rows = 100000,
		.max_cols = 1024,
		.max_cell_bytes = 128u << 10,
		.max_cell_chars = XLSX_EXCEL_CELL_CHARS,
	};

	return l;
}

static int
is_true(const char *s)
{
	return s != NULL && (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "on") == 0);
}

/* ---- paths and relationships ------------------------------------------------------- */

/* Resolve a relationship target against the directory of the source part (base ends with
 * '/' or is ""), collapsing "." and "..".  Returns a string the caller frees, or NULL when
 * the path escapes the archive root or is empty. */
static char *
path_resolve(const char *base, const char *target)
{
	char *joined, *out, *seg, *save = NULL;
	size_t o = 0, n;

	if (target[0] == '/')
		joined = xstrdup(target + 1);
	else
		joined = xasprintf("%s%s", base, target);
	n = strlen(joined);
	out = xmalloc(n + 1);
	for (seg = strtok_r(joined, "/", &save); seg != NULL; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			if (o == 0)
				goto fail;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (o > 0)
			out[o++] = '/';
		memcpy(out + o, seg, strlen(seg));
		o += strlen(seg);
	}
	if (o == 0)
		goto fail;
	out[o] = '\0';
	free(joined);
	return out;
fail:
	free(joined);
	free(out);
	return NULL;
}

static void
rels_free(struct rel *rels, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rels[i].id);
		free(rels[i].type);
		free(rels[i].target);
	}
	free(rels);
}

struct rels_load {
	const char *name;
	struct rel *rels;
	size_t n, cap;
};

static int
rels_start(void *arg, const char *el, int depth, int empty, const struct xlsx_attrs *at,
           struct fb_err *err)
{
	struct rels_load *r = arg;
	size_t len;
	const char *id, *target, *mode;

	(void)depth;
	(void)empty;
	if (strcmp(el, "Relationship") != 0)
		return 0;
	id = xlsx_attr(at, "Id", &len);
	target = xlsx_attr(at, "Target", &len);
	mode = xlsx_attr(at, "TargetMode", &len);
	if (id == NULL || target == NULL || (mode != NULL && (len != 8 ||
	                                                      memcmp(mode, "Internal", 8) != 0)))
		return 0;
	if (r->n == XLSX_MAX_RELS) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.rels_many", "part", xlsx_str(r->name), "max",
		          xlsx_num(XLSX_MAX_RELS));
		return -1;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->rels = xrealloc(r->rels, r->cap * sizeof(*r->rels));
	}
	r->rels[r->n].id = xlsx_attr_dup(at, "Id");
	r->rels[r->n].type = xlsx_attr_dup(at, "Type");
	if (r->rels[r->n].type == NULL)
		r->rels[r->n].type = xstrdup("");
	r->rels[r->n].target = xlsx_attr_dup(at, "Target");
	r->n++;
	return 0;
}

/* Read a .rels part; external targets are dropped.  *out is freed with rels_free. */
static int
rels_load(struct xlsx *x, const char *name, struct rel **out, size_t *nout, struct fb_err *err)
{
	static const struct xlsx_handler h = {rels_start, NULL, NULL};
	struct rels_load r = {.name = name};
	struct xlsx_part p;

	if (xlsx_part_parse(x, name, &h, &r, &p, err) < 0) {
		rels_free(r.rels, r.n);
		return -1;
	}
	*out = r.rels;
	*nout = r.n;
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const struct rel *
rels_by_type(const struct rel *rels, size_t n, const char *suffix)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ends_with(rels[i].type, suffix))
			return &rels[i];
	return NULL;
}

/* ---- workbook ---------------------------------------------------------------------- */

struct workbook_load {
	struct xlsx *x;
	const char *name;
	size_t cap;
};

static int
workbook_start(void *arg, const char *el, int depth, int empty, const struct xlsx_attrs *at,
               struct fb_err *err)
{
	struct workbook_load *w = arg;
	struct xlsx *x = w->x;
	struct sheet_ent *se;
	size_t nlen, len;
	const char *name, *state;

	(void)depth;
	(void)empty;
	if (strcmp(el, "workbookPr") == 0) {
		char *d = xlsx_attr_dup(at, "date1904");

		x->date1904 = is_true(d);
		free(d);
		return 0;
	}
	if (strcmp(el, "sheet") != 0)
		return 0;
	name = xlsx_attr(at, "name", &nlen);
	if (name == NULL || nlen == 0 || xlsx_attr(at, "id", &len) == NULL) {
		xlsx_fail(err, FB_EINVAL, "xlsx.sheet_no_name", "part", xlsx_str(w->name));
		return -1;
	}
	if (x->nsheets == XLSX_MAX_SHEETS) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.sheets_many", "max", xlsx_num(XLSX_MAX_SHEETS));
		return -1;
	}
	if (x->nsheets == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		x->sheets = xrealloc(x->sheets, w->cap * sizeof(*x->sheets));
	}
	se = &x->sheets[x->nsheets++];
	se->pub.name = xstrndup(name, nlen);
	state = xlsx_attr(at, "state", &len);
	se->pub.state = state == NULL ? XLSX_SHEET_VISIBLE
	                : len == 10 && memcmp(state, "veryHidden", 10) == 0 ? XLSX_SHEET_VERY_HIDDEN
	                : len == 6 && memcmp(state, "hidden", 6) == 0 ? XLSX_SHEET_HIDDEN
	                : XLSX_SHEET_VISIBLE;
	se->rid = xlsx_attr_dup(at, "id");
	se->part = NULL;
	return 0;
}

static int
workbook_load(struct xlsx *x, const char *name, struct fb_err *err)
{
	static const struct xlsx_handler h = {workbook_start, NULL, NULL};
	struct workbook_load w = {.x = x, .name = name};
	struct xlsx_part p;

	if (xlsx_part_parse(x, name, &h, &w, &p, err) < 0)
		return -1;
	if (x->nsheets == 0) {
		fb_err_msg(err, FB_EINVAL, "xlsx.no_sheets", NULL);
		return -1;
	}
	return 0;
}

/* ---- open / close ------------------------------------------------------------------ */

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");
}

static int
xlsx_load(struct xlsx *x, struct fb_err *err)
{
	struct rel *rels = NULL;
	size_t nrels = 0, i;
	char *wb = NULL, *wbdir = NULL, *wbrels = NULL, *path = NULL;
	const struct rel *rel;
	zip_int64_t nent = zip_get_num_entries(x->za, 0);
	zip_stat_t st;

	if (nent < 0 || (zip_uint64_t)nent > x->lim.max_entries) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.entries", "n", xlsx_num(nent), "max",
		          xlsx_num((long long)x->lim.max_entries));
		goto fail;
	}
	for (i = 0; i < (size_t)nent; i++) {
		zip_stat_init(&st);
		if (zip_stat_index(x->za, i, 0, &st) < 0) {
			xlsx_fail(err, FB_EMEDIA, "xlsx.not_xlsx", "detail", xlsx_str(zip_strerror(x->za)));
			goto fail;
		}
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE) {
			xlsx_fail(err, FB_EMEDIA, "xlsx.entry_encrypted", "entry",
			          xlsx_str(st.name ? st.name : "?"));
			goto fail;
		}
		if ((st.valid & ZIP_STAT_COMP_METHOD) &&
		    !zip_compression_method_supported(st.comp_method, 0)) {
			xlsx_fail(err, FB_EMEDIA, "xlsx.entry_method", "entry",
			          xlsx_str(st.name ? st.name : "?"));
			goto fail;
		}
	}

	/* The workbook part: from the package relationships, else the usual path. */
	if (xlsx_part_exists(x, "_rels/.rels")) {
		if (rels_load(x, "_rels/.rels", &rels, &nrels, err) < 0)
			goto fail;
		if ((rel = rels_by_type(rels, nrels, "/officeDocument")) != NULL)
			wb = path_resolve("", rel->target);
		rels_free(rels, nrels);
		rels = NULL;
		nrels = 0;
	}
	if (wb == NULL)
		wb = xstrdup("xl/workbook.xml");
	if (!xlsx_part_exists(x, wb)) {
		xlsx_fail(err, FB_EMEDIA, "xlsx.no_workbook", "part", xlsx_str(wb));
		goto fail;
	}
	if (workbook_load(x, wb, err) < 0)
		goto fail;

	wbdir = dir_of(wb);
	wbrels = xasprintf("%s_rels/%s.rels", wbdir, wb + strlen(wbdir));
	if (!xlsx_part_exists(x, wbrels)) {
		xlsx_fail(err, FB_EINVAL, "xlsx.wb_rels_missing", "part", xlsx_str(wbrels));
		goto fail;
	}
	if (rels_load(x, wbrels, &rels, &nrels, err) < 0)
		goto fail;
	for (i = 0; i < x->nsheets; i++) {
		size_t j;

		for (j = 0; j < nrels; j++) {
			if (strcmp(rels[j].id, x->sheets[i].rid) == 0) {
				x->sheets[i].part = path_resolve(wbdir, rels[j].target);
				break;
			}
		}
	}

	rel = rels_by_type(rels, nrels, "/styles");
	path = rel ? path_resolve(wbdir, rel->target) : xasprintf("%sstyles.xml", wbdir);
	if (path != NULL && xlsx_part_exists(x, path) && xlsx_styles_load(x, path, err) < 0)
		goto fail;
	free(path);

	rel = rels_by_type(rels, nrels, "/sharedStrings");
	path = rel ? path_resolve(wbdir, rel->target) : xasprintf("%ssharedStrings.xml", wbdir);
	if (path != NULL && xlsx_part_exists(x, path) && xlsx_sst_load(x, path, err) < 0)
		goto fail;
	free(path);
	path = NULL;

	rels_free(rels, nrels);
	free(wb);
	free(wbdir);
	free(wbrels);
	return 0;
fail:
	free(path);
	rels_free(rels, nrels);
	free(wb);
	free(wbdir);
	free(wbrels);
	return -1;
}

static struct xlsx *
xlsx_new(const struct xlsx_limits *lim)
{
	struct xlsx *x = xcalloc(1, sizeof(*x));

	x->lim = lim ? *lim : xlsx_limits_default();
	return x;
}

static void
zip_open_error(int code, struct fb_err *err)
{
	zip_error_t ze;

	zip_error_init_with_code(&ze, code);
	if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_NOENT ||
	    code == ZIP_ER_SEEK)
		xlsx_fail(err, FB_EIO, "xlsx.cannot_open", "detail", xlsx_str(zip_error_strerror(&ze)));
	else
		xlsx_fail(err, FB_EMEDIA, "xlsx.not_xlsx", "detail", xlsx_str(zip_error_strerror(&ze)));
	zip_error_fini(&ze);
}

struct xlsx *
xlsx_open_buffer(const void *data, size_t len, const struct xlsx_limits *lim,
                 struct fb_err *err)
{
	struct xlsx *x;
	zip_source_t *src;
	zip_error_t ze;

	if (len == 0 || data == NULL) {
		fb_err_msg(err, FB_EMEDIA, "xlsx.empty", NULL);
		return NULL;
	}
	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (src == NULL) {
		fb_err_set(err, FB_EINTERNAL, "xlsx: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return NULL;
	}
	x = xlsx_new(lim);
	x->za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (x->za == NULL) {
		zip_source_free(src);
		zip_open_error(zip_error_code_zip(&ze), err);
		zip_error_fini(&ze);
		goto fail;
	}
	zip_error_fini(&ze);
	if (xlsx_load(x, err) < 0)
		goto fail;
	return x;
fail:
	xlsx_close(x);
	return NULL;
}

struct xlsx *
xlsx_open_file(const char *path, const struct xlsx_limits *lim, struct fb_err *err)
{
	struct xlsx *x = xlsx_new(lim);
	int code = 0;

	x->za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
	if (x->za == NULL) {
		zip_open_error(code, err);
		goto fail;
	}
	if (xlsx_load(x, err) < 0)
		goto fail;
	return x;
fail:
	xlsx_close(x);
	return NULL;
}

void
xlsx_close(struct xlsx *x)
{
	size_t i;

	if (x == NULL)
		return;
	if (x->za != NULL)
		zip_discard(x->za);
	for (i = 0; i < x->nsheets; i++) {
		free((char *)x->sheets[i].pub.name);
		free(x->sheets[i].rid);
		free(x->sheets[i].part);
	}
	free(x->sheets);
	free(x->xf_date);
	free(x->sst.data);
	free(x->sst_off);
	free(x);
}

size_t
xlsx_sheet_count(const struct xlsx *x)
{
	return x->nsheets;
}

const struct xlsx_sheet *
xlsx_sheet_at(const struct xlsx *x, size_t i)
{
	return i < x->nsheets ? &x->sheets[i].pub : NULL;
}

struct sheet_ent *
xlsx_sheet_lookup(const struct xlsx *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nsheets; i++)
		if (strcmp(x->sheets[i].pub.name, name) == 0)
			return &x->sheets[i];
	for (i = 0; i < x->nsheets; i++)
		if (strcasecmp(x->sheets[i].pub.name, name) == 0)
			return &x->sheets[i];
	return NULL;
}

const struct xlsx_sheet *
xlsx_sheet_find(const struct xlsx *x, const char *name)
{
	struct sheet_ent *s = xlsx_sheet_lookup(x, name);

	return s ? &s->pub : NULL;
}

int
xlsx_date1904(const struct xlsx *x)
{
	return x->date1904;
}
