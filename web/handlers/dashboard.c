/* SPDX-License-Identifier: MIT */
/*
 * dashboard: GET /api/dashboard — the console's overview.
 *
 * Everyone: the batches not yet settled (progress, ETA; up to DASHBOARD_ACTIVE_MAX) and
 * what settled today (batches finished, finished with failures, cancelled; their items by
 * outcome, success rate, average item time).  An administrator sees everyone's
 * ("scope":"all") plus the queues, the runners, the dead letters and the alerts (open, and
 * resolved within 24 hours; at most DASHBOARD_ALERTS_MAX); any other user sees
 * only their own batches ("scope":"mine") and nothing of the service.  Every figure comes
 * from an index, a small table or Redis (no scans of the batch tables).
 */
#include <string.h>

#include <json-c/json.h>

#include "alert.h"
#include "batch.h"
#include "deadletter.h"
#include "handlers.h"
#include "jsonh.h"
#include "runners.h"

#define DASHBOARD_ACTIVE_MAX 20
#define DASHBOARD_ALERTS_MAX 20

static struct json_object *
today_json(const struct batch_day *d)
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

/* The service part, for administrators. */
static int
service_json(struct request *r, struct db *db, struct json_object *out, struct fb_err *err)
{
	struct json_object *runners = NULL, *rs, *alerts;
	struct queue_stats st;
	struct queue *q;
	long long dead;
	unsigned paused;
	size_t i;
	int live = 0;

	if ((q = request_queue(r, err)) == NULL || queue_stats(q, &st, err) < 0 ||
	    runners_get_paused(q, &paused, err) < 0 || deadletter_count(db, &dead, err) < 0 ||
	    (runners = runners_list(q, err)) == NULL)
		return -1;
	if ((alerts = alert_recent(db, DASHBOARD_ALERTS_MAX, err)) == NULL) {
		json_object_put(runners);
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
	rs = json_object_new_object();
	jsonh_add_int(rs, "live", live);
	jsonh_add_int(rs, "stale", (int64_t)json_object_array_length(runners) - live);
	json_object_object_add(rs, "items", runners);
	json_object_object_add(out, "runners", rs);
	jsonh_add_int(out, "dead_letters", dead);
	return 0;
}

int
handle_dashboard(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {NULL};
	int64_t scope = r->user->is_admin ? 0 : r->user->id;
	struct json_object *out, *active, *batches;
	struct batch_day day;
	struct db *db;

	if (request_check_params(r, known, NULL, err) < 0 || (db = request_db(r, err)) == NULL ||
	    batch_today(db, scope, &day, err) < 0 ||
	    batch_active(db, scope, DASHBOARD_ACTIVE_MAX, &active, err) < 0)
		return -1;
	out = json_object_new_object();
	jsonh_add_str(out, "scope", scope == 0 ? "all" : "mine");
	batches = json_object_new_object();
	json_object_object_add(batches, "active", active);
	json_object_object_add(batches, "today", today_json(&day));
	json_object_object_add(out, "batches", batches);
	if (scope == 0 && service_json(r, db, out, err) < 0) {
		json_object_put(out);
		return -1;
	}
	respond_json(r, 200, out);
	return 0;
}
