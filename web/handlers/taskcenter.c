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
 *   POST /api/task-center/logs/retry          every failed, abandoned or rejected row that the
 *                                             list's filters (query string, status one of
 *                                             those three) select queued again: {"queued": n}
 *   GET  /api/task-center/platforms           every platform; GET .../platforms/{id} one
 *   GET  /api/task-center/status              per platform, its rows of the last 24 h by
 *                                             state (delivered, pending, failing, rejected,
 *                                             abandoned)
 *   POST /api/task-center/platforms           create; without "secret" one is generated and
 *                                             shown in this answer only
 *   PUT  /api/task-center/platforms/{id}      change what the body names; "rotate_secret":
 *                                             true generates a new secret, shown once
 *   DELETE /api/task-center/platforms/{id}    the platform and its log rows
 *   POST /api/task-center/platforms/{id}/test a signed "ping" sent now (enabled or not):
 *                                             {"outcome": delivered|rejected|retry,
 *                                             "status", "seconds", "answer", "reason",
 *                                             "webhook_id"}
 *
 * A secret is write-only: no answer but the one that generated it carries it.
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
#include "msg.h"
#include "crypto.h"
#include "rand.h"
#include "taskcenter.h"
#include "utf8.h"
#include "webhook.h"

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
		fb_err_msg(err, FB_EINVAL, "request.body_object", NULL);
		return -1;
	}
	if (jsonh_only_keys(body, allowed, err) < 0 || taskcenter_config_get(db, &cm, &civ, err) < 0)
		return -1;
	m = cm;
	iv = civ;
	{
		/* Every bad member named at once. */
		struct { const char *key; int64_t min, max; int64_t *out; } f[] = {
			{"max_retries", 0, 100, &m}, {"retry_interval_minutes", 1, 10080, &iv}};
		struct fb_err e = {0};
		size_t i;
		int bad = 0;

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			if (jsonh_get_int(body, f[i].key, f[i].min, f[i].max, f[i].out, &e) < 0) {
				fb_err_detail(err, fb_err_to_detail(f[i].key, &e));
				bad = 1;
			}
			fb_err_clear(&e);
		}
		if (bad) {
			fb_err_msg(err, FB_EVALIDATION, "tc.config_invalid", NULL);
			return -1;
		}
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

/*
 * The filter of the log list and of its bulk retry from the query string (task_id,
 * platform, status among statuses, since), with paging when page is not NULL; a status
 * not among statuses fails with the message status_code.
 */
static int
log_filter(struct request *r, const char *const *statuses, const char *status_code,
           struct tc_log_filter *f, int64_t *page, int64_t *size, struct fb_err *err)
{
	static const char *const known[] = {"task_id", "platform", "status", "since",
	                                    "page", "page_size", NULL};
	int64_t tid, pid;
	const char *since;
	int i;

	memset(f, 0, sizeof(*f));
	/* Without paging the list ends before "page". */
	if (request_check_params(r, page ? known : (const char *const[]){known[0], known[1],
	                                                                 known[2], known[3], NULL},
	                         NULL, err) < 0 ||
	    request_param_int(r, "task_id", 1, INT64_MAX, 0, &tid, err) < 0 ||
	    request_param_int(r, "platform", 1, INT64_MAX, 0, &pid, err) < 0 ||
	    (page != NULL && handler_paging(r, page, size, err) < 0))
		return -1;
	f->task_id = tid;
	f->platform_id = pid;
	if ((f->status = request_param(r, "status")) != NULL) {
		for (i = 0; statuses[i] != NULL && strcmp(statuses[i], f->status) != 0; i++)
			;
		if (statuses[i] == NULL) {
			fb_err_msg(err, FB_EINVAL, status_code, NULL);
			return -1;
		}
	}
	if ((since = request_param(r, "since")) != NULL &&
	    (f->since_s = taskcenter_age_seconds(since)) < 0) {
		fb_err_msg(err, FB_EINVAL, "tc.since", NULL);
		return -1;
	}
	return 0;
}

int
handle_taskcenter_logs(struct request *r, struct fb_err *err)
{
	static const char *const statuses[] = {"queued", "sending", "delivered", "rejected",
	                                       "failed", "abandoned", NULL};
	struct tc_log_filter f;
	struct json_object *out;
	int64_t page, size;
	struct db *db;

	if (log_filter(r, statuses, "tc.log_status", &f,
	               &page, &size, err) < 0 ||
	    (db = request_db(r, err)) == NULL || (out = taskcenter_logs(db, &f, page, size, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_taskcenter_logs_retry(struct request *r, struct fb_err *err)
{
	static const char *const statuses[] = {"failed", "abandoned", "rejected", NULL};
	struct json_object *out, *detail;
	struct tc_log_filter f;
	struct queue *q;
	struct db *db;
	long long n;
	int rc;

	if (log_filter(r, statuses, "tc.retry_status", &f, NULL, NULL, err) < 0 ||
	    (db = request_db(r, err)) == NULL || taskcenter_logs_retry(db, &f, &n, err) < 0)
		return -1;
	detail = json_object_new_object();
	if (f.task_id)
		jsonh_add_int(detail, "task_id", f.task_id);
	if (f.platform_id)
		jsonh_add_int(detail, "platform", f.platform_id);
	if (f.status)
		jsonh_add_str(detail, "status", f.status);
	if (f.since_s)
		jsonh_add_int(detail, "since_seconds", f.since_s);
	jsonh_add_int(detail, "queued", n);
	rc = actionlog_add(db, r->user->id, "taskcenter.logs.retry", "task_center_log", "filter",
	                   detail, err);
	json_object_put(detail);
	if (rc < 0 || (n > 0 && ((q = request_queue(r, err)) == NULL || taskcenter_publish(q, err) < 0)))
		return -1;
	log_info("task-center rows queued again", "request_id", LOG_STR(r->request_id), "user",
	         LOG_STR(r->user->login), "queued", LOG_INT(n), NULL);
	out = json_object_new_object();
	jsonh_add_int(out, "queued", n);
	respond_json(r, 202, out);
	return 0;
}

int
handle_taskcenter_log_retry(struct request *r, struct fb_err *err)
{
	int64_t id = handler_path_id(r);
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

/* The platform members of body into in (with rotate for PUT); 422 with every problem. */
static int
platform_input(struct json_object *body, int create, struct tc_platform_in *in, int *rotate,
               struct fb_err *err)
{
	static const char *const allowed[] = {"name", "url", "secret", "enabled", "connect_timeout_ms",
	                                      "timeout_ms", "max_concurrency",
	                                      "notify_batch_finished", "rotate_secret", NULL};
	struct { const char *key; int64_t min, max; int *out; } ints[] = {
		{"connect_timeout_ms", 100, 60000, &in->connect_timeout_ms},
		{"timeout_ms", 100, 120000, &in->timeout_ms},
		{"max_concurrency", 1, 64, &in->max_concurrency},
	};
	struct { const char *key; int *out; } bools[] = {
		{"enabled", &in->enabled},
		{"notify_batch_finished", &in->notify_batch_finished},
		{"rotate_secret", rotate},
	};
	struct fb_err e = {0};
	size_t i;
	int bad = 0;

	memset(in, 0, sizeof(*in));
	in->enabled = in->notify_batch_finished = -1;
	in->connect_timeout_ms = in->timeout_ms = in->max_concurrency = -1;
	*rotate = 0;
	if (jsonh_only_keys(body, allowed, err) < 0)
		return -1;
	if (jsonh_get_str(body, "name", &in->name, &e) < 0 ||
	    (in->name != NULL && (strlen(in->name) == 0 || strlen(in->name) > 200))) {
		fb_err_detail(err, fb_err_detail_msg("name", "tc.name", NULL));
		bad = 1;
	}
	fb_err_clear(&e);
	if (jsonh_get_str(body, "url", &in->url, &e) < 0 ||
	    (in->url != NULL && ((strncmp(in->url, "http://", 7) != 0 &&
	                          strncmp(in->url, "https://", 8) != 0) || strlen(in->url) > 2000))) {
		fb_err_detail(err, fb_err_detail_msg("url", "tc.url", NULL));
		bad = 1;
	}
	fb_err_clear(&e);
	if (jsonh_get_str(body, "secret", &in->secret, &e) < 0 ||
	    (in->secret != NULL && (strlen(in->secret) < 16 || strlen(in->secret) > 200))) {
		fb_err_detail(err, fb_err_detail_msg("secret", "tc.secret", NULL));
		bad = 1;
	}
	fb_err_clear(&e);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		int64_t v;
		int got = jsonh_get_int(body, ints[i].key, ints[i].min, ints[i].max, &v, &e);

		if (got < 0) {
			fb_err_detail(err, fb_err_to_detail(ints[i].key, &e));
			bad = 1;
		} else if (got == 1) {
			*ints[i].out = (int)v;
		}
		fb_err_clear(&e);
	}
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		int v, got = jsonh_get_bool(body, bools[i].key, &v, &e);

		if (got < 0) {
			fb_err_detail(err, fb_err_detail_msg(bools[i].key, "tc.bool", NULL));
			bad = 1;
		} else if (got == 1) {
			*bools[i].out = v;
		}
		fb_err_clear(&e);
	}
	if (create && (in->name == NULL || in->url == NULL) && !bad) {
		fb_err_detail(err, fb_err_detail_msg(in->name == NULL ? "name" : "url", "tc.required", NULL));
		bad = 1;
	}
	if (bad) {
		fb_err_msg(err, FB_EVALIDATION, "tc.platform_invalid", NULL);
		return -1;
	}
	if (*rotate < 0)
		*rotate = 0;
	return 0;
}

int
handle_taskcenter_platforms(struct request *r, struct fb_err *err)
{
	struct json_object *items;
	struct db *db;

	if ((db = request_db(r, err)) == NULL || (items = taskcenter_platform_list(db, err)) == NULL)
		return -1;
	respond_json(r, 200, jsonh_list(items));
	return 0;
}

int
handle_taskcenter_platform_get(struct request *r, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;

	if ((db = request_db(r, err)) == NULL ||
	    (out = taskcenter_platform_get(db, handler_path_id(r), err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

/* Create (id 0) or update a platform from the request body and answer it. */
static int
platform_write(struct request *r, int64_t id, struct fb_err *err)
{
	struct tc_platform_in in;
	struct json_object *body, *out, *detail;
	char *secret = NULL, target[24];
	int rotate, create = id == 0, rc = -1;
	struct db *db;

	if ((db = request_db(r, err)) == NULL || (body = request_json(r, err)) == NULL ||
	    platform_input(body, create, &in, &rotate, err) < 0)
		return -1;
	if ((create && in.secret == NULL) || rotate) {
		unsigned char raw[32];

		fb_random_bytes(raw, sizeof(raw));
		secret = crypto_b64url_encode(raw, sizeof(raw));
		in.secret = secret;
	}
	if (taskcenter_platform_save(db, &id, &in, err) < 0)
		goto out;
	snprintf(target, sizeof(target), "%lld", (long long)id);
	detail = json_object_new_object();
	json_object_object_foreach(body, k, v) {
		if (strcmp(k, "secret") != 0)
			json_object_object_add(detail, k, json_object_get(v));
	}
	jsonh_add_bool(detail, "secret_changed", in.secret != NULL);
	rc = actionlog_add(db, r->user->id, create ? "taskcenter.platform.create" : "taskcenter.platform.update",
	                   "task_center_platform", target, detail, err);
	json_object_put(detail);
	if (rc < 0 || (out = taskcenter_platform_get(db, id, err)) == NULL) {
		rc = -1;
		goto out;
	}
	if (secret != NULL)
		jsonh_add_str(out, "secret", secret);
	log_info(create ? "task-center platform created" : "task-center platform changed", "request_id",
	         LOG_STR(r->request_id), "user", LOG_STR(r->user->login), "platform_id", LOG_INT(id), NULL);
	respond_json(r, create ? 201 : 200, out);
	rc = 0;
out:
	free(secret);
	return rc;
}

int
handle_taskcenter_platform_create(struct request *r, struct fb_err *err)
{
	return platform_write(r, 0, err);
}

int
handle_taskcenter_platform_put(struct request *r, struct fb_err *err)
{
	int64_t id = handler_path_id(r);

	if (id <= 0) {
		fb_err_msg(err, FB_ENOTFOUND, "tc.no_platform", NULL);
		return -1;
	}
	return platform_write(r, id, err);
}

int
handle_taskcenter_platform_delete(struct request *r, struct fb_err *err)
{
	int64_t id = handler_path_id(r);
	struct json_object *out;
	struct db *db;

	if ((db = request_db(r, err)) == NULL || taskcenter_platform_delete(db, id, err) < 0 ||
	    actionlog_add(db, r->user->id, "taskcenter.platform.delete", "task_center_platform",
	                  r->path_args[0], NULL, err) < 0)
		return -1;
	log_info("task-center platform deleted", "request_id", LOG_STR(r->request_id), "user",
	         LOG_STR(r->user->login), "platform_id", LOG_INT(id), NULL);
	out = json_object_new_object();
	jsonh_add_int(out, "deleted", id);
	respond_json(r, 200, out);
	return 0;
}

int
handle_taskcenter_platform_test(struct request *r, struct fb_err *err)
{
	static const char *const outcomes[] = {
		[WEBHOOK_DELIVERED] = "delivered", [WEBHOOK_REJECTED] = "rejected",
		[WEBHOOK_RETRY] = "retry"};
	int64_t id = handler_path_id(r);
	struct webhook_result res;
	struct json_object *out, *detail;
	char wid[64], text[WEBHOOK_ANSWER_MAX + 1];
	struct db *db;
	int rc;

	if ((db = request_db(r, err)) == NULL || taskcenter_platform_ping(db, id, wid, &res, err) < 0)
		return -1;
	detail = json_object_new_object();
	jsonh_add_str(detail, "webhook_id", wid);
	jsonh_add_str(detail, "outcome", outcomes[res.outcome]);
	jsonh_add_int(detail, "status", res.status);
	rc = actionlog_add(db, r->user->id, "taskcenter.platform.test", "task_center_platform",
	                   r->path_args[0], detail, err);
	json_object_put(detail);
	if (rc < 0)
		return -1;
	log_info("task-center platform tested", "request_id", LOG_STR(r->request_id), "user",
	         LOG_STR(r->user->login), "platform_id", LOG_INT(id), "outcome",
	         LOG_STR(outcomes[res.outcome]), "status", LOG_INT(res.status), NULL);
	out = json_object_new_object();
	jsonh_add_int(out, "platform_id", id);
	jsonh_add_str(out, "webhook_id", wid);
	jsonh_add_str(out, "outcome", outcomes[res.outcome]);
	if (res.status > 0)
		jsonh_add_int(out, "status", res.status);
	else
		jsonh_add_null(out, "status");
	jsonh_add_double(out, "seconds", res.seconds);
	utf8_clean(text, sizeof(text), res.answer);
	jsonh_add_str(out, "answer", text);
	utf8_clean(text, sizeof(text), res.reason);
	jsonh_add_str(out, "reason", text);
	if (res.retry_after_s >= 0)
		jsonh_add_int(out, "retry_after", res.retry_after_s);
	respond_json(r, 200, out);
	return 0;
}

int
handle_taskcenter_status(struct request *r, struct fb_err *err)
{
	struct json_object *items;
	struct db *db;

	if ((db = request_db(r, err)) == NULL || (items = taskcenter_status(db, err)) == NULL)
		return -1;
	respond_json(r, 200, jsonh_list(items));
	return 0;
}
