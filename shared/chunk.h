/* SPDX-License-Identifier: MIT */
/*
 * chunk: what batches and bulk process operations share about executing many items —
 * the executor's loop over chunks, the counter rows, the checks a chunk starts with, the
 * user's lookup, cancel and retry, the recovery scan's staleness test and the number of
 * helper executors to ask for.  A kind of work (struct chunk_kind: batch_kind in batch.c,
 * procop_kind in procop.c) names its tables, statements and messages; everything here
 * takes the kind.
 *
 * An executor claims up to chunk_size pending items at a time (FOR UPDATE SKIP LOCKED, in
 * its kind's chunk function, which also commits them), so that executors on several
 * runners share one piece of work; a final item is never touched again.  When a chunk
 * fails with an unexpected SQL error (not a lost connection, not a serialization failure
 * or deadlock, which db_tx and the job loop retry), chunk_drive runs the next chunk_size
 * items one per transaction: the item whose own transaction fails is failed alone, through
 * the kind's fail_one, and the others go on.
 *
 * Counts are the work's own columns (what submission and cancel decided) plus the sums of
 * its counter rows: each executor adds its deltas to one of 16 slots once per chunk, in
 * the chunk's commit, so that no single row is updated by every worker for every item.
 *
 * Nothing here allocates except the recovery scan's id list, which the caller frees.
 */
#ifndef FB_CHUNK_H
#define FB_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"

/* ---- the statements --------------------------------------------------------------------- */

/*
 * The work's status moves: init → running when an executor starts (CHUNK_START_SQL), and
 * running → finished once nothing is pending (CHUNK_FINISH_SQL; CHUNK_FINISH_UPDATE is its
 * UPDATE without RETURNING, for a statement that does more), over a table with columns
 * id, status, started, finished, heartbeat, modified and items with KEY and status.
 */
#define CHUNK_START_SQL(table)                                                               \
	"UPDATE " table " SET status = 'running', started = coalesce(started, now()),"           \
	" heartbeat = now(), modified = now() WHERE id = $1 AND status = 'init' RETURNING 1"
#define CHUNK_FINISH_UPDATE(table, items, key)                                               \
	"UPDATE " table " SET status = 'finished', finished = now(), modified = now()"           \
	" WHERE id = $1 AND status = 'running' AND NOT EXISTS"                                   \
	" (SELECT 1 FROM " items " WHERE " key " = $1 AND status = 'pending')"
#define CHUNK_FINISH_SQL(table, items, key) CHUNK_FINISH_UPDATE(table, items, key) " RETURNING 1"
/* The work's heartbeat, beaten once per chunk. */
#define CHUNK_HEARTBEAT_SQL(table)                                                           \
	"UPDATE " table " SET heartbeat = now(), modified = now() WHERE id = $1"
/*
 * A user's cancel (CHUNK_CANCEL_SQL) adds the n items it cancelled and ends work that was
 * init or running; a retry (CHUNK_REOPEN_SQL) moves n failed items back to pending and
 * the work to running.  Both take $1 id, $2 n: chunk_adjust runs them.
 */
#define CHUNK_CANCEL_SQL(table)                                                              \
	"UPDATE " table " SET cancelled = cancelled + $2::int, modified = now(),"                \
	" status = CASE WHEN status IN ('init', 'running') THEN 'cancelled' ELSE status END,"    \
	" finished = CASE WHEN status IN ('init', 'running') THEN now() ELSE finished END"       \
	" WHERE id = $1"
#define CHUNK_REOPEN_SQL(table)                                                              \
	"UPDATE " table " SET failed = failed - $2::int, modified = now(),"                      \
	" status = 'running', finished = NULL WHERE id = $1"

/*
 * The statements over a work's items (table ITEMS, the work's id in column KEY, an item's
 * own id in id), each with $1 the work's id:
 *   CHUNK_CLAIM_SQL: claim up to $2 pending items, COLS of each (the item's id first), in
 *     id order;
 *   CHUNK_CANCEL_ITEMS_SQL: the pending items not in flight become cancelled (reason
 *     item.cancelled), RETURNING RET;
 *   CHUNK_FAIL_ITEM_SQL: item $1 (still pending) fails with why $2 and its params $3
 *     (reason item.unexpected), SET the kind's own columns too, RETURNING RET;
 *   CHUNK_PENDING_SQL: how many are pending.
 */
#define CHUNK_CLAIM_SQL(cols, items, key)                                                    \
	"SELECT " cols " FROM " items " WHERE " key " = $1 AND status = 'pending'"               \
	" ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"
#define CHUNK_CANCEL_ITEMS_SQL(items, key, ret)                                              \
	"UPDATE " items " SET status = 'cancelled', finished = now(),"                           \
	" error = 'cancelled by the user', error_code = 'item.cancelled', error_params = NULL"   \
	" WHERE id IN (SELECT id FROM " items " WHERE " key " = $1 AND status = 'pending'"      \
	" FOR UPDATE SKIP LOCKED) RETURNING " ret
#define CHUNK_FAIL_ITEM_SQL(items, set, ret)                                                 \
	"UPDATE " items " SET status = 'failed', finished = now(), error = $2,"                  \
	" error_code = 'item.unexpected', error_params = $3::jsonb" set                          \
	" WHERE id = $1 AND status = 'pending' RETURNING " ret
#define CHUNK_PENDING_SQL(items, key)                                                        \
	"SELECT count(*) FROM " items " WHERE " key " = $1 AND status = 'pending'"

/*
 * The recovery scan's test for work whose execution was lost: running without a heartbeat
 * for batch.stale_minutes, or init for longer than batch.init_grace_seconds; at most 1000.
 */
#define CHUNK_STALE_SQL(table)                                                               \
	"SELECT id FROM " table " WHERE "                                                        \
	"(status = 'running' AND coalesce(heartbeat, started, modified) < "                      \
	"  now() - make_interval(secs => $1::int)) "                                             \
	"OR (status = 'init' AND created < now() - make_interval(secs => $2::int)) "             \
	"ORDER BY id LIMIT 1000"

/*
 * A counter table (columns KEY, slot, success, failed, ignored, cancelled, primary key
 * (KEY, slot)) and the prepared statement that adds deltas to one of its slots.  The same
 * statement adds the items settled (success + failed + ignored) to this minute's row of
 * throughput_minute for KIND and the creator of the work (table WORK), same slot.
 */
struct chunk_counter {
	const char *stmt; /* prepared statement name */
	const char *sql;
};
#define CHUNK_COUNTER(stmt, table, key, work, kind)                                           \
	{                                                                                        \
		stmt, "WITH m AS (INSERT INTO throughput_minute AS t (minute, kind, creator, slot, items)" \
		      " SELECT date_trunc('minute', now()), '" kind "', w.creator, $2::smallint,"        \
		      " $3::int + $4::int + $5::int FROM " work " w"                                     \
		      " WHERE w.id = $1::bigint AND $3::int + $4::int + $5::int > 0"                     \
		      " ON CONFLICT (minute, kind, creator, slot)"                                       \
		      " DO UPDATE SET items = t.items + excluded.items)"                                 \
		      " INSERT INTO " table " AS c (" key ", slot, success, failed, ignored, cancelled)" \
		      " VALUES ($1::bigint, $2::smallint, $3::int, $4::int, $5::int, $6::int)"          \
		      " ON CONFLICT (" key ", slot) DO UPDATE SET"                                      \
		      " success = c.success + excluded.success, failed = c.failed + excluded.failed,"   \
		      " ignored = c.ignored + excluded.ignored,"                                        \
		      " cancelled = c.cancelled + excluded.cancelled"                                   \
	}

/*
 * The statement of chunk_today over TABLE (alias b, columns as CHUNK_START_SQL's plus
 * total, success, failed, ignored, creator) and COUNTS_JOIN (its counter sums as c.success,
 * c.failed, c.ignored); $1 the creator, 0 for everyone.  Settled since midnight UTC: the
 * (status, modified) index finds them.
 */
#define CHUNK_TODAY_SQL(table, counts_join)                                                  \
	"SELECT count(*) FILTER (WHERE b.status = 'finished'),"                                  \
	" count(*) FILTER (WHERE b.status = 'finished' AND b.failed + coalesce(c.failed, 0) > 0)," \
	" count(*) FILTER (WHERE b.status = 'cancelled'),"                                       \
	" coalesce(sum(b.success + coalesce(c.success, 0)), 0),"                                 \
	" coalesce(sum(b.failed + coalesce(c.failed, 0)), 0),"                                   \
	" coalesce(sum(b.ignored + coalesce(c.ignored, 0)), 0),"                                 \
	" coalesce(sum(extract(epoch FROM b.finished - b.started))"                              \
	"  FILTER (WHERE b.status = 'finished' AND b.started IS NOT NULL), 0),"                  \
	" coalesce(sum(b.total) FILTER (WHERE b.status = 'finished' AND b.started IS NOT NULL), 0)" \
	" FROM " table " b " counts_join                                                         \
	"WHERE b.status IN ('finished', 'cancelled')"                                             \
	" AND b.modified >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"       \
	" AND coalesce(b.finished, b.modified)"                                                  \
	"  >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"                     \
	" AND ($1::bigint = 0 OR b.creator = $1::bigint)"

/* ---- the kind --------------------------------------------------------------------------- */

/*
 * A kind of work (batch, bulk process operation).  Its table has the columns the
 * statements above name, and creator; CHUNK_KIND fills the statements that differ only
 * in names, the kind sets the rest.
 */
struct chunk_kind {
	const char *id_field;   /* log field of the work's id: "batch_id", "op_id" */
	const char *item_field; /* log field of an item's id: "detail_id", "proc_log_id" */
	struct chunk_counter counter;
	const char *start_stmt, *start_sql;         /* CHUNK_START_SQL, before the first chunk */
	const char *finish_stmt, *finish_sql;       /* CHUNK_FINISH_SQL, perhaps with more */
	const char *heartbeat_stmt, *heartbeat_sql; /* CHUNK_HEARTBEAT_SQL */
	const char *status_stmt, *status_sql;       /* the status of id $1 */
	const char *owned_stmt, *owned_sql;         /* the status of id $1 if created by $2 */
	const char *lock_stmt, *lock_sql;           /* the same, the row locked FOR UPDATE */
	const char *pending_stmt, *pending_sql;     /* CHUNK_PENDING_SQL */
	const char *cancel_stmt, *cancel_sql;       /* CHUNK_CANCEL_SQL, perhaps with more */
	const char *reopen_stmt, *reopen_sql;       /* CHUNK_REOPEN_SQL */
	const char *stale_stmt, *stale_sql;         /* CHUNK_STALE_SQL */
	const char *today_stmt, *today_sql;         /* CHUNK_TODAY_SQL */
	const char *not_found; /* message code: not the user's, or no such id */
	const char *cancelled; /* message code: a retry of cancelled work */
	/*
	 * In the caller's transaction: cancel the pending items of work id not in flight
	 * (CHUNK_CANCEL_ITEMS_SQL) and whatever goes with that; *n counts them.
	 */
	int (*cancel_items)(struct db *db, int64_t id, long long *n, struct fb_err *err);
};
#define CHUNK_KIND(prefix, table, items, key)                                                \
	.start_stmt = prefix "_start", .start_sql = CHUNK_START_SQL(table),                      \
	.heartbeat_stmt = prefix "_heartbeat", .heartbeat_sql = CHUNK_HEARTBEAT_SQL(table),      \
	.status_stmt = prefix "_state", .status_sql = "SELECT status FROM " table " WHERE id = $1", \
	.owned_stmt = prefix "_owned",                                                           \
	.owned_sql = "SELECT status FROM " table " WHERE id = $1 AND creator = $2",              \
	.lock_stmt = prefix "_lock_owned",                                                       \
	.lock_sql = "SELECT status FROM " table " WHERE id = $1 AND creator = $2 FOR UPDATE",    \
	.pending_stmt = prefix "_pending", .pending_sql = CHUNK_PENDING_SQL(items, key),         \
	.reopen_stmt = prefix "_retry_count", .reopen_sql = CHUNK_REOPEN_SQL(table),             \
	.stale_stmt = prefix "_recover_stale", .stale_sql = CHUNK_STALE_SQL(table)

/* ---- executing -------------------------------------------------------------------------- */

/* One chunk: what it may take, and what it did. */
struct chunk_step {
	void *arg;     /* the work's own (chunk_work.arg) */
	int limit;     /* items to claim at most */
	int claimed;   /* items claimed (0: nothing pending was free) */
	int cancelled; /* the work was cancelled (or is gone): stop */
	int64_t item;  /* when one item was claimed: its id (set also when the chunk failed) */
};

/* One item to fail alone. */
struct chunk_fail {
	void *arg; /* the work's own (chunk_work.arg) */
	int64_t item;
	const char *why;        /* English, for the error column and logs */
	const char *why_params; /* {"detail": ...} of the reason item.unexpected, JSON text */
};

/* One piece of work to execute, with its kind's callbacks. */
struct chunk_work {
	const struct chunk_kind *kind;
	int64_t id;
	void *arg;
	/*
	 * Run by db_tx with a struct chunk_step: claim and process up to step->limit items
	 * (chunk_claim), setting claimed, cancelled and item from scratch (db_tx may run it
	 * again).
	 */
	db_tx_fn chunk;
	/* Run by db_tx with a struct chunk_fail: fail that item alone, with why. */
	db_tx_fn fail_one;
};

/* What an executor did: the items it settled, and what became of the work. */
struct chunk_result {
	int success, failed, ignored; /* added to by the chunks' commits */
	int started;  /* this executor moved the work from init to running (start statement) */
	int more;     /* *stopping was set: items may be left for a continuation */
	int finished; /* this executor ended the work */
};

/*
 * Run the start statement of w's kind, then w's chunks until nothing is left to claim
 * (then the finish statement runs), the work is cancelled, or *stopping is set; sets
 * started, more and finished of *res.
 */
int chunk_drive(struct db *db, int chunk_size, const struct chunk_work *w,
                volatile int *stopping, struct chunk_result *res, struct fb_err *err) FB_MUSTCHECK;

/*
 * A chunk's start, in its transaction: when work id is gone or cancelled, 0 with
 * st->cancelled set (if cancelled, its pending items not in flight are cancelled through
 * k->cancel_items and counted in slot); else claim up to st->limit items with stmt, sql
 * (CHUNK_CLAIM_SQL, $1 id, $2 the limit), setting st->claimed and st->item: their number
 * with *res the claimed rows (caller PQclears) when there are any, 0 when none.  -1 on
 * error.
 */
int chunk_claim(struct db *db, const struct chunk_kind *k, struct chunk_step *st, int64_t id,
                int slot, const char *stmt, const char *sql, PGresult **res,
                struct fb_err *err) FB_MUSTCHECK;

/* Add the deltas to slot of work id (nothing when all are 0), in the caller's transaction. */
int chunk_count(struct db *db, const struct chunk_kind *k, int64_t id, int slot, long long success,
                long long failed, long long ignored, long long cancelled,
                struct fb_err *err) FB_MUSTCHECK;
/*
 * A chunk's end, in its transaction: add its deltas to slot of work id (chunk_count), beat
 * the work's heartbeat, and add them to *res.
 */
int chunk_settle(struct db *db, const struct chunk_kind *k, int64_t id, int slot,
                 long long success, long long failed, long long ignored,
                 struct chunk_result *res, struct fb_err *err) FB_MUSTCHECK;
/*
 * A fail_one's statement (CHUNK_FAIL_ITEM_SQL inside one that answers the count of items
 * failed), run with params; the item it failed, if any (none when it was no longer
 * pending), is counted in slot of work id and in res->failed.
 */
int chunk_fail_item(struct db *db, const struct chunk_kind *k, int64_t id, int slot,
                    const char *stmt, const char *sql, int nparams, const char *const *params,
                    struct chunk_result *res, struct fb_err *err) FB_MUSTCHECK;

/* Run a statement of $1 id, $2 n (CHUNK_CANCEL_SQL, CHUNK_REOPEN_SQL). */
int chunk_adjust(struct db *db, const char *stmt, const char *sql, int64_t id, long long n,
                 struct fb_err *err) FB_MUSTCHECK;
/* Run a statement of $1 id; *moved (may be NULL) is 1 when it returned a row. */
int chunk_mark(struct db *db, const char *stmt, const char *sql, int64_t id, int *moved,
               struct fb_err *err) FB_MUSTCHECK;

/* The pending items of work id. */
int chunk_pending(struct db *db, const struct chunk_kind *k, int64_t id, long long *n,
                  struct fb_err *err) FB_MUSTCHECK;
/* Helper executors to ask for, besides the first, for pending items (batch.max_concurrency). */
int chunk_helpers(const struct fb_config *cfg, long long pending);
/* The recovery scan (CHUNK_STALE_SQL): *ids gets malloc'ed ids (caller frees). */
int chunk_stale(struct db *db, const struct fb_config *cfg, const struct chunk_kind *k,
                int64_t **ids, size_t *n, struct fb_err *err) FB_MUSTCHECK;

/* ---- a user's own work ------------------------------------------------------------------ */

/*
 * Work id if user uid created it: 0 with its status copied (the row locked FOR UPDATE when
 * lock, in the caller's transaction), or -1 with FB_ENOTFOUND (k->not_found: someone
 * else's work is "not found" too, so that ids reveal nothing) or a db error.
 */
int chunk_owned(struct db *db, const struct chunk_kind *k, int64_t id, int64_t uid, int lock,
                char status[16], struct fb_err *err) FB_MUSTCHECK;
/*
 * A user's cancel of their work id, in one transaction: the pending items not in flight
 * are cancelled (k->cancel_items; those in flight finish in their executor, which then
 * cancels what is left) and counted, and the work ends (k->cancel_sql).  *n: the items.
 */
int chunk_cancel(struct db *db, const struct chunk_kind *k, int64_t id, int64_t uid, int *n,
                 struct fb_err *err) FB_MUSTCHECK;
/*
 * Run in chunk_retry's transaction, with the work locked: move the failed items chosen by
 * arg back to pending; *n counts them.
 */
typedef int (*chunk_reopen_fn)(struct db *db, void *arg, int64_t id, int *n, struct fb_err *err);
/*
 * A user's retry of their work id, in one transaction: FB_ECONFLICT (k->cancelled) when
 * it was cancelled; else reopen's items go back to pending, and when there are any, the
 * failed count moves in the same commit and the work runs again (k->reopen_sql).
 */
int chunk_retry(struct db *db, const struct chunk_kind *k, int64_t id, int64_t uid,
                chunk_reopen_fn reopen, void *arg, int *n, struct fb_err *err) FB_MUSTCHECK;

/*
 * What settled today (since midnight UTC) of a kind of work: finished (with failures),
 * cancelled, their items by outcome, and the run time of the finished ones.
 */
struct chunk_day {
	long long finished, finished_with_failures, cancelled; /* pieces of work */
	long long success, failed, ignored;                    /* their items */
	double run_seconds;  /* sum of started → finished of the finished ones */
	long long run_items; /* and their items */
};
/* What of kind k settled today (k->today_sql); creator 0: everyone's. */
int chunk_today(struct db *db, const struct chunk_kind *k, int64_t creator,
                struct chunk_day *out, struct fb_err *err) FB_MUSTCHECK;

#endif
