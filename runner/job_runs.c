/* SPDX-License-Identifier: MIT */
/*
 * job_runs: the rows of table job_runs the workers write (see job_runs.h).  The start
 * time is clock_timestamp(), the start itself, so that with the message's enqueued_at it
 * gives the job's wait.
 *
 * Memory: nothing is kept; every result is cleared before a function returns.
 */
#include <stdio.h>

#include "db.h"
#include "job_runs.h"

int
job_runs_start(struct db *db, const struct job_msg *jm, const char *stream,
               const char *consumer, int *attempt, struct fb_err *err)
{
	/* clock_timestamp: the start itself, not the statement's; with enqueued_at, the wait. */
	static const char sql[] =
		"INSERT INTO job_runs (job_id, type, stream, consumer, status, attempt, error,"
		" started, finished, enqueued_at) VALUES ($1, $2, $3, $4, 'running', $5, NULL,"
		" clock_timestamp(), NULL, $6::timestamptz)"
		" ON CONFLICT (job_id) DO UPDATE SET type = EXCLUDED.type, stream = EXCLUDED.stream,"
		" consumer = EXCLUDED.consumer, status = 'running', attempt = job_runs.attempt + 1,"
		" error = NULL, started = clock_timestamp(), finished = NULL,"
		" enqueued_at = EXCLUDED.enqueued_at"
		" WHERE job_runs.status <> 'done' RETURNING attempt";
	char att[16];
	const char *params[6] = {jm->id, jm->type, stream, consumer, att,
	                         jm->enqueued_at[0] != '\0' ? jm->enqueued_at : NULL};
	PGresult *res;
	int rc;

	snprintf(att, sizeof(att), "%d", jm->attempt);
	res = db_query(db, "runner_runs_start", sql, 6, params, err);
	if (res == NULL)
		return -1;
	rc = PQntuples(res) == 1 ? 1 : 0;
	if (rc == 1)
		*attempt = (int)db_ll(res, 0, 0);
	PQclear(res);
	return rc;
}

int
job_runs_done(struct db *db, const char *job_id, struct fb_err *err)
{
	const char *params[1] = {job_id};

	return db_exec(db, "runner_runs_done",
	               "UPDATE job_runs SET status = 'done', error = NULL, finished = now()"
	               " WHERE job_id = $1",
	               1, params, err);
}

int
job_runs_failed(struct db *db, const struct job_msg *jm, const char *stream,
                const char *consumer, const char *error, struct fb_err *err)
{
	static const char sql[] =
		"INSERT INTO job_runs (job_id, type, stream, consumer, status, attempt, error,"
		" started, finished) VALUES ($1, $2, $3, $4, 'failed', $5, $6, now(), now())"
		" ON CONFLICT (job_id) DO UPDATE SET status = 'failed', consumer = EXCLUDED.consumer,"
		" error = EXCLUDED.error, finished = now() WHERE job_runs.status <> 'done'";
	char att[16];
	const char *params[6] = {jm->id, jm->type, stream, consumer, att, error};

	snprintf(att, sizeof(att), "%d", jm->attempt);
	return db_exec(db, "runner_runs_failed", sql, 6, params, err);
}

void
job_runs_note(struct db *db, const char *job_id, const char *error)
{
	const char *params[2] = {job_id, error};
	struct fb_err err = {0};

	if (db_exec(db, "runner_runs_note",
	            "UPDATE job_runs SET error = $2 WHERE job_id = $1 AND status = 'running'", 2,
	            params, &err) < 0)
		fb_err_clear(&err);
}
