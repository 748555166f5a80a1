/* SPDX-License-Identifier: MIT */
/*
 * schema_view: a node's view of its app version's form — which fields it shows, lets the
 * assignee search on, write and must fill in — parsed from {"visible","searchable",
 * "writable","required"} against a parsed schema.  A writable field is also visible; a
 * required dependent select makes its parents required too (derived).
 *
 * Memory: a struct view owns one flag byte per field and the array of the fields its
 * visible list names (xmalloc'ed, released by view_free); it borrows its schema, which
 * must outlive it.
 */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "mem.h"
#include "schema_int.h"

/* Set flag on the fields view[name] lists; the visible list's order is kept in v. */
static int
view_list(struct view *v, struct json_object *view, const char *name, int flag,
          struct fb_err *err)
{
	const struct schema *s = v->s;
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
			           schema_clip(json_object_get_string(o), cbuf));
			return -1;
		}
		if (flag == VIEW_SEARCHABLE && f->type == SCHEMA_TABLE) {
			fb_err_set(err, FB_EINVAL, "view: table \"%s\" cannot be searchable",
			           f->key);
			return -1;
		}
		if (flag == VIEW_VISIBLE && !(v->flags[f->index] & VIEW_VISIBLE))
			v->listed[v->nlisted++] = f;
		v->flags[f->index] |= (unsigned char)flag;
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
	v->listed = xcalloc(s->n + 1, sizeof(*v->listed));
	if (view == NULL)
		return v;
	{
		json_object_object_foreach(view, mname, mval)
		{
			(void)mval;
			if (!schema_in_list(allowed, mname)) {
				fb_err_set(err, FB_EINVAL, "view: unknown member \"%s\"",
				           schema_clip(mname, cbuf));
				goto fail;
			}
		}
	}
	if (view_list(v, view, "visible", VIEW_VISIBLE, err) != 0 ||
	    view_list(v, view, "searchable", VIEW_SEARCHABLE, err) != 0 ||
	    view_list(v, view, "writable", VIEW_WRITABLE | VIEW_VISIBLE, err) != 0 ||
	    view_list(v, view, "required", VIEW_REQUIRED, err) != 0)
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
	free(v->listed);
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

size_t
view_nlisted(const struct view *v)
{
	return v->nlisted;
}

const struct schema_field *
view_listed_at(const struct view *v, size_t i)
{
	return i < v->nlisted ? v->listed[i] : NULL;
}
