/* SPDX-License-Identifier: MIT */
/*
 * metrics: GET /metrics in the Prometheus text format 0.0.4, for monitoring (nginx lets
 * only its allowlist in, optionally with basic auth; no user login).
 *
 * One scrape answers for the whole service:
 * - this web process's own series (requests by route, method and status, latency
 *   histograms, PostgreSQL and Redis errors), kept in memory with atomic adds and
 *   labelled web="host:pid", since several web processes may answer in turn;
 * - every runner's series, which each runner writes into its report in Redis every second
 *   (runners.h), merged here family by family, labelled runner="host:pid".  Through Redis
 *   rather than a port per runner: runners listen on nothing today, they already write a
 *   report every second, and one scrape target then covers any number of runners on any
 *   hosts behind firewalls that let them reach Redis only;
 * - read at scrape time: queue length, pending, oldest entry's age, consumers and pause
 *   per stream (a few commands per stream), runners live and stale, unsettled batches by
 *   status (a partial index), dead letters (a small table), open alerts per rule (the
 *   partial index alert_open_key).
 * A dependency that fails during the scrape leaves its part out and counts an error; the
 * rest is still answered.  All memory is the request's or freed before returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "alert.h"
#include "deadletter.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "overview.h"
#include "runners.h"

static const struct metric_def m_requests = {
	"flowbatch_http_requests_total",
	"HTTP requests answered by flowbatch-web, by route pattern, method and status.",
	METRIC_COUNTER, NULL, 0};
static const struct metric_def m_duration = {
	"flowbatch_http_request_duration_seconds",
	"Time flowbatch-web took to answer a request, by route pattern and method.",
	METRIC_HISTOGRAM, metrics_seconds_buckets, METRICS_SECONDS_NBUCKETS};
static const struct metric_def m_dep_errors = {
	"flowbatch_web_dependency_errors_total",
	"Requests of flowbatch-web that failed because PostgreSQL or Redis failed.",
	METRIC_COUNTER, NULL, 0};
static const struct metric_def *const web_families[] = {&m_requests, &m_duration,
                                                        &m_dep_errors, NULL};

static const struct metric_def m_q_length = {
	"flowbatch_queue_length", "Entries in a stream (acknowledged entries are deleted).",
	METRIC_GAUGE, NULL, 0};
static const struct metric_def m_q_pending = {
	"flowbatch_queue_pending", "Entries of a stream delivered to a worker and not yet acknowledged.",
	METRIC_GAUGE, NULL, 0};
static const struct metric_def m_q_oldest = {
	"flowbatch_queue_oldest_age_seconds", "Age of the oldest entry of a stream not yet acknowledged.",
	METRIC_GAUGE, NULL, 0};
static const struct metric_def m_q_consumers = {
	"flowbatch_queue_consumers", "Consumers of the group on a stream.", METRIC_GAUGE, NULL, 0};
static const struct metric_def m_q_paused = {
	"flowbatch_queue_paused", "1 when a stream is paused by an administrator.",
	METRIC_GAUGE, NULL, 0};
static const struct metric_def m_runners = {
	"flowbatch_runners", "Runners with a report: live (liveness key present) or stale.",
	METRIC_GAUGE, NULL, 0};
static const struct metric_def m_batches = {
	"flowbatch_batches_active", "Batches not yet settled, by status.", METRIC_GAUGE, NULL, 0};
static const struct metric_def m_dead = {
	"flowbatch_dead_letters", "Dead letters waiting for an administrator.", METRIC_GAUGE, NULL,
	0};
static const struct metric_def m_alerts = {
	"flowbatch_alerts_firing", "Open alerts of flowbatch's own alert rules, by rule.",
	METRIC_GAUGE, NULL, 0};
static const struct metric_def m_scrape_errors = {
	"flowbatch_scrape_errors", "Parts of this scrape left out because PostgreSQL or Redis failed.",
	METRIC_GAUGE, NULL, 0};
static const struct metric_def m_scrape = {
	"flowbatch_scrape_duration_seconds", "Time this scrape took to build.", METRIC_GAUGE, NULL,
	0};

static const char *
dep_of(enum fb_code code)
{
	return code == FB_EDB ? "postgresql" : code == FB_EREDIS ? "redis" : NULL;
}

void
metrics_web_declare(struct metrics *m)
{
	int i;

	for (i = 0; web_families[i] != NULL; i++)
		metrics_declare(m, web_families[i]);
}

void
metrics_web_request(struct metrics *m, const char *route, const char *method, int status,
                    double seconds, enum fb_code code)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", NULL};
	const char *meth = "other", *dep = dep_of(code);
	char labels[256];
	int i;

	for (i = 0; method != NULL && methods[i] != NULL; i++)
		if (strcmp(method, methods[i]) == 0)
			meth = methods[i];
	/* Route patterns come from the route table: a bounded set, nothing to escape. */
	snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\",status=\"%d\"",
	         route != NULL ? route : "unmatched", meth, status);
	metrics_add(m, &m_requests, labels, 1);
	snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\"",
	         route != NULL ? route : "unmatched", meth);
	metrics_observe(m, &m_duration, labels, seconds);
	if (dep != NULL) {
		snprintf(labels, sizeof(labels), "dependency=\"%s\"", dep);
		metrics_add(m, &m_dep_errors, labels, 1);
	}
}

/* The runners' sample lines, gathered per family. */
struct gathered {
	struct buf text[16];
};

static void
gather(void *arg, const char *runner, const char *family, const char *lines)
{
	struct gathered *g = arg;
	int i;

	(void)runner;
	for (i = 0; runners_metric_families[i] != NULL && i < 16; i++)
		if (strcmp(runners_metric_families[i]->name, family) == 0)
			buf_puts(&g->text[i], lines);
}

static void
gauge(struct buf *out, const struct metric_def *def, const char *labels, double v)
{
	metrics_write_value(out, def->name, labels, v);
}

static void
write_queue(struct buf *out, const struct queue_stats *st, unsigned paused)
{
	const struct metric_def *defs[] = {&m_q_length, &m_q_pending, &m_q_oldest, &m_q_consumers,
	                                   &m_q_paused};
	size_t d;
	int p;

	for (d = 0; d < sizeof(defs) / sizeof(defs[0]); d++) {
		metrics_write_header(defs[d], out);
		for (p = 0; p < QUEUE_NPRIO; p++) {
			const double v[] = {(double)st->length[p], (double)st->pending[p],
			                    (double)st->oldest_age_ms[p] / 1e3, (double)st->consumers[p],
			                    (paused & (1u << p)) ? 1.0 : 0.0};
			char labels[48];

			snprintf(labels, sizeof(labels), "stream=\"%s\"", queue_prio_name((enum queue_prio)p));
			gauge(out, defs[d], labels, v[d]);
		}
	}
}

static void
write_runners(struct buf *out, struct json_object *list)
{
	int live = 0, stale = 0;
	size_t i;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *st;

		if (json_object_object_get_ex(json_object_array_get_idx(list, i), "state", &st) &&
		    strcmp(json_object_get_string(st), "live") == 0)
			live++;
		else
			stale++;
	}
	metrics_write_header(&m_runners, out);
	gauge(out, &m_runners, "state=\"live\"", live);
	gauge(out, &m_runners, "state=\"stale\"", stale);
}

/* Note a dependency failure of the scrape: logged, counted, left out. */
static void
part_failed(struct request *r, const char *part, struct fb_err *e, int *failed)
{
	log_warn("metrics: part of the scrape left out", "request_id", LOG_STR(r->request_id),
	         "part", LOG_STR(part), "error", LOG_STR(e->msg), NULL);
	if (dep_of(e->code) != NULL) {
		char labels[48];

		snprintf(labels, sizeof(labels), "dependency=\"%s\"", dep_of(e->code));
		metrics_add(r->thread->metrics, &m_dep_errors, labels, 1);
	}
	fb_err_clear(e);
	(*failed)++;
}

int
handle_metrics(struct request *r, struct fb_err *err)
{
	static const char *const headers[] = {"Content-Type: text/plain; version=0.0.4; charset=utf-8",
	                                      "Cache-Control: no-store"};
	struct gathered g;
	struct buf out = {0};
	struct fb_err e = {0};
	struct queue_stats st;
	struct overview_batches ob;
	struct json_object *list = NULL;
	struct timespec t0, t1;
	struct queue *q;
	struct db *db;
	char inst[320], lab[340];
	unsigned paused = 0;
	long long dead = 0, firing[ALERT_NRULES];
	int i, failed = 0;

	(void)err;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&g, 0, sizeof(g));
	metrics_label_value(r->thread->instance, inst, sizeof(inst));
	snprintf(lab, sizeof(lab), "web=\"%s\"", inst);
	for (i = 0; web_families[i] != NULL; i++) {
		metrics_write_header(web_families[i], &out);
		metrics_write_samples(r->thread->metrics, web_families[i], lab, &out);
	}
	q = request_queue(r, &e);
	if (q == NULL || runners_each_metrics(q, gather, &g, &e) < 0)
		part_failed(r, "runners", &e, &failed);
	for (i = 0; runners_metric_families[i] != NULL && i < 16; i++) {
		metrics_write_header(runners_metric_families[i], &out);
		if (g.text[i].len > 0)
			buf_add(&out, g.text[i].data, g.text[i].len);
		free(g.text[i].data);
	}
	if (q != NULL && queue_stats(q, &st, &e) == 0 && runners_get_paused(q, &paused, &e) == 0)
		write_queue(&out, &st, paused);
	else if (q != NULL)
		part_failed(r, "queue", &e, &failed);
	if (q != NULL && (list = runners_list(q, &e)) != NULL)
		write_runners(&out, list);
	else if (q != NULL)
		part_failed(r, "runner list", &e, &failed);
	json_object_put(list);
	db = request_db(r, &e);
	if (db != NULL && overview_active_batches(db, &ob, &e) == 0) {
		metrics_write_header(&m_batches, &out);
		gauge(&out, &m_batches, "status=\"init\"", (double)ob.init);
		gauge(&out, &m_batches, "status=\"running\"", (double)ob.running);
	} else {
		part_failed(r, "batches", &e, &failed);
	}
	if (db != NULL && deadletter_count(db, &dead, &e) == 0) {
		metrics_write_header(&m_dead, &out);
		gauge(&out, &m_dead, NULL, (double)dead);
	} else if (db != NULL) {
		part_failed(r, "dead letters", &e, &failed);
	}
	if (db != NULL && alert_firing(db, firing, &e) == 0) {
		metrics_write_header(&m_alerts, &out);
		for (i = 0; i < ALERT_NRULES; i++) {
			char rl[64];

			snprintf(rl, sizeof(rl), "rule=\"%s\"", alert_rule_name((enum alert_rule)i));
			gauge(&out, &m_alerts, rl, (double)firing[i]);
		}
	} else if (db != NULL) {
		part_failed(r, "alerts", &e, &failed);
	}
	metrics_write_header(&m_scrape_errors, &out);
	gauge(&out, &m_scrape_errors, NULL, failed);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_write_header(&m_scrape, &out);
	gauge(&out, &m_scrape, NULL,
	      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	respond_raw(r, 200, headers, 2, out.data, out.len);
	free(out.data);
	return 0;
}
