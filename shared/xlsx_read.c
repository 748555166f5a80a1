/* SPDX-License-Identifier: MIT */
/*
 * xlsx_read: reading untrusted .xlsx workbooks, streaming one sheet at a time.
 *
 * The archive is opened with libzip (ZIP_RDONLY|ZIP_CHECKCONS, entry count and encryption
 * checked up front); every part is parsed with an xmlTextReader fed by zip_fread through a
 * callback that counts the inflated bytes itself and fails past the per-part and per-handle
 * caps, so a zip bomb stops at the cap whatever sizes the archive declares.  DOCTYPE and
 * entity reference nodes are refused: real parts never have them.
 *
 * Memory: struct xlsx owns the zip handle, the sheet list (names and part paths), one
 * "is a date" byte per cell style and the decoded shared string table (one buffer of
 * NUL-separated strings plus offsets), all released by xlsx_close.  A sheet is never held
 * whole: xlsx_read_sheet keeps one row (cells and their text) and hands it to the callback.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "mem.h"
#include "utf8.h"
#include "xlsx_read.h"

#define XLSX_MAX_DEPTH 64
#define XLSX_MAX_SHEETS 4096
#define XLSX_MAX_RELS 10000
#define XLSX_MAX_NUMFMTS 10000
#define XLSX_MAX_XFS 65536
#define XLSX_EXCEL_ROWS 1048576L
#define XLSX_EXCEL_COLS 16384

struct sheet_ent {
	struct xlsx_sheet pub;
	char *rid;
	char *part; /* resolved path inside the archive, NULL when the relationship is missing */
};

struct rel {
	char *id, *type, *target;
};

struct xlsx {
	zip_t *za;
	struct xlsx_limits lim;
	size_t total; /* inflated bytes read so far, all parts */
	int date1904;
	struct sheet_ent *sheets;
	size_t nsheets;
	unsigned char *xf_date; /* per cellXfs index: 1 when a date format */
	size_t nxf;
	struct buf sst;  /* decoded strings, each followed by a NUL */
	size_t *sst_off; /* start of string i in sst.data */
	size_t nsst;
};

/* Where the raw-byte scan of a part stands (see text_scan). */
enum scan_state {
	SCAN_TEXT,    /* character data */
	SCAN_LT,      /* just after '<' */
	SCAN_TAG,     /* inside an element tag (or a declaration) */
	SCAN_QUOTE,   /* inside a quoted attribute value; quote says which */
	SCAN_BANG,    /* after "<!": telling a comment, CDATA or a declaration apart */
	SCAN_COMMENT, /* inside <!-- --> */
	SCAN_CDATA,   /* inside <![CDATA[ ]]> */
	SCAN_PI,      /* inside <? ?> */
};

/* One part being parsed: the read/close callbacks' context. */
struct part {
	struct xlsx *x;
	zip_file_t *zf;
	const char *name;
	size_t read, cap;
	enum scan_state scan;
	char quote;       /* SCAN_QUOTE: the closing quote; SCAN_BANG: the first byte */
	int seen;         /* SCAN_BANG: bytes after "<!" matched; COMMENT/CDATA/PI: closing
	                     characters seen in a row */
	size_t run;       /* bytes of character data since the last element tag */
	size_t run_cap;   /* the most run may reach */
	int over;      /* 1: part cap hit, 2: handle cap hit, 3: a text run over run_cap */
	int zip_failed;
	char zmsg[128];
	char xmsg[200]; /* first libxml2 error */
	int xline;
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

/*
 * Follow the markup of n raw bytes just read and count the character data between two
 * element tags (text and CDATA alike; comments and processing instructions neither count
 * nor end a run).  Returns -1 as soon as a run passes p->run_cap: one linear pass over
 * the bytes, before libxml2 has built anything of that text.
 */
static int
text_scan(struct part *p, const char *buf, size_t n)
{
	static const char cdata[] = "[CDATA[";
	const char *target;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = buf[i];

		switch (p->scan) {
		case SCAN_TEXT: {
			/* Most bytes are text: skip to the next '<' at once. */
			const char *lt = memchr(buf + i, '<', n - i);
			size_t k = lt ? (size_t)(lt - (buf + i)) : n - i;

			p->run += k;
			if (p->run > p->run_cap)
				return -1;
			i += k;
			if (lt != NULL)
				p->scan = SCAN_LT;
			break;
		}
		case SCAN_LT:
			p->seen = 0;
			if (c == '!') {
				p->scan = SCAN_BANG;
			} else if (c == '?') {
				p->scan = SCAN_PI;
			} else {
				p->scan = c == '>' ? SCAN_TEXT : SCAN_TAG;
				p->run = 0;
			}
			break;
		case SCAN_TAG:
			if (c == '"' || c == '\'') {
				p->quote = c;
				p->scan = SCAN_QUOTE;
			} else if (c == '>') {
				p->scan = SCAN_TEXT;
			}
			break;
		case SCAN_QUOTE: {
			const char *q = memchr(buf + i, p->quote, n - i);

			if (q == NULL)
				return 0;
			i = (size_t)(q - buf);
			p->scan = SCAN_TAG;
			break;
		}
		case SCAN_BANG:
			/* "--" opens a comment, "[CDATA[" a CDATA section; the rest are declarations
			 * (DOCTYPE...), which the reader refuses anyway. */
			if (p->seen == 0)
				p->quote = c;
			target = p->quote == '-' ? "--" : cdata;
			if (c != target[p->seen]) {
				p->scan = c == '>' ? SCAN_TEXT : SCAN_TAG;
			} else if (target[++p->seen] == '\0') {
				p->scan = p->quote == '-' ? SCAN_COMMENT : SCAN_CDATA;
				p->seen = 0;
			}
			break;
		case SCAN_COMMENT:
			if (c == '>' && p->seen >= 2)
				p->scan = SCAN_TEXT;
			p->seen = c == '-' ? p->seen + 1 : 0;
			break;
		case SCAN_CDATA:
			if (c == '>' && p->seen >= 2) {
				p->scan = SCAN_TEXT;
			} else if (++p->run > p->run_cap) {
				return -1;
			}
			p->seen = c == ']' ? p->seen + 1 : 0;
			break;
		case SCAN_PI:
			if (c == '>' && p->seen)
				p->scan = SCAN_TEXT;
			p->seen = c == '?';
			break;
		}
	}
	return 0;
}

/* ---- part I/O ---------------------------------------------------------------------- */

static int
part_read(void *ctx, char *buf, int len)
{
	struct part *p = ctx;
	zip_int64_t n;

	if (p->zf == NULL || len < 0)
		return -1;
	n = zip_fread(p->zf, buf, (zip_uint64_t)len);
	if (n < 0) {
		p->zip_failed = 1;
		snprintf(p->zmsg, sizeof(p->zmsg), "%s", zip_file_strerror(p->zf));
		return -1;
	}
	p->read += (size_t)n;
	p->x->total += (size_t)n;
	if (p->read > p->cap) {
		p->over = 1;
		return -1;
	}
	if (p->x->total > p->x->lim.max_total_bytes) {
		p->over = 2;
		return -1;
	}
	if (text_scan(p, buf, (size_t)n) < 0) {
		p->over = 3;
		return -1;
	}
	return (int)n;
}

/* libxml2 calls this itself, also when creating the reader fails. */
static int
part_close(void *ctx)
{
	struct part *p = ctx;

	if (p->zf != NULL)
		zip_fclose(p->zf);
	p->zf = NULL;
	return 0;
}

static void
part_xml_error(void *arg, xmlErrorPtr e)
{
	struct part *p = arg;
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR || p->xmsg[0] != '\0')
		return;
	snprintf(p->xmsg, sizeof(p->xmsg), "%s", e->message ? e->message : "error");
	n = strlen(p->xmsg);
	while (n > 0 && (p->xmsg[n - 1] == '\n' || p->xmsg[n - 1] == ' '))
		p->xmsg[--n] = '\0';
	p->xline = e->line;
}

static int
part_exists(struct xlsx *x, const char *name)
{
	return zip_name_locate(x->za, name, ZIP_FL_NOCASE) >= 0;
}

/* Open part `name` for parsing into p.  Returns the reader (free it with xmlFreeTextReader,
 * which also closes the zip file), or NULL with err filled. */
static xmlTextReaderPtr
part_open(struct xlsx *x, const char *name, struct part *p, struct fb_err *err)
{
	xmlTextReaderPtr r;
	zip_int64_t idx;
	zip_stat_t st;

	memset(p, 0, sizeof(*p));
	p->x = x;
	p->name = name;
	p->cap = x->lim.max_part_bytes;
	p->run_cap = x->lim.max_cell_chars * XLSX_RAW_BYTES_PER_CHAR;
	idx = zip_name_locate(x->za, name, ZIP_FL_NOCASE);
	if (idx < 0) {
		fb_err_set(err, FB_EINVAL, "xlsx: part %s is missing", name);
		return NULL;
	}
	zip_stat_init(&st);
	if (zip_stat_index(x->za, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
	    st.size > p->cap) {
		fb_err_set(err, FB_ETOOBIG, "xlsx: part %s is larger than %zu bytes", name, p->cap);
		return NULL;
	}
	p->zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0);
	if (p->zf == NULL) {
		fb_err_set(err, FB_EINVAL, "xlsx: cannot read part %s: %s", name,
		           zip_strerror(x->za));
		return NULL;
	}
	r = xmlReaderForIO(part_read, part_close, p, name, NULL, XML_PARSE_NONET | XML_PARSE_COMPACT);
	if (r == NULL) {
		fb_err_set(err, FB_EINVAL, "xlsx: cannot parse part %s", name);
		return NULL;
	}
	xmlTextReaderSetStructuredErrorHandler(r, part_xml_error, p);
	return r;
}

static int
part_fail(struct part *p, struct fb_err *err)
{
	if (p->over == 1)
		fb_err_set(err, FB_ETOOBIG, "xlsx: part %s inflates to more than %zu bytes", p->name,
		           p->cap);
	else if (p->over == 2)
		fb_err_set(err, FB_ETOOBIG, "xlsx: archive inflates to more than %zu bytes",
		           p->x->lim.max_total_bytes);
	else if (p->over == 3)
		fb_err_set(err, FB_ETOOBIG, "xlsx: part %s holds a text longer than %zu characters "
		           "(Excel's limit for a cell)", p->name, p->x->lim.max_cell_chars);
	else if (p->zip_failed)
		fb_err_set(err, FB_EINVAL, "xlsx: part %s is corrupt: %s", p->name, p->zmsg);
	else if (p->xmsg[0] != '\0')
		fb_err_set(err, FB_EINVAL, "xlsx: malformed XML in %s line %d: %s", p->name, p->xline,
		           p->xmsg);
	else
		fb_err_set(err, FB_EINVAL, "xlsx: malformed XML in %s", p->name);
	return -1;
}

/* Advance to the next node: 1 on a node, 0 at the end, -1 with err filled. */
static int
part_next(xmlTextReaderPtr r, struct part *p, struct fb_err *err)
{
	int rc = xmlTextReaderRead(r), type;

	if (p->over || p->zip_failed || rc < 0)
		return part_fail(p, err);
	if (rc == 0)
		return 0;
	type = xmlTextReaderNodeType(r);
	if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY ||
	    type == XML_READER_TYPE_ENTITY_REFERENCE) {
		fb_err_set(err, FB_EINVAL, "xlsx: part %s has a DOCTYPE or entity reference "
		           "(not allowed)", p->name);
		return -1;
	}
	if (xmlTextReaderDepth(r) > XLSX_MAX_DEPTH) {
		fb_err_set(err, FB_EINVAL, "xlsx: part %s nests deeper than %d", p->name,
		           XLSX_MAX_DEPTH);
		return -1;
	}
	return 1;
}

static const char *
node_name(xmlTextReaderPtr r)
{
	const xmlChar *n = xmlTextReaderConstLocalName(r);

	return n ? (const char *)n : "";
}

static int
is_text_node(int type)
{
	return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
	       type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

static void
free_vals(char **vals, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(vals[i]);
}

/* Bytes of an attribute value kept without an allocation by attrs_peek. */
#define ATTR_INLINE 32

/*
 * Fetch attributes of the current element by local name (namespace declarations skipped).
 * vals[i] receives the value, or stays NULL when absent: with store (the attributes of
 * every row and cell), a value shorter than ATTR_INLINE is copied into store[i] and a
 * longer one malloc'ed, released with free_peeked; without, every value is malloc'ed
 * (free_vals).
 */
static void
attrs_peek(xmlTextReaderPtr r, const char *const *names, char **vals, size_t n,
           char (*store)[ATTR_INLINE])
{
	size_t i;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	if (xmlTextReaderMoveToFirstAttribute(r) != 1)
		return;
	do {
		const char *ln = node_name(r);
		const xmlChar *v;

		if (xmlTextReaderIsNamespaceDecl(r) == 1)
			continue;
		for (i = 0; i < n; i++) {
			if (vals[i] == NULL && strcmp(ln, names[i]) == 0) {
				size_t len;

				v = xmlTextReaderConstValue(r);
				len = v ? strlen((const char *)v) : 0;
				if (store != NULL && len < ATTR_INLINE) {
					memcpy(store[i], v ? (const char *)v : "", len);
					store[i][len] = '\0';
					vals[i] = store[i];
				} else {
					vals[i] = xstrdup(v ? (const char *)v : "");
				}
				break;
			}
		}
	} while (xmlTextReaderMoveToNextAttribute(r) == 1);
	xmlTextReaderMoveToElement(r);
}

static void
free_peeked(char **vals, size_t n, char (*store)[ATTR_INLINE])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (vals[i] != store[i])
			free(vals[i]);
}

static void
attrs_get(xmlTextReaderPtr r, const char *const *names, char **vals, size_t n)
{
	attrs_peek(r, names, vals, n, NULL);
}

/* ---- text helpers ------------------------------------------------------------------ */

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
 * joined, NUL and lone surrogates are kept literally.  Returns the new length. */
static size_t
decode_x(char *s, size_t n)
{
	size_t i = 0, o = 0;

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

/* Parse a non-negative decimal with no sign or spaces; -1 when not one or above max
 * (checked before each step, so that no digit string can overflow). */
static long
parse_uint(const char *s, long max)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		int d = *s - '0';

		if (d < 0 || d > 9 || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	return v;
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

/* Read a .rels part; external targets are dropped.  *out is freed with rels_free. */
static int
rels_load(struct xlsx *x, const char *name, struct rel **out, size_t *nout, struct fb_err *err)
{
	static const char *const names[] = {"Id", "Type", "Target", "TargetMode"};
	struct rel *rels = NULL;
	size_t n = 0, cap = 0;
	struct part p;
	xmlTextReaderPtr r;
	char *v[4];
	int rc;

	if ((r = part_open(x, name, &p, err)) == NULL)
		return -1;
	while ((rc = part_next(r, &p, err)) == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT ||
		    strcmp(node_name(r), "Relationship") != 0)
			continue;
		attrs_get(r, names, v, 4);
		if (v[0] == NULL || v[2] == NULL || (v[3] != NULL && strcmp(v[3], "Internal") != 0)) {
			free_vals(v, 4);
			continue;
		}
		if (n == XLSX_MAX_RELS) {
			free_vals(v, 4);
			fb_err_set(err, FB_ETOOBIG, "xlsx: %s has more than %d relationships", name,
			           XLSX_MAX_RELS);
			rc = -1;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			rels = xrealloc(rels, cap * sizeof(*rels));
		}
		rels[n].id = v[0];
		rels[n].type = v[1] ? v[1] : xstrdup("");
		rels[n].target = v[2];
		free(v[3]);
		n++;
	}
	xmlFreeTextReader(r);
	if (rc < 0) {
		rels_free(rels, n);
		return -1;
	}
	*out = rels;
	*nout = n;
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

static int
workbook_load(struct xlsx *x, const char *name, struct fb_err *err)
{
	static const char *const names[] = {"name", "state", "id"};
	size_t cap = 0;
	struct part p;
	xmlTextReaderPtr r;
	char *v[3];
	int rc;

	if ((r = part_open(x, name, &p, err)) == NULL)
		return -1;
	while ((rc = part_next(r, &p, err)) == 1) {
		const char *el;

		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
			continue;
		el = node_name(r);
		if (strcmp(el, "workbookPr") == 0) {
			static const char *const wp[] = {"date1904"};
			char *d;

			attrs_get(r, wp, &d, 1);
			x->date1904 = is_true(d);
			free(d);
			continue;
		}
		if (strcmp(el, "sheet") != 0)
			continue;
		attrs_get(r, names, v, 3);
		if (v[0] == NULL || v[2] == NULL || v[0][0] == '\0') {
			free_vals(v, 3);
			fb_err_set(err, FB_EINVAL, "xlsx: a sheet in %s has no name or id", name);
			rc = -1;
			break;
		}
		if (x->nsheets == XLSX_MAX_SHEETS) {
			free_vals(v, 3);
			fb_err_set(err, FB_ETOOBIG, "xlsx: more than %d sheets", XLSX_MAX_SHEETS);
			rc = -1;
			break;
		}
		if (x->nsheets == cap) {
			cap = cap ? cap * 2 : 8;
			x->sheets = xrealloc(x->sheets, cap * sizeof(*x->sheets));
		}
		x->sheets[x->nsheets].pub.name = v[0];
		x->sheets[x->nsheets].pub.state =
		        v[1] == NULL ? XLSX_SHEET_VISIBLE
		        : strcmp(v[1], "veryHidden") == 0 ? XLSX_SHEET_VERY_HIDDEN
		        : strcmp(v[1], "hidden") == 0 ? XLSX_SHEET_HIDDEN : XLSX_SHEET_VISIBLE;
		x->sheets[x->nsheets].rid = v[2];
		x->sheets[x->nsheets].part = NULL;
		x->nsheets++;
		free(v[1]);
	}
	xmlFreeTextReader(r);
	if (rc < 0)
		return -1;
	if (x->nsheets == 0) {
		fb_err_set(err, FB_EINVAL, "xlsx: the workbook has no sheets");
		return -1;
	}
	return 0;
}

/* ---- styles ------------------------------------------------------------------------ */

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

static int
styles_load(struct xlsx *x, const char *name, struct fb_err *err)
{
	static const char *const fmt_names[] = {"numFmtId", "formatCode"};
	struct numfmt *fmts = NULL;
	long *xf_fmt = NULL;
	size_t nfmts = 0, fcap = 0, xcap = 0, i, j;
	int in_xfs = 0, rc;
	struct part p;
	xmlTextReaderPtr r;
	char *v[2];

	if ((r = part_open(x, name, &p, err)) == NULL)
		return -1;
	while ((rc = part_next(r, &p, err)) == 1) {
		int type = xmlTextReaderNodeType(r);
		const char *el = node_name(r);

		if (type == XML_READER_TYPE_END_ELEMENT) {
			if (strcmp(el, "cellXfs") == 0)
				in_xfs = 0;
			continue;
		}
		if (type != XML_READER_TYPE_ELEMENT)
			continue;
		if (strcmp(el, "cellXfs") == 0) {
			in_xfs = !xmlTextReaderIsEmptyElement(r);
		} else if (strcmp(el, "numFmt") == 0) {
			attrs_get(r, fmt_names, v, 2);
			if (nfmts == XLSX_MAX_NUMFMTS) {
				free_vals(v, 2);
				fb_err_set(err, FB_ETOOBIG, "xlsx: more than %d number formats",
				           XLSX_MAX_NUMFMTS);
				rc = -1;
				break;
			}
			if (nfmts == fcap) {
				fcap = fcap ? fcap * 2 : 16;
				fmts = xrealloc(fmts, fcap * sizeof(*fmts));
			}
			fmts[nfmts].id = parse_uint(v[0], 1000000);
			fmts[nfmts].is_date = v[1] != NULL && format_is_date(v[1]);
			nfmts++;
			free_vals(v, 2);
		} else if (in_xfs && strcmp(el, "xf") == 0 && xmlTextReaderDepth(r) == 2) {
			static const char *const xn[] = {"numFmtId"};
			char *id;

			if (x->nxf == XLSX_MAX_XFS) {
				fb_err_set(err, FB_ETOOBIG, "xlsx: more than %d cell styles",
				           XLSX_MAX_XFS);
				rc = -1;
				break;
			}
			attrs_get(r, xn, &id, 1);
			if (x->nxf == xcap) {
				xcap = xcap ? xcap * 2 : 16;
				xf_fmt = xrealloc(xf_fmt, xcap * sizeof(*xf_fmt));
			}
			xf_fmt[x->nxf++] = id ? parse_uint(id, 1000000) : 0;
			free(id);
		}
	}
	xmlFreeTextReader(r);
	if (rc == 0) {
		x->xf_date = xcalloc(x->nxf ? x->nxf : 1, 1);
		for (i = 0; i < x->nxf; i++) {
			int found = 0;

			for (j = 0; j < nfmts && !found; j++) {
				if (fmts[j].id == xf_fmt[i]) {
					x->xf_date[i] = (unsigned char)fmts[j].is_date;
					found = 1;
				}
			}
			if (!found)
				x->xf_date[i] = (unsigned char)builtin_date(xf_fmt[i]);
		}
	} else {
		x->nxf = 0;
	}
	free(fmts);
	free(xf_fmt);
	return rc < 0 ? -1 : 0;
}

/* ---- shared strings ---------------------------------------------------------------- */

static int
sst_add(struct xlsx *x, struct buf *cur, size_t *cap, struct fb_err *err)
{
	size_t n;

	if (x->nsst == x->lim.max_shared_strings) {
		fb_err_set(err, FB_ETOOBIG, "xlsx: more than %zu shared strings",
		           x->lim.max_shared_strings);
		return -1;
	}
	buf_cstr(cur);
	n = decode_x(cur->data, cur->len);
	if (utf8_chars(cur->data) > x->lim.max_cell_chars) {
		fb_err_set(err, FB_ETOOBIG, "xlsx: shared string %zu is longer than %zu characters "
		           "(Excel's limit for a cell)", x->nsst, x->lim.max_cell_chars);
		return -1;
	}
	if (x->sst.len + n + 1 > x->lim.max_shared_bytes) {
		fb_err_set(err, FB_ETOOBIG, "xlsx: shared strings exceed %zu bytes",
		           x->lim.max_shared_bytes);
		return -1;
	}
	if (x->nsst == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		x->sst_off = xrealloc(x->sst_off, *cap * sizeof(*x->sst_off));
	}
	x->sst_off[x->nsst++] = x->sst.len;
	buf_add(&x->sst, cur->data, n);
	buf_add(&x->sst, "", 1);
	buf_reset(cur);
	return 0;
}

static int
sst_load(struct xlsx *x, const char *name, struct fb_err *err)
{
	struct buf cur = {0};
	size_t cap = 0;
	int in_si = 0, in_t = 0, skip = 0, rc;
	struct part p;
	xmlTextReaderPtr r;

	if ((r = part_open(x, name, &p, err)) == NULL)
		return -1;
	while ((rc = part_next(r, &p, err)) == 1) {
		int type = xmlTextReaderNodeType(r), depth = xmlTextReaderDepth(r);
		const char *el = node_name(r);

		if (type == XML_READER_TYPE_ELEMENT) {
			int empty = xmlTextReaderIsEmptyElement(r);

			if (skip)
				continue;
			if (strcmp(el, "si") == 0 && depth == 1) {
				buf_reset(&cur);
				if (empty) {
					if ((rc = sst_add(x, &cur, &cap, err)) < 0)
						break;
				} else {
					in_si = 1;
				}
			} else if (in_si && !empty && (strcmp(el, "rPh") == 0 ||
			                               strcmp(el, "phoneticPr") == 0)) {
				skip = depth;
			} else if (in_si && !empty && strcmp(el, "t") == 0) {
				in_t = 1;
			}
		} else if (type == XML_READER_TYPE_END_ELEMENT) {
			if (skip) {
				if (depth == skip)
					skip = 0;
			} else if (strcmp(el, "t") == 0) {
				in_t = 0;
			} else if (in_si && strcmp(el, "si") == 0 && depth == 1) {
				in_si = 0;
				if ((rc = sst_add(x, &cur, &cap, err)) < 0)
					break;
			}
		} else if (is_text_node(type) && in_si && in_t && !skip) {
			const xmlChar *t = xmlTextReaderConstValue(r);
			size_t n = t ? strlen((const char *)t) : 0;

			if (cur.len + n > x->lim.max_cell_bytes) {
				fb_err_set(err, FB_ETOOBIG, "xlsx: shared string %zu is longer than %zu "
				           "bytes", x->nsst, x->lim.max_cell_bytes);
				rc = -1;
				break;
			}
			if (n > 0)
				buf_add(&cur, t, n);
		}
	}
	if (rc < 0 && p.over == 3)
		fb_err_set(err, FB_ETOOBIG, "xlsx: shared string %zu is longer than %zu characters "
		           "(Excel's limit for a cell)", x->nsst, x->lim.max_cell_chars);
	xmlFreeTextReader(r);
	free(cur.data);
	return rc < 0 ? -1 : 0;
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
		fb_err_set(err, FB_ETOOBIG, "xlsx: the archive has %lld entries (limit %zu)",
		           (long long)nent, x->lim.max_entries);
		goto fail;
	}
	for (i = 0; i < (size_t)nent; i++) {
		zip_stat_init(&st);
		if (zip_stat_index(x->za, i, 0, &st) < 0) {
			fb_err_set(err, FB_EMEDIA, "not an xlsx (or encrypted): %s",
			           zip_strerror(x->za));
			goto fail;
		}
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE) {
			fb_err_set(err, FB_EMEDIA, "not an xlsx (or encrypted): entry %s is encrypted",
			           st.name ? st.name : "?");
			goto fail;
		}
		if ((st.valid & ZIP_STAT_COMP_METHOD) &&
		    !zip_compression_method_supported(st.comp_method, 0)) {
			fb_err_set(err, FB_EMEDIA, "not an xlsx: entry %s uses an unsupported "
			           "compression method", st.name ? st.name : "?");
			goto fail;
		}
	}

	/* The workbook part: from the package relationships, else the usual path. */
	if (part_exists(x, "_rels/.rels")) {
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
	if (!part_exists(x, wb)) {
		fb_err_set(err, FB_EMEDIA, "not an xlsx: no workbook part (%s)", wb);
		goto fail;
	}
	if (workbook_load(x, wb, err) < 0)
		goto fail;

	wbdir = dir_of(wb);
	wbrels = xasprintf("%s_rels/%s.rels", wbdir, wb + strlen(wbdir));
	if (!part_exists(x, wbrels)) {
		fb_err_set(err, FB_EINVAL, "xlsx: the workbook relationships (%s) are missing",
		           wbrels);
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
	if (path != NULL && part_exists(x, path) && styles_load(x, path, err) < 0)
		goto fail;
	free(path);

	rel = rels_by_type(rels, nrels, "/sharedStrings");
	path = rel ? path_resolve(wbdir, rel->target) : xasprintf("%ssharedStrings.xml", wbdir);
	if (path != NULL && part_exists(x, path) && sst_load(x, path, err) < 0)
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
		fb_err_set(err, FB_EIO, "xlsx: cannot open: %s", zip_error_strerror(&ze));
	else
		fb_err_set(err, FB_EMEDIA, "not an xlsx (or encrypted): %s",
		           zip_error_strerror(&ze));
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
		fb_err_set(err, FB_EMEDIA, "not an xlsx (or encrypted): the file is empty");
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

static struct sheet_ent *
sheet_lookup(const struct xlsx *x, const char *name)
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
	struct sheet_ent *s = sheet_lookup(x, name);

	return s ? &s->pub : NULL;
}

int
xlsx_date1904(const struct xlsx *x)
{
	return x->date1904;
}

/* ---- sheets ------------------------------------------------------------------------ */

struct rowstate {
	struct xlsx *x;
	const char *sheet;
	long row, prev_row;
	int row_has_r, row_ref_seen;
	int prev_col;
	struct xlsx_cell *cells;
	size_t *off; /* offset of the value in text, or SIZE_MAX when cells[i].value is set */
	size_t ncells, cap;
	struct buf text;

	/* the cell being read */
	int col;
	char ctype[16];
	long style;
	int in_v, in_is, in_t, have_v, have_is, have_f, skip;
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

/* "B12" → col 1, row 12.  -1 when malformed or beyond Excel's grid. */
static int
parse_ref(const char *s, int *col, long *row)
{
	long c = 0;
	int n = 0;

	while (isalpha((unsigned char)*s) && n < 4) {
		c = c * 26 + (toupper((unsigned char)*s) - 'A' + 1);
		s++;
		n++;
	}
	if (n == 0 || n > 3 || c > XLSX_EXCEL_COLS)
		return -1;
	*row = parse_uint(s, XLSX_EXCEL_ROWS);
	if (*row < 1)
		return -1;
	*col = (int)c - 1;
	return 0;
}

static int
row_start(struct rowstate *rs, xmlTextReaderPtr r, struct fb_err *err)
{
	static const char *const names[] = {"r"};
	char *v, store[1][ATTR_INLINE];
	long n;

	attrs_peek(r, names, &v, 1, store);
	rs->row_has_r = v != NULL;
	rs->row_ref_seen = 0;
	if (v != NULL) {
		n = parse_uint(v, XLSX_EXCEL_ROWS);
		if (n < 1) {
			fb_err_set(err, FB_EINVAL, "xlsx: sheet %s: bad row number \"%.32s\"",
			           rs->sheet, v);
			free_peeked(&v, 1, store);
			return -1;
		}
		free_peeked(&v, 1, store);
	} else {
		n = rs->prev_row + 1;
	}
	if (n <= rs->prev_row) {
		fb_err_set(err, FB_EINVAL, "xlsx: sheet %s: row %ld is out of order", rs->sheet, n);
		return -1;
	}
	if (n > rs->x->lim.max_rows || n > XLSX_EXCEL_ROWS) {
		fb_err_set(err, FB_ETOOBIG, "xlsx: sheet %s has more than %ld rows", rs->sheet,
		           rs->x->lim.max_rows);
		return -1;
	}
	rs->row = n;
	rs->prev_col = -1;
	rs->ncells = 0;
	buf_reset(&rs->text);
	return 0;
}

static int
row_end(struct rowstate *rs, xlsx_row_fn fn, void *arg, struct fb_err *err)
{
	size_t i;

	rs->prev_row = rs->row;
	if (rs->ncells == 0)
		return 0;
	buf_cstr(&rs->text);
	for (i = 0; i < rs->ncells; i++)
		if (rs->off[i] != SIZE_MAX)
			rs->cells[i].value = rs->text.data + rs->off[i];
	if (fn(arg, rs->row, rs->cells, rs->ncells, err) != 0) {
		if (err != NULL && err->code == FB_OK)
			fb_err_set(err, FB_EINTERNAL, "xlsx: reading stopped at row %ld", rs->row);
		return -1;
	}
	return 0;
}

static int
cell_start(struct rowstate *rs, xmlTextReaderPtr r, struct fb_err *err)
{
	static const char *const names[] = {"r", "t", "s"};
	char *v[3], name[24], store[3][ATTR_INLINE];
	int col;
	long row;
	int ret = -1;

	attrs_peek(r, names, v, 3, store);
	if (v[0] != NULL) {
		if (parse_ref(v[0], &col, &row) < 0) {
			fb_err_set(err, FB_EINVAL, "xlsx: sheet %s row %ld: bad or out of range cell "
			           "reference \"%.32s\"", rs->sheet, rs->row, v[0]);
			goto out;
		}
		if (!rs->row_has_r && !rs->row_ref_seen && row != rs->row) {
			/* a row without r takes the row its first cell names */
			if (row <= rs->prev_row || row > rs->x->lim.max_rows) {
				fb_err_set(err, row <= rs->prev_row ? FB_EINVAL : FB_ETOOBIG,
				           "xlsx: sheet %s: cell %s is out of order or beyond %ld rows",
				           rs->sheet, v[0], rs->x->lim.max_rows);
				goto out;
			}
			rs->row = row;
		}
		rs->row_ref_seen = 1;
		if (row != rs->row) {
			fb_err_set(err, FB_EINVAL, "xlsx: sheet %s: cell %s is not in row %ld",
			           rs->sheet, v[0], rs->row);
			goto out;
		}
	} else {
		col = rs->prev_col + 1;
	}
	if (col <= rs->prev_col) {
		cell_name(col, rs->row, name);
		fb_err_set(err, FB_EINVAL, "xlsx: sheet %s: cell %s is out of order", rs->sheet,
		           name);
		goto out;
	}
	if (col >= XLSX_EXCEL_COLS) {
		fb_err_set(err, FB_EINVAL, "xlsx: sheet %s row %ld: column beyond XFD", rs->sheet,
		           rs->row);
		goto out;
	}
	if (col >= rs->x->lim.max_cols) {
		fb_err_set(err, FB_ETOOBIG, "xlsx: sheet %s row %ld: more than %d columns",
		           rs->sheet, rs->row, rs->x->lim.max_cols);
		goto out;
	}
	if (v[1] != NULL && strlen(v[1]) >= sizeof(rs->ctype)) {
		fb_err_set(err, FB_EINVAL, "xlsx: sheet %s: unknown cell type \"%.16s\"", rs->sheet,
		           v[1]);
		goto out;
	}
	snprintf(rs->ctype, sizeof(rs->ctype), "%s", v[1] ? v[1] : "n");
	rs->style = v[2] ? parse_uint(v[2], 1000000) : 0;
	rs->col = col;
	rs->prev_col = col;
	rs->in_v = rs->in_is = rs->in_t = rs->have_v = rs->have_is = rs->have_f = rs->skip = 0;
	buf_reset(&rs->val);
	ret = 0;
out:
	free_peeked(v, 3, store);
	return ret;
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

/* The name of the cell being read ("B12"), for messages. */
static const char *
cell_here(const struct rowstate *rs, char name[24])
{
	cell_name(rs->col, rs->row, name);
	return name;
}

static int
cell_end(struct rowstate *rs, struct fb_err *err)
{
	struct xlsx_cell c = {.col = rs->col};
	const char *t = rs->ctype;
	char name[24];
	size_t off = SIZE_MAX;
	char *s;

	buf_cstr(&rs->val);
	s = rs->val.data;
	if (rs->have_f && rs->val.len == 0 && strcmp(t, "str") != 0 && strcmp(t, "inlineStr") != 0) {
		/*
		 * A formula that was never calculated (a generator wrote no value, or an empty
		 * <v/>; only a text result can be empty): there is nothing to take, and the cell
		 * is not empty either.
		 */
		s = (char *)XLSX_FORMULA_NO_VALUE;
		c.type = XLSX_ERROR;
		c.len = strlen(s);
		off = 0;
	} else if (strcmp(t, "s") == 0) {
		long idx;

		if (!rs->have_v)
			return 0;
		idx = parse_uint(s, LONG_MAX);
		if (idx < 0 || (size_t)idx >= rs->x->nsst) {
			fb_err_set(err, FB_EINVAL, "xlsx: sheet %s cell %s: shared string \"%.20s\" "
			           "out of range (%zu strings)", rs->sheet, cell_here(rs, name), s, rs->x->nsst);
			return -1;
		}
		c.type = XLSX_STRING;
		c.value = rs->x->sst.data + rs->x->sst_off[idx];
		c.len = strlen(c.value);
	} else if (strcmp(t, "inlineStr") == 0 || strcmp(t, "str") == 0) {
		if (t[0] == 'i' ? !rs->have_is : !rs->have_v)
			return 0;
		c.type = XLSX_STRING;
		c.len = decode_x(s, rs->val.len);
		if (utf8_chars(s) > rs->x->lim.max_cell_chars) {
			fb_err_set(err, FB_ETOOBIG, "xlsx: sheet %s cell %s: text longer than %zu "
			           "characters (Excel's limit for a cell)", rs->sheet, cell_here(rs, name),
			           rs->x->lim.max_cell_chars);
			return -1;
		}
		off = 0;
	} else if (strcmp(t, "b") == 0) {
		if (!rs->have_v)
			return 0;
		if (strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
			fb_err_set(err, FB_EINVAL, "xlsx: sheet %s cell %s: bad boolean \"%.20s\"",
			           rs->sheet, cell_here(rs, name), s);
			return -1;
		}
		c.type = XLSX_BOOL;
		c.len = 1;
		off = 0;
	} else if (strcmp(t, "e") == 0 || strcmp(t, "d") == 0) {
		if (!rs->have_v || rs->val.len == 0)
			return 0;
		c.type = t[0] == 'e' ? XLSX_ERROR : XLSX_DATE;
		c.is_date = t[0] == 'd';
		c.len = rs->val.len;
		off = 0;
	} else if (strcmp(t, "n") == 0) {
		char *end;

		if (!rs->have_v || rs->val.len == 0)
			return 0;
		errno = 0;
		c.num = strtod(s, &end);
		if (!is_number_text(s) || *end != '\0' || !isfinite(c.num)) {
			fb_err_set(err, FB_EINVAL, "xlsx: sheet %s cell %s: bad number \"%.20s\"",
			           rs->sheet, cell_here(rs, name), s);
			return -1;
		}
		c.type = XLSX_NUMBER;
		c.is_date = rs->style >= 0 && (size_t)rs->style < rs->x->nxf &&
		            rs->x->xf_date[rs->style];
		c.len = rs->val.len;
		off = 0;
	} else {
		fb_err_set(err, FB_EINVAL, "xlsx: sheet %s cell %s: unknown cell type \"%s\"",
		           rs->sheet, cell_here(rs, name), t);
		return -1;
	}
	if (rs->ncells == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 32;
		rs->cells = xrealloc(rs->cells, rs->cap * sizeof(*rs->cells));
		rs->off = xrealloc(rs->off, rs->cap * sizeof(*rs->off));
	}
	if (off == 0) {
		off = rs->text.len;
		buf_add(&rs->text, s, c.len);
		buf_add(&rs->text, "", 1);
	}
	rs->cells[rs->ncells] = c;
	rs->off[rs->ncells] = off;
	rs->ncells++;
	return 0;
}

int
xlsx_read_sheet(struct xlsx *x, const char *sheet, xlsx_row_fn fn, void *arg,
                struct fb_err *err)
{
	struct rowstate rs = {.x = x};
	struct sheet_ent *se;
	xmlTextReaderPtr r = NULL;
	struct part p;
	int in_data = 0, in_row = 0, in_c = 0, rc = -1;

	se = sheet == NULL ? (x->nsheets ? &x->sheets[0] : NULL) : sheet_lookup(x, sheet);
	if (se == NULL) {
		fb_err_set(err, FB_EINVAL, "xlsx: no sheet named \"%.64s\"", sheet ? sheet : "");
		return -1;
	}
	rs.sheet = se->pub.name;
	if (se->part == NULL || !part_exists(x, se->part)) {
		fb_err_set(err, FB_EINVAL, "xlsx: the part of sheet %s is missing", rs.sheet);
		return -1;
	}
	if ((r = part_open(x, se->part, &p, err)) == NULL)
		return -1;
	while ((rc = part_next(r, &p, err)) == 1) {
		int type = xmlTextReaderNodeType(r), depth;
		const char *el;

		if (is_text_node(type)) {
			const xmlChar *v;
			size_t n;

			if (!in_c || rs.skip || !(rs.in_v || (rs.in_is && rs.in_t)))
				continue;
			v = xmlTextReaderConstValue(r);
			n = v ? strlen((const char *)v) : 0;
			if (rs.val.len + n > x->lim.max_cell_bytes) {
				char name[24];

				cell_name(rs.col, rs.row, name);
				fb_err_set(err, FB_ETOOBIG, "xlsx: sheet %s cell %s: value longer than "
				           "%zu bytes", rs.sheet, name, x->lim.max_cell_bytes);
				rc = -1;
				break;
			}
			if (n > 0)
				buf_add(&rs.val, v, n);
			continue;
		}
		if (type != XML_READER_TYPE_ELEMENT && type != XML_READER_TYPE_END_ELEMENT)
			continue;
		el = node_name(r);
		depth = xmlTextReaderDepth(r);
		if (type == XML_READER_TYPE_END_ELEMENT) {
			if (rs.skip) {
				if (depth == rs.skip)
					rs.skip = 0;
			} else if (!in_data) {
				continue;
			} else if (strcmp(el, "sheetData") == 0) {
				break;
			} else if (in_c && strcmp(el, "c") == 0) {
				in_c = 0;
				if ((rc = cell_end(&rs, err)) < 0)
					break;
			} else if (in_row && !in_c && strcmp(el, "row") == 0) {
				in_row = 0;
				if ((rc = row_end(&rs, fn, arg, err)) < 0)
					break;
			} else if (strcmp(el, "v") == 0) {
				rs.in_v = 0;
			} else if (strcmp(el, "is") == 0) {
				rs.in_is = 0;
			} else if (strcmp(el, "t") == 0) {
				rs.in_t = 0;
			}
			continue;
		}
		/* start of an element */
		{
			int empty = xmlTextReaderIsEmptyElement(r);

			if (rs.skip)
				continue;
			if (!in_data) {
				if (strcmp(el, "sheetData") == 0) {
					if (empty)
						break;
					in_data = 1;
				}
				continue;
			}
			if (!in_row) {
				if (strcmp(el, "row") != 0)
					continue;
				if ((rc = row_start(&rs, r, err)) < 0)
					break;
				if (empty)
					rs.prev_row = rs.row;
				else
					in_row = 1;
				continue;
			}
			if (!in_c) {
				if (strcmp(el, "c") != 0)
					continue;
				if ((rc = cell_start(&rs, r, err)) < 0)
					break;
				if (!empty)
					in_c = 1;
				continue;
			}
			if (strcmp(el, "f") == 0 && !rs.in_is) {
				rs.have_f = 1;
			} else if (strcmp(el, "v") == 0 && !rs.in_is) {
				rs.have_v = 1;
				rs.in_v = !empty;
			} else if (strcmp(el, "is") == 0) {
				rs.have_is = 1;
				rs.in_is = !empty;
			} else if (rs.in_is && !empty && (strcmp(el, "rPh") == 0 ||
			                                  strcmp(el, "phoneticPr") == 0)) {
				rs.skip = depth;
			} else if (rs.in_is && !empty && strcmp(el, "t") == 0) {
				rs.in_t = 1;
			}
		}
	}
	if (rc > 0)
		rc = 0;
	if (rc < 0 && p.over == 3) {
		char name[24];

		cell_name(rs.col, rs.row, name);
		if (in_c)
			fb_err_set(err, FB_ETOOBIG, "xlsx: sheet %s cell %s: text longer than %zu "
			           "characters (Excel's limit for a cell)", rs.sheet, name,
			           x->lim.max_cell_chars);
		else
			fb_err_set(err, FB_ETOOBIG, "xlsx: sheet %s holds a text longer than %zu "
			           "characters (Excel's limit for a cell)", rs.sheet,
			           x->lim.max_cell_chars);
	}
	xmlFreeTextReader(r);
	free(rs.cells);
	free(rs.off);
	free(rs.text.data);
	free(rs.val.data);
	return rc < 0 ? -1 : 0;
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
