/* SPDX-License-Identifier: MIT */
/*
 * column: what each column of a flowbatch workbook holds and accepts — the columns of the
 * single sheet (and of the error workbook), the rows of the multi layout's form sheet and
 * the columns of its table sheets: label, hint, value format, width, the dropdown lists
 * they need on sheet "Lists" and their data validations (template.h states the layout).
 *
 * Plans are malloc'ed into the struct book (book.h) they belong to; book_done() frees them
 * with column_free().  Formats belong to the book's workbook.
 */
#ifndef FB_COLUMN_H
#define FB_COLUMN_H

#include <stddef.h>

#include <xlsxwriter.h>

#include "err.h"

struct book;
struct schema_field;

enum col_kind {
	COL_TASK_ID, COL_TITLE, COL_FIELD, COL_ACTION, COL_COMMENT, COL_ASSIGNEE,
	COL_REASON /* the error workbook's reason: read-only, not in the meta, never imported */
};

/* A column of the single sheet, a row of the form sheet, or a column of a table sheet. */
struct col {
	enum col_kind kind;
	const struct schema_field *f;
	int writable;
	int required;
	char *label;        /* header text, " *" for required; malloc'ed */
	char *hint;         /* what is expected; malloc'ed */
	char *list;         /* list validation formula (a range), or NULL; malloc'ed */
	size_t dep_lookup;  /* dependent select: 1 + the Lists column of its lookup, or 0 */
	size_t dep_rows;    /* rows of that lookup */
	lxw_format *fmt;    /* value cells */
	double width;
	size_t pos;         /* column (single) or row (form) of this entry */
};

/* A column of sheet "Lists". */
struct listcol {
	char *header;
	char **vals; /* malloc'ed strings */
	size_t n;
	char *name;  /* a defined name for rows 2..n+1, or NULL */
};

/*
 * Plan b's entries (b->cols: task id, title, the visible fields — in the single layout
 * read-only ones first, then the writable ones, table fields left out —, 操作, 审批意见,
 * 下一处理人 when the next node is 'choose', then b->reason's column if any), the table
 * sheets of the multi layout (b->tables, their sheet names made unique) and the Lists
 * columns all of them need (b->lc).  The book's formats must exist.
 */
void column_plan(struct book *b);
void column_free(struct col *c, size_t n);

/* The position of the entry of field key, or -1 when it has none. */
long column_of_field(const struct book *b, const char *key);
/* The meta key of c ("task_id", "f:<field key>", ...) in buf, or NULL for COL_REASON. */
const char *column_key(const struct col *c, char *buf, size_t n);
/* The field's own label (without " *"), or c's label. */
const char *column_title(const struct col *c);
/* The format of c's value cells in a row (NULL: the sheet's default, locked). */
lxw_format *column_format(const struct book *b, const struct col *c);

/*
 * The data validation of c (a dropdown, a length, a number or date range, or only the
 * input message of its hint) over rows r1..r2 of column col of ws, titled label;
 * parent_ref is the cell of its parent (relative to r1) for a dependent select, or NULL
 * (no dropdown then).  0, or -1 with err.
 */
int column_validate(lxw_worksheet *ws, const struct book *b, const struct col *c,
                    const char *label, size_t r1, size_t r2, size_t col, const char *parent_ref,
                    struct fb_err *err) FB_MUSTCHECK;

#endif
