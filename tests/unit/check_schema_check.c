/* SPDX-License-Identifier: MIT */
/* Unit tests: validating form values and merging them into stored form data (schema_check.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "schema.h"
#include "schema_fixture.h"

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

int
main(void)
{
	Suite *s = suite_create("schema_check");
	TCase *tc = tcase_create("core");

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
	suite_add_tcase(s, tc);
	return run_suite(s);
}
