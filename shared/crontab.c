/* SPDX-License-Identifier: MIT */
/*
 * crontab: rules, next due times and the administration of scheduled jobs (see crontab.h).
 * Firing due crontabs is crontab_fire.c.  Validation gathers every problem of a request
 * into the error's details before it fails; JSON answers are built here and owned by the
 * caller.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "crontab.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "tz.h"
#include "db.h"

/* Job types a crontab may run (the runner registers each of them). */
static const char *const job_types[] = {"noop", "batch.recover", "crontab.purge", "task.timeout",
                                         "taskcenter.retry", "alert.evaluate", "http.call", NULL};

static const char *const misfires[] = {"run_once", "catch_up", "skip", NULL};
static const char *const overlaps[] = {"forbid", "allow", "replace", NULL};
static const char *const streams[] = {"high", "common", "low", NULL};

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

/* ---- rules -------------------------------------------------------------------------- */

/* Record a problem of field: msg.c's code with params (stolen, may be NULL). */
static void
problem(struct fb_err *err, const char *field, const char *code, struct json_object *params)
{
	fb_err_detail(err, fb_err_detail_msg(field, code, params));
}

/* Record what e says (its code and params) as a problem of field. */
static void
problem_of(struct fb_err *err, const char *field, const struct fb_err *e)
{
	fb_err_detail(err, fb_err_to_detail(field, e));
}

/* Fail with FB_EVALIDATION counting the problems recorded in err. */
static void
invalid(struct fb_err *err)
{
	fb_err_msg(err, FB_EVALIDATION, "crontab.invalid",
	           msg_args("n", json_object_new_int64((int64_t)json_object_array_length(err->details)),
	                    NULL));
}

/* params {"max": max}; new object. */
static struct json_object *
max_arg(int64_t max)
{
	return msg_args("max", json_object_new_int64(max), NULL);
}

/* params {"list": the strings of list}; new object. */
static struct json_object *
list_arg(const char *const *list)
{
	struct json_object *a = json_object_new_array();

	for (; *list != NULL; list++)
		json_object_array_add(a, json_object_new_string(*list));
	return msg_args("list", a, NULL);
}

static int
one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

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
		problem(err, field, "crontab.time", NULL);
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
		problem(err, "rule", "crontab.required_object", NULL);
		return 1;
	}
	if (jsonh_only_keys(rule, repeat ? repeat_keys : once_keys, &e) < 0) {
		problem_of(err, "rule", &e);
		fb_err_clear(&e);
	}
	if (!repeat) {
		if (rule_time(rule, "runtime", &out->runtime, err) == 0)
			problem(err, "rule.runtime", "crontab.runtime_required", NULL);
		goto out;
	}
	/* Problems are recorded; both are looked at. */
	(void)rule_time(rule, "start", &out->start, err);
	(void)rule_time(rule, "end", &out->end, err);
	if (out->start != 0 && out->end != 0 && out->end <= out->start)
		problem(err, "rule.end", "crontab.end_after_start", NULL);
	rc = jsonh_get_str(rule, "tz", &zone, &e);
	if (rc < 0) {
		problem(err, "rule.tz", "crontab.string", NULL);
		fb_err_clear(&e);
	}
	if (zone == NULL)
		zone = cfg->scheduler_timezone;
	if (strlen(zone) > TZ_NAME_MAX) {
		problem(err, "rule.tz", "crontab.too_long", NULL);
	} else if (!check_zone) {
		snprintf(out->tz, sizeof(out->tz), "%s", zone);
	} else {
		struct tz *z = tz_load(zone, &e);

		if (z == NULL) {
			problem_of(err, "rule.tz", &e);
			fb_err_clear(&e);
		}
		tz_free(z);
		snprintf(out->tz, sizeof(out->tz), "%s", zone);
	}
	if (jsonh_get_int(rule, "every", 1, 86400, &every, &e) < 0) {
		problem(err, "rule.every", "crontab.every", NULL);
		fb_err_clear(&e);
	}
	out->every = (int)every;
	if (jsonh_get_str(rule, "every_config", &evc, &e) < 0) {
		problem(err, "rule.every_config", "crontab.string", NULL);
		fb_err_clear(&e);
	} else if (evc != NULL) {
		if (strcmp(evc, "batch.recover_interval_seconds") == 0)
			out->every_recover = 1;
		else
			problem(err, "rule.every_config", "crontab.every_config", NULL);
	}
	if (jsonh_get_array(rule, "cron", &arr, &e) < 0) {
		problem(err, "rule.cron", "crontab.cron_array", NULL);
		fb_err_clear(&e);
	} else if (arr != NULL) {
		size_t i, n = json_object_array_length(arr);

		if (n == 0 || n > CRONTAB_MAX_EXPRS)
			problem(err, "rule.cron", "crontab.cron_count", max_arg(CRONTAB_MAX_EXPRS));
		for (i = 0; i < n && i < CRONTAB_MAX_EXPRS; i++) {
			struct json_object *v = json_object_array_get_idx(arr, i);
			char field[32];

			snprintf(field, sizeof(field), "rule.cron[%zu]", i);
			if (!json_object_is_type(v, json_type_string)) {
				problem(err, field, "crontab.string", NULL);
				continue;
			}
			if (cron_parse(json_object_get_string(v), &out->exprs[out->nexprs], &e) < 0) {
				problem_of(err, field, &e);
				fb_err_clear(&e);
				continue;
			}
			out->nexprs++;
		}
	}
	if ((arr != NULL) + (every != 0) + (evc != NULL) != 1)
		problem(err, "rule.cron", "crontab.schedule_one", NULL);
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

/* ---- the body of a create or update ------------------------------------------------- */

struct spec {
	const char *name;
	const char *type;     /* once, repeat */
	struct json_object *rule;
	struct json_object *job;
	const char *misfire;
	const char *overlap;
	const char *remark;
	int enable;           /* -1: not given */
	struct crontab_rule parsed;
	int ndeps;
	int64_t deps[CRONTAB_MAX_DEPS];
};

int
crontab_http_allowed(const struct fb_config *cfg, const char *url)
{
	const char *p = cfg->scheduler_http_allow, *u;
	size_t n;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return 0;
	for (u = url; *u != '\0'; u++)
		if ((unsigned char)*u <= ' ' || *u == 0x7f || *u == '\\')
			return 0;
	u = strstr(url, "://") + 3;
	n = strcspn(u, "/?#");
	if (memchr(u, '@', n) != NULL) /* no user info: it hides the real host */
		return 0;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		/* A prefix ending in a host matches that host only, not host.example.com. */
		if (len > 0 && strncmp(url, p, len) == 0 &&
		    (p[len - 1] == '/' || url[len] == '\0' || strchr("/?#", url[len]) != NULL))
			return 1;
		p = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

/* The args of an http.call job; problems into err's details. */
static void
check_http_args(struct json_object *args, const struct fb_config *cfg, struct fb_err *err)
{
	static const char *const keys[] = {"url", "method", "body", "content_type", NULL};
	const char *url = NULL, *method = NULL, *body = NULL, *ct = NULL;
	struct fb_err e = {0};

	if (args == NULL) {
		problem(err, "job.args.url", "crontab.url_required", NULL);
		return;
	}
	if (jsonh_only_keys(args, keys, &e) < 0) {
		problem_of(err, "job.args", &e);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(args, "url", &url, &e) <= 0 || strlen(url) > CRONTAB_MAX_URL) {
		problem(err, "job.args.url", "crontab.url", max_arg(CRONTAB_MAX_URL));
		fb_err_clear(&e);
	} else if (!crontab_http_allowed(cfg, url)) {
		problem(err, "job.args.url", "crontab.url_not_allowed", NULL);
	}
	if (jsonh_get_str(args, "method", &method, &e) < 0 ||
	    (method != NULL && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)) {
		problem(err, "job.args.method", "crontab.method", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(args, "body", &body, &e) < 0 ||
	    (body != NULL && strlen(body) > CRONTAB_MAX_HTTP_BODY)) {
		problem(err, "job.args.body", "crontab.string_max", max_arg(CRONTAB_MAX_HTTP_BODY));
		fb_err_clear(&e);
	}
	if (jsonh_get_str(args, "content_type", &ct, &e) < 0 || (ct != NULL && strlen(ct) > 200)) {
		problem(err, "job.args.content_type", "crontab.string_max", max_arg(200));
		fb_err_clear(&e);
	}
}

/* Check the job object; problems into err's details. */
static void
check_job(struct json_object *job, const struct fb_config *cfg, struct fb_err *err)
{
	static const char *const keys[] = {"type", "args", "stream", "timeout", "retry", NULL};
	static const char *const rkeys[] = {"max_attempts", "backoff_seconds", NULL};
	struct json_object *args = NULL, *retry = NULL;
	const char *type = NULL, *stream = NULL;
	struct fb_err e = {0};
	int64_t v;

	if (job == NULL || !json_object_is_type(job, json_type_object)) {
		problem(err, "job", "crontab.required_object", NULL);
		return;
	}
	if (jsonh_only_keys(job, keys, &e) < 0) {
		problem_of(err, "job", &e);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(job, "type", &type, &e) <= 0 || !one_of(type, job_types)) {
		problem(err, "job.type", "crontab.one_of", list_arg(job_types));
		fb_err_clear(&e);
		type = NULL;
	}
	if (jsonh_get_obj(job, "args", &args, &e) < 0) {
		problem(err, "job.args", "crontab.object", NULL);
		fb_err_clear(&e);
	} else if (args != NULL && strlen(jsonh_str(args)) > CRONTAB_MAX_ARGS) {
		problem(err, "job.args", "crontab.too_large", max_arg(CRONTAB_MAX_ARGS));
	} else if (type != NULL && strcmp(type, "http.call") == 0) {
		check_http_args(args, cfg, err);
	}
	if (jsonh_get_str(job, "stream", &stream, &e) < 0 ||
	    (stream != NULL && !one_of(stream, streams))) {
		problem(err, "job.stream", "crontab.stream", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_int(job, "timeout", 1, 86400 * 7, &v, &e) < 0) {
		problem(err, "job.timeout", "crontab.timeout", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_obj(job, "retry", &retry, &e) < 0) {
		problem(err, "job.retry", "crontab.object", NULL);
		fb_err_clear(&e);
	} else if (retry != NULL) {
		if (jsonh_only_keys(retry, rkeys, &e) < 0) {
			problem_of(err, "job.retry", &e);
			fb_err_clear(&e);
		}
		if (jsonh_get_int(retry, "max_attempts", 1, 100, &v, &e) < 0) {
			problem(err, "job.retry.max_attempts", "crontab.range", msg_args("min", json_object_new_int(1), "max", json_object_new_int(100), NULL));
			fb_err_clear(&e);
		}
		if (jsonh_get_int(retry, "backoff_seconds", 0, 86400, &v, &e) < 0) {
			problem(err, "job.retry.backoff_seconds", "crontab.range", msg_args("min", json_object_new_int(0), "max", json_object_new_int(86400), NULL));
			fb_err_clear(&e);
		}
	}
}

/* A string member that must be one of list; problems recorded. */
static void
get_choice(struct json_object *body, const char *key, const char *const *list,
           const char **out, struct fb_err *err)
{
	struct fb_err e = {0};
	const char *s = NULL;

	if (jsonh_get_str(body, key, &s, &e) < 0 || (s != NULL && !one_of(s, list))) {
		problem(err, key, "crontab.one_of", list_arg(list));
		fb_err_clear(&e);
		return;
	}
	if (s != NULL)
		*out = s;
}

/* depends_on: an array of distinct crontab ids; problems into err (NULL: trusted). */
static void
read_deps(struct json_object *arr, struct spec *s, struct fb_err *err)
{
	size_t i, n;
	int j;

	s->ndeps = 0;
	if (arr == NULL)
		return;
	if (!json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) > CRONTAB_MAX_DEPS) {
		if (err != NULL)
			problem(err, "depends_on", "crontab.deps_array", max_arg(CRONTAB_MAX_DEPS));
		return;
	}
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		int64_t id = json_object_get_int64(v);
		char field[32];

		snprintf(field, sizeof(field), "depends_on[%zu]", i);
		if (!json_object_is_type(v, json_type_int) || id <= 0) {
			if (err != NULL)
				problem(err, field, "crontab.dep_id", NULL);
			continue;
		}
		for (j = 0; j < s->ndeps && s->deps[j] != id; j++)
			;
		if (j < s->ndeps) {
			if (err != NULL)
				problem(err, field, "crontab.dep_twice", NULL);
			continue;
		}
		s->deps[s->ndeps++] = id;
	}
}

/*
 * Read a body into s.  cur (may be NULL) is the stored crontab for an update: members the
 * body leaves out keep its values.  Fails with FB_EVALIDATION listing every problem.
 */
static int
read_spec(struct json_object *body, struct json_object *cur, const struct fb_config *cfg,
          struct spec *s, struct fb_err *err)
{
	static const char *const keys[] = {"name", "type", "rule", "job", "misfire", "overlap",
	                                   "enable", "remark", "depends_on", NULL};
	static const char *const types[] = {"once", "repeat", NULL};
	struct fb_err e = {0};
	struct json_object *v;
	int is_system = 0;

	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		fb_err_msg(err, FB_EINVAL, "request.body_object", NULL);
		return -1;
	}
	if (jsonh_only_keys(body, keys, &e) < 0) {
		fb_err_msg(err, FB_EVALIDATION, e.mcode != NULL ? e.mcode : MSG_TEXT_CODE,
		           e.mcode != NULL ? (e.margs[0] ? json_tokener_parse(e.margs) : NULL)
		                           : msg_args("text", json_object_new_string(e.msg), NULL));
		fb_err_detail(err, fb_err_to_detail("body", &e));
		fb_err_clear(&e);
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->enable = -1;
	if (cur != NULL) {
		json_object_object_get_ex(cur, "is_system", &v);
		is_system = json_object_get_boolean(v);
		s->name = json_object_get_string(json_object_object_get(cur, "name"));
		s->type = json_object_get_string(json_object_object_get(cur, "type"));
		s->rule = json_object_object_get(cur, "rule");
		s->job = json_object_object_get(cur, "job");
		s->misfire = json_object_get_string(json_object_object_get(cur, "misfire"));
		s->overlap = json_object_get_string(json_object_object_get(cur, "overlap"));
		read_deps(json_object_object_get(cur, "depends_on"), s, NULL);
		if (is_system)
			for (const char *const *k = (const char *const[]){"name", "type", "job", NULL};
			     *k != NULL; k++)
				if (json_object_object_get_ex(body, *k, NULL))
					problem(err, *k, "crontab.system_field", NULL);
	} else {
		s->misfire = "run_once";
		s->overlap = "forbid";
	}
	if (jsonh_get_str(body, "name", &s->name, &e) < 0) {
		problem(err, "name", "crontab.string", NULL);
		fb_err_clear(&e);
	}
	if (s->name == NULL || s->name[0] == '\0' || strlen(s->name) > CRONTAB_MAX_NAME)
		problem(err, "name", "crontab.name", max_arg(CRONTAB_MAX_NAME));
	get_choice(body, "type", types, &s->type, err);
	if (s->type == NULL)
		problem(err, "type", "crontab.type", NULL);
	get_choice(body, "misfire", misfires, &s->misfire, err);
	get_choice(body, "overlap", overlaps, &s->overlap, err);
	if (jsonh_get_bool(body, "enable", &s->enable, &e) < 0) {
		problem(err, "enable", "crontab.bool", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(body, "remark", &s->remark, &e) < 0 ||
	    (s->remark != NULL && strlen(s->remark) > 2000)) {
		problem(err, "remark", "crontab.string_max", max_arg(2000));
		fb_err_clear(&e);
	}
	if (json_object_object_get_ex(body, "rule", &v))
		s->rule = v;
	if (json_object_object_get_ex(body, "job", &v))
		s->job = v;
	if (s->type != NULL)
		crontab_rule_parse(s->rule, strcmp(s->type, "repeat") == 0, cfg, &s->parsed, err);
	check_job(s->job, cfg, err);
	if (json_object_object_get_ex(body, "depends_on", &v))
		read_deps(v, s, err);
	if (err->details != NULL) {
		invalid(err);
		return -1;
	}
	return 0;
}

/* ---- storage ------------------------------------------------------------------------ */

#define CRONTAB_COLS                                                                    \
	"c.id, c.name, c.type, c.rule::text, c.job::text, c.enable, c.last_state,"          \
	" c.is_system, c.system_key, c.misfire, c.overlap, c.remark, c.creator,"          \
	" extract(epoch FROM c.next_run_at)::bigint, extract(epoch FROM c.last_run_at)::bigint," \
	" extract(epoch FROM c.created)::bigint, extract(epoch FROM c.modified)::bigint,"      \
	" array_to_json(c.depends_on)::text"

static void
add_time(struct json_object *o, const char *key, const PGresult *res, int row, int col)
{
	char buf[32];

	if (db_val(res, row, col) == NULL) {
		jsonh_add_null(o, key);
		return;
	}
	crontab_format_time(db_ll(res, row, col), buf);
	jsonh_add_str(o, key, buf);
}

static void
add_text(struct json_object *o, const char *key, const PGresult *res, int row, int col)
{
	const char *v = db_val(res, row, col);

	if (v == NULL)
		jsonh_add_null(o, key);
	else
		jsonh_add_str(o, key, v);
}

static struct json_object *
row_json(const PGresult *res, int row)
{
	struct json_object *o = json_object_new_object();
	struct fb_err e = {0};
	struct json_object *sub;

	jsonh_add_int(o, "id", db_ll(res, row, 0));
	add_text(o, "name", res, row, 1);
	add_text(o, "type", res, row, 2);
	sub = jsonh_parse(db_val(res, row, 3), strlen(db_val(res, row, 3)), &e);
	json_object_object_add(o, "rule", sub);
	fb_err_clear(&e);
	sub = jsonh_parse(db_val(res, row, 4), strlen(db_val(res, row, 4)), &e);
	json_object_object_add(o, "job", sub);
	fb_err_clear(&e);
	jsonh_add_bool(o, "enable", db_val(res, row, 5)[0] == 't');
	add_text(o, "last_state", res, row, 6);
	jsonh_add_bool(o, "is_system", db_val(res, row, 7)[0] == 't');
	add_text(o, "system_key", res, row, 8);
	add_text(o, "misfire", res, row, 9);
	add_text(o, "overlap", res, row, 10);
	add_text(o, "remark", res, row, 11);
	if (db_val(res, row, 12) == NULL)
		jsonh_add_null(o, "creator");
	else
		jsonh_add_int(o, "creator", db_ll(res, row, 12));
	add_time(o, "next_run_at", res, row, 13);
	add_time(o, "last_run_at", res, row, 14);
	add_time(o, "created", res, row, 15);
	add_time(o, "modified", res, row, 16);
	sub = jsonh_parse(db_val(res, row, 17), strlen(db_val(res, row, 17)), &e);
	json_object_object_add(o, "depends_on", sub);
	fb_err_clear(&e);
	return o;
}

static struct json_object *
page_json(struct json_object *items, long long total, int64_t page, int64_t page_size)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "items", items);
	jsonh_add_int(o, "total", total);
	jsonh_add_int(o, "page", page);
	jsonh_add_int(o, "page_size", page_size);
	return o;
}

/* The list's filters: $3 name keyword, $4 enable, $5 last_state (each NULL: any). */
#define CRONTAB_FILTER_SQL                                                                   \
	" WHERE ($3::text IS NULL OR c.name ILIKE '%' || replace(replace(replace($3::text, '\\',"  \
	" '\\\\'), '%', '\\%'), '_', '\\_') || '%')"                                            \
	" AND ($4::boolean IS NULL OR c.enable = $4::boolean)"                                 \
	" AND ($5::text IS NULL OR c.last_state = $5::text)"

struct json_object *
crontab_list(struct db *db, const struct crontab_filter *f, int64_t page, int64_t page_size,
             struct fb_err *err)
{
	char lim[24], off[24];
	const char *params[5] = {lim, off, f->keyword, f->enable < 0 ? NULL : f->enable ? "t" : "f",
	                         f->state};
	struct json_object *items;
	PGresult *res;
	long long total;
	int i, n;

	db_id(lim, page_size);
	db_id(off, ((page - 1) * page_size));
	res = db_query(db, "crontab_list",
	               "SELECT " CRONTAB_COLS ", count(*) OVER () FROM crontab c" CRONTAB_FILTER_SQL
	               " ORDER BY c.id DESC LIMIT $1 OFFSET $2",
	               5, params, err);
	if (res == NULL)
		return NULL;
	items = json_object_new_array();
	for (i = 0; i < PQntuples(res); i++)
		json_object_array_add(items, row_json(res, i));
	n = PQntuples(res);
	total = n > 0 ? db_ll(res, 0, 18) : 0;
	PQclear(res);
	if (n == 0 && page > 1) {
		/* The same parameters: the filters, and the paging as guards. */
		res = db_query(db, "crontab_count",
		               "SELECT count(*) FROM crontab c" CRONTAB_FILTER_SQL
		               " AND $1::bigint > 0 AND $2::bigint >= 0",
		               5, params, err);
		if (res == NULL) {
			json_object_put(items);
			return NULL;
		}
		total = db_ll(res, 0, 0);
		PQclear(res);
	}
	return page_json(items, total, page, page_size);
}

/* 0 when res holds the one row of crontab id; else -1 (res cleared, FB_ENOTFOUND). */
static int
found(PGresult *res, int64_t id, struct fb_err *err)
{
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		fb_err_msg(err, FB_ENOTFOUND, "crontab.not_found", msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	return 0;
}

struct json_object *
crontab_get(struct db *db, int64_t id, struct fb_err *err)
{
	char ids[24];
	const char *params[1] = {ids};
	struct json_object *o;
	PGresult *res;

	db_id(ids, id);
	res = db_query(db, "crontab_get", "SELECT " CRONTAB_COLS " FROM crontab c WHERE c.id = $1",
	               1, params, err);
	if (found(res, id, err) < 0)
		return NULL;
	o = row_json(res, 0);
	PQclear(res);
	return o;
}

static int
log_action(struct db *db, int64_t actor, const char *action, int64_t id,
           struct json_object *detail, struct fb_err *err)
{
	char a[24], t[24];
	const char *params[4] = {a, action, t, detail != NULL ? jsonh_str(detail) : NULL};

	db_id(a, actor);
	db_id(t, id);
	return db_exec(db, "crontab_action_log",
	               "INSERT INTO action_log (actor, action, target_type, target_id, detail)"
	               " VALUES ($1, $2, 'crontab', $3, $4::jsonb)",
	               4, params, err);
}

/* The stored form of a spec's job: type, args, stream and the rest as given. */
static struct json_object *
job_stored(struct json_object *job)
{
	struct json_object *o = json_object_get(job);

	if (!json_object_object_get_ex(o, "args", NULL)) {
		o = json_object_new_object();
		json_object_object_foreach(job, k, v) json_object_object_add(o, k, json_object_get(v));
		json_object_put(job);
		json_object_object_add(o, "args", json_object_new_object());
	}
	return o;
}

struct write_arg {
	const struct fb_config *cfg;
	int64_t actor, id;
	struct spec *s;
	struct json_object *body;
	int creating;
};

/* The upstream graph: every crontab with upstreams, and their names. */
struct graph {
	int n;
	int64_t *id;
	char **name;
	struct json_object **deps; /* arrays of ids */
};

static void
graph_free(struct graph *g)
{
	int i;

	for (i = 0; i < g->n; i++) {
		free(g->name[i]);
		json_object_put(g->deps[i]);
	}
	free(g->id);
	free(g->name);
	free(g->deps);
}

static int
graph_find(const struct graph *g, int64_t id)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (g->id[i] == id)
			return i;
	return -1;
}

/*
 * Depth-first from node at (index into g, or -1 for a node with no upstreams) towards
 * target: 1 when reached, with the path (target excluded) in path[0..*len).  seen marks
 * nodes already explored.
 */
static int
graph_reaches(const struct graph *g, int64_t at, int64_t target, char *seen, int64_t *path,
              int *len, int depth)
{
	int i = graph_find(g, at);
	size_t k;

	if (i < 0 || seen[i] || depth > g->n)
		return 0;
	seen[i] = 1;
	path[(*len)++] = at;
	for (k = 0; k < json_object_array_length(g->deps[i]); k++) {
		int64_t up = json_object_get_int64(json_object_array_get_idx(g->deps[i], k));

		if (up == target || graph_reaches(g, up, target, seen, path, len, depth + 1))
			return 1;
	}
	(*len)--;
	return 0;
}

/*
 * The upstreams of s exist, and (for an update of id) none of them reaches id through
 * depends_on: 422 naming the cycle otherwise.  Writers of depends_on take one advisory
 * lock, so that two updates cannot close a cycle together.
 */
static int
check_deps(struct db *db, int64_t id, const struct spec *s, const char *deps,
           struct fb_err *err)
{
	char idb[24];
	const char *params[2] = {deps, idb};
	struct graph g = {0};
	struct buf msg = {0};
	int64_t *path = NULL;
	char *seen = NULL;
	PGresult *res;
	int i, j, len = 0, rc = -1;

	if (s->ndeps == 0)
		return 0;
	db_id(idb, id);
	if (db_exec(db, "crontab_deps_lock", "SELECT pg_advisory_xact_lock(hashtext('crontab.depends_on'))",
	            0, NULL, err) < 0)
		return -1;
	res = db_query(db, "crontab_deps_graph",
	               "SELECT id, name, array_to_json(CASE WHEN id = $2::bigint THEN $1::bigint[]"
	               " ELSE depends_on END)::text FROM crontab"
	               " WHERE cardinality(depends_on) > 0 OR id = ANY ($1::bigint[]) OR id = $2::bigint",
	               2, params, err);
	if (res == NULL)
		return -1;
	g.id = xcalloc((size_t)PQntuples(res) + 1, sizeof(*g.id));
	g.name = xcalloc((size_t)PQntuples(res) + 1, sizeof(*g.name));
	g.deps = xcalloc((size_t)PQntuples(res) + 1, sizeof(*g.deps));
	for (i = 0; i < PQntuples(res); i++) {
		const char *d = db_val(res, i, 2);
		struct fb_err e = {0};

		g.id[g.n] = db_ll(res, i, 0);
		g.name[g.n] = xstrdup(db_val(res, i, 1));
		if ((g.deps[g.n] = jsonh_parse(d, strlen(d), &e)) == NULL) {
			fb_err_clear(&e);
			g.deps[g.n] = json_object_new_array();
		}
		g.n++;
	}
	PQclear(res);
	for (i = 0; i < s->ndeps; i++) {
		char field[32];

		snprintf(field, sizeof(field), "depends_on[%d]", i);
		if (s->deps[i] == id)
			problem(err, field, "crontab.dep_self", NULL);
		else if (graph_find(&g, s->deps[i]) < 0)
			problem(err, field, "crontab.not_found", msg_args("id", json_object_new_int64(s->deps[i]), NULL));
	}
	seen = xcalloc((size_t)g.n + 1, 1);
	path = xcalloc((size_t)g.n + 2, sizeof(*path));
	if (err->details == NULL && id > 0 && graph_reaches(&g, id, id, seen, path, &len, 0)) {
		for (j = 0; j < len; j++)
			buf_printf(&msg, "%s (#%lld) -> ", g.name[graph_find(&g, path[j])],
			           (long long)path[j]);
		buf_printf(&msg, "%s (#%lld)", g.name[graph_find(&g, id)], (long long)id);
		problem(err, "depends_on", "crontab.cycle", msg_args("path", json_object_new_string(buf_cstr(&msg)), NULL));
	}
	if (err->details != NULL) {
		invalid(err);
		goto out;
	}
	rc = 0;
out:
	free(msg.data);
	free(seen);
	free(path);
	graph_free(&g);
	return rc;
}

/* "{1,2}": the upstreams as a PostgreSQL array literal. */
static void
deps_literal(const struct spec *s, struct buf *b)
{
	int i;

	buf_puts(b, "{");
	for (i = 0; i < s->ndeps; i++)
		buf_printf(b, "%s%lld", i > 0 ? "," : "", (long long)s->deps[i]);
	buf_puts(b, "}");
}

static int
write_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct write_arg *w = argp;
	struct spec *s = w->s;
	struct json_object *job = job_stored(s->job);
	char idb[24], actor[24], next[32] = "";
	const char *params[11];
	struct buf deps = {0};
	int64_t t = 0;
	int has, rc = -1;
	PGresult *res = NULL;

	deps_literal(s, &deps);
	if (check_deps(db, w->creating ? 0 : w->id, s, buf_cstr(&deps), err) < 0)
		goto out;
	has = crontab_rule_first(&s->parsed, w->cfg, crontab_now(w->cfg), &t, err);
	if (has < 0)
		goto out;
	if (has)
		db_id(next, t);
	db_id(actor, w->actor);
	params[0] = s->name;
	params[1] = s->type;
	params[2] = jsonh_str(s->rule);
	params[3] = jsonh_str(job);
	params[4] = s->enable < 0 ? NULL : s->enable ? "t" : "f";
	params[5] = s->misfire;
	params[6] = s->overlap;
	params[7] = s->remark;
	params[8] = has ? next : NULL;
	params[10] = buf_cstr(&deps);
	if (w->creating) {
		params[9] = actor;
		res = db_query(db, "crontab_insert",
		               "INSERT INTO crontab (name, type, rule, job, enable, misfire, overlap,"
		               " remark, next_run_at, creator, depends_on) VALUES ($1, $2, $3::jsonb, $4::jsonb,"
		               " COALESCE($5::boolean, true), $6, $7, $8, to_timestamp($9::bigint), $10,"
		               " $11::bigint[]) RETURNING id",
		               11, params, err);
	} else {
		db_id(idb, w->id);
		params[9] = idb;
		res = db_query(db, "crontab_update",
		               "UPDATE crontab SET name = $1, type = $2, rule = $3::jsonb, job = $4::jsonb,"
		               " enable = COALESCE($5::boolean, enable), misfire = $6, overlap = $7,"
		               " remark = COALESCE($8, remark), next_run_at = to_timestamp($9::bigint),"
		               " modified = now(), depends_on = $11::bigint[] WHERE id = $10 RETURNING id",
		               11, params, err);
	}
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		fb_err_msg(err, FB_ENOTFOUND, "crontab.not_found", msg_args("id", json_object_new_int64(w->id), NULL));
		goto out;
	}
	w->id = db_ll(res, 0, 0);
	rc = log_action(db, w->actor, w->creating ? "crontab.create" : "crontab.update", w->id,
	                w->body, err);
out:
	PQclear(res);
	free(deps.data);
	json_object_put(job);
	return rc;
}

int
crontab_create(struct db *db, const struct fb_config *cfg, int64_t actor,
               struct json_object *body, int64_t *id, struct fb_err *err)
{
	struct spec s;
	struct write_arg w = {.cfg = cfg, .actor = actor, .s = &s, .body = body, .creating = 1};

	if (read_spec(body, NULL, cfg, &s, err) < 0)
		return -1;
	if (db_tx(db, write_tx, &w, err) < 0)
		return -1;
	*id = w.id;
	return 0;
}

int
crontab_update(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
               struct json_object *body, struct fb_err *err)
{
	struct json_object *cur = crontab_get(db, id, err);
	struct spec s;
	struct write_arg w = {.cfg = cfg, .actor = actor, .id = id, .s = &s, .body = body};
	int rc = -1;

	if (cur == NULL)
		return -1;
	if (read_spec(body, cur, cfg, &s, err) == 0)
		rc = db_tx(db, write_tx, &w, err);
	json_object_put(cur);
	return rc;
}

struct simple_arg {
	const struct fb_config *cfg;
	int64_t actor, id, out;
	int enable;
};

static int
delete_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct simple_arg *a = argp;
	char idb[24];
	const char *params[1] = {idb};
	PGresult *res;
	int sys;

	db_id(idb, a->id);
	res = db_query(db, "crontab_lock_row", "SELECT is_system FROM crontab WHERE id = $1 FOR UPDATE",
	               1, params, err);
	if (found(res, a->id, err) < 0)
		return -1;
	sys = db_val(res, 0, 0)[0] == 't';
	PQclear(res);
	if (sys) {
		fb_err_msg(err, FB_ECONFLICT, "crontab.system_delete",
		           msg_args("id", json_object_new_int64(a->id), NULL));
		return -1;
	}
	res = db_query(db, "crontab_downstreams",
	               "SELECT string_agg(format('%s (#%s)', name, id), ', ' ORDER BY id) FROM crontab"
	               " WHERE $1::bigint = ANY (depends_on)",
	               1, params, err);
	if (res == NULL)
		return -1;
	if (db_val(res, 0, 0) != NULL) {
		fb_err_msg(err, FB_ECONFLICT, "crontab.upstream",
		           msg_args("id", json_object_new_int64(a->id), "names",
		                    json_object_new_string(db_val(res, 0, 0)), NULL));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (db_exec(db, "crontab_delete", "DELETE FROM crontab WHERE id = $1", 1, params, err) < 0)
		return -1;
	return log_action(db, a->actor, "crontab.delete", a->id, NULL, err);
}

int
crontab_delete(struct db *db, int64_t actor, int64_t id, struct fb_err *err)
{
	struct simple_arg a = {.actor = actor, .id = id};

	return db_tx(db, delete_tx, &a, err);
}

static int
enable_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct simple_arg *a = argp;
	struct crontab_rule rule;
	char idb[24], next[24] = "";
	const char *params[3] = {idb, a->enable ? "t" : "f", NULL};
	PGresult *res;
	int64_t t;
	int has = 0, rc;

	db_id(idb, a->id);
	res = db_query(db, "crontab_lock_rule",
	               "SELECT type, rule::text FROM crontab WHERE id = $1 FOR UPDATE", 1, params,
	               err);
	if (found(res, a->id, err) < 0)
		return -1;
	/* Enabling starts from now: times missed while disabled are not misfires. */
	rc = crontab_rule_load(db_val(res, 0, 1), strcmp(db_val(res, 0, 0), "repeat") == 0, a->cfg,
	                       &rule, err);
	PQclear(res);
	if (rc < 0 || (has = crontab_rule_first(&rule, a->cfg, crontab_now(a->cfg), &t, err)) < 0)
		return -1;
	if (has)
		db_id(next, t);
	params[2] = has ? next : NULL;
	if (db_exec(db, "crontab_enable",
	            "UPDATE crontab SET enable = $2::boolean, modified = now(),"
	            " next_run_at = CASE WHEN $2::boolean AND NOT enable"
	            " THEN to_timestamp($3::bigint) ELSE next_run_at END WHERE id = $1",
	            3, params, err) < 0)
		return -1;
	return log_action(db, a->actor, a->enable ? "crontab.enable" : "crontab.disable", a->id,
	                  NULL, err);
}

int
crontab_set_enable(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
                   int enable, struct fb_err *err)
{
	struct simple_arg a = {.cfg = cfg, .actor = actor, .id = id, .enable = enable};

	return db_tx(db, enable_tx, &a, err);
}

static int
run_now_tx(struct db *db, void *argp, struct fb_err *err)
{
	struct simple_arg *a = argp;
	char idb[24], now[40];
	const char *params[2] = {idb, now};
	PGresult *res;

	db_id(idb, a->id);
	snprintf(now, sizeof(now), "%.6f", crontab_now(a->cfg));
	res = db_query(db, "crontab_run_now",
	               "WITH n AS (SELECT nextval(pg_get_serial_sequence('crontab_history', 'id')) AS hid)"
	               " INSERT INTO crontab_history (id, crontab_id, scheduled_at, manual, job_id)"
	               " SELECT n.hid, c.id, to_timestamp($2::float8), true, 'cron-m' || n.hid"
	               " FROM crontab c, n WHERE c.id = $1 RETURNING id",
	               2, params, err);
	if (found(res, a->id, err) < 0)
		return -1;
	a->out = db_ll(res, 0, 0);
	PQclear(res);
	if (db_exec(db, "crontab_wake", "SELECT pg_notify('crontab_changed', '')", 0, NULL, err) < 0)
		return -1;
	return log_action(db, a->actor, "crontab.run", a->id, NULL, err);
}

int
crontab_run_now(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
                int64_t *hid, struct fb_err *err)
{
	struct simple_arg a = {.cfg = cfg, .actor = actor, .id = id};

	if (db_tx(db, run_now_tx, &a, err) < 0)
		return -1;
	*hid = a.out;
	return 0;
}

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
		add_text(o, "status", res, i, 1);
		add_text(o, "job_id", res, i, 2);
		add_text(o, "content", res, i, 3);
		jsonh_add_bool(o, "manual", db_val(res, i, 4)[0] == 't');
		add_text(o, "runner", res, i, 5);
		jsonh_add_int(o, "attempt", db_ll(res, i, 6));
		add_time(o, "scheduled_at", res, i, 7);
		add_time(o, "created", res, i, 8);
		add_time(o, "started", res, i, 9);
		add_time(o, "finished", res, i, 10);
		json_object_array_add(items, o);
		total = db_ll(res, i, 11);
	}
	PQclear(res);
	return page_json(items, total, page, page_size);
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
		problem(&e, "expr", "crontab.expr_required", NULL);
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

/* ---- misfires and statistics ---------------------------------------------------------- */

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
		add_text(it, "name", res, i, 1);
		add_text(it, "misfire", res, i, 4);
		add_time(it, "first_missed", res, i, 5);
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
