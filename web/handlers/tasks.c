/* SPDX-License-Identifier: MIT */
/*
 * tasks: the batch console's listing — GET /api/batch/nodes (where I have pending tasks)
 * and GET /api/batch/tasks (my pending tasks, filtered and paged).  Parses and checks the
 * query string into a struct task_filter (freed with the request's arena) and asks the
 * task model; the identity is r->user, never a parameter.
 */
#include <string.h>
#include <json-c/json.h>

#include "handlers.h"
#include "jsonh.h"
#include "task.h"

static void
filter_free(void *f)
{
	task_filter_free(f);
}

/* Reject unknown parameters and parameters given twice, naming them. */
static int
check_params(struct request *r, const char *const *known, int allow_fields, struct fb_err *err)
{
	size_t i, j;

	for (i = 0; i < r->nparams; i++) {
		const char *key = r->params[i].key;
		const char *const *k;

		for (k = known; *k != NULL; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k == NULL && !(allow_fields && strncmp(key, "f.", 2) == 0)) {
			fb_err_set(err, FB_EINVAL, "unknown parameter \"%.64s\"", key);
			fb_err_detail(err, jsonh_detail(key, "unknown parameter"));
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(r->params[j].key, key) == 0) {
				fb_err_set(err, FB_EINVAL, "parameter \"%.64s\" is given more than once", key);
				fb_err_detail(err, jsonh_detail(key, "given more than once"));
				return -1;
			}
		}
	}
	return 0;
}

int
handle_batch_nodes(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {NULL};
	struct json_object *body;
	struct db *db;

	if (check_params(r, known, 0, err) < 0)
		return -1;
	db = request_db(r, err);
	if (db == NULL)
		return -1;
	body = task_list_nodes(db, r->user->id, err);
	if (body == NULL)
		return -1;
	respond_json(r, 200, body);
	return 0;
}

int
handle_batch_tasks(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"node_id", "keyword",   "dept_id", "task_ids",
	                                    "page",    "page_size", NULL};
	struct task_filter *f = arena_alloc(r->arena, sizeof(*f));
	struct json_object *body;
	struct db *db;
	const char *v;
	int64_t page, page_size;
	size_t i;

	task_filter_init(f);
	arena_defer(r->arena, filter_free, f);
	if (check_params(r, known, 1, err) < 0 ||
	    request_param_int(r, "node_id", 1, INT64_MAX, 0, &f->node_id, err) < 0 ||
	    request_param_int(r, "dept_id", 1, INT64_MAX, 0, &f->dept_id, err) < 0 ||
	    request_param_int(r, "page", 1, TASK_PAGE_MAX, 1, &page, err) < 0 ||
	    request_param_int(r, "page_size", 1, TASK_PAGE_SIZE_MAX, TASK_PAGE_SIZE_DEFAULT,
	                      &page_size, err) < 0)
		return -1;
	if ((v = request_param(r, "keyword")) != NULL &&
	    task_filter_set_keyword(f, "keyword", v, err) < 0)
		return -1;
	if ((v = request_param(r, "task_ids")) != NULL &&
	    task_filter_set_ids_csv(f, "task_ids", v, err) < 0)
		return -1;
	for (i = 0; i < r->nparams; i++) {
		const char *key = r->params[i].key;

		if (strncmp(key, "f.", 2) == 0 &&
		    task_filter_add_field(f, key, key + 2, r->params[i].value, 0, err) < 0)
			return -1;
	}
	db = request_db(r, err);
	if (db == NULL)
		return -1;
	body = task_list(db, r->user->id, f, page, page_size, err);
	if (body == NULL)
		return -1;
	respond_json(r, 200, body);
	return 0;
}
