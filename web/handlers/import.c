/* SPDX-License-Identifier: MIT */
/*
 * import: batches from filled Excel templates, and the error workbook of a batch.
 *
 * POST /api/batch/import — multipart/form-data with the part "file" (a single-layout
 * .xlsx, or a .zip of multi-layout workbooks; a multi-layout workbook alone is a pack of
 * one) and optionally dry_run=1 and node_id (the node the user imports at: a template of
 * another node is refused), each as a query parameter or a form field.  The body is read
 * whole (web.max_body) and the file is read from memory: nothing touches the disk.
 * Rules, as the template tells its users:
 *   - columns are matched by header text against the template's signed meta, so they may
 *     be moved; headers the meta does not know (such as 错误原因) are ignored; a missing
 *     任务ID, 操作 or required writable column is an error;
 *   - a row whose 操作 is blank is not processed (skipped), whatever else it holds; a row
 *     with an action needs a task id that is one of the user's pending tasks at the node;
 *   - a blank writable cell leaves that field as it is; other cells are converted by the
 *     form schema and the row is checked merged over the session's current form, as the
 *     engine will execute it; 下一处理人 is required when approving into a 'choose' node;
 *   - any problem anywhere → 422 validation_failed listing every problem (row, column,
 *     field, message; "file" for a workbook of a zip), and nothing is created.
 * Answers: 201 {"batch_id","total"}; dry run 200 {"valid":true,"total":N}.  With an
 * Idempotency-Key header (idem.h), the same file sent again for the same node gets the
 * first answer before the file is checked again; a dry run records nothing.
 *
 * GET /api/batch/{id}/errors.xlsx — the failed items of one of the user's batches as a
 * workbook in the single template layout with a reason column, ready to fix and upload.
 * The temporary file is unlinked when the request's arena is freed, on every path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "batch.h"
#include "errbook.h"
#include "handlers.h"
#include "idem.h"
#include "import.h"
#include "jsonh.h"
#include "limiter.h"
#include "log.h"
#include "msg.h"
#include "multipart.h"
#include "template.h"

#define IMPORT_MAX_PARTS 8
/* The parsed parts of a request, released with its arena. */
struct parts_hold {
	struct multipart_part *parts;
	size_t n;
};

static void
parts_free(void *p)
{
	struct parts_hold *h = p;

	multipart_free(h->parts, h->n);
}

static void
result_free(void *p)
{
	import_result_free(p);
}

static int
truthy(const char *s, size_t n)
{
	return (n == 1 && s[0] == '1') || (n == 4 && strncasecmp(s, "true", 4) == 0) ||
	       (n == 3 && strncasecmp(s, "yes", 3) == 0);
}

int
handle_batch_import(struct request *r, struct fb_err *err)
{
	char boundary[MULTIPART_BOUNDARY_MAX + 1];
	struct multipart_part *parts = NULL;
	struct parts_hold *hold;
	const struct multipart_part *file, *dry, *nodep;
	struct import_result *res;
	struct batch_spec spec = {.source = "import"};
	struct batch_created made;
	struct json_object *out;
	struct db *db;
	const char *qdry, *key;
	size_t nparts = 0;
	int64_t node_id = 0;
	char *end, fp[65];
	int dry_run = 0;

	if (batch_idem_key(r, &key, err) < 0 ||
	    request_limit(r, r->thread->excel, "excel", err) < 0)
		return -1;
	if (r->content_type == NULL) {
		fb_err_msg(err, FB_EMEDIA, "import.multipart", NULL);
		return -1;
	}
	if (multipart_boundary(r->content_type, boundary, sizeof(boundary), err) < 0)
		return -1;
	if (request_read_body(r, err) < 0)
		return -1;
	if (multipart_parse(r->body, r->body_len, boundary, &parts, &nparts, IMPORT_MAX_PARTS,
	                    err) < 0)
		return -1;
	hold = arena_alloc(r->arena, sizeof(*hold));
	hold->parts = parts;
	hold->n = nparts;
	arena_defer(r->arena, parts_free, hold);
	file = multipart_find(parts, nparts, "file");
	if (file == NULL) {
		fb_err_msg(err, FB_EINVAL, "import.no_file", NULL);
		fb_err_detail(err, fb_err_detail_msg("file", "param.required", NULL));
		return -1;
	}
	qdry = request_param(r, "dry_run");
	dry = multipart_find(parts, nparts, "dry_run");
	if ((qdry != NULL && truthy(qdry, strlen(qdry))) || (dry != NULL && truthy(dry->data, dry->len)))
		dry_run = 1;
	nodep = multipart_find(parts, nparts, "node_id");
	if (nodep != NULL) {
		char tmp[24];

		if (nodep->len == 0 || nodep->len >= sizeof(tmp)) {
			fb_err_msg(err, FB_EINVAL, "import.node_id", NULL);
			return -1;
		}
		memcpy(tmp, nodep->data, nodep->len);
		tmp[nodep->len] = '\0';
		node_id = strtoll(tmp, &end, 10);
		if (*end != '\0' || node_id < 1) {
			fb_err_msg(err, FB_EINVAL, "import.node_id", NULL);
			return -1;
		}
	} else if (request_param_int(r, "node_id", 1, INT64_MAX, 0, &node_id, err) < 0) {
		return -1;
	}
	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (key != NULL && !dry_run) {
		static const char route[] = "POST /api/batch/import";
		char node[24];
		int got;

		snprintf(node, sizeof(node), "%lld", (long long)node_id);
		idem_fingerprint((const void *[]){route, node, file->data},
		                 (const size_t[]){sizeof(route) - 1, strlen(node), file->len}, 3, fp);
		spec.idem_key = key;
		spec.idem_request = fp;
		got = batch_replay(db, r->user, key, fp, &made, err);
		if (got != 0)
			return got < 0 ? -1 : batch_respond_created(r, &made, "batch import replayed");
	}
	res = arena_alloc(r->arena, sizeof(*res));
	memset(res, 0, sizeof(*res));
	arena_defer(r->arena, result_free, res);
	if (import_load(db, r->cfg, r->user, node_id, dry_run, file->data, file->len, res, err) < 0) {
		log_info("import rejected", "request_id", LOG_STR(r->request_id), "user",
		         LOG_STR(r->user->login), "error", LOG_STR(err->msg), NULL);
		return -1;
	}
	log_info("import checked", "request_id", LOG_STR(r->request_id), "rows", LOG_INT(res->n),
	         "read_ms", LOG_INT(res->read_ms), "check_ms", LOG_INT(res->check_ms), "tasks_ms",
	         LOG_INT(res->tasks_ms), NULL);
	if (dry_run) {
		out = json_object_new_object();
		jsonh_add_bool(out, "valid", 1);
		jsonh_add_int(out, "total", (int64_t)res->n);
		respond_json(r, 200, out);
		return 0;
	}
	spec.node_id = res->node_id;
	spec.task_ids = res->task_ids;
	spec.ntasks = res->n;
	spec.is_single = res->is_single;
	spec.row_data = res->row_data;
	spec.row_no = res->row_no;
	if (batch_submit(db, r->cfg, r->user, &spec, &made, err) < 0)
		return -1;
	return batch_respond_created(r, &made, made.replayed ? "batch import replayed"
	                                                     : "batch imported");
}

int
handle_batch_errors(struct request *r, struct fb_err *err)
{
	int64_t id = strtoll(r->path_args[0], NULL, 10);
	struct db *db;
	char *path, *cd, *name;
	size_t rows = 0;
	int rc;

	if (request_limit(r, r->thread->excel, "excel", err) < 0)
		return -1;
	if ((db = request_db(r, err)) == NULL || (path = request_tmpfile(r, "errors", err)) == NULL)
		return -1;
	if (errbook_write(db, r->cfg, r->user, id, r->lang, path, &rows, err) < 0)
		return -1;
	log_info("error workbook written", "request_id", LOG_STR(r->request_id), "batch_id",
	         LOG_INT(id), "rows", LOG_INT(rows), NULL);
	name = arena_printf(r->arena, "batch-%lld-errors.xlsx", (long long)id);
	cd = template_content_disposition(name, name);
	rc = respond_file(r, path,
	                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", cd, err);
	free(cd);
	return rc;
}
