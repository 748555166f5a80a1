/* SPDX-License-Identifier: MIT */
/*
 * watch: the alert thread of flowbatch-web (see watch.h).  The thread owns its PostgreSQL
 * and Redis connections, opened on first use and closed after an error (reopened at the
 * next round).  The stop flag is the only state shared with the main thread, under the
 * mutex.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "alert.h"
#include "alertsend.h"
#include "db.h"
#include "log.h"
#include "mem.h"
#include "queue.h"
#include "watch.h"

#define WATCH_SLICE_MS 100

struct watch {
	pthread_mutex_t mu;
	int stop; /* under mu */
	pthread_t thread;
	const struct fb_config *cfg;
	struct db *db;
	struct queue *q;
	int failing; /* the last round failed: log only the first failure of a series */
};

static int
stopping(struct watch *w)
{
	int stop;

	pthread_mutex_lock(&w->mu);
	stop = w->stop;
	pthread_mutex_unlock(&w->mu);
	return stop;
}

/* One round: no_live_runner, then the webhooks due. */
static int
round_once(struct watch *w, struct fb_err *err)
{
	struct alertsend_counts s;
	struct alert_counts c;
	struct fb_err e = {0};
	int rc;

	if (w->db == NULL && (w->db = db_open(w->cfg->db_conninfo, err)) == NULL)
		return -1;
	if (w->q == NULL && (w->q = queue_open(w->cfg, err)) == NULL)
		return -1;
	if (db_check(w->db, err) < 0)
		return -1;
	rc = alert_evaluate_runners(w->db, w->q, w->cfg, &c, err);
	/* What is due goes out even when Redis could not be read. */
	if (alertsend_due(w->db, w->cfg, &s, rc < 0 ? &e : err) < 0)
		rc = -1;
	fb_err_clear(&e);
	return rc;
}

static void *
watch_main(void *arg)
{
	struct watch *w = arg;

	while (!stopping(w)) {
		struct fb_err err = {0};
		long ms;

		if (round_once(w, &err) < 0) {
			if (!w->failing)
				log_warn("alert watch round failed", "error", LOG_STR(err.msg), NULL);
			w->failing = 1;
			fb_err_clear(&err);
			if (w->q != NULL) {
				queue_close(w->q);
				w->q = NULL;
			}
		} else {
			w->failing = 0;
		}
		for (ms = (long)w->cfg->alerts_watch_seconds * 1000; ms > 0 && !stopping(w);
		     ms -= WATCH_SLICE_MS) {
			struct timespec ts = {0, WATCH_SLICE_MS * 1000000L};

			nanosleep(&ts, NULL);
		}
	}
	db_close(w->db);
	queue_close(w->q);
	return NULL;
}

struct watch *
watch_start(const struct fb_config *cfg)
{
	struct watch *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->mu, NULL);
	w->cfg = cfg;
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		log_error("cannot start the alert watch thread", NULL);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void
watch_stop(struct watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
