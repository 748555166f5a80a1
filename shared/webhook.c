/* SPDX-License-Identifier: MIT */
/*
 * webhook: outbound signed webhook requests (see webhook.h): the headers and options of
 * one request, the bounded answer read, Retry-After, and the classification of the answer
 * that every sender shares.
 *
 * Memory: a struct webhook_req owns its easy handle, header list, body copy and answer
 * buffer; webhook_req_free releases them.  webhook_post holds one for the call only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "mem.h"
#include "webhook.h"

struct webhook_req {
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char answer[WEBHOOK_ANSWER_MAX + 1];
	size_t answer_len;
	int truncated;
	long retry_after;   /* -1: none */
	char errbuf[CURL_ERROR_SIZE];
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

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct webhook_req *q = arg;
	size_t n = size * nmemb, room = WEBHOOK_ANSWER_MAX - q->answer_len;

	if (n > room) {
		memcpy(q->answer + q->answer_len, data, room);
		q->answer_len += room;
		q->truncated = 1;
		return 0; /* enough: end the transfer (CURLE_WRITE_ERROR, answer kept) */
	}
	memcpy(q->answer + q->answer_len, data, n);
	q->answer_len += n;
	return n;
}

/* Retry-After as seconds or as an HTTP date. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct webhook_req *q = arg;
	size_t n = size * nmemb;
	char line[256], *p, *end;
	long v;

	if (n >= sizeof(line) || n < 12 || strncasecmp(data, "retry-after:", 12) != 0)
		return n;
	memcpy(line, data + 12, n - 12);
	line[n - 12] = '\0';
	p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	v = strtol(p, &end, 10);
	if (end != p && (*end == '\r' || *end == '\n' || *end == '\0')) {
		q->retry_after = v > 0 ? v : 0;
	} else {
		time_t t = curl_getdate(p, NULL), now = time(NULL);

		if (t > 0)
			q->retry_after = t > now ? (long)(t - now) : 0;
	}
	return n;
}

static struct curl_slist *
header_add(struct curl_slist *l, const char *h)
{
	struct curl_slist *n = curl_slist_append(l, h);

	if (n == NULL)
		abort(); /* out of memory, as xmalloc */
	return n;
}

void
webhook_req_free(struct webhook_req *q)
{
	if (q == NULL)
		return;
	if (q->easy != NULL)
		curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->headers);
	free(q->body);
	free(q);
}

struct webhook_req *
webhook_req_new(const struct webhook_target *t, const char *id, const char *body,
                struct fb_err *err)
{
	struct webhook_req *q;
	long long ts = (long long)time(NULL);
	char *h;

	if (t->url == NULL ||
	    (strncasecmp(t->url, "http://", 7) != 0 && strncasecmp(t->url, "https://", 8) != 0)) {
		fb_err_set(err, FB_EINVAL, "a webhook URL must be http:// or https://");
		return NULL;
	}
	if (id == NULL || strlen(id) > 200 || strpbrk(id, "\r\n") != NULL) {
		fb_err_set(err, FB_EINVAL, "a webhook id must be one line of at most 200 bytes");
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	q->retry_after = -1;
	q->body = xstrdup(body);
	if ((q->easy = curl_easy_init()) == NULL)
		abort();
	q->headers = header_add(q->headers, "Content-Type: application/json");
	q->headers = header_add(q->headers, "Expect:");
	h = xasprintf("webhook-id: %s", id);
	q->headers = header_add(q->headers, h);
	free(h);
	h = xasprintf("webhook-timestamp: %lld", ts);
	q->headers = header_add(q->headers, h);
	free(h);
	if (t->secret != NULL && t->secret[0] != '\0') {
		char *sig = webhook_signature(t->secret, id, ts, q->body);

		h = xasprintf("webhook-signature: %s", sig);
		q->headers = header_add(q->headers, h);
		free(h);
		free(sig);
	}
	curl_easy_setopt(q->easy, CURLOPT_URL, t->url);
	curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(q->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(q->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(q->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->headers);
	curl_easy_setopt(q->easy, CURLOPT_USERAGENT, "flowbatch-webhook/1");
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(q->body));
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(q->easy, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_ERRORBUFFER, q->errbuf);
	return q;
}

CURL *
webhook_req_easy(struct webhook_req *q)
{
	return q->easy;
}

void
webhook_req_result(struct webhook_req *q, CURLcode cc, struct webhook_result *res)
{
	double secs = 0;
	long code = 0;

	memset(res, 0, sizeof(*res));
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(q->easy, CURLINFO_TOTAL_TIME, &secs);
	memcpy(res->answer, q->answer, q->answer_len);
	res->answer[q->answer_len] = '\0';
	res->seconds = secs;
	res->retry_after_s = q->retry_after;
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && q->truncated)) {
		res->outcome = WEBHOOK_RETRY;
		res->status = 0;
		res->answer[0] = '\0';
		cut_printf(res->reason, sizeof(res->reason), "%s%s%s", curl_easy_strerror(cc),
		         q->errbuf[0] ? ": " : "", q->errbuf);
		return;
	}
	res->status = code;
	if (code >= 200 && code < 300) {
		res->outcome = WEBHOOK_DELIVERED;
		return;
	}
	res->outcome = code == 408 || code == 429 || code >= 500 ? WEBHOOK_RETRY : WEBHOOK_REJECTED;
	cut_printf(res->reason, sizeof(res->reason), "HTTP %ld%s%s", code, q->answer_len ? ": " : "",
	         res->answer);
}

int
webhook_post(const struct webhook_target *t, const char *id, const char *body,
             struct webhook_result *res, struct fb_err *err)
{
	struct webhook_req *q = webhook_req_new(t, id, body, err);

	if (q == NULL)
		return -1;
	webhook_req_result(q, curl_easy_perform(q->easy), res);
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
