/* SPDX-License-Identifier: MIT */
/*
 * jsonh: strict parsing and typed access over json-c (see jsonh.h for ownership).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonh.h"
#include "mem.h"
#include "msg.h"

/*
 * json-c's strict mode still takes single quotes, comments and NaN: refuse any byte
 * outside a string that RFC 8259 does not allow there.
 */
static int
outside_strings_ok(const char *text, size_t len)
{
	int in_string = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '\'' || c == '/' || c == '#' ||
		           (((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) &&
		            strchr("truefalsnE", c) == NULL)) {
			/* Letters only as in true, false, null and exponents: no NaN, no Infinity. */
			return 0;
		}
	}
	return 1;
}

/*
 * Parse len bytes into *out: 0 with *out set (NULL for a document that is just `null`:
 * json-c has no object for it), or -1 with err filled.
 */
static int
parse_any(const char *text, size_t len, struct json_object **out, struct fb_err *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	*out = NULL;
	if (len > INT32_MAX) {
		fb_err_msg(err, FB_ETOOBIG, "json.too_large", NULL);
		return -1;
	}
	if (!outside_strings_ok(text, len)) {
		fb_err_msg(err, FB_EINVAL, "json.bad_char", NULL);
		return -1;
	}
	tok = json_tokener_new_ex(JSONH_MAX_DEPTH);
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* Incomplete input; a bare number also ends here and needs a final flush. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr != json_tokener_success) {
		fb_err_msg(err, FB_EINVAL, "json.invalid",
		           msg_args("detail", json_object_new_string(json_tokener_error_desc(jerr)), NULL));
		json_tokener_free(tok);
		json_object_put(obj);
		return -1;
	}
	while (end < len && (text[end] == ' ' || text[end] == '\t' || text[end] == '\n' ||
	                     text[end] == '\r'))
		end++;
	json_tokener_free(tok);
	if (end != len) {
		fb_err_msg(err, FB_EINVAL, "json.trailing", NULL);
		json_object_put(obj);
		return -1;
	}
	*out = obj;
	return 0;
}

struct json_object *
jsonh_parse(const char *text, size_t len, struct fb_err *err)
{
	struct json_object *obj;

	if (parse_any(text, len, &obj, err) < 0)
		return NULL;
	if (obj == NULL)
		fb_err_msg(err, FB_EINVAL, "json.null", NULL);
	return obj;
}

struct json_object *
jsonh_parse_object(const char *text, size_t len, const char *what, struct fb_err *err)
{
	struct json_object *obj;

	if (parse_any(text, len, &obj, err) < 0)
		return NULL;
	if (!json_object_is_type(obj, json_type_object)) {
		static const char *const names[] = {
			[json_type_null] = "null",       [json_type_boolean] = "a boolean",
			[json_type_double] = "a number", [json_type_int] = "a number",
			[json_type_object] = "an object", [json_type_array] = "an array",
			[json_type_string] = "a string",
		};

		fb_err_msg(err, FB_EINVAL, "json.not_object",
		           msg_args("what", json_object_new_string(what), "type",
		                    json_object_new_string(names[json_object_get_type(obj)]), NULL));
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

const char *
jsonh_str(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
}

static int
member(struct json_object *obj, const char *key, struct json_object **v)
{
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return 0;
	if (!json_object_object_get_ex(obj, key, v) || *v == NULL)
		return 0;
	return 1;
}

int
jsonh_get_str(struct json_object *obj, const char *key, const char **out, struct fb_err *err)
{
	struct json_object *v;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		fb_err_msg(err, FB_EINVAL, "json.string", msg_args("key", json_object_new_string(key), NULL));
		return -1;
	}
	*out = json_object_get_string(v);
	return 1;
}

int
jsonh_get_int(struct json_object *obj, const char *key, int64_t min, int64_t max,
              int64_t *out, struct fb_err *err)
{
	struct json_object *v;
	int64_t x;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		fb_err_msg(err, FB_EINVAL, "json.integer", msg_args("key", json_object_new_string(key), NULL));
		return -1;
	}
	errno = 0;
	x = json_object_get_int64(v);
	if (errno != 0 || x < min || x > max) {
		fb_err_msg(err, FB_EINVAL, "json.range",
		           msg_args("key", json_object_new_string(key), "min", json_object_new_int64(min),
		                    "max", json_object_new_int64(max), NULL));
		return -1;
	}
	*out = x;
	return 1;
}

int
jsonh_get_bool(struct json_object *obj, const char *key, int *out, struct fb_err *err)
{
	struct json_object *v;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		fb_err_msg(err, FB_EINVAL, "json.bool", msg_args("key", json_object_new_string(key), NULL));
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

int
jsonh_get_obj(struct json_object *obj, const char *key, struct json_object **out,
              struct fb_err *err)
{
	struct json_object *v;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		fb_err_msg(err, FB_EINVAL, "json.object", msg_args("key", json_object_new_string(key), NULL));
		return -1;
	}
	*out = v;
	return 1;
}

int
jsonh_get_array(struct json_object *obj, const char *key, struct json_object **out,
                struct fb_err *err)
{
	struct json_object *v;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_array)) {
		fb_err_msg(err, FB_EINVAL, "json.array", msg_args("key", json_object_new_string(key), NULL));
		return -1;
	}
	*out = v;
	return 1;
}

int
jsonh_only_keys(struct json_object *obj, const char *const *allowed, struct fb_err *err)
{
	const char *const *a;

	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (*a == NULL) {
			fb_err_msg(err, FB_EINVAL, "json.unknown_member",
			           msg_args("key", json_object_new_string(key), NULL));
			return -1;
		}
	}
	return 0;
}

int
jsonh_id_array(struct json_object *arr, const char *name, size_t max, int64_t **ids,
               size_t *n, struct fb_err *err)
{
	size_t len = json_object_array_length(arr), i;
	int64_t *out;

	if (len > max) {
		fb_err_msg(err, FB_ETOOBIG, "json.too_many",
		           msg_args("key", json_object_new_string(name), "n",
		                    json_object_new_int64((int64_t)len), "max",
		                    json_object_new_int64((int64_t)max), NULL));
		return -1;
	}
	out = xmalloc(sizeof(*out) * (len ? len : 1));
	for (i = 0; i < len; i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);

		errno = 0;
		if (!json_object_is_type(v, json_type_int) || (out[i] = json_object_get_int64(v)) <= 0 ||
		    errno != 0) {
			fb_err_msg(err, FB_EINVAL, "json.id",
			           msg_args("key", json_object_new_string(name), "index",
			                    json_object_new_int64((int64_t)i), NULL));
			free(out);
			return -1;
		}
	}
	*ids = out;
	*n = len;
	return 0;
}

struct json_object *
jsonh_detail(const char *field, const char *message)
{
	struct json_object *d = json_object_new_object();

	if (field != NULL)
		jsonh_add_str(d, "field", field);
	jsonh_add_str(d, "message", message);
	return d;
}

void
jsonh_add_str(struct json_object *obj, const char *key, const char *val)
{
	json_object_object_add(obj, key, val ? json_object_new_string(val) : NULL);
}

void
jsonh_add_int(struct json_object *obj, const char *key, int64_t val)
{
	json_object_object_add(obj, key, json_object_new_int64(val));
}

void
jsonh_add_bool(struct json_object *obj, const char *key, int val)
{
	json_object_object_add(obj, key, json_object_new_boolean(val));
}

void
jsonh_add_double(struct json_object *obj, const char *key, double val)
{
	json_object_object_add(obj, key, json_object_new_double(val));
}

void
jsonh_add_null(struct json_object *obj, const char *key)
{
	json_object_object_add(obj, key, NULL);
}

struct json_object *
jsonh_list(struct json_object *items)
{
	struct json_object *o = json_object_new_object();

	jsonh_add_int(o, "total", (int64_t)json_object_array_length(items));
	json_object_object_add(o, "items", items);
	return o;
}

struct json_object *
jsonh_page(struct json_object *items, long long total, int64_t page, int64_t page_size)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "items", items);
	jsonh_add_int(o, "total", total);
	jsonh_add_int(o, "page", page);
	jsonh_add_int(o, "page_size", page_size);
	return o;
}

void
jsonh_add_progress(struct json_object *obj, long long total, long long done, const char *elapsed)
{
	long long pending = total - done;

	jsonh_add_int(obj, "pending", pending);
	jsonh_add_double(obj, "progress", total > 0 ? (double)done / (double)total : 1.0);
	/* Throughput since the start predicts the rest; nothing to predict before it. */
	if (pending > 0 && elapsed != NULL && atof(elapsed) > 0 && done > 0) {
		double rate = (double)done / atof(elapsed);

		jsonh_add_int(obj, "eta_seconds", (int64_t)((double)pending / rate + 0.5));
	} else if (pending == 0) {
		jsonh_add_int(obj, "eta_seconds", 0);
	} else {
		jsonh_add_null(obj, "eta_seconds");
	}
}
