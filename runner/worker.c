/* SPDX-License-Identifier: MIT */
/*
 * worker: the pool of job-running threads and the job loop each of them runs.
 *
 * The loop of a worker: claim an entry of a runner that is gone (every second), else one
 * idle past the visibility timeout (every few seconds), else take the next one by
 * priority; parse the job; record it as running in job_runs (a job already 'done' there is
 * only acknowledged: redelivery is harmless); run the handler (not a scheduled run already
 * cancelled: jobs_cancel_requested); record the outcome and acknowledge.  A transient failure (fb_err_transient: PostgreSQL or Redis unreachable for
 * a moment) is retried in hand, with a backoff from 0.2 s doubling to 5 s, and at once when
 * the dependency that was down answers again; after the visibility timeout, or when the
 * runner drains, the entry is left unacknowledged for another worker.  Any other database
 * or Redis failure leaves the entry for redelivery; an entry delivered more than
 * runner.max_deliveries times is dead-lettered (recorded failed, acknowledged).
 *
 * Liveness: the control thread renews this runner's key (queue_runner_beat) every second,
 * before the first worker starts and until the last one has exited, and deletes it at a
 * clean exit, so that the workers of other runners take over what this one leaves.  With
 * it goes the runner's report (runners_publish: workers, jobs in hand, RSS, load).
 *
 * Run-time settings (every second, control thread): the consumer counts for all runners,
 * those for this runner (which win), and the paused streams, which each worker applies to
 * its queue connection before it takes anything.
 *
 * Memory: the pool owns its workers, every config it was given (kept until
 * worker_pool_free, since a worker may still read an older one) and a control Redis
 * connection used only by the control thread.  Each worker thread owns its own db and
 * queue connections and frees them when it exits.  The worker list and the current config
 * pointer are guarded by the pool's mutex.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "db.h"
#include "deadletter.h"
#include "jobs/jobs.h"
#include "jsonh.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "queue.h"
#include "runners.h"
#include "worker.h"

#define WORKER_POLL_MS 1000       /* re-read the Redis consumer counts and pauses this often */
#define WORKER_RECLAIM_MAX_MS 5000 /* look for abandoned entries at least this often */
#define WORKER_BACKOFF_MAX_MS 5000
#define WORKER_TRANSIENT_PAUSE_MS 1000
#define WORKER_RETRY_FIRST_MS 200  /* in-hand retry of a transient failure: first pause */
#define WORKER_RETRY_MAX_MS 5000
#define WORKER_PROBE_MS 100        /* while a dependency is down, look this often */
#define WORKER_DEAD_SCAN_MS 1000   /* look for entries of runners that are gone */
#define WORKER_BEAT_MAX_MS 1000    /* renew the liveness key at least this often */

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

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* The current config, borrowed: it lives until worker_pool_free. */
static const struct fb_config *
pool_cfg(struct worker_pool *pool)
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

/* ---- job_runs ---------------------------------------------------------------------- */

/*
 * Record the start of a run.  Returns 1 with *attempt set when the job should run, 0 when
 * job_runs already says it is done, -1 on a database error.
 */
static int
runs_start(struct db *db, const struct job_msg *jm, const char *stream, const char *consumer,
           int *attempt, struct fb_err *err)
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

static int
runs_done(struct db *db, const char *job_id, struct fb_err *err)
{
	const char *params[1] = {job_id};

	return db_exec(db, "runner_runs_done",
	               "UPDATE job_runs SET status = 'done', error = NULL, finished = now()"
	               " WHERE job_id = $1",
	               1, params, err);
}

/*
 * Record a final failure (also for jobs that never ran: unknown type, dead-lettered).
 * A job already done stays done.
 */
static int
runs_failed(struct db *db, const struct job_msg *jm, const char *stream, const char *consumer,
            const char *error, struct fb_err *err)
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

/* Note a transient error on a running job, best effort (the database may be the cause). */
static void
runs_note(struct db *db, const char *job_id, const char *error)
{
	const char *params[2] = {job_id, error};
	struct fb_err err = {0};

	if (db_exec(db, "runner_runs_note",
	            "UPDATE job_runs SET error = $2 WHERE job_id = $1 AND status = 'running'", 2,
	            params, &err) < 0)
		fb_err_clear(&err);
}

/* ---- one job ------------------------------------------------------------------------ */

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
		if (runs_failed(db, &jm, stream, w->consumer, why, &err) < 0 ||
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
		if (runs_failed(db, &jm, stream, w->consumer, "unknown job type", &err) < 0 ||
		    deadletter_add(db, jm.id, jm.type, stream, jm.args, attempt, m->deliveries,
		                   "unknown job type", &err) < 0)
			goto transient;
		log_error("job failed", "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type),
		          "error", LOG_STR("unknown job type"), NULL);
		count_job(w, jm.type, "failed", 1);
		ack(w, q, m, jm.id);
		goto out;
	}
	rc = runs_start(db, &jm, stream, w->consumer, &attempt, &err);
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
		t0 = now_ms();
		rc = jobs_cancel_requested(&ctx);
		if (rc == 1) {
			log_info("scheduled run cancelled before it started", "job_id", LOG_STR(jm.id), NULL);
			rc = 0;
		} else {
			rc = type->run(&ctx, jm.args, &err);
		}
		metrics_observe(w->pool->metrics, &runners_m_run, labels, (double)(now_ms() - t0) / 1e3);
	}
	if (rc == 0) {
		if (runs_done(db, jm.id, &err) < 0)
			goto transient;
		count_job(w, jm.type, "done", 0);
		log_debug("job done", "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type),
		          "consumer", LOG_STR(w->consumer), "ms", LOG_INT(now_ms() - t0), NULL);
		ack(w, q, m, jm.id);
		goto out;
	}
	if (fb_err_transient(&err)) {
		log_warn("job failed transiently; retrying it here", "job_id", LOG_STR(jm.id),
		         "type", LOG_STR(jm.type), "attempt", LOG_INT(attempt), "error",
		         LOG_STR(err.msg), NULL);
		runs_note(db, jm.id, err.msg);
		count_dep_error(w, &err);
		count_job(w, jm.type, "left", 0);
		ret = HANDLE_RETRY;
		goto out;
	}
	if (err.code == FB_EDB || err.code == FB_EREDIS) {
		log_warn("job failed; it will be reclaimed", "job_id", LOG_STR(jm.id), "type",
		         LOG_STR(jm.type), "attempt", LOG_INT(attempt), "error", LOG_STR(err.msg),
		         NULL);
		runs_note(db, jm.id, err.msg);
		count_dep_error(w, &err);
		count_job(w, jm.type, "left", 0);
		ret = HANDLE_LEFT;
		goto out;
	}
	log_error("job failed", "job_id", LOG_STR(jm.id), "type", LOG_STR(jm.type), "attempt",
	          LOG_INT(attempt), "error", LOG_STR(err.msg), NULL);
	{
		struct fb_err err2 = {0};

		if (runs_failed(db, &jm, stream, w->consumer, err.msg, &err2) < 0 ||
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
	long long until = now_ms() + pause;
	int down = 0;

	for (;;) {
		int ok;

		if (should_stop(w) || now_ms() >= deadline)
			return 0;
		ok = deps_answer(db, q);
		if (!ok)
			down = 1;
		else if (down || now_ms() >= until)
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
	long long t0 = now_ms();
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
	         LOG_INT(now_ms() - t0), NULL);
	return h;
}

/* ---- the worker thread -------------------------------------------------------------- */

static void *
worker_main(void *arg)
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
		const struct fb_config *cfg = pool_cfg(w->pool);
		struct fb_err err = {0};
		struct queue_msg m;
		enum handled h;
		int r = 0;

		if (db == NULL)
			db = db_open(cfg->db_conninfo, &err);
		if (db != NULL && q == NULL)
			q = queue_open(cfg, &err);
		if (db != NULL && q != NULL) {
			long long now = now_ms();

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

/* ---- the pool ----------------------------------------------------------------------- */

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
	if ((e = pthread_create(&w->thread, NULL, worker_main, w)) != 0) {
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
	const struct fb_config *cfg = pool_cfg(pool);
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
		pool->next_poll_ms = now_ms() + WORKER_POLL_MS;
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
	pool->next_poll_ms = now_ms() + WORKER_POLL_MS;
}

/* Publish this runner's report (control thread, after a beat); best effort. */
static void
report(struct worker_pool *pool, const struct fb_config *cfg)
{
	struct runner_report rep = {.runner = pool->runner, .host = pool->host, .pid = pool->pid,
	                            .version = PACKAGE_VERSION, .started = pool->started};
	struct json_object *jobs = json_object_new_array();
	struct fb_err err = {0};
	int i;

	pthread_mutex_lock(&pool->mu);
	for (i = 0; i < pool->nw; i++) {
		const struct worker *w = pool->w[i];

		if (w->busy && w->busy_job[0] != '\0') {
			struct json_object *j = json_object_new_object();

			jsonh_add_str(j, "job_id", w->busy_job);
			jsonh_add_str(j, "type", w->busy_type);
			jsonh_add_str(j, "stream", queue_prio_name(w->busy_prio));
			if (w->busy_key != NULL)
				jsonh_add_int(j, w->busy_key, w->busy_subject);
			json_object_array_add(jobs, j);
		}
		if (w->stop)
			continue;
		rep.workers[w->cls]++;
		rep.busy += w->busy;
	}
	pthread_mutex_unlock(&pool->mu);
	rep.jobs = json_object_to_json_string_ext(jobs, JSON_C_TO_STRING_PLAIN);
	rep.rss_bytes = runners_self_rss();
	rep.load1 = runners_load1();
	rep.paused = __atomic_load_n(&pool->paused, __ATOMIC_ACQUIRE);
	{
		int nw = rep.workers[0] + rep.workers[1] + rep.workers[2];
		char self[320], lab[340];
		const char *pairs[64];
		struct buf text[32] = {{0}};
		size_t f;

		metrics_set(pool->metrics, &runners_m_workers, "state=\"busy\"", rep.busy);
		metrics_set(pool->metrics, &runners_m_workers, "state=\"idle\"",
		            nw > rep.busy ? nw - rep.busy : 0);
		metrics_set(pool->metrics, &runners_m_rss, "", (double)rep.rss_bytes);
		metrics_label_value(pool->runner, self, sizeof(self));
		snprintf(lab, sizeof(lab), "runner=\"%s\"", self);
		for (f = 0; runners_metric_families[f] != NULL && f < 32; f++) {
			metrics_write_samples(pool->metrics, runners_metric_families[f], lab, &text[f]);
			pairs[2 * rep.nmetrics] = runners_metric_families[f]->name;
			pairs[2 * rep.nmetrics + 1] = buf_cstr(&text[f]);
			rep.nmetrics++;
		}
		rep.metrics = pairs;
		if (runners_publish(pool->ctl, &rep, cfg->runner_liveness_ttl_ms, &err) < 0)
			log_debug("cannot publish the runner's report", "error", LOG_STR(err.msg), NULL);
		while (f > 0)
			free(text[--f].data);
	}
	json_object_put(jobs);
	fb_err_clear(&err);
}

/* Renew this runner's liveness key (control thread). */
static void
beat(struct worker_pool *pool)
{
	const struct fb_config *cfg = pool_cfg(pool);
	struct fb_err err = {0};
	long period = cfg->runner_liveness_ttl_ms / 4;

	pool->next_beat_ms = now_ms() + (period > WORKER_BEAT_MAX_MS ? WORKER_BEAT_MAX_MS : period);
	if (pool->ctl == NULL)
		pool->ctl = queue_open(cfg, &err);
	if (pool->ctl == NULL ||
	    queue_runner_beat(pool->ctl, pool->runner, cfg->runner_liveness_ttl_ms, &err) < 0) {
		if (!pool->beat_failing)
			log_warn("cannot renew the runner's liveness key", "runner", LOG_STR(pool->runner),
			         "error", LOG_STR(err.msg), NULL);
		pool->beat_failing = 1;
	} else {
		if (pool->beat_failing)
			log_info("runner's liveness key renewed again", "runner", LOG_STR(pool->runner),
			         NULL);
		pool->beat_failing = 0;
		report(pool, cfg);
	}
	fb_err_clear(&err);
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
	beat(pool);
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

/*
 * The heartbeat of the jobs in hand: every third of the visibility timeout, reset the idle
 * time of each worker's entry, so that only the entries of dead runners get reclaimed.
 */
static void
touch_busy(struct worker_pool *pool)
{
	const struct fb_config *cfg = pool_cfg(pool);
	struct busy {
		char consumer[300];
		enum queue_prio prio;
		char entry[64];
	} *b;
	struct fb_err err = {0};
	long period = (long)cfg->runner_visibility_timeout * 1000L / 3;
	int i, n = 0;

	pool->next_touch_ms = now_ms() + (period < 300 ? 300 : period);
	pthread_mutex_lock(&pool->mu);
	b = xcalloc((size_t)(pool->nw ? pool->nw : 1), sizeof(*b));
	for (i = 0; i < pool->nw; i++) {
		if (!pool->w[i]->busy)
			continue;
		memcpy(b[n].consumer, pool->w[i]->consumer, sizeof(b[n].consumer));
		b[n].prio = pool->w[i]->busy_prio;
		memcpy(b[n].entry, pool->w[i]->busy_entry, sizeof(b[n].entry));
		n++;
	}
	pthread_mutex_unlock(&pool->mu);
	if (n > 0 && pool->ctl == NULL)
		pool->ctl = queue_open(cfg, &err);
	for (i = 0; i < n && pool->ctl != NULL; i++) {
		int rc = queue_touch(pool->ctl, b[i].consumer, b[i].prio, b[i].entry, &err);

		if (rc < 0) {
			log_warn("cannot extend a job's visibility", "consumer", LOG_STR(b[i].consumer),
			         "entry_id", LOG_STR(b[i].entry), "error", LOG_STR(err.msg), NULL);
			fb_err_clear(&err);
			break;
		}
		if (rc == 0)
			log_warn("a job in hand is no longer this worker's (claimed elsewhere or "
			         "acknowledged); left as it is", "consumer", LOG_STR(b[i].consumer),
			         "entry_id", LOG_STR(b[i].entry), NULL);
	}
	fb_err_clear(&err);
	free(b);
}

void
worker_pool_tick(struct worker_pool *pool)
{
	if (now_ms() >= pool->next_beat_ms)
		beat(pool);
	reap(pool);
	if (!pool->stopping && now_ms() >= pool->next_poll_ms)
		apply_counts(pool);
	if (now_ms() >= pool->next_touch_ms)
		touch_busy(pool);
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
