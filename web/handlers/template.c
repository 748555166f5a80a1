/* SPDX-License-Identifier: MIT */
/*
 * template: GET /api/batch/template — the Excel template of my pending tasks at one node,
 * as one workbook (mode=single) or a zip of one workbook per task (mode=multi).  Parses
 * the listing's selection parameters into a struct task_filter, selects the ids (scoped to
 * r->user), has the template model write the file to a private path under web.tmpdir and
 * streams it in 64 KiB chunks.  The filter, the node, the ids and the file are released
 * with the request's arena (the file is unlinked on every path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "handlers.h"
#include "jsonh.h"
#include "limiter.h"
#include "log.h"
#include "msg.h"
#include "node.h"
#include "task.h"
#include "template.h"

static void
filter_free(void *f)
{
	task_filter_free(f);
}

static void
node_put(void *n)
{
	node_free(n);
}

int
handle_batch_template(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"node_id", "keyword", "dept_id", "task_ids", "mode", NULL};
	struct task_filter *f = arena_alloc(r->arena, sizeof(*f));
	struct node_info *node;
	int64_t *ids = NULL;
	size_t n = 0, written = 0;
	const char *mode;
	struct db *db;
	char *path, *name, *cd;
	int multi, rc;

	task_filter_init(f);
	arena_defer(r->arena, filter_free, f);
	if (request_check_params(r, known, "f.", err) < 0 ||
	    request_limit(r, r->thread->excel, "excel", err) < 0)
		return -1;
	mode = request_param(r, "mode");
	if (mode == NULL || strcmp(mode, "single") == 0) {
		multi = 0;
	} else if (strcmp(mode, "multi") == 0) {
		multi = 1;
	} else {
		fb_err_msg(err, FB_EINVAL, "template.mode", NULL);
		fb_err_detail(err, fb_err_detail_msg("mode", "template.mode", NULL));
		return -1;
	}
	if (request_param(r, "node_id") == NULL) {
		fb_err_msg(err, FB_EINVAL, "template.node_required", NULL);
		fb_err_detail(err, fb_err_detail_msg("node_id", "param.required", NULL));
		return -1;
	}
	if (tasks_filter_from_query(r, f, err) < 0)
		return -1;
	db = request_db(r, err);
	if (db == NULL)
		return -1;
	if (task_filter_ids(db, r->user->id, f, multi ? TEMPLATE_MULTI_MAX : TEMPLATE_SINGLE_MAX,
	                    &ids, &n, err) < 0) {
		if (err->code == FB_ETOOBIG)
			fb_err_msg(err, FB_ETOOBIG, multi ? "template.selection_multi" : "template.selection",
			           msg_args("max", json_object_new_int(multi ? TEMPLATE_MULTI_MAX
			                                                     : TEMPLATE_SINGLE_MAX),
			                    NULL));
		return -1;
	}
	arena_defer(r->arena, free, ids);
	if (n == 0) {
		fb_err_msg(err, FB_ENOTFOUND, "template.no_match", NULL);
		return -1;
	}
	/* Only now: a node where the user has no task is the same 404 as one that does not
	 * exist. */
	node = node_load(db, f->node_id, err);
	if (node == NULL)
		return -1;
	arena_defer(r->arena, node_put, node);

	if ((path = request_tmpfile(r, "template", err)) == NULL)
		return -1;
	if (multi)
		rc = template_write_multi(db, r->cfg, node, r->user->id, ids, n, path, &written, err);
	else
		rc = template_write_single(db, r->cfg, node, r->user->id, ids, n, path, &written, err);
	if (rc < 0)
		return -1;
	log_info("template written", "request_id", LOG_STR(r->request_id), "node_id",
	         LOG_INT(node->id), "mode", LOG_STR(multi ? "multi" : "single"), "tasks",
	         LOG_INT(written), NULL);
	name = template_download_name(node, multi ? "zip" : "xlsx", time(NULL));
	cd = template_content_disposition(multi ? "template.zip" : "template.xlsx", name);
	rc = respond_file(r, path,
	                  multi ? "application/zip"
	                        : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	                  cd, err);
	free(cd);
	free(name);
	return rc;
}
