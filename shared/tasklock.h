/* SPDX-License-Identifier: MIT */
/*
 * tasklock: the batch lock of a task — when a batch lets it go, and who may take it over.
 *
 * A batch locks its tasks at submission (lock_kind 'batch', lock_owner "batch:<id>").  A
 * task stays locked only while its batch can still act on it: its item is pending, or it
 * failed and the recovery scan may still retry it (TASKLOCK_RETRYABLE).  Every rule about
 * that lives here, as SQL, so that the engine, cancel, the recovery scan and the periodic
 * sweep agree on it:
 *
 *   - tasklock_release_items: after items are written final, the locks of those that can
 *     no longer be retried go (ignored, at the retry limit, past the retry window);
 *   - tasklock_release_batch: a cancelled batch lets go of every final item's task and
 *     abandons its planned retries;
 *   - tasklock_release_sessions, tasklock_release_tasks: sessions ended by an operator,
 *     tasks timed out let go of every lock;
 *   - tasklock_sweep: the periodic backstop over the locks of items that changed since its
 *     last round;
 *   - tasklock_takeover: a new batch of the same user takes over the locks of that user's
 *     failed items (the old items become 'superseded').
 *
 * The functions run inside the caller's transaction.  Nothing is allocated except the
 * sweep's list of releases, which the caller frees.
 */
#ifndef FB_TASKLOCK_H
#define FB_TASKLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"

/*
 * SQL condition: item d (batch_task_detail) of batch b (batch_task) may still be retried
 * by the recovery scan, so its task stays locked.  It failed, is under the retry limit (the
 * placeholder L, batch.retry_limit), has a retry planned, and both now and that retry fall
 * within the retry window (placeholder W, batch.retry_window_seconds) that opened when the
 * item was submitted; nothing in a cancelled batch is retried.  Never NULL.
 */
#define TASKLOCK_RETRYABLE(L, W)                                                             \
	"(d.status = 'failed' AND b.status <> 'cancelled' AND d.retry_count < " L "::int"        \
	" AND d.next_retry_at IS NOT NULL"                                                      \
	" AND greatest(d.next_retry_at, now()) < d.created + make_interval(secs => " W "::int))"

/*
 * Of the items detail_ids (a bigint[] literal "{1,2}") of batch id, release the tasks of
 * those that are final and cannot be retried.  *n (may be NULL) counts released tasks.
 */
int tasklock_release_items(struct db *db, const struct fb_config *cfg, int64_t id,
                           const char *detail_ids, long long *n, struct fb_err *err) FB_MUSTCHECK;

/*
 * Batch id will act no more by itself (cancelled): release the tasks of all its final
 * items and drop the retries planned for its failed items.  Items still pending are left to
 * whoever cancels them.  *n (may be NULL) counts released tasks.
 */
int tasklock_release_batch(struct db *db, int64_t id, long long *n, struct fb_err *err) FB_MUSTCHECK;

/*
 * The sessions session_ids (a bigint[] literal) end by an operator's hand (stopped,
 * finished): their pending tasks let go of every lock, a batch's or a person's, and the
 * retries planned for failed batch items on those tasks are dropped.  Items still pending
 * are left to their batch, whose engine finds the task no longer pending (ignored).  Call
 * it before the tasks are cancelled, with the sessions locked.  *n (may be NULL) counts
 * the tasks let go.
 */
int tasklock_release_sessions(struct db *db, const char *session_ids, long long *n,
                              struct fb_err *err) FB_MUSTCHECK;

/*
 * The pending tasks task_ids (a bigint[] literal) end by themselves (timed out): they let
 * go of every lock, a batch's or a person's, and the retries planned for failed batch items
 * on them are dropped; the batch's engine then finds them no longer pending (ignored).
 * Call it with the tasks locked, before they change state.  *n (may be NULL) counts the
 * tasks let go.
 */
int tasklock_release_tasks(struct db *db, const char *task_ids, long long *n,
                           struct fb_err *err) FB_MUSTCHECK;

/* One lock let go by the sweep. */
struct tasklock_release {
	int64_t task_id;
	int64_t batch_id; /* 0 when the lock named no batch that exists */
	char reason[64];
};

/*
 * Release up to max batch locks whose batch is final (finished or cancelled) or gone and
 * whose item cannot be retried; drop retries planned past the window.  *out gets a
 * malloc'ed list of what was released (caller frees; NULL when *n is 0).
 *
 * Only the tasks of items that can have lost their reason to stay locked are read: the
 * items of batches settled since the last round that left nothing behind (migration 0017,
 * TASKLOCK_SWEEP_OVERLAP earlier still), and failed items with a retry planned.  A lock no
 * such item names (one naming a batch that does not exist, written by hand) is seen by
 * the full pass over all of tasks, one round in TASKLOCK_SWEEP_FULL.
 */
/*
 * How far before the last round's start the sweep looks: a batch settled by a transaction
 * still open then has an older modified time (its transaction's start) and commits within
 * this.
 */
#define TASKLOCK_SWEEP_OVERLAP "10 minutes"
/* How often a round reads all of tasks instead (also the first round of all). */
#define TASKLOCK_SWEEP_FULL "1 day"
int tasklock_sweep(struct db *db, const struct fb_config *cfg, int max,
                   struct tasklock_release **out, size_t *n, struct fb_err *err) FB_MUSTCHECK;

/*
 * New batch id of user uid at node node_id takes over the tasks of task_ids (a bigint[]
 * literal) that failed items of uid's earlier batches still hold locked; those items become
 * 'superseded' and leave their batch's failed count for its superseded count (counter slot
 * slot).  Another user's locks are never taken.  *n counts the tasks taken over.
 */
int tasklock_takeover(struct db *db, int64_t id, int64_t uid, int64_t node_id,
                      const char *task_ids, int slot, long long *n, struct fb_err *err) FB_MUSTCHECK;

#endif
