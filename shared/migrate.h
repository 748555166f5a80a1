/* SPDX-License-Identifier: MIT */
/*
 * migrate: apply the numbered SQL files of a directory (NNNN_name.sql) in order, each once.
 *
 * The version of a file is its name without ".sql"; applied versions are recorded in
 * schema_migrations, which the migrator creates itself.  Every file runs in its own
 * transaction under a PostgreSQL advisory lock, so that several migrators started at once
 * (many hosts, one database) apply each file exactly once.  A file must not contain
 * BEGIN/COMMIT, nor statements that cannot run in a transaction block.
 */
#ifndef FB_MIGRATE_H
#define FB_MIGRATE_H

#include "db.h"
#include "err.h"

/* The largest migration file read (bytes). */
#define MIGRATE_MAX_FILE (4u << 20)

/*
 * Apply every pending file of dir.  *applied (may be NULL) receives how many this call
 * applied.  Stops at the first failing file (its transaction is rolled back; files before
 * it stay applied).  0 / -1.
 */
int migrate_apply(struct db *db, const char *dir, int *applied, struct fb_err *err) FB_MUSTCHECK;

/*
 * Count the files of dir not yet applied (*pending) and the versions recorded in
 * schema_migrations (*done, may be NULL), without changing anything.  0 / -1.
 */
int migrate_status(struct db *db, const char *dir, int *pending, int *done,
                   struct fb_err *err) FB_MUSTCHECK;

#endif
