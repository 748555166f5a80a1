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
#include "db.h"

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
	struct crontab_fire *f;
};

/* Zones loaded once per transaction (most crontabs share a few). */
#define ZONE_CACHE 16
struct zones {
	int n;
	struct tz *z[ZONE_CACHE];
};

static const struct tz *
zone_get(struct zones *c, const char *name)
{
	struct fb_err e = {0};
	struct tz *z;
	int i;

	for (i = 0; i < c->n; i++)
		if (strcmp(tz_name(c->z[i]), name) == 0)
			return c->z[i];
	if (c->n == ZONE_CACHE || (z = tz_load(name, &e)) == NULL) {
		fb_err_clear(&e); /* crontab_rule_next loads it and reports */
		return NULL;
	}
	c->z[c->n++] = z;
	return z;
}

/*
 * Rows written by one transaction, as PostgreSQL array literals: the history rows
 * (crontab, due time, status, content) and the crontabs advanced (id, next, last, state).
 */
struct rows {
	struct buf h_cid, h_at, h_status, h_content;
	struct buf c_id, c_next, c_last, c_state;
	struct buf r_cid; /* crontabs whose open runs a new run replaces */
	int nh, nc, nr;
};

/* Append one element to an array literal; s NULL is SQL NULL. */
static void
arr_add(struct buf *b, int first, const char *s)
{
	buf_puts(b, first ? "{" : ",");
	if (s == NULL) {
		buf_puts(b, "NULL");
		return;
	}
	buf_puts(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_puts(b, "\\");
		buf_add(b, s, 1);
	}
	buf_puts(b, "\"");
}

static const char *
arr_end(struct buf *b, int n)
{
	if (n == 0)
		return "{}";
	buf_puts(b, "}");
	return buf_cstr(b);
}

static void
rows_free(struct rows *r)
{
	free(r->h_cid.data);
	free(r->h_at.data);
	free(r->h_status.data);
	free(r->h_content.data);
	free(r->c_id.data);
	free(r->c_next.data);
	free(r->c_last.data);
	free(r->c_state.data);
	free(r->r_cid.data);
}

static void
add_history(struct rows *r, const char *cid, int64_t at, const char *status, const char *content)
{
	char atb[24];

	db_id(atb, at);
	arr_add(&r->h_cid, r->nh == 0, cid);
	arr_add(&r->h_at, r->nh == 0, atb);
	arr_add(&r->h_status, r->nh == 0, status);
	arr_add(&r->h_content, r->nh == 0, content);
	r->nh++;
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

/* Decide one due crontab (row of the due query) into rows. */
static void
fire_one(struct fire_arg *a, const PGresult *res, int row, struct zones *zones, int64_t *times,
         int max, struct rows *out)
{
	const char *cid = db_val(res, row, 0);
	int repeat = strcmp(db_val(res, row, 1), "repeat") == 0;
	const char *misfire = db_val(res, row, 4), *overlap = db_val(res, row, 5);
	int64_t s = (int64_t)llround(strtod(db_val(res, row, 6), NULL));
	int open = db_val(res, row, 7)[0] == 't';
	int gated = db_val(res, row, 8)[0] == 't';
	int replace = strcmp(overlap, "replace") == 0 && open;
	struct crontab_rule rule;
	struct fb_err e = {0};
	char nextb[24], lastb[24], content[160];
	const char *state = NULL;
	int64_t next = 0;
	int ntimes = 0, skip_first = 0, dropped = 0, i;

	if (crontab_rule_load(db_val(res, row, 2), repeat, a->cfg, &rule, &e) == 0 && repeat &&
	    rule.nexprs > 0)
		rule.zone = zone_get(zones, rule.tz);
	if (e.code != FB_OK ||
	    plan(&rule, a->cfg, misfire, s, a->f->now, times, max, &ntimes, &skip_first, &next,
	         &dropped, &e) < 0) {
		/* A rule that no longer works stops firing; its history says why. */
		add_history(out, cid, s, "failed", e.msg);
		fb_err_clear(&e);
		state = "failed";
		ntimes = 0;
		next = 0;
	}
	for (i = 0; i < ntimes; i++) {
		const char *st = "pending", *note = NULL;

		if (i == 0 && skip_first) {
			st = "skipped";
			note = "misfire: missed while no scheduler ran";
		} else if (strcmp(overlap, "forbid") == 0 && open) {
			st = "skipped";
			note = "overlap: the previous run is still going";
		} else if (i == ntimes - 1 && dropped > 0) {
			snprintf(content, sizeof(content),
			         "misfire: catch_up fired %d missed times and dropped %d", ntimes,
			         dropped);
			note = content;
		}
		/* Upstreams to wait for, or a replaced run to stop: crontab_release decides. */
		if (strcmp(st, "pending") == 0 && (gated || replace))
			st = "waiting";
		add_history(out, cid, times[i], st, note);
		state = st;
	}
	if (replace && ntimes > 0)
		arr_add(&out->r_cid, out->nr++ == 0, cid);
	db_id(nextb, next);
	db_id(lastb, (ntimes > 0 ? times[ntimes - 1] : s));
	arr_add(&out->c_id, out->nc == 0, cid);
	arr_add(&out->c_next, out->nc == 0, next != 0 ? nextb : NULL);
	arr_add(&out->c_last, out->nc == 0, lastb);
	arr_add(&out->c_state, out->nc == 0, state);
	out->nc++;
}

/* Rows (id, job_id, type, stream, args) of res into a new array; *n counts them. */
static struct crontab_pub *
pubs_from(const PGresult *res, int *n)
{
	struct crontab_pub *p = xcalloc((size_t)PQntuples(res) + 1, sizeof(*p));
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		struct fb_err e = {0};
		const char *args = db_val(res, i, 4);

		p[i].hid = db_ll(res, i, 0);
		snprintf(p[i].job_id, sizeof(p[i].job_id), "%s", db_val(res, i, 1));
		snprintf(p[i].type, sizeof(p[i].type), "%s",
		         db_val(res, i, 2) != NULL ? db_val(res, i, 2) : "");
		snprintf(p[i].stream, sizeof(p[i].stream), "%s", db_val(res, i, 3));
		if ((p[i].args = jsonh_parse(args, strlen(args), &e)) == NULL) {
			fb_err_clear(&e);
			p[i].args = json_object_new_object();
		}
	}
	*n = PQntuples(res);
	return p;
}

/*
 * Write what fire_one decided: two statements for the whole batch (three with replaced
 * runs).  The history insert returns the pending rows, ready to publish, into f.
 */
static int
write_rows(struct db *db, struct rows *r, int64_t epoch, struct crontab_fire *f,
           struct fb_err *err)
{
	PGresult *res;
	char fence[24];
	const char *hp[5], *cp[5], *rp[1];

	db_id(fence, epoch);
	/* Replaced runs first: not started yet, cancelled at once; running, asked to stop. */
	rp[0] = arr_end(&r->r_cid, r->nr);
	if (r->nr > 0 &&
	    db_exec(db, "crontab_fire_replace",
	            "UPDATE crontab_history SET cancel_requested = true,"
	            " status = CASE WHEN status = 'running' THEN status ELSE 'cancelled' END,"
	            " finished = CASE WHEN status = 'running' THEN finished ELSE clock_timestamp() END,"
	            " content = 'replaced by a newer run (overlap replace)'"
	            " WHERE crontab_id = ANY ($1::bigint[]) AND status IN ('pending', 'running', 'waiting')",
	            1, rp, err) < 0)
		return -1;
	hp[0] = arr_end(&r->h_cid, r->nh);
	hp[1] = arr_end(&r->h_at, r->nh);
	hp[2] = arr_end(&r->h_status, r->nh);
	hp[3] = arr_end(&r->h_content, r->nh);
	hp[4] = fence;
	if (r->nh > 0) {
		res = db_query(db, "crontab_fire_history",
		               "WITH i AS (INSERT INTO crontab_history (crontab_id, scheduled_at, status,"
		               " job_id, content, fence, created, finished, attempt)"
		               " SELECT u.c, to_timestamp(u.a), u.s, format('cron-%s-%s', u.c, u.a),"
		               " left(u.t, 4000), $5::bigint, clock_timestamp(),"
		               " CASE WHEN u.s IN ('pending', 'waiting') THEN NULL ELSE clock_timestamp() END, 1"
		               " FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS u (c, a, s, t)"
		               " ON CONFLICT (crontab_id, scheduled_at, attempt) DO NOTHING"
		               " RETURNING id, job_id, crontab_id, status)"
		               " SELECT i.id, i.job_id, c.job->>'type', COALESCE(c.job->>'stream', 'common'),"
		               " COALESCE(c.job->'args', '{}')::text FROM i JOIN crontab c ON c.id = i.crontab_id"
		               " WHERE i.status = 'pending' ORDER BY i.id",
		               5, hp, err);
		if (res == NULL)
			return -1;
		f->pubs = pubs_from(res, &f->npubs);
		PQclear(res);
	}
	cp[0] = arr_end(&r->c_id, r->nc);
	cp[1] = arr_end(&r->c_next, r->nc);
	cp[2] = arr_end(&r->c_last, r->nc);
	cp[3] = arr_end(&r->c_state, r->nc);
	cp[4] = fence;
	if (r->nc > 0 &&
	    db_exec(db, "crontab_fire_advance",
	            "UPDATE crontab c SET next_run_at = to_timestamp(u.n), last_run_at = to_timestamp(u.l),"
	            " last_state = COALESCE(u.s, c.last_state), fence = $5::bigint"
	            " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[]) AS u (id, n, l, s)"
	            " WHERE c.id = u.id AND c.fence <= $5::bigint",
	            5, cp, err) < 0)
		return -1;
	return 0;
}

static int mark(struct db *db, const struct crontab_pub *p, int n, double at,
                struct fb_err *err);

static int
fire_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct fire_arg *a = argp;
	struct crontab_fire *f = a->f;
	char now[40], lim[16];
	const char *p1[1] = {a->name};
	const char *p2[2] = {now, lim};
	int max = a->cfg->scheduler_catch_up_max;
	struct zones zones = {0};
	struct rows rows = {0};
	int64_t *times = NULL;
	PGresult *res;
	int i, rc = -1;

	f->fired = 0;
	crontab_pubs_free(f->pubs, f->npubs); /* a retried transaction starts again */
	f->pubs = NULL;
	f->npubs = 0;
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
	if (mark(db, f->published, f->npublished, f->published_at, err) < 0)
		return -1;
	snprintf(now, sizeof(now), "%.6f", f->now);
	snprintf(lim, sizeof(lim), "%d", f->limit);
	res = db_query(db, "crontab_due",
	               "SELECT c.id, c.type, c.rule::text, c.job::text, c.misfire, c.overlap,"
	               " extract(epoch FROM c.next_run_at)::float8,"
	               " c.overlap <> 'allow' AND EXISTS (SELECT 1 FROM crontab_history h"
	               "  WHERE h.crontab_id = c.id AND h.status IN ('pending', 'running', 'waiting')),"
	               " cardinality(c.depends_on) > 0"
	               " FROM crontab c WHERE c.enable AND c.next_run_at <= to_timestamp($1::float8)"
	               " ORDER BY c.next_run_at LIMIT $2::int FOR UPDATE OF c SKIP LOCKED",
	               2, p2, err);
	if (res == NULL)
		return -1;
	times = xcalloc((size_t)max, sizeof(*times));
	for (i = 0; i < PQntuples(res); i++)
		fire_one(a, res, i, &zones, times, max, &rows);
	if (write_rows(db, &rows, a->epoch, f, err) < 0)
		goto out;
	f->fired = PQntuples(res);
	rc = 0;
out:
	for (i = 0; i < zones.n; i++)
		tz_free(zones.z[i]);
	rows_free(&rows);
	free(times);
	PQclear(res);
	return rc;
}

int
crontab_fire_due(struct db *db, const struct fb_config *cfg, const char *name, int64_t epoch,
                 struct crontab_fire *f, struct fb_err *err)
{
	struct fire_arg a = {.cfg = cfg, .name = name, .epoch = epoch, .f = f};

	if (db_tx(db, fire_tx, &a, err) < 0) {
		crontab_pubs_free(f->pubs, f->npubs);
		f->pubs = NULL;
		f->npubs = 0;
		return -1;
	}
	return 0;
}

int
crontab_apply_config(struct db *db, const struct fb_config *cfg, double now, struct fb_err *err)
{
	char nowb[40], every[16];
	const char *params[2] = {nowb, every};

	snprintf(nowb, sizeof(nowb), "%.6f", now);
	snprintf(every, sizeof(every), "%d", cfg->batch_recover_interval_seconds);
	return db_exec(db, "crontab_apply_config",
	               "UPDATE crontab SET next_run_at = least(next_run_at,"
	               " COALESCE(last_run_at + make_interval(secs => $2::int), to_timestamp($1::float8)))"
	               " WHERE enable AND type = 'repeat'"
	               " AND rule->>'every_config' = 'batch.recover_interval_seconds'"
	               " AND next_run_at IS DISTINCT FROM least(next_run_at,"
	               " COALESCE(last_run_at + make_interval(secs => $2::int), to_timestamp($1::float8)))",
	               2, params, err);
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
crontab_unpublished(struct db *db, int limit, int stale_seconds, struct crontab_pub **out,
                    int *n, struct fb_err *err)
{
	char lim[16], stale[16];
	const char *params[2] = {lim, stale};
	PGresult *res;

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(stale, sizeof(stale), "%d", stale_seconds);
	/* One scan of the pending rows (crontab_history_pending_idx), oldest first. */
	res = db_query(db, "crontab_unpublished",
	               "SELECT h.id, h.job_id, c.job->>'type', COALESCE(c.job->>'stream', 'common'),"
	               " COALESCE(c.job->'args', '{}')::text FROM crontab_history h"
	               " JOIN crontab c ON c.id = h.crontab_id WHERE h.id IN ("
	               "  SELECT id FROM crontab_history WHERE status = 'pending' AND (published_at IS NULL"
	               "   OR published_at < now() - make_interval(secs => $2::int))"
	               "  ORDER BY id LIMIT $1::int)"
	               " ORDER BY h.id",
	               2, params, err);
	if (res == NULL)
		return -1;
	*out = pubs_from(res, n);
	PQclear(res);
	return 0;
}

/* Rows p[0..n) published at (unix seconds; 0: now, the server's clock). */
static int
mark(struct db *db, const struct crontab_pub *p, int n, double at, struct fb_err *err)
{
	struct buf ids = {0};
	const char *params[2];
	char one[40];
	int i, rc;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		db_id(one, p[i].hid);
		arr_add(&ids, i == 0, one);
	}
	snprintf(one, sizeof(one), "%.6f", at);
	params[0] = arr_end(&ids, n);
	params[1] = at > 0 ? one : NULL;
	rc = db_exec(db, "crontab_mark_published",
	             "UPDATE crontab_history SET published_at"
	             " = COALESCE(to_timestamp($2::float8), clock_timestamp())"
	             " WHERE id = ANY ($1::bigint[])",
	             2, params, err);
	free(ids.data);
	return rc;
}

int
crontab_mark_published(struct db *db, const struct crontab_pub *p, int n, struct fb_err *err)
{
	return mark(db, p, n, 0, err);
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

int
crontab_time_out(struct db *db, long long *n, struct fb_err *err)
{
	PGresult *res = db_query(
		db, "crontab_time_out",
		"WITH t AS (UPDATE crontab_history h SET status = 'timed_out', finished = now(),"
		" content = format('timed out after %s s', c.job->>'timeout')"
		" FROM crontab c WHERE c.id = h.crontab_id AND h.status IN ('pending', 'running')"
		" AND c.job ? 'timeout'"
		" AND GREATEST(h.created, h.published_at)"
		"  < now() - make_interval(secs => (c.job->>'timeout')::int)"
		" RETURNING h.crontab_id),"
		" u AS (UPDATE crontab SET last_state = 'timed_out' WHERE id IN (SELECT crontab_id FROM t))"
		" SELECT count(*) FROM t",
		0, NULL, err);

	if (res == NULL)
		return -1;
	*n = db_ll(res, 0, 0);
	PQclear(res);
	return 0;
}

/*
 * The decision for each waiting row, in one statement.  A row's period is (since, T]: T its
 * scheduled time, since the scheduled time of its crontab's previous scheduled (not manual)
 * run, or -infinity.  An upstream's state in the period is that of its latest row (latest
 * scheduled time, then latest attempt) scheduled within it; none while the upstream is due
 * at or before T counts as still to come.
 */
static const char release_sql[] =
	"WITH w AS (SELECT h.id, h.crontab_id, h.scheduled_at, h.not_before, h.created,"
	"  c.depends_on, c.overlap,"
	"  COALESCE((SELECT max(p.scheduled_at) FROM crontab_history p WHERE p.crontab_id = h.crontab_id"
	"   AND NOT p.manual AND p.scheduled_at < h.scheduled_at), '-infinity') AS since"
	"  FROM crontab_history h JOIN crontab c ON c.id = h.crontab_id WHERE h.status = 'waiting'"
	"  ORDER BY h.id LIMIT 500 FOR UPDATE OF h SKIP LOCKED),"
	" d AS (SELECT w.id, u.dep, w.scheduled_at, c.name, c.enable, c.next_run_at,"
	"  (SELECT x.status FROM crontab_history x WHERE x.crontab_id = u.dep"
	"   AND x.scheduled_at > w.since AND x.scheduled_at <= w.scheduled_at"
	"   ORDER BY x.scheduled_at DESC, x.attempt DESC LIMIT 1) AS st"
	"  FROM w CROSS JOIN LATERAL unnest(w.depends_on) AS u (dep) LEFT JOIN crontab c ON c.id = u.dep),"
	" v AS (SELECT w.id, w.crontab_id,"
	"  (SELECT string_agg(format('%s (#%s) %s', d.name, d.dep, d.st), ', ' ORDER BY d.dep) FROM d"
	"   WHERE d.id = w.id AND d.st IN ('failed', 'timed_out', 'skipped', 'cancelled')) AS failed,"
	"  (SELECT string_agg(format('%s (#%s)', COALESCE(d.name, 'deleted'), d.dep), ', ' ORDER BY d.dep)"
	"   FROM d WHERE d.id = w.id AND d.st IS NULL AND (d.name IS NULL OR NOT d.enable"
	"   OR d.next_run_at IS NULL OR d.next_run_at > d.scheduled_at)) AS absent,"
	"  EXISTS (SELECT 1 FROM d WHERE d.id = w.id"
	"   AND (d.st IS NULL OR d.st IN ('pending', 'running', 'waiting'))) AS upstream_open,"
	"  w.overlap = 'replace' AND EXISTS (SELECT 1 FROM crontab_history o"
	"   WHERE o.crontab_id = w.crontab_id AND o.id < w.id"
	"   AND o.status IN ('pending', 'running', 'waiting')) AS old_open,"
	"  COALESCE(w.not_before > clock_timestamp(), false) AS backoff,"
	"  w.created < clock_timestamp() - make_interval(secs => $1::int) AS expired"
	"  FROM w),"
	" dec AS (SELECT id, crontab_id,"
	"  CASE WHEN failed IS NOT NULL OR absent IS NOT NULL THEN 'skipped'"
	"   WHEN backoff THEN 'waiting'"
	"   WHEN upstream_open AND expired THEN 'skipped'"
	"   WHEN upstream_open OR (old_open AND NOT expired) THEN 'waiting'"
	"   ELSE 'pending' END AS st,"
	"  CASE WHEN failed IS NOT NULL THEN 'skipped (upstream failed): ' || failed"
	"   WHEN absent IS NOT NULL THEN 'skipped (upstream failed): no run in this period: ' || absent"
	"   WHEN upstream_open THEN format('skipped (upstream failed): upstreams not done after %s s', $1)"
	"   WHEN old_open THEN format('the replaced run did not stop within %s s; run anyway', $1)"
	"  END AS note FROM v),"
	" up AS (UPDATE crontab_history h SET status = dec.st, content = COALESCE(dec.note, h.content),"
	"  finished = CASE WHEN dec.st = 'skipped' THEN clock_timestamp() END"
	"  FROM dec WHERE h.id = dec.id AND dec.st <> 'waiting' RETURNING h.crontab_id, h.status),"
	" cs AS (UPDATE crontab c SET last_state = up.status FROM up WHERE c.id = up.crontab_id)"
	" SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'skipped')"
	" FROM up";

int
crontab_release(struct db *db, const struct fb_config *cfg, int *released, int *skipped,
                struct fb_err *err)
{
	char wait[16];
	const char *params[1] = {wait};
	PGresult *res;

	snprintf(wait, sizeof(wait), "%d", cfg->scheduler_wait_seconds);
	res = db_query(db, "crontab_release", release_sql, 1, params, err);
	if (res == NULL)
		return -1;
	*released = (int)db_ll(res, 0, 0);
	*skipped = (int)db_ll(res, 0, 1);
	PQclear(res);
	return 0;
}

int
crontab_run_cancelled(struct db *db, const char *job_id, struct fb_err *err)
{
	const char *params[1] = {job_id};
	PGresult *res = db_query(db, "crontab_run_cancelled",
	                         "SELECT EXISTS (SELECT 1 FROM crontab_history WHERE job_id = $1"
	                         " AND (cancel_requested OR status = 'cancelled'))",
	                         1, params, err);
	int rc;

	if (res == NULL)
		return -1;
	rc = db_val(res, 0, 0)[0] == 't';
	PQclear(res);
	return rc;
}

int
crontab_run_output(struct db *db, const char *job_id, const char *text, struct fb_err *err)
{
	const char *params[2] = {job_id, text};

	return db_exec(db, "crontab_run_output",
	               "UPDATE crontab_history SET content = left($2, 4000) WHERE job_id = $1",
	               2, params, err);
}

int
crontab_run_timeout(struct db *db, const char *job_id, int *seconds, struct fb_err *err)
{
	const char *params[1] = {job_id};
	PGresult *res = db_query(db, "crontab_run_timeout",
	                         "SELECT (c.job->>'timeout')::int FROM crontab_history h"
	                         " JOIN crontab c ON c.id = h.crontab_id WHERE h.job_id = $1",
	                         1, params, err);
	int rc = 0;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && db_val(res, 0, 0) != NULL) {
		*seconds = (int)db_ll(res, 0, 0);
		rc = 1;
	}
	PQclear(res);
	return rc;
}
