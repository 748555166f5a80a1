/* SPDX-License-Identifier: MIT */
/* Unit tests: a form value to and from the text of an Excel cell (schema_cell.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "mem.h"
#include "schema.h"
#include "schema_fixture.h"

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

int
main(void)
{
	Suite *s = suite_create("schema_cell");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, value_from_text);
	tcase_add_test(tc, value_to_text);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
