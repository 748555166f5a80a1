/* SPDX-License-Identifier: MIT */
/*
 * alert: the rules, their evaluation and the reads of the alert table (see alert.h).
 *
 * Every rule builds its firing set in memory — a JSON array of {subject, message, params},
 * at most ALERT_MAX_SUBJECTS — from an indexed query or from Redis, and hands it to
 * apply(), one statement that upserts the set and resolves the rest of the rule's open
 * alerts in its scope.  Messages are English; params carry the figures for a console that
 * words them in its own language.  Nothing here keeps memory past a call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "alert.h"
#include "batch.h"
#include "jsonh.h"
#include "listing.h"
#include "log.h"
#include "msg.h"
#include "runners.h"

#define ALERT_MAX_SUBJECTS 1000 /* subjects one rule raises at most per evaluation */
#define TS(col) ALERT_SQL_TIME(col)

static const struct {
	const char *name;
	const char *severity;
} rules[ALERT_NRULES] = {
	[ALERT_BATCH_STALLED] = {"batch_stalled", "warning"},
	[ALERT_BATCH_FAILURE_RATE] = {"batch_failure_rate", "warning"},
	[ALERT_QUEUE_OLDEST_ENTRY] = {"queue_oldest_entry", "warning"},
	[ALERT_NO_LIVE_RUNNER] = {"no_live_runner", "critical"},
	[ALERT_RUNNER_MEMORY] = {"runner_memory", "warning"},
	[ALERT_PUSH_FAILURES] = {"push_failures", "warning"},
	[ALERT_CRONTAB_FAILING] = {"crontab_failing", "warning"},
};

const char *
alert_rule_name(enum alert_rule rule)
{
	return rule >= 0 && rule < ALERT_NRULES ? rules[rule].name : "unknown";
}

void
alert_each_item(const char *list, void (*fn)(const char *item, size_t len, void *arg), void *arg)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ","), b = 0, e = len;

		while (b < e && (p[b] == ' ' || p[b] == '\t'))
			b++;
		while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		if (e > b)
			fn(p + b, e - b, arg);
		p += len + (p[len] == ',');
	}
}

struct find_rule {
	const char *name;
	int found;
};

static void
match_rule(const char *item, size_t len, void *arg)
{
	struct find_rule *f = arg;

	if (strlen(f->name) == len && strncmp(item, f->name, len) == 0)
		f->found = 1;
}

int
alert_rule_enabled(const struct fb_config *cfg, enum alert_rule rule)
{
	struct find_rule f = {alert_rule_name(rule), 0};

	alert_each_item(cfg->alerts_disabled, match_rule, &f);
	return !f.found;
}

static void
check_disabled(const char *item, size_t len, void *arg)
{
	int r;

	for (r = 0; r < ALERT_NRULES; r++)
		if (strlen(rules[r].name) == len && strncmp(item, rules[r].name, len) == 0)
			return;
	buf_printf(arg, "alerts.disabled: \"%.*s\" is not a rule (batch_stalled, batch_failure_rate, "
	                "queue_oldest_entry, no_live_runner, runner_memory, push_failures, "
	                "crontab_failing)\n",
	           (int)len, item);
}

static void
check_url(const char *item, size_t len, void *arg)
{
	size_t scheme = strncmp(item, "https://", 8) == 0 ? 8 : strncmp(item, "http://", 7) == 0 ? 7 : 0;

	if (scheme == 0 || len == scheme || memchr(item, ' ', len) != NULL || len > 2000)
		buf_printf(arg, "alerts.webhook_urls: \"%.*s\" is not an http:// or https:// URL\n",
		           (int)(len > 200 ? 200 : len), item);
}

void
alert_config_check(const struct fb_config *cfg, struct buf *errs)
{
	alert_each_item(cfg->alerts_disabled, check_disabled, errs);
	alert_each_item(cfg->alerts_webhook_urls, check_url, errs);
}

/* ---- applying a rule's firing set ---------------------------------------------------- */

static void
note_url(const char *item, size_t len, void *arg)
{
	(void)item;
	(void)len;
	(*(int *)arg)++;
}

static int
webhooks_configured(const struct fb_config *cfg)
{
	int n = 0;

	alert_each_item(cfg->alerts_webhook_urls, note_url, &n);
	return n > 0;
}

/* One subject of a firing set; params is stolen. */
static void
fire(struct json_object *set, const char *subject, struct json_object *params, const char *fmt,
     ...) __attribute__((format(printf, 4, 5)));

static void
fire(struct json_object *set, const char *subject, struct json_object *params, const char *fmt, ...)
{
	struct json_object *o;
	char msg[1000];
	va_list ap;

	if (json_object_array_length(set) >= ALERT_MAX_SUBJECTS) {
		json_object_put(params);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_object_new_object();
	jsonh_add_str(o, "subject", subject);
	jsonh_add_str(o, "message", msg);
	json_object_object_add(o, "params", params);
	json_object_array_add(set, o);
}

/*
 * Raise / keep / resolve: the subjects of set are upserted as open alerts of rule (a new
 * one due for notification when webhooks are configured), and the rule's other open
 * alerts whose subject starts with scope are resolved (due for notification likewise).
 */
static int
apply(struct db *db, const struct fb_config *cfg, enum alert_rule rule, const char *scope,
      struct json_object *set, struct alert_counts *out, struct fb_err *err)
{
	static const char sql[] =
		"WITH f AS (SELECT x->>'subject' AS subject, left(x->>'message', 1000) AS message,"
		"  coalesce(x->'params', '{}') AS params FROM jsonb_array_elements($3::jsonb) x),"
		" up AS (INSERT INTO alert AS a (rule, subject, severity, message, params, notify_at)"
		"  SELECT $1, subject, $2, message, params, CASE WHEN $5::boolean THEN now() END FROM f"
		"  ON CONFLICT (rule, subject) WHERE resolved_at IS NULL"
		"  DO UPDATE SET last_seen = now(), message = excluded.message, params = excluded.params"
		"  RETURNING (xmax = 0) AS inserted),"
		" gone AS (UPDATE alert SET resolved_at = now(),"
		"  notify_at = CASE WHEN $5::boolean THEN now() ELSE notify_at END"
		"  WHERE rule = $1 AND resolved_at IS NULL AND starts_with(subject, $4)"
		"  AND subject NOT IN (SELECT subject FROM f) RETURNING 1)"
		" SELECT (SELECT count(*) FILTER (WHERE inserted) FROM up),"
		" (SELECT count(*) FILTER (WHERE NOT inserted) FROM up), (SELECT count(*) FROM gone)";
	const char *p[5] = {rules[rule].name, rules[rule].severity, jsonh_str(set), scope,
	                    webhooks_configured(cfg) ? "true" : "false"};
	PGresult *res = db_query(db, "alert_apply", sql, 5, p, err);

	if (res == NULL)
		return -1;
	out->raised += (int)db_ll(res, 0, 0);
	out->kept += (int)db_ll(res, 0, 1);
	out->resolved += (int)db_ll(res, 0, 2);
	if (db_ll(res, 0, 0) > 0 || db_ll(res, 0, 2) > 0)
		log_info("alerts", "rule", LOG_STR(rules[rule].name), "raised", LOG_INT(db_ll(res, 0, 0)),
		         "resolved", LOG_INT(db_ll(res, 0, 2)), NULL);
	PQclear(res);
	return 0;
}

/* ---- the rules ----------------------------------------------------------------------- */

static int
rule_batch_stalled(struct db *db, const struct fb_config *cfg, struct json_object *set,
                   struct fb_err *err)
{
	/* The status predicates are those of batch_task_active_idx and of
	 * process_bulk_op_status_modified_idx: only unsettled work is read.  Progress is the
	 * last chunk's heartbeat (which also moves modified), the start, or a status change. */
	static const char sql[] =
		"SELECT 'batch', id, status, floor(extract(epoch FROM now() -"
		"  greatest(heartbeat, started, modified)))::bigint FROM batch_task"
		" WHERE status NOT IN ('finished', 'cancelled')"
		" AND greatest(heartbeat, started, modified) < now() - make_interval(secs => $1::int)"
		" UNION ALL "
		"SELECT 'bulk_op', id, status, floor(extract(epoch FROM now() -"
		"  greatest(heartbeat, started, modified)))::bigint FROM process_bulk_op"
		" WHERE status IN ('init', 'running')"
		" AND greatest(heartbeat, started, modified) < now() - make_interval(secs => $1::int)"
		" ORDER BY 1, 2 LIMIT 1000";
	char secs[16];
	const char *p[1] = {secs};
	PGresult *res;
	int i;

	snprintf(secs, sizeof(secs), "%d", cfg->alerts_batch_stalled_seconds);
	if ((res = db_query(db, "alert_batch_stalled", sql, 1, p, err)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *params = json_object_new_object();
		int op = strcmp(db_val(res, i, 0), "bulk_op") == 0;
		char subject[64];

		snprintf(subject, sizeof(subject), "%s:%lld", db_val(res, i, 0), db_ll(res, i, 1));
		jsonh_add_str(params, "kind", db_val(res, i, 0));
		jsonh_add_int(params, "id", db_ll(res, i, 1));
		jsonh_add_str(params, "status", db_val(res, i, 2));
		jsonh_add_int(params, "idle_seconds", db_ll(res, i, 3));
		jsonh_add_int(params, "threshold_seconds", cfg->alerts_batch_stalled_seconds);
		fire(set, subject, params, "%s %lld (%s) has made no progress for %lld s",
		     op ? "bulk operation" : "batch", db_ll(res, i, 1), db_val(res, i, 2),
		     db_ll(res, i, 3));
	}
	PQclear(res);
	return 0;
}

static int
rule_batch_failure_rate(struct db *db, const struct fb_config *cfg, struct json_object *set,
                        struct fb_err *err)
{
	/* Batches not settled (batch_task_active_idx) and those finished within the hour
	 * (batch_task_status_modified_idx), with their counter rows. */
	static const char sql[] =
		"SELECT id, status, success, failed FROM ("
		" SELECT b.id, b.status, b.success + coalesce(c.success, 0) AS success,"
		"  b.failed + coalesce(c.failed, 0) AS failed FROM batch_task b " BATCH_COUNTS_JOIN
		" WHERE b.status NOT IN ('finished', 'cancelled')"
		" UNION ALL"
		" SELECT b.id, b.status, b.success + coalesce(c.success, 0),"
		"  b.failed + coalesce(c.failed, 0) FROM batch_task b " BATCH_COUNTS_JOIN
		" WHERE b.status = 'finished' AND b.modified >= now() - interval '1 hour') x"
		" WHERE success + failed >= $1::int AND failed * 100 > $2::int * (success + failed)"
		" ORDER BY id LIMIT 1000";
	char min[16], pct[16];
	const char *p[2] = {min, pct};
	PGresult *res;
	int i;

	snprintf(min, sizeof(min), "%d", cfg->alerts_batch_failure_min_items);
	snprintf(pct, sizeof(pct), "%d", cfg->alerts_batch_failure_percent);
	if ((res = db_query(db, "alert_batch_failure_rate", sql, 2, p, err)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *params = json_object_new_object();
		long long ok = db_ll(res, i, 2), bad = db_ll(res, i, 3);
		double rate = (double)bad * 100.0 / (double)(ok + bad);
		char subject[64];

		snprintf(subject, sizeof(subject), "batch:%lld", db_ll(res, i, 0));
		jsonh_add_int(params, "batch_id", db_ll(res, i, 0));
		jsonh_add_str(params, "status", db_val(res, i, 1));
		jsonh_add_int(params, "success", ok);
		jsonh_add_int(params, "failed", bad);
		jsonh_add_double(params, "failure_percent", rate);
		jsonh_add_int(params, "threshold_percent", cfg->alerts_batch_failure_percent);
		fire(set, subject, params, "batch %lld: %lld of %lld decided items failed (%.1f%% > %d%%)",
		     db_ll(res, i, 0), bad, ok + bad, rate, cfg->alerts_batch_failure_percent);
	}
	PQclear(res);
	return 0;
}

static int
rule_push_failures(struct db *db, const struct fb_config *cfg, struct json_object *set,
                   struct fb_err *err)
{
	/* task_center_log_failures_idx holds only the failed, rejected and abandoned rows. */
	static const char sql[] =
		"SELECT l.platform_id, p.name, l.n FROM (SELECT platform_id, count(*) AS n"
		"  FROM task_center_log WHERE status IN ('failed', 'rejected', 'abandoned')"
		"  AND modified >= now() - make_interval(mins => $1::int) GROUP BY platform_id) l"
		" JOIN task_center_platform p ON p.id = l.platform_id"
		" WHERE l.n >= $2::int ORDER BY 1 LIMIT 1000";
	char mins[16], n[16];
	const char *p[2] = {mins, n};
	PGresult *res;
	int i;

	snprintf(mins, sizeof(mins), "%d", cfg->alerts_push_failures_minutes);
	snprintf(n, sizeof(n), "%d", cfg->alerts_push_failures);
	if ((res = db_query(db, "alert_push_failures", sql, 2, p, err)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *params = json_object_new_object();
		char subject[64];

		snprintf(subject, sizeof(subject), "platform:%lld", db_ll(res, i, 0));
		jsonh_add_int(params, "platform_id", db_ll(res, i, 0));
		jsonh_add_str(params, "platform", db_val(res, i, 1));
		jsonh_add_int(params, "failures", db_ll(res, i, 2));
		jsonh_add_int(params, "minutes", cfg->alerts_push_failures_minutes);
		jsonh_add_int(params, "threshold", cfg->alerts_push_failures);
		fire(set, subject, params, "task-center platform %s: %lld pushes failed in the last %d min",
		     db_val(res, i, 1), db_ll(res, i, 2), cfg->alerts_push_failures_minutes);
	}
	PQclear(res);
	return 0;
}

static int
rule_crontab_failing(struct db *db, const struct fb_config *cfg, struct json_object *set,
                     struct fb_err *err)
{
	/* Candidates: crontabs whose last run failed (crontab_failed_idx) and those with an
	 * open alert (a run in progress must not resolve it); for each, its last K settled runs
	 * from crontab_history_crontab_idx. */
	static const char sql[] =
		"WITH cand AS (SELECT id FROM crontab WHERE last_state IN ('failed', 'timed_out')"
		"  UNION SELECT (params->>'crontab_id')::bigint FROM alert"
		"  WHERE rule = 'crontab_failing' AND resolved_at IS NULL)"
		" SELECT c.id, c.name, h.bad, h.last_error FROM crontab c JOIN cand ON cand.id = c.id"
		" CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE status IN ('failed', 'timed_out')) AS bad,"
		"  (array_agg(left(content, 300) ORDER BY id DESC))[1] AS last_error FROM ("
		"  SELECT id, status, content FROM crontab_history WHERE crontab_id = c.id"
		"  AND status IN ('success', 'failed', 'timed_out') ORDER BY id DESC LIMIT $1::int) r) h"
		" WHERE h.bad = $1::int ORDER BY c.id LIMIT 1000";
	char k[16];
	const char *p[1] = {k};
	PGresult *res;
	int i;

	snprintf(k, sizeof(k), "%d", cfg->alerts_crontab_failures);
	if ((res = db_query(db, "alert_crontab_failing", sql, 1, p, err)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *params = json_object_new_object();
		char subject[64];

		snprintf(subject, sizeof(subject), "crontab:%lld", db_ll(res, i, 0));
		jsonh_add_int(params, "crontab_id", db_ll(res, i, 0));
		jsonh_add_str(params, "crontab", db_val(res, i, 1));
		jsonh_add_int(params, "failures", db_ll(res, i, 2));
		if (db_val(res, i, 3) != NULL)
			jsonh_add_str(params, "last_error", db_val(res, i, 3));
		fire(set, subject, params, "crontab %s (%lld) failed its last %lld runs", db_val(res, i, 1),
		     db_ll(res, i, 0), db_ll(res, i, 2));
	}
	PQclear(res);
	return 0;
}

static int
rule_queue_oldest(struct queue *q, const struct fb_config *cfg, struct json_object *set,
                  struct fb_err *err)
{
	struct queue_stats st;
	unsigned paused = 0;
	int p;

	if (queue_stats(q, &st, err) < 0 || runners_get_paused(q, &paused, err) < 0)
		return -1;
	for (p = 0; p < QUEUE_NPRIO; p++) {
		const char *name = queue_prio_name((enum queue_prio)p);
		struct json_object *params;
		char subject[300];

		if (st.oldest_age_ms[p] <= (long long)cfg->alerts_queue_oldest_seconds * 1000)
			continue;
		params = json_object_new_object();
		snprintf(subject, sizeof(subject), "%s:jobs:%s", queue_prefix(q), name);
		jsonh_add_str(params, "stream", name);
		jsonh_add_int(params, "oldest_age_seconds", st.oldest_age_ms[p] / 1000);
		jsonh_add_int(params, "length", st.length[p]);
		jsonh_add_bool(params, "paused", (paused & (1u << p)) != 0);
		jsonh_add_int(params, "threshold_seconds", cfg->alerts_queue_oldest_seconds);
		fire(set, subject, params, "stream %s%s: its oldest entry is %lld s old (%lld entries)",
		     name, (paused & (1u << p)) ? " (paused)" : "", st.oldest_age_ms[p] / 1000,
		     st.length[p]);
	}
	return 0;
}

static int
rule_runner_memory(struct queue *q, const struct fb_config *cfg, struct json_object *set,
                   struct fb_err *err)
{
	long long limit = (long long)cfg->alerts_runner_rss_limit_mb * 1024 * 1024;
	struct json_object *list = runners_list(q, err);
	size_t i;

	if (list == NULL)
		return -1;
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *r = json_object_array_get_idx(list, i), *v, *params;
		const char *name = "";
		long long rss = 0;
		char subject[400];

		if (!json_object_object_get_ex(r, "state", &v) ||
		    strcmp(json_object_get_string(v), "live") != 0)
			continue;
		if (json_object_object_get_ex(r, "rss_bytes", &v))
			rss = json_object_get_int64(v);
		if (rss <= limit)
			continue;
		if (json_object_object_get_ex(r, "runner", &v))
			name = json_object_get_string(v);
		params = json_object_new_object();
		snprintf(subject, sizeof(subject), "%s:runner:%s", queue_prefix(q), name);
		jsonh_add_str(params, "runner", name);
		jsonh_add_int(params, "rss_bytes", rss);
		jsonh_add_int(params, "limit_bytes", limit);
		fire(set, subject, params, "runner %s uses %lld MiB of memory (limit %d MiB)", name,
		     rss / (1024 * 1024), cfg->alerts_runner_rss_limit_mb);
	}
	json_object_put(list);
	return 0;
}

/* ---- evaluation ---------------------------------------------------------------------- */

/*
 * One rule: its firing set (empty when the rule is disabled: its alerts resolve), then
 * apply.  A failure is counted and the first one kept in err; the caller goes on.
 */
static void
evaluate(struct db *db, struct queue *q, const struct fb_config *cfg, enum alert_rule rule,
         struct alert_counts *out, struct fb_err *err)
{
	struct json_object *set = json_object_new_array();
	struct fb_err e = {0};
	char scope[300] = "";
	int rc = 0;

	if (rule == ALERT_QUEUE_OLDEST_ENTRY || rule == ALERT_RUNNER_MEMORY ||
	    rule == ALERT_NO_LIVE_RUNNER)
		snprintf(scope, sizeof(scope), "%s:", queue_prefix(q));
	if (alert_rule_enabled(cfg, rule)) {
		switch (rule) {
		case ALERT_BATCH_STALLED:
			rc = rule_batch_stalled(db, cfg, set, &e);
			break;
		case ALERT_BATCH_FAILURE_RATE:
			rc = rule_batch_failure_rate(db, cfg, set, &e);
			break;
		case ALERT_QUEUE_OLDEST_ENTRY:
			rc = rule_queue_oldest(q, cfg, set, &e);
			break;
		case ALERT_RUNNER_MEMORY:
			rc = rule_runner_memory(q, cfg, set, &e);
			break;
		case ALERT_PUSH_FAILURES:
			rc = rule_push_failures(db, cfg, set, &e);
			break;
		case ALERT_CRONTAB_FAILING:
			rc = rule_crontab_failing(db, cfg, set, &e);
			break;
		case ALERT_NO_LIVE_RUNNER:
		case ALERT_NRULES:
			break;
		}
	}
	if (rc == 0)
		rc = apply(db, cfg, rule, scope, set, out, &e);
	json_object_put(set);
	if (rc < 0) {
		log_warn("alert rule not evaluated", "rule", LOG_STR(rules[rule].name), "error",
		         LOG_STR(e.msg), NULL);
		out->failed++;
		if (err->code == FB_OK)
			*err = e; /* details and all: err owns them now */
		else
			fb_err_clear(&e);
	}
}

/* Resolved alerts past alerts.history_days, at most a thousand, oldest first
 * (alert_resolved_idx); one whose resolve is still to be sent stays. */
static int
purge(struct db *db, const struct fb_config *cfg, struct fb_err *err)
{
	char days[16];

	snprintf(days, sizeof(days), "%d", cfg->alerts_history_days);
	return db_exec(db, "alert_purge",
	               "DELETE FROM alert WHERE id IN (SELECT id FROM alert"
	               " WHERE resolved_at < now() - make_interval(days => $1::int) AND notify_at IS NULL"
	               " ORDER BY resolved_at LIMIT 1000)",
	               1, (const char *[]){days}, err);
}

int
alert_evaluate(struct db *db, struct queue *q, const struct fb_config *cfg,
               struct alert_counts *out, struct fb_err *err)
{
	struct fb_err e = {0};
	static const enum alert_rule order[] = {ALERT_BATCH_STALLED, ALERT_BATCH_FAILURE_RATE,
	                                        ALERT_QUEUE_OLDEST_ENTRY, ALERT_RUNNER_MEMORY,
	                                        ALERT_PUSH_FAILURES, ALERT_CRONTAB_FAILING};
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		evaluate(db, q, cfg, order[i], out, err);
	if (purge(db, cfg, out->failed > 0 ? &e : err) < 0 && out->failed == 0)
		return -1;
	fb_err_clear(&e);
	return out->failed > 0 ? -1 : 0;
}

/* Seconds since this prefix has had no live runner (0 when one lives); -1 on error. */
static long long
no_runner_for(struct queue *q, struct fb_err *err)
{
	struct json_object *list = runners_list(q, err);
	char *key, now[32];
	long long since = 0, t = (long long)time(NULL);
	redisReply *r;
	size_t i;
	int live = 0;

	if (list == NULL)
		return -1;
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *v;

		if (json_object_object_get_ex(json_object_array_get_idx(list, i), "state", &v) &&
		    strcmp(json_object_get_string(v), "live") == 0)
			live = 1;
	}
	json_object_put(list);
	key = xasprintf("%s:alerts:no_runner_since", queue_prefix(q));
	snprintf(now, sizeof(now), "%lld", t);
	if (live) {
		const char *a[] = {"DEL", key};

		r = queue_command(q, 2, a, err);
	} else {
		/* SET NX then GET: the first web process to notice sets the time. */
		const char *a[] = {"SET", key, now, "NX", "GET"};

		r = queue_command(q, 5, a, err);
		if (r != NULL && r->type == REDIS_REPLY_STRING)
			since = strtoll(r->str, NULL, 10);
		else
			since = t;
	}
	free(key);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return live ? 0 : (t > since ? t - since : 0) + 1;
}

int
alert_evaluate_runners(struct db *db, struct queue *q, const struct fb_config *cfg,
                       struct alert_counts *out, struct fb_err *err)
{
	struct json_object *set = json_object_new_array();
	char scope[300];
	long long gone = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(scope, sizeof(scope), "%s:", queue_prefix(q));
	if (alert_rule_enabled(cfg, ALERT_NO_LIVE_RUNNER) && (gone = no_runner_for(q, err)) < 0)
		rc = -1;
	/* gone counts from 1 at the first look without a runner. */
	if (rc == 0 && gone > 0 && gone - 1 >= cfg->alerts_no_runner_seconds) {
		struct json_object *params = json_object_new_object();
		char subject[320];

		snprintf(subject, sizeof(subject), "%srunners", scope);
		jsonh_add_int(params, "seconds", gone - 1);
		jsonh_add_str(params, "prefix", queue_prefix(q));
		fire(set, subject, params, "no live runner for %lld s", gone - 1);
	}
	if (rc == 0)
		rc = apply(db, cfg, ALERT_NO_LIVE_RUNNER, scope, set, out, err);
	json_object_put(set);
	if (rc < 0)
		out->failed++;
	return rc;
}

/* ---- reads --------------------------------------------------------------------------- */

int
alert_firing(struct db *db, long long counts[ALERT_NRULES], struct fb_err *err)
{
	PGresult *res;
	int i, r;

	for (r = 0; r < ALERT_NRULES; r++)
		counts[r] = 0;
	/* The predicate of alert_open_key: an index-only scan of the open alerts. */
	res = db_query(db, "alert_firing",
	               "SELECT rule, count(*) FROM alert WHERE resolved_at IS NULL GROUP BY rule", 0,
	               NULL, err);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
		for (r = 0; r < ALERT_NRULES; r++)
			if (strcmp(db_val(res, i, 0), rules[r].name) == 0)
				counts[r] = db_ll(res, i, 1);
	PQclear(res);
	return 0;
}

#define ALERT_COLS                                                                           \
	"id, rule, subject, severity, message, " TS("first_seen") ", " TS("last_seen") ", "     \
	TS("resolved_at") ", params::text, " TS("raised_sent") ", " TS("resolved_sent") ", "     \
	"notify_attempts, notify_error, notify_at IS NOT NULL"

/* Add the int64 member key of params to p as name divided by div. */
static void
add_div(struct json_object *p, const char *name, struct json_object *params, const char *key,
        int64_t div)
{
	struct json_object *v;

	if (json_object_object_get_ex(params, key, &v))
		json_object_object_add(p, name, json_object_new_int64(json_object_get_int64(v) / div));
}

/*
 * The message of an alert of rule with its stored params (JSON text) in lang: msg.c's
 * "alert.<rule>", with the values its texts show but params keep raw (totals, a rounded
 * percentage, MiB, a paused stream) added; NULL when the catalogue has no such message or
 * the params are unreadable (the stored English text is said then).  Caller frees.
 */
static char *
alert_say(const char *rule, const char *params_text, const char **code, enum msg_lang lang)
{
	static const char *const codes[] = {"alert.batch_stalled", "alert.batch_failure_rate",
	                                    "alert.queue_oldest_entry", "alert.no_live_runner",
	                                    "alert.runner_memory", "alert.push_failures",
	                                    "alert.crontab_failing", NULL};
	struct json_object *p, *v, *w;
	struct fb_err e = {0};
	char *out;
	size_t i;

	for (i = 0; codes[i] != NULL && strcmp(codes[i] + 6, rule) != 0; i++)
		;
	if (codes[i] == NULL || params_text == NULL)
		return NULL;
	p = jsonh_parse(params_text, strlen(params_text), &e);
	fb_err_clear(&e);
	if (p == NULL || !json_object_is_type(p, json_type_object)) {
		json_object_put(p);
		return NULL;
	}
	if (json_object_object_get_ex(p, "success", &v) && json_object_object_get_ex(p, "failed", &w))
		json_object_object_add(p, "total", json_object_new_int64(json_object_get_int64(v) +
		                                                         json_object_get_int64(w)));
	if (json_object_object_get_ex(p, "failure_percent", &v)) {
		char pct[32];

		snprintf(pct, sizeof(pct), "%.1f", json_object_get_double(v));
		json_object_object_add(p, "percent", json_object_new_string(pct));
	}
	add_div(p, "rss_mib", p, "rss_bytes", 1024 * 1024);
	add_div(p, "limit_mib", p, "limit_bytes", 1024 * 1024);
	if (json_object_object_get_ex(p, "paused", &v) && json_object_get_boolean(v))
		json_object_object_add(p, "paused_note",
		                       msg_args("code", json_object_new_string("alert.paused"), NULL));
	*code = codes[i];
	out = msg_render(codes[i], p, lang);
	json_object_put(p);
	return out;
}

/*
 * The dashboard's fields of row i, the message said in lang; with full, also the message's
 * code ("message_code", null for a stored text), params and the notification state.
 */
static struct json_object *
alert_json(const PGresult *res, int i, int full, enum msg_lang lang)
{
	struct json_object *o = json_object_new_object();
	static const char *const names[] = {"rule", "subject", "severity", "message", "first_seen",
	                                    "last_seen", "resolved_at"};
	const char *code = NULL;
	char *said = alert_say(db_val(res, i, 1), db_val(res, i, 8), &code, lang);
	int c;

	jsonh_add_int(o, "id", db_ll(res, i, 0));
	for (c = 0; c < 7; c++) {
		if (c == 3 && said != NULL)
			jsonh_add_str(o, names[c], said);
		else if (db_val(res, i, c + 1) != NULL)
			jsonh_add_str(o, names[c], db_val(res, i, c + 1));
		else
			jsonh_add_null(o, names[c]);
	}
	free(said);
	if (full && code != NULL)
		jsonh_add_str(o, "message_code", code);
	else if (full)
		jsonh_add_null(o, "message_code");
	if (full) {
		struct json_object *params, *n = json_object_new_object();
		struct fb_err e = {0};

		params = jsonh_parse(db_val(res, i, 8), strlen(db_val(res, i, 8)), &e);
		fb_err_clear(&e);
		json_object_object_add(o, "params", params != NULL ? params : json_object_new_object());
		for (c = 0; c < 2; c++) {
			const char *k = c == 0 ? "raised" : "resolved";

			if (db_val(res, i, 9 + c) != NULL)
				jsonh_add_str(n, k, db_val(res, i, 9 + c));
			else
				jsonh_add_null(n, k);
		}
		jsonh_add_int(n, "attempts", db_ll(res, i, 11));
		if (db_val(res, i, 12) != NULL)
			jsonh_add_str(n, "error", db_val(res, i, 12));
		else
			jsonh_add_null(n, "error");
		jsonh_add_bool(n, "due", strcmp(db_val(res, i, 13), "t") == 0);
		json_object_object_add(o, "notified", n);
	}
	return o;
}

struct json_object *
alert_list(struct db *db, const char *state, int64_t page, int64_t page_size, enum msg_lang lang,
           struct fb_err *err)
{
	static const char sql[] =
		"SELECT " ALERT_COLS ", count(*) OVER () FROM alert"
		" WHERE ($1 = '' OR ($1 = 'open') = (resolved_at IS NULL))"
		" ORDER BY resolved_at IS NOT NULL, resolved_at DESC, last_seen DESC, id DESC"
		" LIMIT $2 OFFSET $3";
	char lim[24], off[24];
	const char *p[3] = {state != NULL ? state : "", lim, off};
	struct json_object *items;
	long long total = 0;
	PGresult *res;
	int i;

	listing_page(page, page_size, lim, off);
	if ((res = db_query(db, "alert_list", sql, 3, p, err)) == NULL)
		return NULL;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		json_object_array_add(items, alert_json(res, i, 1, lang));
		total = db_ll(res, i, 14);
	}
	PQclear(res);
	if (total == 0 && page > 1) {
		/* Past the end: the total still says how many there are. */
		res = db_query(db, "alert_count",
		               "SELECT count(*) FROM alert WHERE ($1 = '' OR ($1 = 'open') = (resolved_at IS NULL))",
		               1, p, err);
		if (res == NULL) {
			json_object_put(items);
			return NULL;
		}
		total = db_ll(res, 0, 0);
		PQclear(res);
	}
	return jsonh_page(items, total, page, page_size);
}

struct json_object *
alert_recent(struct db *db, int max, enum msg_lang lang, struct fb_err *err)
{
	/* Open alerts by alert_open_key, resolved ones by alert_resolved_idx. */
	static const char sql[] =
		"SELECT * FROM (SELECT * FROM (SELECT " ALERT_COLS ", 0 AS g, last_seen AS k FROM alert"
		"  WHERE resolved_at IS NULL ORDER BY last_seen DESC, id DESC LIMIT $1) o"
		" UNION ALL SELECT * FROM (SELECT " ALERT_COLS ", 1, resolved_at FROM alert"
		"  WHERE resolved_at >= now() - interval '24 hours'"
		"  ORDER BY resolved_at DESC, id DESC LIMIT $1) r) x ORDER BY g, k DESC, id DESC LIMIT $1";
	char lim[24];
	const char *p[1] = {lim};
	struct json_object *items;
	PGresult *res;
	int i;

	snprintf(lim, sizeof(lim), "%d", max);
	if ((res = db_query(db, "alert_recent", sql, 1, p, err)) == NULL)
		return NULL;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, alert_json(res, i, 0, lang));
	PQclear(res);
	return items;
}
