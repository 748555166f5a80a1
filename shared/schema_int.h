/* SPDX-License-Identifier: MIT */
/*
 * schema_int: what the schema files share and nobody else sees — the layout of a parsed
 * schema and view, and the rules for one value's text that parsing, validation and the
 * cell conversion all apply.  Include only from shared/schema*.c; other modules use the
 * accessors of schema.h.
 *
 *   schema.c        the model: parsing {"fields":[..]}, the accessors
 *   schema_view.c   a node's view of a form
 *   schema_value.c  one value: text rules, number/text/date checks, quoting in messages
 *   schema_check.c  validation and merge of form values
 *   schema_cell.c   a value to and from the text of an Excel cell
 */
#ifndef FB_SCHEMA_INT_H
#define FB_SCHEMA_INT_H

#include <stddef.h>

#include "msg.h"
#include "schema.h"

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
	/* The fields the "visible" list names, in its order, each once (borrowed from s). */
	const struct schema_field **listed;
	size_t nlisted;
};

/* 10^d for d = 0..SCHEMA_MAX_DECIMALS. */
extern const double schema_pow10[SCHEMA_MAX_DECIMALS + 1];

/* ---- text (schema_value.c) --------------------------------------------------------------- */

int schema_is_space(char c);
/* Only white space (or nothing). */
int schema_is_blank(const char *s, size_t len);
/* A byte below 0x20, or DEL. */
int schema_has_control(const char *s, size_t len);
/*
 * s for quoting in a message: s itself, or at most about 60 bytes of it cut on a character
 * boundary with an ellipsis (written into out), or "(unprintable)".  Borrowed from s, out
 * or static storage.
 */
const char *schema_clip(const char *s, char out[80]);
/* A clipped value as a message parameter (schema_clip says how); new. */
struct json_object *schema_pval(const char *s);
/* "%.15g" into out: bounds shown as the schema wrote them. */
const char *schema_fmt_num(double v, char out[40]);
/* Non-empty, at most SCHEMA_MAX_LOGIN bytes of UTF-8, no white space or controls. */
int schema_login_ok(const char *s, size_t len);
/* y-m-d is a real calendar day from 1900 to 9999. */
int schema_date_real(int y, int m, int d);
/* The value of n decimal digits at s, or -1 when one is not a digit. */
int schema_digits(const char *s, int n);
/* s is one of the n strings of list. */
int schema_str_in(char *const *list, size_t n, const char *s);
/* s is one of the NULL-terminated list. */
int schema_in_list(const char *const *list, const char *s);

/* ---- one value (schema_value.c) ---------------------------------------------------------- */

/*
 * Each check takes one value and either builds its canonical JSON (*out new, or NULL for
 * an empty value) and returns 0, or writes why it is wrong (without the field's name) and
 * returns -1.
 */
int schema_check_number(const struct schema_field *f, double v, struct json_object **out,
                        struct msg_reason *why);
int schema_check_text(const struct schema_field *f, const char *s, size_t len,
                      struct json_object **out, struct msg_reason *why);
/* Strict form: exactly YYYY-MM-DD. */
int schema_check_date(const char *s, size_t len, struct json_object **out,
                      struct msg_reason *why);
/* r / 10^d exactly into out (r a whole number below 10^15 in magnitude). */
void schema_fmt_scaled(double r, int d, char out[48]);

/* ---- the model (schema.c) ---------------------------------------------------------------- */

/* child is an option of a dependent select f under any parent value. */
int schema_child_known(const struct schema_field *f, const char *child);

#endif
