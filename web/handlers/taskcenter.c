/* SPDX-License-Identifier: MIT */
/*
 * taskcenter: the task-center resources, for administrators (the router checks
 * users.is_admin).
 *
 *   GET  /api/task-center/config              {"max_retries","retry_interval_minutes"}
 *   PUT  /api/task-center/config              either or both, validated (0..100, 1..10080)
 *   GET  /api/task-center/logs                task_id, platform, status, since (3d, 12h ...),
 *                                             page, page_size; newest first
 *   POST /api/task-center/logs/{id}/retry     a failed, abandoned or rejected row queued again
 *
 * Every change is written to action_log.  Nothing here outlives the request.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "actionlog.h"
#include "handlers.h"
#include "jsonh.h"
#include "log.h"
#include "taskcenter.h"

static int
config_respond(struct request *r, struct db *db, struct fb_err *err)
{
	struct json_object *out;
	int m, iv;

	if (taskcenter_config_get(db, &m, &iv, err) < 0)
		return -1;
	out = json_object_new_object();
	jsonh_add_int(out, "max_retries", m);
	jsonh_add_int(out, "retry_interval_minutes", iv);
	respond_json(r, 200, out);
	return 0;
}

int
handle_taskcenter_config_get(struct request *r, struct fb_err *err)
{
	struct db *db = request_db(r, err);

	return db == NULL ? -1 : config_respond(r, db, err);
}

int
handle_taskcenter_config_put(struct request *r, struct fb_err *err)
{
	static const char *const allowed[] = {"max_retries", "retry_interval_minutes", NULL};
	struct json_object *body, *detail;
	int64_t m, iv;
	int cm, civ, rc;
	struct db *db;

	if ((db = request_db(r, err)) == NULL || (body = request_json(r, err)) == NULL)
		return -1;
	if (!json_object_is_type(body, json_type_object)) {
		fb_err_set(err, FB_EINVAL, "the body must be a JSON object");
		return -1;
	}
	if (jsonh_only_keys(body, allowed, err) < 0 || taskcenter_config_get(db, &cm, &civ, err) < 0)
		return -1;
	m = cm;
	iv = civ;
	if (jsonh_get_int(body, "max_retries", 0, 100, &m, err) < 0 ||
	    jsonh_get_int(body, "retry_interval_minutes", 1, 10080, &iv, err) < 0) {
		if (err->code == FB_EINVAL)
			err->code = FB_EVALIDATION;
		return -1;
	}
	if (taskcenter_config_set(db, (int)m, (int)iv, err) < 0)
		return -1;
	detail = json_object_new_object();
	jsonh_add_int(detail, "max_retries", m);
	jsonh_add_int(detail, "retry_interval_minutes", iv);
	rc = actionlog_add(db, r->user->id, "taskcenter.config.set", "task_center_config", "1",
	                   detail, err);
	json_object_put(detail);
	if (rc < 0)
		return -1;
	log_info("task-center config set", "request_id", LOG_STR(r->request_id), "user",
	         LOG_STR(r->user->login), "max_retries", LOG_INT(m), "retry_interval_minutes",
	         LOG_INT(iv), NULL);
	return config_respond(r, db, err);
}

int
handle_taskcenter_logs(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"task_id", "platform", "status", "since",
	                                    "page", "page_size", NULL};
	static const char *const statuses[] = {"queued", "sending", "delivered", "rejected",
	                                       "failed", "abandoned", NULL};
	struct tc_log_filter f = {0};
	struct json_object *out;
	int64_t page, size, tid, pid;
	const char *since;
	struct db *db;
	int i;

	if (request_check_params(r, known, NULL, err) < 0 ||
	    request_param_int(r, "task_id", 1, INT64_MAX, 0, &tid, err) < 0 ||
	    request_param_int(r, "platform", 1, INT64_MAX, 0, &pid, err) < 0 ||
	    request_param_int(r, "page", 1, 1000000, 1, &page, err) < 0 ||
	    request_param_int(r, "page_size", 1, 500, 50, &size, err) < 0)
		return -1;
	f.task_id = tid;
	f.platform_id = pid;
	if ((f.status = request_param(r, "status")) != NULL) {
		for (i = 0; statuses[i] != NULL && strcmp(statuses[i], f.status) != 0; i++)
			;
		if (statuses[i] == NULL) {
			fb_err_set(err, FB_EINVAL, "status must be queued, sending, delivered, rejected,"
			                           " failed or abandoned");
			return -1;
		}
	}
	if ((since = request_param(r, "since")) != NULL &&
	    (f.since_s = taskcenter_age_seconds(since)) < 0) {
		fb_err_set(err, FB_EINVAL, "since must be an age such as 90s, 30m, 12h or 3d");
		return -1;
	}
	if ((db = request_db(r, err)) == NULL || (out = taskcenter_logs(db, &f, page, size, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_taskcenter_log_retry(struct request *r, struct fb_err *err)
{
	int64_t id = strtoll(r->path_args[0], NULL, 10);
	struct json_object *out;
	struct queue *q;
	struct db *db;

	if ((db = request_db(r, err)) == NULL || taskcenter_log_retry(db, id, err) != 1 ||
	    actionlog_add(db, r->user->id, "taskcenter.log.retry", "task_center_log",
	                  r->path_args[0], NULL, err) < 0 ||
	    (q = request_queue(r, err)) == NULL || taskcenter_publish(q, err) < 0)
		return -1;
	log_info("task-center row queued again", "request_id", LOG_STR(r->request_id), "user",
	         LOG_STR(r->user->login), "log_id", LOG_INT(id), NULL);
	out = json_object_new_object();
	jsonh_add_int(out, "id", id);
	jsonh_add_str(out, "status", "queued");
	respond_json(r, 202, out);
	return 0;
}
