/* SPDX-License-Identifier: MIT */
/*
 * pgcopy: rows sent to PostgreSQL with COPY ... FROM STDIN (text format) over a db
 * connection, in chunks of PGCOPY_CHUNK bytes, so that a large load is never held whole
 * in memory, neither here nor in libpq.
 *
 *   struct pgcopy c;
 *   if (pgcopy_begin(&c, db, "COPY t (a, b) FROM STDIN", &err) < 0) ...
 *   pgcopy_text(&c, "x"); pgcopy_sep(&c); pgcopy_text(&c, NULL);
 *   if (pgcopy_row(&c, &err) < 0) ...         (after each row)
 *   rc = pgcopy_end(&c, rc == 0, &err);       (always: ends the COPY, frees the buffer)
 *
 * Inside a transaction (db_tx), where a failure rolls everything back.
 */
#ifndef FB_PGCOPY_H
#define FB_PGCOPY_H

#include <time.h>

#include "db.h"
#include "err.h"
#include "mem.h"

#define PGCOPY_CHUNK (64u << 10)

struct pgcopy {
	struct db *db;   /* borrowed */
	struct buf b;    /* data not yet sent */
};

/* Send sql (a COPY ... FROM STDIN); 0, or -1 with err (nothing to end then). */
int pgcopy_begin(struct pgcopy *c, struct db *db, const char *sql,
                 struct fb_err *err) FB_MUSTCHECK;
/* A field's value, escaped for the text format; NULL is SQL NULL. */
void pgcopy_text(struct pgcopy *c, const char *s);
/* A whole number as a field. */
void pgcopy_int(struct pgcopy *c, long long v);
/* A time as UTC timestamptz text ("2026-01-31 08:00:00+00"). */
void pgcopy_time(struct pgcopy *c, time_t t);
/* The tab between two fields. */
void pgcopy_sep(struct pgcopy *c);
/* End a row; what has gathered is sent once it passes PGCOPY_CHUNK.  0 / -1 with err. */
int pgcopy_row(struct pgcopy *c, struct fb_err *err) FB_MUSTCHECK;
/*
 * Send the rest and end the COPY (ok), or abort it (!ok); read its result.  0 when ok and
 * the server took every row, else -1 (err filled when it was still empty: SQLSTATE kept).
 */
int pgcopy_end(struct pgcopy *c, int ok, struct fb_err *err);

#endif
