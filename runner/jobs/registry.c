/* SPDX-License-Identifier: MIT */
/*
 * registry: the table of job types, the parsing of job messages off the queue, and the
 * cooperative cancel check of scheduled runs.
 *
 * To add a job type: write runner/jobs/<name>.c with its handler, declare the handler in
 * jobs.h, and add one line to the table below.  The table is static and read-only.  A
 * parsed struct job_msg owns its args object.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab_fire.h"
#include "jobs.h"
#include "jsonh.h"

static const struct job_type job_types[] = {
	{"noop", job_noop, QUEUE_COMMON},
	{"batch.execute", job_batch_execute, QUEUE_HIGH},
	{"batch.retry", job_batch_retry, QUEUE_COMMON},
	{"batch.recover", job_batch_recover, QUEUE_LOW},
	{"process.bulk", job_process_bulk, QUEUE_HIGH},
	{"taskcenter.push", job_taskcenter_push, QUEUE_COMMON},
	{"taskcenter.retry", job_taskcenter_retry, QUEUE_LOW},
	{"crontab.purge", job_crontab_purge, QUEUE_LOW},
	{"task.timeout", job_task_timeout, QUEUE_LOW},
	{"alert.evaluate", job_alert_evaluate, QUEUE_LOW},
	{"http.call", job_http_call, QUEUE_COMMON},
};

#define NTYPES ((int)(sizeof(job_types) / sizeof(job_types[0])))

const struct job_type *
jobs_find(const char *type)
{
	int i;

	if (type == NULL)
		return NULL;
	for (i = 0; i < NTYPES; i++)
		if (strcmp(job_types[i].name, type) == 0)
			return &job_types[i];
	return NULL;
}

const struct job_type *
jobs_all(int *n)
{
	*n = NTYPES;
	return job_types;
}

int
jobs_cancel_requested(struct job_ctx *ctx)
{
	struct fb_err err = {0};
	int rc;

	if (ctx->job_id == NULL || strncmp(ctx->job_id, "cron-", 5) != 0)
		return 0;
	if ((rc = crontab_run_cancelled(ctx->db, ctx->job_id, &err)) < 0) {
		fb_err_clear(&err);
		return 0;
	}
	return rc;
}

/* A printable identifier: 1..64 bytes of letters, digits and ._:- */
static int
ident_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

/*
 * "YYYY-MM-DDTHH:MM:SS[.f{1,6}]Z", the form queue_publish writes: safe to hand to
 * PostgreSQL as a timestamptz.
 */
static int
when_ok(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t i, n = strlen(s), f;

	if (n < sizeof(form) || n > sizeof(form) + 7 || s[n - 1] != 'Z')
		return 0;
	for (i = 0; i + 1 < sizeof(form); i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
			return 0;
	if (i == n - 1)
		return 1;
	if (s[i++] != '.')
		return 0;
	for (f = 0; i < n - 1; i++, f++)
		if (!(s[i] >= '0' && s[i] <= '9'))
			return 0;
	return f >= 1 && f <= 6;
}

int
jobs_parse_msg(const char *text, size_t len, struct job_msg *msg, struct fb_err *err)
{
	struct json_object *root = NULL, *args = NULL;
	const char *id = NULL, *type = NULL, *when = NULL;
	int64_t attempt = 1;

	memset(msg, 0, sizeof(*msg));
	if (len > JOBS_MAX_MSG) {
		fb_err_set(err, FB_EINVAL, "job message too large (%zu bytes)", len);
		return -1;
	}
	if ((root = jsonh_parse(text, len, err)) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		fb_err_set(err, FB_EINVAL, "job message is not a JSON object");
		goto fail;
	}
	if (jsonh_get_str(root, "id", &id, err) != 1 || !ident_ok(id)) {
		fb_err_set(err, FB_EINVAL, "job message: \"id\" missing or malformed");
		goto fail;
	}
	if (jsonh_get_str(root, "type", &type, err) != 1 || !ident_ok(type)) {
		fb_err_set(err, FB_EINVAL, "job message: \"type\" missing or malformed");
		goto fail;
	}
	if (jsonh_get_obj(root, "args", &args, err) < 0 ||
	    jsonh_get_int(root, "attempt", 1, 1000000, &attempt, err) < 0 ||
	    jsonh_get_str(root, "enqueued_at", &when, err) < 0)
		goto fail;
	snprintf(msg->id, sizeof(msg->id), "%s", id);
	snprintf(msg->type, sizeof(msg->type), "%s", type);
	if (when != NULL && when_ok(when))
		snprintf(msg->enqueued_at, sizeof(msg->enqueued_at), "%s", when);
	msg->attempt = (int)attempt;
	msg->args = args != NULL ? json_object_get(args) : json_object_new_object();
	json_object_put(root);
	return 0;
fail:
	json_object_put(root);
	return -1;
}

void
job_msg_clear(struct job_msg *msg)
{
	if (msg->args != NULL)
		json_object_put(msg->args);
	memset(msg, 0, sizeof(*msg));
}
