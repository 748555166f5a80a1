/* SPDX-License-Identifier: MIT */
/*
 * schema_cell: a form value and the text of an Excel cell — reading what people type into
 * a template (numbers with thousands commas or an exponent, dates written with '-', '/' or
 * '.' and maybe a time of day, options, logins) into the field's JSON value, and writing a
 * stored value back as the text a template cell shows.  Bounds and decimals are checked by
 * the same code as JSON input (schema_value.c); what needs the whole form (user existence,
 * a dependent select's parent) is left to schema_merge.
 *
 * Memory: values read are new JSON objects for the caller; texts written are malloc'ed
 * for the caller.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "schema_int.h"
#include "utf8.h"

/*
 * A number as people and spreadsheets write it: optional sign, schema_digits with optional
 * thousands commas (groups of three), optional fraction, optional exponent.  0 or -1.
 */
static int
number_from_text(const char *s, size_t len, double *out)
{
	char clean[72];
	size_t i = 0, n = 0, group = 0, ndigits = 0;
	int commas = 0, first_group = 1;

	if (len > 64)
		return -1;
	if (s[i] == '+' || s[i] == '-')
		clean[n++] = s[i++];
	for (; i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == ','); i++) {
		if (s[i] == ',') {
			if (group == 0 || group > 3 || (!first_group && group != 3))
				return -1;
			first_group = 0;
			commas = 1;
			group = 0;
			continue;
		}
		clean[n++] = s[i];
		group++;
		ndigits++;
	}
	if (commas && group != 3)
		return -1;
	if (i < len && s[i] == '.') {
		clean[n++] = s[i++];
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, ndigits++)
			clean[n++] = s[i];
	}
	if (ndigits == 0)
		return -1;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;

		clean[n++] = s[i++];
		if (i < len && (s[i] == '+' || s[i] == '-'))
			clean[n++] = s[i++];
		for (; i < len && s[i] >= '0' && s[i] <= '9' && exp_digits < 4; i++, exp_digits++)
			clean[n++] = s[i];
		if (exp_digits == 0)
			return -1;
	}
	if (i != len)
		return -1;
	clean[n] = '\0';
	*out = strtod(clean, NULL);
	return 0;
}

/*
 * A date as YYYY-M-D with '-', '/' or '.', optionally followed by a time of day that is
 * dropped.  0 with out = "YYYY-MM-DD", -1 not written as a date, -2 no such day.
 */
static int
date_from_text(const char *s, size_t len, char out[11])
{
	size_t i = 5, j;
	int y, m = 0, d = 0;
	char sep;

	if (len < 8 || (y = schema_digits(s, 4)) < 0 || strchr("-/.", s[4]) == NULL || s[4] == '\0')
		return -1;
	sep = s[4];
	for (j = 0; i < len && j < 2 && s[i] >= '0' && s[i] <= '9'; i++, j++)
		m = m * 10 + (s[i] - '0');
	if (j == 0 || i >= len || s[i] != sep)
		return -1;
	for (i++, j = 0; i < len && j < 2 && s[i] >= '0' && s[i] <= '9'; i++, j++)
		d = d * 10 + (s[i] - '0');
	if (j == 0)
		return -1;
	if (i < len) {
		if (s[i] != 'T' && s[i] != ' ')
			return -1;
		if (++i >= len || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < len; i++)
			if (strchr("0123456789:.Z", s[i]) == NULL || s[i] == '\0')
				return -1;
	}
	if (!schema_date_real(y, m, d))
		return -2;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = out[7] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
	return 0;
}

int
schema_value_from_text(const struct schema_field *f, const char *text, struct json_object **out,
                       struct fb_err *err)
{
	char date[11];
	struct msg_reason r = {0};
	char *val = NULL;
	const char *b, *e;
	size_t len;
	double d;
	int rc;

	*out = NULL;
	if (text == NULL || schema_is_blank(text, strlen(text)))
		return 0;
	if (f->type == SCHEMA_TABLE) {
		fb_err_set(err, FB_EINVAL, "\"%s\" (%s): a table cannot be read from one cell",
		           f->label, f->key);
		return -1;
	}
	len = strlen(text);
	if (f->type == SCHEMA_TEXT) {
		if (schema_check_text(f, text, len, out, &r) != 0)
			goto bad;
		return 0;
	}
	for (b = text; schema_is_space(*b); b++)
		;
	for (e = text + len; e > b && schema_is_space(e[-1]); e--)
		;
	val = xstrndup(b, (size_t)(e - b));
	len = (size_t)(e - b);
	switch (f->type) {
	case SCHEMA_NUMBER:
		if (number_from_text(val, len, &d) != 0) {
			msg_reason_set(&r, "form.not_number", msg_args("value", schema_pval(val), NULL));
			goto bad;
		}
		if (schema_check_number(f, d, out, &r) != 0)
			goto bad;
		break;
	case SCHEMA_DATE:
		rc = date_from_text(val, len, date);
		if (rc == -1) {
			msg_reason_set(&r, "form.not_date", msg_args("value", schema_pval(val), NULL));
			goto bad;
		}
		if (rc == -2) {
			msg_reason_set(&r, "form.date_range_q", msg_args("value", schema_pval(val), NULL));
			goto bad;
		}
		*out = json_object_new_string(date);
		break;
	case SCHEMA_SELECT:
		if (utf8_scan(val, len, NULL) != 0 ||
		    !(f->parent == NULL ? schema_str_in(f->options, f->noptions, val)
		                        : schema_child_known(f, val))) {
			msg_reason_set(&r, "form.not_option", msg_args("value", schema_pval(val), NULL));
			goto bad;
		}
		*out = json_object_new_string(val);
		break;
	default: /* SCHEMA_USER */
		if (!schema_login_ok(val, len)) {
			msg_reason_set(&r, "form.not_login", msg_args("value", schema_pval(val), NULL));
			goto bad;
		}
		*out = json_object_new_string(val);
		break;
	}
	free(val);
	return 0;
bad: {
	struct json_object *what = json_object_new_object();

	json_object_object_add(what, "code", json_object_new_string(r.code));
	json_object_object_add(what, "params", r.params ? r.params : json_object_new_object());
	r.params = NULL;
	free(val);
	fb_err_msg(err, FB_EVALIDATION, "form.value",
	           msg_args("label", json_object_new_string(f->label), "key",
	                    json_object_new_string(f->key), "what", what, NULL));
	return -1;
}
}

char *
schema_value_to_text(const struct schema_field *f, struct json_object *value)
{
	double v, scaled, r;
	char txt[48];

	if (value == NULL)
		return NULL;
	switch (json_object_get_type(value)) {
	case json_type_string:
		if (schema_is_blank(json_object_get_string(value),
		             (size_t)json_object_get_string_len(value)))
			return NULL;
		return xstrdup(json_object_get_string(value));
	case json_type_int:
		return xasprintf("%lld", (long long)json_object_get_int64(value));
	case json_type_double:
		v = json_object_get_double(value);
		if (f->type == SCHEMA_NUMBER && isfinite(v)) {
			scaled = v * schema_pow10[f->decimals];
			r = nearbyint(scaled);
			if (fabs(r) < SCHEMA_NUMBER_LIMIT &&
			    fabs(scaled - r) <= fmax(1e-9, fabs(scaled) * 4e-16)) {
				schema_fmt_scaled(r, f->decimals, txt);
				return xstrdup(txt);
			}
		}
		return xasprintf("%.15g", v);
	case json_type_array:
		if (json_object_array_length(value) == 0)
			return NULL;
		/* fall through */
	default:
		return xstrdup(json_object_to_json_string_ext(
		        value, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}
