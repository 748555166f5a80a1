/* SPDX-License-Identifier: MIT */
/*
 * chunk: what batches and bulk process operations share about executing many items —
 * the executor's loop over chunks, the counter rows, the recovery scan's staleness test
 * and the number of helper executors to ask for.
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

/* One kind of chunked work, with its callbacks. */
struct chunk_work {
	const char *id_field;   /* log field of the work's id: "batch_id", "op_id" */
	const char *item_field; /* log field of an item's id: "detail_id", "proc_log_id" */
	int64_t id;
	void *arg;
	/*
	 * Run by db_tx with a struct chunk_step: claim and process up to step->limit items,
	 * setting claimed, cancelled and item from scratch (db_tx may run it again).
	 */
	db_tx_fn chunk;
	/* Run by db_tx with a struct chunk_fail: fail that item alone, with why. */
	db_tx_fn fail_one;
	/* Nothing was left to claim: this statement (CHUNK_FINISH_SQL) ends the work. */
	const char *finish_stmt, *finish_sql;
	/* Run before the first chunk (CHUNK_START_SQL), when not NULL. */
	const char *start_stmt, *start_sql;
};

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
int chunk_adjust(struct db *db, const char *stmt, const char *sql, int64_t id, long long n,
                 struct fb_err *err) FB_MUSTCHECK;
/* Run such a statement for work id; *moved (may be NULL) is 1 when the status moved. */
int chunk_mark(struct db *db, const char *stmt, const char *sql, int64_t id, int *moved,
               struct fb_err *err) FB_MUSTCHECK;

/* What chunk_drive saw. */
struct chunk_end {
	int started;  /* this executor moved the work from init to running (start statement) */
	int more;     /* *stopping was set: items may be left for a continuation */
	int finished; /* this executor ended the work */
};

/*
 * Run w's start statement, when it has one, then its chunks until nothing is left to
 * claim (then the finish statement runs), the work is cancelled, or *stopping is set.
 */
int chunk_drive(struct db *db, int chunk_size, const struct chunk_work *w,
                volatile int *stopping, struct chunk_end *end, struct fb_err *err) FB_MUSTCHECK;

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

/* Add the deltas to slot of work id (nothing when all are 0), in the caller's transaction. */
int chunk_count(struct db *db, const struct chunk_counter *c, int64_t id, int slot, long long success,
                long long failed, long long ignored, long long cancelled,
                struct fb_err *err) FB_MUSTCHECK;

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
int chunk_today(struct db *db, const char *stmt, const char *sql, int64_t creator,
                struct chunk_day *out, struct fb_err *err) FB_MUSTCHECK;

/* The work's heartbeat, beaten once per chunk (columns id, heartbeat, modified). */
#define CHUNK_HEARTBEAT_SQL(table)                                                           \
	"UPDATE " table " SET heartbeat = now(), modified = now() WHERE id = $1"
/*
 * A chunk's end, in its transaction: add its deltas to slot of work id (chunk_count) and
 * beat the work's heartbeat (stmt, sql: CHUNK_HEARTBEAT_SQL).
 */
int chunk_settle(struct db *db, const struct chunk_counter *c, const char *stmt, const char *sql,
                 int64_t id, int slot, long long success, long long failed, long long ignored,
                 struct fb_err *err) FB_MUSTCHECK;

/*
 * The recovery scan's test for work whose execution was lost, over a table with columns
 * id, status ('init', 'running', ...), heartbeat, started, modified and created: running
 * without a heartbeat for batch.stale_minutes, or init for longer than
 * batch.init_grace_seconds.  *ids gets up to 1000 malloc'ed ids (caller frees).
 */
#define CHUNK_STALE_SQL(table)                                                               \
	"SELECT id FROM " table " WHERE "                                                        \
	"(status = 'running' AND coalesce(heartbeat, started, modified) < "                      \
	"  now() - make_interval(secs => $1::int)) "                                             \
	"OR (status = 'init' AND created < now() - make_interval(secs => $2::int)) "             \
	"ORDER BY id LIMIT 1000"
int chunk_stale(struct db *db, const struct fb_config *cfg, const char *stmt, const char *sql,
                int64_t **ids, size_t *n, struct fb_err *err) FB_MUSTCHECK;

/* Helper executors to ask for, besides the first, for pending items (batch.max_concurrency). */
int chunk_helpers(const struct fb_config *cfg, long long pending);

#endif
