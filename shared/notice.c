/* SPDX-License-Identifier: MIT */
/*
 * notice: the "finished since your last visit" notice (see notice.h).  Both reads go over
 * the partial indexes (creator, finished) WHERE status = 'finished' of batch_task and
 * process_bulk_op; the counts are a row's columns plus its counter rows, as everywhere.
 */
#include <stdio.h>
#include <string.h>
#include "db.h"
#include "notice.h"

/* Items listed at the most (total counts them all). */
#define NOTICE_MAX_STR "20"

static const char list_sql[] =
    "WITH s AS (SELECT (SELECT seen_at FROM user_notice_seen WHERE user_id = $1) AS seen),"
    " x AS (SELECT 'batch' AS kind, b.id, n.name AS label, b.finished, b.total,"
    "  b.success + coalesce(c.success, 0) AS success, b.failed + coalesce(c.failed, 0) AS failed,"
    "  b.ignored + coalesce(c.ignored, 0) AS ignored, b.cancelled + coalesce(c.cancelled, 0) AS cancelled"
    "  FROM batch_task b JOIN nodes n ON n.id = b.node_id"
    "  LEFT JOIN LATERAL (SELECT sum(success) AS success, sum(failed) AS failed,"
    "   sum(ignored) AS ignored, sum(cancelled) AS cancelled FROM batch_counter"
    "   WHERE batch_id = b.id) c ON true"
    "  WHERE b.creator = $1 AND b.status = 'finished'"
    "  AND b.finished > coalesce((SELECT seen FROM s), now() - interval '7 days')"
    " UNION ALL SELECT 'operation', o.id, o.operation, o.finished, o.total,"
    "  o.success + coalesce(c.success, 0), o.failed + coalesce(c.failed, 0),"
    "  o.ignored + coalesce(c.ignored, 0), o.cancelled + coalesce(c.cancelled, 0)"
    "  FROM process_bulk_op o"
    "  LEFT JOIN LATERAL (SELECT sum(success) AS success, sum(failed) AS failed,"
    "   sum(ignored) AS ignored, sum(cancelled) AS cancelled FROM process_bulk_counter"
    "   WHERE op_id = o.id) c ON true"
    "  WHERE o.creator = $1 AND o.status = 'finished'"
    "  AND o.finished > coalesce((SELECT seen FROM s), now() - interval '7 days')),"
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
