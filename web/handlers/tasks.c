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

int
tasks_filter_from_query(struct request *r, struct task_filter *f, struct fb_err *err)
{
	const char *v;
	size_t i;

	if (request_param_int(r, "node_id", 1, INT64_MAX, 0, &f->node_id, err) < 0 ||
	    request_param_int(r, "dept_id", 1, INT64_MAX, 0, &f->dept_id, err) < 0)
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
	return 0;
}

int
handle_batch_nodes(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {NULL};
	struct json_object *body;
	struct db *db;

	if (request_check_params(r, known, NULL, err) < 0)
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
	int64_t page, page_size;

	task_filter_init(f);
	arena_defer(r->arena, filter_free, f);
	if (request_check_params(r, known, "f.", err) < 0 ||
	    request_param_int(r, "page", 1, TASK_PAGE_MAX, 1, &page, err) < 0 ||
	    request_param_int(r, "page_size", 1, TASK_PAGE_SIZE_MAX, TASK_PAGE_SIZE_DEFAULT,
	                      &page_size, err) < 0 ||
	    tasks_filter_from_query(r, f, err) < 0)
		return -1;
	db = request_db(r, err);
	if (db == NULL)
		return -1;
	body = task_list(db, r->user->id, f, page, page_size, err);
	if (body == NULL)
		return -1;
	respond_json(r, 200, body);
	return 0;
}
