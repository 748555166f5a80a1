/* SPDX-License-Identifier: MIT */
/*
 * import_check: the mapped rows of an import validated against the schema and the
 * database, and the report every problem of the file goes to.  Used by the import driver
 * (import.c) and the mapping (import_map.c) only.
 *
 *   struct import_report rep = {.err = err};
 *   ... mapping adds problems with import_report_add ...
 *   struct icheck c = {.db = db, .u = u, .map = &m};
 *   icheck_rows(&c, &posts, post_off, &err);      (NULL, NULL for a dry run)
 *   icheck_free(&c);
 *
 * Memory: struct icheck owns the current and next chunk's task rows and the user cache;
 * the map, user and database are borrowed.  While a chunk is checked, the next chunk's
 * query may be in flight on the database's connection: nothing else may use that
 * connection until icheck_rows returns (icheck_free reads a query a failure left).  Details go to rep->err->details (at most
 * IMPORT_MAX_DETAILS; the rest are only counted).
 */
#ifndef FB_IMPORT_CHECK_H
#define FB_IMPORT_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "db.h"
#include "err.h"
#include "mem.h"
#include "user.h"

struct json_object;
struct json_tokener;
struct imap;

struct import_report {
	struct fb_err *err; /* borrowed: the import's error, details appended */
	size_t n;           /* problems found (also those past IMPORT_MAX_DETAILS) */
};

/*
 * One problem of the file: a detail naming where it is (file NULL for a single workbook,
 * row <= 0 for none, column/field may be NULL), with the message code and params (stolen,
 * may be NULL) of msg.c's catalogue and its English text.
 */
void import_report_add(struct import_report *rep, const char *file, long row,
                       const char *column, const char *field, const char *code,
                       struct json_object *params);
/* A problem that an error says (its own message, nested when it has a code). */
void import_report_err(struct import_report *rep, const char *file, long row,
                       const char *column, const char *field, const struct fb_err *e);
/* Close the report: 0 when it holds no problem, else -1 with rep->err's summary message. */
int import_report_end(struct import_report *rep);

/* A monotonic clock in milliseconds, for the phase times of struct import_result. */
long import_ms(void);

struct icheck_users {
	char **keys;
	signed char *vals;
	size_t cap, n;
};

struct icheck {
	struct db *db;                   /* borrowed */
	const struct user_rec *u;        /* borrowed */
	struct imap *map;                /* borrowed: its rows are checked */
	PGresult *tasks;                 /* the current chunk's tasks */
	PGresult *next;                  /* the next chunk's, once received */
	int inflight;                    /* the next chunk's query is sent, not yet read */
	int64_t *task_index;             /* ids of the tasks rows, ascending */
	struct icheck_users users;
	struct json_tokener *tok;        /* for the sessions' form data */
	struct json_object *post;        /* a row's post_data, reused */
	long tasks_ms;                   /* spent in the tasks' queries */
};

/*
 * Check every row of c->map as the engine will execute it: a task named twice, tasks not
 * u's, not pending or moved, values merged over the session's form, comment and next
 * assignee.  Problems go to the map's report.  With posts (NULL for a dry run) each good
 * row's post_data, {"form":{..},"action":..,"comment":..,"assignee":..}, is appended there
 * as JSON text with its NUL, and post_off[i] (c->map->nrows entries) says where row i's
 * starts.  0, or -1 with err on a database failure.
 */
int icheck_rows(struct icheck *c, struct buf *posts, size_t *post_off,
                struct fb_err *err) FB_MUSTCHECK;
void icheck_free(struct icheck *c);

#endif
