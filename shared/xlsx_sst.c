/* SPDX-License-Identifier: MIT */
/*
 * xlsx_sst: the shared string table of a workbook (xl/sharedStrings.xml), and the decoding
 * of cell text that both it and the sheets' inline strings need.
 *
 * Each <si> becomes one string: the text of its <t> elements (a plain string or the runs of
 * rich text, formatting dropped) concatenated, phonetic runs (<rPh>, <phoneticPr>) skipped,
 * "_xHHHH_" escapes decoded.  Caps: the number of strings, their total bytes, and each
 * string's bytes and characters (Excel's limit for a cell).
 *
 * Memory: the table lives in struct xlsx (x->sst: every string followed by a NUL, x->sst_off:
 * where each starts), released by xlsx_close; loading uses one growing buffer of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xlsx_int.h"

/* ---- _xHHHH_ ----------------------------------------------------------------------- */

/* The code unit of an "_xHHHH_" escape at s (n bytes left), or -1. */
static long
x_escape(const char *s, size_t n)
{
	long v = 0;
	int i, h;

	if (n < 7 || s[0] != '_' || (s[1] != 'x' && s[1] != 'X') || s[6] != '_')
		return -1;
	for (i = 2; i < 6; i++) {
		if ((h = hex_digit((unsigned char)s[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static size_t
put_utf8(char *o, unsigned long c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Decode OOXML "_xHHHH_" escapes in place (the output is never longer); surrogate pairs are
 * joined, NUL and lone surrogates are kept literally.  s[n] must be writable: the result
 * is NUL-terminated.  Returns the new length. */
size_t
xlsx_decode_x(char *s, size_t n)
{
	size_t i, o;
	char *u = memchr(s, '_', n);

	/* Most text has no escape at all. */
	if (u == NULL) {
		s[n] = '\0';
		return n;
	}
	i = o = (size_t)(u - s);
	while (i < n) {
		long c = s[i] == '_' ? x_escape(s + i, n - i) : -1;

		if (c > 0 && c < 0xd800) {
			o += put_utf8(s + o, (unsigned long)c);
			i += 7;
		} else if (c >= 0xe000) {
			o += put_utf8(s + o, (unsigned long)c);
			i += 7;
		} else if (c >= 0xd800 && c < 0xdc00) {
			long lo = x_escape(s + i + 7, n - i - 7);

			if (lo >= 0xdc00 && lo < 0xe000) {
				unsigned long cp = 0x10000 + (((unsigned long)c - 0xd800) << 10) +
				                   ((unsigned long)lo - 0xdc00);

				o += put_utf8(s + o, cp);
				i += 14;
			} else {
				s[o++] = s[i++];
			}
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
	return o;
}

/* ---- the table --------------------------------------------------------------------- */

struct sst_load {
	struct xlsx *x;
	struct buf cur; /* the string being read */
	size_t cap;     /* of x->sst_off */
	int in_si, in_t, skip;
	int too_long; /* the string passed max_cell_bytes (see sst_text) */
};

static int
sst_too_many_chars(struct xlsx *x, struct fb_err *err)
{
	xlsx_fail(err, FB_ETOOBIG, "xlsx.sst_chars", "index", xlsx_num((long long)x->nsst), "max",
	          xlsx_num((long long)x->lim.max_cell_chars));
	return -1;
}

static int
sst_add(struct sst_load *s, struct fb_err *err)
{
	struct xlsx *x = s->x;
	size_t n;

	if (x->nsst == x->lim.max_shared_strings) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.sst_many", "max",
		          xlsx_num((long long)x->lim.max_shared_strings));
		return -1;
	}
	buf_cstr(&s->cur);
	n = xlsx_decode_x(s->cur.data, s->cur.len);
	if (utf8_chars(s->cur.data) > x->lim.max_cell_chars)
		return sst_too_many_chars(x, err);
	if (x->sst.len + n + 1 > x->lim.max_shared_bytes) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.sst_total", "max",
		          xlsx_num((long long)x->lim.max_shared_bytes));
		return -1;
	}
	if (x->nsst == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		x->sst_off = xrealloc(x->sst_off, s->cap * sizeof(*x->sst_off));
	}
	x->sst_off[x->nsst++] = x->sst.len;
	buf_add(&x->sst, s->cur.data, n + 1);
	buf_reset(&s->cur);
	return 0;
}

static int
sst_too_long(struct sst_load *s, struct fb_err *err)
{
	xlsx_fail(err, FB_ETOOBIG, "xlsx.sst_bytes", "index", xlsx_num((long long)s->x->nsst),
	          "max", xlsx_num((long long)s->x->lim.max_cell_bytes));
	return -1;
}

static int
sst_start(void *arg, const char *el, int depth, int empty, const struct xlsx_attrs *at,
          struct fb_err *err)
{
	struct sst_load *s = arg;

	(void)at;
	if (s->too_long)
		return sst_too_long(s, err);
	if (s->skip)
		return 0;
	if (depth == 1 && strcmp(el, "si") == 0) {
		buf_reset(&s->cur);
		if (empty)
			return sst_add(s, err);
		s->in_si = 1;
	} else if (s->in_si && !empty && (strcmp(el, "rPh") == 0 ||
	                                  strcmp(el, "phoneticPr") == 0)) {
		s->skip = depth;
	} else if (s->in_si && !empty && strcmp(el, "t") == 0) {
		s->in_t = 1;
	}
	return 0;
}

static int
sst_end(void *arg, const char *el, int depth, struct fb_err *err)
{
	struct sst_load *s = arg;

	if (s->too_long)
		return sst_too_long(s, err);
	if (s->skip) {
		if (depth == s->skip)
			s->skip = 0;
	} else if (strcmp(el, "t") == 0) {
		s->in_t = 0;
	} else if (s->in_si && depth == 1 && strcmp(el, "si") == 0) {
		s->in_si = 0;
		return sst_add(s, err);
	}
	return 0;
}

/*
 * Text arrives in pieces.  Past max_cell_bytes nothing more is kept, and the string is
 * refused at the next tag: a text so long that the raw scan of xlsx_part.c stops the part
 * first is reported by its characters (Excel's limit), as when the text came whole.
 */
static int
sst_text(void *arg, const char *t, size_t n, struct fb_err *err)
{
	struct sst_load *s = arg;

	(void)err;
	if (!s->in_si || !s->in_t || s->skip || s->too_long)
		return 0;
	if (s->cur.len + n > s->x->lim.max_cell_bytes) {
		s->too_long = 1;
		return 0;
	}
	buf_add(&s->cur, t, n);
	return 0;
}

int
xlsx_sst_load(struct xlsx *x, const char *name, struct fb_err *err)
{
	static const struct xlsx_handler h = {sst_start, sst_end, sst_text};
	struct sst_load s = {.x = x};
	struct xlsx_part p;
	int rc = xlsx_part_parse(x, name, &h, &s, &p, err);

	if (rc < 0 && p.over == XLSX_OVER_TEXT)
		sst_too_many_chars(x, err);
	free(s.cur.data);
	return rc;
}
