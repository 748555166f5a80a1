/* SPDX-License-Identifier: MIT */
/*
 * schema_check: validating form values against a schema and a view, and merging them into
 * a session's stored form data (schema_merge, schema_check_input, schema_overlay; the
 * rules are in schema.h).  Every problem is collected with where it is (field, table row
 * and column) and a message code, so that one answer lists them all.
 *
 * Memory: a merge owns its working copy until it hands it to the caller; collected error
 * details are kept in a private array and moved into the caller's fb_err only when the
 * merge fails with FB_EVALIDATION.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "schema_int.h"
#include "utf8.h"

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
				      msg_args("column", schema_pval(ckey), NULL));
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
		if (schema_check_number(f, d, out, &why) != 0) {
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
		rc = schema_check_text(f, s, len, out, &why);
		break;
	case SCHEMA_DATE:
		rc = schema_check_date(s, len, out, &why);
		break;
	case SCHEMA_SELECT:
		rc = 0;
		if (len == 0)
			break;
		if (memchr(s, '\0', len) != NULL || utf8_scan(s, len, NULL) != 0) {
			msg_reason_set(&why, "form.utf8", NULL);
			rc = -1;
		} else if (f->parent == NULL && !schema_str_in(f->options, f->noptions, s)) {
			msg_reason_set(&why, "form.not_option", msg_args("value", schema_pval(s), NULL));
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
		if (!schema_login_ok(s, len)) {
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
				msg_reason_set(&why, "form.no_user", msg_args("login", schema_pval(s), NULL));
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
		return schema_is_blank(json_object_get_string(v), (size_t)json_object_get_string_len(v));
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 0;
	return 0;
}

static int
child_fits(const struct schema_field *f, const char *parent, const char *child)
{
	size_t n;
	const char *const *opts = schema_field_child_options(f, parent, &n);

	return schema_str_in((char *const *)opts, n, child);
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
				if (!schema_child_known(f, child)) {
					vfail(c, &w, NULL, "form.not_option",
					      msg_args("value", schema_pval(child), NULL));
					bad[i] = 1;
				}
			} else if (*parent == '\0') {
				vfail(c, &w, NULL, "form.parent_first",
				      msg_args("plabel", json_object_new_string(p->label), "pkey",
				               json_object_new_string(p->key), NULL));
				bad[i] = 1;
			} else if (!child_fits(f, parent, child)) {
				vfail(c, &w, NULL, "form.not_option_when",
				      msg_args("value", schema_pval(child), "plabel",
				               json_object_new_string(p->label), "parent", schema_pval(parent), NULL));
				bad[i] = 1;
			}
		} else if (given[p->index] && strcmp(strval(current, p->key), parent) != 0 &&
		           (*parent == '\0' || !child_fits(f, parent, child))) {
			if (*parent == '\0')
				vfail(c, &w, NULL, "form.parent_cleared",
				      msg_args("value", schema_pval(child), "plabel",
				               json_object_new_string(p->label), NULL));
			else
				vfail(c, &w, NULL, "form.parent_changed",
				      msg_args("value", schema_pval(child), "plabel",
				               json_object_new_string(p->label), "parent", schema_pval(parent), NULL));
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
				vfail(&c, NULL, key, "form.unknown_field", msg_args("key", schema_pval(key), NULL));
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
