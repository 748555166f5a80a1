/* SPDX-License-Identifier: MIT */
/*
 * errbook: the error workbook of a batch — its failed items in the single template layout
 * (shared/template.h), with the values the user gave and a last column 错误原因 holding
 * each reason, under a freshly signed _meta, so that the file can be fixed and uploaded
 * again as a new batch (the import ignores the reason column).
 *
 * Writes a file only (no HTTP).  Paths and the user are borrowed; the file at path is the
 * caller's to unlink, after a failure too.
 */
#ifndef FB_ERRBOOK_H
#define FB_ERRBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "msg.h"
#include "user.h"

/*
 * Write the failed items of u's batch id to path (a workbook with only the header row
 * when there are none), the reasons said in lang; *rows gets how many were written.  Temporary files go to
 * cfg->web_tmpdir, the meta is signed with cfg->auth_secret.  0, or -1 with err:
 * FB_ENOTFOUND for a batch that is not u's, FB_EDB, FB_EIO, FB_EINTERNAL.
 */
int errbook_write(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
                  int64_t id, enum msg_lang lang, const char *path, size_t *rows,
                  struct fb_err *err) FB_MUSTCHECK;

#endif
