/* SPDX-License-Identifier: MIT */
/*
 * webhook: outbound signed webhook requests, the Standard Webhooks way.
 *
 * A request is POST <url> with a JSON body and the headers webhook-id, webhook-timestamp
 * and, when the target has a secret, webhook-signature "v1,<base64 HMAC-SHA256 of
 * id.timestamp.body under the secret's bytes>".  The request is an http.h one: TLS is
 * verified, redirects are not followed, only http and https are spoken, the answer body is
 * read up to WEBHOOK_ANSWER_MAX bytes (a longer answer ends the transfer there and counts
 * as read: HTTP_REST_STOP).
 *
 * The answer is classified once, here, for every sender: 2xx delivered; 408, 429 (with
 * its Retry-After), 5xx, timeouts and connection errors retry; any other answer rejected.
 *
 * webhook_post makes one synchronous request.  Senders that run many requests at once on
 * a libcurl multi handle build each one with webhook_req_new, add webhook_req_easy to
 * their multi handle and classify the finished transfer with webhook_req_result.
 * libcurl must have been initialised (curl_global_init) by the program's main.
 */
#ifndef FB_WEBHOOK_H
#define FB_WEBHOOK_H

#include <curl/curl.h>

#include "err.h"

/* Bytes of an answer body read and kept. */
#define WEBHOOK_ANSWER_MAX 1024

enum webhook_outcome { WEBHOOK_DELIVERED, WEBHOOK_REJECTED, WEBHOOK_RETRY };

struct webhook_target {
	const char *url;
	const char *secret;          /* NULL: unsigned */
	long connect_timeout_ms;
	long timeout_ms;
};

struct webhook_result {
	enum webhook_outcome outcome;
	long status;                 /* HTTP status, 0 when none */
	long retry_after_s;          /* -1: none given */
	double seconds;              /* time of the request */
	char reason[256];            /* why, for rejected and retry */
	char answer[WEBHOOK_ANSWER_MAX + 1]; /* start of the answer body, NUL-terminated */
};

/* "v1,<base64 HMAC-SHA256(secret, id.ts.body)>"; caller frees. */
char *webhook_signature(const char *secret, const char *id, long long ts, const char *body);

/*
 * One synchronous POST of body (application/json) with webhook-id id, webhook-timestamp now,
 * webhook-signature when secret is set; TLS verified, no redirects, http/https only, bounded
 * answer read, classified as task-center pushes are.  Returns 0 when the request was made
 * (the result says how it went), -1 with err when it could not be set up.
 */
int webhook_post(const struct webhook_target *t, const char *id, const char *body,
                 struct webhook_result *res, struct fb_err *err) FB_MUSTCHECK;

/* One request for a multi handle: owns its easy handle, headers, a copy of body, answer. */
struct webhook_req;

/*
 * A request of body to t under webhook-id id, ready to perform (t, id and body are
 * copied where needed: borrowed for the call only).  NULL with err (FB_EINVAL) when the
 * URL is not http(s).  Caller frees with webhook_req_free.
 */
struct webhook_req *webhook_req_new(const struct webhook_target *t, const char *id,
                                    const char *body, struct fb_err *err) FB_MUSTCHECK;
/* The easy handle of q (owned by q; CURLOPT_PRIVATE is left to the caller). */
CURL *webhook_req_easy(struct webhook_req *q);
/* What the finished transfer of q (ended with cc) means, into res. */
void webhook_req_result(struct webhook_req *q, CURLcode cc, struct webhook_result *res);
/* Free q; its easy handle must not be in a multi handle any more.  NULL is fine. */
void webhook_req_free(struct webhook_req *q);

/*
 * The text a log keeps of res: "HTTP <status>: <answer>" when there was an answer,
 * otherwise the reason.  Written into buf of n bytes (cut to fit).
 */
void webhook_result_text(const struct webhook_result *res, char *buf, size_t n);

#endif
