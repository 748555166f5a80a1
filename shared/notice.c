/* SPDX-License-Identifier: MIT */
/*
 * notice: the "ended since your last visit" notice (see notice.h).  Both ends are read over
 * the partial indexes (creator, finished) WHERE status IN ('finished', 'cancelled') of
 * batch_task and process_bulk_op (migration 0018); the counts are a row's columns plus its
 * counter rows, as everywhere.
 */
#include <stdio.h>
#include <string.h>
#include "db.h"
#include "notice.h"

/* Items listed at the most (total counts them all). */
#define NOTICE_MAX_STR "20"

/* The last acknowledgement; never acknowledged: the last 7 days. */
#define NOTICE_SINCE "coalesce((SELECT seen FROM s), now() - interval '7 days')"

/*
 * The user's rows of TABLE (counter rows COUNTER by KEY) that ended with STATUS since the
 * last acknowledgement: one branch per status, each an index range of the partial index.
 */
#define NOTICE_BRANCH(kind, label, table, counter, key, status)                               \
	" SELECT " kind " AS kind, w.id, " label " AS label, w.status, w.finished, w.total,"      \
	"  w.success + coalesce(c.success, 0) AS success, w.failed + coalesce(c.failed, 0) AS failed," \
	"  w.ignored + coalesce(c.ignored, 0) AS ignored,"                                       \
	"  w.cancelled + coalesce(c.cancelled, 0) AS cancelled"                                  \
	"  FROM " table " w"                                                                     \
	"  LEFT JOIN LATERAL (SELECT sum(success) AS success, sum(failed) AS failed,"            \
	"   sum(ignored) AS ignored, sum(cancelled) AS cancelled FROM " counter                  \
	"   WHERE " key " = w.id) c ON true"                                                     \
	"  WHERE w.creator = $1 AND w.status = '" status "' AND w.finished > " NOTICE_SINCE
#define NOTICE_BATCH(status)                                                                  \
	NOTICE_BRANCH("'batch'", "(SELECT name FROM nodes WHERE id = w.node_id)", "batch_task",  \
	              "batch_counter", "batch_id", status)
#define NOTICE_OP(status)                                                                     \
	NOTICE_BRANCH("'operation'", "w.operation", "process_bulk_op", "process_bulk_counter",   \
	              "op_id", status)

static const char list_sql[] =
    "WITH s AS (SELECT (SELECT seen_at FROM user_notice_seen WHERE user_id = $1) AS seen),"
    " x AS (" NOTICE_BATCH("finished") " UNION ALL" NOTICE_BATCH("cancelled")
    " UNION ALL" NOTICE_OP("finished") " UNION ALL" NOTICE_OP("cancelled") "),"
    " top AS (SELECT * FROM x ORDER BY finished DESC, id DESC LIMIT " NOTICE_MAX_STR ")"
    " SELECT json_build_object('since', (SELECT seen FROM s),"
    "  'until', (SELECT max(finished) FROM x), 'total', (SELECT count(*) FROM x),"
    "  'items', coalesce((SELECT json_agg(top ORDER BY finished DESC, id DESC) FROM top),"
    "  '[]'::json))::text";

struct json_object *
notice_list(struct db *db, int64_t user_id, struct fb_err *err)
{
	char uid[DB_ID_MAX];

	db_id(uid, user_id);
	return db_query_json(db, "notice_list", list_sql, 1, (const char *[]){uid}, err);
}

int
notice_ack(struct db *db, int64_t user_id, const char *until, struct fb_err *err)
{
	char uid[DB_ID_MAX];
	int rc;

	db_id(uid, user_id);
	rc = db_exec(db, "notice_ack",
	             "INSERT INTO user_notice_seen AS s (user_id, seen_at)"
	             " VALUES ($1, coalesce($2::timestamptz, now()))"
	             " ON CONFLICT (user_id) DO UPDATE SET seen_at = greatest(s.seen_at, excluded.seen_at)",
	             2, (const char *[]){uid, until}, err);
	if (rc < 0 && strncmp(err->sqlstate, "2200", 4) == 0) {
		fb_err_clear(err);
		fb_err_msg(err, FB_EINVAL, "notice.until", NULL);
	}
	return rc;
}
