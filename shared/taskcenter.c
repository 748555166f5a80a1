/* SPDX-License-Identifier: MIT */
/*
 * taskcenter: the task-center outbox in PostgreSQL (see taskcenter.h).
 *
 * Rows are written by the transaction that changes a task, claimed for sending with a
 * lease, and settled by their answers, many in one statement that also claims the next
 * rows (taskcenter_push_step, migration 0016: one round trip, a commit that does not wait
 * for the WAL flush since a lost claim or answer only means the event is sent again).
 * Order per (task, platform) holds because a row is claimed only when no earlier row of the same task and platform is
 * queued, being sent or failed; the per-platform concurrency limit holds across runners
 * because claims of one platform are serialized by a transaction-level advisory lock.
 * Strings returned in arrays are owned by the arrays (the *_free functions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "db.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "queue.h"
#include "rand.h"
#include "taskcenter.h"
#include "utf8.h"
#include "webhook.h"

/* Seconds a claimed row stays 'sending' beyond the platform's total timeout. */
#define LEASE_MARGIN_S 3
/* Longest Retry-After honoured, in seconds. */
#define RETRY_AFTER_MAX_S 86400
/* Bytes of result text kept (the column's bound). */
#define RESULT_MAX 1000

/* The task t as a platform sees it, and the joins it needs. */
#define TASK_SNAPSHOT_SQL                                                                   \
	"  jsonb_build_object('id', t.id, 'session_id', t.session_id, 'title', s.title,"         \
	"   'node', n.name, 'assignee', u.login, 'state', t.state, 'created', t.created,"        \
	"   'due', t.due_at)"
#define TASK_JOINS_SQL                                                                      \
	" JOIN app_sessions s ON s.id = t.session_id JOIN nodes n ON n.id = t.node_id"           \
	" LEFT JOIN users u ON u.id = t.assignee"

/*
 * The insert of the events of the relation e(task_id, event, ord) for every enabled
 * platform, with the task's snapshot; %s is that relation.
 */
#define EVENT_INSERT_SQL                                                                    \
	"INSERT INTO task_center_log (task_id, platform_id, event, webhook_id, payload)"          \
	" SELECT e.task_id, p.id, e.event,"                                                      \
	"  'msg_tc_' || e.task_id || '_' || p.id || '_' || e.event,"                             \
	TASK_SNAPSHOT_SQL " FROM (%s) e JOIN tasks t ON t.id = e.task_id" TASK_JOINS_SQL        \
	" CROSS JOIN task_center_platform p"                                                      \
	" WHERE p.enabled ORDER BY e.ord, e.task_id, p.id"                                        \
	" ON CONFLICT (task_id, platform_id, event) DO NOTHING"

static const char event_one_sql[] = "SELECT $1::bigint AS task_id, $2::text AS event, 0 AS ord";
static const char event_advanced_sql[] =
    "SELECT d.id AS task_id, 'done'::text AS event, 0 AS ord FROM unnest($1::bigint[]) d(id)"
    " UNION ALL SELECT id, 'create', 1 FROM tasks WHERE session_id IN"
    "  (SELECT session_id FROM tasks WHERE id = ANY ($1::bigint[])) AND state = 'pending'";

/* The tasks of the sessions $1 that this transaction cancelled (now() is the
 * transaction's start, which their finished time was set to). */
static const char event_cancelled_sql[] =
    "SELECT id AS task_id, 'cancel'::text AS event, 0 AS ord FROM tasks"
    " WHERE session_id = ANY ($1::bigint[]) AND state = 'cancelled' AND finished = now()";

static int
insert_events(struct db *db, const char *name, const char *rel, int nparams,
              const char *const *params, struct fb_err *err)
{
	char sql[2048];

	snprintf(sql, sizeof(sql), EVENT_INSERT_SQL, rel);
	return db_exec(db, name, sql, nparams, params, err);
}

int
taskcenter_task_event(struct db *db, int64_t task_id, const char *event, struct fb_err *err)
{
	char tid[DB_ID_MAX];

	db_id(tid, task_id);
	return insert_events(db, "tc_event", event_one_sql, 2, (const char *[]){tid, event}, err);
}

int
taskcenter_tasks_advanced(struct db *db, const char *task_ids, struct fb_err *err)
{
	return insert_events(db, "tc_advanced", event_advanced_sql, 1, (const char *[]){task_ids}, err);
}

int
taskcenter_sessions_cancelled(struct db *db, const char *session_ids, struct fb_err *err)
{
	return insert_events(db, "tc_cancelled", event_cancelled_sql, 1,
	                     (const char *[]){session_ids}, err);
}

int
taskcenter_publish(struct queue *q, struct fb_err *err)
{
	char job[37] = "";

	return queue_publish(q, QUEUE_COMMON, "taskcenter.push", NULL, job, err);
}

int
taskcenter_platforms(struct db *db, struct tc_platform **out, size_t *n, struct fb_err *err)
{
	PGresult *res;
	int i, rows;

	*out = NULL;
	*n = 0;
	res = db_query(db, "tc_platforms",
	               "SELECT id, url, secret, connect_timeout_ms, timeout_ms, max_concurrency"
	               " FROM task_center_platform WHERE enabled ORDER BY id",
	               0, NULL, err);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	*out = xcalloc((size_t)(rows ? rows : 1), sizeof(**out));
	for (i = 0; i < rows; i++) {
		struct tc_platform *p = &(*out)[i];

		p->id = db_ll(res, i, 0);
		p->url = xstrdup(PQgetvalue(res, i, 1));
		p->secret = db_val(res, i, 2) ? xstrdup(db_val(res, i, 2)) : NULL;
		p->connect_timeout_ms = (int)db_ll(res, i, 3);
		p->timeout_ms = (int)db_ll(res, i, 4);
		p->max_concurrency = (int)db_ll(res, i, 5);
	}
	*n = (size_t)rows;
	PQclear(res);
	return 0;
}

void
taskcenter_platforms_free(struct tc_platform *p, size_t n)
{
	size_t i;

	for (i = 0; p != NULL && i < n; i++) {
		free(p[i].url);
		free(p[i].secret);
	}
	free(p);
}

/* The answers a as the JSON array taskcenter_push_step reads (caller frees with free). */
static char *
answers_json(const struct tc_answer *a, size_t n)
{
	static const char *const status[] = {
		[WEBHOOK_DELIVERED] = "delivered", [WEBHOOK_REJECTED] = "rejected",
		[WEBHOOK_RETRY] = "failed"};
	struct json_object *rows = json_object_new_array();
	char why[WEBHOOK_ANSWER_MAX + 300], text[RESULT_MAX + 1], *out;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct webhook_result *res = &a[i].res;
		long ra = res->outcome == WEBHOOK_RETRY ? res->retry_after_s : 0;
		struct json_object *o = json_object_new_object();

		webhook_result_text(res, why, sizeof(why));
		utf8_clean(text, sizeof(text), why);
		jsonh_add_int(o, "id", a[i].id);
		jsonh_add_str(o, "status", status[res->outcome]);
		jsonh_add_int(o, "http", res->status);
		jsonh_add_str(o, "result", text);
		jsonh_add_int(o, "ra", ra > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : ra > 0 ? ra : 0);
		json_object_array_add(rows, o);
	}
	out = xstrdup(json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PLAIN));
	json_object_put(rows);
	return out;
}

int
taskcenter_claim(struct db *db, const struct tc_platform *p, const char *task_url,
                 const char *console_url, const struct tc_answer *a, size_t na,
                 struct tc_delivery **out, size_t *n, struct fb_err *err)
{
	char pid[DB_ID_MAX], lim[16], lease[16], *answers = na > 0 ? answers_json(a, na) : NULL;
	PGresult *res;
	int i, rows;

	*out = NULL;
	*n = 0;
	if (p != NULL) {
		db_id(pid, p->id);
		snprintf(lim, sizeof(lim), "%d", p->max_concurrency);
		snprintf(lease, sizeof(lease), "%d", p->timeout_ms / 1000 + 1 + LEASE_MARGIN_S);
	}
	/* One round trip: the function (migration 0016) records, takes the platform's lock
	 * and claims. */
	res = db_query(db, "tc_push_step",
	               "SELECT id, webhook_id, body"
	               " FROM taskcenter_push_step($1, $2, $3, $4, $5, $6)", 6,
	               (const char *[]){answers, p ? pid : NULL, p ? lim : NULL,
	                                p ? lease : NULL, task_url ? task_url : "",
	                                console_url ? console_url : ""},
	               err);
	free(answers);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	*out = xcalloc((size_t)(rows ? rows : 1), sizeof(**out));
	for (i = 0; i < rows; i++) {
		(*out)[i].id = db_ll(res, i, 0);
		snprintf((*out)[i].webhook_id, sizeof((*out)[i].webhook_id), "%s",
		         PQgetvalue(res, i, 1));
		(*out)[i].body = xstrdup(PQgetvalue(res, i, 2));
	}
	*n = (size_t)rows;
	PQclear(res);
	return 0;
}

void
taskcenter_deliveries_free(struct tc_delivery *d, size_t n)
{
	size_t i;

	for (i = 0; d != NULL && i < n; i++)
		free(d[i].body);
	free(d);
}

int
taskcenter_record(struct db *db, const struct tc_answer *a, size_t n, struct fb_err *err)
{
	struct tc_delivery *d;
	size_t nd;

	if (n == 0)
		return 0;
	if (taskcenter_claim(db, NULL, NULL, NULL, a, n, &d, &nd, err) < 0)
		return -1;
	taskcenter_deliveries_free(d, nd);
	return 0;
}

struct retry_arg {
	struct tc_retry_result *r;
};

static int
retry_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct retry_arg *a = arg;
	PGresult *res;

	res = db_query(
	    db, "tc_retry",
	    "WITH cfg AS (SELECT max_retries FROM task_center_config WHERE id = 1),"
	    " x AS (UPDATE task_center_log SET status = 'queued', lease_until = NULL,"
	    "  next_at = now(), modified = now()"
	    "  WHERE status = 'sending' AND lease_until < now() RETURNING id),"
	    " a AS (UPDATE task_center_log SET status = 'abandoned', modified = now()"
	    "  WHERE status = 'failed' AND retry_count >= (SELECT max_retries FROM cfg) RETURNING id),"
	    " q AS (UPDATE task_center_log SET status = 'queued', retry_count = retry_count + 1,"
	    "  next_at = now(), modified = now()"
	    "  WHERE status = 'failed' AND next_at <= now()"
	    "  AND retry_count < (SELECT max_retries FROM cfg) RETURNING id)"
	    " SELECT (SELECT count(*) FROM q), (SELECT count(*) FROM a), (SELECT count(*) FROM x)",
	    0, NULL, err);
	if (res == NULL)
		return -1;
	a->r->requeued = db_ll(res, 0, 0);
	a->r->abandoned = db_ll(res, 0, 1);
	a->r->expired = db_ll(res, 0, 2);
	PQclear(res);
	return 0;
}

int
taskcenter_retry(struct db *db, struct tc_retry_result *r, struct fb_err *err)
{
	struct retry_arg a = {.r = r};
	PGresult *res;

	memset(r, 0, sizeof(*r));
	if (db_tx(db, retry_tx, &a, err) < 0)
		return -1;
	res = db_query(db, "tc_due",
	               "SELECT count(*) FROM task_center_log WHERE status = 'queued' AND next_at <= now()",
	               0, NULL, err);
	if (res == NULL)
		return -1;
	r->due = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

/*
 * One chunk of the sweep of tasks without rows: after the position ($1 created, $2 id) in
 * (created, id) order over tasks_created_idx, the next $3 tasks of the last $4 days, of
 * app versions that are not test versions, that have no row at all for some enabled
 * platform; for each such (task, platform) its create, and the event of its state when
 * it is done, cancelled or timed out.  Answers the tasks found, the rows written and the
 * position of the last task found.
 */
static const char sweep_sql[] =
    "WITH c AS (SELECT t.id, t.created FROM tasks t JOIN nodes n ON n.id = t.node_id"
    "  JOIN app_versions v ON v.id = n.app_version_id"
    "  WHERE t.created >= now() - make_interval(days => $4::int) AND (t.created, t.id) > ($1::timestamptz, $2::bigint)"
    "  AND NOT v.is_test AND EXISTS (SELECT 1 FROM task_center_platform p WHERE p.enabled"
    "   AND NOT EXISTS (SELECT 1 FROM task_center_log l WHERE l.task_id = t.id AND l.platform_id = p.id))"
    "  ORDER BY t.created, t.id LIMIT $3),"
    " m AS (SELECT c.id AS task_id, p.id AS platform_id, e.event, e.ord FROM c"
    "  JOIN tasks t ON t.id = c.id CROSS JOIN task_center_platform p"
    "  CROSS JOIN LATERAL (VALUES ('create', 0), (CASE t.state WHEN 'done' THEN 'done'"
    "   WHEN 'cancelled' THEN 'cancel' WHEN 'timed_out' THEN 'timeout' END, 1)) e(event, ord)"
    "  WHERE p.enabled AND e.event IS NOT NULL AND NOT EXISTS (SELECT 1 FROM task_center_log l"
    "   WHERE l.task_id = c.id AND l.platform_id = p.id)),"
    " i AS (INSERT INTO task_center_log (task_id, platform_id, event, webhook_id, payload)"
    "  SELECT m.task_id, m.platform_id, m.event,"
    "   'msg_tc_' || m.task_id || '_' || m.platform_id || '_' || m.event,"
    TASK_SNAPSHOT_SQL " FROM m JOIN tasks t ON t.id = m.task_id" TASK_JOINS_SQL
    "  ORDER BY m.task_id, m.platform_id, m.ord"
    "  ON CONFLICT (task_id, platform_id, event) DO NOTHING RETURNING 1),"
    " last AS (SELECT created, id FROM c ORDER BY created DESC, id DESC LIMIT 1)"
    " SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM i),"
    "  (SELECT created FROM last), (SELECT id FROM last)";

struct sweep_arg {
	const char *params[4];
	long long found, written;
	char created[64], id[DB_ID_MAX];
};

static int
sweep_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct sweep_arg *a = arg;
	PGresult *res = db_query(db, "tc_sweep", sweep_sql, 4, a->params, err);

	if (res == NULL)
		return -1;
	a->found = db_ll(res, 0, 0);
	a->written = db_ll(res, 0, 1);
	if (a->found > 0) {
		snprintf(a->created, sizeof(a->created), "%s", PQgetvalue(res, 0, 2));
		snprintf(a->id, sizeof(a->id), "%s", PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return 0;
}

int
taskcenter_sweep_missing(struct db *db, int days, int chunk, int max_chunks, long long *tasks,
                         long long *rows, int *more, struct fb_err *err)
{
	struct sweep_arg a = {.created = "-infinity", .id = "0"};
	char lim[16], d[16];
	int i;

	*tasks = *rows = 0;
	*more = 0;
	snprintf(lim, sizeof(lim), "%d", chunk);
	snprintf(d, sizeof(d), "%d", days);
	for (i = 0; i < max_chunks; i++) {
		a.params[0] = a.created;
		a.params[1] = a.id;
		a.params[2] = lim;
		a.params[3] = d;
		if (db_tx(db, sweep_tx, &a, err) < 0)
			return -1;
		*tasks += a.found;
		*rows += a.written;
		if (a.found < chunk)
			return 0;
	}
	*more = 1;
	return 0;
}

/* The missing events (task_id, platform_id, event, ord) of taskcenter_reconcile; $1 the
 * window in seconds, $2 a platform id or 0. */
#define MISSING_SQL                                                                         \
	"SELECT t.id AS task_id, p.id AS platform_id, e.event, e.ord FROM tasks t"               \
	" JOIN nodes n ON n.id = t.node_id JOIN app_versions v ON v.id = n.app_version_id"      \
	" CROSS JOIN task_center_platform p"                                                      \
	" CROSS JOIN LATERAL (VALUES ('create', 0), (CASE t.state WHEN 'done' THEN 'done'"       \
	"  WHEN 'cancelled' THEN 'cancel' WHEN 'timed_out' THEN 'timeout' END, 1)) e(event, ord)" \
	" WHERE t.created >= now() - make_interval(secs => $1::bigint) AND NOT v.is_test"       \
	" AND p.enabled AND ($2::bigint = 0 OR p.id = $2::bigint) AND e.event IS NOT NULL"      \
	" AND NOT EXISTS (SELECT 1 FROM task_center_log l WHERE l.task_id = t.id"                \
	"  AND l.platform_id = p.id AND l.event = e.event AND l.status <> 'abandoned')"

static const char reconcile_dry_sql[] =
    "SELECT task_id, platform_id, event FROM (" MISSING_SQL ") m ORDER BY task_id, platform_id, ord";

static const char reconcile_sql[] =
    "INSERT INTO task_center_log (task_id, platform_id, event, webhook_id, payload)"
    " SELECT m.task_id, m.platform_id, m.event,"
    "  'msg_tc_' || m.task_id || '_' || m.platform_id || '_' || m.event,"
    TASK_SNAPSHOT_SQL " FROM (" MISSING_SQL ") m JOIN tasks t ON t.id = m.task_id" TASK_JOINS_SQL
    " ORDER BY m.task_id, m.platform_id, m.ord"
    " ON CONFLICT (task_id, platform_id, event) DO UPDATE SET status = 'queued',"
    "  retry_count = 0, next_at = now(), failed_at = NULL, payload = excluded.payload,"
    "  modified = now() WHERE task_center_log.status = 'abandoned'"
    " RETURNING task_id, platform_id, event";

struct reconcile_arg {
	const char *params[2];
	int dry_run;
	PGresult *res;
};

static int
reconcile_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct reconcile_arg *a = arg;

	PQclear(a->res);
	a->res = db_query(db, NULL, a->dry_run ? reconcile_dry_sql : reconcile_sql, 2, a->params, err);
	return a->res ? 0 : -1;
}

int
taskcenter_reconcile(struct db *db, long since_s, int64_t platform_id, int dry_run,
                     struct tc_missing **out, size_t *n, struct fb_err *err)
{
	struct reconcile_arg a = {.dry_run = dry_run};
	char since[24], pid[DB_ID_MAX];
	int i, rows;

	*out = NULL;
	*n = 0;
	snprintf(since, sizeof(since), "%ld", since_s);
	db_id(pid, platform_id);
	a.params[0] = since;
	a.params[1] = pid;
	if (db_tx(db, reconcile_tx, &a, err) < 0) {
		PQclear(a.res);
		return -1;
	}
	rows = PQntuples(a.res);
	*out = xcalloc((size_t)(rows ? rows : 1), sizeof(**out));
	for (i = 0; i < rows; i++) {
		(*out)[i].task_id = db_ll(a.res, i, 0);
		(*out)[i].platform_id = db_ll(a.res, i, 1);
		snprintf((*out)[i].event, sizeof((*out)[i].event), "%s", PQgetvalue(a.res, i, 2));
	}
	*n = (size_t)rows;
	PQclear(a.res);
	return 0;
}

long
taskcenter_age_seconds(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10), unit;

	if (end == s || n <= 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (end[0]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	return n <= 366L * 86400 / unit ? n * unit : -1;
}

int
taskcenter_config_get(struct db *db, int *max_retries, int *retry_interval_minutes,
                      struct fb_err *err)
{
	PGresult *res = db_query(db, "tc_config_get",
	                         "SELECT max_retries, retry_interval_minutes FROM task_center_config"
	                         " WHERE id = 1",
	                         0, NULL, err);

	if (res == NULL)
		return -1;
	*max_retries = PQntuples(res) ? (int)db_ll(res, 0, 0) : 3;
	*retry_interval_minutes = PQntuples(res) ? (int)db_ll(res, 0, 1) : 5;
	PQclear(res);
	return 0;
}

int
taskcenter_config_set(struct db *db, int max_retries, int retry_interval_minutes,
                      struct fb_err *err)
{
	char m[16], iv[16];

	snprintf(m, sizeof(m), "%d", max_retries);
	snprintf(iv, sizeof(iv), "%d", retry_interval_minutes);
	return db_exec(db, "tc_config_set",
	               "INSERT INTO task_center_config (id, max_retries, retry_interval_minutes)"
	               " VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET max_retries = $1,"
	               " retry_interval_minutes = $2, modified = now()",
	               2, (const char *[]){m, iv}, err);
}

/* The rows a struct tc_log_filter selects: $1 task, $2 platform, $3 status, $4 seconds. */
#define LOG_FILTER_SQL                                                                      \
	"($1::bigint IS NULL OR task_id = $1) AND ($2::bigint IS NULL OR platform_id = $2)"      \
	" AND ($3::text IS NULL OR status = $3)"                                                  \
	" AND ($4::bigint IS NULL OR created >= now() - make_interval(secs => $4::bigint))"

/* The four parameters of LOG_FILTER_SQL for f, formatted into the caller's buffers. */
static void
log_filter_params(const struct tc_log_filter *f, char tid[DB_ID_MAX], char pid[DB_ID_MAX],
                  char since[24], const char *p[4])
{
	db_id(tid, f->task_id);
	db_id(pid, f->platform_id);
	snprintf(since, 24, "%ld", f->since_s);
	p[0] = f->task_id ? tid : NULL;
	p[1] = f->platform_id ? pid : NULL;
	p[2] = f->status;
	p[3] = f->since_s ? since : NULL;
}

struct json_object *
taskcenter_logs(struct db *db, const struct tc_log_filter *f, int64_t page, int64_t page_size,
                struct fb_err *err)
{
	static const char sql[] =
	    "WITH m AS (SELECT * FROM task_center_log WHERE " LOG_FILTER_SQL ")"
	    " SELECT json_build_object('items', coalesce((SELECT json_agg(x ORDER BY x.id DESC) FROM"
	    "  (SELECT id, task_id, batch_id, op_id, platform_id, event, webhook_id, status,"
	    "   retry_count, attempts,"
	    "   http_status, result, failed_at, next_at, delivered_at, created FROM m"
	    "   ORDER BY id DESC LIMIT $5 OFFSET $6) x), '[]'::json),"
	    " 'total', (SELECT count(*) FROM m), 'page', $7::bigint, 'page_size', $5::bigint)::text";
	char tid[DB_ID_MAX], pid[DB_ID_MAX], since[24], lim[24], off[24], pg[24];
	const char *p[7];

	log_filter_params(f, tid, pid, since, p);
	db_id(lim, page_size);
	db_id(off, ((page - 1) * page_size));
	db_id(pg, page);
	p[4] = lim;
	p[5] = off;
	p[6] = pg;
	return db_query_json(db, "tc_logs", sql, 7, p, err);
}

int
taskcenter_logs_retry(struct db *db, const struct tc_log_filter *f, long long *count,
                      struct fb_err *err)
{
	char tid[DB_ID_MAX], pid[DB_ID_MAX], since[24];
	const char *p[4];
	PGresult *res;

	log_filter_params(f, tid, pid, since, p);
	res = db_query(db, "tc_logs_retry",
	               "WITH q AS (UPDATE task_center_log SET status = 'queued', retry_count = 0,"
	               "  next_at = now(), failed_at = NULL, modified = now() WHERE " LOG_FILTER_SQL
	               "  AND status IN ('failed', 'abandoned', 'rejected') RETURNING 1)"
	               " SELECT count(*) FROM q",
	               4, p, err);
	if (res == NULL)
		return -1;
	*count = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

int
taskcenter_log_retry(struct db *db, int64_t id, struct fb_err *err)
{
	char lid[DB_ID_MAX];
	PGresult *res;
	int rc;

	db_id(lid, id);
	res = db_query(db, "tc_log_retry",
	               "WITH q AS (UPDATE task_center_log SET status = 'queued', retry_count = 0,"
	               "  next_at = now(), failed_at = NULL, modified = now() WHERE id = $1"
	               "  AND status IN ('failed', 'abandoned', 'rejected') RETURNING 1)"
	               " SELECT (SELECT count(*) FROM q), (SELECT status FROM task_center_log WHERE id = $1)",
	               1, (const char *[]){lid}, err);
	if (res == NULL)
		return -1;
	rc = db_ll(res, 0, 0) > 0;
	if (!rc && db_val(res, 0, 1) == NULL)
		fb_err_msg(err, FB_ENOTFOUND, "tc.no_log", msg_args("id", json_object_new_int64(id), NULL));
	else if (!rc)
		fb_err_msg(err, FB_ECONFLICT, "tc.log_not_retryable",
		           msg_args("id", json_object_new_int64(id), "status",
		                    json_object_new_string(db_val(res, 0, 1)), NULL));
	PQclear(res);
	return rc;
}

#define PLATFORM_JSON_SQL                                                                   \
	"json_build_object('id', id, 'name', name, 'url', url, 'enabled', enabled,"             \
	" 'connect_timeout_ms', connect_timeout_ms, 'timeout_ms', timeout_ms,"                   \
	" 'max_concurrency', max_concurrency, 'notify_batch_finished', notify_batch_finished,"   \
	" 'has_secret', coalesce(secret, '') <> '', 'created', created, 'modified', modified)"

struct json_object *
taskcenter_status(struct db *db, struct fb_err *err)
{
	return db_query_json(
	    db, "tc_status",
	    "SELECT coalesce(json_agg(json_build_object('id', p.id, 'name', p.name,"
	    "  'enabled', p.enabled, 'delivered', coalesce(c.delivered, 0),"
	    "  'pending', coalesce(c.pending, 0), 'failing', coalesce(c.failing, 0),"
	    "  'rejected', coalesce(c.rejected, 0), 'abandoned', coalesce(c.abandoned, 0))"
	    "  ORDER BY p.id), '[]')::text"
	    " FROM task_center_platform p LEFT JOIN (SELECT platform_id,"
	    "  count(*) FILTER (WHERE status = 'delivered') AS delivered,"
	    "  count(*) FILTER (WHERE status IN ('queued', 'sending')) AS pending,"
	    "  count(*) FILTER (WHERE status = 'failed') AS failing,"
	    "  count(*) FILTER (WHERE status = 'rejected') AS rejected,"
	    "  count(*) FILTER (WHERE status = 'abandoned') AS abandoned"
	    "  FROM task_center_log WHERE created >= now() - interval '24 hours'"
	    "  GROUP BY platform_id) c ON c.platform_id = p.id",
	    0, NULL, err);
}

struct json_object *
taskcenter_platform_list(struct db *db, struct fb_err *err)
{
	return db_query_json(db, "tc_platform_list",
	                     "SELECT coalesce(json_agg(" PLATFORM_JSON_SQL " ORDER BY id), '[]')::text"
	                     " FROM task_center_platform",
	                     0, NULL, err);
}

struct json_object *
taskcenter_platform_get(struct db *db, int64_t id, struct fb_err *err)
{
	char pid[DB_ID_MAX];
	struct json_object *o;

	db_id(pid, id);
	o = db_query_json(db, "tc_platform_get",
	                  "SELECT " PLATFORM_JSON_SQL "::text FROM task_center_platform WHERE id = $1",
	                  1, (const char *[]){pid}, err);
	if (o == NULL && err->code == FB_ENOTFOUND) {
		fb_err_clear(err);
		fb_err_msg(err, FB_ENOTFOUND, "tc.no_platform_id", msg_args("id", json_object_new_int64(id), NULL));
	}
	return o;
}

static const char *
opt_int(char buf[16], int v)
{
	if (v < 0)
		return NULL;
	snprintf(buf, 16, "%d", v);
	return buf;
}

int
taskcenter_platform_save(struct db *db, int64_t *id, const struct tc_platform_in *in,
                         struct fb_err *err)
{
	char pid[DB_ID_MAX], ct[16], tt[16], mc[16];
	const char *p[9];
	PGresult *res;

	db_id(pid, *id);
	p[0] = pid;
	p[1] = in->name;
	p[2] = in->url;
	p[3] = in->secret;
	p[4] = in->enabled < 0 ? NULL : in->enabled ? "true" : "false";
	p[5] = opt_int(ct, in->connect_timeout_ms);
	p[6] = opt_int(tt, in->timeout_ms);
	p[7] = opt_int(mc, in->max_concurrency);
	p[8] = in->notify_batch_finished < 0 ? NULL : in->notify_batch_finished ? "true" : "false";
	res = db_query(
	    db, *id == 0 ? "tc_platform_create" : "tc_platform_update",
	    *id == 0
	        ? "INSERT INTO task_center_platform (name, url, secret, enabled, connect_timeout_ms,"
	          " timeout_ms, max_concurrency, notify_batch_finished) SELECT $2, $3, $4,"
	          " coalesce($5::boolean, true), coalesce($6::int, 2000), coalesce($7::int, 5000),"
	          " coalesce($8::int, 4), coalesce($9::boolean, false) WHERE $1::bigint = 0"
	          " RETURNING id"
	        : "UPDATE task_center_platform SET name = coalesce($2, name), url = coalesce($3, url),"
	          " secret = coalesce($4, secret), enabled = coalesce($5::boolean, enabled),"
	          " connect_timeout_ms = coalesce($6::int, connect_timeout_ms),"
	          " timeout_ms = coalesce($7::int, timeout_ms),"
	          " max_concurrency = coalesce($8::int, max_concurrency),"
	          " notify_batch_finished = coalesce($9::boolean, notify_batch_finished),"
	          " modified = now() WHERE id = $1 RETURNING id",
	    9, p, err);
	if (res == NULL) {
		if (strcmp(err->sqlstate, "23505") == 0) {
			fb_err_clear(err);
			fb_err_msg(err, FB_ECONFLICT, "tc.platform_name_taken", NULL);
		}
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		fb_err_msg(err, FB_ENOTFOUND, "tc.no_platform_id", msg_args("id", json_object_new_int64(*id), NULL));
		return -1;
	}
	*id = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

int
taskcenter_platform_ping(struct db *db, int64_t id, char webhook_id[64],
                         struct webhook_result *res, struct fb_err *err)
{
	struct webhook_target t;
	char pid[DB_ID_MAX], rnd[17];
	PGresult *res_db;
	int rc;

	db_id(pid, id);
	res_db = db_query(db, "tc_platform_ping",
	                  "SELECT url, secret, connect_timeout_ms, timeout_ms,"
	                  " json_build_object('event', 'ping', 'platform', json_build_object('id', id,"
	                  "  'name', name), 'occurred_at', now())::text"
	                  " FROM task_center_platform WHERE id = $1",
	                  1, (const char *[]){pid}, err);
	if (res_db == NULL)
		return -1;
	if (PQntuples(res_db) == 0) {
		PQclear(res_db);
		fb_err_msg(err, FB_ENOTFOUND, "tc.no_platform_id", msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	fb_random_hex(rnd, 8);
	snprintf(webhook_id, 64, "msg_tc_ping_%lld_%s", (long long)id, rnd);
	t.url = PQgetvalue(res_db, 0, 0);
	t.secret = db_val(res_db, 0, 1);
	t.connect_timeout_ms = (long)db_ll(res_db, 0, 2);
	t.timeout_ms = (long)db_ll(res_db, 0, 3);
	rc = webhook_post(&t, webhook_id, PQgetvalue(res_db, 0, 4), res, err);
	PQclear(res_db);
	return rc;
}

int
taskcenter_platform_delete(struct db *db, int64_t id, struct fb_err *err)
{
	char pid[DB_ID_MAX];
	PGresult *res;
	int n;

	db_id(pid, id);
	res = db_query(db, "tc_platform_delete",
	               "WITH d AS (DELETE FROM task_center_platform WHERE id = $1 RETURNING 1)"
	               " SELECT count(*) FROM d",
	               1, (const char *[]){pid}, err);
	if (res == NULL)
		return -1;
	n = (int)db_ll(res, 0, 0);
	PQclear(res);
	if (n == 0) {
		fb_err_msg(err, FB_ENOTFOUND, "tc.no_platform_id", msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	return 0;
}
