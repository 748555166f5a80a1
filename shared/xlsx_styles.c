/* SPDX-License-Identifier: MIT */
/*
 * xlsx_styles: which cell styles of a workbook (xl/styles.xml) show numbers as dates, and
 * date serials as calendar dates.
 *
 * A number cell names its style (s="N", an index into <cellXfs>); the style names a number
 * format, built in (14-22, 45-47 and the East Asian 27-36, 50-58 are dates) or one of the
 * workbook's <numFmt> codes, which are dates when a d, m, y, h or s token stands outside
 * quoted text and [...] sections.  The 1900 date system counts the nonexistent 1900-02-29.
 *
 * Memory: the result is x->xf_date (one byte per style), released by xlsx_close; the number
 * formats and the styles' format ids are only held while loading.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlsx_int.h"

static int
builtin_date(long id)
{
	/* 14-22 and 45-47 everywhere; 27-36 and 50-58 are the East Asian locale dates. */
	return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) || (id >= 27 && id <= 36) ||
	       (id >= 50 && id <= 58);
}

/* A custom format code is a date/time format when, outside quoted text, escapes and
 * [...] sections (colours, locales, conditions), it has a d, m, y, h or s token. */
static int
format_is_date(const char *code)
{
	const char *s;

	for (s = code; *s; s++) {
		switch (*s) {
		case '"':
			for (s++; *s && *s != '"'; s++)
				;
			if (*s == '\0')
				return 0;
			break;
		case '\\':
		case '_':
		case '*':
			if (s[1] == '\0')
				return 0;
			s++;
			break;
		case '[':
			if ((s[1] == 'h' || s[1] == 'H' || s[1] == 'm' || s[1] == 'M' || s[1] == 's' ||
			     s[1] == 'S') && (s[2] == ']' || s[2] == s[1]))
				return 1;
			for (s++; *s && *s != ']'; s++)
				;
			if (*s == '\0')
				return 0;
			break;
		case 'd': case 'D': case 'm': case 'M': case 'y': case 'Y':
		case 'h': case 'H': case 's': case 'S':
			return 1;
		default:
			break;
		}
	}
	return 0;
}

struct numfmt {
	long id;
	int is_date;
};

struct styles_load {
	struct xlsx *x;
	struct numfmt *fmts;
	size_t nfmts, fcap;
	long *xf_fmt; /* per style: its number format id */
	size_t xcap;
	int in_xfs;
};

/* The numeric value of attribute `name`, -1 when malformed, dflt when absent. */
static long
attr_uint(const struct xlsx_attrs *at, const char *name, long dflt)
{
	size_t len;
	const char *v = xlsx_attr(at, name, &len);

	return v ? xlsx_parse_uint(v, len, 1000000) : dflt;
}

static int
styles_start(void *arg, const char *el, int depth, int empty, const struct xlsx_attrs *at,
             struct fb_err *err)
{
	struct styles_load *s = arg;
	struct xlsx *x = s->x;

	if (strcmp(el, "cellXfs") == 0) {
		s->in_xfs = !empty;
	} else if (strcmp(el, "numFmt") == 0) {
		char *code;

		if (s->nfmts == XLSX_MAX_NUMFMTS) {
			xlsx_fail(err, FB_ETOOBIG, "xlsx.numfmts_many", "max", xlsx_num(XLSX_MAX_NUMFMTS));
			return -1;
		}
		if (s->nfmts == s->fcap) {
			s->fcap = s->fcap ? s->fcap * 2 : 16;
			s->fmts = xrealloc(s->fmts, s->fcap * sizeof(*s->fmts));
		}
		code = xlsx_attr_dup(at, "formatCode");
		s->fmts[s->nfmts].id = attr_uint(at, "numFmtId", -1);
		s->fmts[s->nfmts].is_date = code != NULL && format_is_date(code);
		s->nfmts++;
		free(code);
	} else if (s->in_xfs && depth == 2 && strcmp(el, "xf") == 0) {
		if (x->nxf == XLSX_MAX_XFS) {
			xlsx_fail(err, FB_ETOOBIG, "xlsx.styles_many", "max", xlsx_num(XLSX_MAX_XFS));
			return -1;
		}
		if (x->nxf == s->xcap) {
			s->xcap = s->xcap ? s->xcap * 2 : 16;
			s->xf_fmt = xrealloc(s->xf_fmt, s->xcap * sizeof(*s->xf_fmt));
		}
		s->xf_fmt[x->nxf++] = attr_uint(at, "numFmtId", 0);
	}
	return 0;
}

static int
styles_end(void *arg, const char *el, int depth, struct fb_err *err)
{
	struct styles_load *s = arg;

	(void)depth;
	(void)err;
	if (strcmp(el, "cellXfs") == 0)
		s->in_xfs = 0;
	return 0;
}

int
xlsx_styles_load(struct xlsx *x, const char *name, struct fb_err *err)
{
	static const struct xlsx_handler h = {styles_start, styles_end, NULL};
	struct styles_load s = {.x = x};
	struct xlsx_part p;
	size_t i, j;
	int rc = xlsx_part_parse(x, name, &h, &s, &p, err);

	if (rc == 0) {
		x->xf_date = xcalloc(x->nxf ? x->nxf : 1, 1);
		for (i = 0; i < x->nxf; i++) {
			int found = 0;

			for (j = 0; j < s.nfmts && !found; j++) {
				if (s.fmts[j].id == s.xf_fmt[i]) {
					x->xf_date[i] = (unsigned char)s.fmts[j].is_date;
					found = 1;
				}
			}
			if (!found)
				x->xf_date[i] = (unsigned char)builtin_date(s.xf_fmt[i]);
		}
	} else {
		x->nxf = 0;
	}
	free(s.fmts);
	free(s.xf_fmt);
	return rc;
}

/* ---- dates ------------------------------------------------------------------------- */

/* Days since 1970-01-01 → civil date (Howard Hinnant's algorithm). */
static void
civil_from_days(long z, long *y, int *m, int *d)
{
	long era, yoe, doy, doe, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

int
xlsx_serial_to_date(double serial, int date1904, char out[11])
{
	long n, days, y;
	int m, d;

	if (!isfinite(serial) || serial < 0 || serial >= 3000000)
		return -1;
	n = (long)floor(serial);
	if (date1904) {
		/* serial 0 = 1904-01-01 = 1970 day -24107 */
		days = n - 24107;
	} else {
		if (n < 1 || n == 60)
			return -1;
		/* serial 1 = 1900-01-01 = 1970 day -25567; from 61 on, skip the fake leap day */
		days = n - 25568 - (n > 60 ? 1 : 0);
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
	return 0;
}
