/* SPDX-License-Identifier: MIT */
/* Unit tests: form schema parsing and accessors (schema.c), a node's view (schema_view.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "schema.h"
#include "schema_fixture.h"

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

	tcase_add_test(tc, parse_good_and_accessors);
	tcase_add_test(tc, parse_defaults);
	tcase_add_loop_test(tc, parse_bad, 0, (int)(sizeof(bad_schemas) / sizeof(bad_schemas[0])));
	tcase_add_test(tc, parse_bad_misc);
	tcase_add_test(tc, view_good);
	tcase_add_test(tc, view_listed_order);
	tcase_add_test(tc, view_bad);
	tcase_add_test(tc, seed_like_schema);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
