/* SPDX-License-Identifier: MIT */
/*
 * worker_beat: the runner's signs of life, sent by the control thread.
 *
 * Liveness: the runner's key (queue_runner_beat) is renewed every second, before the first
 * worker starts and until the last one has exited (worker_pool_free deletes it at a clean
 * exit), so that the workers of other runners take over what this one leaves.  With it
 * goes the runner's report (runners_publish: workers, jobs in hand, RSS, load, metrics).
 * The jobs in hand have their entries' idle time reset (queue_touch) every third of the
 * visibility timeout, so that only the entries of dead runners are reclaimed.
 *
 * Memory: a beat copies what it needs of the workers under the pool's mutex and frees
 * it before it returns; the control connection is the pool's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonh.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "queue.h"
#include "runners.h"
#include "worker_int.h"

#define WORKER_BEAT_MAX_MS 1000    /* renew the liveness key at least this often */

/* Publish this runner's report (control thread, after a beat); best effort. */
static void
report(struct worker_pool *pool, const struct fb_config *cfg)
{
	struct runner_report rep = {.runner = pool->runner, .host = pool->host, .pid = pool->pid,
	                            .version = PACKAGE_VERSION, .started = pool->started};
	struct json_object *jobs = json_object_new_array();
	struct fb_err err = {0};
	int i;

	pthread_mutex_lock(&pool->mu);
	for (i = 0; i < pool->nw; i++) {
		const struct worker *w = pool->w[i];

		if (w->busy && w->busy_job[0] != '\0') {
			struct json_object *j = json_object_new_object();

			jsonh_add_str(j, "job_id", w->busy_job);
			jsonh_add_str(j, "type", w->busy_type);
			jsonh_add_str(j, "stream", queue_prio_name(w->busy_prio));
			if (w->busy_key != NULL)
				jsonh_add_int(j, w->busy_key, w->busy_subject);
			json_object_array_add(jobs, j);
		}
		if (w->stop)
			continue;
		rep.workers[w->cls]++;
		rep.busy += w->busy;
	}
	pthread_mutex_unlock(&pool->mu);
	rep.jobs = json_object_to_json_string_ext(jobs, JSON_C_TO_STRING_PLAIN);
	rep.rss_bytes = runners_self_rss();
	rep.load1 = runners_load1();
	rep.paused = __atomic_load_n(&pool->paused, __ATOMIC_ACQUIRE);
	{
		int nw = rep.workers[0] + rep.workers[1] + rep.workers[2];
		char self[320], lab[340];
		const char *pairs[64];
		struct buf text[32] = {{0}};
		size_t f;

		metrics_set(pool->metrics, &runners_m_workers, "state=\"busy\"", rep.busy);
		metrics_set(pool->metrics, &runners_m_workers, "state=\"idle\"",
		            nw > rep.busy ? nw - rep.busy : 0);
		metrics_set(pool->metrics, &runners_m_rss, "", (double)rep.rss_bytes);
		metrics_label_value(pool->runner, self, sizeof(self));
		snprintf(lab, sizeof(lab), "runner=\"%s\"", self);
		for (f = 0; runners_metric_families[f] != NULL && f < 32; f++) {
			metrics_write_samples(pool->metrics, runners_metric_families[f], lab, &text[f]);
			pairs[2 * rep.nmetrics] = runners_metric_families[f]->name;
			pairs[2 * rep.nmetrics + 1] = buf_cstr(&text[f]);
			rep.nmetrics++;
		}
		rep.metrics = pairs;
		if (runners_publish(pool->ctl, &rep, cfg->runner_liveness_ttl_ms, &err) < 0)
			log_debug("cannot publish the runner's report", "error", LOG_STR(err.msg), NULL);
		while (f > 0)
			free(text[--f].data);
	}
	json_object_put(jobs);
	fb_err_clear(&err);
}

void
worker_beat(struct worker_pool *pool)
{
	const struct fb_config *cfg = worker_pool_cfg(pool);
	struct fb_err err = {0};
	long period = cfg->runner_liveness_ttl_ms / 4;

	pool->next_beat_ms = worker_now_ms() + (period > WORKER_BEAT_MAX_MS ? WORKER_BEAT_MAX_MS : period);
	if (pool->ctl == NULL)
		pool->ctl = queue_open(cfg, &err);
	if (pool->ctl == NULL ||
	    queue_runner_beat(pool->ctl, pool->runner, cfg->runner_liveness_ttl_ms, &err) < 0) {
		if (!pool->beat_failing)
			log_warn("cannot renew the runner's liveness key", "runner", LOG_STR(pool->runner),
			         "error", LOG_STR(err.msg), NULL);
		pool->beat_failing = 1;
	} else {
		if (pool->beat_failing)
			log_info("runner's liveness key renewed again", "runner", LOG_STR(pool->runner),
			         NULL);
		pool->beat_failing = 0;
		report(pool, cfg);
	}
	fb_err_clear(&err);
}

void
worker_touch_busy(struct worker_pool *pool)
{
	const struct fb_config *cfg = worker_pool_cfg(pool);
	struct busy {
		char consumer[300];
		enum queue_prio prio;
		char entry[64];
	} *b;
	struct fb_err err = {0};
	long period = (long)cfg->runner_visibility_timeout * 1000L / 3;
	int i, n = 0;

	pool->next_touch_ms = worker_now_ms() + (period < 300 ? 300 : period);
	pthread_mutex_lock(&pool->mu);
	b = xcalloc((size_t)(pool->nw ? pool->nw : 1), sizeof(*b));
	for (i = 0; i < pool->nw; i++) {
		if (!pool->w[i]->busy)
			continue;
		memcpy(b[n].consumer, pool->w[i]->consumer, sizeof(b[n].consumer));
		b[n].prio = pool->w[i]->busy_prio;
		memcpy(b[n].entry, pool->w[i]->busy_entry, sizeof(b[n].entry));
		n++;
	}
	pthread_mutex_unlock(&pool->mu);
	if (n > 0 && pool->ctl == NULL)
		pool->ctl = queue_open(cfg, &err);
	for (i = 0; i < n && pool->ctl != NULL; i++) {
		int rc = queue_touch(pool->ctl, b[i].consumer, b[i].prio, b[i].entry, &err);

		if (rc < 0) {
			log_warn("cannot extend a job's visibility", "consumer", LOG_STR(b[i].consumer),
			         "entry_id", LOG_STR(b[i].entry), "error", LOG_STR(err.msg), NULL);
			fb_err_clear(&err);
			break;
		}
		if (rc == 0)
			log_warn("a job in hand is no longer this worker's (claimed elsewhere or "
			         "acknowledged); left as it is", "consumer", LOG_STR(b[i].consumer),
			         "entry_id", LOG_STR(b[i].entry), NULL);
	}
	fb_err_clear(&err);
	free(b);
}
