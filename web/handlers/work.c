/* SPDX-License-Identifier: MIT */
/*
 * work: the handlers' part that batches and bulk process operations share (see work.h).
 * The answers are new JSON objects handed to respond_json.
 */
#include <json-c/json.h>

#include "handlers.h"
#include "jsonh.h"
#include "log.h"
#include "work.h"

int
work_list(struct request *r, work_list_fn list, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;
	int64_t page, size;

	if (handler_paging(r, &page, &size, err) < 0 || (db = request_db(r, err)) == NULL)
		return -1;
	if (list(db, r->user, request_param(r, "status"), page, size, &out, err) < 0)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
work_get(struct request *r, work_get_fn get, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (get(db, r->user, handler_path_id(r), &out, err) < 0)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
work_items(struct request *r, work_items_fn items, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;
	int64_t page, size;

	if (handler_paging(r, &page, &size, err) < 0 || (db = request_db(r, err)) == NULL)
		return -1;
	if (items(db, r->user, handler_path_id(r), request_param(r, "status"), page, size, r->lang,
	          &out, err) < 0)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
work_cancel(struct request *r, work_act_fn cancel, const char *id_field, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;
	int64_t id = handler_path_id(r);
	int n;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (cancel(db, r->user, id, &n, err) < 0)
		return -1;
	handler_publish_push(r);
	out = json_object_new_object();
	jsonh_add_int(out, id_field, id);
	jsonh_add_int(out, "cancelled", n);
	respond_json(r, 202, out);
	return 0;
}

int
work_retried(struct request *r, const char *id_field, int64_t id, int n, work_publish_fn publish)
{
	struct json_object *out;
	struct fb_err perr = {0};
	struct queue *q;

	if (n > 0 && ((q = request_queue(r, &perr)) == NULL || publish(q, id, &perr) < 0))
		log_warn("retry not published; recovery will resume it", id_field, LOG_INT(id),
		         "error", LOG_STR(perr.msg), NULL);
	fb_err_clear(&perr);
	out = json_object_new_object();
	jsonh_add_int(out, id_field, id);
	jsonh_add_int(out, "retrying", n);
	respond_json(r, 202, out);
	return 0;
}
