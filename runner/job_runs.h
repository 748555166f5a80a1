/* SPDX-License-Identifier: MIT */
/*
 * job_runs: the runner's record of each job it runs (table job_runs, one row per job id):
 * running with its attempt, done, or failed with the error.  A job already done stays
 * done, so that a redelivered entry is only acknowledged.
 */
#ifndef FB_JOB_RUNS_H
#define FB_JOB_RUNS_H

#include "db.h"
#include "err.h"
#include "jobs/jobs.h"

/*
 * Record the start of a run of jm, taken from stream by consumer.  Returns 1 with *attempt
 * set when the job should run, 0 when job_runs already says it is done, -1 on a database
 * error.
 */
int job_runs_start(struct db *db, const struct job_msg *jm, const char *stream,
                   const char *consumer, int *attempt, struct fb_err *err) FB_MUSTCHECK;
/* The job ran to its end. */
int job_runs_done(struct db *db, const char *job_id, struct fb_err *err) FB_MUSTCHECK;
/*
 * Record a final failure (also for jobs that never ran: unknown type, dead-lettered).
 * A job already done stays done.
 */
int job_runs_failed(struct db *db, const struct job_msg *jm, const char *stream,
                    const char *consumer, const char *error, struct fb_err *err) FB_MUSTCHECK;
/* Note a transient error on a running job, best effort (the database may be the cause). */
void job_runs_note(struct db *db, const char *job_id, const char *error);

#endif
