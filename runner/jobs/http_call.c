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
 * Memory: the transfer and the answer buffer live for the call only.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "crontab.h"
#include "crontab_fire.h"
#include "jobs.h"
#include "jsonh.h"
#include "mem.h"

#define HTTP_CALL_KEEP 2000            /* bytes of the answer kept */
#define HTTP_CALL_DEFAULT_TIMEOUT 30   /* seconds, when the crontab names none */

struct answer {
	char data[HTTP_CALL_KEEP + 1];
	size_t len;
	int cut;
};

/* Keep the first bytes; read (and drop) the rest so that the status stays meaningful. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb, room = HTTP_CALL_KEEP - a->len;

	if (n > room) {
		memcpy(a->data + a->len, data, room);
		a->len += room;
		a->cut = 1;
	} else {
		memcpy(a->data + a->len, data, n);
		a->len += n;
	}
	return n;
}

int
job_http_call(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	static const char *const allowed[] = {"url", "method", "body", "content_type", NULL};
	const char *url = NULL, *method = "POST", *body = "", *ctype = "application/json";
	struct curl_slist *headers = NULL;
	struct answer *ans = xcalloc(1, sizeof(*ans));
	char errbuf[CURL_ERROR_SIZE] = "", *ct_header = NULL;
	struct buf out = {0};
	int timeout = HTTP_CALL_DEFAULT_TIMEOUT, rc = -1;
	long status = 0;
	CURL *easy = NULL;
	CURLcode cc;

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
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
		fb_err_set(err, FB_EINVAL, "method must be GET or POST");
		goto out;
	}
	if (crontab_run_timeout(ctx->db, ctx->job_id, &timeout, err) < 0)
		goto out;
	if ((easy = curl_easy_init()) == NULL) {
		fb_err_set(err, FB_EINTERNAL, "libcurl: no handle");
		goto out;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)timeout * 1000L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "flowbatch-scheduler/1");
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	ct_header = xasprintf("Content-Type: %s", ctype);
	headers = curl_slist_append(headers, ct_header);
	headers = curl_slist_append(headers, "Accept: */*");
	if (headers == NULL) {
		fb_err_set(err, FB_EINTERNAL, "libcurl: no header list");
		goto out;
	}
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	cc = curl_easy_perform(easy);
	if (cc != CURLE_OK) {
		fb_err_set(err, FB_EIO, "%s %s: %s", method, url,
		           errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	buf_printf(&out, "HTTP %ld", status);
	if (ans->len > 0) {
		buf_puts(&out, ": ");
		buf_add(&out, ans->data, ans->len);
		if (ans->cut)
			buf_puts(&out, " [cut]");
	}
	if (status < 200 || status > 299) {
		/* The answer becomes the run's error (the history row's content). */
		fb_err_set(err, FB_EIO, "%.500s", buf_cstr(&out));
		goto out;
	}
	if (crontab_run_output(ctx->db, ctx->job_id, buf_cstr(&out), err) < 0)
		goto out;
	rc = 0;
out:
	if (easy != NULL)
		curl_easy_cleanup(easy);
	curl_slist_free_all(headers);
	free(ct_header);
	free(out.data);
	free(ans);
	return rc;
}
