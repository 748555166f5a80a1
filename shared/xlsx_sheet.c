/* SPDX-License-Identifier: MIT */
/*
 * xlsx_sheet: one worksheet's XML turned into rows of cells for the caller (xlsx_read_sheet).
 *
 * Rows and cells may carry their references (r="5", r="B5") or leave them out (the next
 * row, the next column); a gap is simply absent.  Rows must ascend and cells ascend within
 * their row; both are capped (max_rows, max_cols, Excel's grid).  Cell types: numbers
 * (is_date from the cell's style), shared strings (an index checked against the table),
 * inline strings (rich text runs joined, phonetic runs skipped), formula text results,
 * booleans, errors, ISO dates; a formula without a calculated value is reported as such.
 * Each cell's text is capped in bytes and characters.  Reading stops at </sheetData>.
 *
 * Memory: xlsx_read_sheet holds one row at a time (its cells and their text, reused from
 * row to row) and frees it before returning; values handed to the callback are borrowed
 * until it returns (shared strings point into the handle's table).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xlsx_int.h"

/* Attribute values quoted in messages are cut at this many bytes. */
#define QUOTE_MAX 32

enum cell_kind { K_NUMBER, K_SHARED, K_INLINE, K_STR, K_BOOL, K_ERROR, K_DATE, K_UNKNOWN };

struct rowstate {
	struct xlsx *x;
	const char *sheet;
	xlsx_row_fn fn;
	void *arg;
	int in_data, in_row, in_c;
	long row, prev_row;
	int row_has_r, row_ref_seen;
	int prev_col;
	struct xlsx_cell *cells;
	size_t *off; /* offset of the value in text, or SIZE_MAX when cells[i].value is set */
	size_t ncells, cap;
	struct buf text;

	/* the cell being read */
	int col;
	enum cell_kind kind;
	char ctype[16];
	long style;
	int in_v, in_is, in_t, have_v, have_is, have_f, skip;
	int too_long; /* the value passed max_cell_bytes (see sheet_text) */
	struct buf val;
};

static void
cell_name(int col, long row, char out[24])
{
	char letters[4];
	int n = 0, c = col + 1;

	while (c > 0 && n < 3) {
		letters[n++] = (char)('A' + (c - 1) % 26);
		c = (c - 1) / 26;
	}
	letters[n] = '\0';
	if (n > 1) {
		char t = letters[0];

		letters[0] = letters[n - 1];
		letters[n - 1] = t;
	}
	snprintf(out, 24, "%s%ld", letters, row);
}

/* The name of the cell being read ("B12"), for messages. */
static const char *
cell_here(const struct rowstate *rs, char name[24])
{
	cell_name(rs->col, rs->row, name);
	return name;
}

/* Fail with message mcode naming the sheet and the cell being read, then the message's
 * other (name, value) parameters. */
#define cell_fail(rs, err, code, mcode, ...)                                               \
	xlsx_fail((err), (code), (mcode), "sheet", xlsx_str((rs)->sheet), "cell",          \
	          cell_param(rs), ##__VA_ARGS__)

static struct json_object *
cell_param(const struct rowstate *rs)
{
	char name[24];

	return xlsx_str(cell_here(rs, name));
}

/* "B12" (len bytes) → col 1, row 12.  -1 when malformed or beyond Excel's grid. */
static int
parse_ref(const char *s, size_t len, int *col, long *row)
{
	long c = 0;
	size_t n = 0;

	while (n < len && n < 4 && ((s[n] | 0x20) >= 'a' && (s[n] | 0x20) <= 'z')) {
		c = c * 26 + ((s[n] | 0x20) - 'a' + 1);
		n++;
	}
	if (n == 0 || n > 3 || c > XLSX_EXCEL_COLS)
		return -1;
	*row = xlsx_parse_uint(s + n, len - n, XLSX_EXCEL_ROWS);
	if (*row < 1)
		return -1;
	*col = (int)c - 1;
	return 0;
}

static enum cell_kind
cell_kind(const char *t)
{
	switch (t[0]) {
	case 'n':
		return t[1] == '\0' ? K_NUMBER : K_UNKNOWN;
	case 's':
		return t[1] == '\0' ? K_SHARED : strcmp(t, "str") == 0 ? K_STR : K_UNKNOWN;
	case 'i':
		return strcmp(t, "inlineStr") == 0 ? K_INLINE : K_UNKNOWN;
	case 'b':
		return t[1] == '\0' ? K_BOOL : K_UNKNOWN;
	case 'e':
		return t[1] == '\0' ? K_ERROR : K_UNKNOWN;
	case 'd':
		return t[1] == '\0' ? K_DATE : K_UNKNOWN;
	default:
		return K_UNKNOWN;
	}
}

static int
row_start(struct rowstate *rs, const struct xlsx_attrs *at, struct fb_err *err)
{
	size_t len;
	const char *v = xlsx_attr(at, "r", &len);
	long n;

	rs->row_has_r = v != NULL;
	rs->row_ref_seen = 0;
	if (v != NULL) {
		n = xlsx_parse_uint(v, len, XLSX_EXCEL_ROWS);
		if (n < 1) {
			xlsx_fail(err, FB_EINVAL, "xlsx.row_bad", "sheet", xlsx_str(rs->sheet), "value",
			          xlsx_quote(v, len, QUOTE_MAX));
			return -1;
		}
	} else {
		n = rs->prev_row + 1;
	}
	if (n <= rs->prev_row) {
		xlsx_fail(err, FB_EINVAL, "xlsx.row_order", "sheet", xlsx_str(rs->sheet), "row",
		          xlsx_num(n));
		return -1;
	}
	if (n > rs->x->lim.max_rows || n > XLSX_EXCEL_ROWS) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.rows_many", "sheet", xlsx_str(rs->sheet), "max",
		          xlsx_num(rs->x->lim.max_rows));
		return -1;
	}
	rs->row = n;
	rs->prev_col = -1;
	rs->ncells = 0;
	buf_reset(&rs->text);
	return 0;
}

static int
row_end(struct rowstate *rs, struct fb_err *err)
{
	size_t i;

	rs->prev_row = rs->row;
	if (rs->ncells == 0)
		return 0;
	buf_cstr(&rs->text);
	for (i = 0; i < rs->ncells; i++)
		if (rs->off[i] != SIZE_MAX)
			rs->cells[i].value = rs->text.data + rs->off[i];
	if (rs->fn(rs->arg, rs->row, rs->cells, rs->ncells, err) != 0) {
		if (err != NULL && err->code == FB_OK)
			fb_err_set(err, FB_EINTERNAL, "xlsx: reading stopped at row %ld", rs->row);
		return -1;
	}
	return 0;
}

/* The cell's reference r (len bytes): its column into *col, and the row it names checked
 * against (or, first in a row without r, taken as) the row being read. */
static int
cell_ref(struct rowstate *rs, const char *r, size_t len, int *col, struct fb_err *err)
{
	long row;

	if (parse_ref(r, len, col, &row) < 0) {
		xlsx_fail(err, FB_EINVAL, "xlsx.ref_bad", "sheet", xlsx_str(rs->sheet), "row",
		          xlsx_num(rs->row), "value", xlsx_quote(r, len, QUOTE_MAX));
		return -1;
	}
	if (!rs->row_has_r && !rs->row_ref_seen && row != rs->row) {
		/* a row without r takes the row its first cell names */
		if (row <= rs->prev_row || row > rs->x->lim.max_rows) {
			xlsx_fail(err, row <= rs->prev_row ? FB_EINVAL : FB_ETOOBIG, "xlsx.ref_order",
			          "sheet", xlsx_str(rs->sheet), "cell", xlsx_quote(r, len, len),
			          "max", xlsx_num(rs->x->lim.max_rows));
			return -1;
		}
		rs->row = row;
	}
	rs->row_ref_seen = 1;
	if (row != rs->row) {
		xlsx_fail(err, FB_EINVAL, "xlsx.ref_row", "sheet", xlsx_str(rs->sheet), "cell",
		          xlsx_quote(r, len, len), "row", xlsx_num(rs->row));
		return -1;
	}
	return 0;
}

static int
cell_start(struct rowstate *rs, const struct xlsx_attrs *at, struct fb_err *err)
{
	size_t rlen = 0, tlen = 0, slen = 0;
	const char *r = NULL, *t = NULL, *s = NULL;
	char name[24];
	int col, i;

	/* One pass over the attributes: a cell has at most these three. */
	for (i = 0; i < at->n; i++) {
		const xmlChar **a = at->a + 5 * i;
		const char *ln = (const char *)a[0];
		size_t len = (size_t)(a[4] - a[3]);

		if (ln[0] == '\0' || ln[1] != '\0')
			continue;
		if (ln[0] == 'r' && r == NULL)
			r = (const char *)a[3], rlen = len;
		else if (ln[0] == 't' && t == NULL)
			t = (const char *)a[3], tlen = len;
		else if (ln[0] == 's' && s == NULL)
			s = (const char *)a[3], slen = len;
	}
	if (r != NULL) {
		if (cell_ref(rs, r, rlen, &col, err) < 0)
			return -1;
	} else {
		col = rs->prev_col + 1;
	}
	if (col <= rs->prev_col) {
		cell_name(col, rs->row, name);
		xlsx_fail(err, FB_EINVAL, "xlsx.cell_order", "sheet", xlsx_str(rs->sheet), "cell",
		          xlsx_str(name));
		return -1;
	}
	if (col >= XLSX_EXCEL_COLS) {
		xlsx_fail(err, FB_EINVAL, "xlsx.col_xfd", "sheet", xlsx_str(rs->sheet), "row",
		          xlsx_num(rs->row));
		return -1;
	}
	if (col >= rs->x->lim.max_cols) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.cols_many", "sheet", xlsx_str(rs->sheet), "row",
		          xlsx_num(rs->row), "max", xlsx_num(rs->x->lim.max_cols));
		return -1;
	}
	if (t != NULL && tlen >= sizeof(rs->ctype)) {
		xlsx_fail(err, FB_EINVAL, "xlsx.type_unknown", "sheet", xlsx_str(rs->sheet), "value",
		          xlsx_quote(t, tlen, 16));
		return -1;
	}
	if (t != NULL) {
		memcpy(rs->ctype, t, tlen);
		rs->ctype[tlen] = '\0';
	} else {
		strcpy(rs->ctype, "n");
	}
	rs->kind = cell_kind(rs->ctype);
	rs->style = s ? xlsx_parse_uint(s, slen, 1000000) : 0;
	rs->col = col;
	rs->prev_col = col;
	rs->in_v = rs->in_is = rs->in_t = rs->have_v = rs->have_is = rs->have_f = rs->skip = 0;
	buf_reset(&rs->val);
	return 0;
}

static int
cell_too_many_chars(struct rowstate *rs, struct fb_err *err)
{
	cell_fail(rs, err, FB_ETOOBIG, "xlsx.cell_chars", "max",
	          xlsx_num((long long)rs->x->lim.max_cell_chars));
	return -1;
}

static int
is_number_text(const char *s)
{
	int digits = 0;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits = 1;
		else if (!strchr("+-.eE", *s))
			return 0;
	}
	return digits;
}

static int
cell_end(struct rowstate *rs, struct fb_err *err)
{
	struct xlsx_cell c = {.col = rs->col};
	size_t off = SIZE_MAX;
	char *s;

	buf_cstr(&rs->val);
	s = rs->val.data;
	if (rs->have_f && rs->val.len == 0 && rs->kind != K_STR && rs->kind != K_INLINE) {
		/*
		 * A formula that was never calculated (a generator wrote no value, or an empty
		 * <v/>; only a text result can be empty): there is nothing to take, and the cell
		 * is not empty either.
		 */
		s = (char *)XLSX_FORMULA_NO_VALUE;
		c.type = XLSX_ERROR;
		c.len = strlen(s);
		off = 0;
	} else {
		switch (rs->kind) {
		case K_SHARED: {
			long idx;

			if (!rs->have_v)
				return 0;
			idx = xlsx_parse_uint(s, rs->val.len, LONG_MAX);
			if (idx < 0 || (size_t)idx >= rs->x->nsst) {
				cell_fail(rs, err, FB_EINVAL, "xlsx.sst_range", "value",
				          xlsx_quote(s, rs->val.len, 20), "n", xlsx_num((long long)rs->x->nsst));
				return -1;
			}
			c.type = XLSX_STRING;
			c.value = rs->x->sst.data + rs->x->sst_off[idx];
			c.len = strlen(c.value);
			break;
		}
		case K_INLINE:
		case K_STR:
			if (rs->kind == K_INLINE ? !rs->have_is : !rs->have_v)
				return 0;
			c.type = XLSX_STRING;
			c.len = xlsx_decode_x(s, rs->val.len);
			if (utf8_chars(s) > rs->x->lim.max_cell_chars)
				return cell_too_many_chars(rs, err);
			off = 0;
			break;
		case K_BOOL:
			if (!rs->have_v)
				return 0;
			if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
				cell_fail(rs, err, FB_EINVAL, "xlsx.bool_bad", "value",
				          xlsx_quote(s, rs->val.len, 20));
				return -1;
			}
			c.type = XLSX_BOOL;
			c.len = 1;
			off = 0;
			break;
		case K_ERROR:
		case K_DATE:
			if (!rs->have_v || rs->val.len == 0)
				return 0;
			c.type = rs->kind == K_ERROR ? XLSX_ERROR : XLSX_DATE;
			c.is_date = rs->kind == K_DATE;
			c.len = rs->val.len;
			off = 0;
			break;
		case K_NUMBER: {
			char *end;

			if (!rs->have_v || rs->val.len == 0)
				return 0;
			errno = 0;
			c.num = strtod(s, &end);
			if (!is_number_text(s) || *end != '\0' || !isfinite(c.num)) {
				cell_fail(rs, err, FB_EINVAL, "xlsx.number_bad", "value",
				          xlsx_quote(s, rs->val.len, 20));
				return -1;
			}
			c.type = XLSX_NUMBER;
			c.is_date = rs->style >= 0 && (size_t)rs->style < rs->x->nxf &&
			            rs->x->xf_date[rs->style];
			c.len = rs->val.len;
			off = 0;
			break;
		}
		case K_UNKNOWN:
		default:
			cell_fail(rs, err, FB_EINVAL, "xlsx.cell_type_unknown", "value",
			          xlsx_str(rs->ctype));
			return -1;
		}
	}
	if (rs->ncells == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 32;
		rs->cells = xrealloc(rs->cells, rs->cap * sizeof(*rs->cells));
		rs->off = xrealloc(rs->off, rs->cap * sizeof(*rs->off));
	}
	if (off == 0) {
		off = rs->text.len;
		buf_add(&rs->text, s, c.len + 1);
	}
	rs->cells[rs->ncells] = c;
	rs->off[rs->ncells] = off;
	rs->ncells++;
	return 0;
}

/* ---- SAX handler ------------------------------------------------------------------- */

static int
value_too_long(struct rowstate *rs, struct fb_err *err)
{
	cell_fail(rs, err, FB_ETOOBIG, "xlsx.cell_bytes", "max",
	          xlsx_num((long long)rs->x->lim.max_cell_bytes));
	return -1;
}

static int
sheet_start(void *arg, const char *el, int depth, int empty, const struct xlsx_attrs *at,
            struct fb_err *err)
{
	struct rowstate *rs = arg;

	if (rs->too_long)
		return value_too_long(rs, err);
	if (rs->skip)
		return 0;
	if (!rs->in_data) {
		if (strcmp(el, "sheetData") == 0) {
			if (empty)
				return 1;
			rs->in_data = 1;
		}
		return 0;
	}
	if (!rs->in_row) {
		if (strcmp(el, "row") != 0)
			return 0;
		if (row_start(rs, at, err) < 0)
			return -1;
		if (empty)
			rs->prev_row = rs->row;
		else
			rs->in_row = 1;
		return 0;
	}
	if (!rs->in_c) {
		if (el[0] != 'c' || el[1] != '\0')
			return 0;
		if (cell_start(rs, at, err) < 0)
			return -1;
		if (!empty)
			rs->in_c = 1;
		return 0;
	}
	if (el[0] == 'v' && el[1] == '\0' && !rs->in_is) {
		rs->have_v = 1;
		rs->in_v = !empty;
	} else if (el[0] == 'f' && el[1] == '\0' && !rs->in_is) {
		rs->have_f = 1;
	} else if (strcmp(el, "is") == 0) {
		rs->have_is = 1;
		rs->in_is = !empty;
	} else if (rs->in_is && !empty && (strcmp(el, "rPh") == 0 ||
	                                   strcmp(el, "phoneticPr") == 0)) {
		rs->skip = depth;
	} else if (rs->in_is && !empty && el[0] == 't' && el[1] == '\0') {
		rs->in_t = 1;
	}
	return 0;
}

static int
sheet_end(void *arg, const char *el, int depth, struct fb_err *err)
{
	struct rowstate *rs = arg;

	if (rs->too_long)
		return value_too_long(rs, err);
	if (rs->skip) {
		if (depth == rs->skip)
			rs->skip = 0;
		return 0;
	}
	if (!rs->in_data)
		return 0;
	if (rs->in_c && el[0] == 'c' && el[1] == '\0') {
		rs->in_c = 0;
		return cell_end(rs, err);
	}
	if (el[0] == 'v' && el[1] == '\0')
		rs->in_v = 0;
	else if (rs->in_row && !rs->in_c && strcmp(el, "row") == 0) {
		rs->in_row = 0;
		return row_end(rs, err);
	} else if (strcmp(el, "sheetData") == 0)
		return 1;
	else if (strcmp(el, "is") == 0)
		rs->in_is = 0;
	else if (el[0] == 't' && el[1] == '\0')
		rs->in_t = 0;
	return 0;
}

/* Text arrives in pieces: past max_cell_bytes nothing more is kept and the cell is refused
 * at the next tag, unless the raw scan stops the part first (see sst_text). */
static int
sheet_text(void *arg, const char *v, size_t n, struct fb_err *err)
{
	struct rowstate *rs = arg;

	(void)err;
	if (!rs->in_c || rs->skip || rs->too_long || !(rs->in_v || (rs->in_is && rs->in_t)))
		return 0;
	if (rs->val.len + n > rs->x->lim.max_cell_bytes) {
		rs->too_long = 1;
		return 0;
	}
	buf_add(&rs->val, v, n);
	return 0;
}

int
xlsx_read_sheet(struct xlsx *x, const char *sheet, xlsx_row_fn fn, void *arg,
                struct fb_err *err)
{
	static const struct xlsx_handler h = {sheet_start, sheet_end, sheet_text};
	struct rowstate rs = {.x = x, .fn = fn, .arg = arg};
	struct sheet_ent *se;
	struct xlsx_part p;
	int rc;

	se = sheet == NULL ? (x->nsheets ? &x->sheets[0] : NULL) : xlsx_sheet_lookup(x, sheet);
	if (se == NULL) {
		xlsx_fail(err, FB_EINVAL, "xlsx.no_sheet", "sheet",
		          xlsx_quote(sheet ? sheet : "", sheet ? strlen(sheet) : 0, 64));
		return -1;
	}
	rs.sheet = se->pub.name;
	if (se->part == NULL || !xlsx_part_exists(x, se->part)) {
		xlsx_fail(err, FB_EINVAL, "xlsx.sheet_part_missing", "sheet", xlsx_str(rs.sheet));
		return -1;
	}
	rc = xlsx_part_parse(x, se->part, &h, &rs, &p, err);
	if (rc < 0 && p.over == XLSX_OVER_TEXT) {
		if (rs.in_c)
			cell_too_many_chars(&rs, err);
		else
			xlsx_fail(err, FB_ETOOBIG, "xlsx.sheet_text_long", "sheet", xlsx_str(rs.sheet),
			          "max", xlsx_num((long long)x->lim.max_cell_chars));
	}
	free(rs.cells);
	free(rs.off);
	free(rs.text.data);
	free(rs.val.data);
	return rc;
}
