/* SPDX-License-Identifier: MIT */
/*
 * http: one outbound HTTP request, made the same way by every sender of the project
 * (task-center pushes, platform tests and alert webhooks through webhook.h, the
 * scheduler's http.call job).
 *
 * A request speaks http or https only, verifies TLS (peer and host name), never follows a
 * redirect, and is bounded by a connect and a total timeout.  Its answer body is read up
 * to a caller's number of bytes; what comes after is either read and dropped
 * (HTTP_REST_DROP: the transfer ends normally, so its status means what the server said)
 * or ends the transfer at once (HTTP_REST_STOP: the stop counts as a complete read).  A
 * Retry-After header (seconds or an HTTP date) is noted.
 *
 * A synchronous sender builds a request with http_req_new, adds its headers, and passes
 * http_req_perform's code to http_req_answer.  A sender running many requests on a libcurl
 * multi handle adds http_req_easy to it instead and passes the finished transfer's code.
 * libcurl must have been initialised (curl_global_init) by the program's main.
 */
#ifndef FB_HTTP_H
#define FB_HTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "err.h"

/* What becomes of an answer body past the bytes kept. */
enum http_rest {
	HTTP_REST_DROP, /* read and dropped: the transfer runs to its end */
	HTTP_REST_STOP, /* not read: the transfer ends there, as a complete answer */
};

/* Borrowed for http_req_new only. */
struct http_opts {
	const char *url;          /* http:// or https:// */
	const char *method;       /* "GET" or "POST" */
	const char *body;         /* POST: the body (copied); NULL: empty */
	const char *user_agent;
	long connect_timeout_ms;  /* 0: libcurl's default (the total timeout still bounds it) */
	long timeout_ms;          /* the whole request */
	size_t keep;              /* bytes of the answer body kept */
	enum http_rest rest;
};

struct http_answer {
	int answered;             /* 1: the server answered (status, body); 0: see error */
	long status;              /* HTTP status; 0 when there was no answer */
	const char *body;         /* the first bytes of the body, NUL-terminated; borrowed from
	                           * the request until http_req_free */
	size_t len;               /* bytes in body */
	int cut;                  /* the body was longer than keep */
	long retry_after_s;       /* Retry-After in seconds; -1: none */
	double seconds;           /* time of the request */
	char error[CURL_ERROR_SIZE + 64]; /* no answer: libcurl's error and its detail */
};

/* One request: owns its easy handle, header list and answer buffer. */
struct http_req;

/*
 * A request as o says, ready for headers and to perform.  NULL with err (FB_EINVAL) when
 * the URL is not http(s) or the method not GET or POST.  Caller frees with http_req_free.
 */
struct http_req *http_req_new(const struct http_opts *o, struct fb_err *err) FB_MUSTCHECK;
/*
 * Add the header line fmt... ("Name: value") to q.  -1 with err (FB_EINVAL) when the line
 * holds a CR or LF (it would smuggle in other headers) or is longer than 1,000 bytes.
 */
int http_req_header(struct http_req *q, struct fb_err *err, const char *fmt, ...)
	FB_PRINTF(3, 4) FB_MUSTCHECK;
/* The easy handle of q (owned by q; CURLOPT_PRIVATE is left to the caller). */
CURL *http_req_easy(struct http_req *q);
/* Run q to its end, synchronously; the code is for http_req_answer. */
CURLcode http_req_perform(struct http_req *q);
/* What the finished transfer of q (ended with cc) brought, into a (a->body borrowed). */
void http_req_answer(struct http_req *q, CURLcode cc, struct http_answer *a);
/* Free q; its easy handle must not be in a multi handle any more.  NULL is fine. */
void http_req_free(struct http_req *q);

#endif
