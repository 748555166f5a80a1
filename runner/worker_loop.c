/* SPDX-License-Identifier: MIT */
/*
 * worker_loop: what one worker thread does.
 *
 * The loop of a worker: claim an entry of a runner that is gone (every second), else one
 * idle past the visibility timeout (every few seconds), else take the next one by
 * priority; parse the job; record it as running in job_runs (a job already 'done' there is
 * only acknowledged: redelivery is harmless); run the handler (not a scheduled run already
 * cancelled: jobs_cancel_requested); record the outcome and acknowledge.  A transient
 * failure (fb_err_transient: PostgreSQL or Redis unreachable for a moment) is retried in
 * hand, with a backoff from 0.2 s doubling to 5 s, and at once when the dependency that
 * was down answers again; after the visibility timeout, or when the runner drains, the
 * entry is left unacknowledged for another worker.  Any other database or Redis failure
 * leaves the entry for redelivery; an entry delivered more than runner.max_deliveries
 * times is dead-lettered (recorded failed, acknowledged).
 *
 * Memory: the thread owns its db and queue connections (opened as needed, closed when it
 * exits) and the entry in hand; what the control thread reads of it (busy_*) is written
 * under the pool's mutex.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "db.h"
#include "deadletter.h"
#include "job_runs.h"
#include "jobs/jobs.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"
#include "runners.h"
#include "worker_int.h"

#define WORKER_RECLAIM_MAX_MS 5000 /* look for abandoned entries at least this often */
#define WORKER_BACKOFF_MAX_MS 5000
#define WORKER_TRANSIENT_PAUSE_MS 1000
#define WORKER_RETRY_FIRST_MS 200  /* in-hand retry of a transient failure: first pause */
#define WORKER_RETRY_MAX_MS 5000
#define WORKER_PROBE_MS 100        /* while a dependency is down, look this often */
#define WORKER_DEAD_SCAN_MS 1000   /* look for entries of runners that are gone */

static int
should_stop(const struct worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

/* Sleep up to ms, waking early when the worker is asked to stop. */
static void
nap(const struct worker *w, long ms)
{
	while (ms > 0 && !should_stop(w)) {
		long slice = ms < 100 ? ms : 100;
		struct timespec ts = {0, slice * 1000000L};

		nanosleep(&ts, NULL);
		ms -= slice;
	}
}

static void
ack(struct worker *w, struct queue *q, const struct queue_msg *m, const char *job_id)
{
	struct fb_err err = {0};

	if (queue_ack(q, m, &err) < 0) {
		log_warn("ack failed; the entry will be redelivered and skipped", "consumer",
		         LOG_STR(w->consumer), "job_id", LOG_STR(job_id), "entry_id",
		         LOG_STR(m->entry_id), "error", LOG_STR(err.msg), NULL);
		fb_err_clear(&err);
	}
}

/* One job's outcome (and the dead letter, when it is one) into the runner's metrics. */
static void
count_job(struct worker *w, const char *type, const char *outcome, int dead)
{
	char t[80], labels[160];

	/* Unknown types come from outside the registry: one label value for all of them. */
	metrics_label_value(jobs_find(type) != NULL ? type : "unknown", t, sizeof(t));
	snprintf(labels, sizeof(labels), "type=\"%s\",outcome=\"%s\"", t, outcome);
	metrics_add(w->pool->metrics, &runners_m_jobs, labels, 1);
	if (dead) {
		snprintf(labels, sizeof(labels), "type=\"%s\"", t);
		metrics_add(w->pool->metrics, &runners_m_dead, labels, 1);
	}
}

/* A failure of PostgreSQL or Redis into the runner's metrics. */
static void
count_dep_error(struct worker *w, const struct fb_err *err)
{
	if (err->code == FB_EDB || err->code == FB_EREDIS)
		metrics_add(w->pool->metrics, &runners_m_dep_errors,
		            err->code == FB_EDB ? "dependency=\"postgresql\"" : "dependency=\"redis\"", 1);
}

/*
 * Seconds since the job was enqueued: its message's enqueued_at (µs, checked by
 * jobs_parse_msg), else its stream entry id ("<ms>-<seq>", Redis's clock).
 */
static double
job_age_s(const struct job_msg *jm, const char *entry_id)
{
	struct timespec ts;
	double then = (double)strtoll(entry_id, NULL, 10) / 1000.0;
	struct tm tm = {0};
	char frac[8] = "";

	if (jm->enqueued_at[0] != '\0' &&
	    sscanf(jm->enqueued_at, "%4d-%2d-%2dT%2d:%2d:%2d.%7[0-9]", &tm.tm_year, &tm.tm_mon,
	           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, frac) >= 6) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		then = (double)timegm(&tm) + (frac[0] ? atof(frac) / pow(10, (double)strlen(frac)) : 0);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - then;
}

/* Say which job is in hand (for the report), with the batch or operation it works on. */
static void
note_job(struct worker *w, const struct job_msg *jm)
{
	static const char *const keys[] = {"batch_id", "op_id"};
	struct json_object *v;
	size_t k;

	pthread_mutex_lock(&w->pool->mu);
	snprintf(w->busy_job, sizeof(w->busy_job), "%s", jm->id);
	snprintf(w->busy_type, sizeof(w->busy_type), "%s", jm->type);
	w->busy_key = NULL;
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (json_object_object_get_ex(jm->args, keys[k], &v) &&
		    json_object_is_type(v, json_type_int)) {
			w->busy_key = keys[k];
			w->busy_subject = json_object_get_int64(v);
			break;
		}
	pthread_mutex_unlock(&w->pool->mu);
}

/* What became of a delivered entry. */
enum handled {
	HANDLED,      /* acknowledged (done, failed for good, or nothing to do) */
	HANDLE_LEFT,  /* left unacknowledged for redelivery; the worker pauses */
	HANDLE_RETRY, /* failed transiently (fb_err_transient): worth running again in hand */
};

/* Handle one delivered entry. */
static enum handled
handle(struct worker *w, struct db *db, struct queue *q, const struct fb_config *cfg,
       const struct queue_msg *m)
{
	const char *stream = queue_prio_name(m->prio);
	const struct job_type *type;
	struct fb_err err = {0};
	struct job_msg jm;
	struct job_ctx ctx;
	long long t0;
	int attempt = 1, rc;
	enum handled ret = HANDLED;

	if (jobs_parse_msg(m->job, strlen(m->job), &jm, &err) < 0) {
		log_error("malformed job message dropped", "consumer", LOG_STR(w->consumer),
		          "stream", LOG_STR(stream), "entry_id", LOG_STR(m->entry_id), "error",
		          LOG_STR(err.msg), NULL);
		fb_err_clear(&err);
		ack(w, q, m, "");
		return 0;
	}
	note_job(w, &jm);
	if (db_check(db, &err) < 0)
		goto transient;
	if (m->deliveries > cfg->runner_max_deliveries) {
		char why[128];

		snprintf(why, sizeof(why), "dead-lettered after %lld deliveries", m->deliveries);
		if (job_runs_failed(db, &jm, stream, w->consumer, why, &err) < 0 ||
		    deadletter_add(db, jm.id, jm.type, stream, jm.args, (int)m->deliveries,
		                   m->deliveries, why, &err) < 0)
			goto transient;
		log_error("job dead-lettered", "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type),
		          "stream", LOG_STR(stream), "entry_id", LOG_STR(m->entry_id), "deliveries",
		          LOG_INT(m->deliveries), NULL);
		count_job(w, jm.type, "dead_lettered", 1);
		ack(w, q, m, jm.id);
		goto out;
	}
	if ((type = jobs_find(jm.type)) == NULL) {
		if (job_runs_failed(db, &jm, stream, w->consumer, "unknown job type", &err) < 0 ||
		    deadletter_add(db, jm.id, jm.type, stream, jm.args, attempt, m->deliveries,
		                   "unknown job type", &err) < 0)
			goto transient;
		log_error("job failed", "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type),
		          "error", LOG_STR("unknown job type"), NULL);
		count_job(w, jm.type, "failed", 1);
		ack(w, q, m, jm.id);
		goto out;
	}
	rc = job_runs_start(db, &jm, stream, w->consumer, &attempt, &err);
	if (rc < 0)
		goto transient;
	if (rc == 0) {
		log_debug("job already done; acknowledged", "job_id", LOG_STR(jm.id), NULL);
		ack(w, q, m, jm.id);
		goto out;
	}
	ctx = (struct job_ctx){.cfg = cfg, .db = db, .q = q, .consumer = w->consumer,
	                       .job_id = jm.id, .attempt = attempt, .stopping = &w->stop,
	                       .metrics = w->pool->metrics};
	{
		char labels[96];

		snprintf(labels, sizeof(labels), "type=\"%s\"", type->name);
		metrics_observe(w->pool->metrics, &runners_m_wait, labels, job_age_s(&jm, m->entry_id));
		t0 = worker_now_ms();
		rc = jobs_cancel_requested(&ctx);
		if (rc == 1) {
			log_info("scheduled run cancelled before it started", "job_id", LOG_STR(jm.id), NULL);
			rc = 0;
		} else {
			rc = type->run(&ctx, jm.args, &err);
		}
		metrics_observe(w->pool->metrics, &runners_m_run, labels,
		                (double)(worker_now_ms() - t0) / 1e3);
	}
	if (rc == 0) {
		if (job_runs_done(db, jm.id, &err) < 0)
			goto transient;
		count_job(w, jm.type, "done", 0);
		log_debug("job done", "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type),
		          "consumer", LOG_STR(w->consumer), "ms", LOG_INT(worker_now_ms() - t0), NULL);
		ack(w, q, m, jm.id);
		goto out;
	}
	if (fb_err_transient(&err)) {
		log_warn("job failed transiently; retrying it here", "job_id", LOG_STR(jm.id),
		         "type", LOG_STR(jm.type), "attempt", LOG_INT(attempt), "error",
		         LOG_STR(err.msg), NULL);
		job_runs_note(db, jm.id, err.msg);
		count_dep_error(w, &err);
		count_job(w, jm.type, "left", 0);
		ret = HANDLE_RETRY;
		goto out;
	}
	if (err.code == FB_EDB || err.code == FB_EREDIS) {
		log_warn("job failed; it will be reclaimed", "job_id", LOG_STR(jm.id), "type",
		         LOG_STR(jm.type), "attempt", LOG_INT(attempt), "error", LOG_STR(err.msg),
		         NULL);
		job_runs_note(db, jm.id, err.msg);
		count_dep_error(w, &err);
		count_job(w, jm.type, "left", 0);
		ret = HANDLE_LEFT;
		goto out;
	}
	log_error("job failed", "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type), "attempt",
	          LOG_INT(attempt), "error", LOG_STR(err.msg), NULL);
	{
		struct fb_err err2 = {0};

		if (job_runs_failed(db, &jm, stream, w->consumer, err.msg, &err2) < 0 ||
		    deadletter_add(db, jm.id, jm.type, stream, jm.args, attempt, m->deliveries,
		                   err.msg, &err2) < 0) {
			fb_err_clear(&err);
			err = err2;
			goto transient;
		}
	}
	count_job(w, jm.type, "failed", 1);
	ack(w, q, m, jm.id);
	goto out;
transient:
	ret = fb_err_transient(&err) ? HANDLE_RETRY : HANDLE_LEFT;
	count_dep_error(w, &err);
	log_warn(ret == HANDLE_RETRY ? "job not started: a dependency failed; retrying it here"
	                             : "job left for redelivery",
	         "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type), "consumer",
	         LOG_STR(w->consumer), "error", LOG_STR(err.msg), NULL);
out:
	fb_err_clear(&err);
	job_msg_clear(&jm);
	return ret;
}

/* PostgreSQL and Redis both answer (reconnecting as needed). */
static int
deps_answer(struct db *db, struct queue *q)
{
	struct fb_err err = {0};
	int ok = db_check(db, &err) == 0 && queue_ping(q, &err) == 0;

	fb_err_clear(&err);
	return ok;
}

/*
 * Wait before running again a job that failed transiently: pause ms, or less as soon as a
 * dependency that was down answers again.  0 when the worker must stop or deadline passed.
 */
static int
wait_to_retry(struct worker *w, struct db *db, struct queue *q, long pause, long long deadline)
{
	long long until = worker_now_ms() + pause;
	int down = 0;

	for (;;) {
		int ok;

		if (should_stop(w) || worker_now_ms() >= deadline)
			return 0;
		ok = deps_answer(db, q);
		if (!ok)
			down = 1;
		else if (down || worker_now_ms() >= until)
			return 1;
		nap(w, WORKER_PROBE_MS);
	}
}

/*
 * Run a job that failed transiently again, in hand, until it is settled.  The entry stays
 * this worker's meanwhile (the control thread renews it); after the visibility timeout, or
 * when the runner drains, it is left for another worker.
 */
static enum handled
retry_in_hand(struct worker *w, struct db *db, struct queue *q, const struct fb_config *cfg,
              const struct queue_msg *m)
{
	long long t0 = worker_now_ms();
	long long deadline = t0 + (long long)cfg->runner_visibility_timeout * 1000;
	long pause = WORKER_RETRY_FIRST_MS;
	enum handled h = HANDLE_RETRY;
	int runs = 1;

	while (h == HANDLE_RETRY && wait_to_retry(w, db, q, pause, deadline)) {
		runs++;
		h = handle(w, db, q, cfg, m);
		pause = pause * 2 > WORKER_RETRY_MAX_MS ? WORKER_RETRY_MAX_MS : pause * 2;
	}
	if (h == HANDLE_RETRY) {
		log_warn("job still failing transiently; left for another worker", "consumer",
		         LOG_STR(w->consumer), "entry_id", LOG_STR(m->entry_id), "runs", LOG_INT(runs),
		         NULL);
		return HANDLE_LEFT;
	}
	log_info("job settled after a transient failure", "consumer", LOG_STR(w->consumer),
	         "entry_id", LOG_STR(m->entry_id), "runs", LOG_INT(runs), "ms",
	         LOG_INT(worker_now_ms() - t0), NULL);
	return h;
}

void *
worker_thread(void *arg)
{
	struct worker *w = arg;
	struct db *db = NULL;
	struct queue *q = NULL;
	long long next_reclaim = 0, next_dead_scan = 0;
	long backoff = 0;
	int failing = 0;

	log_info("worker started", "consumer", LOG_STR(w->consumer), "lowest",
	         LOG_STR(queue_prio_name(w->cls)), NULL);
	while (!should_stop(w)) {
		const struct fb_config *cfg = worker_pool_cfg(w->pool);
		struct fb_err err = {0};
		struct queue_msg m;
		enum handled h;
		int r = 0;

		if (db == NULL)
			db = db_open(cfg->db_conninfo, &err);
		if (db != NULL && q == NULL)
			q = queue_open(cfg, &err);
		if (db != NULL && q != NULL) {
			long long now = worker_now_ms();

			queue_set_paused(q, __atomic_load_n(&w->pool->paused, __ATOMIC_ACQUIRE));

			if (now >= next_dead_scan) {
				next_dead_scan = now + WORKER_DEAD_SCAN_MS;
				r = queue_reclaim_dead(q, w->consumer, w->pool->runner, w->cls,
				                       cfg->runner_liveness_ttl_ms, &m, &err);
				if (r == 1)
					metrics_add(w->pool->metrics, &runners_m_reclaims,
					            "kind=\"dead_runner\"", 1);
			}
			if (r == 0 && now >= next_reclaim) {
				long vis_ms = (long)cfg->runner_visibility_timeout * 1000L;
				long period = vis_ms / 2;

				r = queue_reclaim(q, w->consumer, w->cls, vis_ms, &m, &err);
				if (r == 0) {
					if (period > WORKER_RECLAIM_MAX_MS)
						period = WORKER_RECLAIM_MAX_MS;
					next_reclaim = now + (period < 200 ? 200 : period);
				} else if (r == 1) {
					metrics_add(w->pool->metrics, &runners_m_reclaims, "kind=\"idle\"", 1);
					log_info("reclaimed an abandoned job", "consumer",
					         LOG_STR(w->consumer), "entry_id", LOG_STR(m.entry_id),
					         "deliveries", LOG_INT(m.deliveries), NULL);
				}
			}
			if (r == 0)
				r = queue_take(q, w->consumer, w->cls, cfg->runner_block_ms, &m, &err);
		} else {
			r = -1;
		}
		if (r < 0) {
			if (!failing)
				log_warn("worker cannot reach PostgreSQL or Redis; retrying", "consumer",
				         LOG_STR(w->consumer), "error", LOG_STR(err.msg), NULL);
			failing = 1;
			fb_err_clear(&err);
			backoff = backoff == 0 ? 100 : backoff * 2;
			if (backoff > WORKER_BACKOFF_MAX_MS)
				backoff = WORKER_BACKOFF_MAX_MS;
			nap(w, backoff);
			continue;
		}
		if (failing)
			log_info("worker connected again", "consumer", LOG_STR(w->consumer), NULL);
		failing = 0;
		backoff = 0;
		if (r == 0)
			continue;
		pthread_mutex_lock(&w->pool->mu);
		w->busy = 1;
		w->busy_prio = m.prio;
		snprintf(w->busy_entry, sizeof(w->busy_entry), "%s", m.entry_id);
		pthread_mutex_unlock(&w->pool->mu);
		h = handle(w, db, q, cfg, &m);
		if (h == HANDLE_RETRY)
			h = retry_in_hand(w, db, q, cfg, &m);
		pthread_mutex_lock(&w->pool->mu);
		w->busy = 0;
		w->busy_job[0] = '\0';
		pthread_mutex_unlock(&w->pool->mu);
		if (h != HANDLED)
			nap(w, WORKER_TRANSIENT_PAUSE_MS);
		queue_msg_clear(&m);
	}
	queue_close(q);
	db_close(db);
	log_info("worker stopped", "consumer", LOG_STR(w->consumer), NULL);
	__atomic_store_n(&w->exited, 1, __ATOMIC_RELEASE);
	return NULL;
}
