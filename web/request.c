/* SPDX-License-Identifier: MIT */
/*
 * request: parsing of what FastCGI hands us and writing of what we answer.
 *
 * All allocations come from the request's arena (see request.h).  Responses are written
 * straight to the FastCGI output stream; large bodies go out in 64 KiB pieces.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "db.h"
#include "jsonh.h"
#include "limiter.h"
#include "log.h"
#include "queue.h"
#include "request.h"
#include "utf8.h"
#include "msg.h"

/* A q-value in thousandths ("0", "0.5", "1.000"), or -1 when it is not one. */
static int
qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

enum msg_lang
accept_language(const char *header)
{
	enum msg_lang best = MSG_ZH, l;
	int best_q = 0, ranges = 0;
	size_t len, pos = 0;

	if (header == NULL)
		return MSG_ZH;
	len = strnlen(header, ACCEPT_LANGUAGE_MAX);
	while (pos < len && ranges < ACCEPT_LANGUAGE_RANGES) {
		const char *e = header + pos, *end = memchr(e, ',', len - pos), *semi, *p;
		size_t n = end ? (size_t)(end - e) : len - pos, tlen;
		int q = 1000;

		pos += n + 1;
		ranges++;
		while (n > 0 && (*e == ' ' || *e == '\t'))
			e++, n--;
		semi = memchr(e, ';', n);
		tlen = semi ? (size_t)(semi - e) : n;
		while (tlen > 0 && (e[tlen - 1] == ' ' || e[tlen - 1] == '\t'))
			tlen--;
		/* Parameters: only q counts; a malformed q drops the range. */
		for (p = semi; p != NULL && q >= 0;) {
			const char *stop = e + n, *next;
			size_t plen;

			p++;
			next = memchr(p, ';', (size_t)(stop - p));
			plen = (size_t)((next ? next : stop) - p);
			while (plen > 0 && (*p == ' ' || *p == '\t'))
				p++, plen--;
			while (plen > 0 && (p[plen - 1] == ' ' || p[plen - 1] == '\t'))
				plen--;
			if (plen >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
				q = qvalue(p + 2, plen - 2);
			p = next;
		}
		if (q <= best_q || !msg_lang_from_tag(e, tlen, &l))
			continue;
		best = l;
		best_q = q;
	}
	return best;
}

char *
url_decode(struct arena *a, const char *s, size_t len, int form)
{
	char *out = arena_alloc(a, len + 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int h, l;

			if (len - i < 3)
				return NULL;
			h = hex_digit(s[i + 1]);
			l = hex_digit(s[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return NULL;
			out[o++] = (char)(h << 4 | l);
			i += 2;
		} else if (s[i] == '+' && form) {
			out[o++] = ' ';
		} else if (s[i] == '\0') {
			return NULL;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (!utf8_valid(out, o))
		return NULL;
	return out;
}

int
query_parse(struct arena *a, const char *qs, struct kv **out, size_t *n, size_t max,
            struct fb_err *err)
{
	size_t count = 0, cap = 8;
	struct kv *kv = arena_alloc(a, cap * sizeof(*kv));
	const char *p = qs ? qs : "";

	while (*p != '\0') {
		const char *amp = strchr(p, '&'), *eq;
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		char *k, *v;

		eq = memchr(p, '=', len);
		if (len == 0) {
			p += amp ? 1 : 0;
			if (amp == NULL)
				break;
			continue;
		}
		if (count == max) {
			fb_err_msg(err, FB_EINVAL, "request.too_many_params",
			           msg_args("max", json_object_new_int64((int64_t)max), NULL));
			return -1;
		}
		k = url_decode(a, p, eq ? (size_t)(eq - p) : len, 1);
		v = eq ? url_decode(a, eq + 1, len - (size_t)(eq - p) - 1, 1) : arena_strdup(a, "");
		if (k == NULL || v == NULL) {
			char near[48];

			snprintf(near, sizeof(near), "%.*s", (int)(len > 40 ? 40 : len), p);
			fb_err_msg(err, FB_EINVAL, "request.bad_query",
			           msg_args("near", json_object_new_string_len(near, (int)strlen(near)),
			                    NULL));
			return -1;
		}
		if (count == cap) {
			struct kv *bigger = arena_alloc(a, 2 * cap * sizeof(*kv));

			memcpy(bigger, kv, cap * sizeof(*kv));
			kv = bigger;
			cap *= 2;
		}
		kv[count].key = k;
		kv[count].value = v;
		count++;
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	*out = kv;
	*n = count;
	return 0;
}

#define REDACTED "[redacted]"

const char *
request_redact_uri(struct arena *a, const char *uri)
{
	const char *q = uri != NULL ? strchr(uri, '?') : NULL, *p;
	size_t parts = 1;
	char *out, *o;

	if (q == NULL)
		return uri;
	for (p = q; *p != '\0'; p++)
		parts += *p == '&';
	out = arena_alloc(a, strlen(uri) + parts * sizeof(REDACTED) + 1);
	memcpy(out, uri, (size_t)(q - uri) + 1);
	o = out + (q - uri) + 1;
	for (p = q + 1;; p++) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		size_t klen = eq != NULL ? (size_t)(eq - p) : len;
		const char *key = url_decode(a, p, klen, 1);

		if (eq != NULL && (key == NULL || strcasestr(key, "token") != NULL)) {
			memcpy(o, p, klen + 1);
			memcpy(o + klen + 1, REDACTED, sizeof(REDACTED) - 1);
			o += klen + sizeof(REDACTED);
		} else {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
		if (*p == '\0')
			break;
		*o++ = '&';
	}
	*o = '\0';
	return out;
}

const char *
cookie_get(struct arena *a, const char *header, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		const char *end;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen + 1 && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t vlen = (size_t)(end - v);

			while (vlen > 0 && v[vlen - 1] == ' ')
				vlen--;
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			return arena_strndup(a, v, vlen);
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

const char *
request_env(struct request *r, const char *name)
{
	return r->fcgi ? FCGX_GetParam(name, r->fcgi->envp) : NULL;
}

const char *
request_token(struct request *r)
{
	const char *auth = request_env(r, "HTTP_AUTHORIZATION");
	const char *cookies = request_env(r, "HTTP_COOKIE");

	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		auth += 7;
		while (*auth == ' ')
			auth++;
		return auth;
	}
	if (cookies != NULL)
		return cookie_get(r->arena, cookies, r->cfg->auth_cookie);
	return NULL;
}

const char *
request_param(struct request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, name) == 0)
			return r->params[i].value;
	return NULL;
}

int
request_param_int(struct request *r, const char *name, int64_t min, int64_t max, int64_t def,
                  int64_t *out, struct fb_err *err)
{
	const char *v = request_param(r, name);
	char *end;
	long long x;

	if (v == NULL || *v == '\0') {
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < min || x > max) {
		fb_err_msg(err, FB_EINVAL, "request.param_int",
		           msg_args("name", json_object_new_string(name), "min",
		                    json_object_new_int64(min), "max", json_object_new_int64(max), NULL));
		return -1;
	}
	*out = x;
	return 0;
}

int
request_check_params(struct request *r, const char *const *known, const char *prefix,
                     struct fb_err *err)
{
	size_t i, j;

	for (i = 0; i < r->nparams; i++) {
		const char *key = r->params[i].key;
		const char *const *k;

		for (k = known; *k != NULL; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k == NULL && !(prefix != NULL && strncmp(key, prefix, strlen(prefix)) == 0)) {
			fb_err_msg(err, FB_EINVAL, "request.unknown_param",
			           msg_args("name", json_object_new_string(key), NULL));
			fb_err_detail(err, fb_err_detail_msg(key, "param.unknown", NULL));
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(r->params[j].key, key) == 0) {
				fb_err_msg(err, FB_EINVAL, "request.param_twice",
				           msg_args("name", json_object_new_string(key), NULL));
				fb_err_detail(err, fb_err_detail_msg(key, "param.twice", NULL));
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Read the body, refusing it before anything is allocated or read when Content-Length is
 * over limit (key names the config key that sets it); never more than that is read.
 */
static int
read_body(struct request *r, long long limit, const char *key, struct fb_err *err)
{
	size_t cap, got = 0;

	if (r->body_read)
		return 0;
	if (r->content_length > limit) {
		fb_err_msg(err, FB_ETOOBIG, "request.body_too_large",
		           msg_args("size", json_object_new_int64(r->content_length), "limit",
		                    json_object_new_int64(limit), "key", json_object_new_string(key),
		                    NULL));
		return -1;
	}
	cap = (size_t)r->content_length;
	r->body = arena_alloc(r->arena, cap + 1);
	while (got < cap && r->fcgi != NULL) {
		int n = FCGX_GetStr(r->body + got, (int)(cap - got > 65536 ? 65536 : cap - got),
		                    r->fcgi->in);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != cap) {
		fb_err_msg(err, FB_EINVAL, "request.body_short",
		           msg_args("got", json_object_new_int64((int64_t)got), "want",
		                    json_object_new_int64((int64_t)cap), NULL));
		return -1;
	}
	r->body[got] = '\0';
	r->body_len = got;
	r->body_read = 1;
	return 0;
}

int
request_read_body(struct request *r, struct fb_err *err)
{
	return read_body(r, r->cfg->web_max_body, "web.max_body", err);
}

static void
put_json(void *obj)
{
	json_object_put(obj);
}

struct json_object *
request_json(struct request *r, struct fb_err *err)
{
	struct json_object *obj;
	const char *ct = r->content_type ? r->content_type : "";
	size_t n = strcspn(ct, "; ");

	if (n != strlen("application/json") || strncasecmp(ct, "application/json", n) != 0) {
		fb_err_msg(err, FB_EMEDIA, "request.json_media", NULL);
		return NULL;
	}
	if (read_body(r, r->cfg->web_json_body_max, "web.json_body_max", err) < 0)
		return NULL;
	obj = jsonh_parse_object(r->body, r->body_len, "body", err);
	if (obj == NULL)
		return NULL;
	arena_defer(r->arena, put_json, obj);
	return obj;
}

struct db *
request_db(struct request *r, struct fb_err *err)
{
	struct web_thread *t = r->thread;

	if (t->db == NULL) {
		t->db = db_open(t->cfg->db_conninfo, err);
		return t->db;
	}
	if (db_check(t->db, err) < 0)
		return NULL;
	return t->db;
}

struct queue *
request_queue(struct request *r, struct fb_err *err)
{
	struct web_thread *t = r->thread;

	if (t->queue == NULL)
		t->queue = queue_open(t->cfg, err);
	return t->queue;
}

static void
path_unlink(void *path)
{
	unlink(path);
}

char *
request_tmpfile(struct request *r, const char *what, struct fb_err *err)
{
	char *path = arena_printf(r->arena, "%s/fb-%s-%s-XXXXXX", r->cfg->web_tmpdir, what,
	                          r->request_id);
	int fd = mkstemp(path);

	if (fd < 0) {
		fb_err_set(err, FB_EIO, "cannot create a file in %s: %s", r->cfg->web_tmpdir,
		           strerror(errno));
		return NULL;
	}
	close(fd);
	arena_defer(r->arena, path_unlink, path);
	return path;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

int
respond_start(struct request *r, int status, const char *const *headers, size_t nheaders)
{
	size_t i;

	r->status = status;
	r->responded = 1;
	if (r->fcgi == NULL)
		return 0;
	if (FCGX_FPrintF(r->fcgi->out, "Status: %d %s\r\nX-Request-Id: %s\r\n", status,
	                 status_text(status), r->request_id) < 0)
		return -1;
	for (i = 0; i < nheaders; i++)
		if (FCGX_FPrintF(r->fcgi->out, "%s\r\n", headers[i]) < 0)
			return -1;
	return FCGX_PutS("\r\n", r->fcgi->out) < 0 ? -1 : 0;
}

int
respond_write(struct request *r, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0 && r->fcgi != NULL) {
		int n = (int)(len > 65536 ? 65536 : len);

		if (FCGX_PutStr(p, n, r->fcgi->out) != n)
			return -1;
		r->bytes_out += n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
respond_file(struct request *r, const char *path, const char *content_type,
             const char *disposition, struct fb_err *err)
{
	enum { CHUNK = 65536 };
	const char *hdr[5];
	struct stat st;
	ssize_t got;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fb_err_set(err, FB_EIO, "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	hdr[0] = arena_printf(r->arena, "Content-Type: %s", content_type);
	hdr[1] = arena_printf(r->arena, "Content-Disposition: %s", disposition);
	hdr[2] = arena_printf(r->arena, "Content-Length: %lld", (long long)st.st_size);
	hdr[3] = "Cache-Control: no-store";
	hdr[4] = "X-Content-Type-Options: nosniff";
	buf = arena_alloc(r->arena, CHUNK);
	if (respond_start(r, 200, hdr, 5) < 0)
		goto left;
	while ((got = read(fd, buf, CHUNK)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			log_error("file read failed", "request_id", LOG_STR(r->request_id), "path",
			          LOG_STR(path), "error", LOG_STR(strerror(errno)), NULL);
			break;
		}
		if (respond_write(r, buf, (size_t)got) < 0)
			goto left;
	}
	close(fd);
	return 0;
left:
	log_info("download abandoned by the client", "request_id", LOG_STR(r->request_id),
	         "bytes", LOG_INT(r->bytes_out), NULL);
	close(fd);
	return 0;
}

void
respond_raw(struct request *r, int status, const char *const *headers, size_t nheaders,
            const void *data, size_t len)
{
	if (respond_start(r, status, headers, nheaders) == 0)
		(void)respond_write(r, data, len);
}

/* A JSON text with one more header line (NULL: none). */
static void
respond_text_with(struct request *r, int status, const char *text, const char *extra)
{
	const char *hdr[] = {"Content-Type: application/json; charset=utf-8",
	                     "Cache-Control: no-store", extra};

	respond_raw(r, status, hdr, extra ? 3 : 2, text, strlen(text));
}

void
respond_json_text(struct request *r, int status, const char *text)
{
	respond_text_with(r, status, text, NULL);
}

void
respond_json(struct request *r, int status, struct json_object *body)
{
	respond_text_with(r, status, jsonh_str(body), NULL);
	json_object_put(body);
}

/* The text of err in the request's language (see err.h): its own message, or its envelope. */
static char *
error_text(const struct request *r, const struct fb_err *err, int status)
{
	struct json_object *p;
	char *text, code[64];

	if (status >= 500 && err->code != FB_EBUSY)
		return msg_render(err->code == FB_EDB || err->code == FB_EREDIS ? "error.unavailable"
		                                                                 : "error.internal",
		                  NULL, r->lang);
	if (err->mcode != NULL) {
		p = err->margs[0] ? json_tokener_parse(err->margs) : NULL;
		text = msg_render(err->mcode, p, r->lang);
		json_object_put(p);
		return text;
	}
	snprintf(code, sizeof(code), "error.%s", fb_err_name(err->code));
	p = msg_args("detail", json_object_new_string(err->msg), NULL);
	text = msg_render(code, p, r->lang);
	json_object_put(p);
	return text;
}

/* A copy of details with the message of every detail that has a code said in r's language. */
static struct json_object *
error_details(const struct request *r, struct json_object *details)
{
	struct json_object *out = json_object_new_array(), *code;
	size_t i, n = json_object_array_length(details);

	for (i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(details, i), *c = NULL;

		if (json_object_deep_copy(d, &c, NULL) != 0)
			abort();
		if (json_object_is_type(c, json_type_object) &&
		    json_object_object_get_ex(c, "code", &code) &&
		    json_object_is_type(code, json_type_string)) {
			char *text = msg_render_detail(c, r->lang);

			json_object_object_add(c, "message", json_object_new_string(text));
			free(text);
		}
		json_object_array_add(out, c);
	}
	return out;
}

void
respond_error(struct request *r, const struct fb_err *err)
{
	struct json_object *body = json_object_new_object(), *e = json_object_new_object();
	int status = fb_err_status(err);
	char *text = error_text(r, err, status);

	jsonh_add_str(e, "code", fb_err_name(err->code));
	/* Database and internal failures keep their detail in the log, not in the answer. */
	jsonh_add_str(e, "message", text);
	free(text);
	if (err->details != NULL && status < 500)
		json_object_object_add(e, "details", error_details(r, err->details));
	json_object_object_add(body, "error", e);
	respond_text_with(r, status, jsonh_str(body),
	                  err->code == FB_EBUSY
	                      ? arena_printf(r->arena, "Retry-After: %d", LIMITER_RETRY_AFTER)
	                      : NULL);
	json_object_put(body);
}
