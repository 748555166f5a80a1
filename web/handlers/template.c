/* SPDX-License-Identifier: MIT */
/*
 * template: GET /api/batch/template — the Excel template of my pending tasks at one node,
 * as one workbook (mode=single) or a zip of one workbook per task (mode=multi).  Parses
 * the listing's selection parameters into a struct task_filter, selects the ids (scoped to
 * r->user), has the template model write the file to a private path under web.tmpdir and
 * streams it in 64 KiB chunks.  The filter, the node, the ids and the file are released
 * with the request's arena (the file is unlinked on every path).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "handlers.h"
#include "jsonh.h"
#include "log.h"
#include "node.h"
#include "task.h"
#include "template.h"

#define CHUNK 65536

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

static void
path_unlink(void *path)
{
	unlink(path);
}

/* Reject unknown parameters (f.<field> aside) and parameters given twice, naming them. */
static int
check_params(struct request *r, const char *const *known, struct fb_err *err)
{
	size_t i, j;

	for (i = 0; i < r->nparams; i++) {
		const char *key = r->params[i].key;
		const char *const *k;

		for (k = known; *k != NULL; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k == NULL && strncmp(key, "f.", 2) != 0) {
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

/* Send the file at path; 0 once answered (a client that left is only logged). */
static int
stream_file(struct request *r, const char *path, const char *content_type, const char *name,
            const char *fallback, struct fb_err *err)
{
	const char *hdr[5];
	char *cd, *buf;
	struct stat st;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fb_err_set(err, FB_EIO, "cannot read the template %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	cd = template_content_disposition(fallback, name);
	hdr[0] = arena_printf(r->arena, "Content-Type: %s", content_type);
	hdr[1] = arena_printf(r->arena, "Content-Disposition: %s", cd);
	hdr[2] = arena_printf(r->arena, "Content-Length: %lld", (long long)st.st_size);
	hdr[3] = "Cache-Control: no-store";
	hdr[4] = "X-Content-Type-Options: nosniff";
	free(cd);
	buf = arena_alloc(r->arena, CHUNK);
	if (respond_start(r, 200, hdr, 5) < 0)
		goto left;
	while ((got = read(fd, buf, CHUNK)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			log_error("template read failed", "request_id", LOG_STR(r->request_id), "error",
			          LOG_STR(strerror(errno)), NULL);
			break;
		}
		if (respond_write(r, buf, (size_t)got) < 0)
			goto left;
	}
	close(fd);
	return 0;
left:
	log_info("template download abandoned by the client", "request_id", LOG_STR(r->request_id),
	         "bytes", LOG_INT(r->bytes_out), NULL);
	close(fd);
	return 0;
}

int
handle_batch_template(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"node_id", "keyword", "dept_id", "task_ids", "mode", NULL};
	struct task_filter *f = arena_alloc(r->arena, sizeof(*f));
	struct node_info *node;
	int64_t *ids = NULL;
	size_t n = 0, written = 0, i;
	const char *v, *mode;
	struct db *db;
	char *path, *name;
	int multi, fd, rc;

	task_filter_init(f);
	arena_defer(r->arena, filter_free, f);
	if (check_params(r, known, err) < 0)
		return -1;
	mode = request_param(r, "mode");
	if (mode == NULL || strcmp(mode, "single") == 0) {
		multi = 0;
	} else if (strcmp(mode, "multi") == 0) {
		multi = 1;
	} else {
		fb_err_set(err, FB_EINVAL, "mode must be \"single\" or \"multi\"");
		fb_err_detail(err, jsonh_detail("mode", "must be single or multi"));
		return -1;
	}
	if (request_param(r, "node_id") == NULL) {
		fb_err_set(err, FB_EINVAL, "node_id is required");
		fb_err_detail(err, jsonh_detail("node_id", "required"));
		return -1;
	}
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
	db = request_db(r, err);
	if (db == NULL)
		return -1;
	node = node_load(db, f->node_id, err);
	if (node == NULL)
		return -1;
	arena_defer(r->arena, node_put, node);
	if (task_filter_ids(db, r->user->id, f, multi ? TEMPLATE_MULTI_MAX : TEMPLATE_SINGLE_MAX,
	                    &ids, &n, err) < 0) {
		if (err->code == FB_ETOOBIG)
			fb_err_set(err, FB_ETOOBIG,
			           "the selection matches more than %d tasks: narrow it down%s",
			           multi ? TEMPLATE_MULTI_MAX : TEMPLATE_SINGLE_MAX,
			           multi ? " or use mode=single" : "");
		return -1;
	}
	arena_defer(r->arena, free, ids);
	if (n == 0) {
		fb_err_set(err, FB_ENOTFOUND, "no pending task of yours at this node matches");
		return -1;
	}

	path = arena_printf(r->arena, "%s/fb-template-%s-XXXXXX", r->cfg->web_tmpdir, r->request_id);
	fd = mkstemp(path);
	if (fd < 0) {
		fb_err_set(err, FB_EIO, "cannot create a file in %s: %s", r->cfg->web_tmpdir,
		           strerror(errno));
		return -1;
	}
	close(fd);
	arena_defer(r->arena, path_unlink, path);
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
	rc = stream_file(r, path,
	                 multi ? "application/zip"
	                       : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	                 name, multi ? "template.zip" : "template.xlsx", err);
	free(name);
	return rc;
}
