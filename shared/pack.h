/* SPDX-License-Identifier: MIT */
/*
 * pack: the multi layout of a template — a zip of one workbook per task (template.h
 * states the layout), its workbooks written in parallel by worker threads and added in
 * the order of the tasks, entries stored with UTF-8 names.
 */
#ifndef FB_PACK_H
#define FB_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"

struct node_info;

/*
 * Write the zip of the n task_ids still pending at node for user_id to path (the caller's
 * to unlink, after a failure too); *written gets how many tasks it holds.  Temporary files
 * go to cfg->web_tmpdir and are removed.  0, or -1 with err (FB_ENOTFOUND when none is
 * pending any more, FB_EDB, FB_EIO, FB_EINTERNAL).
 */
int pack_write(struct db *db, const struct fb_config *cfg, const struct node_info *node,
               int64_t user_id, const int64_t *task_ids, size_t n, const char *path,
               size_t *written, struct fb_err *err) FB_MUSTCHECK;

#endif
