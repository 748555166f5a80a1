/* SPDX-License-Identifier: MIT */
/*
 * crontab: what a crontab is and when it is due — the scheduler's clock, RFC 3339 times,
 * rules (parsed from a request, loaded from storage) and their next due times, and the
 * problems a check records (crontab_int.h).  The other crontab files: crontab_spec.c
 * checks the body of a create or update, crontab_store.c keeps crontabs, crontab_runs.c
 * reads their runs, crontab_fire.c fires them.  JSON answers are new objects the caller
 * puts.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "crontab.h"
#include "crontab_int.h"
#include "jsonh.h"
#include "msg.h"
#include "tz.h"

double
crontab_now(const struct fb_config *cfg)
{
	struct timespec ts;
	double real;

	clock_gettime(CLOCK_REALTIME, &ts);
	real = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (cfg->scheduler_clock_speed <= 1 || cfg->scheduler_clock_base <= 0)
		return real;
	return (double)cfg->scheduler_clock_base +
	       (real - (double)cfg->scheduler_clock_base) * cfg->scheduler_clock_speed;
}

/* ---- times -------------------------------------------------------------------------- */

int
crontab_parse_time(const char *s, int64_t *out)
{
	struct tz_civil c = {0};
	int n = 0, oh = 0, om = 0;
	char sep;
	const char *p;
	int64_t off = 0;

	if (s == NULL || strlen(s) > 40)
		return -1;
	if (sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &c.year, &c.month, &c.day, &sep, &c.hour,
	           &c.minute, &c.second, &n) != 7 || (sep != 'T' && sep != 't' && sep != ' '))
		return -1;
	if (c.year < 1970 || c.year > 9999 || c.month < 1 || c.month > 12 || c.day < 1 ||
	    c.day > tz_days_in_month(c.year, c.month) || c.hour > 23 || c.minute > 59 ||
	    c.second > 59 || c.hour < 0 || c.minute < 0 || c.second < 0)
		return -1;
	p = s + n;
	if (*p == '.') /* fractions are dropped */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
	           sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && oh <= 23 && om <= 59 && oh >= 0 &&
	           om >= 0) {
		off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
	} else {
		return -1;
	}
	*out = tz_seconds_from_civil(&c) - off;
	return 0;
}

void
crontab_format_time(int64_t t, char out[32])
{
	struct tz_civil c;

	tz_civil_from_seconds(t, &c);
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year % 10000, c.month % 100,
	         c.day % 100, c.hour % 100, c.minute % 100, c.second % 100);
}

/* The wall time of t in zone z, "YYYY-MM-DDTHH:MM:SS+HH:MM". */
static void
format_local(const struct tz *z, int64_t t, char out[40])
{
	struct tz_local loc;
	struct tz_civil c;
	int off;

	tz_offset_at(z, t, &loc);
	tz_civil_from_seconds(t + loc.utoff, &c);
	off = loc.utoff < 0 ? -loc.utoff : loc.utoff;
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year % 10000,
	         c.month % 100, c.day % 100, c.hour % 100, c.minute % 100, c.second % 100,
	         loc.utoff < 0 ? '-' : '+', (off / 3600) % 100, (off / 60) % 60);
}

/* ---- problems ----------------------------------------------------------------------- */

/* Record a problem of field: msg.c's code with params (stolen, may be NULL). */
void
crontab_problem(struct fb_err *err, const char *field, const char *code,
                struct json_object *params)
{
	fb_err_detail(err, fb_err_detail_msg(field, code, params));
}

/* Record what e says (its code and params) as a problem of field. */
void
crontab_problem_of(struct fb_err *err, const char *field, const struct fb_err *e)
{
	fb_err_detail(err, fb_err_to_detail(field, e));
}

/* Fail with FB_EVALIDATION counting the problems recorded in err. */
void
crontab_invalid(struct fb_err *err)
{
	fb_err_msg(err, FB_EVALIDATION, "crontab.invalid",
	           msg_args("n", json_object_new_int64((int64_t)json_object_array_length(err->details)),
	                    NULL));
}

/* params {"max": max}; new object. */
struct json_object *
crontab_max_arg(int64_t max)
{
	return msg_args("max", json_object_new_int64(max), NULL);
}

/* params {"list": the strings of list}; new object. */
struct json_object *
crontab_list_arg(const char *const *list)
{
	struct json_object *a = json_object_new_array();

	for (; *list != NULL; list++)
		json_object_array_add(a, json_object_new_string(*list));
	return msg_args("list", a, NULL);
}

int
crontab_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* ---- rules -------------------------------------------------------------------------- */

/* A string member that must be a time; 1 found, 0 absent, -1 a problem was recorded. */
static int
rule_time(struct json_object *rule, const char *key, int64_t *out, struct fb_err *err)
{
	struct fb_err e = {0};
	const char *s = NULL;
	int rc = jsonh_get_str(rule, key, &s, &e);
	char field[32];

	snprintf(field, sizeof(field), "rule.%s", key);
	if (rc == 0)
		return 0;
	if (rc < 0 || crontab_parse_time(s, out) < 0) {
		crontab_problem(err, field, "crontab.time", NULL);
		fb_err_clear(&e);
		return -1;
	}
	return 1;
}

static int
rule_parse(struct json_object *rule, int repeat, const struct fb_config *cfg,
           struct crontab_rule *out, int check_zone, struct fb_err *err)
{
	static const char *const once_keys[] = {"runtime", NULL};
	static const char *const repeat_keys[] = {"start", "end", "cron", "tz", "every",
	                                          "every_config", NULL};
	struct json_object *arr = NULL;
	struct fb_err e = {0};
	const char *zone = NULL, *evc = NULL;
	int64_t every = 0;
	int before = err->details != NULL ? (int)json_object_array_length(err->details) : 0;
	int rc, after;

	memset(out, 0, sizeof(*out));
	out->repeat = repeat;
	if (rule == NULL || !json_object_is_type(rule, json_type_object)) {
		crontab_problem(err, "rule", "crontab.required_object", NULL);
		return 1;
	}
	if (jsonh_only_keys(rule, repeat ? repeat_keys : once_keys, &e) < 0) {
		crontab_problem_of(err, "rule", &e);
		fb_err_clear(&e);
	}
	if (!repeat) {
		if (rule_time(rule, "runtime", &out->runtime, err) == 0)
			crontab_problem(err, "rule.runtime", "crontab.runtime_required", NULL);
		goto out;
	}
	/* Problems are recorded; both are looked at. */
	(void)rule_time(rule, "start", &out->start, err);
	(void)rule_time(rule, "end", &out->end, err);
	if (out->start != 0 && out->end != 0 && out->end <= out->start)
		crontab_problem(err, "rule.end", "crontab.end_after_start", NULL);
	rc = jsonh_get_str(rule, "tz", &zone, &e);
	if (rc < 0) {
		crontab_problem(err, "rule.tz", "crontab.string", NULL);
		fb_err_clear(&e);
	}
	if (zone == NULL)
		zone = cfg->scheduler_timezone;
	if (strlen(zone) > TZ_NAME_MAX) {
		crontab_problem(err, "rule.tz", "crontab.too_long", NULL);
	} else if (!check_zone) {
		snprintf(out->tz, sizeof(out->tz), "%s", zone);
	} else {
		struct tz *z = tz_load(zone, &e);

		if (z == NULL) {
			crontab_problem_of(err, "rule.tz", &e);
			fb_err_clear(&e);
		}
		tz_free(z);
		snprintf(out->tz, sizeof(out->tz), "%s", zone);
	}
	if (jsonh_get_int(rule, "every", 1, 86400, &every, &e) < 0) {
		crontab_problem(err, "rule.every", "crontab.every", NULL);
		fb_err_clear(&e);
	}
	out->every = (int)every;
	if (jsonh_get_str(rule, "every_config", &evc, &e) < 0) {
		crontab_problem(err, "rule.every_config", "crontab.string", NULL);
		fb_err_clear(&e);
	} else if (evc != NULL) {
		if (strcmp(evc, "batch.recover_interval_seconds") == 0)
			out->every_recover = 1;
		else
			crontab_problem(err, "rule.every_config", "crontab.every_config", NULL);
	}
	if (jsonh_get_array(rule, "cron", &arr, &e) < 0) {
		crontab_problem(err, "rule.cron", "crontab.cron_array", NULL);
		fb_err_clear(&e);
	} else if (arr != NULL) {
		size_t i, n = json_object_array_length(arr);

		if (n == 0 || n > CRONTAB_MAX_EXPRS)
			crontab_problem(err, "rule.cron", "crontab.cron_count", crontab_max_arg(CRONTAB_MAX_EXPRS));
		for (i = 0; i < n && i < CRONTAB_MAX_EXPRS; i++) {
			struct json_object *v = json_object_array_get_idx(arr, i);
			char field[32];

			snprintf(field, sizeof(field), "rule.cron[%zu]", i);
			if (!json_object_is_type(v, json_type_string)) {
				crontab_problem(err, field, "crontab.string", NULL);
				continue;
			}
			if (cron_parse(json_object_get_string(v), &out->exprs[out->nexprs], &e) < 0) {
				crontab_problem_of(err, field, &e);
				fb_err_clear(&e);
				continue;
			}
			out->nexprs++;
		}
	}
	if ((arr != NULL) + (every != 0) + (evc != NULL) != 1)
		crontab_problem(err, "rule.cron", "crontab.schedule_one", NULL);
out:
	after = err->details != NULL ? (int)json_object_array_length(err->details) : 0;
	return after - before;
}

int
crontab_rule_parse(struct json_object *rule, int repeat, const struct fb_config *cfg,
                   struct crontab_rule *out, struct fb_err *err)
{
	return rule_parse(rule, repeat, cfg, out, 1, err);
}

int
crontab_rule_load(const char *json, int repeat, const struct fb_config *cfg,
                  struct crontab_rule *out, struct fb_err *err)
{
	struct json_object *rule = jsonh_parse(json, strlen(json), err);
	struct fb_err e = {0};
	int n;

	if (rule == NULL)
		return -1;
	n = rule_parse(rule, repeat, cfg, out, 0, &e);
	json_object_put(rule);
	if (n > 0) {
		fb_err_set(err, FB_EINVAL, "stored rule no longer valid: %s",
		           jsonh_str(e.details));
		fb_err_clear(&e);
		return -1;
	}
	return 0;
}

int
crontab_rule_next(const struct crontab_rule *r, const struct fb_config *cfg, int64_t after,
                  int64_t *next, struct fb_err *err)
{
	const struct tz *z;
	struct tz *own = NULL;
	int64_t best = 0, t;
	int i, found = 0;

	if (!r->repeat) {
		if (r->runtime <= after)
			return 0;
		*next = r->runtime;
		return 1;
	}
	if (r->start != 0 && after < r->start - 1)
		after = r->start - 1;
	if (r->every != 0 || r->every_recover) {
		int every = r->every_recover ? cfg->batch_recover_interval_seconds : r->every;

		best = (r->start != 0 && after < r->start) ? r->start : after + every;
		found = 1;
	} else {
		if ((z = r->zone) == NULL && (z = own = tz_load(r->tz, err)) == NULL)
			return -1;
		for (i = 0; i < r->nexprs; i++) {
			struct fb_err e = {0};

			if (cron_next(&r->exprs[i], z, after, &t, &e) < 0) {
				fb_err_clear(&e);
				continue;
			}
			if (!found || t < best)
				best = t;
			found = 1;
		}
		tz_free(own);
	}
	if (!found || (r->end != 0 && best > r->end))
		return 0;
	*next = best;
	return 1;
}

int
crontab_rule_first(const struct crontab_rule *r, const struct fb_config *cfg, double now,
                   int64_t *next, struct fb_err *err)
{
	if (!r->repeat) {
		*next = r->runtime;
		return 1;
	}
	if (r->every != 0 || r->every_recover) {
		*next = (int64_t)ceil(now);
		if (r->start != 0 && *next < r->start)
			*next = r->start;
		return r->end != 0 && *next > r->end ? 0 : 1;
	}
	return crontab_rule_next(r, cfg, (int64_t)floor(now), next, err);
}

/* {"timezone","items":[{"at","local"}]}: the next count fire times of rule.  Caller puts. */
static struct json_object *
next_times(const struct crontab_rule *rule, const struct fb_config *cfg, int count,
           struct fb_err *err)
{
	struct json_object *o = NULL, *items;
	struct tz *z;
	int64_t t;
	int i, has;

	if ((z = tz_load(rule->tz[0] != '\0' ? rule->tz : cfg->scheduler_timezone, err)) == NULL)
		return NULL;
	items = json_object_new_array();
	has = crontab_rule_first(rule, cfg, crontab_now(cfg), &t, err);
	for (i = 0; i < count && has == 1; i++) {
		struct json_object *it = json_object_new_object();
		char utc[32], loc[40];

		crontab_format_time(t, utc);
		format_local(z, t, loc);
		jsonh_add_str(it, "at", utc);
		jsonh_add_str(it, "local", loc);
		json_object_array_add(items, it);
		has = crontab_rule_next(rule, cfg, t, &t, err);
	}
	if (has < 0) {
		json_object_put(items);
	} else {
		o = json_object_new_object();
		jsonh_add_str(o, "timezone", tz_name(z));
		json_object_object_add(o, "items", items);
	}
	tz_free(z);
	return o;
}

struct json_object *
crontab_next_times(struct db *db, const struct fb_config *cfg, int64_t id, int count,
                   struct fb_err *err)
{
	struct json_object *cur, *o = NULL;
	struct crontab_rule rule;
	const char *type, *rule_text;

	if ((cur = crontab_get(db, id, err)) == NULL)
		return NULL;
	type = json_object_get_string(json_object_object_get(cur, "type"));
	rule_text = jsonh_str(json_object_object_get(cur, "rule"));
	if (crontab_rule_load(rule_text, strcmp(type, "repeat") == 0, cfg, &rule, err) == 0)
		o = next_times(&rule, cfg, count, err);
	json_object_put(cur);
	return o;
}

struct json_object *
crontab_next_expr(const struct fb_config *cfg, const char *expr, const char *tz, int count,
                  struct fb_err *err)
{
	struct json_object *rule = json_object_new_object(), *arr = json_object_new_array(), *o;
	struct crontab_rule parsed;
	struct fb_err e = {0};

	json_object_array_add(arr, json_object_new_string(expr != NULL ? expr : ""));
	json_object_object_add(rule, "cron", arr);
	if (tz != NULL)
		jsonh_add_str(rule, "tz", tz);
	if (expr == NULL)
		crontab_problem(&e, "expr", "crontab.expr_required", NULL);
	else if (crontab_rule_parse(rule, 1, cfg, &parsed, &e) > 0 && e.details != NULL) {
		/* rule.cron[0] and rule.tz are the request's expr and tz. */
		size_t i;

		for (i = 0; i < json_object_array_length(e.details); i++) {
			struct json_object *d = json_object_array_get_idx(e.details, i);
			const char *f = json_object_get_string(json_object_object_get(d, "field"));

			json_object_object_add(d, "field", json_object_new_string(
				strcmp(f, "rule.tz") == 0 ? "tz" : "expr"));
		}
	}
	json_object_put(rule);
	if (e.details != NULL) {
		fb_err_msg(err, FB_EVALIDATION, "cron.expr_invalid", NULL);
		err->details = e.details;
		e.details = NULL;
		return NULL;
	}
	o = next_times(&parsed, cfg, count, err);
	return o;
}
