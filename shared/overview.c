/* SPDX-License-Identifier: MIT */
/*
 * overview: cheap counts and the backlog ring (see overview.h).  Every PGresult and Redis
 * reply is freed before a function returns; JSON handed out is the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "overview.h"
#include "db.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define TS_SQL(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

int
overview_active_batches(struct db *db, struct overview_batches *out, struct fb_err *err)
{
	PGresult *res;
	int i;

	memset(out, 0, sizeof(*out));
	/* The predicate is the partial index's own, so the planner may use it. */
	res = db_query(db, "overview_active_batches",
	               "SELECT status, count(*) FROM batch_task"
	               " WHERE status NOT IN ('finished', 'cancelled') GROUP BY status",
	               0, NULL, err);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(db_val(res, i, 0), "init") == 0)
			out->init = db_ll(res, i, 1);
		else if (strcmp(db_val(res, i, 0), "running") == 0)
			out->running = db_ll(res, i, 1);
	}
	PQclear(res);
	return 0;
}

int
overview_throughput(struct db *db, int64_t creator, struct json_object **out,
                    struct fb_err *err)
{
	/* A range of the primary key (minute first) joined to the 60 minutes wanted. */
	static const char sql[] =
		"SELECT " TS_SQL("g.m") ", coalesce(sum(t.items), 0)"
		" FROM generate_series(date_trunc('minute', now()) - interval '59 minutes',"
		"  date_trunc('minute', now()), interval '1 minute') g(m)"
		" LEFT JOIN throughput_minute t ON t.minute = g.m"
		"  AND t.minute >= date_trunc('minute', now()) - interval '59 minutes'"
		"  AND ($1::bigint = 0 OR t.creator = $1::bigint)"
		" GROUP BY g.m ORDER BY g.m";
	char uid[24];
	PGresult *res;
	int i;

	db_id(uid, creator);
	if ((res = db_query(db, "overview_throughput", sql, 1, (const char *[]){uid}, err)) == NULL)
		return -1;
	*out = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *p = json_object_new_object();

		jsonh_add_str(p, "t", db_val(res, i, 0));
		jsonh_add_int(p, "items", db_ll(res, i, 1));
		json_object_array_add(*out, p);
	}
	PQclear(res);
	return 0;
}

int
overview_purge(struct db *db, long long *n, struct fb_err *err)
{
	return db_query_ll(db, "overview_purge",
	                   "WITH d AS (DELETE FROM throughput_minute"
	                   " WHERE minute < now() - interval '2 days' RETURNING 1) SELECT count(*) FROM d",
	                   0, NULL, n, err);
}

int
overview_push_health(struct db *db, struct json_object **out, struct fb_err *err)
{
	/*
	 * Per platform, each count over a partial index: delivered and abandoned/rejected of
	 * the last day by time (0014), queued and sending by platform (0008), failed by
	 * platform (0014).  400,000 rows, 130,000 delivered in the last day over 4 platforms:
	 * 29 ms, most of it the index-only count of the delivered.
	 */
	static const char sql[] =
		"SELECT p.id, p.name, p.enabled,"
		" (SELECT count(*) FROM task_center_log l WHERE l.status = 'delivered'"
		"  AND l.delivered_at >= now() - interval '24 hours' AND l.platform_id = p.id),"
		" (SELECT count(*) FROM task_center_log l WHERE l.status = 'queued' AND l.platform_id = p.id)"
		"  + (SELECT count(*) FROM task_center_log l WHERE l.status = 'sending'"
		"  AND l.platform_id = p.id),"
		" (SELECT count(*) FROM task_center_log l WHERE l.status = 'failed'"
		"  AND l.platform_id = p.id),"
		" (SELECT count(*) FROM task_center_log l WHERE l.status = 'abandoned'"
		"  AND l.modified >= now() - interval '24 hours' AND l.platform_id = p.id),"
		" (SELECT count(*) FROM task_center_log l WHERE l.status = 'rejected'"
		"  AND l.modified >= now() - interval '24 hours' AND l.platform_id = p.id),"
		" (SELECT " TS_SQL("max(l.delivered_at)") " FROM task_center_log l"
		"  WHERE l.status = 'delivered' AND l.delivered_at >= now() - interval '24 hours'"
		"  AND l.platform_id = p.id)"
		" FROM task_center_platform p ORDER BY p.id LIMIT 200";
	static const char *const names[] = {"delivered_24h", "pending", "failing", "abandoned_24h",
	                                    "rejected_24h"};
	PGresult *res;
	int i, k;

	if ((res = db_query(db, "overview_push_health", sql, 0, NULL, err)) == NULL)
		return -1;
	*out = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *p = json_object_new_object();

		jsonh_add_int(p, "platform_id", db_ll(res, i, 0));
		jsonh_add_str(p, "name", db_val(res, i, 1));
		jsonh_add_bool(p, "enabled", strcmp(PQgetvalue(res, i, 2), "t") == 0);
		for (k = 0; k < 5; k++)
			jsonh_add_int(p, names[k], db_ll(res, i, 3 + k));
		jsonh_add_str(p, "last_delivered", db_val(res, i, 8));
		json_object_array_add(*out, p);
	}
	PQclear(res);
	return 0;
}

/* Over crontab_history_failed_idx (0014). */
#define CRON_FAILED_WHERE                                                                    \
	" WHERE h.status IN ('failed', 'timed_out') AND h.finished >= now() - interval '24 hours'"

int
overview_cron_failures(struct db *db, int limit, struct json_object **out, struct fb_err *err)
{
	char lim[24];
	struct json_object *recent;
	PGresult *res;
	long long count;
	int i;

	if (db_query_ll(db, "overview_cron_failures_count",
	                "SELECT count(*) FROM crontab_history h" CRON_FAILED_WHERE, 0, NULL, &count,
	                err) < 0)
		return -1;
	snprintf(lim, sizeof(lim), "%d", limit);
	res = db_query(db, "overview_cron_failures",
	               "SELECT h.id, h.crontab_id, c.name, h.status, " TS_SQL("h.finished") ","
	               " left(h.content, 300) FROM crontab_history h"
	               " JOIN crontab c ON c.id = h.crontab_id" CRON_FAILED_WHERE
	               " ORDER BY h.finished DESC LIMIT $1",
	               1, (const char *[]){lim}, err);
	if (res == NULL)
		return -1;
	recent = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *h = json_object_new_object();

		jsonh_add_int(h, "history_id", db_ll(res, i, 0));
		jsonh_add_int(h, "crontab_id", db_ll(res, i, 1));
		jsonh_add_str(h, "name", db_val(res, i, 2));
		jsonh_add_str(h, "status", db_val(res, i, 3));
		jsonh_add_str(h, "finished", db_val(res, i, 4));
		jsonh_add_str(h, "error", db_val(res, i, 5));
		json_object_array_add(recent, h);
	}
	PQclear(res);
	*out = json_object_new_object();
	jsonh_add_int(*out, "count", count);
	json_object_object_add(*out, "recent", recent);
	return 0;
}

static char *
backlog_key(struct queue *q)
{
	return xasprintf("%s:backlog", queue_prefix(q));
}

int
overview_backlog_sample(struct queue *q, const struct queue_stats *st, struct fb_err *err)
{
	char *key = backlog_key(q), sample[256], keep[16];
	struct timespec now;
	redisReply *r;
	int rc = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	/* "ms hl hp cl cp ll lp": small, and read back without a JSON parser. */
	snprintf(sample, sizeof(sample), "%lld %lld %lld %lld %lld %lld %lld",
	         (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, st->length[QUEUE_HIGH],
	         st->pending[QUEUE_HIGH], st->length[QUEUE_COMMON], st->pending[QUEUE_COMMON],
	         st->length[QUEUE_LOW], st->pending[QUEUE_LOW]);
	snprintf(keep, sizeof(keep), "%d", OVERVIEW_BACKLOG_KEEP - 1);
	{
		const char *a[] = {"LPUSH", key, sample};

		if ((r = queue_command(q, NARGS(a), a, err)) == NULL)
			goto out;
		freeReplyObject(r);
	}
	{
		const char *a[] = {"LTRIM", key, "0", keep};

		if ((r = queue_command(q, NARGS(a), a, err)) == NULL)
			goto out;
		freeReplyObject(r);
	}
	rc = 0;
out:
	free(key);
	return rc;
}

int
overview_backlog(struct queue *q, int n, struct json_object **out, struct fb_err *err)
{
	char *key = backlog_key(q), last[16];
	redisReply *r;
	size_t i;

	snprintf(last, sizeof(last), "%d", (n > 0 ? n : 1) - 1);
	{
		const char *a[] = {"LRANGE", key, "0", last};

		r = queue_command(q, NARGS(a), a, err);
	}
	free(key);
	if (r == NULL)
		return -1;
	*out = json_object_new_array();
	/* Newest first in Redis: walk backwards for oldest first. */
	for (i = r->type == REDIS_REPLY_ARRAY ? r->elements : 0; i > 0; i--) {
		const redisReply *e = r->element[i - 1];
		long long v[7];
		struct json_object *s;
		int p;

		if (e->type != REDIS_REPLY_STRING ||
		    sscanf(e->str, "%lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
		           &v[4], &v[5], &v[6]) != 7)
			continue;
		s = json_object_new_object();
		jsonh_add_int(s, "t", v[0]);
		for (p = 0; p < QUEUE_NPRIO; p++) {
			struct json_object *one = json_object_new_object();

			jsonh_add_int(one, "length", v[1 + 2 * p]);
			jsonh_add_int(one, "pending", v[2 + 2 * p]);
			json_object_object_add(s, queue_prio_name((enum queue_prio)p), one);
		}
		json_object_array_add(*out, s);
	}
	freeReplyObject(r);
	return 0;
}
