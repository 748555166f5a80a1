/* SPDX-License-Identifier: MIT */
/*
 * worker_int: what the worker files share among themselves (worker.c the pool,
 * worker_loop.c the thread each worker runs, worker_beat.c the runner's liveness key,
 * report and the heartbeat of the jobs in hand); other modules use worker.h.
 *
 * Locking: the worker list, the current config and each worker's busy_* fields are
 * guarded by the pool's mutex; stop, exited and paused are atomics.
 */
#ifndef FB_WORKER_INT_H
#define FB_WORKER_INT_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "queue.h"
#include "worker.h"

struct metrics;

struct worker {
	struct worker_pool *pool;
	int n;
	enum queue_prio cls;
	pthread_t thread;
	volatile int stop;   /* asked to stop after the job in hand (also ctx->stopping) */
	volatile int exited; /* the thread function returned: joinable */
	char consumer[300];
	/* The entry in hand, for the control thread's heartbeat; under pool->mu. */
	int busy;
	enum queue_prio busy_prio;
	char busy_entry[64];
	/* The job in hand once parsed, for the runner's report; under pool->mu. */
	char busy_job[65], busy_type[65];
	const char *busy_key; /* "batch_id", "op_id" or NULL: what busy_subject is */
	int64_t busy_subject;
};

struct cfg_node {
	struct fb_config *cfg;
	struct cfg_node *next;
};

struct worker_pool {
	pthread_mutex_t mu;
	struct cfg_node *cfgs;   /* newest first; the head is current */
	struct worker **w;
	int nw, capw;
	int next_n;
	int stopping;
	char host[256];
	long pid;
	char runner[300];        /* "host:pid", this runner's liveness name */
	struct queue *ctl;       /* control connection, control thread only */
	long long next_poll_ms;
	long long next_touch_ms;
	long long next_beat_ms;
	int beat_failing;
	int last_counts[QUEUE_NPRIO];
	unsigned paused;         /* paused streams, atomic: read by the workers */
	struct metrics *metrics; /* runners.h families, published with the report */
	char started[32];        /* RFC 3339 start time, for the report */
};

/* The monotonic clock in ms. */
long long worker_now_ms(void);
/* The current config, borrowed: it lives until worker_pool_free. */
const struct fb_config *worker_pool_cfg(struct worker_pool *pool);

/* The thread function of a worker (worker_loop.c); arg is its struct worker. */
void *worker_thread(void *arg);

/* Renew this runner's liveness key and publish its report (control thread). */
void worker_beat(struct worker_pool *pool);
/*
 * The heartbeat of the jobs in hand: every third of the visibility timeout, reset the idle
 * time of each worker's entry, so that only the entries of dead runners get reclaimed.
 */
void worker_touch_busy(struct worker_pool *pool);

#endif
