/* SPDX-License-Identifier: MIT */
/*
 * schema_value: one form value on its own — the text rules every part of the schema module
 * applies (white space, control characters, logins, calendar dates, quoting a value in a
 * message) and the checks that turn a number, a text or a date into its canonical JSON.
 * Validation (schema_check.c) and the cell conversion (schema_cell.c) both go through
 * these, so a value means the same whether it came as JSON or as a cell's text.
 *
 * Memory: nothing is kept; a check's *out is a new JSON value for the caller, a reason's
 * params are new (msg_reason owns them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "msg.h"
#include "schema_int.h"
#include "tz.h"
#include "utf8.h"

const double schema_pow10[SCHEMA_MAX_DECIMALS + 1] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};

/* ---- text ------------------------------------------------------------------------------- */

int
schema_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int
schema_is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!schema_is_space(s[i]))
			return 0;
	return 1;
}

int
schema_has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Copy at most about 60 bytes of s for quoting in a message, cut on a character boundary. */
const char *
schema_clip(const char *s, char out[80])
{
	size_t len = strlen(s), n;

	if (utf8_scan(s, len, NULL) != 0 || schema_has_control(s, len))
		return "(unprintable)";
	if (len <= 60)
		return s;
	n = utf8_floor(s, 60);
	memcpy(out, s, n);
	memcpy(out + n, "…", sizeof("…"));
	return out;
}

/* A clipped value as a message parameter (schema_clip() says how); new. */
struct json_object *
schema_pval(const char *s)
{
	char cbuf[80];

	return json_object_new_string(schema_clip(s, cbuf));
}

/* "%.15g" without a trailing noise: bounds are shown as the schema wrote them. */
const char *
schema_fmt_num(double v, char out[40])
{
	snprintf(out, 40, "%.15g", v);
	return out;
}

int
schema_login_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > SCHEMA_MAX_LOGIN || memchr(s, '\0', len) != NULL ||
	    utf8_scan(s, len, NULL) != 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Whether y-m-d is a real calendar date in the supported range. */
int
schema_date_real(int y, int m, int d)
{
	return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= tz_days_in_month(y, m);
}

int
schema_digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
schema_str_in(char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

int
schema_in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* ---- single values ----------------------------------------------------------------------- */

/*
 * Each check below takes one value and either builds its canonical JSON (*out new, or
 * NULL for an empty value) and returns 0, or writes why it is wrong (without the field's
 * name) and returns -1.
 */

/* Format r / 10^d exactly (r a whole number below 10^15 in magnitude). */
void
schema_fmt_scaled(double r, int d, char out[48])
{
	long long ir = (long long)fabs(r), p = (long long)schema_pow10[d];
	int len;

	len = snprintf(out, 48, "%s%lld", r < 0 && ir != 0 ? "-" : "", ir / p);
	if (d > 0 && ir % p != 0) {
		len += snprintf(out + len, (size_t)(48 - len), ".%0*lld", d, ir % p);
		while (out[len - 1] == '0')
			out[--len] = '\0';
	}
}

int
schema_check_number(const struct schema_field *f, double v, struct json_object **out,
             struct msg_reason *why)
{
	double scaled, r, tol;
	char b[40], txt[48];

	if (!isfinite(v)) {
		msg_reason_set(why, "form.finite", NULL);
		return -1;
	}
	if (v < f->min) {
		msg_reason_set(why, "form.min", msg_args("min", json_object_new_string(schema_fmt_num(f->min, b)), NULL));
		return -1;
	}
	if (v > f->max) {
		msg_reason_set(why, "form.max", msg_args("max", json_object_new_string(schema_fmt_num(f->max, b)), NULL));
		return -1;
	}
	/* Decimal fractions are inexact in binary: allow the noise of one rounding step. */
	scaled = v * schema_pow10[f->decimals];
	r = nearbyint(scaled);
	tol = fmax(1e-9, fabs(scaled) * 4e-16);
	if (fabs(scaled - r) > tol) {
		if (f->decimals == 0)
			msg_reason_set(why, "form.whole", NULL);
		else
			msg_reason_set(why, f->decimals == 1 ? "form.decimal" : "form.decimals",
			               msg_args("n", json_object_new_int(f->decimals), NULL));
		return -1;
	}
	schema_fmt_scaled(r, f->decimals, txt);
	if (strchr(txt, '.') == NULL)
		*out = json_object_new_int64(strtoll(txt, NULL, 10));
	else
		*out = json_object_new_double_s(strtod(txt, NULL), txt);
	return 0;
}

int
schema_check_text(const struct schema_field *f, const char *s, size_t len, struct json_object **out,
           struct msg_reason *why)
{
	size_t n;

	if (memchr(s, '\0', len) != NULL) {
		msg_reason_set(why, "form.nul", NULL);
		return -1;
	}
	if (utf8_scan(s, len, &n) != 0) {
		msg_reason_set(why, "form.utf8", NULL);
		return -1;
	}
	if ((long)n > f->max_length) {
		msg_reason_set(why, "form.too_long",
		               msg_args("max", json_object_new_int64(f->max_length), "n",
		                        json_object_new_int64((int64_t)n), NULL));
		return -1;
	}
	*out = len == 0 ? NULL : json_object_new_string_len(s, (int)len);
	return 0;
}

/* Strict form: exactly YYYY-MM-DD. */
int
schema_check_date(const char *s, size_t len, struct json_object **out, struct msg_reason *why)
{
	int y, m, d;

	if (len == 0) {
		*out = NULL;
		return 0;
	}
	if (len != 10 || s[4] != '-' || s[7] != '-' || (y = schema_digits(s, 4)) < 0 ||
	    (m = schema_digits(s + 5, 2)) < 0 || (d = schema_digits(s + 8, 2)) < 0) {
		msg_reason_set(why, "form.date_format", msg_args("value", schema_pval(s), NULL));
		return -1;
	}
	if (!schema_date_real(y, m, d)) {
		msg_reason_set(why, "form.date_range", msg_args("value", json_object_new_string(s), NULL));
		return -1;
	}
	*out = json_object_new_string_len(s, (int)len);
	return 0;
}
