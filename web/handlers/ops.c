/* SPDX-License-Identifier: MIT */
/*
 * ops: the operations resources, for administrators (the router checks users.is_admin).
 *
 *   GET  /api/runners                   every runner's report, live or stale
 *   GET  /api/queue/stats               per stream: length, pending, oldest entry's age,
 *                                       consumers, paused
 *   GET  /api/queue/consumers           worker counts: config defaults, for all runners,
 *                                       per runner
 *   PUT  /api/queue/consumers           {"high","common","low": 0..64 or null, "runner"?}
 *   POST /api/queue/{stream}/pause      workers stop taking from the stream; /resume
 *   GET  /api/queue/dead                dead letters (page, page_size)
 *   POST /api/queue/dead/retry          publish every dead letter again; /dead/{id}/retry one
 *   DELETE /api/queue/dead              drop every dead letter; /dead/{id} one
 *
 * Every change is written to action_log.  Nothing here outlives the request.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actionlog.h"
#include "deadletter.h"
#include "handlers.h"
#include "jsonh.h"
#include "log.h"
#include "msg.h"
#include "runners.h"

int
handle_runners_list(struct request *r, struct fb_err *err)
{
	struct json_object *items;
	struct queue *q;

	if ((q = request_queue(r, err)) == NULL || (items = runners_list(q, err)) == NULL)
		return -1;
	respond_json(r, 200, jsonh_list(items));
	return 0;
}

struct json_object *
ops_streams_json(const struct queue_stats *st, unsigned paused)
{
	struct json_object *streams = json_object_new_array();
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++) {
		struct json_object *s = json_object_new_object();

		jsonh_add_str(s, "stream", queue_prio_name((enum queue_prio)p));
		jsonh_add_int(s, "length", st->length[p]);
		jsonh_add_int(s, "pending", st->pending[p]);
		jsonh_add_double(s, "oldest_age_seconds", (double)st->oldest_age_ms[p] / 1000.0);
		jsonh_add_int(s, "consumers", st->consumers[p]);
		jsonh_add_bool(s, "paused", (paused & (1u << p)) != 0);
		json_object_array_add(streams, s);
	}
	return streams;
}

int
handle_queue_stats(struct request *r, struct fb_err *err)
{
	struct json_object *out;
	struct queue_stats st;
	struct queue *q;
	unsigned paused;

	if ((q = request_queue(r, err)) == NULL || queue_stats(q, &st, err) < 0 ||
	    runners_get_paused(q, &paused, err) < 0)
		return -1;
	out = json_object_new_object();
	json_object_object_add(out, "streams", ops_streams_json(&st, paused));
	respond_json(r, 200, out);
	return 0;
}

static struct json_object *
counts_obj(const int c[QUEUE_NPRIO])
{
	struct json_object *o = json_object_new_object();
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++) {
		if (c[p] >= 0)
			jsonh_add_int(o, queue_prio_name((enum queue_prio)p), c[p]);
		else
			jsonh_add_null(o, queue_prio_name((enum queue_prio)p));
	}
	return o;
}

/* The answer of GET (and of a PUT): defaults, the counts for all, each runner's. */
static int
consumers_respond(struct request *r, struct queue *q, struct fb_err *err)
{
	const struct fb_config *cfg = r->cfg;
	const int defaults[QUEUE_NPRIO] = {cfg->runner_high, cfg->runner_common, cfg->runner_low};
	struct json_object *out, *runners, *list;
	int all[QUEUE_NPRIO];
	size_t i;

	if (runners_get_consumers(q, NULL, all, err) < 0 || (list = runners_list(q, err)) == NULL)
		return -1;
	out = json_object_new_object();
	json_object_object_add(out, "defaults", counts_obj(defaults));
	json_object_object_add(out, "all", counts_obj(all));
	runners = json_object_new_array();
	for (i = 0; i < json_object_array_length(list); i++) {
		struct json_object *it = json_object_array_get_idx(list, i), *o = json_object_new_object();
		struct json_object *v;

		json_object_object_get_ex(it, "runner", &v);
		json_object_object_add(o, "runner", json_object_get(v));
		json_object_object_get_ex(it, "state", &v);
		json_object_object_add(o, "state", json_object_get(v));
		json_object_object_get_ex(it, "consumers_override", &v);
		json_object_object_add(o, "override", json_object_get(v));
		json_object_object_get_ex(it, "workers", &v);
		json_object_object_add(o, "workers", json_object_get(v));
		json_object_array_add(runners, o);
	}
	json_object_put(list);
	json_object_object_add(out, "runners", runners);
	respond_json(r, 200, out);
	return 0;
}

int
handle_queue_consumers_get(struct request *r, struct fb_err *err)
{
	struct queue *q = request_queue(r, err);

	return q == NULL ? -1 : consumers_respond(r, q, err);
}

/* A problem with the request body (msg.c's code, params stolen), collected for one 422. */
static void
problem(struct fb_err *err, const char *field, const char *code, struct json_object *params)
{
	fb_err_detail(err, fb_err_detail_msg(field, code, params));
}

int
handle_queue_consumers_put(struct request *r, struct fb_err *err)
{
	struct json_object *body, *detail;
	const char *runner = NULL;
	int counts[QUEUE_NPRIO] = {-1, -1, -1}, set[QUEUE_NPRIO] = {0, 0, 0}, given = 0, p, bad = 0;
	int rc;
	struct queue *q;
	struct db *db;

	if ((body = request_json(r, err)) == NULL)
		return -1;
	json_object_object_foreach(body, key, val) {
		enum queue_prio prio;

		if (strcmp(key, "runner") == 0) {
			if (!json_object_is_type(val, json_type_string) ||
			    json_object_get_string_len(val) < 1 || json_object_get_string_len(val) > 300) {
				problem(err, "runner", "ops.runner_name", NULL);
				bad = 1;
			} else {
				runner = json_object_get_string(val);
			}
			continue;
		}
		if (queue_prio_parse(key, &prio) < 0) {
			problem(err, key, "ops.consumers_member", NULL);
			bad = 1;
			continue;
		}
		given++;
		set[prio] = 1;
		if (val == NULL)
			continue; /* null: back to the default */
		if (!json_object_is_type(val, json_type_int) || json_object_get_int64(val) < 0 ||
		    json_object_get_int64(val) > RUNNERS_MAX_PER_CLASS) {
			problem(err, key, "ops.consumers_count",
			        msg_args("max", json_object_new_int(RUNNERS_MAX_PER_CLASS), NULL));
			bad = 1;
			continue;
		}
		counts[prio] = (int)json_object_get_int64(val);
	}
	if (given == 0 && !bad) {
		problem(err, "high", "ops.consumers_none", NULL);
		bad = 1;
	}
	if ((q = request_queue(r, err)) == NULL)
		return -1;
	if (runner != NULL && !bad) {
		int known = runners_known(q, runner, err);

		if (known < 0)
			return -1;
		if (known == 0) {
			problem(err, "runner", "ops.no_runner", NULL);
			bad = 1;
		}
	}
	if (bad) {
		fb_err_msg(err, FB_EVALIDATION, "ops.consumers_invalid", NULL);
		return -1;
	}
	{
		/* Only the classes given change; null puts one back to the default. */
		int now[QUEUE_NPRIO];

		if (runners_get_consumers(q, runner, now, err) < 0)
			return -1;
		for (p = 0; p < QUEUE_NPRIO; p++)
			if (!set[p])
				counts[p] = now[p];
		if (runners_set_consumers(q, runner, counts, err) < 0)
			return -1;
	}
	if ((db = request_db(r, err)) == NULL)
		return -1;
	detail = counts_obj(counts);
	if (runner != NULL)
		jsonh_add_str(detail, "runner", runner);
	rc = actionlog_add(db, r->user->id, "queue.consumers.set", runner ? "runner" : "queue",
	                   runner ? runner : "all", detail, err);
	json_object_put(detail);
	if (rc < 0)
		return -1;
	log_info("consumer counts set", "request_id", LOG_STR(r->request_id), "user",
	         LOG_STR(r->user->login), "runner", LOG_STR(runner ? runner : "all"), "high",
	         LOG_INT(counts[0]), "common", LOG_INT(counts[1]), "low", LOG_INT(counts[2]), NULL);
	return consumers_respond(r, q, err);
}

static int
pause_or_resume(struct request *r, int pause, struct fb_err *err)
{
	enum queue_prio prio;
	struct queue *q;
	struct db *db;
	struct json_object *out;

	if (queue_prio_parse(r->path_args[0], &prio) < 0) {
		char name[65];

		snprintf(name, sizeof(name), "%s", r->path_args[0]);
		fb_err_msg(err, FB_ENOTFOUND, "ops.no_stream",
		           msg_args("name", json_object_new_string(name), NULL));
		return -1;
	}
	if ((q = request_queue(r, err)) == NULL || runners_set_paused(q, prio, pause, err) < 0 ||
	    (db = request_db(r, err)) == NULL ||
	    actionlog_add(db, r->user->id, pause ? "queue.pause" : "queue.resume", "stream",
	                  queue_prio_name(prio), NULL, err) < 0)
		return -1;
	log_info(pause ? "stream paused" : "stream resumed", "request_id", LOG_STR(r->request_id),
	         "user", LOG_STR(r->user->login), "stream", LOG_STR(queue_prio_name(prio)), NULL);
	out = json_object_new_object();
	jsonh_add_str(out, "stream", queue_prio_name(prio));
	jsonh_add_bool(out, "paused", pause);
	respond_json(r, 200, out);
	return 0;
}

int
handle_queue_pause(struct request *r, struct fb_err *err)
{
	return pause_or_resume(r, 1, err);
}

int
handle_queue_resume(struct request *r, struct fb_err *err)
{
	return pause_or_resume(r, 0, err);
}

int
handle_queue_dead_list(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"page", "page_size", NULL};
	struct json_object *out;
	int64_t page, size;
	struct db *db;

	if (request_check_params(r, known, NULL, err) < 0 ||
	    request_param_int(r, "page", 1, 1000000, 1, &page, err) < 0 ||
	    request_param_int(r, "page_size", 1, 500, 50, &size, err) < 0 ||
	    (db = request_db(r, err)) == NULL || (out = deadletter_list(db, page, size, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

/* Retry (retry=1) or drop dead letter id (0: all), log it, answer {"retried"|"dropped": n}. */
static int
dead_act(struct request *r, int64_t id, int retry, struct fb_err *err)
{
	struct json_object *out, *detail;
	struct queue *q = NULL;
	struct db *db;
	char target[24];
	long long n = 0;
	int rc;

	if ((db = request_db(r, err)) == NULL || (retry && (q = request_queue(r, err)) == NULL))
		return -1;
	rc = retry ? deadletter_retry(db, q, id, &n, err) : deadletter_drop(db, id, &n, err);
	if (rc < 0)
		return -1;
	if (id != 0 && n == 0) {
		fb_err_msg(err, FB_ENOTFOUND, "ops.no_dead_letter", msg_args("id", json_object_new_int64(id), NULL));
		return -1;
	}
	snprintf(target, sizeof(target), "%lld", (long long)id);
	detail = json_object_new_object();
	jsonh_add_int(detail, "count", n);
	rc = actionlog_add(db, r->user->id, retry ? "queue.dead.retry" : "queue.dead.drop",
	                   "dead_letter", id != 0 ? target : "all", detail, err);
	json_object_put(detail);
	if (rc < 0)
		return -1;
	log_info(retry ? "dead letters retried" : "dead letters dropped", "request_id",
	         LOG_STR(r->request_id), "user", LOG_STR(r->user->login), "id", LOG_INT(id),
	         "count", LOG_INT(n), NULL);
	out = json_object_new_object();
	jsonh_add_int(out, retry ? "retried" : "dropped", n);
	respond_json(r, 200, out);
	return 0;
}

int
handle_queue_dead_retry_all(struct request *r, struct fb_err *err)
{
	return dead_act(r, 0, 1, err);
}

int
handle_queue_dead_retry(struct request *r, struct fb_err *err)
{
	return dead_act(r, strtoll(r->path_args[0], NULL, 10), 1, err);
}

int
handle_queue_dead_drop_all(struct request *r, struct fb_err *err)
{
	return dead_act(r, 0, 0, err);
}

int
handle_queue_dead_drop(struct request *r, struct fb_err *err)
{
	return dead_act(r, strtoll(r->path_args[0], NULL, 10), 0, err);
}
