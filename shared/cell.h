/* SPDX-License-Identifier: MIT */
/*
 * cell: form values as the cells of a libxlsxwriter sheet, for the workbooks flowbatch
 * writes (template.h states how each kind of value is written).  A struct cell is a value
 * converted ahead of its writing — by the export's row producer, in another thread than
 * the writer — whose text lives in a caller's buffer, so that a page of rows needs one
 * allocation for all of its text.
 *
 * Strings, formats and sheets passed in are borrowed; nothing here keeps a pointer.
 */
#ifndef FB_CELL_H
#define FB_CELL_H

#include <stddef.h>

#include <xlsxwriter.h>

#include "err.h"
#include "mem.h"

struct json_object;
struct schema_field;

#define CELL_MAX 32767 /* characters in an Excel cell: longer text is cut there */

enum cell_kind { CELL_NONE, CELL_STR, CELL_NUM, CELL_DATE };

struct cell {
	enum cell_kind kind;
	int y, m, d;   /* CELL_DATE */
	double num;    /* CELL_NUM */
	size_t off;    /* CELL_STR: offset of its NUL-terminated text in the caller's buffer */
};

/* -1 with FB_EINTERNAL "xlsx: <what>: <libxlsxwriter's message>". */
int cell_fail(struct fb_err *err, const char *what, lxw_error e);

/* A string cell of s (cut to CELL_MAX characters), its text appended to text. */
void cell_str(struct cell *c, const char *s, struct buf *text);
/*
 * The cell of the value of field f (value borrowed, may be NULL: no cell): a number as a
 * number, a yyyy-mm-dd date from 1900 on as a date, anything else as its text.
 */
void cell_of(const struct schema_field *f, struct json_object *value, struct buf *text,
             struct cell *c);
/*
 * The same cell as cell_of() for a form value given as text: NULL (no member, or JSON
 * null) for none, else the first letter of its JSON type as PostgreSQL's jsonb_typeof()
 * names it ('s'tring, 'n'umber, 'o'bject, 'a'rray, 'b'oolean) followed by its text as
 * jsonb's ->> gives it (a string unquoted, anything else as JSON).  Strings and plain
 * numbers are converted without a JSON parser.  0, or -1 with err (text not JSON).
 */
int cell_of_typed(const struct schema_field *f, const char *v, struct buf *text, struct cell *c,
                  struct fb_err *err) FB_MUSTCHECK;
/* Write c (its text in text) at row, col; CELL_NONE writes nothing.  0, or -1 with err. */
int cell_write(lxw_worksheet *ws, size_t row, size_t col, const struct cell *c,
               const char *text, lxw_format *fmt, struct fb_err *err) FB_MUSTCHECK;
/* Write the string s, cut to CELL_MAX characters.  0, or -1 with err. */
int cell_write_str(lxw_worksheet *ws, size_t row, size_t col, const char *s, lxw_format *fmt,
                   struct fb_err *err) FB_MUSTCHECK;
/* Write the value of field f (borrowed, may be NULL) into one cell.  0, or -1 with err. */
int cell_write_value(lxw_worksheet *ws, size_t row, size_t col, const struct schema_field *f,
                     struct json_object *value, lxw_format *fmt, struct fb_err *err) FB_MUSTCHECK;
/* A blank cell with the format fmt (an unlocked cell to fill in).  0, or -1 with err. */
int cell_write_blank(lxw_worksheet *ws, size_t row, size_t col, lxw_format *fmt,
                     struct fb_err *err) FB_MUSTCHECK;

/* The member key of the JSON object form (borrowed), or NULL (not an object, no member). */
struct json_object *cell_form_value(struct json_object *form, const char *key);

#endif
