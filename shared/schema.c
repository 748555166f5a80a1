/* SPDX-License-Identifier: MIT */
/*
 * schema: parsing an app version's form schema and a node's view, and validating and
 * merging form values against them (see schema.h for the rules).
 *
 * Memory: a struct schema owns every field, label, option list and table column it holds
 * (xmalloc'ed, released by schema_free); a struct view owns one flag byte per field and
 * borrows its schema.  A merge owns its working copy until it hands it to the caller;
 * collected error details are kept in a private array and moved into the caller's
 * fb_err only when the merge fails with FB_EVALIDATION.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "schema.h"
#include "utf8.h"

struct child_list {
	char *parent_value;
	char **options;
	size_t n;
};

struct schema_field {
	char *key;
	char *label;
	enum schema_type type;
	size_t index;
	long max_length; /* text */
	double min, max; /* number: effective bounds */
	int decimals;    /* number */
	char **options;  /* plain select */
	size_t noptions;
	const struct schema_field *parent; /* dependent select */
	struct child_list *children;
	size_t nchildren;
	long max_rows; /* table */
	struct schema_field *columns;
	size_t ncolumns;
};

struct schema {
	struct schema_field *fields;
	size_t n;
};

enum {
	VIEW_VISIBLE = 1,
	VIEW_SEARCHABLE = 2,
	VIEW_WRITABLE = 4,
	VIEW_REQUIRED = 8,
	VIEW_REQUIRED_DERIVED = 16,
};

struct view {
	const struct schema *s;
	unsigned char *flags; /* one per field, by index */
};

static const char *const type_names[] = {
	[SCHEMA_TEXT] = "text",     [SCHEMA_NUMBER] = "number", [SCHEMA_DATE] = "date",
	[SCHEMA_SELECT] = "select", [SCHEMA_USER] = "user",     [SCHEMA_TABLE] = "table",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const double pow10_tab[SCHEMA_MAX_DECIMALS + 1] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};

/* ---- text helpers ------------------------------------------------------------------------ */

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int
is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!is_space(s[i]))
			return 0;
	return 1;
}

static int
has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* Copy at most about 60 bytes of s for quoting in a message, cut on a character boundary. */
static const char *
clip(const char *s, char out[80])
{
	size_t len = strlen(s), n;

	if (utf8_scan(s, len, NULL) != 0 || has_control(s, len))
		return "(unprintable)";
	if (len <= 60)
		return s;
	n = utf8_floor(s, 60);
	memcpy(out, s, n);
	memcpy(out + n, "…", sizeof("…"));
	return out;
}

/* A clipped value as a message parameter (clip() says how); new. */
static struct json_object *
pval(const char *s)
{
	char cbuf[80];

	return json_object_new_string(clip(s, cbuf));
}

/* "%.15g" without a trailing noise: bounds are shown as the schema wrote them. */
static const char *
fmt_num(double v, char out[40])
{
	snprintf(out, 40, "%.15g", v);
	return out;
}

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

static int
login_ok(const char *s, size_t len)
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

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Whether y-m-d is a real calendar date in the supported range. */
static int
date_real(int y, int m, int d)
{
	return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
str_in(char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* ---- the schema ------------------------------------------------------------------------- */

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
	if (is_blank(s, len)) {
		*why = "must not be empty";
		return 0;
	}
	if (memchr(s, '\0', len) != NULL || utf8_scan(s, len, &n) != 0) {
		*why = "must be valid UTF-8 text";
		return 0;
	}
	if (has_control(s, len)) {
		*why = "must not contain control characters";
		return 0;
	}
	if (is_space(s[0]) || is_space(s[len - 1])) {
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
		if (str_in(v, i, json_object_get_string(o))) {
			bad_schema(err, loc, "%s lists \"%s\" twice", what,
			           clip(json_object_get_string(o), cbuf));
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

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
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
	const struct schema_field *p = NULL;
	size_t i;
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
	for (i = 0; i < f->index; i++)
		if (strcmp(earlier[i].key, dep) == 0)
			p = &earlier[i];
	if (p == NULL || p->type != SCHEMA_SELECT)
		return bad_schema(err, loc, "depends_on \"%s\" must name an earlier select field",
		                  clip(dep, cbuf));
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
			int known = p->parent == NULL ? str_in(p->options, p->noptions, pval) : 0;
			size_t j;

			/* A dependent parent's values are the union of its own child lists. */
			for (j = 0; !known && j < p->nchildren; j++)
				known = str_in(p->children[j].options, p->children[j].n, pval);
			if (!known)
				return bad_schema(err, loc,
				                  "options_by_parent has \"%s\", which is not "
				                  "an option of \"%s\"",
				                  clip(pval, cbuf), p->key);
			snprintf(what, sizeof(what), "options_by_parent[\"%s\"]", clip(pval, cbuf));
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
	limit = SCHEMA_NUMBER_LIMIT / pow10_tab[dec];
	f->min = -limit;
	f->max = limit;
	if (num_member(fo, "min", &f->min, loc, err) < 0 ||
	    num_member(fo, "max", &f->max, loc, err) < 0)
		return -1;
	if (fabs(f->min) > limit || fabs(f->max) > limit)
		return bad_schema(err, loc, "min and max must be within ±%s with %ld decimals",
		                  fmt_num(limit, b1), dec);
	if (f->min > f->max)
		return bad_schema(err, loc, "min %s is above max %s", fmt_num(f->min, b1),
		                  fmt_num(f->max, b2));
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
	for (i = 0; i < index; i++)
		if (strcmp(sib[i].key, key) == 0)
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
		return bad_schema(err, loc, "unknown type \"%s\"", clip(type, cbuf));
	f->type = (enum schema_type)t;
	if (in_table && f->type == SCHEMA_TABLE)
		return bad_schema(err, loc,
		                  "a table column must be text, number, date, select or user");
	{
		json_object_object_foreach(fo, mname, mval)
		{
			(void)mval;
			if (!in_list(members_common, mname) && !in_list(members_by_type[t], mname))
				return bad_schema(err, loc,
				                  "member \"%s\" does not apply to a %s field",
				                  clip(mname, cbuf), type);
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
				bad_schema(err, "", "unknown member \"%s\"", clip(mname, cbuf));
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
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->fields[i].key, key) == 0)
			return &s->fields[i];
	return NULL;
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
	size_t i;

	for (i = 0; i < f->ncolumns; i++)
		if (strcmp(f->columns[i].key, key) == 0)
			return &f->columns[i];
	return NULL;
}

/* ---- the view ---------------------------------------------------------------------------- */

static int
view_list(const struct schema *s, struct json_object *view, const char *name, int flag,
          unsigned char *flags, struct fb_err *err)
{
	struct json_object *arr, *o;
	const struct schema_field *f;
	size_t i, n;
	char cbuf[80];

	if (!json_object_object_get_ex(view, name, &arr) || arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		fb_err_set(err, FB_EINVAL, "view: %s must be an array of field keys", name);
		return -1;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(arr, i);
		if (o == NULL || !json_object_is_type(o, json_type_string)) {
			fb_err_set(err, FB_EINVAL, "view: %s[%zu] must be a field key", name, i);
			return -1;
		}
		f = schema_field_by_key(s, json_object_get_string(o));
		if (f == NULL) {
			fb_err_set(err, FB_EINVAL, "view: %s names unknown field \"%s\"", name,
			           clip(json_object_get_string(o), cbuf));
			return -1;
		}
		if (flag == VIEW_SEARCHABLE && f->type == SCHEMA_TABLE) {
			fb_err_set(err, FB_EINVAL, "view: table \"%s\" cannot be searchable",
			           f->key);
			return -1;
		}
		flags[f->index] |= (unsigned char)flag;
	}
	return 0;
}

struct view *
view_parse(const struct schema *s, struct json_object *view, struct fb_err *err)
{
	static const char *const allowed[] = {"visible", "searchable", "writable", "required",
	                                      NULL};
	struct view *v;
	const struct schema_field *p;
	size_t i;
	char cbuf[80];

	if (view != NULL && !json_object_is_type(view, json_type_object)) {
		fb_err_set(err, FB_EINVAL, "view: must be an object");
		return NULL;
	}
	v = xcalloc(1, sizeof(*v));
	v->s = s;
	v->flags = xcalloc(s->n, 1);
	if (view == NULL)
		return v;
	{
		json_object_object_foreach(view, mname, mval)
		{
			(void)mval;
			if (!in_list(allowed, mname)) {
				fb_err_set(err, FB_EINVAL, "view: unknown member \"%s\"",
				           clip(mname, cbuf));
				goto fail;
			}
		}
	}
	if (view_list(s, view, "visible", VIEW_VISIBLE, v->flags, err) != 0 ||
	    view_list(s, view, "searchable", VIEW_SEARCHABLE, v->flags, err) != 0 ||
	    view_list(s, view, "writable", VIEW_WRITABLE | VIEW_VISIBLE, v->flags, err) != 0 ||
	    view_list(s, view, "required", VIEW_REQUIRED, v->flags, err) != 0)
		goto fail;
	/* A required dependent select needs its parent, and that parent its own parent. */
	for (i = 0; i < s->n; i++)
		if (v->flags[i] & (VIEW_REQUIRED | VIEW_REQUIRED_DERIVED))
			for (p = s->fields[i].parent; p != NULL; p = p->parent)
				v->flags[p->index] |= VIEW_REQUIRED_DERIVED;
	return v;
fail:
	view_free(v);
	return NULL;
}

void
view_free(struct view *v)
{
	if (v == NULL)
		return;
	free(v->flags);
	free(v);
}

const struct schema *
view_schema(const struct view *v)
{
	return v->s;
}

static int
view_flag(const struct view *v, const char *key, int mask)
{
	const struct schema_field *f = schema_field_by_key(v->s, key);

	return f != NULL && (v->flags[f->index] & mask) != 0;
}

int
view_is_visible(const struct view *v, const char *key)
{
	return view_flag(v, key, VIEW_VISIBLE);
}

int
view_is_searchable(const struct view *v, const char *key)
{
	return view_flag(v, key, VIEW_SEARCHABLE);
}

int
view_is_writable(const struct view *v, const char *key)
{
	return view_flag(v, key, VIEW_WRITABLE);
}

int
view_is_required(const struct view *v, const char *key)
{
	return view_flag(v, key, VIEW_REQUIRED | VIEW_REQUIRED_DERIVED);
}

/* ---- single values ----------------------------------------------------------------------- */

/*
 * Each check below takes one value and either builds its canonical JSON (*out new, or
 * NULL for an empty value) and returns 0, or writes why it is wrong (without the field's
 * name) and returns -1.
 */

/* Format r / 10^d exactly (r a whole number below 10^15 in magnitude). */
static void
fmt_scaled(double r, int d, char out[48])
{
	long long ir = (long long)fabs(r), p = (long long)pow10_tab[d];
	int len;

	len = snprintf(out, 48, "%s%lld", r < 0 && ir != 0 ? "-" : "", ir / p);
	if (d > 0 && ir % p != 0) {
		len += snprintf(out + len, (size_t)(48 - len), ".%0*lld", d, ir % p);
		while (out[len - 1] == '0')
			out[--len] = '\0';
	}
}

static int
number_check(const struct schema_field *f, double v, struct json_object **out,
             struct msg_reason *why)
{
	double scaled, r, tol;
	char b[40], txt[48];

	if (!isfinite(v)) {
		msg_reason_set(why, "form.finite", NULL);
		return -1;
	}
	if (v < f->min) {
		msg_reason_set(why, "form.min", msg_args("min", json_object_new_string(fmt_num(f->min, b)), NULL));
		return -1;
	}
	if (v > f->max) {
		msg_reason_set(why, "form.max", msg_args("max", json_object_new_string(fmt_num(f->max, b)), NULL));
		return -1;
	}
	/* Decimal fractions are inexact in binary: allow the noise of one rounding step. */
	scaled = v * pow10_tab[f->decimals];
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
	fmt_scaled(r, f->decimals, txt);
	if (strchr(txt, '.') == NULL)
		*out = json_object_new_int64(strtoll(txt, NULL, 10));
	else
		*out = json_object_new_double_s(strtod(txt, NULL), txt);
	return 0;
}

static int
text_check(const struct schema_field *f, const char *s, size_t len, struct json_object **out,
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
static int
date_check(const char *s, size_t len, struct json_object **out, struct msg_reason *why)
{
	int y, m, d;

	if (len == 0) {
		*out = NULL;
		return 0;
	}
	if (len != 10 || s[4] != '-' || s[7] != '-' || (y = digits(s, 4)) < 0 ||
	    (m = digits(s + 5, 2)) < 0 || (d = digits(s + 8, 2)) < 0) {
		msg_reason_set(why, "form.date_format", msg_args("value", pval(s), NULL));
		return -1;
	}
	if (!date_real(y, m, d)) {
		msg_reason_set(why, "form.date_range", msg_args("value", json_object_new_string(s), NULL));
		return -1;
	}
	*out = json_object_new_string_len(s, (int)len);
	return 0;
}

/* ---- collecting errors ------------------------------------------------------------------- */

struct vctx {
	const struct schema_env *env;
	struct json_object *details; /* our details, moved to the caller's err at the end */
	size_t nerr;
	struct buf summary; /* messages joined by "; " */
	struct fb_err hard; /* a callback's failure */
	int failed_hard;
};

/* Where a value sits: a field, or a cell (row is 1-based) of a table field's column. */
struct where {
	const struct schema_field *field;
	const struct schema_field *col;
	long row;
};

/*
 * One error at w (or at the unknown key): a detail with the message code and params
 * (stolen) of msg.c's catalogue, said in English in "message" after the field, row and
 * column it names.
 */
static void
vfail(struct vctx *c, const struct where *w, const char *unknown_key, const char *code,
      struct json_object *params)
{
	struct json_object *d = json_object_new_object();
	char *m;

	if (w != NULL && w->field != NULL) {
		json_object_object_add(d, "field", json_object_new_string(w->field->key));
		json_object_object_add(d, "label", json_object_new_string(w->field->label));
		if (w->row > 0)
			json_object_object_add(d, "row", json_object_new_int64(w->row));
		if (w->col != NULL) {
			json_object_object_add(d, "column", json_object_new_string(w->col->key));
			json_object_object_add(d, "column_label", json_object_new_string(w->col->label));
		}
	} else if (unknown_key != NULL) {
		json_object_object_add(d, "field", json_object_new_string(unknown_key));
	}
	json_object_object_add(d, "code", json_object_new_string(code));
	json_object_object_add(d, "params", params ? params : json_object_new_object());
	m = msg_render_detail(d, MSG_EN);
	json_object_object_add(d, "message", json_object_new_string(m));
	c->nerr++;
	if (c->summary.len < sizeof(((struct fb_err *)0)->msg)) {
		if (c->summary.len > 0)
			buf_puts(&c->summary, "; ");
		buf_puts(&c->summary, m);
	}
	free(m);
	if (c->nerr <= SCHEMA_MAX_ERRORS)
		json_object_array_add(c->details, d);
	else
		json_object_put(d);
}


/*
 * The code of the summary for the reader's language: "form.invalid" with the first errors
 * (as many as fit in err->margs), else "form.invalid_count" with their number.
 */
static void
vfinish_code(const struct vctx *c, struct fb_err *err)
{
	struct json_object *errors = json_object_new_array(), *p;
	size_t i, n = json_object_array_length(c->details);
	const char *text;

	for (i = 0; i < n && i < 3; i++) {
		struct json_object *d = NULL;

		if (json_object_deep_copy(json_object_array_get_idx(c->details, i), &d, NULL) != 0)
			abort();
		json_object_object_del(d, "message");
		json_object_array_add(errors, d);
	}
	p = msg_args("n", json_object_new_int64((int64_t)c->nerr), "errors", errors, NULL);
	text = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (c->nerr <= 3 && strlen(text) < sizeof(err->margs)) {
		err->mcode = c->nerr == 1 ? "form.invalid_one" : "form.invalid";
		memcpy(err->margs, text, strlen(text) + 1);
	} else {
		err->mcode = "form.invalid_count";
		snprintf(err->margs, sizeof(err->margs), "{\"n\":%zu}", c->nerr);
	}
	json_object_put(p);
}

/* Move the outcome into err: 0 when nothing was wrong. */
static int
vfinish(struct vctx *c, struct fb_err *err)
{
	size_t i, n, cut;
	const char *sum;
	char msg[sizeof(err->msg)];

	if (c->failed_hard) {
		fb_err_set(err, c->hard.code, "%s", c->hard.msg);
		memcpy(err->sqlstate, c->hard.sqlstate, sizeof(err->sqlstate));
		n = c->hard.details ? json_object_array_length(c->hard.details) : 0;
		for (i = 0; i < n; i++)
			fb_err_detail(err, json_object_get(
			                           json_object_array_get_idx(c->hard.details, i)));
		return -1;
	}
	if (c->nerr == 0)
		return 0;
	n = json_object_array_length(c->details);
	for (i = 0; i < n; i++)
		fb_err_detail(err, json_object_get(json_object_array_get_idx(c->details, i)));
	if (c->nerr > SCHEMA_MAX_ERRORS) {
		fb_err_detail(err, fb_err_detail_msg(
		                       NULL, "form.more",
		                       msg_args("n", json_object_new_int64((int64_t)(c->nerr - SCHEMA_MAX_ERRORS)),
		                                NULL)));
	}
	if (c->nerr == 1)
		snprintf(msg, sizeof(msg), "%s", buf_cstr(&c->summary));
	else
		snprintf(msg, sizeof(msg), "%zu form errors: %s", c->nerr, buf_cstr(&c->summary));
	/* Cut on a character boundary, leaving room for an ellipsis. */
	if (strlen(msg) == sizeof(msg) - 1) {
		cut = utf8_floor(msg, sizeof(msg) - 1 - (sizeof("…") - 1));
		memcpy(msg + cut, "…", sizeof("…"));
	}
	sum = msg;
	fb_err_set(err, FB_EVALIDATION, "%s", sum);
	vfinish_code(c, err);
	return -1;
}

/* ---- checking values from JSON ----------------------------------------------------------- */

static int check_value(struct vctx *c, const struct where *w, struct json_object *val,
                       struct json_object **out);

static int
check_table(struct vctx *c, const struct where *w, struct json_object *val,
            struct json_object **out)
{
	const struct schema_field *f = w->field, *col;
	struct json_object *rows, *row, *nr, *nv;
	size_t n, i;
	int bad = 0, rc;

	if (!json_object_is_type(val, json_type_array)) {
		vfail(c, w, NULL, "form.rows", NULL);
		return 1;
	}
	n = json_object_array_length(val);
	if ((long)n > f->max_rows) {
		vfail(c, w, NULL, "form.max_rows",
		      msg_args("max", json_object_new_int64(f->max_rows), "n",
		               json_object_new_int64((int64_t)n), NULL));
		return 1;
	}
	rows = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct where cw = {f, NULL, (long)i + 1};

		row = json_object_array_get_idx(val, i);
		if (row == NULL || !json_object_is_type(row, json_type_object)) {
			vfail(c, &cw, NULL, "form.row_object", NULL);
			bad = 1;
			continue;
		}
		nr = json_object_new_object();
		json_object_object_foreach(row, ckey, cval)
		{
			col = schema_field_column_by_key(f, ckey);
			if (col == NULL) {
				vfail(c, &cw, NULL, "form.unknown_column",
				      msg_args("column", pval(ckey), NULL));
				bad = 1;
				continue;
			}
			cw.col = col;
			rc = check_value(c, &cw, cval, &nv);
			cw.col = NULL;
			if (rc < 0) {
				json_object_put(nr);
				json_object_put(rows);
				return -1;
			}
			if (rc > 0)
				bad = 1;
			else if (nv != NULL)
				json_object_object_add(nr, ckey, nv);
		}
		json_object_array_add(rows, nr);
	}
	if (bad) {
		json_object_put(rows);
		return 1;
	}
	*out = rows;
	return 0;
}

/*
 * Check val for the field or table cell at w: 0 with *out new (NULL when the value is
 * empty), 1 when invalid (reported to c), -1 when the user callback failed.
 */
static int
check_value(struct vctx *c, const struct where *w, struct json_object *val,
            struct json_object **out)
{
	const struct schema_field *f = w->col != NULL ? w->col : w->field;
	struct msg_reason why = {0};
	const char *s;
	size_t len;
	double d;
	int rc;

	*out = NULL;
	if (val == NULL)
		return 0;
	if (f->type == SCHEMA_TABLE)
		return check_table(c, w, val, out);
	if (f->type == SCHEMA_NUMBER) {
		if (json_object_is_type(val, json_type_int))
			d = (double)json_object_get_int64(val);
		else if (json_object_is_type(val, json_type_double))
			d = json_object_get_double(val);
		else {
			vfail(c, w, NULL, "form.number", NULL);
			return 1;
		}
		if (number_check(f, d, out, &why) != 0) {
			vfail(c, w, NULL, why.code, why.params);
			return 1;
		}
		return 0;
	}
	if (!json_object_is_type(val, json_type_string)) {
		vfail(c, w, NULL,
		      f->type == SCHEMA_TEXT     ? "form.want_text"
		      : f->type == SCHEMA_DATE   ? "form.want_date"
		      : f->type == SCHEMA_SELECT ? "form.want_option"
		                                 : "form.want_login",
		      NULL);
		return 1;
	}
	s = json_object_get_string(val);
	len = (size_t)json_object_get_string_len(val);
	switch (f->type) {
	case SCHEMA_TEXT:
		rc = text_check(f, s, len, out, &why);
		break;
	case SCHEMA_DATE:
		rc = date_check(s, len, out, &why);
		break;
	case SCHEMA_SELECT:
		rc = 0;
		if (len == 0)
			break;
		if (memchr(s, '\0', len) != NULL || utf8_scan(s, len, NULL) != 0) {
			msg_reason_set(&why, "form.utf8", NULL);
			rc = -1;
		} else if (f->parent == NULL && !str_in(f->options, f->noptions, s)) {
			msg_reason_set(&why, "form.not_option", msg_args("value", pval(s), NULL));
			rc = -1;
		} else {
			/* A dependent value is checked against its parent by the merge. */
			*out = json_object_new_string_len(s, (int)len);
		}
		break;
	default: /* SCHEMA_USER */
		rc = 0;
		if (len == 0)
			break;
		if (!login_ok(s, len)) {
			msg_reason_set(&why, "form.login",
			               msg_args("max", json_object_new_int(SCHEMA_MAX_LOGIN), NULL));
			rc = -1;
			break;
		}
		if (c->env != NULL && c->env->user_exists != NULL) {
			int found = c->env->user_exists(c->env->arg, s, &c->hard);

			if (found < 0) {
				if (c->hard.code == FB_OK)
					fb_err_set(&c->hard, FB_EINTERNAL, "user lookup failed");
				c->failed_hard = 1;
				return -1;
			}
			if (found == 0) {
				msg_reason_set(&why, "form.no_user", msg_args("login", pval(s), NULL));
				rc = -1;
				break;
			}
		}
		*out = json_object_new_string_len(s, (int)len);
		break;
	}
	if (rc != 0) {
		vfail(c, w, NULL, why.code, why.params);
		return 1;
	}
	return 0;
}

/* ---- merge ------------------------------------------------------------------------------- */

/* A string member, or "" when absent, null or not a string (borrowed). */
static const char *
strval(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static int
is_empty(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
		return 1;
	if (json_object_is_type(v, json_type_string))
		return is_blank(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 0;
	return 0;
}

static int
child_fits(const struct schema_field *f, const char *parent, const char *child)
{
	size_t n;
	const char *const *opts = schema_field_child_options(f, parent, &n);

	return str_in((char *const *)opts, n, child);
}

static int
child_known(const struct schema_field *f, const char *child)
{
	size_t i;

	for (i = 0; i < f->nchildren; i++)
		if (str_in(f->children[i].options, f->children[i].n, child))
			return 1;
	return 0;
}

/*
 * Dependent selects: the value given must fit the parent's value; an untouched value must
 * still fit when the parent changed.  src is the merged data (or the input alone when
 * check_only, where a child is checked against its parent only if both are given).
 */
static void
check_children(struct vctx *c, const struct schema *s, struct json_object *current,
               struct json_object *src, int check_only, const unsigned char *given,
               unsigned char *bad)
{
	const struct schema_field *f, *p;
	const char *child, *parent;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct where w = {&s->fields[i], NULL, 0};

		f = &s->fields[i];
		p = f->parent;
		if (p == NULL || bad[i] || bad[p->index] || (check_only && !given[i]))
			continue;
		child = strval(src, f->key);
		if (*child == '\0')
			continue;
		parent = strval(src, p->key);
		if (given[i]) {
			if (check_only && !given[p->index]) {
				if (!child_known(f, child)) {
					vfail(c, &w, NULL, "form.not_option",
					      msg_args("value", pval(child), NULL));
					bad[i] = 1;
				}
			} else if (*parent == '\0') {
				vfail(c, &w, NULL, "form.parent_first",
				      msg_args("plabel", json_object_new_string(p->label), "pkey",
				               json_object_new_string(p->key), NULL));
				bad[i] = 1;
			} else if (!child_fits(f, parent, child)) {
				vfail(c, &w, NULL, "form.not_option_when",
				      msg_args("value", pval(child), "plabel",
				               json_object_new_string(p->label), "parent", pval(parent), NULL));
				bad[i] = 1;
			}
		} else if (given[p->index] && strcmp(strval(current, p->key), parent) != 0 &&
		           (*parent == '\0' || !child_fits(f, parent, child))) {
			if (*parent == '\0')
				vfail(c, &w, NULL, "form.parent_cleared",
				      msg_args("value", pval(child), "plabel",
				               json_object_new_string(p->label), NULL));
			else
				vfail(c, &w, NULL, "form.parent_changed",
				      msg_args("value", pval(child), "plabel",
				               json_object_new_string(p->label), "parent", pval(parent), NULL));
			bad[i] = 1;
		}
	}
}

static void
check_required(struct vctx *c, const struct schema *s, const struct view *v,
               struct json_object *merged, const unsigned char *bad)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		struct where w = {&s->fields[i], NULL, 0};
		const struct schema_field *by = NULL;

		if (!(v->flags[i] & (VIEW_REQUIRED | VIEW_REQUIRED_DERIVED)) || bad[i] ||
		    !is_empty(merged, s->fields[i].key))
			continue;
		if (!(v->flags[i] & VIEW_REQUIRED))
			for (j = i + 1; j < s->n && by == NULL; j++)
				if (s->fields[j].parent == &s->fields[i] &&
				    (v->flags[j] & (VIEW_REQUIRED | VIEW_REQUIRED_DERIVED)))
					by = &s->fields[j];
		if (by != NULL)
			vfail(c, &w, NULL, "form.required_by",
			      msg_args("by", json_object_new_string(by->label), NULL));
		else
			vfail(c, &w, NULL, "form.required", NULL);
	}
}

static int
merge_impl(const struct schema *s, const struct view *v, struct json_object *current,
           struct json_object *input, const struct schema_env *env, int check_only,
           struct json_object **out, struct fb_err *err)
{
	struct vctx c = {0};
	struct json_object *merged = NULL, *nv;
	unsigned char *given = NULL, *bad = NULL;
	const struct schema_field *f;
	int rc = -1, r;

	if (out != NULL)
		*out = NULL;
	if (v->s != s) {
		fb_err_set(err, FB_EINTERNAL, "the view belongs to another schema");
		return -1;
	}
	if (input != NULL && !json_object_is_type(input, json_type_object)) {
		fb_err_set(err, FB_EINVAL, "form values must be a JSON object");
		return -1;
	}
	if (current != NULL && !json_object_is_type(current, json_type_object)) {
		fb_err_set(err, FB_EINTERNAL, "the session's form data is not a JSON object");
		return -1;
	}
	if (!check_only) {
		if (current == NULL)
			merged = json_object_new_object();
		else if (json_object_deep_copy(current, &merged, NULL) != 0) {
			fb_err_set(err, FB_EINTERNAL, "the session's form data cannot be copied");
			return -1;
		}
	}
	c.env = env;
	c.details = json_object_new_array();
	given = xcalloc(s->n + 1, 1);
	bad = xcalloc(s->n + 1, 1);
	if (input != NULL) {
		json_object_object_foreach(input, key, val)
		{
			struct where w = {NULL, NULL, 0};

			f = schema_field_by_key(s, key);
			if (f == NULL) {
				vfail(&c, NULL, key, "form.unknown_field", msg_args("key", pval(key), NULL));
				continue;
			}
			w.field = f;
			if (!(v->flags[f->index] & VIEW_WRITABLE)) {
				vfail(&c, &w, NULL, "form.not_editable", NULL);
				bad[f->index] = 1;
				continue;
			}
			given[f->index] = 1;
			r = check_value(&c, &w, val, &nv);
			if (r < 0)
				goto finish;
			if (r > 0)
				bad[f->index] = 1;
			else if (merged == NULL)
				json_object_put(nv);
			else if (nv == NULL)
				json_object_object_del(merged, key);
			else
				json_object_object_add(merged, key, nv);
		}
	}
	check_children(&c, s, current, check_only ? input : merged, check_only, given, bad);
	if (!check_only)
		check_required(&c, s, v, merged, bad);
finish:
	rc = vfinish(&c, err);
	if (rc == 0 && out != NULL) {
		*out = merged;
		merged = NULL;
	}
	json_object_put(merged);
	json_object_put(c.details);
	free(c.summary.data);
	if (c.hard.details != NULL)
		fb_err_clear(&c.hard);
	free(given);
	free(bad);
	return rc;
}

int
schema_merge(const struct schema *s, const struct view *v, struct json_object *current_form_data,
             struct json_object *input, const struct schema_env *env,
             struct json_object **out_merged, struct fb_err *err)
{
	return merge_impl(s, v, current_form_data, input, env, 0, out_merged, err);
}

int
schema_check_input(const struct schema *s, const struct view *v, struct json_object *input,
                   const struct schema_env *env, struct fb_err *err)
{
	return merge_impl(s, v, NULL, input, env, 1, NULL, err);
}

struct json_object *
schema_overlay(struct json_object *base, struct json_object *top)
{
	struct json_object *o = json_object_new_object();

	if (base != NULL && json_object_is_type(base, json_type_object)) {
		json_object_object_foreach(base, bkey, bval)
		{
			json_object_object_add(o, bkey, json_object_get(bval));
		}
	}
	if (top != NULL && json_object_is_type(top, json_type_object)) {
		json_object_object_foreach(top, tkey, tval)
		{
			json_object_object_add(o, tkey, json_object_get(tval));
		}
	}
	return o;
}

/* ---- cell text --------------------------------------------------------------------------- */

/*
 * A number as people and spreadsheets write it: optional sign, digits with optional
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

	if (len < 8 || (y = digits(s, 4)) < 0 || strchr("-/.", s[4]) == NULL || s[4] == '\0')
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
	if (!date_real(y, m, d))
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
	if (text == NULL || is_blank(text, strlen(text)))
		return 0;
	if (f->type == SCHEMA_TABLE) {
		fb_err_set(err, FB_EINVAL, "\"%s\" (%s): a table cannot be read from one cell",
		           f->label, f->key);
		return -1;
	}
	len = strlen(text);
	if (f->type == SCHEMA_TEXT) {
		if (text_check(f, text, len, out, &r) != 0)
			goto bad;
		return 0;
	}
	for (b = text; is_space(*b); b++)
		;
	for (e = text + len; e > b && is_space(e[-1]); e--)
		;
	val = xstrndup(b, (size_t)(e - b));
	len = (size_t)(e - b);
	switch (f->type) {
	case SCHEMA_NUMBER:
		if (number_from_text(val, len, &d) != 0) {
			msg_reason_set(&r, "form.not_number", msg_args("value", pval(val), NULL));
			goto bad;
		}
		if (number_check(f, d, out, &r) != 0)
			goto bad;
		break;
	case SCHEMA_DATE:
		rc = date_from_text(val, len, date);
		if (rc == -1) {
			msg_reason_set(&r, "form.not_date", msg_args("value", pval(val), NULL));
			goto bad;
		}
		if (rc == -2) {
			msg_reason_set(&r, "form.date_range_q", msg_args("value", pval(val), NULL));
			goto bad;
		}
		*out = json_object_new_string(date);
		break;
	case SCHEMA_SELECT:
		if (utf8_scan(val, len, NULL) != 0 ||
		    !(f->parent == NULL ? str_in(f->options, f->noptions, val)
		                        : child_known(f, val))) {
			msg_reason_set(&r, "form.not_option", msg_args("value", pval(val), NULL));
			goto bad;
		}
		*out = json_object_new_string(val);
		break;
	default: /* SCHEMA_USER */
		if (!login_ok(val, len)) {
			msg_reason_set(&r, "form.not_login", msg_args("value", pval(val), NULL));
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
		if (is_blank(json_object_get_string(value),
		             (size_t)json_object_get_string_len(value)))
			return NULL;
		return xstrdup(json_object_get_string(value));
	case json_type_int:
		return xasprintf("%lld", (long long)json_object_get_int64(value));
	case json_type_double:
		v = json_object_get_double(value);
		if (f->type == SCHEMA_NUMBER && isfinite(v)) {
			scaled = v * pow10_tab[f->decimals];
			r = nearbyint(scaled);
			if (fabs(r) < SCHEMA_NUMBER_LIMIT &&
			    fabs(scaled - r) <= fmax(1e-9, fabs(scaled) * 4e-16)) {
				fmt_scaled(r, f->decimals, txt);
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
