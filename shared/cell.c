/* SPDX-License-Identifier: MIT */
/*
 * cell: form values as cells of a libxlsxwriter sheet (see cell.h).  Nothing allocated
 * here outlives a call, except the text cell_str() appends to the caller's buffer.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cell.h"
#include "jsonh.h"
#include "schema.h"
#include "utf8.h"

int
cell_fail(struct fb_err *err, const char *what, lxw_error e)
{
	fb_err_set(err, FB_EINTERNAL, "xlsx: %s: %s", what, lxw_strerror(e));
	return -1;
}

int
cell_write_str(lxw_worksheet *ws, size_t row, size_t col, const char *s, lxw_format *fmt,
          struct fb_err *err)
{
	lxw_error e;
	size_t cut = utf8_prefix(s, CELL_MAX);

	if (s[cut] != '\0') {
		char *t = xstrndup(s, cut);

		e = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, t, fmt);
		free(t);
	} else {
		e = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, fmt);
	}
	return e == LXW_NO_ERROR ? 0 : cell_fail(err, "write_string", e);
}

void
cell_str(struct cell *c, const char *s, struct buf *text)
{
	c->kind = CELL_STR;
	c->off = text->len;
	buf_add(text, s, utf8_prefix(s, CELL_MAX));
	buf_add(text, "", 1);
}

/* Only white space (as schema.c's blank test: no cell for it). */
static int
text_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (strchr(" \t\r\n\v\f", s[i]) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

/* The cell of a string value s (len bytes) of field f. */
static void
cell_of_string(const struct schema_field *f, const char *s, size_t len, struct buf *text,
               struct cell *c)
{
	c->kind = CELL_NONE;
	if (schema_field_type(f) == SCHEMA_DATE) {
		int used = 0;

		if (sscanf(s, "%4d-%2d-%2d%n", &c->y, &c->m, &c->d, &used) == 3 && used == 10 &&
		    s[10] == '\0' && c->y >= 1900 && c->y <= 9999 && c->m >= 1 && c->m <= 12 &&
		    c->d >= 1 && c->d <= 31) {
			c->kind = CELL_DATE;
			return;
		}
	}
	if (!text_blank(s, len))
		cell_str(c, s, text);
}

void
cell_of(const struct schema_field *f, struct json_object *value, struct buf *text,
        struct cell *c)
{
	enum json_type t = value != NULL ? json_object_get_type(value) : json_type_null;
	char *txt;

	c->kind = CELL_NONE;
	if (t == json_type_null)
		return;
	if (schema_field_type(f) == SCHEMA_NUMBER && (t == json_type_int || t == json_type_double)) {
		c->num = json_object_get_double(value);
		if (isfinite(c->num)) {
			c->kind = CELL_NUM;
			return;
		}
	}
	if (t == json_type_string) {
		cell_of_string(f, json_object_get_string(value),
		               (size_t)json_object_get_string_len(value), text, c);
		return;
	}
	txt = schema_value_to_text(f, value);
	if (txt != NULL)
		cell_str(c, txt, text);
	free(txt);
}

/*
 * The double json-c gives for the JSON number s when that is plain (an optional minus,
 * digits, at most one point, 15 characters at most: an integer is exact in a double, a
 * fraction is read by strtod() as json-c reads it); -1 for anything else.
 */
static int
plain_number(const char *s, double *out)
{
	size_t n = strlen(s), i;
	int dot = 0;
	char *end;

	if (n == 0 || n > 15)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && !dot && i > 0)
			dot = 1;
		else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] == '-' && i == 0)))
			return -1;
	}
	errno = 0;
	*out = dot ? strtod(s, &end) : (double)strtoll(s, &end, 10);
	return *end == '\0' && errno == 0 ? 0 : -1;
}

int
cell_of_typed(const struct schema_field *f, const char *v, struct buf *text, struct cell *c,
              struct fb_err *err)
{
	struct json_object *value;

	c->kind = CELL_NONE;
	if (v == NULL)
		return 0;
	if (v[0] == 's') {
		cell_of_string(f, v + 1, strlen(v + 1), text, c);
		return 0;
	}
	if (v[0] == 'n' && schema_field_type(f) == SCHEMA_NUMBER && plain_number(v + 1, &c->num) == 0) {
		c->kind = CELL_NUM;
		return 0;
	}
	/* Anything else as its JSON value: the rare case of tables, booleans, odd numbers. */
	value = jsonh_parse(v + 1, strlen(v + 1), err);
	if (value == NULL)
		return -1;
	cell_of(f, value, text, c);
	json_object_put(value);
	return 0;
}

int
cell_write(lxw_worksheet *ws, size_t row, size_t col, const struct cell *c, const char *text,
           lxw_format *fmt, struct fb_err *err)
{
	lxw_datetime dt;
	lxw_error e;

	switch (c->kind) {
	case CELL_STR:
		e = worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, text + c->off, fmt);
		return e == LXW_NO_ERROR ? 0 : cell_fail(err, "write_string", e);
	case CELL_NUM:
		e = worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, c->num, fmt);
		return e == LXW_NO_ERROR ? 0 : cell_fail(err, "write_number", e);
	case CELL_DATE:
		memset(&dt, 0, sizeof(dt));
		dt.year = c->y;
		dt.month = c->m;
		dt.day = c->d;
		e = worksheet_write_datetime(ws, (lxw_row_t)row, (lxw_col_t)col, &dt, fmt);
		return e == LXW_NO_ERROR ? 0 : cell_fail(err, "write_datetime", e);
	case CELL_NONE:
		break;
	}
	return 0;
}

int
cell_write_value(lxw_worksheet *ws, size_t row, size_t col, const struct schema_field *f,
            struct json_object *value, lxw_format *fmt, struct fb_err *err)
{
	struct buf text = {0};
	struct cell c;
	int rc;

	cell_of(f, value, &text, &c);
	rc = cell_write(ws, row, col, &c, text.data, fmt, err);
	free(text.data);
	return rc;
}

int
cell_write_blank(lxw_worksheet *ws, size_t row, size_t col, lxw_format *fmt, struct fb_err *err)
{
	lxw_error e = worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, fmt);

	return e == LXW_NO_ERROR ? 0 : cell_fail(err, "write_blank", e);
}

struct json_object *
cell_form_value(struct json_object *form, const char *key)
{
	struct json_object *v = NULL;

	if (form == NULL || !json_object_is_type(form, json_type_object) ||
	    !json_object_object_get_ex(form, key, &v))
		return NULL;
	return v;
}

