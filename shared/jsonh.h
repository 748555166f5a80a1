/* SPDX-License-Identifier: MIT */
/*
 * jsonh: helpers over json-c for input that comes from outside.
 *
 * Parsing is strict (RFC 8259: no comments, no single quotes, no NaN), UTF-8 validated,
 * depth bounded, and rejects trailing bytes.  Getters check the JSON type and report the
 * member name in the error so that a 400 says exactly what is wrong.  Returned objects
 * follow json-c's reference counting: "new" means the caller puts it, "borrowed" means it
 * lives as long as its parent.
 */
#ifndef FB_JSONH_H
#define FB_JSONH_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "err.h"

#define JSONH_MAX_DEPTH 32

/* Parse len bytes; new object or NULL with err (FB_EINVAL; a bare `null` is an error too). */
struct json_object *jsonh_parse(const char *text, size_t len, struct fb_err *err) FB_MUSTCHECK;
/*
 * The same, and the document must be an object: anything else (null, a number, a string,
 * an array) is FB_EINVAL "<what> must be a JSON object, not <type>" (message json.not_object;
 * what "body" and "value" are said in the reader's language, any other as it is).  New
 * object or NULL.
 */
struct json_object *jsonh_parse_object(const char *text, size_t len, const char *what,
                                       struct fb_err *err) FB_MUSTCHECK;
/* Serialize compactly (UTF-8 kept, no slash escapes); borrowed until obj changes or dies. */
const char *jsonh_str(struct json_object *obj);

/*
 * Typed member getters: 1 found and right type (value stored), 0 absent or null (out
 * untouched), -1 wrong type or out of range (err says which member).
 */
int jsonh_get_str(struct json_object *obj, const char *key, const char **out, struct fb_err *err);
int jsonh_get_int(struct json_object *obj, const char *key, int64_t min, int64_t max,
                  int64_t *out, struct fb_err *err);
int jsonh_get_bool(struct json_object *obj, const char *key, int *out, struct fb_err *err);
int jsonh_get_obj(struct json_object *obj, const char *key, struct json_object **out,
                  struct fb_err *err);
int jsonh_get_array(struct json_object *obj, const char *key, struct json_object **out,
                    struct fb_err *err);
/* Reject members not in the NULL-terminated list (typos in requests are errors). */
int jsonh_only_keys(struct json_object *obj, const char *const *allowed, struct fb_err *err);
/* An array of positive int64 ids, at most max; *ids is malloc'ed (caller frees). */
int jsonh_id_array(struct json_object *arr, const char *name, size_t max, int64_t **ids,
                   size_t *n, struct fb_err *err);

/* A detail object {"field":..,"message":..} for fb_err_detail. */
struct json_object *jsonh_detail(const char *field, const char *message);

/* Builders that never fail (json-c aborts on OOM through our wrappers' policy). */
void jsonh_add_str(struct json_object *obj, const char *key, const char *val);
void jsonh_add_int(struct json_object *obj, const char *key, int64_t val);
void jsonh_add_bool(struct json_object *obj, const char *key, int val);
void jsonh_add_double(struct json_object *obj, const char *key, double val);
void jsonh_add_null(struct json_object *obj, const char *key);
/* A whole list: {"total","items"}; steals items, returns a new object. */
struct json_object *jsonh_list(struct json_object *items);
/* A page of a list: {"items","total","page","page_size"}; steals items, returns a new object. */
struct json_object *jsonh_page(struct json_object *items, long long total, int64_t page,
                               int64_t page_size);
/*
 * "pending", "progress" (done / total, 1 when total is 0) and "eta_seconds" (from the
 * throughput since the start, elapsed seconds as text or NULL before the start; 0 when
 * nothing is pending, null when nothing can be predicted yet) of a job over total items.
 */
void jsonh_add_progress(struct json_object *obj, long long total, long long done,
                        const char *elapsed);

#endif
