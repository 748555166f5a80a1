/* SPDX-License-Identifier: MIT */
/*
 * process: bulk process operations — the sessions a monitor or admin may operate on,
 * submission, my operations, status, per-session results, cancel, retry, and session
 * backups with their restore.
 *
 * Handlers parse and bound the request, then call shared/procop.c and shared/backup.c.
 * An operation is published to the runner after its transaction commits; a lost publish
 * is found by the recovery scan, so the answer is 201 either way.  A submission with an
 * Idempotency-Key sent again gets the first answer; its fingerprint is the route and the
 * body as parsed.  Everything allocated lives in the request arena.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "backup.h"
#include "handlers.h"
#include "idem.h"
#include "jsonh.h"
#include "log.h"
#include "mem.h"
#include "msg.h"
#include "procop.h"
#include "work.h"

#define SESSION_IDS_QUERY_MAX 1000

static void
free_ptr(void *p)
{
	free(p);
}

/* "1,2,3" into an arena array of positive ids. */
static int
ids_csv(struct request *r, const char *name, const char *csv, int64_t **ids, size_t *n,
        struct fb_err *err)
{
	const char *p = csv;

	*ids = arena_alloc(r->arena, sizeof(**ids) * SESSION_IDS_QUERY_MAX);
	*n = 0;
	for (;;) {
		char *end;
		long long v;

		if (*n == SESSION_IDS_QUERY_MAX || *p < '0' || *p > '9')
			goto bad;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || v <= 0 || (*end != ',' && *end != '\0'))
			goto bad;
		(*ids)[(*n)++] = v;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
bad:
	fb_err_msg(err, FB_EINVAL, "proc.ids_query",
	           msg_args("name", json_object_new_string(name), "max",
	                    json_object_new_int(SESSION_IDS_QUERY_MAX), NULL));
	return -1;
}

int
handle_process_sessions(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"app_id", "app_version", "state", "creator", "dept_id",
	                                    "created_from", "created_to", "node_id", "keyword",
	                                    "session_ids", "page", "page_size", NULL};
	struct procop_filter f = {0};
	struct json_object *out;
	struct db *db;
	int64_t page, size, *ids = NULL;
	const char *v;

	if (request_check_params(r, known, NULL, err) < 0 || handler_paging(r, &page, &size, err) < 0 ||
	    request_param_int(r, "app_id", 1, INT64_MAX, 0, &f.app_id, err) < 0 ||
	    request_param_int(r, "app_version", 1, INT32_MAX, 0, &f.app_version, err) < 0 ||
	    request_param_int(r, "dept_id", 1, INT64_MAX, 0, &f.dept_id, err) < 0 ||
	    request_param_int(r, "node_id", 1, INT64_MAX, 0, &f.node_id, err) < 0)
		return -1;
	f.state = request_param(r, "state");
	f.creator = request_param(r, "creator");
	f.created_from = request_param(r, "created_from");
	f.created_to = request_param(r, "created_to");
	f.keyword = request_param(r, "keyword");
	if ((v = request_param(r, "session_ids")) != NULL) {
		if (ids_csv(r, "session_ids", v, &ids, &f.nsession_ids, err) < 0)
			return -1;
		f.session_ids = ids;
	}
	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (procop_sessions(db, r->user, &f, page, size, &out, err) < 0)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

/* The "filter" object of a submission. */
static int
filter_from_json(struct request *r, struct json_object *o, struct procop_filter *f,
                 struct fb_err *err)
{
	static const char *const keys[] = {"app_id", "app_version", "state", "creator", "dept_id",
	                                   "created_from", "created_to", "node_id", "keyword",
	                                   "session_ids", NULL};
	struct json_object *ids = NULL;
	int64_t *arr = NULL;

	if (jsonh_only_keys(o, keys, err) < 0 ||
	    jsonh_get_int(o, "app_id", 1, INT64_MAX, &f->app_id, err) < 0 ||
	    jsonh_get_int(o, "app_version", 1, INT32_MAX, &f->app_version, err) < 0 ||
	    jsonh_get_int(o, "dept_id", 1, INT64_MAX, &f->dept_id, err) < 0 ||
	    jsonh_get_int(o, "node_id", 1, INT64_MAX, &f->node_id, err) < 0 ||
	    jsonh_get_str(o, "state", &f->state, err) < 0 ||
	    jsonh_get_str(o, "creator", &f->creator, err) < 0 ||
	    jsonh_get_str(o, "created_from", &f->created_from, err) < 0 ||
	    jsonh_get_str(o, "created_to", &f->created_to, err) < 0 ||
	    jsonh_get_str(o, "keyword", &f->keyword, err) < 0 ||
	    jsonh_get_array(o, "session_ids", &ids, err) < 0)
		return -1;
	if (ids != NULL) {
		if (jsonh_id_array(ids, "filter.session_ids", (size_t)r->cfg->batch_max_tasks, &arr,
		                   &f->nsession_ids, err) < 0)
			return -1;
		arena_defer(r->arena, free_ptr, arr);
		f->session_ids = arr;
	}
	return 0;
}

static int
respond_created(struct request *r, const struct procop_created *made)
{
	struct fb_err perr = {0};
	struct queue *q;

	/* Published again when replayed: harmless (executors claim rows). */
	if ((q = request_queue(r, &perr)) == NULL || procop_publish(q, made->op_id, 0, &perr) < 0)
		log_warn("operation not published; recovery will start it", "op_id",
		         LOG_INT(made->op_id), "error", LOG_STR(perr.msg), NULL);
	fb_err_clear(&perr);
	log_info(made->replayed ? "process bulk operation replayed" : "process bulk operation submitted",
	         "request_id", LOG_STR(r->request_id), "op_id", LOG_INT(made->op_id), "total",
	         LOG_INT(made->total), "user", LOG_STR(r->user->login), NULL);
	respond_json_text(r, made->answer.status, made->answer.body);
	return 0;
}

int
handle_process_bulk_submit(struct request *r, struct fb_err *err)
{
	static const char *const keys[] = {"operation", "session_ids", "filter", "comment", NULL};
	struct procop_spec spec = {0};
	struct procop_filter f = {0};
	struct procop_created made;
	struct json_object *body, *ids = NULL, *filter = NULL;
	struct db *db;
	int64_t *arr = NULL;
	char fp[65];
	int rc;

	if (batch_idem_key(r, &spec.idem_key, err) < 0)
		return -1;
	if ((body = request_json(r, err)) == NULL || jsonh_only_keys(body, keys, err) < 0 ||
	    jsonh_get_str(body, "operation", &spec.operation, err) < 0 ||
	    jsonh_get_str(body, "comment", &spec.comment, err) < 0 ||
	    jsonh_get_array(body, "session_ids", &ids, err) < 0 ||
	    jsonh_get_obj(body, "filter", &filter, err) < 0)
		return -1;
	if ((ids == NULL) == (filter == NULL)) {
		fb_err_msg(err, FB_EINVAL, "proc.ids_or_filter", NULL);
		return -1;
	}
	if (ids != NULL) {
		/* One past the limit is read, so that the model answers 413 for it. */
		if (jsonh_id_array(ids, "session_ids", (size_t)r->cfg->batch_max_tasks + 1, &arr,
		                   &spec.nsession_ids, err) < 0)
			return -1;
		arena_defer(r->arena, free_ptr, arr);
		spec.session_ids = arr;
	} else {
		if (filter_from_json(r, filter, &f, err) < 0)
			return -1;
		spec.filter = &f;
	}
	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (spec.idem_key != NULL) {
		static const char route[] = "POST /api/process/bulk";
		const char *text = jsonh_str(body);

		idem_fingerprint((const void *[]){route, text},
		                 (const size_t[]){sizeof(route) - 1, strlen(text)}, 2, fp);
		spec.idem_request = fp;
		rc = procop_replay(db, r->user, spec.idem_key, fp, &made, err);
		if (rc != 0)
			return rc < 0 ? -1 : respond_created(r, &made);
	}
	if (procop_submit(db, r->cfg, r->user, &spec, &made, err) < 0)
		return -1;
	return respond_created(r, &made);
}

int
handle_process_bulk_list(struct request *r, struct fb_err *err)
{
	return work_list(r, procop_list, err);
}

int
handle_process_bulk_get(struct request *r, struct fb_err *err)
{
	return work_get(r, procop_status, err);
}

int
handle_process_bulk_items(struct request *r, struct fb_err *err)
{
	return work_items(r, procop_items, err);
}

int
handle_process_bulk_cancel(struct request *r, struct fb_err *err)
{
	return work_cancel(r, procop_cancel, "op_id", err);
}

/* process.bulk for operation id, as work.h publishes. */
static int
publish_retry(struct queue *q, int64_t id, struct fb_err *err)
{
	return procop_publish(q, id, 0, err);
}

int
handle_process_bulk_retry(struct request *r, struct fb_err *err)
{
	struct db *db;
	int64_t id = handler_path_id(r);
	int n;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (procop_retry_prepare(db, r->user, id, &n, err) < 0)
		return -1;
	return work_retried(r, "op_id", id, n, publish_retry);
}

int
handle_process_backups(struct request *r, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (backup_list(db, r->user, handler_path_id(r), &out, err) < 0)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_process_restore(struct request *r, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;
	int64_t id = handler_path_id(r), sid;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (backup_restore(db, r->user, id, &sid, err) < 0)
		return -1;
	log_info("session restored", "request_id", LOG_STR(r->request_id), "backup_id", LOG_INT(id),
	         "session_id", LOG_INT(sid), "user", LOG_STR(r->user->login), NULL);
	out = json_object_new_object();
	jsonh_add_int(out, "backup_id", id);
	jsonh_add_int(out, "session_id", sid);
	respond_json(r, 200, out);
	return 0;
}
