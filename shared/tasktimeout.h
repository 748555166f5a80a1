/* SPDX-License-Identifier: MIT */
/*
 * tasktimeout: pending tasks past their due time become timed out.
 *
 * A task gets a due time when the engine creates it at a node with a time limit
 * (nodes.timeout_hours).  A task of a suspended session has no due time (suspend keeps the
 * time left in tasks.due_paused, resume sets due_at again from it), so its clock stands
 * still.  One call times out one chunk of due tasks in one transaction: each becomes
 * 'timed_out' and finished, lets go of its lock (tasklock.h), gets a task_history row with
 * action 'timeout' and a task-center "timeout" event.  Nothing is allocated that outlives
 * the call.
 */
#ifndef FB_TASKTIMEOUT_H
#define FB_TASKTIMEOUT_H

#include "db.h"
#include "err.h"

/* Tasks timed out per transaction by the task.timeout job. */
#define TASKTIMEOUT_CHUNK 500

/*
 * Time out up to max of the due pending tasks (oldest due first, skipping rows another
 * transaction holds) in one transaction.  *n gets how many were timed out; fewer than max
 * means none are left due for now.
 */
int tasktimeout_chunk(struct db *db, int max, long long *n, struct fb_err *err) FB_MUSTCHECK;

#endif
