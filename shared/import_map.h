/* SPDX-License-Identifier: MIT */
/*
 * import_map: the sheets of a filled template (its meta verified) mapped to the rows of a
 * submission.  Columns are found by the labels the template's meta gives them; a row's
 * cells become a task id, an action and, later, its form values converted by the schema.
 * The single layout is mapped in import_map.c, the multi layout (one workbook, one row)
 * in import_form.c.  Used by the import driver (import.c) and the checker
 * (import_check.c) only.
 *
 *   struct imap m = {.cfg = cfg, .node = node, .rep = &rep};
 *   imap_single(&m, x, meta, &err);        (or imap_multi for each workbook of a pack)
 *   ... imap_row_values(&m, &m.rows[i], &form, &comment, &assignee) ...
 *   imap_free(&m);
 *
 * Memory: struct imap owns the rows, their cell records (one buffer for all rows) and the
 * column list; the meta, node and report are borrowed.
 */
#ifndef FB_IMPORT_MAP_H
#define FB_IMPORT_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "mem.h"

struct json_object;
struct node_info;
struct schema_field;
struct xlsx;
struct import_report;

enum imap_kind { IMAP_TASK, IMAP_TITLE, IMAP_FIELD, IMAP_ACTION, IMAP_COMMENT, IMAP_ASSIGNEE };

struct imap_col {
	enum imap_kind kind;
	const char *key;                /* meta key, borrowed from the meta */
	const char *label;              /* header text, borrowed from the meta or static */
	const struct schema_field *f;   /* IMAP_FIELD */
	int writable;                   /* per the node's view now */
};

/* A row to process: its cells are records in imap.cells from off (see import_map.c). */
struct imap_row {
	int64_t task_id;    /* 0 when the cell was not a valid id (already reported) */
	long row;           /* single: sheet row; multi: row of the action in the form sheet */
	int row_no;         /* single: sheet row; multi: workbook number */
	int action;         /* enum import_action */
	int bad;            /* a problem was reported while mapping */
	size_t off;
	char *file;         /* multi: the entry name (malloc'ed) */
	struct json_object *tables; /* multi: {"<field>":[..]} of writable tables, or NULL */
};

struct imap {
	const struct fb_config *cfg;    /* borrowed */
	const struct node_info *node;   /* borrowed: the node of the first workbook */
	struct import_report *rep;      /* borrowed: where problems go */
	/* columns of the current workbook's meta */
	struct imap_col *cols;
	size_t ncols;
	int c_task, c_action;           /* indexes into cols, or -1 */
	int *col_at;                    /* single: sheet column -> col index or -1 */
	int ncol_at;
	int have_header;
	/* collected rows */
	struct buf cells;
	struct imap_row *rows;
	size_t nrows, caprows;
	size_t skipped;
	/* the current workbook */
	const char *file;               /* multi: its entry name, borrowed; NULL for single */
	int workbook_no;
	int date1904;
};

/* The rows of a single-layout workbook (sheet 审批) by meta's columns.  0, or -1 with err
 * for the file as a whole; problems of rows go to the report. */
int imap_single(struct imap *m, struct xlsx *x, struct json_object *meta,
                struct fb_err *err) FB_MUSTCHECK;
/* The one row of a multi-layout workbook (its form sheet and table sheets), unless its
 * action is blank (import_form.c).  As imap_single. */
int imap_multi(struct imap *m, struct xlsx *x, struct json_object *meta,
               struct fb_err *err) FB_MUSTCHECK;

/*
 * The values of row r's cells converted by the schema: *form a new object of the fields
 * given (blank cells leave a field out; tables of a multi workbook included); *comment
 * and *assignee the texts of those cells or NULL, borrowed from m.  Conversion problems
 * go to the report and make the return 1; 0 when all converted.
 */
int imap_row_values(const struct imap *m, const struct imap_row *r, struct json_object **form,
                    const char **comment, const char **assignee);

/* ---- for the mappers of the two layouts (import_map.c, import_form.c) ---------------- */

/* Kinds of a stored cell. */
#define IMAP_CELL_TEXT 's'
#define IMAP_CELL_NUMBER 'n'
#define IMAP_CELL_ERROR 'e'

struct xlsx_cell;

/* The column list of a verified meta (the node set); -1 with err when a column names a
 * field the form no longer has. */
int imap_columns(struct imap *m, struct json_object *meta, struct fb_err *err) FB_MUSTCHECK;
/* Whether a column must be in the file (task id, action, required writable fields) / whether
 * its values are kept for the checks (writable fields, comment, assignee). */
int imap_col_required(const struct imap *m, const struct imap_col *c);
int imap_col_kept(const struct imap_col *c);
/* A cell's text: *kind IMAP_CELL_*; buf holds converted dates and booleans. */
const char *imap_cell_text(const struct imap *m, const struct xlsx_cell *c, char buf[32],
                           char *kind);
/* A cell record of the current row (column index col, sheet row srow) / the row's end. */
void imap_rec_add(struct buf *b, int col, char kind, long srow, const char *text);
void imap_rec_end(struct buf *b);
/* A new row, or NULL with FB_ETOOBIG (message code too_many) past batch.max_tasks. */
struct imap_row *imap_row_push(struct imap *m, const char *too_many, struct fb_err *err);
/* A task id from a cell: digits (text or a whole number); 0 when it is not one. */
int64_t imap_task_id(const struct xlsx_cell *c);

/* The number meta holds under key (node_id, task_id), 0 when none. */
int64_t imap_meta_id(struct json_object *meta, const char *key);

/* The header text of field key in the current workbook, for details; NULL when absent. */
const char *imap_field_column(const struct imap *m, const char *key);

void imap_free(struct imap *m);

/* Skip ASCII white space and U+3000 at the start of s / the length of s without them at
 * its end. */
const char *imap_skip_ws(const char *s);
size_t imap_trim_end(const char *s, size_t n);

#endif
