/* SPDX-License-Identifier: MIT */
/*
 * batch: the batch resource — submit, list, status, details, retry, cancel.
 *
 * Handlers parse and bound the request, then call shared/batch.c.  A batch is published
 * to the runner after its transaction commits; if that publish is lost, the recovery scan
 * finds the batch still 'init' and publishes it again, so the answer is 201 either way.
 * A submission with an Idempotency-Key sent again gets the first answer (idem.h); its
 * fingerprint is the route and the body as parsed, so that spacing does not matter.
 */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "batch.h"
#include "handlers.h"
#include "idem.h"
#include "jsonh.h"
#include "log.h"
#include "task.h"
#include "taskcenter.h"
#include "msg.h"
#include "work.h"

static void
free_ptr(void *p)
{
	free(p);
}

static int
parse_examine(struct json_object *body, struct batch_spec *spec, struct fb_err *err)
{
	static const char *const keys[] = {"action", "comment", NULL};
	struct json_object *ex = NULL;
	const char *action = NULL;

	if (jsonh_get_obj(body, "examine", &ex, err) <= 0) {
		if (err->code == FB_OK)
			fb_err_msg(err, FB_EINVAL, "batch.examine_required", NULL);
		return -1;
	}
	if (jsonh_only_keys(ex, keys, err) < 0 || jsonh_get_str(ex, "action", &action, err) < 0 ||
	    jsonh_get_str(ex, "comment", &spec->comment, err) < 0)
		return -1;
	if (action == NULL || (strcmp(action, "approve") != 0 && strcmp(action, "reject") != 0)) {
		fb_err_msg(err, FB_EINVAL, "batch.action", NULL);
		return -1;
	}
	spec->reject = strcmp(action, "reject") == 0;
	return 0;
}

int
handle_batch_submit(struct request *r, struct fb_err *err)
{
	static const char *const keys[] = {"node_id", "task_ids", "filter", "examine", "form",
	                                   "assignee", NULL};
	struct batch_spec spec = {.source = "web"};
	struct json_object *body, *ids = NULL, *filter = NULL, *assignee = NULL;
	struct batch_created made;
	struct task_filter f;
	struct db *db;
	int64_t *task_ids = NULL;
	size_t n = 0;
	char fp[65];
	int rc;

	if (batch_idem_key(r, &spec.idem_key, err) < 0)
		return -1;
	if ((body = request_json(r, err)) == NULL)
		return -1;
	if (jsonh_only_keys(body, keys, err) < 0)
		return -1;
	if (jsonh_get_int(body, "node_id", 1, INT64_MAX, &spec.node_id, err) <= 0) {
		if (err->code == FB_OK)
			fb_err_msg(err, FB_EINVAL, "batch.node_required", NULL);
		return -1;
	}
	if (parse_examine(body, &spec, err) < 0 || jsonh_get_obj(body, "form", &spec.form, err) < 0 ||
	    jsonh_get_array(body, "task_ids", &ids, err) < 0 ||
	    jsonh_get_obj(body, "filter", &filter, err) < 0 ||
	    jsonh_get_obj(body, "assignee", &assignee, err) < 0)
		return -1;
	if (assignee != NULL) {
		static const char *const akeys[] = {"user", NULL};

		if (jsonh_only_keys(assignee, akeys, err) < 0 ||
		    jsonh_get_str(assignee, "user", &spec.assignee, err) < 0)
			return -1;
	}
	if ((ids == NULL) == (filter == NULL)) {
		fb_err_msg(err, FB_EINVAL, "batch.ids_or_filter", NULL);
		return -1;
	}
	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (spec.idem_key != NULL) {
		static const char route[] = "POST /api/batch";
		const char *text = jsonh_str(body);

		idem_fingerprint((const void *[]){route, text},
		                 (const size_t[]){sizeof(route) - 1, strlen(text)}, 2, fp);
		spec.idem_request = fp;
		/* Sent again: the first answer, before the selection is resolved anew. */
		rc = batch_replay(db, r->user, spec.idem_key, fp, &made, err);
		if (rc != 0)
			return rc < 0 ? -1 : batch_respond_created(r, &made, "batch submission replayed");
	}
	if (ids != NULL) {
		if (jsonh_id_array(ids, "task_ids", (size_t)r->cfg->batch_max_tasks, &task_ids, &n,
		                   err) < 0)
			return -1;
	} else {
		task_filter_init(&f);
		rc = task_filter_from_json(&f, "filter", filter, err);
		if (rc == 0 && f.node_id != 0 && f.node_id != spec.node_id) {
			fb_err_msg(err, FB_EINVAL, "batch.filter_node", NULL);
			rc = -1;
		}
		f.node_id = spec.node_id;
		if (rc == 0)
			rc = task_filter_ids(db, r->user->id, &f, (size_t)r->cfg->batch_max_tasks,
			                     &task_ids, &n, err);
		task_filter_free(&f);
		if (rc < 0)
			return -1;
	}
	arena_defer(r->arena, free_ptr, task_ids);
	spec.task_ids = task_ids;
	spec.ntasks = n;
	if (batch_submit(db, r->cfg, r->user, &spec, &made, err) < 0)
		return -1;
	return batch_respond_created(r, &made, made.replayed ? "batch submission replayed"
	                                                     : "batch submitted");
}

int
batch_idem_key(struct request *r, const char **key, struct fb_err *err)
{
	*key = request_env(r, "HTTP_IDEMPOTENCY_KEY");
	return *key == NULL ? 0 : idem_key_check(*key, err);
}

int
batch_respond_created(struct request *r, const struct batch_created *made, const char *what)
{
	struct fb_err perr = {0};
	struct queue *q;

	/*
	 * Published again when replayed: harmless (executors claim items), and the first
	 * publish may never have happened if that request lost its COMMIT's answer.
	 */
	if ((q = request_queue(r, &perr)) == NULL ||
	    batch_publish(q, "batch.execute", made->batch_id, &perr) < 0)
		log_warn("batch not published; recovery will start it", "batch_id",
		         LOG_INT(made->batch_id), "error", LOG_STR(perr.msg), NULL);
	fb_err_clear(&perr);
	log_info(what, "request_id", LOG_STR(r->request_id), "batch_id", LOG_INT(made->batch_id),
	         "total", LOG_INT(made->total), "replayed", LOG_INT(made->replayed), "user",
	         LOG_STR(r->user->login), NULL);
	respond_json_text(r, made->answer.status, made->answer.body);
	return 0;
}

int
handle_batch_list(struct request *r, struct fb_err *err)
{
	return work_list(r, batch_list, err);
}

int
handle_batch_get(struct request *r, struct fb_err *err)
{
	return work_get(r, batch_status, err);
}

int
handle_batch_details(struct request *r, struct fb_err *err)
{
	return work_items(r, batch_details, err);
}

/* batch.retry for batch id, as work.h publishes. */
static int
publish_retry(struct queue *q, int64_t id, struct fb_err *err)
{
	return batch_publish(q, "batch.retry", id, err);
}

int
handle_batch_retry(struct request *r, struct fb_err *err)
{
	static const char *const keys[] = {"task_ids", NULL};
	struct json_object *body = NULL, *ids = NULL;
	struct db *db;
	int64_t *task_ids = NULL, id = handler_path_id(r);
	size_t n = 0;
	int count;

	/* The body is optional: no body retries every failed item. */
	if (r->content_length > 0) {
		if ((body = request_json(r, err)) == NULL || jsonh_only_keys(body, keys, err) < 0 ||
		    jsonh_get_array(body, "task_ids", &ids, err) < 0)
			return -1;
		if (ids != NULL) {
			if (jsonh_id_array(ids, "task_ids", 100000, &task_ids, &n, err) < 0)
				return -1;
			arena_defer(r->arena, free_ptr, task_ids);
		}
	}
	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (batch_retry_prepare(db, r->user, id, task_ids, n, &count, err) < 0)
		return -1;
	return work_retried(r, "batch_id", id, count, publish_retry);
}

void
handler_publish_push(struct request *r)
{
	struct fb_err err = {0};
	struct queue *q;

	if ((q = request_queue(r, &err)) == NULL || taskcenter_publish(q, &err) < 0)
		log_warn("taskcenter.push not published", "request_id", LOG_STR(r->request_id),
		         "error", LOG_STR(err.msg), NULL);
	fb_err_clear(&err);
}

int
handle_batch_cancel(struct request *r, struct fb_err *err)
{
	return work_cancel(r, batch_cancel, "batch_id", err);
}
