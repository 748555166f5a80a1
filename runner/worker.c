/* SPDX-License-Identifier: MIT */
/*
 * worker: the pool of job-running threads (see worker.h): starting and stopping them, and
 * the counts to run, re-read every second from Redis by the control thread (the consumer
 * counts for all runners, those for this runner, which win, and the paused streams, which
 * each worker applies to its queue connection before it takes anything).  What a worker
 * does is worker_loop.c's; the runner's liveness key, report and the heartbeat of the
 * jobs in hand are worker_beat.c's.
 *
 * Memory: the pool owns its workers, every config it was given (kept until
 * worker_pool_free, since a worker may still read an older one) and a control Redis
 * connection used only by the control thread.  Each worker thread owns its own db and
 * queue connections and frees them when it exits.  The worker list and the current config
 * pointer are guarded by the pool's mutex.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "queue.h"
#include "runners.h"
#include "worker.h"
#include "worker_int.h"

#define WORKER_POLL_MS 1000       /* re-read the Redis consumer counts and pauses this often */

long long
worker_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct fb_config *
worker_pool_cfg(struct worker_pool *pool)
{
	const struct fb_config *cfg;

	pthread_mutex_lock(&pool->mu);
	cfg = pool->cfgs->cfg;
	pthread_mutex_unlock(&pool->mu);
	return cfg;
}

void
worker_counts_merge(const struct fb_config *cfg, const int redis[QUEUE_NPRIO],
                    int out[QUEUE_NPRIO])
{
	const int fromcfg[QUEUE_NPRIO] = {cfg->runner_high, cfg->runner_common, cfg->runner_low};
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++) {
		int v = redis != NULL && redis[p] >= 0 ? redis[p] : fromcfg[p];

		if (v < 0)
			v = 0;
		out[p] = v > WORKER_MAX_PER_CLASS ? WORKER_MAX_PER_CLASS : v;
	}
}

/* Start one worker of class cls; called with the mutex held. */
static int
spawn(struct worker_pool *pool, enum queue_prio cls)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	int e;

	w->pool = pool;
	w->cls = cls;
	w->n = pool->next_n++;
	snprintf(w->consumer, sizeof(w->consumer), "%s:%ld:%d", pool->host, pool->pid, w->n);
	if ((e = pthread_create(&w->thread, NULL, worker_thread, w)) != 0) {
		log_error("cannot start a worker thread", "error", LOG_STR(strerror(e)), NULL);
		free(w);
		return -1;
	}
	if (pool->nw == pool->capw) {
		pool->capw = pool->capw ? pool->capw * 2 : 16;
		pool->w = xrealloc(pool->w, (size_t)pool->capw * sizeof(*pool->w));
	}
	pool->w[pool->nw++] = w;
	return 0;
}

/* Grow or shrink each class to want[]; called with the mutex held. */
static void
resize(struct worker_pool *pool, const int want[QUEUE_NPRIO])
{
	int p, i;

	if (pool->stopping)
		return;
	for (p = 0; p < QUEUE_NPRIO; p++) {
		int alive = 0;

		for (i = 0; i < pool->nw; i++)
			if (pool->w[i]->cls == (enum queue_prio)p && !pool->w[i]->stop)
				alive++;
		while (alive < want[p] && spawn(pool, (enum queue_prio)p) == 0)
			alive++;
		while (alive > want[p]) {
			struct worker *top = NULL;

			for (i = 0; i < pool->nw; i++) {
				struct worker *w = pool->w[i];

				if (w->cls == (enum queue_prio)p && !w->stop && (top == NULL || w->n > top->n))
					top = w;
			}
			__atomic_store_n(&top->stop, 1, __ATOMIC_RELEASE);
			alive--;
		}
	}
	if (memcmp(want, pool->last_counts, sizeof(pool->last_counts)) != 0) {
		log_info("worker counts", "high", LOG_INT(want[QUEUE_HIGH]), "common",
		         LOG_INT(want[QUEUE_COMMON]), "low", LOG_INT(want[QUEUE_LOW]), NULL);
		memcpy(pool->last_counts, want, sizeof(pool->last_counts));
	}
}

/* Read the Redis overrides (control connection) and resize to the merged counts. */
static void
apply_counts(struct worker_pool *pool)
{
	const struct fb_config *cfg = worker_pool_cfg(pool);
	struct fb_err err = {0};
	int redis[QUEUE_NPRIO] = {-1, -1, -1}, mine[QUEUE_NPRIO] = {-1, -1, -1};
	int want[QUEUE_NPRIO], p;
	unsigned paused = 0;

	if (pool->ctl == NULL)
		pool->ctl = queue_open(cfg, &err);
	if (pool->ctl == NULL || queue_get_consumers(pool->ctl, redis, &err) < 0 ||
	    runners_get_consumers(pool->ctl, pool->runner, mine, &err) < 0 ||
	    runners_get_paused(pool->ctl, &paused, &err) < 0) {
		log_warn("cannot read consumer counts from Redis", "error", LOG_STR(err.msg), NULL);
		fb_err_clear(&err);
		pool->next_poll_ms = worker_now_ms() + WORKER_POLL_MS;
		/* Running already: keep the counts as they are until Redis answers. */
		if (pool->last_counts[0] >= 0)
			return;
	}
	for (p = 0; p < QUEUE_NPRIO; p++)
		if (mine[p] >= 0)
			redis[p] = mine[p];
	if (paused != __atomic_load_n(&pool->paused, __ATOMIC_ACQUIRE))
		log_info("paused streams", "high", LOG_INT(!!(paused & 1u)), "common",
		         LOG_INT(!!(paused & 2u)), "low", LOG_INT(!!(paused & 4u)), NULL);
	__atomic_store_n(&pool->paused, paused, __ATOMIC_RELEASE);
	worker_counts_merge(cfg, redis, want);
	pthread_mutex_lock(&pool->mu);
	resize(pool, want);
	pthread_mutex_unlock(&pool->mu);
	pool->next_poll_ms = worker_now_ms() + WORKER_POLL_MS;
}

struct worker_pool *
worker_pool_start(struct fb_config *cfg, struct fb_err *err)
{
	struct worker_pool *pool = xcalloc(1, sizeof(*pool));
	int p;

	if (pthread_mutex_init(&pool->mu, NULL) != 0) {
		fb_err_set(err, FB_EINTERNAL, "cannot create a mutex");
		free(pool);
		config_free(cfg);
		return NULL;
	}
	pool->cfgs = xcalloc(1, sizeof(*pool->cfgs));
	pool->cfgs->cfg = cfg;
	if (gethostname(pool->host, sizeof(pool->host) - 1) != 0)
		snprintf(pool->host, sizeof(pool->host), "localhost");
	pool->pid = (long)getpid();
	pool->metrics = metrics_new();
	for (p = 0; runners_metric_families[p] != NULL; p++)
		metrics_declare(pool->metrics, runners_metric_families[p]);
	snprintf(pool->runner, sizeof(pool->runner), "%s:%ld", pool->host, pool->pid);
	for (p = 0; p < QUEUE_NPRIO; p++)
		pool->last_counts[p] = -1;
	{
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(pool->started, sizeof(pool->started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	/* Alive before any consumer of ours exists, so that none is ever taken for dead. */
	worker_beat(pool);
	apply_counts(pool);
	return pool;
}

void
worker_pool_reload(struct worker_pool *pool, struct fb_config *cfg)
{
	struct cfg_node *node = xcalloc(1, sizeof(*node));

	node->cfg = cfg;
	pthread_mutex_lock(&pool->mu);
	node->next = pool->cfgs;
	pool->cfgs = node;
	pthread_mutex_unlock(&pool->mu);
	apply_counts(pool);
}

/* Join and free the workers that have exited. */
static void
reap(struct worker_pool *pool)
{
	int i = 0;

	pthread_mutex_lock(&pool->mu);
	while (i < pool->nw) {
		struct worker *w = pool->w[i];

		if (__atomic_load_n(&w->exited, __ATOMIC_ACQUIRE)) {
			pthread_join(w->thread, NULL);
			free(w);
			pool->w[i] = pool->w[--pool->nw];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&pool->mu);
}

void
worker_pool_tick(struct worker_pool *pool)
{
	if (worker_now_ms() >= pool->next_beat_ms)
		worker_beat(pool);
	reap(pool);
	if (!pool->stopping && worker_now_ms() >= pool->next_poll_ms)
		apply_counts(pool);
	if (worker_now_ms() >= pool->next_touch_ms)
		worker_touch_busy(pool);
}

void
worker_pool_stop(struct worker_pool *pool)
{
	int i;

	pthread_mutex_lock(&pool->mu);
	pool->stopping = 1;
	for (i = 0; i < pool->nw; i++)
		__atomic_store_n(&pool->w[i]->stop, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pool->mu);
}

int
worker_pool_alive(struct worker_pool *pool)
{
	int i, n = 0;

	pthread_mutex_lock(&pool->mu);
	for (i = 0; i < pool->nw; i++)
		if (!__atomic_load_n(&pool->w[i]->exited, __ATOMIC_ACQUIRE))
			n++;
	pthread_mutex_unlock(&pool->mu);
	return n;
}

void
worker_pool_free(struct worker_pool *pool)
{
	struct cfg_node *node, *next;
	int i;

	if (pool == NULL)
		return;
	worker_pool_stop(pool);
	for (i = 0; i < pool->nw; i++) {
		pthread_join(pool->w[i]->thread, NULL);
		free(pool->w[i]);
	}
	free(pool->w);
	/* Every job in hand is settled or left: others may take what is left at once. */
	{
		struct fb_err err = {0};

		if (pool->ctl == NULL)
			pool->ctl = queue_open(pool->cfgs->cfg, &err);
		if (pool->ctl == NULL || queue_runner_gone(pool->ctl, pool->runner, &err) < 0 ||
		    runners_gone(pool->ctl, pool->runner, &err) < 0)
			log_warn("cannot delete the runner's liveness key", "runner",
			         LOG_STR(pool->runner), "error", LOG_STR(err.msg), NULL);
		fb_err_clear(&err);
	}
	queue_close(pool->ctl);
	for (node = pool->cfgs; node != NULL; node = next) {
		next = node->next;
		config_free(node->cfg);
		free(node);
	}
	metrics_free(pool->metrics);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}
