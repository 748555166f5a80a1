/* SPDX-License-Identifier: MIT */
/*
 * err: the error a fallible function fills for its caller.
 *
 * Lower layers fill a struct fb_err and return -1 or NULL; the layer that decides (an HTTP
 * handler, the job loop) logs it once and maps the code to a status.  The struct lives on
 * the caller's stack.  `details`, when set, is a json-c array owned by the error and
 * released by fb_err_clear().  An error said to users carries its message's code in msg.c's
 * catalogue (`mcode`, static) and the parameters as JSON text (`margs`), so that it can be
 * said in the reader's language; `msg` is its English text, for logs.  Errors set with
 * fb_err_set() have no code and are said through a generic envelope of their status.
 */
#ifndef FB_ERR_H
#define FB_ERR_H

#include <stdarg.h>

#define FB_MUSTCHECK __attribute__((warn_unused_result))
#define FB_PRINTF(a, b) __attribute__((format(printf, a, b)))

enum fb_code {
	FB_OK = 0,
	FB_EINVAL,      /* 400: malformed request or argument */
	FB_EAUTH,       /* 401: no identity */
	FB_EFORBIDDEN,  /* 403 */
	FB_ENOTFOUND,   /* 404 */
	FB_EMETHOD,     /* 405 */
	FB_ECONFLICT,   /* 409 */
	FB_ETOOBIG,     /* 413 */
	FB_EMEDIA,      /* 415 */
	FB_EVALIDATION, /* 422: details say what */
	FB_EDB,         /* PostgreSQL failed; sqlstate says how */
	FB_EREDIS,      /* Redis failed; the connection must be reopened */
	FB_EIO,         /* files, sockets */
	FB_EINTERNAL,
	FB_EBUSY,       /* 503: too many requests of a kind at once; try again later */
};

struct json_object;

struct fb_err {
	enum fb_code code;
	char sqlstate[6];
	char msg[512];
	struct json_object *details;
	const char *mcode; /* static, or NULL */
	char margs[1024];  /* the parameters as a JSON object, or "" */
};

void fb_err_set(struct fb_err *err, enum fb_code code, const char *fmt, ...) FB_PRINTF(3, 4);
void fb_err_vset(struct fb_err *err, enum fb_code code, const char *fmt, va_list ap);
/*
 * Set code and the message mcode of msg.c's catalogue with params (a JSON object, stolen,
 * may be NULL); msg gets the English text.
 */
void fb_err_msg(struct fb_err *err, enum fb_code code, const char *mcode,
                struct json_object *params);
/*
 * A detail {"field", "code", "params", "message"} (message in English; field omitted when
 * NULL; params stolen, may be NULL); new object.
 */
struct json_object *fb_err_detail_msg(const char *field, const char *mcode,
                                      struct json_object *params);
/* A detail naming field with what e says (its code and params when it has a code); new. */
struct json_object *fb_err_to_detail(const char *field, const struct fb_err *e);
/* Append one detail object (stolen) to err->details. */
void fb_err_detail(struct fb_err *err, struct json_object *detail);
void fb_err_clear(struct fb_err *err);
/*
 * True when the failure may pass by itself and the same work is worth running again soon:
 * Redis unreachable or its connection dropped; PostgreSQL unreachable, its connection lost
 * (no SQLSTATE, class 08, 57P01-57P03, 53300) or a serialization failure or deadlock
 * (40001, 40P01).  Any other error would fail the same way again.
 */
int fb_err_transient(const struct fb_err *err);
/* The HTTP status and the stable code string of an error. */
int fb_err_status(const struct fb_err *err);
const char *fb_err_name(enum fb_code code);

#endif
