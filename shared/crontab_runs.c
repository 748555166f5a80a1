/* SPDX-License-Identifier: MIT */
/*
 * crontab_runs: what came of crontabs — one crontab's history of runs, the due times no
 * scheduler fired (misfires, with what the next leader will do about them), and the runs
 * per status per day.  Reads only; JSON answers are new objects the caller puts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab.h"
#include "crontab_int.h"
#include "jsonh.h"
#include "db.h"

struct json_object *
crontab_history(struct db *db, int64_t id, int64_t page, int64_t page_size, struct fb_err *err)
{
	char idb[24], lim[24], off[24];
	const char *params[3] = {idb, lim, off};
	struct json_object *items, *cur;
	long long total = 0;
	PGresult *res;
	int i;

	if ((cur = crontab_get(db, id, err)) == NULL)
		return NULL;
	json_object_put(cur);
	db_id(idb, id);
	db_id(lim, page_size);
	db_id(off, ((page - 1) * page_size));
	res = db_query(db, "crontab_history",
	               "SELECT id, status, job_id, content, manual, runner, attempt,"
	               " extract(epoch FROM scheduled_at)::bigint, extract(epoch FROM created)::bigint,"
	               " extract(epoch FROM started)::bigint, extract(epoch FROM finished)::bigint,"
	               " count(*) OVER () FROM crontab_history WHERE crontab_id = $1"
	               " ORDER BY id DESC LIMIT $2 OFFSET $3",
	               3, params, err);
	if (res == NULL)
		return NULL;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *o = json_object_new_object();

		jsonh_add_int(o, "id", db_ll(res, i, 0));
		crontab_add_text(o, "status", res, i, 1);
		crontab_add_text(o, "job_id", res, i, 2);
		crontab_add_text(o, "content", res, i, 3);
		jsonh_add_bool(o, "manual", db_val(res, i, 4)[0] == 't');
		crontab_add_text(o, "runner", res, i, 5);
		jsonh_add_int(o, "attempt", db_ll(res, i, 6));
		crontab_add_time(o, "scheduled_at", res, i, 7);
		crontab_add_time(o, "created", res, i, 8);
		crontab_add_time(o, "started", res, i, 9);
		crontab_add_time(o, "finished", res, i, 10);
		json_object_array_add(items, o);
		total = db_ll(res, i, 11);
	}
	PQclear(res);
	return jsonh_page(items, total, page, page_size);
}

/* " AND c.creator = N" when user is not 0: the caller's scope. */
#define SCOPE_SQL " AND ($1::bigint = 0 OR c.creator = $1::bigint)"

struct json_object *
crontab_misfires(struct db *db, const struct fb_config *cfg, int64_t user, struct fb_err *err)
{
	char ub[24], now[40], grace[16];
	const char *params[3] = {ub, now, grace};
	struct json_object *items, *o;
	long long budget = CRONTAB_MISFIRE_BUDGET;
	PGresult *res;
	int i;

	db_id(ub, user);
	snprintf(now, sizeof(now), "%.6f", crontab_now(cfg));
	snprintf(grace, sizeof(grace), "%d", cfg->scheduler_misfire_grace_seconds);
	res = db_query(db, "crontab_misfires",
	               "SELECT c.id, c.name, c.type, c.rule::text, c.misfire,"
	               " extract(epoch FROM c.next_run_at)::bigint FROM crontab c"
	               " WHERE c.enable AND c.next_run_at"
	               "  < to_timestamp($2::float8) - make_interval(secs => $3::int)" SCOPE_SQL
	               " ORDER BY c.next_run_at, c.id LIMIT 1000",
	               3, params, err);
	if (res == NULL)
		return NULL;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++) {
		struct json_object *it = json_object_new_object();
		const char *policy = db_val(res, i, 4);
		/* Past the request's budget, count only as far as the decision needs. */
		long long cap = budget > CRONTAB_MISFIRE_COUNT_MAX ? CRONTAB_MISFIRE_COUNT_MAX
		                                                   : cfg->scheduler_catch_up_max + 1;
		struct crontab_rule rule;
		struct fb_err e = {0};
		int64_t t = db_ll(res, i, 5), nowi = (int64_t)floor(crontab_now(cfg));
		long long missed = 0, will = 0;
		char desc[160];
		int has = 1;

		if (crontab_rule_load(db_val(res, i, 3), strcmp(db_val(res, i, 2), "repeat") == 0, cfg,
		                      &rule, &e) < 0)
			has = -1;
		/* Every due time from the stored one up to now, counted up to a bound. */
		while (has == 1 && t <= nowi && missed < cap) {
			missed++;
			has = crontab_rule_next(&rule, cfg, t, &t, &e);
		}
		budget -= missed;
		fb_err_clear(&e);
		jsonh_add_int(it, "id", db_ll(res, i, 0));
		crontab_add_text(it, "name", res, i, 1);
		crontab_add_text(it, "misfire", res, i, 4);
		crontab_add_time(it, "first_missed", res, i, 5);
		jsonh_add_int(it, "missed", missed);
		jsonh_add_bool(it, "missed_capped", missed >= cap && has == 1 && t <= nowi);
		if (strcmp(policy, "catch_up") == 0) {
			will = missed < cfg->scheduler_catch_up_max ? missed : cfg->scheduler_catch_up_max;
			snprintf(desc, sizeof(desc), "catch up %lld (of %lld missed)", will, missed);
		} else if (strcmp(policy, "skip") == 0) {
			snprintf(desc, sizeof(desc), "skip %lld (one skipped run recorded)", missed);
		} else {
			will = 1;
			snprintf(desc, sizeof(desc), "run once (for %lld missed)", missed);
		}
		jsonh_add_int(it, "will_run", will);
		jsonh_add_str(it, "action", desc);
		json_object_array_add(items, it);
	}
	PQclear(res);
	o = json_object_new_object();
	json_object_object_add(o, "items", items);
	jsonh_add_int(o, "total", json_object_array_length(items));
	return o;
}

struct json_object *
crontab_stats(struct db *db, int64_t user, int days, struct fb_err *err)
{
	static const char *const statuses[] = {"success", "failed", "skipped", "timed_out",
	                                       "cancelled", "waiting", "pending", "running", NULL};
	char ub[24], db_days[16];
	const char *params[2] = {ub, db_days};
	struct json_object *items, *o, *day = NULL, *totals;
	const char *cur_day = "";
	PGresult *res;
	int i, k;

	db_id(ub, user);
	snprintf(db_days, sizeof(db_days), "%d", days);
	/* Days in UTC, oldest first, every day present (zero counts included). */
	res = db_query(db, "crontab_stats",
	               "WITH d AS (SELECT generate_series(0, $2::int - 1) AS k),"
	               " s AS (SELECT to_char(h.created AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,"
	               "  h.status, count(*) AS n FROM crontab_history h JOIN crontab c ON c.id = h.crontab_id"
	               "  WHERE h.created >= (date_trunc('day', now() AT TIME ZONE 'UTC')"
	               "   - make_interval(days => $2::int - 1)) AT TIME ZONE 'UTC'" SCOPE_SQL
	               "  GROUP BY 1, 2)"
	               " SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC')"
	               "  - make_interval(days => $2::int - 1 - d.k), 'YYYY-MM-DD') AS day, s.status, s.n"
	               " FROM d LEFT JOIN s ON s.day = to_char(date_trunc('day', now() AT TIME ZONE 'UTC')"
	               "  - make_interval(days => $2::int - 1 - d.k), 'YYYY-MM-DD') ORDER BY 1, 2",
	               2, params, err);
	if (res == NULL)
		return NULL;
	items = json_object_new_array();
	totals = json_object_new_object();
	for (k = 0; statuses[k] != NULL; k++)
		jsonh_add_int(totals, statuses[k], 0);
	for (i = 0; i < PQntuples(res); i++) {
		const char *st = db_val(res, i, 1);

		if (strcmp(cur_day, db_val(res, i, 0)) != 0) {
			struct json_object *counts = json_object_new_object();

			cur_day = db_val(res, i, 0);
			day = json_object_new_object();
			jsonh_add_str(day, "day", cur_day);
			for (k = 0; statuses[k] != NULL; k++)
				jsonh_add_int(counts, statuses[k], 0);
			json_object_object_add(day, "counts", counts);
			json_object_array_add(items, day);
		}
		if (st != NULL) {
			struct json_object *counts = json_object_object_get(day, "counts");
			long long n = db_ll(res, i, 2);
			struct json_object *tv = json_object_object_get(totals, st);

			jsonh_add_int(counts, st, n);
			jsonh_add_int(totals, st, (tv != NULL ? json_object_get_int64(tv) : 0) + n);
		}
	}
	PQclear(res);
	o = json_object_new_object();
	jsonh_add_int(o, "days", days);
	json_object_object_add(o, "items", items);
	json_object_object_add(o, "totals", totals);
	return o;
}
