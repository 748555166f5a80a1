/* SPDX-License-Identifier: MIT */
/*
 * err: filling and mapping struct fb_err.  See err.h for the ownership of details.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "err.h"

void
fb_err_vset(struct fb_err *err, enum fb_code code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

void
fb_err_set(struct fb_err *err, enum fb_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fb_err_vset(err, code, fmt, ap);
	va_end(ap);
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
