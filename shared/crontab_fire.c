/* SPDX-License-Identifier: MIT */
/*
 * crontab_fire: leadership epochs, firing due crontabs in one transaction each batch,
 * the history rows still to publish, and the history purge (see crontab_fire.h).  Owns
 * nothing between calls; struct crontab_pub arrays belong to the caller.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab.h"
#include "crontab_fire.h"
#include "jsonh.h"
#include "mem.h"

int
crontab_leader_take(struct db *db, const char *name, const char *holder, int64_t *epoch,
                    struct fb_err *err)
{
	const char *params[2] = {name, holder};
	PGresult *res;

	res = db_query(db, "crontab_leader_take",
	               "INSERT INTO scheduler_leader (name, epoch, holder) VALUES ($1, 1, $2)"
	               " ON CONFLICT (name) DO UPDATE SET epoch = scheduler_leader.epoch + 1,"
	               " holder = EXCLUDED.holder, since = now() RETURNING epoch",
	               2, params, err);
	if (res == NULL)
		return -1;
	*epoch = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

struct fire_arg {
	const struct fb_config *cfg;
	const char *name;
	int64_t epoch;
	double now;
	int limit;
	int fired;
};

/* One history row; ON CONFLICT: that due time was already fired. */
static int
insert_history(struct db *db, const char *cid, int64_t at, const char *status,
               const char *content, const char *fence, struct fb_err *err)
{
	char atb[24];
	const char *params[5] = {cid, atb, status, content, fence};

	snprintf(atb, sizeof(atb), "%lld", (long long)at);
	return db_exec(db, "crontab_fire_history",
	               "INSERT INTO crontab_history (crontab_id, scheduled_at, status, job_id,"
	               " content, fence, finished) VALUES ($1::bigint, to_timestamp($2::bigint), $3,"
	               " format('cron-%s-%s', $1::bigint, $2::bigint * 1000000), left($4, 4000),"
	               " $5::bigint, CASE WHEN $3 = 'pending' THEN NULL ELSE now() END)"
	               " ON CONFLICT (crontab_id, scheduled_at) DO NOTHING",
	               5, params, err);
}

/*
 * The due times to fire for one crontab whose next_run_at is s, at now: into times (at
 * most max), the status each gets, and *next (0: none).  Misfire policies apply when s is
 * later than the grace.
 */
static int
plan(const struct crontab_rule *r, const struct fb_config *cfg, const char *misfire,
     int64_t s, double now, int64_t *times, int max, int *ntimes, int *skip_first,
     int64_t *next, int *dropped, struct fb_err *err)
{
	int64_t nowi = (int64_t)floor(now), t;
	int has, n = 0;

	*skip_first = 0;
	*dropped = 0;
	times[n++] = s;
	if (now - (double)s <= cfg->scheduler_misfire_grace_seconds) {
		has = crontab_rule_next(r, cfg, s, &t, err);
	} else if (strcmp(misfire, "catch_up") == 0) {
		has = crontab_rule_next(r, cfg, s, &t, err);
		while (has == 1 && t <= nowi && n < max) {
			times[n++] = t;
			has = crontab_rule_next(r, cfg, t, &t, err);
		}
		while (has == 1 && t <= nowi && *dropped < 1000000) {
			(*dropped)++;
			has = crontab_rule_next(r, cfg, t, &t, err);
		}
	} else {
		*skip_first = strcmp(misfire, "skip") == 0;
		has = crontab_rule_next(r, cfg, nowi > s ? nowi : s, &t, err);
	}
	if (has < 0)
		return -1;
	*next = has ? t : 0;
	*ntimes = n;
	return 0;
}

static int
fire_one(struct db *db, struct fire_arg *a, const PGresult *res, int row, int64_t *times,
         int max, struct fb_err *err)
{
	const char *cid = db_val(res, row, 0);
	int repeat = strcmp(db_val(res, row, 1), "repeat") == 0;
	const char *misfire = db_val(res, row, 4), *overlap = db_val(res, row, 5);
	int64_t s = (int64_t)llround(strtod(db_val(res, row, 6), NULL));
	int open = db_val(res, row, 7)[0] == 't';
	struct crontab_rule rule;
	struct fb_err e = {0};
	char fence[24], nextb[24], lastb[24], content[160] = "";
	const char *state = NULL;
	const char *params[5];
	int64_t next = 0;
	int ntimes = 0, skip_first = 0, dropped = 0, i;

	snprintf(fence, sizeof(fence), "%lld", (long long)a->epoch);
	if (crontab_rule_load(db_val(res, row, 2), repeat, a->cfg, &rule, &e) < 0 ||
	    plan(&rule, a->cfg, misfire, s, a->now, times, max, &ntimes, &skip_first, &next,
	         &dropped, &e) < 0) {
		/* A rule that no longer works stops firing; its history says why. */
		if (insert_history(db, cid, s, "failed", e.msg, fence, err) < 0) {
			fb_err_clear(&e);
			return -1;
		}
		fb_err_clear(&e);
		state = "failed";
		ntimes = 0;
		next = 0;
	}
	for (i = 0; i < ntimes; i++) {
		const char *st = "pending";

		content[0] = '\0';
		if (i == 0 && skip_first) {
			st = "skipped";
			snprintf(content, sizeof(content), "misfire: missed while no scheduler ran");
		} else if (strcmp(overlap, "forbid") == 0 && open) {
			st = "skipped";
			snprintf(content, sizeof(content), "overlap: the previous run is still going");
		} else if (i == ntimes - 1 && dropped > 0) {
			snprintf(content, sizeof(content),
			         "misfire: catch_up fired %d missed times and dropped %d", ntimes,
			         dropped);
		}
		if (insert_history(db, cid, times[i], st, content[0] ? content : NULL, fence, err) < 0)
			return -1;
		state = st;
	}
	snprintf(nextb, sizeof(nextb), "%lld", (long long)next);
	snprintf(lastb, sizeof(lastb), "%lld", (long long)(ntimes > 0 ? times[ntimes - 1] : s));
	params[0] = cid;
	params[1] = next != 0 ? nextb : NULL;
	params[2] = lastb;
	params[3] = state;
	params[4] = fence;
	if (db_exec(db, "crontab_fire_advance",
	            "UPDATE crontab SET next_run_at = to_timestamp($2::bigint),"
	            " last_run_at = to_timestamp($3::bigint), last_state = COALESCE($4, last_state),"
	            " fence = $5::bigint WHERE id = $1::bigint AND fence <= $5::bigint",
	            5, params, err) < 0)
		return -1;
	return 0;
}

static int
fire_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct fire_arg *a = argp;
	char now[40], lim[16];
	const char *p1[1] = {a->name};
	const char *p2[2] = {now, lim};
	int max = a->cfg->scheduler_catch_up_max;
	int64_t *times = NULL;
	PGresult *res;
	int i, rc = -1;

	a->fired = 0;
	res = db_query(db, "crontab_fence",
	               "SELECT epoch FROM scheduler_leader WHERE name = $1 FOR SHARE", 1, p1, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1 || db_ll(res, 0, 0) != a->epoch) {
		PQclear(res);
		fb_err_set(err, FB_ECONFLICT, "no longer the scheduler leader (epoch %lld)",
		           (long long)a->epoch);
		return -1;
	}
	PQclear(res);
	snprintf(now, sizeof(now), "%.6f", a->now);
	snprintf(lim, sizeof(lim), "%d", a->limit);
	res = db_query(db, "crontab_due",
	               "SELECT c.id, c.type, c.rule::text, c.job::text, c.misfire, c.overlap,"
	               " extract(epoch FROM c.next_run_at)::float8,"
	               " EXISTS (SELECT 1 FROM crontab_history h WHERE h.crontab_id = c.id"
	               "  AND h.status IN ('pending', 'running'))"
	               " FROM crontab c WHERE c.enable AND c.next_run_at <= to_timestamp($1::float8)"
	               " ORDER BY c.next_run_at LIMIT $2::int FOR UPDATE OF c SKIP LOCKED",
	               2, p2, err);
	if (res == NULL)
		return -1;
	times = xcalloc((size_t)max, sizeof(*times));
	for (i = 0; i < PQntuples(res); i++)
		if (fire_one(db, a, res, i, times, max, err) < 0)
			goto out;
	a->fired = PQntuples(res);
	rc = 0;
out:
	free(times);
	PQclear(res);
	return rc;
}

int
crontab_fire_due(struct db *db, const struct fb_config *cfg, const char *name, int64_t epoch,
                 double now, int limit, int *fired, struct fb_err *err)
{
	struct fire_arg a = {.cfg = cfg, .name = name, .epoch = epoch, .now = now, .limit = limit};

	if (db_tx(db, fire_tx, &a, err) < 0)
		return -1;
	*fired = a.fired;
	return 0;
}

int
crontab_earliest(struct db *db, double *t, struct fb_err *err)
{
	PGresult *res = db_query(db, "crontab_earliest",
	                         "SELECT extract(epoch FROM min(next_run_at))::float8 FROM crontab"
	                         " WHERE enable AND next_run_at IS NOT NULL",
	                         0, NULL, err);
	int rc;

	if (res == NULL)
		return -1;
	rc = db_val(res, 0, 0) != NULL;
	if (rc)
		*t = strtod(db_val(res, 0, 0), NULL);
	PQclear(res);
	return rc;
}

void
crontab_pubs_free(struct crontab_pub *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		json_object_put(p[i].args);
	free(p);
}

int
crontab_unpublished(struct db *db, int limit, struct crontab_pub **out, int *n,
                    struct fb_err *err)
{
	char lim[16];
	const char *params[1] = {lim};
	struct crontab_pub *p;
	PGresult *res;
	int i, k = 0;

	snprintf(lim, sizeof(lim), "%d", limit);
	res = db_query(db, "crontab_unpublished",
	               "SELECT h.id, h.job_id, c.job->>'type', COALESCE(c.job->>'stream', 'common'),"
	               " COALESCE(c.job->'args', '{}')::text FROM crontab_history h"
	               " JOIN crontab c ON c.id = h.crontab_id"
	               " WHERE h.published_at IS NULL AND h.status = 'pending'"
	               " ORDER BY h.id LIMIT $1::int",
	               1, params, err);
	if (res == NULL)
		return -1;
	p = xcalloc((size_t)PQntuples(res) + 1, sizeof(*p));
	for (i = 0; i < PQntuples(res); i++) {
		struct fb_err e = {0};
		const char *args = db_val(res, i, 4);

		p[k].hid = db_ll(res, i, 0);
		snprintf(p[k].job_id, sizeof(p[k].job_id), "%s", db_val(res, i, 1));
		snprintf(p[k].type, sizeof(p[k].type), "%s",
		         db_val(res, i, 2) != NULL ? db_val(res, i, 2) : "");
		snprintf(p[k].stream, sizeof(p[k].stream), "%s", db_val(res, i, 3));
		if ((p[k].args = jsonh_parse(args, strlen(args), &e)) == NULL) {
			fb_err_clear(&e);
			p[k].args = json_object_new_object();
		}
		k++;
	}
	PQclear(res);
	*out = p;
	*n = k;
	return 0;
}

int
crontab_mark_published(struct db *db, int64_t hid, struct fb_err *err)
{
	char idb[24];
	const char *params[1] = {idb};

	snprintf(idb, sizeof(idb), "%lld", (long long)hid);
	return db_exec(db, "crontab_mark_published",
	               "UPDATE crontab_history SET published_at = now() WHERE id = $1::bigint", 1,
	               params, err);
}

int
crontab_purge(struct db *db, const struct fb_config *cfg, long long *deleted, struct fb_err *err)
{
	char days[16];
	const char *params[1] = {days};
	long long n;

	snprintf(days, sizeof(days), "%d", cfg->scheduler_history_days);
	*deleted = 0;
	do {
		PGresult *res = db_query(
			db, "crontab_purge",
			"WITH d AS (DELETE FROM crontab_history WHERE id IN (SELECT id FROM crontab_history"
			" WHERE created < now() - make_interval(days => $1::int)"
			" AND status NOT IN ('pending', 'running') LIMIT 5000) RETURNING 1)"
			" SELECT count(*) FROM d",
			1, params, err);

		if (res == NULL)
			return -1;
		n = db_ll(res, 0, 0);
		PQclear(res);
		*deleted += n;
	} while (n == 5000);
	return 0;
}
