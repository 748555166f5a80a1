/* SPDX-License-Identifier: MIT */
/*
 * import: a filled Excel template (shared/template.h describes the layout) read back and
 * validated as a batch would be, row by row, before anything is written.
 *
 *   struct import_result res;
 *   if (import_load(db, cfg, user, 0, 0, body, len, &res, &err) == 0) {
 *       spec.node_id = res.node_id; spec.task_ids = res.task_ids; spec.ntasks = res.n;
 *       spec.row_data = res.row_data; spec.row_no = res.row_no; spec.is_single = ...;
 *       batch_submit(...);
 *   }
 *   import_result_free(&res);
 *
 * The upload is held in memory by the caller and read from there (no temp files): a
 * single-layout .xlsx, or a .zip of multi-layout workbooks read one at a time.  Every
 * problem of every row is collected: FB_EVALIDATION with err->details holding
 * {"row","column","field","message"} (plus "file" for a workbook of a zip), at most
 * IMPORT_MAX_DETAILS of them and the number left out in the message.
 *
 * Memory: a result owns its arrays and the row_data texts; import_result_free releases
 * them.  The body passed in is borrowed for the duration of the call.
 */
#ifndef FB_IMPORT_H
#define FB_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "user.h"

#define IMPORT_MAX_DETAILS 1000   /* error details reported; the rest are counted */
#define IMPORT_ROW_SLACK 1000     /* rows accepted past batch.max_tasks (blank ones) */
#define IMPORT_MAX_WORKBOOK (32u << 20) /* inflated bytes of one workbook of a zip */
#define IMPORT_MAX_ZIP_TOTAL (256u << 20) /* inflated bytes of all workbooks of a zip */
#define IMPORT_TASK_CHUNK 5000   /* rows whose tasks are fetched and checked together */
#define IMPORT_ERROR_HEADER "错误原因" /* the reason column of an error workbook */

struct import_result {
	int64_t node_id;
	int is_single;                  /* 1 for a single-layout workbook, 0 for a zip */
	size_t n;                       /* rows to process (rows with an action) */
	int64_t *task_ids;              /* n, malloc'ed */
	int *row_no;                    /* n: sheet row (single) or workbook number (multi) */
	/*
	 * n texts for batch_spec.row_data: each row's post_data as compact JSON,
	 * {"form":{..},"action":"approve"|"reject","comment":..,"assignee":..}, pointing into
	 * row_text (all of them in one buffer, so that 50,000 rows stay small).  NULL after a
	 * check-only load.
	 */
	const char **row_data;
	char *row_text;
	/* Where the time went, for the log: reading and mapping the file, checking the rows
	 * (of which waiting for the tasks' query), in milliseconds. */
	long read_ms, check_ms, tasks_ms;
};

/*
 * Read and validate an upload for user u; node_id, when not 0, is the node the user
 * means to import at (a template of another node is then refused); check_only (a dry
 * run) checks everything but builds no row_data.  0 with *out filled (n >= 1), or -1 with err:
 * FB_EMEDIA (not an xlsx or a zip, or encrypted), FB_ETOOBIG (a size or row cap),
 * FB_EVALIDATION (wrong template, or problems in rows: see above), FB_EINVAL (hostile
 * or malformed content), FB_EDB.  *out is always safe to pass to import_result_free.
 */
int import_load(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
                int64_t node_id, int check_only, const void *data, size_t len,
                struct import_result *out, struct fb_err *err) FB_MUSTCHECK;
void import_result_free(struct import_result *res);

/* ---- pure helpers (also for tests) --------------------------------------------------- */

enum import_action {
	IMPORT_ACTION_INVALID = -1,
	IMPORT_ACTION_NONE = 0,   /* blank: the row is not processed */
	IMPORT_ACTION_APPROVE = 1,
	IMPORT_ACTION_REJECT = 2,
};

/* 同意 / 驳回 / approve / reject (ASCII case ignored, surrounding white space ignored,
 * full-width spaces included); NULL or blank is NONE. */
enum import_action import_parse_action(const char *text);

/*
 * A header as compared: surrounding white space (ASCII and U+3000) dropped, then a
 * trailing "*" (the required mark, ASCII or full-width) and the white space before it.
 * malloc'ed.
 */
char *import_header_norm(const char *text);

/* The header text of a fixed column key (task_id, title, action, comment, assignee), or NULL. */
const char *import_fixed_label(const char *key);

struct import_column {
	const char *key;   /* meta key: task_id, title, f:<field>, action, comment, assignee */
	const char *label; /* header text as the template wrote it */
	int required;      /* the column must be present */
};

/*
 * Map the header row to meta columns by text.  headers[i] is the text of sheet column i
 * (NULL for an empty cell); col_of[j] gets the sheet column of cols[j], or -1.  Headers
 * the meta does not know are ignored.  -1 with FB_EVALIDATION and one detail per missing
 * required column or repeated header (row 1).
 */
int import_map_headers(const struct import_column *cols, size_t ncols,
                       const char *const *headers, size_t nheaders, int *col_of,
                       struct fb_err *err) FB_MUSTCHECK;

enum import_entry {
	IMPORT_ENTRY_BAD = -1,     /* a name no template pack holds: reject the pack */
	IMPORT_ENTRY_SKIP = 0,     /* a directory or an archiver's by-product */
	IMPORT_ENTRY_WORKBOOK = 1, /* a .xlsx to read */
};

/* Classify an entry name of a multi pack: absolute paths, "..", backslashes, control
 * characters and names that are not .xlsx are BAD; directories, __MACOSX/, "._x" and
 * Excel's "~$x" lock files are skipped. */
enum import_entry import_entry_kind(const char *name);

#endif
