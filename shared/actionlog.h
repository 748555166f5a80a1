/* SPDX-License-Identifier: MIT */
/*
 * actionlog: the audit trail of administrative actions (table action_log): who did what to
 * which target, with a JSON detail.
 */
#ifndef FB_ACTIONLOG_H
#define FB_ACTIONLOG_H

#include <stdint.h>

#include "db.h"
#include "err.h"

struct json_object;

/* One row.  target_type, target_id and detail (borrowed) may be NULL. */
int actionlog_add(struct db *db, int64_t actor, const char *action, const char *target_type,
                  const char *target_id, struct json_object *detail,
                  struct fb_err *err) FB_MUSTCHECK;

#endif
