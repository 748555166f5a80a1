/* SPDX-License-Identifier: MIT */
/*
 * deadletter: jobs that will not run again by themselves (delivered more than
 * runner.max_deliveries times, of an unknown type, or failed for good), kept in the table
 * dead_letter with their arguments so that an administrator can publish them again or drop
 * them.  The runner adds them; the web lists, retries and drops them.
 */
#ifndef FB_DEADLETTER_H
#define FB_DEADLETTER_H

#include <stdint.h>

#include "db.h"
#include "err.h"
#include "queue.h"

struct json_object;

/* Record a dead letter (again: the newest error, attempts and deliveries win).  args is
 * borrowed, may be NULL. */
int deadletter_add(struct db *db, const char *job_id, const char *type, const char *stream,
                   struct json_object *args, int attempts, long long deliveries,
                   const char *error, struct fb_err *err) FB_MUSTCHECK;

/*
 * A page of dead letters, newest first: {"items":[{id, job_id, type, stream, args,
 * attempts, deliveries, error, created}], "total", "page", "page_size"}.  Caller puts it.
 */
struct json_object *deadletter_list(struct db *db, int64_t page, int64_t page_size,
                                    struct fb_err *err) FB_MUSTCHECK;

/*
 * Publish dead letter id again (the same job id, attempt 1, on its stream) and delete it;
 * id 0: every one.  *n gets how many.  0 with *n = 0 when id does not exist.
 */
int deadletter_retry(struct db *db, struct queue *q, int64_t id, long long *n,
                     struct fb_err *err) FB_MUSTCHECK;
/* Delete dead letter id; id 0: every one.  *n gets how many. */
int deadletter_drop(struct db *db, int64_t id, long long *n, struct fb_err *err) FB_MUSTCHECK;
/* How many there are (for the metrics). */
int deadletter_count(struct db *db, long long *n, struct fb_err *err) FB_MUSTCHECK;

#endif
