/* SPDX-License-Identifier: MIT */
/*
 * xlsx_read: a streaming reader for untrusted .xlsx files (libzip + libxml2's SAX2 push
 * parser; the implementation is xlsx_read.c with xlsx_part.c, xlsx_sst.c, xlsx_styles.c and
 * xlsx_sheet.c, sharing xlsx_int.h).
 *
 *   struct xlsx_limits lim = xlsx_limits_default();
 *   struct xlsx *x = xlsx_open_buffer(body, len, &lim, &err);    (body borrowed until close)
 *   xlsx_read_sheet(x, NULL, on_row, ctx, &err);                  (NULL = the first sheet)
 *   xlsx_close(x);
 *
 * Every size is capped by struct xlsx_limits and the bytes are counted while inflating (the
 * sizes an archive declares are not trusted).  Only the shared string table (capped) and the
 * small parts' results (sheet list, styles) are kept in memory; sheets are streamed row by
 * row.  Errors: FB_EMEDIA (not an xlsx, or encrypted), FB_ETOOBIG (a cap was hit),
 * FB_EINVAL (malformed or hostile content), FB_EIO (a file could not be read); they carry
 * a message code of msg.c ("xlsx.*") and its parameters, but for FB_EINTERNAL.
 * The caller calls xmlInitParser() once (in main) before using this module.
 */
#ifndef FB_XLSX_READ_H
#define FB_XLSX_READ_H

#include <stddef.h>

#include "err.h"

struct xlsx_limits {
	size_t max_entries;        /* zip entries */
	size_t max_part_bytes;     /* inflated bytes of any one part */
	size_t max_total_bytes;    /* inflated bytes read over the life of the handle */
	size_t max_shared_strings; /* entries of the shared string table */
	size_t max_shared_bytes;   /* decoded bytes of the shared string table */
	long max_rows;             /* highest row number accepted (1-based) */
	int max_cols;              /* highest column accepted (1-based: 26 = Z) */
	size_t max_cell_bytes;     /* decoded bytes of one cell value */
	size_t max_cell_chars;     /* characters of one cell's text (Excel's own limit) */
};

/* Excel's limit on the characters of one cell. */
#define XLSX_EXCEL_CELL_CHARS 32767
/* Raw XML bytes one character of cell text may take at most ("&#x10FFFF;"). */
#define XLSX_RAW_BYTES_PER_CHAR 10

/* Defaults sized for batch imports: 1000 entries, 64 MiB a part, 256 MiB in all, 1e6 shared
 * strings / 64 MiB, 100000 rows, 1024 columns, 128 KiB and 32767 characters a cell.
 *
 * Text is bounded twice: any run of character data (text and CDATA between two tags) in
 * any part is refused while the part is being inflated, once it passes max_cell_chars *
 * XLSX_RAW_BYTES_PER_CHAR raw bytes, so that the XML parser never sees a huge text; and the decoded text of a cell or shared string is refused past max_cell_chars
 * characters or max_cell_bytes bytes.  Both errors name the shared string or the cell. */
struct xlsx_limits xlsx_limits_default(void);

enum xlsx_type {
	XLSX_STRING, /* shared, inline, or a formula's text result (t="str") */
	XLSX_NUMBER, /* is_date is set when the cell's style is a date format */
	XLSX_BOOL,   /* value "0" or "1" */
	XLSX_ERROR,  /* value such as "#N/A", or XLSX_FORMULA_NO_VALUE */
	XLSX_DATE,   /* t="d": value is the ISO 8601 text as stored; is_date is set */
};

/* The value of an error cell standing for a formula stored without a calculated value. */
#define XLSX_FORMULA_NO_VALUE "#FORMULA (not calculated)"

struct xlsx_cell {
	int col;             /* 0-based column (0 = A) */
	enum xlsx_type type;
	int is_date;
	const char *value;   /* UTF-8, NUL-terminated; the number text for XLSX_NUMBER */
	size_t len;          /* bytes of value */
	double num;          /* XLSX_NUMBER: the parsed value; 0 otherwise */
};

/*
 * Called once per row that holds at least one value, in ascending row order.  cells holds
 * only the non-empty cells, ascending by column; cells and their values are borrowed until
 * the callback returns.  Return 0 to go on, -1 to stop: xlsx_read_sheet then returns -1 with
 * the err the callback filled left as it is.
 */
typedef int (*xlsx_row_fn)(void *arg, long row, const struct xlsx_cell *cells, size_t ncells,
                           struct fb_err *err);

enum xlsx_sheet_state { XLSX_SHEET_VISIBLE, XLSX_SHEET_HIDDEN, XLSX_SHEET_VERY_HIDDEN };

struct xlsx_sheet {
	const char *name; /* UTF-8, borrowed until xlsx_close */
	enum xlsx_sheet_state state;
};

struct xlsx;

/* Open an archive held in memory: data is borrowed until xlsx_close.  lim NULL = defaults.
 * The workbook, its relationships, the styles and the shared strings are read here.
 * Returns a handle the caller releases with xlsx_close, or NULL with err filled. */
struct xlsx *xlsx_open_buffer(const void *data, size_t len, const struct xlsx_limits *lim,
                              struct fb_err *err) FB_MUSTCHECK;
/* The same for a file on disk (read through libzip, not loaded whole). */
struct xlsx *xlsx_open_file(const char *path, const struct xlsx_limits *lim,
                            struct fb_err *err) FB_MUSTCHECK;
void xlsx_close(struct xlsx *x);

/* Sheets in workbook order (index 0 is the first sheet), hidden ones included. */
size_t xlsx_sheet_count(const struct xlsx *x);
const struct xlsx_sheet *xlsx_sheet_at(const struct xlsx *x, size_t i);
/* By name: exact bytes first, then ASCII case-insensitively as Excel does; NULL if absent. */
const struct xlsx_sheet *xlsx_sheet_find(const struct xlsx *x, const char *name);
int xlsx_date1904(const struct xlsx *x);

/* Stream the rows of a sheet (NULL = the first sheet, whatever its state) to fn.  May be
 * called several times on one handle; every call counts towards max_total_bytes. */
int xlsx_read_sheet(struct xlsx *x, const char *sheet, xlsx_row_fn fn, void *arg,
                    struct fb_err *err) FB_MUSTCHECK;

/* A date serial (the integer part; the time of day is dropped) as "YYYY-MM-DD".  The 1900
 * system counts the nonexistent 1900-02-29 as serial 60, so serials from 61 on are shifted;
 * serial 60 itself, serials below 1 (0 in the 1904 system), NaN and dates after 9999-12-31
 * give -1.  Returns 0 with out filled. */
int xlsx_serial_to_date(double serial, int date1904, char out[11]) FB_MUSTCHECK;

#endif
