/* SPDX-License-Identifier: MIT */
/*
 * overview: counts that the metrics scrape and the dashboard read often, each answered
 * from an index, a small table or Redis, never by reading the batch, push or history
 * tables whole.
 *
 * The backlog ring: the scheduler's leader (one runner at a time) samples the length and
 * the pending entries of each stream every OVERVIEW_BACKLOG_EVERY_MS into the Redis list
 * <prefix>:backlog, newest first, trimmed to OVERVIEW_BACKLOG_KEEP samples (an hour).  A
 * Redis flush loses the chart's history, nothing else.
 */
#ifndef FB_OVERVIEW_H
#define FB_OVERVIEW_H

#include <stdint.h>

#include "db.h"
#include "err.h"
#include "queue.h"

struct json_object;

#define OVERVIEW_BACKLOG_EVERY_MS 5000
#define OVERVIEW_BACKLOG_KEEP 720
#define OVERVIEW_THROUGHPUT_MINUTES 60

struct overview_batches {
	long long init, running; /* batches not yet settled, by status */
};

/* From the partial index batch_task_active_idx (only unsettled batches are in it). */
int overview_active_batches(struct db *db, struct overview_batches *out,
                            struct fb_err *err) FB_MUSTCHECK;

/*
 * Items settled per minute over the last OVERVIEW_THROUGHPUT_MINUTES minutes, this one
 * included, oldest first, zero where nothing was settled: a JSON array (caller
 * json_object_put) of {"t": RFC 3339 minute, "items": n}.  creator 0: everyone's.
 */
int overview_throughput(struct db *db, int64_t creator, struct json_object **out,
                        struct fb_err *err) FB_MUSTCHECK;

/* Delete throughput rows older than two days; *n gets how many. */
int overview_purge(struct db *db, long long *n, struct fb_err *err) FB_MUSTCHECK;

/*
 * Push delivery per platform: a JSON array (caller puts) of {platform_id, name, enabled,
 * delivered_24h, pending, failing, abandoned_24h, rejected_24h, last_delivered}.
 * pending = queued or being sent now; failing = failed, waiting for a retry now.
 */
int overview_push_health(struct db *db, struct json_object **out,
                         struct fb_err *err) FB_MUSTCHECK;

/*
 * Crontab runs that failed or timed out in the last 24 hours: {"count": n, "recent":
 * [{history_id, crontab_id, name, status, finished, error}] (newest first, up to limit)}.
 */
int overview_cron_failures(struct db *db, int limit, struct json_object **out,
                           struct fb_err *err) FB_MUSTCHECK;

/* Add one backlog sample (the leader). */
int overview_backlog_sample(struct queue *q, const struct queue_stats *st,
                            struct fb_err *err) FB_MUSTCHECK;

/*
 * The newest n backlog samples, oldest first: a JSON array (caller puts) of {"t": ms since
 * the epoch, "high": {"length", "pending"}, "common": {...}, "low": {...}}.
 */
int overview_backlog(struct queue *q, int n, struct json_object **out,
                     struct fb_err *err) FB_MUSTCHECK;

#endif
