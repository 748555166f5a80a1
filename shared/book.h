/* SPDX-License-Identifier: MIT */
/*
 * book: the layout of a flowbatch workbook — its sheets (the single sheet or the multi
 * layout's form and table sheets, 说明, the hidden Lists and _meta), header rows, column
 * widths and formats, the dropdown lists and their defined names, data validations with
 * dependent dropdowns, the signed meta, the help text and the protection (which cells are
 * locked).  template.h states the layout contract.  The template (rows of pending tasks,
 * template_rows.h, pack.h) and the error workbook (failed items and their reasons,
 * errbook.h) are both written through it, so that they cannot drift apart.
 *
 * A workbook is written by libxlsxwriter in constant-memory mode, strictly row by row:
 * book_open() plans the columns and writes Lists and 说明; the caller then writes the
 * single sheet's header (book_head), its rows (cell.h, column_format() for each column's
 * format) and its validations (book_validations) — or the multi layout's sheets
 * (book_form) —, then book_meta() and book_close().
 *
 * Ownership: a struct book owns its workbook until book_close() and its plans until
 * book_done(); once book_open() was called, call both whatever it returned (a zeroed book
 * may be passed to either).  cfg and node are borrowed for the
 * book's life.  The file at path is the caller's to unlink.  One thread per book.
 */
#ifndef FB_BOOK_H
#define FB_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include <xlsxwriter.h>

#include "column.h"
#include "config.h"
#include "err.h"
#include "schema.h"

struct json_object;
struct node_info;

/* A table sheet of the multi layout. */
struct table {
	const struct schema_field *f;
	int writable;
	char *sheet;
	struct col *cols;
	size_t ncols;
	lxw_worksheet *ws;
};

struct book {
	lxw_workbook *wb;
	const struct node_info *node;
	const struct fb_config *cfg;
	const struct schema *s;
	const struct view *v;
	int multi;
	const char *reason; /* the header of the error workbook's reason column, or NULL */
	lxw_worksheet *main, *help, *lists, *meta;
	lxw_format *hdr, *hdr_edit, *hdr_req, *id, *text[2], *date[2], *num[SCHEMA_MAX_DECIMALS + 1][2];
	lxw_format *wrap;
	struct col *cols;
	size_t ncols;
	struct listcol *lc;
	size_t nlc;
	struct table *tables;
	size_t ntables;
	char **sheet_names;
	size_t nsheet_names;
};

/*
 * Open a workbook at path (temporary files in cfg->web_tmpdir) in the single (multi 0) or
 * multi layout of node, plan it and write its Lists and 说明 sheets.  reason (borrowed,
 * single layout only) adds a last read-only column with that header: the error workbook.
 * 0, or -1 with err (FB_EIO, FB_EINTERNAL).
 */
int book_open(struct book *b, const struct fb_config *cfg, const struct node_info *node,
              int multi, const char *reason, const char *path, struct fb_err *err) FB_MUSTCHECK;
/* The single sheet's header row, column widths and formats, frozen panes. */
int book_head(struct book *b, struct fb_err *err) FB_MUSTCHECK;
/* The single sheet's validations over data rows 1..rows (after the rows: constant memory). */
int book_validations(struct book *b, size_t rows, struct fb_err *err) FB_MUSTCHECK;
/* The multi layout's form sheet and table sheets of one task (form borrowed). */
int book_form(struct book *b, int64_t task_id, const char *title, struct json_object *form,
              struct fb_err *err) FB_MUSTCHECK;
/* The _meta sheet: the meta document of the columns (task_id for multi) and its signature. */
int book_meta(struct book *b, int64_t task_id, struct fb_err *err) FB_MUSTCHECK;
/*
 * When ok, protect (only the writable cells stay editable), hide Lists and _meta and write
 * the file; then free the workbook either way.  0, or -1 (with err when ok was set).
 */
int book_close(struct book *b, int ok, struct fb_err *err) FB_MUSTCHECK;
/* Free the plans (the workbook must be closed). */
void book_done(struct book *b);

#endif
