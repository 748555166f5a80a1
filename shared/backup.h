/* SPDX-License-Identifier: MIT */
/*
 * backup: a process instance as it was before a destructive bulk operation (delete,
 * archive_delete) — its session row, tasks and history as one JSON document in
 * session_backup — and putting it back exactly as it was.
 *
 * backup_take runs inside the operation's transaction, before the change.  A restore is
 * one transaction: the session (if still there, deleted) goes with its tasks and history,
 * and the document's rows come back with their own ids.  Only admins restore; the
 * backups of a session are listed to admins and to monitors of its app.
 *
 * JSON objects returned through out parameters are new (caller puts them).
 */
#ifndef FB_BACKUP_H
#define FB_BACKUP_H

#include <stdint.h>

#include "db.h"
#include "err.h"
#include "user.h"

struct json_object;

/*
 * Back up the sessions session_ids (a bigint[] literal) for operation op_id (0: none)
 * named operation, inside the caller's transaction.
 */
int backup_take(struct db *db, const char *session_ids, int64_t op_id, const char *operation,
                struct fb_err *err) FB_MUSTCHECK;

/* The backups of session_id that u may see, newest first: {"items":[..]}. */
int backup_list(struct db *db, const struct user_rec *u, int64_t session_id,
                struct json_object **out, struct fb_err *err) FB_MUSTCHECK;

/*
 * Put backup id back; actor is the admin who asks (NULL: the command line).
 * FB_EFORBIDDEN for a non-admin, FB_ENOTFOUND for no such backup, FB_ECONFLICT when the
 * session exists and is not deleted.  *session_id gets the session restored.
 */
int backup_restore(struct db *db, const struct user_rec *actor, int64_t id, int64_t *session_id,
                   struct fb_err *err) FB_MUSTCHECK;

#endif
