/* SPDX-License-Identifier: MIT */
/*
 * err: filling and mapping struct fb_err.  See err.h for the ownership of details.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "err.h"
#include "msg.h"

void
fb_err_vset(struct fb_err *err, enum fb_code code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	err->code = code;
	err->mcode = NULL;
	err->margs[0] = '\0';
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void
fb_err_msg(struct fb_err *err, enum fb_code code, const char *mcode, struct json_object *params)
{
	char *en;
	const char *text;

	if (err == NULL) {
		json_object_put(params);
		return;
	}
	en = msg_render(mcode, params, MSG_EN);
	fb_err_set(err, code, "%s", en);
	free(en);
	err->mcode = mcode;
	if (params != NULL) {
		text = json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN |
		                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
		if (strlen(text) < sizeof(err->margs))
			memcpy(err->margs, text, strlen(text) + 1);
		else
			err->mcode = NULL; /* too long to keep: said through its envelope */
	}
	json_object_put(params);
}

struct json_object *
fb_err_detail_msg(const char *field, const char *mcode, struct json_object *params)
{
	struct json_object *d = json_object_new_object();
	char *en = msg_render(mcode, params, MSG_EN);

	if (field != NULL)
		json_object_object_add(d, "field", json_object_new_string(field));
	json_object_object_add(d, "code", json_object_new_string(mcode));
	json_object_object_add(d, "params", params ? params : json_object_new_object());
	json_object_object_add(d, "message", json_object_new_string(en));
	free(en);
	return d;
}

void
fb_err_set(struct fb_err *err, enum fb_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fb_err_vset(err, code, fmt, ap);
	va_end(ap);
}

struct json_object *
fb_err_to_detail(const char *field, const struct fb_err *e)
{
	struct json_object *d;

	if (e->mcode != NULL)
		return fb_err_detail_msg(field, e->mcode,
		                         e->margs[0] ? json_tokener_parse(e->margs) : NULL);
	d = fb_err_detail_msg(field, MSG_TEXT_CODE,
	                      msg_args("text", json_object_new_string(e->msg), NULL));
	return d;
}

void
fb_err_detail(struct fb_err *err, struct json_object *detail)
{
	if (err == NULL) {
		json_object_put(detail);
		return;
	}
	if (err->details == NULL)
		err->details = json_object_new_array();
	json_object_array_add(err->details, detail);
}

void
fb_err_clear(struct fb_err *err)
{
	if (err->details != NULL)
		json_object_put(err->details);
	memset(err, 0, sizeof(*err));
}

int
fb_err_transient(const struct fb_err *err)
{
	static const char *const states[] = {"57P01", "57P02", "57P03", "53300", "40001", "40P01"};
	size_t i;

	if (err->code == FB_EREDIS)
		return 1;
	if (err->code != FB_EDB)
		return 0;
	/* No SQLSTATE: libpq itself failed (cannot connect, connection closed under it). */
	if (err->sqlstate[0] == '\0' || strncmp(err->sqlstate, "08", 2) == 0)
		return 1;
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(err->sqlstate, states[i]) == 0)
			return 1;
	return 0;
}

static const struct {
	const char *name;
	int status;
} codes[] = {
	[FB_OK] = {"ok", 200},
	[FB_EINVAL] = {"bad_request", 400},
	[FB_EAUTH] = {"unauthorized", 401},
	[FB_EFORBIDDEN] = {"forbidden", 403},
	[FB_ENOTFOUND] = {"not_found", 404},
	[FB_EMETHOD] = {"method_not_allowed", 405},
	[FB_ECONFLICT] = {"conflict", 409},
	[FB_ETOOBIG] = {"too_large", 413},
	[FB_EMEDIA] = {"unsupported_media_type", 415},
	[FB_EVALIDATION] = {"validation_failed", 422},
	[FB_EDB] = {"database_error", 503},
	[FB_EREDIS] = {"queue_error", 503},
	[FB_EIO] = {"io_error", 500},
	[FB_EINTERNAL] = {"internal_error", 500},
	[FB_EBUSY] = {"busy", 503},
};

int
fb_err_status(const struct fb_err *err)
{
	if ((size_t)err->code >= sizeof(codes) / sizeof(codes[0]))
		return 500;
	return codes[err->code].status;
}

const char *
fb_err_name(enum fb_code code)
{
	if ((size_t)code >= sizeof(codes) / sizeof(codes[0]))
		return "internal_error";
	return codes[code].name;
}
