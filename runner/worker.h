/* SPDX-License-Identifier: MIT */
/*
 * worker: the runner's pool of worker threads.
 *
 * Per stream class (high, common, low) a number of threads; a worker of class S takes jobs
 * from high down to S, so high work can use every worker and low work only the low ones.
 * Each thread owns one PostgreSQL and one Redis connection and the consumer name
 * "host:pid:n".  Counts come from the config, overridden by the Redis hash
 * <prefix>:consumers; the pool grows by starting threads and shrinks by asking the
 * highest-numbered workers to stop after their current job.
 *
 * All worker_pool_* functions are called from one control thread (main); worker threads
 * must be started with the termination signals blocked (main blocks them first).
 */
#ifndef FB_WORKER_H
#define FB_WORKER_H

#include "config.h"
#include "err.h"
#include "queue.h"

struct worker_pool;

/* Most workers per class. */
#define WORKER_MAX_PER_CLASS 64

/*
 * Start the workers cfg asks for (after the Redis overrides, when Redis answers).  cfg is
 * owned by the pool from now on.  Free with worker_pool_free().
 */
struct worker_pool *worker_pool_start(struct fb_config *cfg, struct fb_err *err) FB_MUSTCHECK;
/*
 * Take a re-read config (owned by the pool from now on; earlier ones stay alive until
 * worker_pool_free because workers may still be reading them), re-read the Redis counts
 * and resize.  Connection settings ([db], [redis]) apply to new workers only.
 */
void worker_pool_reload(struct worker_pool *pool, struct fb_config *cfg);
/* Housekeeping, about once a second: join workers that exited; every few seconds re-read
 * the Redis counts and resize. */
void worker_pool_tick(struct worker_pool *pool);
/* Ask every worker to finish the job in hand, acknowledge it and exit. */
void worker_pool_stop(struct worker_pool *pool);
/* Worker threads not yet exited. */
int worker_pool_alive(struct worker_pool *pool);
/* Join every worker (after worker_pool_stop) and free the pool and its configs. */
void worker_pool_free(struct worker_pool *pool);

/* The counts to run: a Redis value (>= 0) overrides the config's, capped at the maximum. */
void worker_counts_merge(const struct fb_config *cfg, const int redis[QUEUE_NPRIO],
                         int out[QUEUE_NPRIO]);

#endif
