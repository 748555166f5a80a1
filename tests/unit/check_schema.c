/* SPDX-License-Identifier: MIT */
/* Unit tests: form schema and view parsing, value validation, merging, cell text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "schema.h"

/* A schema with every type, a chain of dependent selects and a table of every column type. */
static const char form_schema[] =
	"{\"fields\":["
	"{\"key\":\"reason\",\"label\":\"事由\",\"type\":\"text\",\"max_length\":5},"
	"{\"key\":\"amount\",\"label\":\"金额\",\"type\":\"number\",\"min\":0,"
	"\"max\":1000000,\"decimals\":2},"
	"{\"key\":\"pay_date\",\"label\":\"付款日期\",\"type\":\"date\"},"
	"{\"key\":\"category\",\"label\":\"类别\",\"type\":\"select\","
	"\"options\":[\"差旅\",\"办公\",\"招待\"]},"
	"{\"key\":\"province\",\"label\":\"省份\",\"type\":\"select\","
	"\"options\":[\"广东\",\"浙江\",\"海外\"]},"
	"{\"key\":\"city\",\"label\":\"城市\",\"type\":\"select\","
	"\"depends_on\":\"province\",\"options_by_parent\":{"
	"\"广东\":[\"广州\",\"深圳\",\"其他\"],\"浙江\":[\"杭州\",\"宁波\",\"其他\"]}},"
	"{\"key\":\"district\",\"label\":\"区\",\"type\":\"select\","
	"\"depends_on\":\"city\",\"options_by_parent\":{"
	"\"广州\":[\"天河\",\"越秀\"],\"杭州\":[\"西湖\"]}},"
	"{\"key\":\"reviewer\",\"label\":\"复核人\",\"type\":\"user\"},"
	"{\"key\":\"count\",\"label\":\"件数\",\"type\":\"number\",\"min\":1,"
	"\"max\":9999},"
	"{\"key\":\"items\",\"label\":\"明细\",\"type\":\"table\",\"max_rows\":3,"
	"\"columns\":["
	"{\"key\":\"name\",\"label\":\"名称\",\"type\":\"text\",\"max_length\":4},"
	"{\"key\":\"qty\",\"label\":\"数量\",\"type\":\"number\",\"min\":1,"
	"\"max\":9999},"
	"{\"key\":\"day\",\"label\":\"日期\",\"type\":\"date\"},"
	"{\"key\":\"kind\",\"label\":\"种类\",\"type\":\"select\","
	"\"options\":[\"甲\",\"乙\"]},"
	"{\"key\":\"who\",\"label\":\"经办\",\"type\":\"user\"}]}"
	"]}";

/* A view where every field is writable and nothing is required. */
static const char all_writable[] =
	"{\"visible\":[\"reason\"],\"searchable\":[\"category\",\"province\"],"
	"\"writable\":[\"reason\",\"amount\",\"pay_date\",\"category\",\"province\","
	"\"city\",\"district\",\"reviewer\",\"count\",\"items\"],\"required\":[]}";

static struct json_object *
js(const char *text)
{
	struct fb_err err = {0};
	struct json_object *o = jsonh_parse(text, strlen(text), &err);

	ck_assert_msg(o != NULL, "bad test JSON %s: %s", text, err.msg);
	return o;
}

static struct schema *
schema_of(const char *text)
{
	struct fb_err err = {0};
	struct json_object *o = js(text);
	struct schema *s = schema_parse(o, &err);

	ck_assert_msg(s != NULL, "schema rejected: %s", err.msg);
	json_object_put(o);
	return s;
}

static struct view *
view_of(const struct schema *s, const char *text)
{
	struct fb_err err = {0};
	struct json_object *o = js(text);
	struct view *v = view_parse(s, o, &err);

	ck_assert_msg(v != NULL, "view rejected: %s", err.msg);
	json_object_put(o);
	return v;
}

/* Users that exist for the callback; "boom" makes the lookup fail. */
static int
fake_users(void *arg, const char *login, struct fb_err *err)
{
	int *calls = arg;

	(*calls)++;
	if (strcmp(login, "boom") == 0) {
		fb_err_set(err, FB_EDB, "connection lost");
		return -1;
	}
	if (strcmp(login, "detailed") == 0) {
		fb_err_set(err, FB_EDB, "lookup failed");
		fb_err_detail(err, jsonh_detail("login", "cause"));
		return -1;
	}
	if (strcmp(login, "silent") == 0)
		return -1;
	return strcmp(login, "zhang.san") == 0 || strcmp(login, "li4@corp") == 0;
}

/* A merge with a fresh err: returns rc; *merged (or NULL) and err are the caller's. */
static int
merge(const struct schema *s, const struct view *v, const char *current, const char *input,
      const struct schema_env *env, struct json_object **merged, struct fb_err *err)
{
	struct json_object *cur = current ? js(current) : NULL, *in = input ? js(input) : NULL;
	struct json_object *m = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = schema_merge(s, v, cur, in, env, &m, err);
	json_object_put(cur);
	json_object_put(in);
	if (merged != NULL)
		*merged = m;
	else
		json_object_put(m);
	if (rc == 0)
		ck_assert_ptr_nonnull(m);
	else
		ck_assert_ptr_null(m);
	return rc;
}

static size_t
ndetails(const struct fb_err *err)
{
	return err->details ? json_object_array_length(err->details) : 0;
}

static const char *
detail_str(const struct fb_err *err, size_t i, const char *member)
{
	struct json_object *d = json_object_array_get_idx(err->details, i), *m;

	if (d == NULL || !json_object_object_get_ex(d, member, &m))
		return NULL;
	return json_object_get_string(m);
}

/* Expect exactly one validation error, on field, whose message contains what. */
static void
expect_one(struct fb_err *err, const char *field, const char *what)
{
	ck_assert_int_eq(err->code, FB_EVALIDATION);
	ck_assert_msg(ndetails(err) == 1, "expected 1 detail, got %zu: %s", ndetails(err),
	              err->msg);
	ck_assert_str_eq(detail_str(err, 0, "field"), field);
	ck_assert_msg(strstr(detail_str(err, 0, "message"), what) != NULL,
	              "message \"%s\" lacks \"%s\"", detail_str(err, 0, "message"), what);
	ck_assert_str_eq(err->msg, detail_str(err, 0, "message"));
	fb_err_clear(err);
}

static void
expect_ok(int rc, struct fb_err *err)
{
	ck_assert_msg(rc == 0, "merge failed: %s", err->msg);
	ck_assert_ptr_null(err->details);
}

/* ---- schema ---------------------------------------------------------------------------- */

START_TEST(parse_good_and_accessors)
{
	struct schema *s = schema_of(form_schema);
	const struct schema_field *f, *c;
	const char *const *o;
	size_t n;

	ck_assert_uint_eq(schema_nfields(s), 10);
	ck_assert_ptr_null(schema_field_at(s, 10));
	f = schema_field_at(s, 1);
	ck_assert_str_eq(schema_field_key(f), "amount");
	ck_assert_str_eq(schema_field_label(f), "金额");
	ck_assert_int_eq(schema_field_type(f), SCHEMA_NUMBER);
	ck_assert_str_eq(schema_type_name(schema_field_type(f)), "number");
	ck_assert_str_eq(schema_type_name((enum schema_type)99), "unknown");
	ck_assert_uint_eq(schema_field_index(f), 1);
	ck_assert(schema_field_min(f) == 0 && schema_field_max(f) == 1000000);
	ck_assert_int_eq(schema_field_decimals(f), 2);
	ck_assert_int_eq(schema_field_max_length(f), 0);
	ck_assert_int_eq(schema_field_max_rows(f), 0);
	f = schema_field_by_key(s, "count");
	ck_assert_int_eq(schema_field_decimals(f), 0);
	ck_assert_ptr_null(schema_field_by_key(s, "nope"));
	f = schema_field_by_key(s, "reason");
	ck_assert_int_eq(schema_field_max_length(f), 5);
	ck_assert(schema_field_min(f) == 0 && schema_field_max(f) == 0);
	ck_assert_int_eq(schema_field_decimals(f), 0);
	f = schema_field_by_key(s, "category");
	o = schema_field_options(f, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(o[2], "招待");
	ck_assert_ptr_null(schema_field_parent(f));
	ck_assert_ptr_null(schema_field_depends_on(f));
	f = schema_field_by_key(s, "city");
	ck_assert_ptr_null(schema_field_options(f, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_eq(schema_field_parent(f), schema_field_by_key(s, "province"));
	ck_assert_str_eq(schema_field_depends_on(f), "province");
	o = schema_field_child_options(f, "浙江", &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(o[0], "杭州");
	ck_assert_ptr_null(schema_field_child_options(f, "海外", &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(schema_field_child_options(f, NULL, &n));
	f = schema_field_by_key(s, "items");
	ck_assert_int_eq(schema_field_max_rows(f), 3);
	ck_assert_uint_eq(schema_field_ncolumns(f), 5);
	c = schema_field_column(f, 1);
	ck_assert_str_eq(schema_field_key(c), "qty");
	ck_assert_uint_eq(schema_field_index(c), 1);
	ck_assert_ptr_eq(schema_field_column_by_key(f, "qty"), c);
	ck_assert_ptr_null(schema_field_column_by_key(f, "x"));
	ck_assert_ptr_null(schema_field_column(f, 5));
	ck_assert_uint_eq(schema_field_ncolumns(schema_field_by_key(s, "reason")), 0);
	schema_free(s);
	schema_free(NULL);
}
END_TEST

START_TEST(parse_defaults)
{
	struct schema *s =
	        schema_of("{\"fields\":[{\"key\":\"t\",\"label\":\"文本\",\"type\":\"text\"},"
	                  "{\"key\":\"n\",\"label\":\"数\",\"type\":\"number\",\"decimals\":2},"
	                  "{\"key\":\"x\",\"label\":\"表\",\"type\":\"table\",\"columns\":["
	                  "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"date\"}]}]}");

	ck_assert_int_eq(schema_field_max_length(schema_field_at(s, 0)), SCHEMA_TEXT_DEFAULT);
	ck_assert(schema_field_max(schema_field_at(s, 1)) == 1e13);
	ck_assert(schema_field_min(schema_field_at(s, 1)) == -1e13);
	ck_assert_int_eq(schema_field_max_rows(schema_field_at(s, 2)), SCHEMA_ROWS_DEFAULT);
	schema_free(s);
	s = schema_of("{\"fields\":[]}");
	ck_assert_uint_eq(schema_nfields(s), 0);
	schema_free(s);
}
END_TEST

static const struct {
	const char *json;
	const char *msg;
} bad_schemas[] = {
	{"[]", "must be an object with a fields array"},
	{"{}", "must be an object with a fields array"},
	{"{\"fields\":{}}", "must be an object with a fields array"},
	{"{\"fields\":[],\"x\":1}", "unknown member \"x\""},
	{"{\"fields\":[1]}", "field 1: must be an object"},
	{"{\"fields\":[{\"label\":\"a\",\"type\":\"text\"}]}", "field 1: key must match"},
	{"{\"fields\":[{\"key\":\"1a\",\"label\":\"a\",\"type\":\"text\"}]}", "key must match"},
	{"{\"fields\":[{\"key\":\"a-b\",\"label\":\"a\",\"type\":\"text\"}]}", "key must match"},
	{"{\"fields\":[{\"key\":5,\"label\":\"a\",\"type\":\"text\"}]}", "key must be a string"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\"},"
         "{\"key\":\"a\",\"label\":\"乙\",\"type\":\"text\"}]}",
         "field 2 (\"a\"): key \"a\" is used twice"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\"},"
         "{\"key\":\"b\",\"label\":\"甲\",\"type\":\"text\"}]}",
         "label \"甲\" is used twice"},
	{"{\"fields\":[{\"key\":\"a\",\"type\":\"text\"}]}", "label is missing"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\" \",\"type\":\"text\"}]}",
         "label must not be empty"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\" 甲\",\"type\":\"text\"}]}", "white space"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"a\\u0001\",\"type\":\"text\"}]}",
         "control characters"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":3,\"type\":\"text\"}]}", "label must be a string"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\"}]}", "type is missing"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":5}]}", "type must be a string"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"bool\"}]}",
         "unknown type \"bool\""},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\",\"min\":1}]}",
         "member \"min\" does not apply to a text field"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\",\"max_length\":0}]}",
         "max_length must be a whole number from 1 to 100000"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\",\"max_length\":2.5}]}",
         "max_length must be a whole number"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\",\"max_length\":\"5\"}]}",
         "max_length must be a number"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"number\",\"min\":5,\"max\":1}]}",
         "min 5 is above max 1"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"number\",\"decimals\":7}]}",
         "decimals must be a whole number from 0 to 6"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"number\",\"max\":1e16}]}",
         "min and max must be within"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"number\",\"decimals\":2,"
         "\"max\":1e14}]}",
         "min and max must be within"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"date\",\"options\":[]}]}",
         "does not apply to a date field"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\"}]}",
         "a select needs options"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"options\":[]}]}",
         "options must hold 1 to 1000 options"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"options\":\"x\"}]}",
         "options must be an array of strings"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"options\":[\"x\",1]}]"
         "}",
         "options[1] must be a string"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"options\":[\"x\","
         "\"x\"]}]}",
         "options lists \"x\" twice"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"options\":[\"\"]}]}",
         "options[0] must not be empty"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"options\":[\"x\"],"
         "\"options_by_parent\":{}}]}",
         "options_by_parent needs depends_on"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"b\","
         "\"options_by_parent\":{}},{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\","
         "\"options\":[\"x\"]}]}",
         "depends_on \"b\" must name an earlier select field"},
	{"{\"fields\":[{\"key\":\"b\",\"label\":\"乙\",\"type\":\"text\"},{\"key\":\"a\","
         "\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"b\",\"options_by_parent\":{}}]}",
         "must name an earlier select field"},
	{"{\"fields\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"a\","
         "\"options_by_parent\":{}}]}",
         "must name an earlier select field"},
	{"{\"fields\":[{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\",\"options\":[\"x\"]},"
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":5}]}",
         "depends_on must be a string"},
	{"{\"fields\":[{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\",\"options\":[\"x\"]},"
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"b\"}]}",
         "needs an options_by_parent object"},
	{"{\"fields\":[{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\",\"options\":[\"x\"]},"
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"b\","
         "\"options\":[\"y\"],\"options_by_parent\":{}}]}",
         "takes options_by_parent, not options"},
	{"{\"fields\":[{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\",\"options\":[\"x\"]},"
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"b\","
         "\"options_by_parent\":{\"z\":[\"y\"]}}]}",
         "options_by_parent has \"z\", which is not an option of \"b\""},
	{"{\"fields\":[{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\",\"options\":[\"x\"]},"
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"b\","
         "\"options_by_parent\":{\"x\":[]}}]}",
         "options_by_parent[\"x\"] must hold 1 to 1000 options"},
	{"{\"fields\":[{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\",\"options\":[\"x\"]},"
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"depends_on\":\"b\","
         "\"options_by_parent\":{\"x\":[\"p\"]}},"
         "{\"key\":\"c\",\"label\":\"丙\",\"type\":\"select\",\"depends_on\":\"a\","
         "\"options_by_parent\":{\"x\":[\"q\"]}}]}",
         "options_by_parent has \"x\", which is not an option of \"a\""},
	{"{\"fields\":[{\"key\":\"t\",\"label\":\"表\",\"type\":\"table\"}]}",
         "a table needs a columns array"},
	{"{\"fields\":[{\"key\":\"t\",\"label\":\"表\",\"type\":\"table\",\"columns\":[]}]}",
         "a table must have 1 to 50 columns"},
	{"{\"fields\":[{\"key\":\"t\",\"label\":\"表\",\"type\":\"table\",\"max_rows\":0,"
         "\"columns\":[{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\"}]}]}",
         "max_rows must be a whole number from 1 to 10000"},
	{"{\"fields\":[{\"key\":\"t\",\"label\":\"表\",\"type\":\"table\",\"columns\":["
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"table\",\"columns\":[]}]}]}",
         "field 1 (\"t\"), column 1 (\"a\"): a table column must be text, number, date, select or "
         "user"},
	{"{\"fields\":[{\"key\":\"t\",\"label\":\"表\",\"type\":\"table\",\"columns\":["
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"text\"},"
         "{\"key\":\"a\",\"label\":\"乙\",\"type\":\"text\"}]}]}",
         "column 2 (\"a\"): key \"a\" is used twice"},
	{"{\"fields\":[{\"key\":\"t\",\"label\":\"表\",\"type\":\"table\",\"columns\":["
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"select\",\"options\":[\"x\"]},"
         "{\"key\":\"b\",\"label\":\"乙\",\"type\":\"select\",\"depends_on\":\"a\","
         "\"options_by_parent\":{\"x\":[\"y\"]}}]}]}",
         "a table column cannot be a dependent select"},
	{"{\"fields\":[{\"key\":\"t\",\"label\":\"表\",\"type\":\"table\",\"columns\":["
         "{\"key\":\"a\",\"label\":\"甲\",\"type\":\"number\",\"min\":\"x\"}]}]}",
         "min must be a number"},
};

START_TEST(parse_bad)
{
	struct fb_err err = {0};
	struct json_object *o = js(bad_schemas[_i].json);

	ck_assert_ptr_null(schema_parse(o, &err));
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_msg(strstr(err.msg, bad_schemas[_i].msg) != NULL, "case %d: \"%s\" lacks \"%s\"",
	              _i, err.msg, bad_schemas[_i].msg);
	ck_assert_msg(strncmp(err.msg, "form schema: ", 13) == 0, "%s", err.msg);
	json_object_put(o);
}
END_TEST

START_TEST(parse_bad_misc)
{
	struct fb_err err = {0};
	struct json_object *o, *fields, *f;
	char key[80];
	int i;

	ck_assert_ptr_null(schema_parse(NULL, &err));
	ck_assert_int_eq(err.code, FB_EINVAL);
	/* Too many fields. */
	o = json_object_new_object();
	fields = json_object_new_array();
	for (i = 0; i <= SCHEMA_MAX_FIELDS; i++) {
		f = json_object_new_object();
		snprintf(key, sizeof(key), "f%d", i);
		jsonh_add_str(f, "key", key);
		jsonh_add_str(f, "label", key);
		jsonh_add_str(f, "type", "text");
		json_object_array_add(fields, f);
	}
	json_object_object_add(o, "fields", fields);
	ck_assert_ptr_null(schema_parse(o, &err));
	ck_assert_str_eq(err.msg, "form schema: at most 200 fields");
	json_object_put(o);
	/* A key that is too long, a label with invalid UTF-8 (built, not parsed). */
	memset(key, 'k', 65);
	key[65] = '\0';
	o = json_object_new_object();
	fields = json_object_new_array();
	f = json_object_new_object();
	jsonh_add_str(f, "key", key);
	json_object_array_add(fields, f);
	json_object_object_add(o, "fields", fields);
	ck_assert_ptr_null(schema_parse(o, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "key must match"));
	jsonh_add_str(f, "key", "k");
	jsonh_add_str(f, "label", "\xe4\xb8");
	jsonh_add_str(f, "type", "text");
	ck_assert_ptr_null(schema_parse(o, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "label must be valid UTF-8 text"));
	/* A label of 101 characters. */
	{
		char label[400] = "";

		for (i = 0; i < 101; i++)
			strcat(label, "字");
		jsonh_add_str(f, "label", label);
		ck_assert_ptr_null(schema_parse(o, &err));
		ck_assert_ptr_nonnull(strstr(err.msg, "label is too long"));
	}
	/* Infinite bounds (built, not parsed). */
	jsonh_add_str(f, "label", "甲");
	jsonh_add_str(f, "type", "number");
	jsonh_add_double(f, "max", 1.0 / 0.0);
	ck_assert_ptr_null(schema_parse(o, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "max must be a finite number"));
	json_object_object_del(f, "max");
	jsonh_add_str(f, "type", "text");
	/* A double that is a whole number is accepted where an integer is expected. */
	jsonh_add_str(f, "label", "甲");
	jsonh_add_double(f, "max_length", 10.0);
	{
		struct schema *s = schema_parse(o, &err);

		ck_assert_ptr_nonnull(s);
		ck_assert_int_eq(schema_field_max_length(schema_field_at(s, 0)), 10);
		schema_free(s);
	}
	json_object_put(o);
}
END_TEST

/* ---- view ------------------------------------------------------------------------------ */

START_TEST(view_good)
{
	struct schema *s = schema_of(form_schema);
	struct view *v =
	        view_of(s, "{\"visible\":[\"reason\",\"amount\"],\"searchable\":[\"category\"],"
	                   "\"writable\":[\"city\",\"amount\"],\"required\":[\"district\"]}");

	ck_assert_ptr_eq(view_schema(v), s);
	ck_assert(view_is_visible(v, "reason"));
	ck_assert(view_is_visible(v, "city")); /* writable implies visible */
	ck_assert(!view_is_visible(v, "pay_date"));
	ck_assert(view_is_searchable(v, "category"));
	ck_assert(!view_is_searchable(v, "reason"));
	ck_assert(view_is_writable(v, "amount"));
	ck_assert(!view_is_writable(v, "reason"));
	/* district is required; city and province are required through it. */
	ck_assert(view_is_required(v, "district"));
	ck_assert(view_is_required(v, "city"));
	ck_assert(view_is_required(v, "province"));
	ck_assert(!view_is_required(v, "amount"));
	ck_assert(!view_is_visible(v, "nope"));
	view_free(v);
	v = view_of(s, "{}");
	ck_assert(!view_is_visible(v, "reason"));
	view_free(v);
	v = view_of(s, "{\"visible\":null}");
	view_free(v);
	{
		struct fb_err err = {0};

		v = view_parse(s, NULL, &err);
		ck_assert_ptr_nonnull(v);
		ck_assert(!view_is_writable(v, "amount"));
		view_free(v);
	}
	view_free(NULL);
	schema_free(s);
}
END_TEST

/* The visible list in its own order, each field once, without the unlisted writable ones. */
START_TEST(view_listed_order)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, "{\"visible\":[\"count\",\"reason\",\"count\",\"items\"],"
	                            "\"writable\":[\"amount\",\"reason\"]}");

	ck_assert_uint_eq(view_nlisted(v), 3);
	ck_assert_str_eq(schema_field_key(view_listed_at(v, 0)), "count");
	ck_assert_str_eq(schema_field_key(view_listed_at(v, 1)), "reason");
	ck_assert_str_eq(schema_field_key(view_listed_at(v, 2)), "items");
	ck_assert_ptr_null(view_listed_at(v, 3));
	ck_assert(view_is_visible(v, "amount")); /* visible, but not listed */
	view_free(v);
	v = view_of(s, "{\"writable\":[\"amount\"]}");
	ck_assert_uint_eq(view_nlisted(v), 0);
	ck_assert_ptr_null(view_listed_at(v, 0));
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(view_bad)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
	        {"[]", "view: must be an object"},
	        {"{\"hidden\":[]}", "view: unknown member \"hidden\""},
	        {"{\"visible\":\"reason\"}", "view: visible must be an array of field keys"},
	        {"{\"writable\":[1]}", "view: writable[0] must be a field key"},
	        {"{\"required\":[\"reason\",\"nope\"]}",
	         "view: required names unknown field \"nope\""},
	        {"{\"searchable\":[\"items\"]}", "view: table \"items\" cannot be searchable"},
	};
	struct schema *s = schema_of(form_schema);
	struct fb_err err = {0};
	struct json_object *o;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = js(cases[i].json);
		ck_assert_ptr_null(view_parse(s, o, &err));
		ck_assert_int_eq(err.code, FB_EINVAL);
		ck_assert_str_eq(err.msg, cases[i].msg);
		json_object_put(o);
	}
	schema_free(s);
}
END_TEST

/* ---- values ---------------------------------------------------------------------------- */

START_TEST(text_values)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, all_writable);
	struct fb_err err = {0};
	struct json_object *m, *in;
	int rc;

	/* Five Chinese characters are 15 bytes but 5 characters: accepted. */
	rc = merge(s, v, NULL, "{\"reason\":\"出差去广州\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"reason\":\"出差去广州\"}");
	json_object_put(m);
	ck_assert_int_eq(merge(s, v, NULL, "{\"reason\":\"出差去广州了\"}", NULL, NULL, &err), -1);
	expect_one(&err, "reason", "\"事由\" (reason): must be at most 5 characters (has 6)");
	ck_assert_int_eq(merge(s, v, NULL, "{\"reason\":123}", NULL, NULL, &err), -1);
	expect_one(&err, "reason", "must be text (a string)");
	/* Invalid UTF-8 and NUL cannot come through the strict parser: build them. */
	in = json_object_new_object();
	json_object_object_add(in, "reason", json_object_new_string_len("a\xc3\x28", 3));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
	expect_one(&err, "reason", "is not valid UTF-8 text");
	json_object_object_add(in, "reason", json_object_new_string_len("\xe0\x80\xaf", 3));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
	expect_one(&err, "reason", "is not valid UTF-8 text"); /* overlong */
	json_object_object_add(in, "reason", json_object_new_string_len("\xed\xa0\x80", 3));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
	expect_one(&err, "reason", "is not valid UTF-8 text"); /* surrogate */
	json_object_object_add(in, "reason", json_object_new_string_len("\xf4\x90\x80\x80", 4));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
	expect_one(&err, "reason", "is not valid UTF-8 text"); /* past U+10FFFF */
	json_object_object_add(in, "reason", json_object_new_string_len("\xe5\xad", 2));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
	expect_one(&err, "reason", "is not valid UTF-8 text"); /* truncated */
	json_object_object_add(in, "reason",
	                       json_object_new_string_len("\xf0\x9f\x98\x80"
	                                                  "ab",
	                                                  6));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), 0); /* 4-byte char */
	json_object_put(m);
	json_object_object_add(in, "reason", json_object_new_string_len("a\0b", 3));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
	expect_one(&err, "reason", "must not contain NUL characters");
	json_object_put(in);
	/* "" and null clear the field. */
	rc = merge(s, v, "{\"reason\":\"旧\",\"other\":1}", "{\"reason\":\"\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"other\":1}");
	json_object_put(m);
	rc = merge(s, v, "{\"reason\":\"旧\"}", "{\"reason\":null}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{}");
	json_object_put(m);
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(number_values)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, all_writable);
	struct fb_err err = {0};
	struct json_object *m, *in;
	int rc;

	rc = merge(s, v, NULL, "{\"amount\":1234.5,\"count\":3}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"amount\":1234.5,\"count\":3}");
	json_object_put(m);
	/* Integers are numbers; a whole double is stored as an integer; bounds inclusive. */
	rc = merge(s, v, NULL, "{\"amount\":1000000,\"count\":9999.0}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"amount\":1000000,\"count\":9999}");
	ck_assert(json_object_is_type(json_object_object_get(m, "count"), json_type_int));
	json_object_put(m);
	rc = merge(s, v, NULL, "{\"amount\":0,\"count\":1}", NULL, &m, &err);
	expect_ok(rc, &err);
	json_object_put(m);
	ck_assert_int_eq(merge(s, v, NULL, "{\"amount\":1000000.01}", NULL, NULL, &err), -1);
	expect_one(&err, "amount", "\"金额\" (amount): must be at most 1000000");
	ck_assert_int_eq(merge(s, v, NULL, "{\"amount\":-0.01}", NULL, NULL, &err), -1);
	expect_one(&err, "amount", "must be at least 0");
	ck_assert_int_eq(merge(s, v, NULL, "{\"amount\":12.345}", NULL, NULL, &err), -1);
	expect_one(&err, "amount", "must have at most 2 decimals");
	ck_assert_int_eq(merge(s, v, NULL, "{\"count\":1.5}", NULL, NULL, &err), -1);
	expect_one(&err, "count", "must be a whole number");
	ck_assert_int_eq(merge(s, v, NULL, "{\"count\":\"3\"}", NULL, NULL, &err), -1);
	expect_one(&err, "count", "must be a number");
	ck_assert_int_eq(merge(s, v, NULL, "{\"count\":true}", NULL, NULL, &err), -1);
	expect_one(&err, "count", "must be a number");
	ck_assert_int_eq(merge(s, v, NULL, "{\"count\":99999999999999999999}", NULL, NULL, &err),
	                 -1);
	ck_assert_int_eq(err.code, FB_EVALIDATION);
	fb_err_clear(&err);
	/* Binary noise is not a third decimal: 0.1 + 0.2 is 0.3. */
	in = json_object_new_object();
	json_object_object_add(in, "amount", json_object_new_double(0.1 + 0.2));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), 0);
	ck_assert_str_eq(jsonh_str(m), "{\"amount\":0.3}");
	json_object_put(m);
	json_object_object_add(in, "amount", json_object_new_double(999999.99));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), 0);
	ck_assert_str_eq(jsonh_str(m), "{\"amount\":999999.99}");
	json_object_put(m);
	json_object_object_add(in, "amount", json_object_new_double(0.0 / 0.0));
	ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
	expect_one(&err, "amount", "must be a finite number");
	json_object_put(in);
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(date_values)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, all_writable);
	struct fb_err err = {0};
	struct json_object *m;
	static const char *const bad[] = {
	        "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "1899-12-31", "1900-02-29",
	};
	static const char *const malformed[] = {
	        "2026-1-01",           "2026/01/01", "20260101",
	        "2026-01-01T00:00:00", "abcd-ef-gh", " 2026-01-01",
	};
	char in[100];
	size_t i;
	int rc;

	rc = merge(s, v, NULL, "{\"pay_date\":\"2024-02-29\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"pay_date\":\"2024-02-29\"}");
	json_object_put(m);
	rc = merge(s, v, NULL, "{\"pay_date\":\"2000-02-29\"}", NULL, NULL, &err);
	expect_ok(rc, &err);
	rc = merge(s, v, NULL, "{\"pay_date\":\"9999-12-31\"}", NULL, NULL, &err);
	expect_ok(rc, &err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(in, sizeof(in), "{\"pay_date\":\"%s\"}", bad[i]);
		ck_assert_int_eq(merge(s, v, NULL, in, NULL, NULL, &err), -1);
		expect_one(&err, "pay_date", "is not a calendar date");
	}
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		snprintf(in, sizeof(in), "{\"pay_date\":\"%s\"}", malformed[i]);
		ck_assert_int_eq(merge(s, v, NULL, in, NULL, NULL, &err), -1);
		expect_one(&err, "pay_date", "is not a date written YYYY-MM-DD");
	}
	ck_assert_int_eq(merge(s, v, NULL, "{\"pay_date\":20260101}", NULL, NULL, &err), -1);
	expect_one(&err, "pay_date", "must be a date string (YYYY-MM-DD)");
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(select_and_user_values)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, all_writable);
	struct fb_err err = {0};
	struct json_object *m;
	int calls = 0, rc;
	struct schema_env env = {fake_users, &calls};

	rc = merge(s, v, NULL, "{\"category\":\"办公\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	json_object_put(m);
	ck_assert_int_eq(merge(s, v, NULL, "{\"category\":\"购物\"}", NULL, NULL, &err), -1);
	expect_one(&err, "category", "\"类别\" (category): \"购物\" is not one of the options");
	ck_assert_int_eq(merge(s, v, NULL, "{\"category\":\"办公 \"}", NULL, NULL, &err), -1);
	expect_one(&err, "category", "is not one of the options");
	ck_assert_int_eq(merge(s, v, NULL, "{\"category\":[\"办公\"]}", NULL, NULL, &err), -1);
	expect_one(&err, "category", "must be one of the options (a string)");
	/* user: any well-formed login without a callback ... */
	rc = merge(s, v, NULL, "{\"reviewer\":\"whoever\"}", NULL, NULL, &err);
	expect_ok(rc, &err);
	rc = merge(s, v, NULL, "{\"reviewer\":\"张三\"}", NULL, NULL, &err);
	expect_ok(rc, &err);
	ck_assert_int_eq(merge(s, v, NULL, "{\"reviewer\":\"a b\"}", NULL, NULL, &err), -1);
	expect_one(&err, "reviewer", "must be a user login");
	ck_assert_int_eq(merge(s, v, NULL, "{\"reviewer\":7}", NULL, NULL, &err), -1);
	expect_one(&err, "reviewer", "must be a user login (a string)");
	{
		char in[300] = "{\"reviewer\":\"";

		memset(in + strlen(in), 'x', 129);
		strcpy(in + 13 + 129, "\"}");
		ck_assert_int_eq(merge(s, v, NULL, in, NULL, NULL, &err), -1);
		expect_one(&err, "reviewer", "must be a user login");
	}
	/* ... and the callback decides when there is one. */
	rc = merge(s, v, NULL, "{\"reviewer\":\"zhang.san\"}", &env, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"reviewer\":\"zhang.san\"}");
	json_object_put(m);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(merge(s, v, NULL, "{\"reviewer\":\"wang5\"}", &env, NULL, &err), -1);
	expect_one(&err, "reviewer", "no user with login \"wang5\"");
	ck_assert_int_eq(calls, 2);
	/* A failing lookup fails the merge with its own error and no details. */
	ck_assert_int_eq(
	        merge(s, v, NULL, "{\"amount\":-1,\"reviewer\":\"boom\"}", &env, NULL, &err), -1);
	ck_assert_int_eq(err.code, FB_EDB);
	ck_assert_str_eq(err.msg, "connection lost");
	ck_assert_ptr_null(err.details);
	fb_err_clear(&err);
	ck_assert_int_eq(merge(s, v, NULL, "{\"reviewer\":\"detailed\"}", &env, NULL, &err), -1);
	ck_assert_int_eq(err.code, FB_EDB);
	ck_assert_uint_eq(ndetails(&err), 1);
	ck_assert_str_eq(detail_str(&err, 0, "message"), "cause");
	fb_err_clear(&err);
	ck_assert_int_eq(merge(s, v, NULL, "{\"reviewer\":\"silent\"}", &env, NULL, &err), -1);
	ck_assert_int_eq(err.code, FB_EINTERNAL);
	ck_assert_str_eq(err.msg, "user lookup failed");
	fb_err_clear(&err);
	/* A select value that is not UTF-8 (built, not parsed). */
	{
		struct json_object *in = json_object_new_object();

		json_object_object_add(in, "category", json_object_new_string_len("\xe5\x8a", 2));
		ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
		expect_one(&err, "category", "is not valid UTF-8 text");
		json_object_put(in);
	}
	/* A long value is quoted shortened, cut between characters. */
	ck_assert_int_eq(merge(s, v, NULL,
	                       "{\"category\":\"a一二三四五六七八九十一二三四五六七八九十一二\"}",
	                       NULL, NULL, &err),
	                 -1);
	expect_one(&err, "category", "\"a一二三四五六七八九十一二三四五六七八九…\" is not one");
	/* "" clears a select, a date and a user. */
	rc = merge(s, v, "{\"category\":\"办公\",\"pay_date\":\"2026-01-01\",\"reviewer\":\"x\"}",
	           "{\"category\":\"\",\"pay_date\":\"\",\"reviewer\":\"\"}", &env, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{}");
	json_object_put(m);
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(dependent_selects)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, all_writable);
	struct view *vc = view_of(s, "{\"writable\":[\"city\"]}");
	struct fb_err err = {0};
	struct json_object *m;
	int rc;

	rc = merge(s, v, NULL, "{\"province\":\"广东\",\"city\":\"深圳\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"province\":\"广东\",\"city\":\"深圳\"}");
	json_object_put(m);
	ck_assert_int_eq(
	        merge(s, v, NULL, "{\"province\":\"广东\",\"city\":\"杭州\"}", NULL, NULL, &err),
	        -1);
	expect_one(&err, "city",
	           "\"城市\" (city): \"杭州\" is not an option when \"省份\" is \"广东\"");
	/* The parent's value may come from the session. */
	rc = merge(s, vc, "{\"province\":\"浙江\"}", "{\"city\":\"宁波\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"province\":\"浙江\",\"city\":\"宁波\"}");
	json_object_put(m);
	ck_assert_int_eq(
	        merge(s, vc, "{\"province\":\"浙江\"}", "{\"city\":\"广州\"}", NULL, NULL, &err),
	        -1);
	expect_one(&err, "city", "is not an option when \"省份\" is \"浙江\"");
	ck_assert_int_eq(merge(s, vc, "{}", "{\"city\":\"广州\"}", NULL, NULL, &err), -1);
	expect_one(&err, "city", "choose \"省份\" (province) first");
	/* A parent value with no list: the child must stay empty. */
	ck_assert_int_eq(
	        merge(s, vc, "{\"province\":\"海外\"}", "{\"city\":\"广州\"}", NULL, NULL, &err),
	        -1);
	expect_one(&err, "city", "is not an option when \"省份\" is \"海外\"");
	/* A parent change that leaves the old child invalid is an error on the child ... */
	ck_assert_int_eq(merge(s, v, "{\"province\":\"广东\",\"city\":\"深圳\"}",
	                       "{\"province\":\"浙江\"}", NULL, NULL, &err),
	                 -1);
	expect_one(&err, "city", "\"深圳\" no longer fits now that \"省份\" is \"浙江\"");
	ck_assert_int_eq(merge(s, v, "{\"province\":\"广东\",\"city\":\"深圳\"}",
	                       "{\"province\":null}", NULL, NULL, &err),
	                 -1);
	expect_one(&err, "city", "no longer fits now that \"省份\" is cleared");
	/* ... but not when the old child still fits, or when the child is given too. */
	rc = merge(s, v, "{\"province\":\"广东\",\"city\":\"其他\"}", "{\"province\":\"浙江\"}",
	           NULL, &m, &err);
	expect_ok(rc, &err);
	json_object_put(m);
	rc = merge(s, v, "{\"province\":\"广东\",\"city\":\"深圳\"}",
	           "{\"province\":\"浙江\",\"city\":\"杭州\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"province\":\"浙江\",\"city\":\"杭州\"}");
	json_object_put(m);
	rc = merge(s, v, "{\"province\":\"广东\",\"city\":\"深圳\"}", "{\"province\":\"广东\"}",
	           NULL, &m, &err);
	expect_ok(rc, &err);
	json_object_put(m);
	/* Chains: changing city invalidates district; a bad parent does not cascade. */
	ck_assert_int_eq(merge(s, v,
	                       "{\"province\":\"广东\",\"city\":\"广州\",\"district\":\"天河\"}",
	                       "{\"city\":\"深圳\"}", NULL, NULL, &err),
	                 -1);
	expect_one(&err, "district", "\"天河\" no longer fits now that \"城市\" is \"深圳\"");
	ck_assert_int_eq(merge(s, v, "{\"province\":\"广东\"}",
	                       "{\"city\":\"杭州\",\"district\":\"西湖\"}", NULL, NULL, &err),
	                 -1);
	expect_one(&err, "city", "is not an option");
	ck_assert_int_eq(merge(s, v, NULL, "{\"city\":5}", NULL, NULL, &err), -1);
	expect_one(&err, "city", "must be one of the options");
	view_free(vc);
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(check_input_alone)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, all_writable);
	struct view *vr =
	        view_of(s, "{\"writable\":[\"city\",\"amount\"],\"required\":[\"city\"]}");
	struct fb_err err = {0};
	struct json_object *in;

	/* Required fields are not checked; a lone child must be some parent's option. */
	in = js("{\"amount\":5}");
	ck_assert_int_eq(schema_check_input(s, vr, in, NULL, &err), 0);
	json_object_put(in);
	ck_assert_int_eq(schema_check_input(s, vr, NULL, NULL, &err), 0);
	in = js("{\"city\":\"宁波\"}");
	ck_assert_int_eq(schema_check_input(s, vr, in, NULL, &err), 0);
	json_object_put(in);
	in = js("{\"city\":\"上海\",\"amount\":-1}");
	ck_assert_int_eq(schema_check_input(s, vr, in, NULL, &err), -1);
	ck_assert_uint_eq(ndetails(&err), 2);
	ck_assert_str_eq(detail_str(&err, 1, "message"),
	                 "\"城市\" (city): \"上海\" is not one of the options");
	fb_err_clear(&err);
	json_object_put(in);
	in = js("{\"province\":\"广东\",\"city\":\"宁波\"}");
	ck_assert_int_eq(schema_check_input(s, v, in, NULL, &err), -1);
	expect_one(&err, "city", "is not an option when \"省份\" is \"广东\"");
	json_object_put(in);
	in = js("{\"province\":\"\",\"city\":\"宁波\"}");
	ck_assert_int_eq(schema_check_input(s, v, in, NULL, &err), -1);
	expect_one(&err, "city", "choose \"省份\" (province) first");
	json_object_put(in);
	in = js("{\"reason\":\"x\"}");
	ck_assert_int_eq(schema_check_input(s, vr, in, NULL, &err), -1);
	expect_one(&err, "reason", "is not editable at this node");
	json_object_put(in);
	view_free(vr);
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(table_values)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, all_writable);
	struct fb_err err = {0};
	struct json_object *m;
	int calls = 0, rc;
	struct schema_env env = {fake_users, &calls};

	rc = merge(s, v, NULL,
	           "{\"items\":[{\"name\":\"打印纸\",\"qty\":2.0,\"day\":\"2024-02-29\",\"kind\":"
	           "\"甲\","
	           "\"who\":\"li4@corp\"},{\"name\":null,\"qty\":1},{}]}",
	           &env, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m),
	                 "{\"items\":[{\"name\":\"打印纸\",\"qty\":2,\"day\":\"2024-02-29\","
	                 "\"kind\":\"甲\",\"who\":\"li4@corp\"},{\"qty\":1},{}]}");
	json_object_put(m);
	ck_assert_int_eq(calls, 1);
	/* An empty table is kept as []. */
	rc = merge(s, v, "{\"items\":[{\"qty\":1}]}", "{\"items\":[]}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m), "{\"items\":[]}");
	json_object_put(m);
	ck_assert_int_eq(merge(s, v, NULL, "{\"items\":{}}", NULL, NULL, &err), -1);
	expect_one(&err, "items", "must be a list of rows");
	ck_assert_int_eq(merge(s, v, NULL, "{\"items\":[{},{},{},{}]}", NULL, NULL, &err), -1);
	expect_one(&err, "items", "\"明细\" (items): must have at most 3 rows (has 4)");
	/* Every bad cell is reported with its row and column. */
	ck_assert_int_eq(
	        merge(s, v, NULL,
	              "{\"items\":[{\"qty\":0},5,{\"name\":\"一二三四五\",\"color\":\"红\","
	              "\"day\":\"2026-02-29\",\"kind\":\"丙\",\"who\":\"nobody\"}]}",
	              &env, NULL, &err),
	        -1);
	ck_assert_int_eq(err.code, FB_EVALIDATION);
	ck_assert_uint_eq(ndetails(&err), 7);
	ck_assert_str_eq(detail_str(&err, 0, "message"),
	                 "\"明细\" (items) row 1, \"数量\" (qty): must be at least 1");
	ck_assert_str_eq(detail_str(&err, 0, "column"), "qty");
	ck_assert_str_eq(detail_str(&err, 0, "column_label"), "数量");
	ck_assert_str_eq(detail_str(&err, 0, "row"), "1");
	ck_assert_str_eq(detail_str(&err, 0, "label"), "明细");
	ck_assert_str_eq(detail_str(&err, 1, "message"),
	                 "\"明细\" (items) row 2: must be an object of column values");
	ck_assert_ptr_null(detail_str(&err, 1, "column"));
	ck_assert_str_eq(
	        detail_str(&err, 2, "message"),
	        "\"明细\" (items) row 3, \"名称\" (name): must be at most 4 characters (has 5)");
	ck_assert_str_eq(detail_str(&err, 3, "message"),
	                 "\"明细\" (items) row 3: unknown column \"color\"");
	ck_assert_ptr_nonnull(strstr(detail_str(&err, 4, "message"), "is not a calendar date"));
	ck_assert_ptr_nonnull(
	        strstr(detail_str(&err, 5, "message"), "\"丙\" is not one of the options"));
	ck_assert_ptr_nonnull(
	        strstr(detail_str(&err, 6, "message"), "no user with login \"nobody\""));
	fb_err_clear(&err);
	/* The callback failing inside a table. */
	ck_assert_int_eq(merge(s, v, NULL, "{\"items\":[{\"who\":\"boom\"}]}", &env, NULL, &err),
	                 -1);
	ck_assert_int_eq(err.code, FB_EDB);
	ck_assert_ptr_null(err.details);
	fb_err_clear(&err);
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(required_fields)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, "{\"writable\":[\"district\",\"amount\",\"items\",\"reason\"],"
	                            "\"required\":[\"district\",\"amount\",\"items\",\"reason\"]}");
	struct fb_err err = {0};
	struct json_object *m;
	int rc;

	rc = merge(s, v,
	           "{\"province\":\"广东\",\"city\":\"广州\",\"amount\":0,\"items\":[{}],"
	           "\"reason\":\"x\"}",
	           "{\"district\":\"越秀\"}", NULL, &m, &err);
	expect_ok(rc, &err);
	json_object_put(m);
	/* Empty after the merge: absent, blank text, empty table; derived parents too. */
	rc = merge(s, v, "{\"reason\":\"x\",\"items\":[{}]}", "{\"reason\":\"  \",\"items\":[]}",
	           NULL, NULL, &err);
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_eq(ndetails(&err), 6);
	ck_assert_str_eq(detail_str(&err, 0, "message"), "\"事由\" (reason): is required");
	ck_assert_str_eq(detail_str(&err, 1, "message"), "\"金额\" (amount): is required");
	ck_assert_str_eq(detail_str(&err, 2, "message"),
	                 "\"省份\" (province): is required (\"城市\" depends on it)");
	ck_assert_str_eq(detail_str(&err, 3, "message"),
	                 "\"城市\" (city): is required (\"区\" depends on it)");
	ck_assert_str_eq(detail_str(&err, 4, "message"), "\"区\" (district): is required");
	ck_assert_str_eq(detail_str(&err, 5, "message"), "\"明细\" (items): is required");
	ck_assert_str_eq(err.msg,
	                 "6 form errors: \"事由\" (reason): is required; \"金额\" (amount): "
	                 "is required; \"省份\" (province): is required (\"城市\" depends "
	                 "on it); \"城市\" (city): is required (\"区\" depends on it); \"区\" "
	                 "(district): is required; \"明细\" (items): is required");
	fb_err_clear(&err);
	/* A field that is already invalid is not also reported as missing. */
	ck_assert_int_eq(merge(s, v,
	                       "{\"province\":\"广东\",\"city\":\"广州\",\"amount\":1,"
	                       "\"items\":[{}],\"reason\":\"x\"}",
	                       "{\"district\":\"西湖\"}", NULL, NULL, &err),
	                 -1);
	expect_one(&err, "district", "is not an option when \"城市\" is \"广州\"");
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(writable_unknown_and_many_errors)
{
	struct schema *s = schema_of(form_schema);
	struct view *v = view_of(s, "{\"visible\":[\"reason\",\"amount\"],\"writable\":[\"amount\","
	                            "\"pay_date\"],\"required\":[\"pay_date\"]}");
	struct fb_err err = {0};
	struct json_object *cur, *in, *m = NULL;

	ck_assert_int_eq(merge(s, v, "{\"reason\":\"旧\"}",
	                       "{\"reason\":\"新\",\"amount\":-5,\"bogus\":1,\"pay_date\":\"x\"}",
	                       NULL, NULL, &err),
	                 -1);
	ck_assert_int_eq(err.code, FB_EVALIDATION);
	ck_assert_int_eq(fb_err_status(&err), 422);
	ck_assert_uint_eq(ndetails(&err), 4);
	ck_assert_str_eq(detail_str(&err, 0, "message"),
	                 "\"事由\" (reason): is not editable at this node");
	ck_assert_str_eq(detail_str(&err, 0, "label"), "事由");
	ck_assert_str_eq(detail_str(&err, 1, "field"), "amount");
	ck_assert_str_eq(detail_str(&err, 2, "message"), "unknown field \"bogus\"");
	ck_assert_str_eq(detail_str(&err, 2, "field"), "bogus");
	ck_assert_ptr_null(detail_str(&err, 2, "label"));
	ck_assert_str_eq(detail_str(&err, 3, "field"), "pay_date");
	ck_assert_ptr_nonnull(strstr(err.msg, "4 form errors: "));
	fb_err_clear(&err);
	/* Existing details of the caller are kept; ours are appended. */
	fb_err_detail(&err, jsonh_detail("node_id", "earlier problem"));
	cur = js("{\"reason\":\"旧\"}");
	in = js("{\"amount\":-1}");
	ck_assert_int_eq(schema_merge(s, v, cur, in, NULL, &m, &err), -1);
	ck_assert_uint_eq(ndetails(&err), 3);
	ck_assert_str_eq(detail_str(&err, 0, "message"), "earlier problem");
	fb_err_clear(&err);
	/* Inputs are borrowed and unchanged. */
	ck_assert_str_eq(jsonh_str(cur), "{\"reason\":\"旧\"}");
	ck_assert_str_eq(jsonh_str(in), "{\"amount\":-1}");
	json_object_put(in);
	/* Not objects. */
	in = js("[]");
	ck_assert_int_eq(schema_merge(s, v, cur, in, NULL, &m, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(schema_merge(s, v, in, NULL, NULL, &m, &err), -1);
	ck_assert_int_eq(err.code, FB_EINTERNAL);
	json_object_put(in);
	json_object_put(cur);
	/* A view of another schema. */
	{
		struct schema *s2 = schema_of(form_schema);

		ck_assert_int_eq(schema_merge(s2, v, NULL, NULL, NULL, &m, &err), -1);
		ck_assert_int_eq(err.code, FB_EINTERNAL);
		schema_free(s2);
	}
	view_free(v);
	schema_free(s);
}
END_TEST

START_TEST(error_cap_and_summary)
{
	static const char *const labels[] = {"明细", "明细表", "明细表格"};
	struct fb_err err = {0};
	struct json_object *in, *rows, *r, *m = NULL, *o, *back;
	struct schema *s;
	struct view *v;
	char text[600];
	const char *txt;
	int i, k;

	/* Three label lengths so that the cut falls inside a character at least once. */
	for (k = 0; k < 3; k++) {
		snprintf(text, sizeof(text),
		         "{\"fields\":[{\"key\":\"t\",\"label\":\"%s\",\"type\":\"table\","
		         "\"max_rows\":500,\"columns\":[{\"key\":\"a\",\"label\":\"数量\","
		         "\"type\":\"number\",\"min\":1}]}]}",
		         labels[k]);
		s = schema_of(text);
		v = view_of(s, "{\"writable\":[\"t\"]}");
		in = json_object_new_object();
		rows = json_object_new_array();
		for (i = 0; i < 150; i++) {
			r = json_object_new_object();
			jsonh_add_str(r, "a", "多");
			json_object_array_add(rows, r);
		}
		json_object_object_add(in, "t", rows);
		ck_assert_int_eq(schema_merge(s, v, NULL, in, NULL, &m, &err), -1);
		ck_assert_uint_eq(ndetails(&err), SCHEMA_MAX_ERRORS + 1);
		ck_assert_str_eq(detail_str(&err, SCHEMA_MAX_ERRORS, "message"),
		                 "50 more errors not shown");
		ck_assert_ptr_nonnull(strstr(err.msg, "150 form errors: "));
		/* The summary is cut on a character boundary and stays valid UTF-8. */
		ck_assert_ptr_nonnull(strstr(err.msg, "…"));
		o = json_object_new_string(err.msg);
		txt = json_object_to_json_string(o);
		back = jsonh_parse(txt, strlen(txt), &err); /* validates UTF-8 */
		ck_assert_msg(back != NULL, "summary is not UTF-8: %s", err.msg);
		json_object_put(back);
		json_object_put(o);
		fb_err_clear(&err);
		json_object_put(in);
		view_free(v);
		schema_free(s);
	}
}
END_TEST

START_TEST(overlay)
{
	struct json_object *a = js("{\"x\":1,\"y\":{\"z\":2}}"), *b = js("{\"x\":3,\"w\":4}"), *o;

	o = schema_overlay(a, b);
	ck_assert_str_eq(jsonh_str(o), "{\"x\":3,\"y\":{\"z\":2},\"w\":4}");
	json_object_put(o);
	o = schema_overlay(NULL, b);
	ck_assert_str_eq(jsonh_str(o), "{\"x\":3,\"w\":4}");
	json_object_put(o);
	o = schema_overlay(a, NULL);
	ck_assert_str_eq(jsonh_str(o), "{\"x\":1,\"y\":{\"z\":2}}");
	json_object_put(o);
	json_object_put(a);
	json_object_put(b);
}
END_TEST

/* ---- cell text ------------------------------------------------------------------------- */

static char *
from_text(const struct schema *s, const char *key, const char *text, struct fb_err *err)
{
	const struct schema_field *f = schema_field_by_key(s, key);
	struct json_object *o = NULL;
	char *r;

	if (f == NULL)
		f = schema_field_column_by_key(schema_field_by_key(s, "items"), key);
	memset(err, 0, sizeof(*err));
	if (schema_value_from_text(f, text, &o, err) != 0) {
		ck_assert_ptr_null(o);
		return NULL;
	}
	if (o == NULL)
		return xstrdup("(none)");
	r = xstrdup(jsonh_str(o));
	json_object_put(o);
	return r;
}

static void
text_ok(const struct schema *s, const char *key, const char *text, const char *want)
{
	struct fb_err err;
	char *got = from_text(s, key, text, &err);

	ck_assert_msg(got != NULL, "%s \"%s\" rejected: %s", key, text, err.msg);
	ck_assert_msg(strcmp(got, want) == 0, "%s \"%s\" gave %s, want %s", key, text, got, want);
	free(got);
}

static void
text_bad(const struct schema *s, const char *key, const char *text, const char *msg)
{
	struct fb_err err;
	char *got = from_text(s, key, text, &err);

	ck_assert_msg(got == NULL, "%s \"%s\" accepted as %s", key, text, got);
	ck_assert_msg(strcmp(err.msg, msg) == 0, "%s \"%s\": \"%s\", want \"%s\"", key, text,
	              err.msg, msg);
}

START_TEST(value_from_text)
{
	struct schema *s = schema_of(form_schema);
	struct fb_err err = {0};
	struct json_object *o = NULL;

	text_ok(s, "amount", "1,234.5", "1234.5");
	text_ok(s, "amount", " 1234.50 ", "1234.5");
	text_ok(s, "amount", "1,000,000", "1000000");
	text_ok(s, "amount", "12.300000000000001", "12.3");
	text_ok(s, "amount", "1.5E3", "1500");
	text_ok(s, "amount", "1.5e+3", "1500");
	text_ok(s, "amount", "15000e-2", "150");
	text_ok(s, "amount", "+0.07", "0.07");
	text_ok(s, "amount", ".5", "0.5");
	text_ok(s, "count", "3", "3");
	text_ok(s, "amount", "", "(none)");
	text_ok(s, "amount", "   ", "(none)");
	text_bad(s, "amount", "1,23", "\"金额\" (amount): \"1,23\" is not a number");
	text_bad(s, "amount", "1234,567", "\"金额\" (amount): \"1234,567\" is not a number");
	text_bad(s, "amount", ",123", "\"金额\" (amount): \",123\" is not a number");
	text_bad(s, "amount", "12a", "\"金额\" (amount): \"12a\" is not a number");
	text_bad(s, "amount", "nan", "\"金额\" (amount): \"nan\" is not a number");
	text_bad(s, "amount", "0x10", "\"金额\" (amount): \"0x10\" is not a number");
	text_bad(s, "amount", "1e", "\"金额\" (amount): \"1e\" is not a number");
	text_bad(s, "amount", "-", "\"金额\" (amount): \"-\" is not a number");
	text_bad(s, "amount", "1.2.3", "\"金额\" (amount): \"1.2.3\" is not a number");
	text_bad(s, "amount", "12.345", "\"金额\" (amount): must have at most 2 decimals");
	text_bad(s, "amount", "-1", "\"金额\" (amount): must be at least 0");
	text_bad(s, "amount", "1e400", "\"金额\" (amount): must be a finite number");
	text_bad(s, "count", "2.5", "\"件数\" (count): must be a whole number");
	text_bad(s, "amount", "1111111111111111111111111111111111111111111111111111111111111111111",
	         "\"金额\" (amount): "
	         "\"111111111111111111111111111111111111111111111111111111111111…\" "
	         "is not a number");
	text_ok(s, "pay_date", "2026-11-23", "\"2026-11-23\"");
	text_ok(s, "pay_date", "2026/1/3", "\"2026-01-03\"");
	text_ok(s, "pay_date", "2026.01.03", "\"2026-01-03\"");
	text_ok(s, "pay_date", "2024-02-29T00:00:00", "\"2024-02-29\"");
	text_ok(s, "pay_date", "2024-02-29 08:30", "\"2024-02-29\"");
	text_ok(s, "pay_date", "2024-02-29T08:30:00.000Z", "\"2024-02-29\"");
	text_bad(s, "pay_date", "2026-02-29",
	         "\"付款日期\" (pay_date): \"2026-02-29\" is not a calendar date between 1900 and "
	         "9999");
	text_bad(s, "pay_date", "2026-1/3",
	         "\"付款日期\" (pay_date): \"2026-1/3\" is not a date (write "
	         "YYYY-MM-DD)");
	text_bad(s, "pay_date", "26-1-3",
	         "\"付款日期\" (pay_date): \"26-1-3\" is not a date (write "
	         "YYYY-MM-DD)");
	text_bad(s, "pay_date", "2026-01-03X",
	         "\"付款日期\" (pay_date): \"2026-01-03X\" is not a date "
	         "(write YYYY-MM-DD)");
	text_bad(s, "pay_date", "2026-01-03T",
	         "\"付款日期\" (pay_date): \"2026-01-03T\" is not a date "
	         "(write YYYY-MM-DD)");
	text_bad(s, "pay_date", "2026-01-03 8h",
	         "\"付款日期\" (pay_date): \"2026-01-03 8h\" is not a "
	         "date (write YYYY-MM-DD)");
	text_bad(s, "pay_date", "2026-001-03",
	         "\"付款日期\" (pay_date): \"2026-001-03\" is not a date "
	         "(write YYYY-MM-DD)");
	text_bad(s, "pay_date", "2026-01-x",
	         "\"付款日期\" (pay_date): \"2026-01-x\" is not a date (write "
	         "YYYY-MM-DD)");
	text_bad(s, "pay_date", "2026--03",
	         "\"付款日期\" (pay_date): \"2026--03\" is not a date (write "
	         "YYYY-MM-DD)");
	text_ok(s, "category", " 招待 ", "\"招待\"");
	text_bad(s, "category", "购物", "\"类别\" (category): \"购物\" is not one of the options");
	text_bad(s, "category", "\xff",
	         "\"类别\" (category): \"(unprintable)\" is not one of the options");
	text_ok(s, "city", "宁波",
	        "\"宁波\""); /* any parent's option; the merge checks the parent */
	text_bad(s, "city", "上海", "\"城市\" (city): \"上海\" is not one of the options");
	text_ok(s, "reviewer", " zhang.san ", "\"zhang.san\"");
	text_bad(s, "reviewer", "zhang san",
	         "\"复核人\" (reviewer): \"zhang san\" is not a user login");
	text_ok(s, "reason", " 原样 ", "\" 原样 \"");
	text_bad(s, "reason", "一二三四五六",
	         "\"事由\" (reason): must be at most 5 characters (has 6)");
	text_bad(s, "reason", "\xc0\xaf", "\"事由\" (reason): is not valid UTF-8 text");
	text_ok(s, "qty", "9,999", "9999");
	text_ok(s, "reason", NULL, "(none)");
	ck_assert_int_eq(schema_value_from_text(schema_field_by_key(s, "items"), "x", &o, &err),
	                 -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_str_eq(err.msg, "\"明细\" (items): a table cannot be read from one cell");
	ck_assert_ptr_null(o);
	schema_free(s);
}
END_TEST

START_TEST(value_to_text)
{
	struct schema *s = schema_of(form_schema);
	const struct schema_field *amount = schema_field_by_key(s, "amount");
	const struct schema_field *items = schema_field_by_key(s, "items");
	struct json_object *o;
	char *t;

	ck_assert_ptr_null(schema_value_to_text(amount, NULL));
	o = json_object_new_double(0.1 + 0.2);
	t = schema_value_to_text(amount, o);
	ck_assert_str_eq(t, "0.3");
	free(t);
	json_object_put(o);
	o = json_object_new_double(-12.5);
	t = schema_value_to_text(amount, o);
	ck_assert_str_eq(t, "-12.5");
	free(t);
	json_object_put(o);
	o = json_object_new_double(1.0 / 3.0);
	t = schema_value_to_text(amount, o);
	ck_assert_str_eq(t, "0.333333333333333");
	free(t);
	json_object_put(o);
	o = json_object_new_int64(42);
	t = schema_value_to_text(amount, o);
	ck_assert_str_eq(t, "42");
	free(t);
	json_object_put(o);
	o = json_object_new_string("广州");
	t = schema_value_to_text(schema_field_by_key(s, "city"), o);
	ck_assert_str_eq(t, "广州");
	free(t);
	json_object_put(o);
	o = json_object_new_string(" ");
	ck_assert_ptr_null(schema_value_to_text(schema_field_by_key(s, "reason"), o));
	json_object_put(o);
	o = js("[]");
	ck_assert_ptr_null(schema_value_to_text(items, o));
	json_object_put(o);
	o = js("[{\"name\":\"纸/笔\"}]");
	t = schema_value_to_text(items, o);
	ck_assert_str_eq(t, "[{\"name\":\"纸/笔\"}]");
	free(t);
	json_object_put(o);
	o = js("true");
	t = schema_value_to_text(amount, o);
	ck_assert_str_eq(t, "true");
	free(t);
	json_object_put(o);
	schema_free(s);
}
END_TEST

/* The demo schemas and views that seed.c installs parse, and the merge round-trips. */
START_TEST(seed_like_schema)
{
	struct schema *s = schema_of(
	        "{\"fields\":[{\"key\":\"days\",\"label\":\"天数\",\"type\":\"number\",\"min\":0.5,"
	        "\"max\":180,\"decimals\":1},{\"key\":\"region\",\"label\":\"工作地区\",\"type\":"
	        "\"select\","
	        "\"options\":[\"华南\",\"华东\"]},{\"key\":\"office\",\"label\":\"办公地点\","
	        "\"type\":"
	        "\"select\",\"depends_on\":\"region\",\"options_by_parent\":{\"华南\":["
	        "\"广州办公室\"],"
	        "\"华东\":[\"上海办公室\"]}}]}");
	struct view *v = view_of(s, "{\"visible\":[\"days\",\"region\",\"office\"],\"searchable\":"
	                            "[\"region\"],\"writable\":[\"days\",\"office\"],\"required\":"
	                            "[\"office\"]}");
	struct fb_err err = {0};
	struct json_object *m;
	int rc;

	rc = merge(s, v, "{\"days\":3.0,\"region\":\"华东\",\"office\":\"上海办公室\"}",
	           "{\"days\":0.5}", NULL, &m, &err);
	expect_ok(rc, &err);
	ck_assert_str_eq(jsonh_str(m),
	                 "{\"days\":0.5,\"region\":\"华东\",\"office\":\"上海办公室\"}");
	json_object_put(m);
	ck_assert_int_eq(
	        merge(s, v, "{\"office\":\"上海办公室\"}", "{\"days\":0.25}", NULL, NULL, &err),
	        -1);
	ck_assert_uint_eq(ndetails(&err), 2);
	ck_assert_str_eq(detail_str(&err, 0, "message"), "\"天数\" (days): must be at least 0.5");
	ck_assert_str_eq(detail_str(&err, 1, "message"),
	                 "\"工作地区\" (region): is required (\"办公地点\" depends on it)");
	fb_err_clear(&err);
	view_free(v);
	schema_free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parse_good_and_accessors);
	tcase_add_test(tc, parse_defaults);
	tcase_add_loop_test(tc, parse_bad, 0, (int)(sizeof(bad_schemas) / sizeof(bad_schemas[0])));
	tcase_add_test(tc, parse_bad_misc);
	tcase_add_test(tc, view_good);
	tcase_add_test(tc, view_listed_order);
	tcase_add_test(tc, view_bad);
	tcase_add_test(tc, text_values);
	tcase_add_test(tc, number_values);
	tcase_add_test(tc, date_values);
	tcase_add_test(tc, select_and_user_values);
	tcase_add_test(tc, dependent_selects);
	tcase_add_test(tc, check_input_alone);
	tcase_add_test(tc, table_values);
	tcase_add_test(tc, required_fields);
	tcase_add_test(tc, writable_unknown_and_many_errors);
	tcase_add_test(tc, error_cap_and_summary);
	tcase_add_test(tc, overlay);
	tcase_add_test(tc, value_from_text);
	tcase_add_test(tc, value_to_text);
	tcase_add_test(tc, seed_like_schema);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
