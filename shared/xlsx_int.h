/* SPDX-License-Identifier: MIT */
/*
 * xlsx_int.h: what the files of the xlsx reader share, and nothing any other module may use.
 *
 *   xlsx_read.c    the archive: opening, entry checks, workbook and relationships, sheet list
 *   xlsx_part.c    one part of the archive, inflated under the caps and fed to libxml2's
 *                  SAX2 push parser (no tree is built)
 *   xlsx_sst.c     the shared string table and the decoding of cell text (_xHHHH_)
 *   xlsx_styles.c  cell styles that are date formats, and date serials
 *   xlsx_sheet.c   one sheet's XML → rows of cells for the caller
 */
#ifndef FB_XLSX_INT_H
#define FB_XLSX_INT_H

#include <stddef.h>

#include <libxml/parser.h>
#include <zip.h>

#include "mem.h"
#include "msg.h"
#include "xlsx_read.h"

struct json_object;

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

/* ---- xlsx_part.c ------------------------------------------------------------------- */

/* The attributes of an element as libxml2's SAX2 hands them over: n groups of five
 * pointers (local name, prefix, URI, value, end of value); values are not NUL-terminated
 * and are borrowed until the start callback returns. */
struct xlsx_attrs {
	const xmlChar **a;
	int n;
};

/* The value of the first attribute with local name `name` (any namespace, as parts of
 * Strict OOXML use other ones) and its length in *len, or NULL when absent. */
const char *xlsx_attr(const struct xlsx_attrs *at, const char *name, size_t *len);
/* The same as a NUL-terminated copy the caller frees, or NULL when absent. */
char *xlsx_attr_dup(const struct xlsx_attrs *at, const char *name);

/*
 * What a part's reader does with the document.  Depth is the element's (the root is 0).
 * An empty element (<x/>) gets start with empty = 1 and no end, as an element with content
 * gets start with empty = 0, its content, then end.  text receives character data, CDATA
 * and whitespace alike, possibly in several pieces.  Each returns 0 to go on, 1 to stop
 * reading the part (success), -1 to stop with err filled.  Any of them may be NULL.
 */
struct xlsx_handler {
	int (*start)(void *arg, const char *name, int depth, int empty,
	             const struct xlsx_attrs *at, struct fb_err *err);
	int (*end)(void *arg, const char *name, int depth, struct fb_err *err);
	int (*text)(void *arg, const char *s, size_t n, struct fb_err *err);
};

/* Why a part stopped other than by a handler: a cap (see text_scan in xlsx_part.c). */
enum xlsx_over {
	XLSX_OVER_NONE,
	XLSX_OVER_PART,  /* the part inflates past max_part_bytes */
	XLSX_OVER_TOTAL, /* the handle has inflated max_total_bytes */
	XLSX_OVER_TEXT,  /* a run of character data is over max_cell_chars raw characters */
};

/* Where a raw-byte scan of a part stands (see text_scan). */
enum xlsx_scan {
	SCAN_TEXT,    /* character data */
	SCAN_LT,      /* just after '<' */
	SCAN_TAG,     /* inside an element tag (or a declaration) */
	SCAN_QUOTE,   /* inside a quoted attribute value; quote says which */
	SCAN_BANG,    /* after "<!": telling a comment, CDATA or a declaration apart */
	SCAN_COMMENT, /* inside <!-- --> */
	SCAN_CDATA,   /* inside <![CDATA[ ]]> */
	SCAN_PI,      /* inside <? ?> */
};

/* One part being parsed (the caller's, filled by xlsx_part_parse). */
struct xlsx_part {
	struct xlsx *x;
	const char *name;
	zip_file_t *zf;
	xmlParserCtxtPtr ctxt;
	const struct xlsx_handler *h;
	void *arg;
	struct fb_err *err;
	size_t read, cap;
	enum xlsx_scan scan;
	char quote;        /* SCAN_QUOTE: the closing quote; SCAN_BANG: the first byte */
	int seen;          /* SCAN_BANG: bytes after "<!" matched; COMMENT/CDATA/PI: closing
	                      characters seen in a row */
	size_t run;        /* bytes of character data since the last element tag */
	size_t run_cap;    /* the most run may reach */
	enum xlsx_over over;
	int depth;         /* of the next element to start */
	int drop_end;      /* the element just started is empty: its end is not passed on */
	int status;        /* 0 reading, 1 a handler is done, -1 failed with err filled */
	int zip_failed;
	char zmsg[128];
	char xmsg[200];    /* first libxml2 error */
	int xline;
};

/*
 * Parse part `name` of x with h (arg passed to each callback).  p is filled as the part is
 * read; after a failure p->over tells a cap apart, so that the caller can name the cell or
 * string in its message instead.  Returns 0 (read whole, or a handler returned 1), or -1
 * with err filled.  p holds nothing to release afterwards.
 */
int xlsx_part_parse(struct xlsx *x, const char *name, const struct xlsx_handler *h, void *arg,
                    struct xlsx_part *p, struct fb_err *err) FB_MUSTCHECK;
int xlsx_part_exists(struct xlsx *x, const char *name);

/* ---- shared helpers ---------------------------------------------------------------- */

/* Fill err with message mcode of msg.c's catalogue ("xlsx.*"): code is the fb_code, then
 * (name, value) pairs of parameters as msg_args takes them. */
#define xlsx_fail(err, code, mcode, ...) \
	fb_err_msg((err), (code), (mcode), msg_args(__VA_ARGS__, NULL))
/* Parameter values (new json-c objects): a string; at most max bytes of the len bytes at s,
 * cut on a character boundary; a number. */
struct json_object *xlsx_str(const char *s);
struct json_object *xlsx_quote(const char *s, size_t len, size_t max);
struct json_object *xlsx_num(long long n);

/* A non-negative decimal of n bytes with no sign or spaces; -1 when not one or above max. */
long xlsx_parse_uint(const char *s, size_t n, long max);
/* Decode OOXML "_xHHHH_" escapes in place (xlsx_sst.c); returns the new length. */
size_t xlsx_decode_x(char *s, size_t n);

/* A sheet by name as xlsx_sheet_find looks for it (xlsx_read.c), or NULL. */
struct sheet_ent *xlsx_sheet_lookup(const struct xlsx *x, const char *name);

/* ---- loaders run by xlsx_open_* (-1 with err filled) --------------------------------- */

int xlsx_styles_load(struct xlsx *x, const char *name, struct fb_err *err) FB_MUSTCHECK;
int xlsx_sst_load(struct xlsx *x, const char *name, struct fb_err *err) FB_MUSTCHECK;

#endif
