/* SPDX-License-Identifier: MIT */
/*
 * dashboard: GET /api/dashboard — the console's overview.
 *
 * Everyone: the batches and bulk process operations not yet settled (progress, ETA; up to
 * DASHBOARD_ACTIVE_MAX each), what of each settled today (finished, finished with
 * failures, cancelled; their items by outcome, success rate, average item time) and the
 * items settled per minute over the last hour (charts.throughput).  An administrator
 * sees everyone's ("scope":"all") plus the service: the runners working on each batch or
 * operation (from the jobs in hand of the runners' reports), the queues and their recent
 * backlog (charts.backlog, the leader's ring), the runners, the dead letters, push
 * delivery per platform, the crontab runs that failed in the last day and the alerts
 * (open, and resolved within 24 hours; at most DASHBOARD_ALERTS_MAX).  Any other user
 * sees only their own work ("scope":"mine") and nothing of the service.  Every figure
 * comes from an index, a small table or Redis (no scans of the batch tables).
 */
#include <string.h>

#include <json-c/json.h>

#include "alert.h"
#include "batch.h"
#include "chunk.h"
#include "deadletter.h"
#include "handlers.h"
#include "jsonh.h"
#include "overview.h"
#include "procop.h"
#include "runners.h"

#define DASHBOARD_ACTIVE_MAX 20
#define DASHBOARD_ALERTS_MAX 20
#define DASHBOARD_BACKLOG_POINTS 120 /* ten minutes of the leader's 5 s samples */
#define DASHBOARD_CRON_FAILURES 10

static struct json_object *
today_json(const struct chunk_day *d)
{
	struct json_object *o = json_object_new_object(), *items = json_object_new_object();
	long long decided = d->success + d->failed;

	jsonh_add_int(o, "finished", d->finished);
	jsonh_add_int(o, "finished_with_failures", d->finished_with_failures);
	jsonh_add_int(o, "cancelled", d->cancelled);
	jsonh_add_int(items, "success", d->success);
	jsonh_add_int(items, "failed", d->failed);
	jsonh_add_int(items, "ignored", d->ignored);
	json_object_object_add(o, "items", items);
	/* Of the items that were decided (ignored ones had nothing to do). */
	if (decided > 0)
		jsonh_add_double(o, "success_rate", (double)d->success / (double)decided);
	else
		jsonh_add_null(o, "success_rate");
	if (d->run_items > 0)
		jsonh_add_double(o, "avg_item_seconds", d->run_seconds / (double)d->run_items);
	else
		jsonh_add_null(o, "avg_item_seconds");
	return o;
}

/*
 * Give each work item of list (objects with key = its id) the runners holding a job on it:
 * "runners": [{"runner", "jobs"}], from the runners' jobs in hand.
 */
static void
attach_runners(struct json_object *list, const char *key, struct json_object *runners)
{
	size_t i, k, j;

	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *item = json_object_array_get_idx(list, i), *id, *mine;

		if (!json_object_object_get_ex(item, key, &id))
			continue;
		mine = json_object_new_array();
		for (k = 0; k < json_object_array_length(runners); k++) {
			struct json_object *r = json_object_array_get_idx(runners, k), *jobs, *name;
			int n = 0;

			if (!json_object_object_get_ex(r, "jobs", &jobs) ||
			    !json_object_object_get_ex(r, "runner", &name))
				continue;
			for (j = 0; j < json_object_array_length(jobs); j++) {
				struct json_object *v;

				if (json_object_object_get_ex(json_object_array_get_idx(jobs, j), key, &v) &&
				    json_object_get_int64(v) == json_object_get_int64(id))
					n++;
			}
			if (n > 0) {
				struct json_object *o = json_object_new_object();

				jsonh_add_str(o, "runner", json_object_get_string(name));
				jsonh_add_int(o, "jobs", n);
				json_object_array_add(mine, o);
			}
		}
		json_object_object_add(item, "runners", mine);
	}
}

/* The service part, for administrators; active work gets its runners. */
static int
service_json(struct request *r, struct db *db, struct json_object *out,
             struct json_object *batches, struct json_object *ops, struct json_object *charts,
             struct fb_err *err)
{
	struct json_object *runners = NULL, *rs, *alerts = NULL, *push = NULL, *cron = NULL;
	struct json_object *backlog = NULL;
	struct queue_stats st;
	struct queue *q;
	long long dead;
	unsigned paused;
	size_t i;
	int live = 0;

	if ((q = request_queue(r, err)) == NULL || queue_stats(q, &st, err) < 0 ||
	    runners_get_paused(q, &paused, err) < 0 || deadletter_count(db, &dead, err) < 0 ||
	    overview_push_health(db, &push, err) < 0 ||
	    overview_cron_failures(db, DASHBOARD_CRON_FAILURES, &cron, err) < 0 ||
	    overview_backlog(q, DASHBOARD_BACKLOG_POINTS, &backlog, err) < 0 ||
	    (alerts = alert_recent(db, DASHBOARD_ALERTS_MAX, r->lang, err)) == NULL ||
	    (runners = runners_list(q, err)) == NULL) {
		json_object_put(push);
		json_object_put(cron);
		json_object_put(backlog);
		json_object_put(alerts);
		return -1;
	}
	json_object_object_add(out, "alerts", alerts);
	json_object_object_add(out, "queues", ops_streams_json(&st, paused));
	for (i = 0; i < json_object_array_length(runners); i++) {
		struct json_object *state;

		if (json_object_object_get_ex(json_object_array_get_idx(runners, i), "state", &state) &&
		    strcmp(json_object_get_string(state), "live") == 0)
			live++;
	}
	attach_runners(batches, "batch_id", runners);
	attach_runners(ops, "op_id", runners);
	rs = json_object_new_object();
	jsonh_add_int(rs, "live", live);
	jsonh_add_int(rs, "stale", (int64_t)json_object_array_length(runners) - live);
	json_object_object_add(rs, "items", runners);
	json_object_object_add(out, "runners", rs);
	jsonh_add_int(out, "dead_letters", dead);
	json_object_object_add(out, "push", push);
	json_object_object_add(out, "cron_failures", cron);
	json_object_object_add(charts, "backlog", backlog);
	return 0;
}

int
handle_dashboard(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {NULL};
	int64_t scope = r->user->is_admin ? 0 : r->user->id;
	struct json_object *out, *active = NULL, *ops = NULL, *tput = NULL, *batches, *opsw, *charts;
	struct chunk_day day, opday;
	struct db *db;

	if (request_check_params(r, known, NULL, err) < 0 || (db = request_db(r, err)) == NULL ||
	    batch_today(db, scope, &day, err) < 0 ||
	    batch_active(db, scope, DASHBOARD_ACTIVE_MAX, &active, err) < 0 ||
	    procop_active(db, scope, DASHBOARD_ACTIVE_MAX, &ops, err) < 0 ||
	    procop_today(db, scope, &opday, err) < 0 ||
	    overview_throughput(db, scope, &tput, err) < 0) {
		json_object_put(active);
		json_object_put(ops);
		return -1;
	}
	out = json_object_new_object();
	jsonh_add_str(out, "scope", scope == 0 ? "all" : "mine");
	batches = json_object_new_object();
	json_object_object_add(batches, "active", active);
	json_object_object_add(batches, "today", today_json(&day));
	json_object_object_add(out, "batches", batches);
	opsw = json_object_new_object();
	json_object_object_add(opsw, "active", ops);
	json_object_object_add(opsw, "today", today_json(&opday));
	json_object_object_add(out, "operations", opsw);
	charts = json_object_new_object();
	json_object_object_add(charts, "throughput", tput);
	json_object_object_add(out, "charts", charts);
	if (scope == 0 && service_json(r, db, out, active, ops, charts, err) < 0) {
		json_object_put(out);
		return -1;
	}
	respond_json(r, 200, out);
	return 0;
}
