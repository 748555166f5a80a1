/* SPDX-License-Identifier: MIT */
/*
 * notice: the console's "ended since your last visit" — the batches and bulk process
 * operations a user submitted that finished or were cancelled (by the user or an admin)
 * after the last time the user acknowledged the notice (user_notice_seen, one row per
 * user).  Functions take a struct db borrowed for the call; results are owned by the
 * caller.
 */
#ifndef FB_NOTICE_H
#define FB_NOTICE_H

#include <stdint.h>

#include "err.h"

struct db;
struct json_object;

/*
 * The batches and operations of user_id that ended (finished or cancelled; "finished" is
 * when) after the user's last acknowledgement (never acknowledged: the last 7 days),
 * newest first: a new {"since" (the last acknowledgement or null), "until" (the newest
 * end, or null), "total" (all of them), "items": [{"kind": "batch"|"operation", "id",
 * "label", "status": "finished"|"cancelled", "finished", "total", "success", "failed",
 * "ignored", "cancelled"}] (the newest 20)} the caller puts, or NULL with err.
 */
struct json_object *notice_list(struct db *db, int64_t user_id, struct fb_err *err) FB_MUSTCHECK;

/*
 * Acknowledge what finished up to until (a time the list answered; NULL: now); the
 * acknowledged time never moves back.  FB_EINVAL when until is not a time.
 */
int notice_ack(struct db *db, int64_t user_id, const char *until, struct fb_err *err) FB_MUSTCHECK;

#endif
