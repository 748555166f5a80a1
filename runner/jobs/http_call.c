/* SPDX-License-Identifier: MIT */
/*
 * http.call: a scheduled HTTP request.
 *
 * args: {"url", "method": "GET"|"POST" (default POST), "body" (POST only, a string),
 * "content_type" (default application/json)}.  The URL must still be on
 * scheduler.http_allow when the job runs (the list may have changed since the crontab was
 * saved).  The whole request is bounded by the crontab's job.timeout (default 30 s); no
 * redirects are followed, only http and https.  A 2xx answer is success; anything else,
 * or no answer, fails the run (and the crontab's retry policy applies).  The status and the
 * first HTTP_CALL_KEEP bytes of the answer go into the run's history row either way.
 *
 * The request is an http.h one (TLS verified, no redirects, http and https only); the rest
 * of a long answer is read and dropped (HTTP_REST_DROP) so that the status stays meaningful.
 *
 * Memory: the request and the answer text live for the call only.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab.h"
#include "crontab_fire.h"
#include "http.h"
#include "jobs.h"
#include "jsonh.h"
#include "mem.h"

#define HTTP_CALL_KEEP 2000            /* bytes of the answer kept */
#define HTTP_CALL_DEFAULT_TIMEOUT 30   /* seconds, when the crontab names none */

int
job_http_call(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	static const char *const allowed[] = {"url", "method", "body", "content_type", NULL};
	const char *url = NULL, *method = "POST", *body = "", *ctype = "application/json";
	struct http_req *req = NULL;
	struct http_answer ans;
	struct buf out = {0};
	int timeout = HTTP_CALL_DEFAULT_TIMEOUT, rc = -1;

	if (jsonh_only_keys(args, allowed, err) < 0 || jsonh_get_str(args, "url", &url, err) < 0 ||
	    jsonh_get_str(args, "method", &method, err) < 0 ||
	    jsonh_get_str(args, "body", &body, err) < 0 ||
	    jsonh_get_str(args, "content_type", &ctype, err) < 0)
		goto out;
	if (url == NULL || !crontab_http_allowed(ctx->cfg, url)) {
		fb_err_set(err, FB_EINVAL, "url %s is not on the allowlist (scheduler.http_allow)",
		           url != NULL ? url : "(none)");
		goto out;
	}
	if (crontab_run_timeout(ctx->db, ctx->job_id, &timeout, err) < 0)
		goto out;
	{
		const int post = strcmp(method, "POST") == 0;
		const struct http_opts o = {
			.url = url,
			.method = method,
			.body = post ? body : NULL,
			.user_agent = "flowbatch-scheduler/1",
			.timeout_ms = (long)timeout * 1000L,
			.keep = HTTP_CALL_KEEP,
			.rest = HTTP_REST_DROP,
		};

		/* http_req_new also refuses methods other than GET and POST. */
		if ((req = http_req_new(&o, err)) == NULL)
			goto out;
		if (post && (http_req_header(req, err, "Content-Type: %s", ctype) < 0 ||
		             http_req_header(req, err, "Accept: */*") < 0))
			goto out;
	}
	http_req_answer(req, http_req_perform(req), &ans);
	if (!ans.answered) {
		fb_err_set(err, FB_EIO, "%s %s: %s", method, url, ans.error);
		goto out;
	}
	buf_printf(&out, "HTTP %ld", ans.status);
	if (ans.len > 0) {
		buf_puts(&out, ": ");
		buf_add(&out, ans.body, ans.len);
		if (ans.cut)
			buf_puts(&out, " [cut]");
	}
	if (ans.status < 200 || ans.status > 299) {
		/* The answer becomes the run's error (the history row's content). */
		fb_err_set(err, FB_EIO, "%.500s", buf_cstr(&out));
		goto out;
	}
	if (crontab_run_output(ctx->db, ctx->job_id, buf_cstr(&out), err) < 0)
		goto out;
	rc = 0;
out:
	http_req_free(req);
	free(out.data);
	return rc;
}
