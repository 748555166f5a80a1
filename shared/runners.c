/* SPDX-License-Identifier: MIT */
/*
 * runners: the registry of runners in Redis (reports, per-runner consumer counts, paused
 * streams).  See runners.h for the keys.
 *
 * A report is one hash; metric samples are its fields named "m:<series>" so that one
 * HGETALL per runner serves both the listing and the scrape.  Every reply is freed before
 * a function returns; strings handed to the caller are copies (json-c) the caller owns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "metrics.h"
#include "runners.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define RUNNERS_MAX 10000 /* reports read at most, whatever is in Redis */
#define METRIC_PREFIX "m:"

const struct metric_def runners_m_items = {
	"flowbatch_runner_items_processed_total",
	"Batch items a runner settled, by job type and outcome (success, failed, ignored).",
	METRIC_COUNTER, NULL, 0};
const struct metric_def runners_m_jobs = {
	"flowbatch_runner_jobs_total",
	"Jobs a runner handled, by type and outcome (done, failed, dead_lettered, left for redelivery).",
	METRIC_COUNTER, NULL, 0};
const struct metric_def runners_m_wait = {
	"flowbatch_runner_job_wait_seconds",
	"Time from a job's enqueueing (its message's enqueued_at) to its start, by type.",
	METRIC_HISTOGRAM, metrics_seconds_buckets, METRICS_SECONDS_NBUCKETS};
const struct metric_def runners_m_run = {
	"flowbatch_runner_job_run_seconds", "Run time of jobs, by type.",
	METRIC_HISTOGRAM, metrics_seconds_buckets, METRICS_SECONDS_NBUCKETS};
const struct metric_def runners_m_reclaims = {
	"flowbatch_runner_reclaims_total",
	"Jobs a runner took over, from a runner that is gone (dead_runner) or idle past the visibility timeout (idle).",
	METRIC_COUNTER, NULL, 0};
const struct metric_def runners_m_dead = {
	"flowbatch_runner_dead_letters_total", "Jobs a runner dead-lettered, by type.",
	METRIC_COUNTER, NULL, 0};
const struct metric_def runners_m_dep_errors = {
	"flowbatch_runner_dependency_errors_total",
	"Jobs that failed because PostgreSQL or Redis failed, by dependency.",
	METRIC_COUNTER, NULL, 0};
const struct metric_def runners_m_workers = {
	"flowbatch_runner_workers", "Worker threads of a runner, busy or idle.",
	METRIC_GAUGE, NULL, 0};
const struct metric_def runners_m_rss = {
	"flowbatch_runner_resident_memory_bytes", "Resident set size of a runner.",
	METRIC_GAUGE, NULL, 0};
const struct metric_def *const runners_metric_families[] = {
	&runners_m_items, &runners_m_jobs, &runners_m_wait, &runners_m_run, &runners_m_reclaims,
	&runners_m_dead, &runners_m_dep_errors, &runners_m_workers, &runners_m_rss, NULL};

static int
strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
info_key(struct queue *q, const char *runner)
{
	return xasprintf("%s:runnerinfo:%s", queue_prefix(q), runner);
}

static char *
consumers_key(struct queue *q, const char *runner)
{
	return runner != NULL ? xasprintf("%s:consumers:%s", queue_prefix(q), runner)
	                      : xasprintf("%s:consumers", queue_prefix(q));
}

static int
run(struct queue *q, int argc, const char **argv, struct fb_err *err)
{
	redisReply *r = queue_command(q, argc, argv, err);

	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

static char *
index_key(struct queue *q)
{
	return xasprintf("%s:runners", queue_prefix(q));
}

/* Drop a runner whose report expired from the index (best effort). */
static void
prune(struct queue *q, const char *runner)
{
	char *key = index_key(q);
	const char *a[] = {"SREM", key, runner};
	struct fb_err err = {0};

	if (run(q, NARGS(a), a, &err) < 0)
		fb_err_clear(&err);
	free(key);
}

int
runners_publish(struct queue *q, const struct runner_report *rep, long ttl_ms,
                struct fb_err *err)
{
	enum { FIXED = 32 };
	char *key = info_key(q, rep->runner);
	char num[16][32], ttl[32], paused[64] = "";
	const char **argv;
	char **mfields;
	size_t i;
	int n = 0, k = 0, p, rc;
	struct timespec now;

	argv = xcalloc(FIXED + 2 * rep->nmetrics, sizeof(*argv));
	mfields = xcalloc(rep->nmetrics + 1, sizeof(*mfields));
	clock_gettime(CLOCK_REALTIME, &now);
	for (p = 0; p < QUEUE_NPRIO; p++)
		if (rep->paused & (1u << p)) {
			size_t len = strlen(paused);

			snprintf(paused + len, sizeof(paused) - len, "%s%s", len ? "," : "",
			         queue_prio_name((enum queue_prio)p));
		}
	argv[n++] = "HSET";
	argv[n++] = key;
#define FIELD(name, val) (argv[n++] = (name), argv[n++] = (val))
#define NUMF(name, fmt, val) (snprintf(num[k], sizeof(num[k]), fmt, val), FIELD(name, num[k]), k++)
	FIELD("host", rep->host);
	NUMF("pid", "%ld", rep->pid);
	FIELD("version", rep->version);
	FIELD("started", rep->started);
	NUMF("seen_ms", "%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	NUMF("workers_high", "%d", rep->workers[QUEUE_HIGH]);
	NUMF("workers_common", "%d", rep->workers[QUEUE_COMMON]);
	NUMF("workers_low", "%d", rep->workers[QUEUE_LOW]);
	NUMF("busy", "%d", rep->busy);
	NUMF("rss_bytes", "%lld", rep->rss_bytes);
	NUMF("load1", "%.2f", rep->load1);
	FIELD("paused", paused);
	FIELD("jobs", rep->jobs != NULL ? rep->jobs : "[]");
#undef NUMF
#undef FIELD
	for (i = 0; i < rep->nmetrics; i++) {
		mfields[i] = xasprintf(METRIC_PREFIX "%s", rep->metrics[2 * i]);
		argv[n++] = mfields[i];
		argv[n++] = rep->metrics[2 * i + 1];
	}
	/* One command writes the whole report: a reader never sees half of one.  Series are
	 * only ever added during a runner's life, so nothing needs deleting. */
	rc = run(q, n, argv, err);
	if (rc == 0) {
		char *idx = index_key(q);
		const char *a[] = {"SADD", idx, rep->runner};

		rc = run(q, NARGS(a), a, err);
		free(idx);
	}
	if (rc == 0) {
		const char *a[] = {"PEXPIRE", key, ttl};

		snprintf(ttl, sizeof(ttl), "%ld", (ttl_ms > 0 ? ttl_ms : 1) * RUNNERS_INFO_TTL_FACTOR);
		rc = run(q, NARGS(a), a, err);
	}
	for (i = 0; i < rep->nmetrics; i++)
		free(mfields[i]);
	free(mfields);
	free(argv);
	free(key);
	return rc;
}

int
runners_gone(struct queue *q, const char *runner, struct fb_err *err)
{
	char *key = info_key(q, runner);
	const char *a[] = {"DEL", key};
	int rc = run(q, NARGS(a), a, err);

	free(key);
	if (rc == 0)
		prune(q, runner);
	return rc;
}

/*
 * The runner names of the index <prefix>:runners, sorted; caller frees each and the array.
 * A set rather than a SCAN of the keyspace, so that a scrape costs the same however many
 * other keys Redis holds.  Names whose report expired are pruned by the readers.
 */
static char **
scan_runners(struct queue *q, size_t *count, struct fb_err *err)
{
	char *key = index_key(q);
	const char *a[] = {"SMEMBERS", key};
	redisReply *r = queue_command(q, NARGS(a), a, err);
	size_t i, n = 0;
	char **names = NULL;

	free(key);
	*count = 0;
	if (r == NULL)
		return NULL;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		names = xcalloc(r->elements < RUNNERS_MAX ? r->elements : RUNNERS_MAX, sizeof(*names));
		for (i = 0; i < r->elements && n < RUNNERS_MAX; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				names[n++] = xstrdup(r->element[i]->str);
	}
	freeReplyObject(r);
	if (n > 1)
		qsort(names, n, sizeof(*names), strcmp_ptr);
	*count = n;
	return names;
}

static void
free_names(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* The value of field name in an HGETALL reply, or NULL. */
static const char *
hash_field(const redisReply *r, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1]->str;
	return NULL;
}

static long long
field_ll(const redisReply *r, const char *name)
{
	const char *v = hash_field(r, name);

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

/* HGETALL of a runner's report; NULL reply on error, an empty array when it is gone. */
static redisReply *
report_get(struct queue *q, const char *runner, struct fb_err *err)
{
	char *key = info_key(q, runner);
	const char *a[] = {"HGETALL", key};
	redisReply *r = queue_command(q, NARGS(a), a, err);

	free(key);
	if (r != NULL && r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		fb_err_set(err, FB_EREDIS, "redis HGETALL: unexpected reply");
		return NULL;
	}
	return r;
}

static int
is_live(struct queue *q, const char *runner, int *live, struct fb_err *err)
{
	char *key = xasprintf("%s:runner:%s", queue_prefix(q), runner);
	const char *a[] = {"EXISTS", key};
	redisReply *r = queue_command(q, NARGS(a), a, err);

	free(key);
	if (r == NULL)
		return -1;
	*live = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return 0;
}

static struct json_object *
counts_json(const int counts[QUEUE_NPRIO])
{
	struct json_object *o = json_object_new_object();
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++)
		if (counts[p] >= 0)
			jsonh_add_int(o, queue_prio_name((enum queue_prio)p), counts[p]);
	return o;
}

/* The report's jobs in hand as a JSON array (empty when absent or unreadable). */
static struct json_object *
jobs_json(const char *text)
{
	struct fb_err err = {0};
	struct json_object *j = text != NULL ? jsonh_parse(text, strlen(text), &err) : NULL;

	fb_err_clear(&err);
	if (j != NULL && json_object_is_type(j, json_type_array))
		return j;
	json_object_put(j);
	return json_object_new_array();
}

static struct json_object *
report_json(struct queue *q, const char *runner, const redisReply *h, int live,
            struct fb_err *err)
{
	struct json_object *o = json_object_new_object(), *w, *paused;
	const char *pz = hash_field(h, "paused");
	int over[QUEUE_NPRIO], p, workers = 0, busy;

	jsonh_add_str(o, "runner", runner);
	jsonh_add_str(o, "host", hash_field(h, "host") ? hash_field(h, "host") : "");
	jsonh_add_int(o, "pid", field_ll(h, "pid"));
	jsonh_add_str(o, "version", hash_field(h, "version") ? hash_field(h, "version") : "");
	jsonh_add_str(o, "started", hash_field(h, "started") ? hash_field(h, "started") : "");
	jsonh_add_int(o, "last_seen_ms", field_ll(h, "seen_ms"));
	jsonh_add_str(o, "state", live ? "live" : "stale");
	w = json_object_new_object();
	for (p = 0; p < QUEUE_NPRIO; p++) {
		char f[32];
		long long n;

		snprintf(f, sizeof(f), "workers_%s", queue_prio_name((enum queue_prio)p));
		n = field_ll(h, f);
		workers += (int)n;
		jsonh_add_int(w, queue_prio_name((enum queue_prio)p), n);
	}
	json_object_object_add(o, "workers", w);
	busy = (int)field_ll(h, "busy");
	jsonh_add_int(o, "busy", busy);
	jsonh_add_int(o, "idle", workers > busy ? workers - busy : 0);
	jsonh_add_int(o, "jobs_in_hand", busy);
	json_object_object_add(o, "jobs", jobs_json(hash_field(h, "jobs")));
	jsonh_add_int(o, "rss_bytes", field_ll(h, "rss_bytes"));
	jsonh_add_double(o, "load1", hash_field(h, "load1") ? strtod(hash_field(h, "load1"), NULL) : 0);
	paused = json_object_new_array();
	while (pz != NULL && *pz != '\0') {
		size_t len = strcspn(pz, ",");

		json_object_array_add(paused, json_object_new_string_len(pz, (int)len));
		pz += len + (pz[len] == ',');
	}
	json_object_object_add(o, "paused", paused);
	if (runners_get_consumers(q, runner, over, err) < 0) {
		json_object_put(o);
		return NULL;
	}
	if (over[0] < 0 && over[1] < 0 && over[2] < 0)
		jsonh_add_null(o, "consumers_override");
	else
		json_object_object_add(o, "consumers_override", counts_json(over));
	return o;
}

struct json_object *
runners_list(struct queue *q, struct fb_err *err)
{
	struct json_object *arr = json_object_new_array();
	size_t n = 0, i;
	char **names = scan_runners(q, &n, err);

	if (names == NULL && err->code != FB_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		struct json_object *o;
		redisReply *h = report_get(q, names[i], err);
		int live = 0;

		if (h == NULL)
			goto fail;
		if (h->elements == 0) { /* its report expired */
			freeReplyObject(h);
			prune(q, names[i]);
			continue;
		}
		o = is_live(q, names[i], &live, err) < 0 ? NULL : report_json(q, names[i], h, live, err);
		freeReplyObject(h);
		if (o == NULL)
			goto fail;
		json_object_array_add(arr, o);
	}
	free_names(names, n);
	return arr;
fail:
	free_names(names, n);
	json_object_put(arr);
	return NULL;
}

int
runners_each_metrics(struct queue *q, runners_metric_fn fn, void *arg, struct fb_err *err)
{
	size_t n = 0, i, j, plen = strlen(METRIC_PREFIX);
	char **names = scan_runners(q, &n, err);

	if (names == NULL && err->code != FB_OK)
		return -1;
	for (i = 0; i < n; i++) {
		redisReply *h = report_get(q, names[i], err);

		if (h == NULL) {
			free_names(names, n);
			return -1;
		}
		for (j = 0; j + 1 < h->elements; j += 2) {
			const redisReply *k = h->element[j], *v = h->element[j + 1];

			if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
			    strncmp(k->str, METRIC_PREFIX, plen) == 0)
				fn(arg, names[i], k->str + plen, v->str);
		}
		freeReplyObject(h);
	}
	free_names(names, n);
	return 0;
}

int
runners_get_consumers(struct queue *q, const char *runner, int counts[QUEUE_NPRIO],
                      struct fb_err *err)
{
	char *key;
	redisReply *r;
	int p;

	if (runner == NULL)
		return queue_get_consumers(q, counts, err);
	for (p = 0; p < QUEUE_NPRIO; p++)
		counts[p] = -1;
	key = consumers_key(q, runner);
	{
		const char *a[] = {"HMGET", key, "high", "common", "low"};

		r = queue_command(q, NARGS(a), a, err);
	}
	free(key);
	if (r == NULL)
		return -1;
	for (p = 0; r->type == REDIS_REPLY_ARRAY && p < QUEUE_NPRIO && (size_t)p < r->elements; p++) {
		const redisReply *v = r->element[p];
		char *end;
		long n;

		if (v->type != REDIS_REPLY_STRING)
			continue;
		n = strtol(v->str, &end, 10);
		if (end != v->str && *end == '\0' && n >= 0 && n <= 1000)
			counts[p] = (int)n;
	}
	freeReplyObject(r);
	return 0;
}

int
runners_set_consumers(struct queue *q, const char *runner, const int counts[QUEUE_NPRIO],
                      struct fb_err *err)
{
	char *key;
	int p, rc = 0;

	if (runner == NULL)
		return queue_set_consumers(q, counts, err);
	key = consumers_key(q, runner);
	for (p = 0; p < QUEUE_NPRIO && rc == 0; p++) {
		const char *name = queue_prio_name((enum queue_prio)p);
		char num[16];

		snprintf(num, sizeof(num), "%d", counts[p]);
		if (counts[p] >= 0) {
			const char *a[] = {"HSET", key, name, num};

			rc = run(q, NARGS(a), a, err);
		} else {
			const char *a[] = {"HDEL", key, name};

			rc = run(q, NARGS(a), a, err);
		}
	}
	free(key);
	return rc;
}

int
runners_known(struct queue *q, const char *runner, struct fb_err *err)
{
	char *key = info_key(q, runner);
	const char *a[] = {"EXISTS", key};
	redisReply *r = queue_command(q, NARGS(a), a, err);
	int rc;

	free(key);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return rc;
}

int
runners_get_paused(struct queue *q, unsigned *mask, struct fb_err *err)
{
	char *key = xasprintf("%s:paused", queue_prefix(q));
	const char *a[] = {"SMEMBERS", key};
	redisReply *r = queue_command(q, NARGS(a), a, err);
	size_t i;

	free(key);
	*mask = 0;
	if (r == NULL)
		return -1;
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		enum queue_prio p;

		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    queue_prio_parse(r->element[i]->str, &p) == 0)
			*mask |= 1u << p;
	}
	freeReplyObject(r);
	return 0;
}

int
runners_set_paused(struct queue *q, enum queue_prio prio, int paused, struct fb_err *err)
{
	char *key = xasprintf("%s:paused", queue_prefix(q));
	const char *a[] = {paused ? "SADD" : "SREM", key, queue_prio_name(prio)};
	int rc = run(q, NARGS(a), a, err);

	free(key);
	return rc;
}

long long
runners_self_rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long long size = 0, resident = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lld %lld", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (long long)sysconf(_SC_PAGESIZE);
}

double
runners_load1(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : 0;
}
