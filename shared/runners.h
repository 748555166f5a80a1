/* SPDX-License-Identifier: MIT */
/*
 * runners: the registry of runners in Redis, and the run-time settings they watch.
 *
 * Beside its liveness key (queue_runner_beat), every runner keeps a hash
 * <prefix>:runnerinfo:<host:pid> with what it is doing (host, pid, version, start time,
 * workers per class, jobs in hand, RSS, load, paused streams) and its metrics, rewritten
 * every second with a TTL of RUNNERS_INFO_TTL_FACTOR liveness TTLs: a runner whose
 * liveness key is gone but whose hash remains is listed as stale for a while, then
 * disappears.  A clean exit deletes both.  The set <prefix>:runners indexes the reports
 * (readers prune the names whose report expired).
 *
 * Settings the runners re-read every second: the consumer counts for all runners
 * (<prefix>:consumers, queue_get_consumers) and for one runner
 * (<prefix>:consumers:<host:pid>, which wins), and the paused streams (the set
 * <prefix>:paused of stream names).
 *
 * Nothing here owns memory past a call except what the caller is told to free.
 */
#ifndef FB_RUNNERS_H
#define FB_RUNNERS_H

#include "err.h"
#include "queue.h"

struct json_object;

#define RUNNERS_INFO_TTL_FACTOR 12
/* Most workers per class that may be asked for (the runner's WORKER_MAX_PER_CLASS). */
#define RUNNERS_MAX_PER_CLASS 64

/*
 * The metric families every runner publishes in its report (each series labelled with
 * runner="host:pid" first), in the order a scrape writes them; NULL-terminated.
 */
struct metric_def;
extern const struct metric_def runners_m_items;      /* {type,outcome} counter */
extern const struct metric_def runners_m_jobs;       /* {type,outcome} counter */
extern const struct metric_def runners_m_wait;       /* {type} histogram, seconds */
extern const struct metric_def runners_m_run;        /* {type} histogram, seconds */
extern const struct metric_def runners_m_reclaims;   /* {kind} counter */
extern const struct metric_def runners_m_dead;       /* {type} counter */
extern const struct metric_def runners_m_dep_errors; /* {dependency} counter */
extern const struct metric_def runners_m_workers;    /* {state} gauge */
extern const struct metric_def runners_m_rss;        /* gauge, bytes */
extern const struct metric_def *const runners_metric_families[];

/* What a runner says about itself. */
struct runner_report {
	const char *runner;   /* "host:pid" */
	const char *host;
	long pid;
	const char *version;
	const char *started;  /* RFC 3339 */
	int workers[QUEUE_NPRIO]; /* running workers per class */
	int busy;             /* workers with a job in hand */
	long long rss_bytes;
	double load1;
	unsigned paused;      /* the paused streams this runner obeys, (1 << prio) */
	/* The jobs in hand, a JSON array of {job_id, type, stream, batch_id|op_id}; borrowed. */
	const char *jobs;
	/* Metric samples: nmetrics pairs of (family name, its sample lines with the runner
	 * label); borrowed. */
	const char *const *metrics;
	size_t nmetrics;
};

/* Write the report with a TTL of ttl_ms * RUNNERS_INFO_TTL_FACTOR (replacing the last). */
int runners_publish(struct queue *q, const struct runner_report *rep, long ttl_ms,
                    struct fb_err *err) FB_MUSTCHECK;
/* Delete a runner's report (clean exit). */
int runners_gone(struct queue *q, const char *runner, struct fb_err *err) FB_MUSTCHECK;

/*
 * Every runner with a report: a JSON array (caller json_object_put) of {runner, host, pid,
 * version, started, last_seen, state: "live"|"stale", workers:{high,common,low}, busy,
 * idle, jobs_in_hand, jobs:[{job_id, type, stream, batch_id|op_id}], rss_bytes, load1,
 * paused:[...], consumers_override:{...}|null},
 * sorted by runner.
 */
struct json_object *runners_list(struct queue *q, struct fb_err *err) FB_MUSTCHECK;

/* Called for each runner's sample lines of each family by runners_each_metrics. */
typedef void (*runners_metric_fn)(void *arg, const char *runner, const char *family,
                                  const char *lines);
int runners_each_metrics(struct queue *q, runners_metric_fn fn, void *arg,
                         struct fb_err *err) FB_MUSTCHECK;

/* The consumer counts of one runner (-1 where unset); runner NULL: those for all. */
int runners_get_consumers(struct queue *q, const char *runner, int counts[QUEUE_NPRIO],
                          struct fb_err *err) FB_MUSTCHECK;
/* Set them (-1 clears a class); runner NULL: those for all. */
int runners_set_consumers(struct queue *q, const char *runner, const int counts[QUEUE_NPRIO],
                          struct fb_err *err) FB_MUSTCHECK;
/* 1 when runner has a report (live or stale), 0 when not. */
int runners_known(struct queue *q, const char *runner, struct fb_err *err) FB_MUSTCHECK;

/* The paused streams as a mask of (1 << prio). */
int runners_get_paused(struct queue *q, unsigned *mask, struct fb_err *err) FB_MUSTCHECK;
int runners_set_paused(struct queue *q, enum queue_prio prio, int paused,
                       struct fb_err *err) FB_MUSTCHECK;

/* This process's resident set size in bytes (0 when unknown) and 1-minute load. */
long long runners_self_rss(void);
double runners_load1(void);

#endif
