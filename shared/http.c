/* SPDX-License-Identifier: MIT */
/*
 * http: one outbound HTTP request (see http.h): the options every sender shares, the
 * bounded answer read with its two ways of ending, and Retry-After.
 *
 * Memory: a struct http_req owns its easy handle (libcurl copies the URL and the body),
 * its header list and its answer buffer (keep + 1 bytes); http_req_free releases them.
 * The answer handed out by http_req_answer points into that buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "mem.h"

/* Longest header line a sender may add. */
#define HTTP_HEADER_MAX 1000

struct http_req {
	CURL *easy;
	struct curl_slist *headers;
	enum http_rest rest;
	size_t keep;
	char *answer;      /* keep + 1 bytes */
	size_t len;
	int cut;
	long retry_after;  /* -1: none */
	char errbuf[CURL_ERROR_SIZE];
};

/* Keep the first bytes of the body; past them, drop the rest or end the transfer. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_req *q = arg;
	size_t n = size * nmemb, room = q->keep - q->len;

	if (n > room) {
		memcpy(q->answer + q->len, data, room);
		q->len += room;
		q->cut = 1;
		/* STOP: enough; 0 ends the transfer (CURLE_WRITE_ERROR, read as complete). */
		return q->rest == HTTP_REST_STOP ? 0 : n;
	}
	memcpy(q->answer + q->len, data, n);
	q->len += n;
	return n;
}

/* Retry-After as seconds or as an HTTP date. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_req *q = arg;
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

struct http_req *
http_req_new(const struct http_opts *o, struct fb_err *err)
{
	struct http_req *q;
	int post;

	if (o->url == NULL ||
	    (strncasecmp(o->url, "http://", 7) != 0 && strncasecmp(o->url, "https://", 8) != 0)) {
		fb_err_set(err, FB_EINVAL, "a URL must be http:// or https://");
		return NULL;
	}
	if (o->method == NULL ||
	    (strcmp(o->method, "GET") != 0 && strcmp(o->method, "POST") != 0)) {
		fb_err_set(err, FB_EINVAL, "method must be GET or POST");
		return NULL;
	}
	post = strcmp(o->method, "POST") == 0;
	q = xcalloc(1, sizeof(*q));
	q->rest = o->rest;
	q->keep = o->keep;
	q->answer = xmalloc(o->keep + 1);
	q->retry_after = -1;
	if ((q->easy = curl_easy_init()) == NULL)
		abort(); /* out of memory, as xmalloc */
	curl_easy_setopt(q->easy, CURLOPT_URL, o->url);
	curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(q->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(q->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(q->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (o->user_agent != NULL)
		curl_easy_setopt(q->easy, CURLOPT_USERAGENT, o->user_agent);
	if (post) {
		const char *body = o->body != NULL ? o->body : "";

		/* The size first: COPYPOSTFIELDS copies that many bytes. */
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		curl_easy_setopt(q->easy, CURLOPT_COPYPOSTFIELDS, body);
	}
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(q->easy, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_ERRORBUFFER, q->errbuf);
	return q;
}

int
http_req_header(struct http_req *q, struct fb_err *err, const char *fmt, ...)
{
	char line[HTTP_HEADER_MAX + 1];
	struct curl_slist *l;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		fb_err_set(err, FB_EINVAL, "a header line must be at most %d bytes",
		           HTTP_HEADER_MAX);
		return -1;
	}
	if (strpbrk(line, "\r\n") != NULL) {
		fb_err_set(err, FB_EINVAL, "a header line must be one line");
		return -1;
	}
	if ((l = curl_slist_append(q->headers, line)) == NULL)
		abort(); /* out of memory, as xmalloc */
	q->headers = l;
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->headers);
	return 0;
}

CURL *
http_req_easy(struct http_req *q)
{
	return q->easy;
}

CURLcode
http_req_perform(struct http_req *q)
{
	return curl_easy_perform(q->easy);
}

void
http_req_answer(struct http_req *q, CURLcode cc, struct http_answer *a)
{
	memset(a, 0, sizeof(*a));
	q->answer[q->len] = '\0';
	a->retry_after_s = q->retry_after;
	curl_easy_getinfo(q->easy, CURLINFO_TOTAL_TIME, &a->seconds);
	a->body = q->answer;
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && q->cut && q->rest == HTTP_REST_STOP)) {
		a->body = "";
		snprintf(a->error, sizeof(a->error), "%s%s%s", curl_easy_strerror(cc),
		         q->errbuf[0] != '\0' ? ": " : "", q->errbuf);
		return;
	}
	a->answered = 1;
	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &a->status);
	a->len = q->len;
	a->cut = q->cut;
}

void
http_req_free(struct http_req *q)
{
	if (q == NULL)
		return;
	if (q->easy != NULL)
		curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->headers);
	free(q->answer);
	free(q);
}
