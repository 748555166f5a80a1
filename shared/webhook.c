/* SPDX-License-Identifier: MIT */
/*
 * webhook: outbound signed webhook requests (see webhook.h): the Standard Webhooks headers
 * and signature of one request, and the classification of the answer that every sender
 * shares.  The request itself (TLS, redirects, protocols, timeouts, the answer read that
 * stops after WEBHOOK_ANSWER_MAX bytes, Retry-After) is http.c's.
 *
 * Memory: a struct webhook_req owns its http request; webhook_req_free releases it.
 * webhook_post holds one for the call only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "http.h"
#include "mem.h"
#include "webhook.h"

struct webhook_req {
	struct http_req *http;
};

/* snprintf whose output may be cut to n bytes on purpose. */
static void FB_PRINTF(3, 4)
cut_printf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, n, fmt, ap);
	va_end(ap);
}

char *
webhook_signature(const char *secret, const char *id, long long ts, const char *body)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	struct buf content = {0};
	char *b64, *sig;

	buf_printf(&content, "%s.%lld.", id, ts);
	buf_puts(&content, body);
	crypto_hmac_sha256(secret, strlen(secret), content.data, content.len, mac);
	b64 = crypto_b64_encode(mac, sizeof(mac));
	sig = xasprintf("v1,%s", b64);
	free(b64);
	free(content.data);
	return sig;
}

void
webhook_req_free(struct webhook_req *q)
{
	if (q == NULL)
		return;
	http_req_free(q->http);
	free(q);
}

struct webhook_req *
webhook_req_new(const struct webhook_target *t, const char *id, const char *body,
                struct fb_err *err)
{
	const struct http_opts o = {
		.url = t->url,
		.method = "POST",
		.body = body,
		.user_agent = "flowbatch-webhook/1",
		.connect_timeout_ms = t->connect_timeout_ms,
		.timeout_ms = t->timeout_ms,
		.keep = WEBHOOK_ANSWER_MAX,
		.rest = HTTP_REST_STOP,
	};
	struct webhook_req *q;
	long long ts = (long long)time(NULL);
	char *sig = NULL;

	if (id == NULL || strlen(id) > 200 || strpbrk(id, "\r\n") != NULL) {
		fb_err_set(err, FB_EINVAL, "a webhook id must be one line of at most 200 bytes");
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	if ((q->http = http_req_new(&o, err)) == NULL)
		goto fail;
	if (t->secret != NULL && t->secret[0] != '\0')
		sig = webhook_signature(t->secret, id, ts, body);
	if (http_req_header(q->http, err, "Content-Type: application/json") < 0 ||
	    http_req_header(q->http, err, "Expect:") < 0 ||
	    http_req_header(q->http, err, "webhook-id: %s", id) < 0 ||
	    http_req_header(q->http, err, "webhook-timestamp: %lld", ts) < 0 ||
	    (sig != NULL && http_req_header(q->http, err, "webhook-signature: %s", sig) < 0))
		goto fail;
	free(sig);
	return q;
fail:
	free(sig);
	webhook_req_free(q);
	return NULL;
}

CURL *
webhook_req_easy(struct webhook_req *q)
{
	return http_req_easy(q->http);
}

void
webhook_req_result(struct webhook_req *q, CURLcode cc, struct webhook_result *res)
{
	struct http_answer a;

	http_req_answer(q->http, cc, &a);
	memset(res, 0, sizeof(*res));
	memcpy(res->answer, a.body, a.len + 1);
	res->seconds = a.seconds;
	res->retry_after_s = a.retry_after_s;
	if (!a.answered) {
		res->outcome = WEBHOOK_RETRY;
		cut_printf(res->reason, sizeof(res->reason), "%s", a.error);
		return;
	}
	res->status = a.status;
	if (a.status >= 200 && a.status < 300) {
		res->outcome = WEBHOOK_DELIVERED;
		return;
	}
	res->outcome = a.status == 408 || a.status == 429 || a.status >= 500 ? WEBHOOK_RETRY
	                                                                     : WEBHOOK_REJECTED;
	cut_printf(res->reason, sizeof(res->reason), "HTTP %ld%s%s", a.status, a.len ? ": " : "",
	           res->answer);
}

int
webhook_post(const struct webhook_target *t, const char *id, const char *body,
             struct webhook_result *res, struct fb_err *err)
{
	struct webhook_req *q = webhook_req_new(t, id, body, err);

	if (q == NULL)
		return -1;
	webhook_req_result(q, http_req_perform(q->http), res);
	webhook_req_free(q);
	return 0;
}

void
webhook_result_text(const struct webhook_result *res, char *buf, size_t n)
{
	if (res->status > 0)
		cut_printf(buf, n, "HTTP %ld%s%s", res->status, res->answer[0] ? ": " : "", res->answer);
	else
		cut_printf(buf, n, "%s", res->reason);
}
