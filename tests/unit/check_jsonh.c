/* SPDX-License-Identifier: MIT */
/* Unit tests: strict JSON parsing and typed getters. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonh.h"

static struct json_object *
parse(const char *s, struct fb_err *err)
{
	return jsonh_parse(s, strlen(s), err);
}

START_TEST(parse_strict)
{
	struct fb_err err = {0};
	struct json_object *o;
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "{'a':1}", "/* c */ {}", "{\"a\":NaN}", "[nan]", "[-Infinity]", "{} x", "[1,2",
		"{\"a\":\"\xff\"}", "{\"a\":01}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = parse(bad[i], &err);
		ck_assert_msg(o == NULL, "accepted %s", bad[i]);
		ck_assert_int_eq(err.code, FB_EINVAL);
	}
	o = parse(" {\"标题\":\"审批\",\"n\":[1,2]} \n", &err);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jsonh_str(o), "{\"标题\":\"审批\",\"n\":[1,2]}");
	json_object_put(o);
	o = parse("42", &err);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_get_int(o), 42);
	json_object_put(o);
}
END_TEST

/* A bare null is an error with a reason (it used to come back as NULL with no error). */
START_TEST(parse_null_and_object)
{
	static const char *const not_objects[][2] = {
		{"null", "null"},   {" null\n", "null"},    {"0", "a number"},  {"-1.5e3", "a number"},
		{"\"s\"", "a string"}, {"[]", "an array"}, {"[{}]", "an array"}, {"true", "a boolean"},
	};
	struct fb_err err = {0};
	struct json_object *o;
	size_t i;

	o = parse("null", &err);
	ck_assert_ptr_null(o);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_msg(strstr(err.msg, "null") != NULL, "%s", err.msg);
	for (i = 0; i < sizeof(not_objects) / sizeof(not_objects[0]); i++) {
		const char *t = not_objects[i][0];
		char want[64];

		fb_err_clear(&err);
		ck_assert_ptr_null(jsonh_parse_object(t, strlen(t), "the body", &err));
		ck_assert_int_eq(err.code, FB_EINVAL);
		snprintf(want, sizeof(want), "the body must be a JSON object, not %s", not_objects[i][1]);
		ck_assert_str_eq(err.msg, want);
	}
	fb_err_clear(&err);
	ck_assert_ptr_null(jsonh_parse_object("{", 1, "the body", &err));
	ck_assert_int_eq(err.code, FB_EINVAL);
	o = jsonh_parse_object("{\"a\":null}", 10, "the body", &err);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
}
END_TEST

START_TEST(parse_depth)
{
	struct fb_err err = {0};
	char deep[200];
	int i;

	for (i = 0; i < 100; i++) {
		deep[i] = '[';
		deep[199 - i] = ']';
	}
	ck_assert_ptr_null(jsonh_parse(deep, sizeof(deep), &err));
}
END_TEST

START_TEST(getters)
{
	struct fb_err err = {0};
	struct json_object *o = parse("{\"s\":\"x\",\"i\":5,\"big\":99999999999,\"b\":true,"
	                              "\"a\":[3,4],\"o\":{},\"n\":null,\"neg\":[1,-2]}", &err);
	const char *s;
	int64_t i, *ids;
	size_t n;
	int b;
	struct json_object *arr;
	static const char *const allowed[] = {"s", "i", "big", "b", "a", "o", "n", NULL};

	ck_assert_int_eq(jsonh_get_str(o, "s", &s, &err), 1);
	ck_assert_str_eq(s, "x");
	ck_assert_int_eq(jsonh_get_str(o, "i", &s, &err), -1);
	ck_assert_str_eq(err.msg, "\"i\" must be a string");
	ck_assert_int_eq(jsonh_get_str(o, "missing", &s, &err), 0);
	ck_assert_int_eq(jsonh_get_str(o, "n", &s, &err), 0);
	ck_assert_int_eq(jsonh_get_int(o, "i", 1, 10, &i, &err), 1);
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(jsonh_get_int(o, "big", 1, 1000, &i, &err), -1);
	ck_assert_int_eq(jsonh_get_int(o, "big", 1, INT64_MAX, &i, &err), 1);
	ck_assert_int_eq(i, 99999999999LL);
	ck_assert_int_eq(jsonh_get_bool(o, "b", &b, &err), 1);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(jsonh_get_array(o, "a", &arr, &err), 1);
	ck_assert_int_eq(jsonh_id_array(arr, "a", 10, &ids, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(ids[1], 4);
	free(ids);
	ck_assert_int_eq(jsonh_id_array(arr, "a", 1, &ids, &n, &err), -1);
	ck_assert_int_eq(err.code, FB_ETOOBIG);
	ck_assert_int_eq(jsonh_get_array(o, "neg", &arr, &err), 1);
	ck_assert_int_eq(jsonh_id_array(arr, "neg", 10, &ids, &n, &err), -1);
	ck_assert_str_eq(err.msg, "\"neg\"[1] must be a positive integer id");
	ck_assert_int_eq(jsonh_only_keys(o, allowed, &err), -1);
	ck_assert_str_eq(err.msg, "unknown member \"neg\"");
	json_object_put(o);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jsonh");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parse_strict);
	tcase_add_test(tc, parse_null_and_object);
	tcase_add_test(tc, parse_depth);
	tcase_add_test(tc, getters);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
