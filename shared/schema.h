/* SPDX-License-Identifier: MIT */
/*
 * schema: an app version's form schema, a node's view of it, the validation and merge
 * of form values against both, and a value to and from a cell's text.  Pure: json-c only,
 * no database (a user lookup is a callback).  Built from schema.c (the model),
 * schema_view.c, schema_check.c, schema_cell.c and schema_value.c (one value's rules).
 *
 *   struct schema *s = schema_parse(form_schema_json, &err);        (caller: schema_free)
 *   struct view *v = view_parse(s, view_json, &err);                (caller: view_free;
 *                                                                     s must outlive v)
 *   schema_merge(s, v, session_form_data, input, &env, &merged, &err);
 *
 * Values in form data (an object keyed by field key): text, date ("YYYY-MM-DD"), select
 * and user (a login) are JSON strings, number is a JSON number, table is an array of
 * objects keyed by column key.  A value is empty when it is absent, null, a string of
 * only white space, or an empty array.
 *
 * Schema rules beyond the format: keys match [A-Za-z_][A-Za-z0-9_]{0,63} and are unique,
 * labels are non-empty and unique (among the fields, and among a table's columns);
 * unknown members are errors; text max_length is 1..100000 characters (default 2000);
 * number decimals is 0..6 (default 0: whole numbers only) and a value times 10^decimals
 * stays within 10^15 in magnitude (Excel's 15 digits), which is also the default bound;
 * min <= max; a dependent select has depends_on (an earlier select field) and
 * options_by_parent (keys among the parent's options) and no options; table max_rows is
 * 1..10000 (default 200), its columns are text, number, date, select (not dependent) or
 * user.
 *
 * Pointers returned by accessors are borrowed from the schema and live until
 * schema_free.  JSON objects passed in are borrowed; JSON objects passed out are new (the
 * caller puts them).
 */
#ifndef FB_SCHEMA_H
#define FB_SCHEMA_H

#include <stddef.h>

#include "err.h"

struct json_object;

enum schema_type {
	SCHEMA_TEXT,
	SCHEMA_NUMBER,
	SCHEMA_DATE,
	SCHEMA_SELECT,
	SCHEMA_USER,
	SCHEMA_TABLE,
};

#define SCHEMA_MAX_FIELDS 200
#define SCHEMA_MAX_COLUMNS 50
#define SCHEMA_MAX_OPTIONS 1000
#define SCHEMA_MAX_KEY 64           /* bytes */
#define SCHEMA_MAX_LABEL 100        /* characters */
#define SCHEMA_MAX_OPTION 200       /* characters */
#define SCHEMA_TEXT_DEFAULT 2000    /* characters, when max_length is absent */
#define SCHEMA_TEXT_MAX 100000      /* characters */
#define SCHEMA_MAX_DECIMALS 6
#define SCHEMA_NUMBER_LIMIT 1e15    /* |value| * 10^decimals */
#define SCHEMA_ROWS_DEFAULT 200
#define SCHEMA_ROWS_MAX 10000
#define SCHEMA_MAX_LOGIN 128        /* bytes */
#define SCHEMA_MAX_ERRORS 100       /* details kept per call; the rest are counted */

struct schema;
struct schema_field;
struct view;

/* ---- the schema ------------------------------------------------------------------------- */

/* Parse and check {"fields":[...]}; NULL with FB_EINVAL saying where the schema is wrong. */
struct schema *schema_parse(struct json_object *form_schema, struct fb_err *err) FB_MUSTCHECK;
void schema_free(struct schema *s);

size_t schema_nfields(const struct schema *s);
/* The i-th field in schema order; NULL past the end. */
const struct schema_field *schema_field_at(const struct schema *s, size_t i);
/* A top-level field by key; NULL if there is none. */
const struct schema_field *schema_field_by_key(const struct schema *s, const char *key);
/* "text", "number", "date", "select", "user", "table". */
const char *schema_type_name(enum schema_type type);

/* Any field or table column. */
const char *schema_field_key(const struct schema_field *f);
const char *schema_field_label(const struct schema_field *f);
enum schema_type schema_field_type(const struct schema_field *f);
/* The position among its schema's fields, or among its table's columns. */
size_t schema_field_index(const struct schema_field *f);

/* A plain select's options (n set); NULL with *n = 0 for other fields and dependent selects. */
const char *const *schema_field_options(const struct schema_field *f, size_t *n);
/* A dependent select's parent field and its key; NULL for every other field. */
const struct schema_field *schema_field_parent(const struct schema_field *f);
const char *schema_field_depends_on(const struct schema_field *f);
/*
 * A dependent select's options when its parent has parent_value; NULL with *n = 0 when
 * that value has no list (then the field must stay empty) or f is not dependent.
 */
const char *const *schema_field_child_options(const struct schema_field *f,
                                              const char *parent_value, size_t *n);

/* text: max_length in characters (0 for other types). */
long schema_field_max_length(const struct schema_field *f);
/* number: the effective bounds (the schema's or the default limit) and decimals. */
double schema_field_min(const struct schema_field *f);
double schema_field_max(const struct schema_field *f);
int schema_field_decimals(const struct schema_field *f);
/* table: max_rows and columns (0 / NULL for other types). */
long schema_field_max_rows(const struct schema_field *f);
size_t schema_field_ncolumns(const struct schema_field *f);
const struct schema_field *schema_field_column(const struct schema_field *f, size_t i);
const struct schema_field *schema_field_column_by_key(const struct schema_field *f,
                                                      const char *key);

/* ---- the view of a node ------------------------------------------------------------------ */

/*
 * Parse {"visible":[..],"searchable":[..],"writable":[..],"required":[..]} (each list
 * optional, of field keys).  Unknown members and unknown keys are errors, and so is a
 * searchable table.  s is borrowed and must outlive the view.  NULL with FB_EINVAL.
 */
struct view *view_parse(const struct schema *s, struct json_object *view,
                        struct fb_err *err) FB_MUSTCHECK;
void view_free(struct view *v);
const struct schema *view_schema(const struct view *v);

/* 1 or 0; an unknown key is 0.  A writable field is also visible.  Required includes the
 * derived: the parent (and its parent ...) of a required dependent select. */
int view_is_visible(const struct view *v, const char *key);
int view_is_searchable(const struct view *v, const char *key);
int view_is_writable(const struct view *v, const char *key);
int view_is_required(const struct view *v, const char *key);
/*
 * The fields the view's "visible" list names, in that list's order, each once: the columns
 * of the task listing.  Writable fields the list does not name are not among them.
 * view_listed_at gives NULL past the end; fields are borrowed from the schema.
 */
size_t view_nlisted(const struct view *v);
const struct schema_field *view_listed_at(const struct view *v, size_t i);

/* ---- validation and merge ---------------------------------------------------------------- */

struct schema_env {
	/*
	 * 1 when login names an existing user, 0 when not, -1 on failure with err filled (the
	 * merge then fails with that error and no details).  NULL: any well-formed login.
	 */
	int (*user_exists)(void *arg, const char *login, struct fb_err *err);
	void *arg;
};

/*
 * Merge input (values for writable fields) into current_form_data (a session's form data)
 * and check the result against s and v.  Both may be NULL (= {}); neither is changed.
 * Rules: only writable fields may be given; null or "" clears a field (an empty table is
 * []); every value is type-checked and bounded; a dependent select must be among the
 * options of its parent's merged value, and a parent change that leaves the old child
 * value invalid is an error on the child; afterwards every required field (derived
 * included) is non-empty.  Numbers are stored canonically (whole numbers as integers).
 * env may be NULL.
 *
 * 0 with *out_merged new (caller puts).  -1 with *out_merged NULL: FB_EVALIDATION with
 * every problem appended to err->details as {"field","label","message"} (plus "row"
 * (1-based), "column", "column_label" for table cells; an unknown field has no label) and
 * err->msg joining the messages; FB_EINVAL when input is not an object; FB_EINTERNAL when
 * current_form_data is not an object; or the callback's error.
 */
int schema_merge(const struct schema *s, const struct view *v,
                 struct json_object *current_form_data, struct json_object *input,
                 const struct schema_env *env, struct json_object **out_merged,
                 struct fb_err *err) FB_MUSTCHECK;

/*
 * Check input on its own, as a batch submission does before it knows the sessions: the
 * same rules as schema_merge except the required check, and a dependent select is only
 * checked against its parent when the parent is in input too.  0, or -1 as schema_merge.
 */
int schema_check_input(const struct schema *s, const struct view *v, struct json_object *input,
                       const struct schema_env *env, struct fb_err *err) FB_MUSTCHECK;

/*
 * A new object with the members of base overlaid by those of top (either may be NULL):
 * the batch's form values with a row's own values on top, ready for schema_merge.
 */
struct json_object *schema_overlay(struct json_object *base, struct json_object *top);

/*
 * Convert a cell's text to f's JSON value: number accepts "1234.5", "1,234.5", "-3",
 * "1.5E3" (rounded to decimals only when within floating-point noise); date accepts
 * YYYY-MM-DD, YYYY/M/D and YYYY.M.D, optionally followed by a time of day ("T08:30:00"
 * or " 08:30"), which is dropped;
 * select takes an option (for a dependent select, an option of any parent value); user a
 * login.  Surrounding white space is ignored except for text.  Blank text gives *out =
 * NULL (no value).  0 with *out new (or NULL), -1 with FB_EVALIDATION and a message
 * naming the field.  A table cannot come from one cell (FB_EINVAL).  User existence and
 * dependent options are checked later by schema_merge.
 */
int schema_value_from_text(const struct schema_field *f, const char *text,
                           struct json_object **out, struct fb_err *err) FB_MUSTCHECK;

/*
 * The text a template cell shows for value (the inverse of schema_value_from_text; a
 * table as compact JSON).  malloc'ed, caller frees; NULL when value is empty.
 */
char *schema_value_to_text(const struct schema_field *f, struct json_object *value);

#endif
