/* SPDX-License-Identifier: MIT */
/*
 * template_rows: the task rows of a template — read from PostgreSQL a page at a time, in
 * the order asked for, only those still pending at the node for the user — and the
 * single layout's rows written by two threads: a producer thread reads and converts the
 * rows into pages of cells (cell.h) while the calling thread writes them into the book.
 *
 * The database connection is used by one thread at a time: the producer until it is
 * joined.  Everything allocated here is freed before the functions return.
 */
#ifndef FB_TEMPLATE_ROWS_H
#define FB_TEMPLATE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "mem.h"

struct book;
struct json_object;
struct node_info;

/* A task row; form (never NULL) is the callback's to put, also when it fails. */
typedef int (*template_row_fn)(void *arg, int64_t task_id, const char *title,
                               struct json_object *form, struct fb_err *err);

/*
 * Call fn for each of the n ids that is still pending at node for user_id, in the order of
 * ids; *written counts the calls.  0, or -1 with err (FB_EDB, or fn's error).
 */
int template_rows_each(struct db *db, const struct node_info *node, int64_t user_id,
                       const int64_t *ids, size_t n, template_row_fn fn, void *arg,
                       size_t *written, struct fb_err *err) FB_MUSTCHECK;

/*
 * Append to sql the SQL expression of the member named by parameter $param of the jsonb
 * form, as cell_of_typed() (cell.h) takes it.
 */
void template_rows_value_sql(struct buf *sql, const char *form, int param);

/*
 * Write the rows of the n ids into the single sheet of b (opened, header written) from
 * row 1 on; *written gets the tasks read, *rows the rows written.  The first error of
 * either thread is reported.  0, or -1 with err.
 */
int template_rows_single(struct db *db, struct book *b, int64_t user_id, const int64_t *ids,
                         size_t n, size_t *written, size_t *rows, struct fb_err *err) FB_MUSTCHECK;

#endif
