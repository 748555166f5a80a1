/* SPDX-License-Identifier: MIT */
/*
 * request: one HTTP request as flowbatch-web sees it through FastCGI, and its response.
 *
 * Everything hanging off a struct request is allocated from r->arena and released at once
 * when the request ends; handlers never free.  Strings from FastCGI params are borrowed
 * until FCGX_Finish_r.  Handlers answer through respond_*() exactly once.  The parsing
 * helpers (query strings, cookies) are pure and take an arena, so tests call them alone.
 */
#ifndef FB_REQUEST_H
#define FB_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <fcgiapp.h>

#include "config.h"
#include "err.h"
#include "mem.h"
#include "msg.h"
#include "user.h"
#include "usercache.h"

struct json_object;
struct db;
struct limiter;
struct metrics;
struct queue;

struct kv {
	const char *key;
	const char *value;
};

/* What a request thread shares with its requests: config and its own connections. */
struct web_thread {
	const struct fb_config *cfg;
	int index;
	struct db *db;       /* opened on first use, reopened when broken */
	struct queue *queue; /* likewise */
	struct limiter *excel; /* imports and Excel exports at once; borrowed from the server */
	struct metrics *metrics; /* the process's metrics; borrowed from the server */
	const char *instance;    /* "host:pid" of this process, for the metrics; borrowed */
	struct user_cache users; /* rows of recent logins (web.user_cache_ms) */
};

#define REQUEST_MAX_PARAMS 256
#define REQUEST_MAX_PATH_ARGS 4

struct request {
	struct arena *arena;
	struct web_thread *thread;
	const struct fb_config *cfg;
	FCGX_Request *fcgi;
	char request_id[17];

	const char *method;
	const char *path;
	const char *query;
	const char *content_type;
	long long content_length;
	const char *remote_user;
	struct kv *params;
	size_t nparams;
	const char *path_args[REQUEST_MAX_PATH_ARGS];
	struct user_rec *user; /* set for routes that need a login */
	enum msg_lang lang;    /* from Accept-Language: what errors and reasons are said in */

	char *body;
	size_t body_len;
	int body_read;

	int status;
	int responded;
	long long bytes_out;
};

/* Percent-decode and split a query string; values borrowed from a.  -1 with FB_EINVAL. */
int query_parse(struct arena *a, const char *qs, struct kv **out, size_t *n, size_t max,
                struct fb_err *err) FB_MUSTCHECK;
/*
 * uri for a log line: the value of every query parameter whose name holds "token" (any
 * case, after percent-decoding; also a name that does not decode) becomes [redacted].
 * uri itself when there is no query, else a copy from a.  NULL stays NULL.
 */
const char *request_redact_uri(struct arena *a, const char *uri);
/*
 * The language an Accept-Language header asks for: the zh* or en* range with the highest
 * q (the first of equals), q=0 never; MSG_ZH when neither is there, the header is absent
 * or unreadable.  At most ACCEPT_LANGUAGE_MAX bytes and ACCEPT_LANGUAGE_RANGES ranges are
 * looked at.
 */
#define ACCEPT_LANGUAGE_MAX 1024
#define ACCEPT_LANGUAGE_RANGES 32
enum msg_lang accept_language(const char *header);
/* Percent-decode s (with + as space when form); NULL on a bad escape, a NUL or bad UTF-8. */
char *url_decode(struct arena *a, const char *s, size_t len, int form);
/* The value of cookie name in a Cookie header, or NULL; borrowed from a. */
const char *cookie_get(struct arena *a, const char *header, const char *name);

/* A FastCGI param, or NULL. */
const char *request_env(struct request *r, const char *name);
/*
 * The login token of the request: from "Authorization: Bearer", else from the cookie
 * named by auth.cookie; NULL when neither.  Borrowed from the request.
 */
const char *request_token(struct request *r);
/* A query parameter, or NULL. */
const char *request_param(struct request *r, const char *name);
/*
 * An integer query parameter in [min, max]; def when absent.  -1 with FB_EINVAL naming it.
 */
int request_param_int(struct request *r, const char *name, int64_t min, int64_t max,
                      int64_t def, int64_t *out, struct fb_err *err) FB_MUSTCHECK;
/*
 * Reject query parameters that are not in known (NULL-terminated) and do not start with
 * prefix (may be NULL), and parameters given twice: FB_EINVAL naming them.
 */
int request_check_params(struct request *r, const char *const *known, const char *prefix,
                         struct fb_err *err) FB_MUSTCHECK;
/* Read the whole body, bounded by web.max_body (FB_ETOOBIG). */
int request_read_body(struct request *r, struct fb_err *err) FB_MUSTCHECK;
/*
 * The body as a JSON object: 415 unless application/json, 413 over web.json_body_max (from
 * Content-Length, before reading), 400 when not JSON or not an object (null included).
 */
struct json_object *request_json(struct request *r, struct fb_err *err) FB_MUSTCHECK;
/* This thread's database / queue, connected; NULL with FB_EDB / FB_EREDIS. */
struct db *request_db(struct request *r, struct fb_err *err) FB_MUSTCHECK;
struct queue *request_queue(struct request *r, struct fb_err *err) FB_MUSTCHECK;

/*
 * An empty private file under web.tmpdir, named after what, unlinked when the request
 * ends.  The path is borrowed from the request's arena.  NULL with FB_EIO.
 */
char *request_tmpfile(struct request *r, const char *what, struct fb_err *err) FB_MUSTCHECK;

/* Responses.  Headers are "Name: value" lines without CRLF. */
void respond_json(struct request *r, int status, struct json_object *body); /* steals body */
/* The same with the body already serialized (borrowed). */
void respond_json_text(struct request *r, int status, const char *text);
void respond_error(struct request *r, const struct fb_err *err);
void respond_raw(struct request *r, int status, const char *const *headers, size_t nheaders,
                 const void *data, size_t len);
/* Start a streamed response; then respond_write() the parts.  -1 when the client left. */
int respond_start(struct request *r, int status, const char *const *headers, size_t nheaders);
int respond_write(struct request *r, const void *data, size_t len);
/*
 * Answer 200 with the file at path, in 64 KiB pieces, as an attachment (disposition is the
 * Content-Disposition value).  0 once answered; a client that left is only logged.
 */
int respond_file(struct request *r, const char *path, const char *content_type,
                 const char *disposition, struct fb_err *err) FB_MUSTCHECK;

#endif
