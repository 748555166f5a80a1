/* SPDX-License-Identifier: MIT */
/*
 * schedule: the scheduler thread (see schedule.h).  The thread owns its PostgreSQL
 * connection (on which it LISTENs while leader) and its Redis connection, both opened on
 * first use and reopened after errors.  The current config pointer and the stop flag are
 * shared with the main thread under the mutex.
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "crontab.h"
#include "crontab_fire.h"
#include "db.h"
#include "log.h"
#include "mem.h"
#include "overview.h"
#include "queue.h"
#include "schedule.h"

#define SCHED_LOCK "scheduler"
#define SCHED_FIRE_BATCH 500     /* crontabs fired per transaction */
#define SCHED_PUBLISH_BATCH 200
#define SCHED_FOLLOWER_MS 1000   /* a follower tries the lock this often */
#define SCHED_MAX_SLEEP_MS 1000  /* a leader looks again at least this often */
#define SCHED_SLICE_MS 200       /* the stop flag is seen within this */
#define SCHED_TIMEOUT_MS 1000    /* look for runs past their timeout this often */

struct schedule {
	pthread_mutex_t mu;
	const struct fb_config *cfg; /* current; under mu */
	int stop;                    /* under mu */
	int started;
	pthread_t thread;
	/* The thread's own state. */
	struct db *db;
	struct queue *q;
	int leader;
	int64_t epoch;
	char token[33];
	char holder[300];
	long long renew_ms, valid_ms;
	long long timeout_ms;         /* next look for runs past their timeout */
	long long backlog_ms;         /* next backlog sample */
	int listen_pid;
	const struct fb_config *applied; /* the config crontab_apply_config last saw */
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct fb_config *
current(struct schedule *s, int *stop)
{
	const struct fb_config *cfg;

	pthread_mutex_lock(&s->mu);
	cfg = s->cfg;
	*stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return cfg;
}

/* Wait up to ms for a notification (leader) or just time, in slices that see the stop flag. */
static void
wait_for(struct schedule *s, long long ms)
{
	long long until = mono_ms() + ms;
	int stop;

	for (;;) {
		long long left = until - mono_ms();
		struct pollfd pfd = {.fd = -1, .events = POLLIN};

		current(s, &stop);
		if (stop || left <= 0)
			return;
		if (left > SCHED_SLICE_MS)
			left = SCHED_SLICE_MS;
		if (s->leader && s->db != NULL && PQstatus(db_pg(s->db)) == CONNECTION_OK)
			pfd.fd = PQsocket(db_pg(s->db));
		if (pfd.fd < 0) {
			struct timespec ts = {0, (long)left * 1000000L};

			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&pfd, 1, (int)left) > 0) {
			PGnotify *n;
			int got = 0;

			/* A closed connection reads as ready: the next round reconnects. */
			if (!PQconsumeInput(db_pg(s->db)))
				return;
			while ((n = PQnotifies(db_pg(s->db))) != NULL) {
				PQfreemem(n);
				got = 1;
			}
			if (got)
				return;
		}
	}
}

static void
drop_leadership(struct schedule *s, const char *why)
{
	struct fb_err err = {0};

	if (!s->leader)
		return;
	s->leader = 0;
	log_warn("scheduler: no longer the leader", "why", LOG_STR(why), "epoch",
	         LOG_INT(s->epoch), NULL);
	/* Compare-and-delete: gone already when another runner holds it. */
	if (s->q != NULL && queue_unlock(s->q, SCHED_LOCK, s->token, NULL) < 0)
		log_debug("scheduler: unlock failed", NULL);
	if (s->db != NULL && db_exec(s->db, NULL, "UNLISTEN crontab_changed", 0, NULL, &err) < 0)
		fb_err_clear(&err);
	s->listen_pid = 0;
}

/* Take or keep the lock; 1 when this runner leads now. */
static int
lead(struct schedule *s, const struct fb_config *cfg)
{
	struct fb_err err = {0};
	long long now = mono_ms();
	int got;

	if (!s->leader) {
		got = queue_lock(s->q, SCHED_LOCK, cfg->scheduler_lock_ttl_ms, s->token, &err);
		if (got <= 0)
			goto out;
		if (crontab_leader_take(s->db, cfg->redis_prefix, s->holder, &s->epoch, &err) < 0) {
			if (queue_unlock(s->q, SCHED_LOCK, s->token, NULL) < 0)
				log_debug("scheduler: unlock failed", NULL);
			goto out;
		}
		s->leader = 1;
		s->applied = NULL;
		s->renew_ms = now + cfg->scheduler_lock_ttl_ms / 3;
		s->valid_ms = now + cfg->scheduler_lock_ttl_ms - 200;
		log_info("scheduler: leader", "holder", LOG_STR(s->holder), "epoch",
		         LOG_INT(s->epoch), NULL);
	} else if (now >= s->renew_ms) {
		got = queue_lock_extend(s->q, SCHED_LOCK, s->token, cfg->scheduler_lock_ttl_ms, &err);
		if (got == 1) {
			s->renew_ms = now + cfg->scheduler_lock_ttl_ms / 3;
			s->valid_ms = now + cfg->scheduler_lock_ttl_ms - 200;
		} else if (got == 0) {
			drop_leadership(s, "the lock is held by another runner");
		} else {
			s->renew_ms = now + 200;
			if (now >= s->valid_ms)
				drop_leadership(s, "cannot renew the lock");
		}
	}
out:
	if (err.code != FB_OK) {
		log_warn("scheduler: leadership", "error", LOG_STR(err.msg), NULL);
		fb_err_clear(&err);
	}
	return s->leader;
}

/* XADD the jobs of p[0..n) in one pipeline. */
static int
publish_rows(struct schedule *s, const struct crontab_pub *p, int n, struct fb_err *err)
{
	struct queue_job *jobs = xcalloc((size_t)n + 1, sizeof(*jobs));
	int i, rc;

	for (i = 0; i < n; i++) {
		jobs[i].prio = QUEUE_COMMON;
		if (queue_prio_parse(p[i].stream, &jobs[i].prio) < 0)
			jobs[i].prio = QUEUE_COMMON;
		jobs[i].type = p[i].type;
		jobs[i].args = p[i].args;
		jobs[i].id = p[i].job_id;
	}
	rc = queue_publish_many(s->q, jobs, n, err);
	free(jobs);
	return rc;
}

static double
real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Publish pending history rows not yet published, or whose entry was lost. */
static void
publish(struct schedule *s, const struct fb_config *cfg)
{
	struct crontab_pub *p = NULL;
	struct fb_err err = {0};
	int n = 0;

	do {
		if (crontab_unpublished(s->db, SCHED_PUBLISH_BATCH, cfg->runner_visibility_timeout, &p,
		                        &n, &err) < 0)
			goto fail;
		if (publish_rows(s, p, n, &err) < 0 || crontab_mark_published(s->db, p, n, &err) < 0) {
			crontab_pubs_free(p, n);
			goto fail;
		}
		log_debug("scheduler: published", "jobs", LOG_INT(n), NULL);
		crontab_pubs_free(p, n);
	} while (n == SCHED_PUBLISH_BATCH);
	return;
fail:
	log_warn("scheduler: publish failed; retrying", "error", LOG_STR(err.msg), NULL);
	fb_err_clear(&err);
}

/*
 * The dashboard's backlog chart: one sample of the streams into the ring (overview.h).
 * The leader writes it so that there is one writer whatever the number of runners; a
 * failure only costs a point of the chart.
 */
static void
sample_backlog(struct schedule *s)
{
	struct queue_stats st;
	struct fb_err err = {0};

	if (queue_stats(s->q, &st, &err) < 0 || overview_backlog_sample(s->q, &st, &err) < 0)
		log_debug("scheduler: backlog sample failed", "error", LOG_STR(err.msg), NULL);
	fb_err_clear(&err);
}

/* One round as leader: fire, publish, and how long to sleep (ms). */
static long long
round_leader(struct schedule *s, const struct fb_config *cfg)
{
	struct fb_err err = {0};
	long long sleep_ms = SCHED_MAX_SLEEP_MS;
	struct crontab_pub *prev = NULL;
	double next, now, prev_at = 0;
	int fired, has, nprev = 0, rc_mark;

	if (s->applied != cfg) {
		if (crontab_apply_config(s->db, cfg, crontab_now(cfg), &err) < 0)
			goto fail;
		s->applied = cfg;
	}
	if (s->listen_pid != PQbackendPID(db_pg(s->db))) {
		if (db_exec(s->db, NULL, "LISTEN crontab_changed", 0, NULL, &err) < 0)
			goto fail;
		s->listen_pid = PQbackendPID(db_pg(s->db));
	}
	/*
	 * Each batch goes out (XADD of the rows the fire returned) before the next is fired, and
	 * is marked published in the next batch's transaction.  Rows left unpublished by a
	 * failure are found by publish() below or by the next round.
	 */
	do {
		struct crontab_fire f = {.now = crontab_now(cfg), .limit = SCHED_FIRE_BATCH,
		                         .published = prev, .npublished = nprev,
		                         .published_at = prev_at};
		int rc = crontab_fire_due(s->db, cfg, cfg->redis_prefix, s->epoch, &f, &err);

		crontab_pubs_free(prev, nprev);
		prev = NULL;
		nprev = 0;
		if (rc < 0) {
			if (err.code == FB_ECONFLICT) {
				drop_leadership(s, err.msg);
				fb_err_clear(&err);
				return SCHED_FOLLOWER_MS;
			}
			goto fail;
		}
		fired = f.fired;
		if (f.npubs > 0 && publish_rows(s, f.pubs, f.npubs, &err) < 0) {
			crontab_pubs_free(f.pubs, f.npubs);
			goto fail;
		}
		prev = f.pubs;
		nprev = f.npubs;
		prev_at = real_now();
	} while (fired == SCHED_FIRE_BATCH);
	rc_mark = crontab_mark_published(s->db, prev, nprev, &err);
	crontab_pubs_free(prev, nprev);
	prev = NULL;
	nprev = 0;
	if (rc_mark < 0)
		goto fail;
	publish(s, cfg);
	{
		int released = 0, skipped = 0;

		if (crontab_release(s->db, cfg, &released, &skipped, &err) < 0)
			goto fail;
		if (released > 0)
			publish(s, cfg);
		if (released + skipped > 0)
			log_info("scheduler: waiting runs moved on", "released", LOG_INT(released),
			         "skipped", LOG_INT(skipped), NULL);
	}
	if (mono_ms() >= s->timeout_ms) {
		long long n = 0;

		s->timeout_ms = mono_ms() + SCHED_TIMEOUT_MS;
		if (crontab_time_out(s->db, &n, &err) < 0)
			goto fail;
		if (n > 0)
			log_warn("scheduler: runs timed out", "runs", LOG_INT(n), NULL);
	}
	if (mono_ms() >= s->backlog_ms) {
		s->backlog_ms = mono_ms() + OVERVIEW_BACKLOG_EVERY_MS;
		sample_backlog(s);
	}
	if ((has = crontab_earliest(s->db, &next, &err)) < 0)
		goto fail;
	now = crontab_now(cfg);
	if (has) {
		double ms = (next - now) * 1000.0 / (cfg->scheduler_clock_speed > 1 &&
		                                     cfg->scheduler_clock_base > 0
		                                             ? cfg->scheduler_clock_speed
		                                             : 1);

		sleep_ms = ms <= 0 ? 0 : (long long)ceil(ms);
	}
	if (sleep_ms > SCHED_MAX_SLEEP_MS)
		sleep_ms = SCHED_MAX_SLEEP_MS;
	if (sleep_ms > s->renew_ms - mono_ms())
		sleep_ms = s->renew_ms - mono_ms();
	return sleep_ms < 0 ? 0 : sleep_ms;
fail:
	log_warn("scheduler: round failed", "error", LOG_STR(err.msg), NULL);
	fb_err_clear(&err);
	return SCHED_FOLLOWER_MS / 4;
}

static void *
run(void *arg)
{
	struct schedule *s = arg;
	struct fb_err err = {0};
	char host[256] = "";
	int stop;

	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(s->holder, sizeof(s->holder), "%s:%ld", host, (long)getpid());
	for (;;) {
		const struct fb_config *cfg = current(s, &stop);
		long long ms = SCHED_FOLLOWER_MS;

		if (stop)
			break;
		if (s->db == NULL && (s->db = db_open(cfg->db_conninfo, &err)) == NULL)
			goto fail;
		if (s->q == NULL && (s->q = queue_open(cfg, &err)) == NULL)
			goto fail;
		if (db_check(s->db, &err) < 0)
			goto fail;
		if (lead(s, cfg))
			ms = round_leader(s, cfg);
		wait_for(s, ms);
		continue;
	fail:
		log_warn("scheduler: not ready", "error", LOG_STR(err.msg), NULL);
		fb_err_clear(&err);
		wait_for(s, SCHED_FOLLOWER_MS);
	}
	if (s->leader && s->q != NULL && queue_unlock(s->q, SCHED_LOCK, s->token, NULL) < 0)
		log_debug("scheduler: unlock failed", NULL);
	return NULL;
}

struct schedule *
schedule_new(void)
{
	struct schedule *s = xcalloc(1, sizeof(struct schedule));

	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void
schedule_tick(struct schedule *s, const struct fb_config *cfg)
{
	pthread_mutex_lock(&s->mu);
	s->cfg = cfg;
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		return;
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		log_error("cannot start the scheduler thread", NULL);
		return;
	}
	s->started = 1;
}

void
schedule_free(struct schedule *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	db_close(s->db);
	queue_close(s->q);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
