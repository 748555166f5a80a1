/* SPDX-License-Identifier: MIT */
/*
 * crontab_fire: the scheduler's side of crontabs — leadership epochs, firing due rows,
 * and the history rows still to publish.
 *
 * Fencing: a leader takes a new epoch in scheduler_leader when it wins the Redis lock
 * (crontab_leader_take).  crontab_fire_due takes that row FOR SHARE in the transaction
 * that fires: a newer leader's crontab_leader_take waits for it and bumps the epoch, after
 * which an older leader's fire finds the epoch changed and fails with FB_ECONFLICT
 * (nothing written).  So a leader paused past its lock can no longer fire.
 *
 * A due time fires at most once: its history row (UNIQUE crontab and scheduled time),
 * next_run_at and last_state are written in one transaction.  The history row is the
 * outbox: crontab_fire_due returns the pending rows it wrote, the caller publishes each
 * under its job id (cron-<crontab>-<unix seconds>, cron-m<history id> for a run now:
 * publishing twice gives the same job, which job_runs runs once) and has them marked
 * published by the next batch's transaction (or crontab_mark_published after the last);
 * crontab_unpublished lists pending rows still not published (a failure in between, a run
 * now, a released waiting run) or whose entry was lost.
 */
#ifndef FB_CRONTAB_FIRE_H
#define FB_CRONTAB_FIRE_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"

struct json_object;

/* A history row to publish. */
struct crontab_pub {
	int64_t hid;
	char job_id[65];
	char type[65];
	char stream[8];
	struct json_object *args; /* owned: crontab_pubs_free */
};

/* Become the leader of scheduler name: *epoch receives the new epoch. */
int crontab_leader_take(struct db *db, const char *name, const char *holder, int64_t *epoch,
                        struct fb_err *err) FB_MUSTCHECK;
/* One batch of fires: what to do, and what came of it. */
struct crontab_fire {
	double now;  /* the scheduler's clock */
	int limit;   /* most crontabs to handle */
	/* Rows of the previous batch published at published_at (real unix seconds): marked in
	 * this batch's transaction (saves a round trip a batch). */
	const struct crontab_pub *published;
	int npublished;
	double published_at;
	/* Out: crontabs handled, and the pending rows written, to publish now (caller frees
	 * with crontab_pubs_free; NULL after a failure). */
	int fired;
	struct crontab_pub *pubs;
	int npubs;
};

/*
 * Fire up to f->limit crontabs due at f->now under epoch.  FB_ECONFLICT when epoch is no
 * longer current.
 */
int crontab_fire_due(struct db *db, const struct fb_config *cfg, const char *name,
                     int64_t epoch, struct crontab_fire *f, struct fb_err *err) FB_MUSTCHECK;
/*
 * Crontabs whose period is a config key (rule.every_config) follow that key at once: their
 * next_run_at comes no later than the last run plus the current period (or now, when they
 * never ran).  Called by a new leader and after a config reload.
 */
int crontab_apply_config(struct db *db, const struct fb_config *cfg, double now,
                         struct fb_err *err) FB_MUSTCHECK;
/* The earliest next_run_at of an enabled crontab: 1 and *t, 0 when there is none. */
int crontab_earliest(struct db *db, double *t, struct fb_err *err) FB_MUSTCHECK;
/* Up to limit pending rows not yet published, or published more than stale_seconds ago
 * and still not started (the entry was lost), oldest first: *out (caller frees with
 * crontab_pubs_free) and *n. */
int crontab_unpublished(struct db *db, int limit, int stale_seconds, struct crontab_pub **out,
                        int *n, struct fb_err *err) FB_MUSTCHECK;
void crontab_pubs_free(struct crontab_pub *p, int n);
/* Mark the first n rows of p published. */
int crontab_mark_published(struct db *db, const struct crontab_pub *p, int n,
                           struct fb_err *err) FB_MUSTCHECK;
/*
 * Runs (pending or running) older than their crontab's job.timeout become timed_out, and
 * the crontab's last_state says so: a hanging job no longer holds back an overlap=forbid
 * crontab.  The job itself is not stopped.  *n counts them.
 */
int crontab_time_out(struct db *db, long long *n, struct fb_err *err) FB_MUSTCHECK;
/*
 * Move waiting history rows on (see migration 0011): to pending when every upstream
 * succeeded in the row's period, the run it replaces has stopped and its retry backoff has
 * passed; to skipped ("skipped (upstream failed): ...") when an upstream failed, was
 * skipped, timed out or was cancelled in the period, or has no run in it and will not have
 * one (disabled, deleted, or next due after the row's time), or when upstreams are still not
 * done after scheduler.wait_seconds.  A replaced run that has not stopped after that long
 * no longer holds its successor back.  *released and *skipped count the rows moved.
 */
int crontab_release(struct db *db, const struct fb_config *cfg, int *released, int *skipped,
                    struct fb_err *err) FB_MUSTCHECK;

/* ---- the job side of a scheduled run (job ids cron-...) ------------------------------ */

/* 1 when the run of job_id was asked to stop (overlap replace) or already cancelled, 0 when
 * not (also for a job that is no scheduled run), -1 on error. */
int crontab_run_cancelled(struct db *db, const char *job_id, struct fb_err *err) FB_MUSTCHECK;
/* Store text (cut at 4000 bytes) as the run's output in its history row. */
int crontab_run_output(struct db *db, const char *job_id, const char *text,
                       struct fb_err *err) FB_MUSTCHECK;
/* The job.timeout of the crontab whose run job_id is: 1 and *seconds, 0 when none. */
int crontab_run_timeout(struct db *db, const char *job_id, int *seconds,
                        struct fb_err *err) FB_MUSTCHECK;

/* Delete finished history rows older than scheduler.history_days; *deleted counts them. */
int crontab_purge(struct db *db, const struct fb_config *cfg, long long *deleted,
                  struct fb_err *err) FB_MUSTCHECK;

#endif
