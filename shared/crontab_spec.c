/* SPDX-License-Identifier: MIT */
/*
 * crontab_spec: the body of a crontab's create or update, checked — name, type, rule,
 * policies, the job with its args (an http.call's URL against scheduler.http_allow) and
 * retry, and depends_on, whose upstreams must exist and must not close a cycle.  Every
 * problem is recorded as a detail before the check fails once (crontab_int.h).
 *
 * Memory: a struct crontab_spec borrows from the request body and the stored crontab it
 * was read from; the cycle check frees its graph before it returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab.h"
#include "crontab_int.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "db.h"

/* Job types a crontab may run (the runner registers each of them). */
static const char *const job_types[] = {"noop", "batch.recover", "crontab.purge", "task.timeout",
                                         "taskcenter.retry", "alert.evaluate", "http.call", NULL};

static const char *const misfires[] = {"run_once", "catch_up", "skip", NULL};
static const char *const overlaps[] = {"forbid", "allow", "replace", NULL};
static const char *const streams[] = {"high", "common", "low", NULL};

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
		crontab_problem(err, "job.args.url", "crontab.url_required", NULL);
		return;
	}
	if (jsonh_only_keys(args, keys, &e) < 0) {
		crontab_problem_of(err, "job.args", &e);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(args, "url", &url, &e) <= 0 || strlen(url) > CRONTAB_MAX_URL) {
		crontab_problem(err, "job.args.url", "crontab.url", crontab_max_arg(CRONTAB_MAX_URL));
		fb_err_clear(&e);
	} else if (!crontab_http_allowed(cfg, url)) {
		crontab_problem(err, "job.args.url", "crontab.url_not_allowed", NULL);
	}
	if (jsonh_get_str(args, "method", &method, &e) < 0 ||
	    (method != NULL && strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)) {
		crontab_problem(err, "job.args.method", "crontab.method", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(args, "body", &body, &e) < 0 ||
	    (body != NULL && strlen(body) > CRONTAB_MAX_HTTP_BODY)) {
		crontab_problem(err, "job.args.body", "crontab.string_max", crontab_max_arg(CRONTAB_MAX_HTTP_BODY));
		fb_err_clear(&e);
	}
	if (jsonh_get_str(args, "content_type", &ct, &e) < 0 || (ct != NULL && strlen(ct) > 200)) {
		crontab_problem(err, "job.args.content_type", "crontab.string_max", crontab_max_arg(200));
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
		crontab_problem(err, "job", "crontab.required_object", NULL);
		return;
	}
	if (jsonh_only_keys(job, keys, &e) < 0) {
		crontab_problem_of(err, "job", &e);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(job, "type", &type, &e) <= 0 || !crontab_one_of(type, job_types)) {
		crontab_problem(err, "job.type", "crontab.one_of", crontab_list_arg(job_types));
		fb_err_clear(&e);
		type = NULL;
	}
	if (jsonh_get_obj(job, "args", &args, &e) < 0) {
		crontab_problem(err, "job.args", "crontab.object", NULL);
		fb_err_clear(&e);
	} else if (args != NULL && strlen(jsonh_str(args)) > CRONTAB_MAX_ARGS) {
		crontab_problem(err, "job.args", "crontab.too_large", crontab_max_arg(CRONTAB_MAX_ARGS));
	} else if (type != NULL && strcmp(type, "http.call") == 0) {
		check_http_args(args, cfg, err);
	}
	if (jsonh_get_str(job, "stream", &stream, &e) < 0 ||
	    (stream != NULL && !crontab_one_of(stream, streams))) {
		crontab_problem(err, "job.stream", "crontab.stream", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_int(job, "timeout", 1, 86400 * 7, &v, &e) < 0) {
		crontab_problem(err, "job.timeout", "crontab.timeout", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_obj(job, "retry", &retry, &e) < 0) {
		crontab_problem(err, "job.retry", "crontab.object", NULL);
		fb_err_clear(&e);
	} else if (retry != NULL) {
		if (jsonh_only_keys(retry, rkeys, &e) < 0) {
			crontab_problem_of(err, "job.retry", &e);
			fb_err_clear(&e);
		}
		if (jsonh_get_int(retry, "max_attempts", 1, 100, &v, &e) < 0) {
			crontab_problem(err, "job.retry.max_attempts", "crontab.range", msg_args("min", json_object_new_int(1), "max", json_object_new_int(100), NULL));
			fb_err_clear(&e);
		}
		if (jsonh_get_int(retry, "backoff_seconds", 0, 86400, &v, &e) < 0) {
			crontab_problem(err, "job.retry.backoff_seconds", "crontab.range", msg_args("min", json_object_new_int(0), "max", json_object_new_int(86400), NULL));
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

	if (jsonh_get_str(body, key, &s, &e) < 0 || (s != NULL && !crontab_one_of(s, list))) {
		crontab_problem(err, key, "crontab.one_of", crontab_list_arg(list));
		fb_err_clear(&e);
		return;
	}
	if (s != NULL)
		*out = s;
}

/* depends_on: an array of distinct crontab ids; problems into err (NULL: trusted). */
static void
read_deps(struct json_object *arr, struct crontab_spec *s, struct fb_err *err)
{
	size_t i, n;
	int j;

	s->ndeps = 0;
	if (arr == NULL)
		return;
	if (!json_object_is_type(arr, json_type_array) ||
	    (n = json_object_array_length(arr)) > CRONTAB_MAX_DEPS) {
		if (err != NULL)
			crontab_problem(err, "depends_on", "crontab.deps_array", crontab_max_arg(CRONTAB_MAX_DEPS));
		return;
	}
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		int64_t id = json_object_get_int64(v);
		char field[32];

		snprintf(field, sizeof(field), "depends_on[%zu]", i);
		if (!json_object_is_type(v, json_type_int) || id <= 0) {
			if (err != NULL)
				crontab_problem(err, field, "crontab.dep_id", NULL);
			continue;
		}
		for (j = 0; j < s->ndeps && s->deps[j] != id; j++)
			;
		if (j < s->ndeps) {
			if (err != NULL)
				crontab_problem(err, field, "crontab.dep_twice", NULL);
			continue;
		}
		s->deps[s->ndeps++] = id;
	}
}

/*
 * Read a body into s.  cur (may be NULL) is the stored crontab for an update: members the
 * body leaves out keep its values.  Fails with FB_EVALIDATION listing every problem.
 */
int
crontab_spec_read(struct json_object *body, struct json_object *cur, const struct fb_config *cfg,
          struct crontab_spec *s, struct fb_err *err)
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
					crontab_problem(err, *k, "crontab.system_field", NULL);
	} else {
		s->misfire = "run_once";
		s->overlap = "forbid";
	}
	if (jsonh_get_str(body, "name", &s->name, &e) < 0) {
		crontab_problem(err, "name", "crontab.string", NULL);
		fb_err_clear(&e);
	}
	if (s->name == NULL || s->name[0] == '\0' || strlen(s->name) > CRONTAB_MAX_NAME)
		crontab_problem(err, "name", "crontab.name", crontab_max_arg(CRONTAB_MAX_NAME));
	get_choice(body, "type", types, &s->type, err);
	if (s->type == NULL)
		crontab_problem(err, "type", "crontab.type", NULL);
	get_choice(body, "misfire", misfires, &s->misfire, err);
	get_choice(body, "overlap", overlaps, &s->overlap, err);
	if (jsonh_get_bool(body, "enable", &s->enable, &e) < 0) {
		crontab_problem(err, "enable", "crontab.bool", NULL);
		fb_err_clear(&e);
	}
	if (jsonh_get_str(body, "remark", &s->remark, &e) < 0 ||
	    (s->remark != NULL && strlen(s->remark) > 2000)) {
		crontab_problem(err, "remark", "crontab.string_max", crontab_max_arg(2000));
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
		crontab_invalid(err);
		return -1;
	}
	return 0;
}

/* The stored form of a spec's job: type, args, stream and the rest as given. */
struct json_object *
crontab_spec_job(struct json_object *job)
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
int
crontab_spec_check_deps(struct db *db, int64_t id, const struct crontab_spec *s, const char *deps,
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
			crontab_problem(err, field, "crontab.dep_self", NULL);
		else if (graph_find(&g, s->deps[i]) < 0)
			crontab_problem(err, field, "crontab.not_found", msg_args("id", json_object_new_int64(s->deps[i]), NULL));
	}
	seen = xcalloc((size_t)g.n + 1, 1);
	path = xcalloc((size_t)g.n + 2, sizeof(*path));
	if (err->details == NULL && id > 0 && graph_reaches(&g, id, id, seen, path, &len, 0)) {
		for (j = 0; j < len; j++)
			buf_printf(&msg, "%s (#%lld) -> ", g.name[graph_find(&g, path[j])],
			           (long long)path[j]);
		buf_printf(&msg, "%s (#%lld)", g.name[graph_find(&g, id)], (long long)id);
		crontab_problem(err, "depends_on", "crontab.cycle", msg_args("path", json_object_new_string(buf_cstr(&msg)), NULL));
	}
	if (err->details != NULL) {
		crontab_invalid(err);
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
void
crontab_spec_deps(const struct crontab_spec *s, struct buf *b)
{
	int i;

	buf_puts(b, "{");
	for (i = 0; i < s->ndeps; i++)
		buf_printf(b, "%s%lld", i > 0 ? "," : "", (long long)s->deps[i]);
	buf_puts(b, "}");
}
