/* SPDX-License-Identifier: MIT */
/*
 * schema: the model of an app version's form — parsing and checking {"fields":[..]}
 * (fields, types, bounds, select options, dependent selects, tables and their columns)
 * and the accessors everything else reads it through (see schema.h for the rules).  The
 * view, validation and merge, and the cell conversion live in schema_view.c,
 * schema_check.c and schema_cell.c; schema_int.h is the layout they share.
 *
 * Memory: a struct schema owns every field, label, option list and table column it holds
 * (xmalloc'ed, released by schema_free); accessors return pointers borrowed from it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "mem.h"
#include "schema_int.h"
#include "utf8.h"

static const char *const type_names[] = {
	[SCHEMA_TEXT] = "text",     [SCHEMA_NUMBER] = "number", [SCHEMA_DATE] = "date",
	[SCHEMA_SELECT] = "select", [SCHEMA_USER] = "user",     [SCHEMA_TABLE] = "table",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

/* ---- the schema ------------------------------------------------------------------------- */

static int
key_ok(const char *k)
{
	size_t i;

	if (!((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z') || k[0] == '_'))
		return 0;
	for (i = 1; k[i] != '\0'; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= 'a' && k[i] <= 'z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return i <= SCHEMA_MAX_KEY;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
field_release(struct schema_field *f)
{
	size_t i;

	free(f->key);
	free(f->label);
	strv_free(f->options, f->noptions);
	for (i = 0; i < f->nchildren; i++) {
		free(f->children[i].parent_value);
		strv_free(f->children[i].options, f->children[i].n);
	}
	free(f->children);
	for (i = 0; i < f->ncolumns; i++)
		field_release(&f->columns[i]);
	free(f->columns);
}

void
schema_free(struct schema *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		field_release(&s->fields[i]);
	free(s->fields);
	free(s);
}

static int bad_schema(struct fb_err *err, const char *loc, const char *fmt, ...) FB_PRINTF(3, 4);

static int
bad_schema(struct fb_err *err, const char *loc, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fb_err_set(err, FB_EINVAL, "form schema: %s%s%s", loc, *loc ? ": " : "", what);
	return -1;
}

/* A JSON number member (int or double, finite): 1 found, 0 absent, -1 wrong. */
static int
num_member(struct json_object *o, const char *name, double *out, const char *loc,
           struct fb_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int))
		*out = (double)json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double))
		*out = json_object_get_double(v);
	else
		return bad_schema(err, loc, "%s must be a number", name);
	if (!isfinite(*out))
		return bad_schema(err, loc, "%s must be a finite number", name);
	return 1;
}

/* A whole-number member within [lo, hi], dflt when absent: 0 or -1. */
static int
long_member(struct json_object *o, const char *name, long lo, long hi, long dflt, long *out,
            const char *loc, struct fb_err *err)
{
	double d = 0;
	int rc = num_member(o, name, &d, loc, err);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		*out = dflt;
		return 0;
	}
	if (d != floor(d) || d < (double)lo || d > (double)hi)
		return bad_schema(err, loc, "%s must be a whole number from %ld to %ld", name, lo,
		                  hi);
	*out = (long)d;
	return 0;
}

/* A string member: 1 found (borrowed), 0 absent, -1 wrong. */
static int
str_member(struct json_object *o, const char *name, const char **out, const char *loc,
           struct fb_err *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return bad_schema(err, loc, "%s must be a string", name);
	*out = json_object_get_string(v);
	return 1;
}

/* A display string (label or option): non-blank, no controls, UTF-8, at most max chars. */
static int
display_ok(struct json_object *v, size_t max, const char **why)
{
	const char *s;
	size_t len, n;

	if (!json_object_is_type(v, json_type_string)) {
		*why = "must be a string";
		return 0;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (schema_is_blank(s, len)) {
		*why = "must not be empty";
		return 0;
	}
	if (memchr(s, '\0', len) != NULL || utf8_scan(s, len, &n) != 0) {
		*why = "must be valid UTF-8 text";
		return 0;
	}
	if (schema_has_control(s, len)) {
		*why = "must not contain control characters";
		return 0;
	}
	if (schema_is_space(s[0]) || schema_is_space(s[len - 1])) {
		*why = "must not start or end with white space";
		return 0;
	}
	if (n > max) {
		*why = "is too long";
		return 0;
	}
	return 1;
}

static int
parse_options(struct json_object *arr, const char *what, char ***out, size_t *nout, const char *loc,
              struct fb_err *err)
{
	char **v = NULL;
	size_t n, i;
	const char *why;
	char cbuf[80];

	if (!json_object_is_type(arr, json_type_array))
		return bad_schema(err, loc, "%s must be an array of strings", what);
	n = json_object_array_length(arr);
	if (n == 0 || n > SCHEMA_MAX_OPTIONS)
		return bad_schema(err, loc, "%s must hold 1 to %d options", what,
		                  SCHEMA_MAX_OPTIONS);
	v = xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);

		if (!display_ok(o, SCHEMA_MAX_OPTION, &why)) {
			bad_schema(err, loc, "%s[%zu] %s", what, i, why);
			goto fail;
		}
		if (schema_str_in(v, i, json_object_get_string(o))) {
			bad_schema(err, loc, "%s lists \"%s\" twice", what,
			           schema_clip(json_object_get_string(o), cbuf));
			goto fail;
		}
		v[i] = xstrdup(json_object_get_string(o));
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	strv_free(v, n);
	return -1;
}

static const char *const members_common[] = {"key", "label", "type", NULL};
static const char *const members_text[] = {"max_length", NULL};
static const char *const members_number[] = {"min", "max", "decimals", NULL};
static const char *const members_none[] = {NULL};
static const char *const members_select[] = {"options", "depends_on", "options_by_parent", NULL};
static const char *const members_table[] = {"max_rows", "columns", NULL};
static const char *const *const members_by_type[] = {
	[SCHEMA_TEXT] = members_text, [SCHEMA_NUMBER] = members_number,
	[SCHEMA_DATE] = members_none, [SCHEMA_SELECT] = members_select,
	[SCHEMA_USER] = members_none, [SCHEMA_TABLE] = members_table,
};

/* The entry of fields[0..n) named key, or NULL. */
static const struct schema_field *
field_named(const struct schema_field *fields, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(fields[i].key, key) == 0)
			return &fields[i];
	return NULL;
}

static int parse_field(struct schema_field *f, struct json_object *fo, size_t index, int in_table,
                       const char *prefix, struct fb_err *err);

static int
parse_select(struct schema_field *f, struct json_object *fo, int in_table, const char *loc,
             struct fb_err *err)
{
	const struct schema_field *earlier = f - f->index;
	struct json_object *opts = NULL, *by_parent = NULL;
	const char *dep = NULL;
	const struct schema_field *p;
	char cbuf[80];

	json_object_object_get_ex(fo, "options", &opts);
	json_object_object_get_ex(fo, "options_by_parent", &by_parent);
	if (str_member(fo, "depends_on", &dep, loc, err) < 0)
		return -1;
	if (dep == NULL) {
		if (by_parent != NULL)
			return bad_schema(err, loc, "options_by_parent needs depends_on");
		if (opts == NULL)
			return bad_schema(err, loc, "a select needs options");
		return parse_options(opts, "options", &f->options, &f->noptions, loc, err);
	}
	if (in_table)
		return bad_schema(err, loc, "a table column cannot be a dependent select");
	p = field_named(earlier, f->index, dep);
	if (p == NULL || p->type != SCHEMA_SELECT)
		return bad_schema(err, loc, "depends_on \"%s\" must name an earlier select field",
		                  schema_clip(dep, cbuf));
	if (opts != NULL)
		return bad_schema(err, loc,
		                  "a dependent select takes options_by_parent, not options");
	if (by_parent == NULL || !json_object_is_type(by_parent, json_type_object))
		return bad_schema(err, loc, "a dependent select needs an options_by_parent object");
	f->parent = p;
	f->children = xcalloc((size_t)json_object_object_length(by_parent), sizeof(*f->children));
	{
		json_object_object_foreach(by_parent, pval, list)
		{
			struct child_list *c = &f->children[f->nchildren];
			char what[120];
			/* A dependent parent's values are the union of its own child lists. */
			int known = p->parent == NULL ? schema_str_in(p->options, p->noptions, pval)
			                              : schema_child_known(p, pval);

			if (!known)
				return bad_schema(err, loc,
				                  "options_by_parent has \"%s\", which is not "
				                  "an option of \"%s\"",
				                  schema_clip(pval, cbuf), p->key);
			snprintf(what, sizeof(what), "options_by_parent[\"%s\"]", schema_clip(pval, cbuf));
			if (parse_options(list, what, &c->options, &c->n, loc, err) != 0)
				return -1;
			c->parent_value = xstrdup(pval);
			f->nchildren++;
		}
	}
	return 0;
}

static int
parse_number(struct schema_field *f, struct json_object *fo, const char *loc, struct fb_err *err)
{
	long dec = 0;
	double limit;
	char b1[40], b2[40];

	if (long_member(fo, "decimals", 0, SCHEMA_MAX_DECIMALS, 0, &dec, loc, err) != 0)
		return -1;
	f->decimals = (int)dec;
	limit = SCHEMA_NUMBER_LIMIT / schema_pow10[dec];
	f->min = -limit;
	f->max = limit;
	if (num_member(fo, "min", &f->min, loc, err) < 0 ||
	    num_member(fo, "max", &f->max, loc, err) < 0)
		return -1;
	if (fabs(f->min) > limit || fabs(f->max) > limit)
		return bad_schema(err, loc, "min and max must be within ±%s with %ld decimals",
		                  schema_fmt_num(limit, b1), dec);
	if (f->min > f->max)
		return bad_schema(err, loc, "min %s is above max %s", schema_fmt_num(f->min, b1),
		                  schema_fmt_num(f->max, b2));
	return 0;
}

static int
parse_table(struct schema_field *f, struct json_object *fo, const char *loc, struct fb_err *err)
{
	struct json_object *cols;
	size_t n, i;
	char prefix[300];

	if (long_member(fo, "max_rows", 1, SCHEMA_ROWS_MAX, SCHEMA_ROWS_DEFAULT, &f->max_rows, loc,
	                err) != 0)
		return -1;
	if (!json_object_object_get_ex(fo, "columns", &cols) ||
	    !json_object_is_type(cols, json_type_array))
		return bad_schema(err, loc, "a table needs a columns array");
	n = json_object_array_length(cols);
	if (n == 0 || n > SCHEMA_MAX_COLUMNS)
		return bad_schema(err, loc, "a table must have 1 to %d columns",
		                  SCHEMA_MAX_COLUMNS);
	f->columns = xcalloc(n, sizeof(*f->columns));
	snprintf(prefix, sizeof(prefix), "%.255s, column", loc);
	for (i = 0; i < n; i++) {
		/* Counted first so that a failing column is released too. */
		f->ncolumns++;
		if (parse_field(&f->columns[i], json_object_array_get_idx(cols, i), i, 1, prefix,
		                err) != 0)
			return -1;
	}
	return 0;
}

/*
 * Parse one field into f (zeroed), the index-th of an array whose earlier entries are
 * parsed already (a schema's fields, or a table's columns when in_table).
 */
static int
parse_field(struct schema_field *f, struct json_object *fo, size_t index, int in_table,
            const char *prefix, struct fb_err *err)
{
	char loc[256], cbuf[80];
	const char *key = NULL, *type = NULL, *why;
	struct json_object *label;
	const struct schema_field *sib = f - index;
	size_t t, i;

	f->index = index;
	snprintf(loc, sizeof(loc), "%s %zu", prefix, index + 1);
	if (fo == NULL || !json_object_is_type(fo, json_type_object))
		return bad_schema(err, loc, "must be an object");
	if (str_member(fo, "key", &key, loc, err) < 0)
		return -1;
	if (key == NULL || !key_ok(key))
		return bad_schema(err, loc,
		                  "key must match [A-Za-z_][A-Za-z0-9_]* (at most %d bytes)",
		                  SCHEMA_MAX_KEY);
	snprintf(loc, sizeof(loc), "%s %zu (\"%s\")", prefix, index + 1, key);
	if (field_named(sib, index, key) != NULL)
		return bad_schema(err, loc, "key \"%s\" is used twice", key);
	f->key = xstrdup(key);
	if (!json_object_object_get_ex(fo, "label", &label) || label == NULL)
		return bad_schema(err, loc, "label is missing");
	if (!display_ok(label, SCHEMA_MAX_LABEL, &why))
		return bad_schema(err, loc, "label %s", why);
	for (i = 0; i < index; i++)
		if (strcmp(sib[i].label, json_object_get_string(label)) == 0)
			return bad_schema(err, loc, "label \"%s\" is used twice",
			                  json_object_get_string(label));
	f->label = xstrdup(json_object_get_string(label));
	if (str_member(fo, "type", &type, loc, err) < 0)
		return -1;
	if (type == NULL)
		return bad_schema(err, loc, "type is missing");
	for (t = 0; t < NTYPES; t++)
		if (strcmp(type, type_names[t]) == 0)
			break;
	if (t == NTYPES)
		return bad_schema(err, loc, "unknown type \"%s\"", schema_clip(type, cbuf));
	f->type = (enum schema_type)t;
	if (in_table && f->type == SCHEMA_TABLE)
		return bad_schema(err, loc,
		                  "a table column must be text, number, date, select or user");
	{
		json_object_object_foreach(fo, mname, mval)
		{
			(void)mval;
			if (!schema_in_list(members_common, mname) && !schema_in_list(members_by_type[t], mname))
				return bad_schema(err, loc,
				                  "member \"%s\" does not apply to a %s field",
				                  schema_clip(mname, cbuf), type);
		}
	}
	switch (f->type) {
	case SCHEMA_TEXT:
		return long_member(fo, "max_length", 1, SCHEMA_TEXT_MAX, SCHEMA_TEXT_DEFAULT,
		                   &f->max_length, loc, err);
	case SCHEMA_NUMBER:
		return parse_number(f, fo, loc, err);
	case SCHEMA_SELECT:
		return parse_select(f, fo, in_table, loc, err);
	case SCHEMA_TABLE:
		return parse_table(f, fo, loc, err);
	case SCHEMA_DATE:
	case SCHEMA_USER:
		break;
	}
	return 0;
}

struct schema *
schema_parse(struct json_object *form_schema, struct fb_err *err)
{
	struct schema *s = NULL;
	struct json_object *fields;
	size_t n, i;
	char cbuf[80];

	if (form_schema == NULL || !json_object_is_type(form_schema, json_type_object)) {
		bad_schema(err, "", "must be an object with a fields array");
		return NULL;
	}
	{
		json_object_object_foreach(form_schema, mname, mval)
		{
			(void)mval;
			if (strcmp(mname, "fields") != 0) {
				bad_schema(err, "", "unknown member \"%s\"", schema_clip(mname, cbuf));
				return NULL;
			}
		}
	}
	if (!json_object_object_get_ex(form_schema, "fields", &fields) ||
	    !json_object_is_type(fields, json_type_array)) {
		bad_schema(err, "", "must be an object with a fields array");
		return NULL;
	}
	n = json_object_array_length(fields);
	if (n > SCHEMA_MAX_FIELDS) {
		bad_schema(err, "", "at most %d fields", SCHEMA_MAX_FIELDS);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->fields = xcalloc(n, sizeof(*s->fields));
	for (i = 0; i < n; i++) {
		s->n++;
		if (parse_field(&s->fields[i], json_object_array_get_idx(fields, i), i, 0, "field",
		                err) != 0)
			goto fail;
	}
	return s;
fail:
	schema_free(s);
	return NULL;
}

size_t
schema_nfields(const struct schema *s)
{
	return s->n;
}

const struct schema_field *
schema_field_at(const struct schema *s, size_t i)
{
	return i < s->n ? &s->fields[i] : NULL;
}

const struct schema_field *
schema_field_by_key(const struct schema *s, const char *key)
{
	return field_named(s->fields, s->n, key);
}

const char *
schema_type_name(enum schema_type type)
{
	return (size_t)type < NTYPES ? type_names[type] : "unknown";
}

const char *
schema_field_key(const struct schema_field *f)
{
	return f->key;
}

const char *
schema_field_label(const struct schema_field *f)
{
	return f->label;
}

enum schema_type
schema_field_type(const struct schema_field *f)
{
	return f->type;
}

size_t
schema_field_index(const struct schema_field *f)
{
	return f->index;
}

const char *const *
schema_field_options(const struct schema_field *f, size_t *n)
{
	*n = f->noptions;
	return (const char *const *)f->options;
}

const struct schema_field *
schema_field_parent(const struct schema_field *f)
{
	return f->parent;
}

const char *
schema_field_depends_on(const struct schema_field *f)
{
	return f->parent != NULL ? f->parent->key : NULL;
}

const char *const *
schema_field_child_options(const struct schema_field *f, const char *parent_value, size_t *n)
{
	size_t i;

	*n = 0;
	if (parent_value == NULL)
		return NULL;
	for (i = 0; i < f->nchildren; i++)
		if (strcmp(f->children[i].parent_value, parent_value) == 0) {
			*n = f->children[i].n;
			return (const char *const *)f->children[i].options;
		}
	return NULL;
}

long
schema_field_max_length(const struct schema_field *f)
{
	return f->type == SCHEMA_TEXT ? f->max_length : 0;
}

double
schema_field_min(const struct schema_field *f)
{
	return f->type == SCHEMA_NUMBER ? f->min : 0;
}

double
schema_field_max(const struct schema_field *f)
{
	return f->type == SCHEMA_NUMBER ? f->max : 0;
}

int
schema_field_decimals(const struct schema_field *f)
{
	return f->type == SCHEMA_NUMBER ? f->decimals : 0;
}

long
schema_field_max_rows(const struct schema_field *f)
{
	return f->type == SCHEMA_TABLE ? f->max_rows : 0;
}

size_t
schema_field_ncolumns(const struct schema_field *f)
{
	return f->ncolumns;
}

const struct schema_field *
schema_field_column(const struct schema_field *f, size_t i)
{
	return i < f->ncolumns ? &f->columns[i] : NULL;
}

const struct schema_field *
schema_field_column_by_key(const struct schema_field *f, const char *key)
{
	return field_named(f->columns, f->ncolumns, key);
}

int
schema_child_known(const struct schema_field *f, const char *child)
{
	size_t i;

	for (i = 0; i < f->nchildren; i++)
		if (schema_str_in(f->children[i].options, f->children[i].n, child))
			return 1;
	return 0;
}
