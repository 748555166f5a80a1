/* SPDX-License-Identifier: MIT */
/*
 * tasklock: when a batch lets go of its tasks, and the takeover by a later batch (see
 * tasklock.h).
 *
 * Each function is one or two statements inside the caller's transaction.  Row locks are
 * taken tasks first, then detail rows, then counter rows, in every function here, as the
 * engine does, so that a cancel, a sweep and a takeover meeting on the same rows wait for
 * each other instead of deadlocking.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "tasklock.h"
#include "db.h"

int
tasklock_release_items(struct db *db, const struct fb_config *cfg, int64_t id,
                       const char *detail_ids, long long *n, struct fb_err *err)
{
	char bid[DB_ID_MAX], limit[16], window[16];
	PGresult *res;

	db_id(bid, id);
	snprintf(limit, sizeof(limit), "%d", cfg->batch_retry_limit);
	snprintf(window, sizeof(window), "%d", cfg->batch_retry_window_seconds);
	res = db_query(db, "tasklock_release_items",
	               "UPDATE tasks t SET lock_kind = NULL, lock_owner = NULL, locked_at = NULL"
	               " FROM batch_task_detail d JOIN batch_task b ON b.id = d.batch_id"
	               " WHERE d.batch_id = $1 AND d.id = ANY ($2::bigint[]) AND t.id = d.task_id"
	               " AND t.lock_kind = 'batch' AND t.lock_owner = 'batch:' || $1::bigint"
	               " AND d.status <> 'pending' AND NOT " TASKLOCK_RETRYABLE("$3", "$4")
	               " RETURNING t.id",
	               4, (const char *[]){bid, detail_ids, limit, window}, err);
	if (res == NULL)
		return -1;
	if (n != NULL)
		*n = PQntuples(res);
	PQclear(res);
	return 0;
}

/*
 * Let go of every lock of the pending tasks that match the SQL condition W, drop the
 * retries planned for failed batch items on them, and count them.
 */
#define UNLOCK_SQL(W)                                                                       \
	"WITH t AS (UPDATE tasks SET lock_kind = NULL, lock_owner = NULL, locked_at = NULL"       \
	"  WHERE " W " AND state = 'pending' AND lock_kind IS NOT NULL RETURNING id),"           \
	" d AS (UPDATE batch_task_detail SET next_retry_at = NULL"                               \
	"  WHERE task_id IN (SELECT id FROM t) AND status = 'failed'"                            \
	"  AND next_retry_at IS NOT NULL)"                                                       \
	" SELECT count(*) FROM t"

/* The count of a one-row result into *n (may be NULL); res is cleared.  0 / -1 (NULL res). */
static int
count_out(PGresult *res, long long *n)
{
	if (res == NULL)
		return -1;
	if (n != NULL)
		*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

int
tasklock_release_sessions(struct db *db, const char *session_ids, long long *n,
                          struct fb_err *err)
{
	PGresult *res;

	res = db_query(db, "tasklock_release_sessions",
	               UNLOCK_SQL("session_id = ANY ($1::bigint[])"),
	               1, (const char *[]){session_ids}, err);
	return count_out(res, n);
}

int
tasklock_release_tasks(struct db *db, const char *task_ids, long long *n, struct fb_err *err)
{
	PGresult *res;

	res = db_query(db, "tasklock_release_tasks", UNLOCK_SQL("id = ANY ($1::bigint[])"),
	               1, (const char *[]){task_ids}, err);
	return count_out(res, n);
}

int
tasklock_release_batch(struct db *db, int64_t id, long long *n, struct fb_err *err)
{
	char bid[DB_ID_MAX];
	PGresult *res;

	db_id(bid, id);
	res = db_query(db, "tasklock_release_batch",
	               "WITH r AS (UPDATE tasks t SET lock_kind = NULL, lock_owner = NULL,"
	               "  locked_at = NULL FROM batch_task_detail d"
	               "  WHERE d.batch_id = $1 AND d.status <> 'pending' AND t.id = d.task_id"
	               "  AND t.lock_kind = 'batch' AND t.lock_owner = 'batch:' || $1::bigint"
	               "  RETURNING t.id)"
	               " SELECT count(*) FROM r",
	               1, (const char *[]){bid}, err);
	if (res == NULL)
		return -1;
	if (n != NULL)
		*n = db_ll(res, 0, 0);
	PQclear(res);
	return db_exec(db, "tasklock_abandon_retries",
	               "UPDATE batch_task_detail SET next_retry_at = NULL WHERE batch_id = $1"
	               " AND status = 'failed' AND next_retry_at IS NOT NULL",
	               1, (const char *[]){bid}, err);
}

/*
 * The sweep's statement over the tasks WHERE allows: the locks of tasks locked by a batch
 * that is gone, or final with an item that cannot be retried, released; each one's task,
 * batch and reason answered.  c lists the tasks of the items that can have lost their
 * reason to stay locked since the last round (tasklock.h); as arrays, so that the planner
 * probes primary keys whatever it guesses of their number (as a join, it hashed all of
 * tasks, or all of batch_task_detail).  A pending item of a cancelled batch is left to the
 * executor that cancels it; a task in an executor's hands is skipped (its row is locked)
 * and seen again while its batch is within the overlap, or while its failed item has a
 * retry planned.
 */
#define SWEEP_SQL(where)                                                                     \
	"WITH c AS ("                                                                            \
	"  SELECT task_id FROM batch_task_detail WHERE batch_id = ANY (ARRAY(SELECT id"           \
	"   FROM batch_task WHERE status IN ('finished', 'cancelled')"                           \
	"   AND modified >= (SELECT swept_to FROM tasklock_sweep_mark)"                          \
	"    - interval '" TASKLOCK_SWEEP_OVERLAP "'))"                                          \
	"  AND status <> 'pending'"                                                              \
	"  UNION"                                                                                \
	"  SELECT task_id FROM batch_task_detail"                                                \
	"  WHERE status = 'failed' AND next_retry_at IS NOT NULL),"                              \
	" s AS ("                                                                                \
	"  SELECT t.id AS task_id, b.id AS batch_id, d.id AS detail_id,"                         \
	"   CASE WHEN b.id IS NULL THEN 'the batch does not exist'"                              \
	"        WHEN d.id IS NULL THEN 'the batch has no item for the task'"                    \
	"        WHEN b.status = 'cancelled' THEN 'the batch was cancelled'"                     \
	"        WHEN d.status <> 'failed' THEN 'the item is ' || d.status"                      \
	"        WHEN d.retry_count >= $1::int THEN 'the item reached the retry limit'"          \
	"        WHEN d.next_retry_at IS NULL THEN 'no retry is planned'"                        \
	"        ELSE 'the retry window has passed' END AS reason"                               \
	"  FROM tasks t"                                                                         \
	"  LEFT JOIN batch_task b ON b.id = CASE WHEN t.lock_owner ~ '^batch:[0-9]{1,18}$'"      \
	"   THEN substr(t.lock_owner, 7)::bigint END"                                            \
	"  LEFT JOIN batch_task_detail d ON d.batch_id = b.id AND d.task_id = t.id"              \
	"  WHERE " where " AND t.lock_owner IS NOT NULL AND t.lock_kind = 'batch'"                \
	"  AND (b.id IS NULL OR (b.status IN ('finished', 'cancelled') AND (d.id IS NULL"        \
	"   OR (d.status <> 'pending' AND NOT " TASKLOCK_RETRYABLE("$1", "$2") "))))"             \
	"  ORDER BY t.id LIMIT $3 FOR UPDATE OF t SKIP LOCKED),"                                 \
	" r AS (UPDATE tasks t SET lock_kind = NULL, lock_owner = NULL, locked_at = NULL"        \
	"  FROM s WHERE t.id = s.task_id)"                                                       \
	" SELECT task_id, batch_id, reason FROM s ORDER BY task_id"

int
tasklock_sweep(struct db *db, const struct fb_config *cfg, int max,
               struct tasklock_release **out, size_t *n, struct fb_err *err)
{
	char limit[16], window[16], maxs[16];
	const char *p[3] = {limit, window, maxs};
	PGresult *res;
	int i, rows, full;

	*out = NULL;
	*n = 0;
	snprintf(limit, sizeof(limit), "%d", cfg->batch_retry_limit);
	snprintf(window, sizeof(window), "%d", cfg->batch_retry_window_seconds);
	snprintf(maxs, sizeof(maxs), "%d", max);
	/* The mark, locked until the commit: one sweep at a time moves it. */
	res = db_query(db, "tasklock_sweep_due",
	               "SELECT full_to <= now() - interval '" TASKLOCK_SWEEP_FULL "'"
	               " FROM tasklock_sweep_mark FOR UPDATE",
	               0, NULL, err);
	if (res == NULL)
		return -1;
	full = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (full)
		res = db_query(db, "tasklock_sweep_all", SWEEP_SQL("true"), 3, p, err);
	else
		res = db_query(db, "tasklock_sweep",
		               SWEEP_SQL("t.id = ANY (ARRAY(SELECT task_id FROM c))"), 3, p, err);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if (rows > 0) {
		*out = xcalloc((size_t)rows, sizeof(**out));
		for (i = 0; i < rows; i++) {
			(*out)[i].task_id = db_ll(res, i, 0);
			(*out)[i].batch_id = db_ll(res, i, 1);
			snprintf((*out)[i].reason, sizeof((*out)[i].reason), "%s", PQgetvalue(res, i, 2));
		}
	}
	*n = (size_t)rows;
	PQclear(res);
	/*
	 * Retries that can no longer happen are dropped, so that the recovery scan's index of
	 * planned retries holds only live ones; not while the item's task is still locked by
	 * its batch (past max, or skipped), whose planned retry brings it back next round.
	 * Then, when this round left nothing behind, the next one starts from this one.
	 */
	if (db_exec(db, "tasklock_drop_retries",
	            "UPDATE batch_task_detail d SET next_retry_at = NULL FROM batch_task b"
	            " WHERE b.id = d.batch_id AND d.status = 'failed' AND d.next_retry_at IS NOT NULL"
	            " AND NOT " TASKLOCK_RETRYABLE("$1", "$2") " AND NOT EXISTS (SELECT 1 FROM tasks t"
	            " WHERE t.id = d.task_id AND t.lock_kind = 'batch'"
	            " AND t.lock_owner = 'batch:' || d.batch_id)",
	            2, p, err) < 0 ||
	    (rows < max && db_exec(db, "tasklock_sweep_mark",
	                           "UPDATE tasklock_sweep_mark SET swept_to = now(),"
	                           " full_to = CASE WHEN $1::boolean THEN now() ELSE full_to END",
	                           1, (const char *[]){full ? "t" : "f"}, err) < 0)) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
tasklock_takeover(struct db *db, int64_t id, int64_t uid, int64_t node_id,
                  const char *task_ids, int slot, long long *n, struct fb_err *err)
{
	char bid[DB_ID_MAX], user[DB_ID_MAX], node[DB_ID_MAX], owner[40], slots[8];
	PGresult *res;

	db_id(bid, id);
	db_id(user, uid);
	db_id(node, node_id);
	snprintf(owner, sizeof(owner), "batch:%lld", (long long)id);
	snprintf(slots, sizeof(slots), "%d", slot);
	/*
	 * Only a task still locked by the very batch whose failed item it is, of this user, and
	 * still this user's pending task at this node.  Should that item be retried at the same
	 * moment, whichever commits first wins: the detail's status is checked again under its
	 * row lock, and a lock taken over from an item that went back to pending fails that
	 * item in its own batch ("locked by another batch").
	 */
	res = db_query(
	    db, "tasklock_takeover",
	    "WITH t AS (UPDATE tasks t SET lock_owner = $1, locked_at = now()"
	    "  FROM batch_task_detail d JOIN batch_task b ON b.id = d.batch_id"
	    "  WHERE t.id = ANY ($2::bigint[]) AND t.assignee = $3 AND t.state = 'pending'"
	    "  AND t.node_id = $4 AND t.lock_kind = 'batch' AND d.task_id = t.id"
	    "  AND t.lock_owner = 'batch:' || d.batch_id AND d.status = 'failed'"
	    "  AND b.creator = $3 AND b.id <> $5::bigint RETURNING d.id AS detail_id),"
	    " s AS (UPDATE batch_task_detail d SET status = 'superseded', superseded_by = $5::bigint,"
	    "  next_retry_at = NULL, error = 'superseded by batch ' || $5::bigint"
	    "   || coalesce(': ' || d.error, ''),"
	    "  error_code = CASE WHEN d.error_code IS NULL THEN 'item.superseded'"
	    "   ELSE 'item.superseded_after' END,"
	    "  error_params = jsonb_strip_nulls(jsonb_build_object('batch', $5::bigint, 'was',"
	    "   CASE WHEN d.error_code IS NOT NULL THEN jsonb_build_object('code', d.error_code,"
	    "    'params', coalesce(d.error_params, '{}'::jsonb)) END))"
	    "  FROM t WHERE d.id = t.detail_id AND d.status = 'failed' RETURNING d.batch_id),"
	    " c AS (INSERT INTO batch_counter AS c (batch_id, slot, failed, superseded)"
	    "  SELECT batch_id, $6, -count(*), count(*) FROM s GROUP BY batch_id"
	    "  ON CONFLICT (batch_id, slot) DO UPDATE SET failed = c.failed + excluded.failed,"
	    "  superseded = c.superseded + excluded.superseded)"
	    " SELECT count(*) FROM t",
	    6, (const char *[]){owner, task_ids, user, node, bid, slots}, err);
	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}
