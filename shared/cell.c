/* SPDX-License-Identifier: MIT */
/*
 * cell: form values as cells of a libxlsxwriter sheet (see cell.h).  Nothing allocated
 * here outlives a call, except the text cell_str() appends to the caller's buffer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cell.h"
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
	if (schema_field_type(f) == SCHEMA_DATE && t == json_type_string) {
		int used = 0;
		const char *s = json_object_get_string(value);

		if (sscanf(s, "%4d-%2d-%2d%n", &c->y, &c->m, &c->d, &used) == 3 && used == 10 &&
		    s[10] == '\0' && c->y >= 1900 && c->y <= 9999 && c->m >= 1 && c->m <= 12 &&
		    c->d >= 1 && c->d <= 31) {
			c->kind = CELL_DATE;
			return;
		}
	}
	txt = schema_value_to_text(f, value);
	if (txt != NULL)
		cell_str(c, txt, text);
	free(txt);
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

