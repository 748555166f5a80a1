/* SPDX-License-Identifier: MIT */
/* Unit tests: the message catalogue (both languages, the same placeholders) and rendering
 * (parameters as JSON values, nested messages, bounds, no format interpretation). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "err.h"
#include "mem.h"
#include "msg.h"

static void
expect(const char *code, struct json_object *params, enum msg_lang lang, const char *want)
{
	char *got = msg_render(code, params, lang);

	ck_assert_str_eq(got, want);
	free(got);
}

/* The sorted placeholder names of a text, joined by spaces. */
static char *
placeholders(const char *text)
{
	char *names[32], *out;
	size_t n = 0, i, j, len = 1;
	const char *p = text;

	while ((p = strchr(p, '{')) != NULL && n < 32) {
		const char *close = strchr(p, '}'), *at;

		ck_assert_ptr_nonnull(close);
		/* {name@prefix} names the parameter name */
		at = memchr(p, '@', (size_t)(close - p));
		names[n++] = strndup(p + 1, (size_t)((at ? at : close) - p - 1));
		p = close + 1;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	out = xmalloc(len);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(out, names[i]);
		strcat(out, " ");
		free(names[i]);
	}
	return out;
}

START_TEST(catalogue)
{
	size_t i, j;

	ck_assert_uint_gt(msg_count(), 50);
	for (i = 0; i < msg_count(); i++) {
		const char *code = msg_code_at(i);
		char *zh = msg_render(code, NULL, MSG_ZH), *en = msg_render(code, NULL, MSG_EN);
		char *pz, *pe;

		ck_assert_msg(msg_known(code), "%s", code);
		for (j = 0; j < i; j++)
			ck_assert_msg(strcmp(code, msg_code_at(j)) != 0, "%s twice", code);
		free(zh);
		free(en);
		/* the same placeholders in both languages */
		pz = placeholders(msg_text_at(i, MSG_ZH));
		pe = placeholders(msg_text_at(i, MSG_EN));
		ck_assert_msg(strcmp(pz, pe) == 0, "%s: {%s} vs {%s}", code, pz, pe);
		ck_assert_msg(*msg_text_at(i, MSG_ZH) != '\0' || strcmp(code, MSG_TEXT_CODE) == 0,
		              "%s", code);
		free(pz);
		free(pe);
	}
	ck_assert(!msg_known("no.such.code"));
	ck_assert(!msg_known(NULL));
}
END_TEST

START_TEST(render_basic)
{
	struct json_object *p;

	expect("item.not_assigned", NULL, MSG_ZH, "该任务不是分配给您的");
	expect("item.not_assigned", NULL, MSG_EN, "this task is not assigned to you");
	p = msg_args("batch", json_object_new_int64(42), NULL);
	expect("item.locked_batch", p, MSG_EN, "locked by another batch (batch 42)");
	expect("item.locked_batch", p, MSG_ZH, "已被另一个批次锁定（批次 42）");
	json_object_put(p);
	/* {name@prefix}: the value said in the language when the catalogue knows it */
	p = msg_args("state", json_object_new_string("finished"), NULL);
	expect("item.session_state", p, MSG_ZH, "流程实例已结束");
	expect("item.session_state", p, MSG_EN, "the process instance is finished");
	json_object_put(p);
	p = msg_args("state", json_object_new_string("weird"), NULL);
	expect("item.session_state", p, MSG_ZH, "流程实例weird");
	json_object_put(p);
	/* an unknown code is said as itself, a missing parameter as nothing */
	expect("no.such.code", NULL, MSG_EN, "no.such.code");
	expect("item.locked_batch", NULL, MSG_EN, "locked by another batch (batch )");
	/* the old text kept as it was */
	p = msg_args("text", json_object_new_string("some old reason"), NULL);
	expect(MSG_TEXT_CODE, p, MSG_ZH, "some old reason");
	json_object_put(p);
}
END_TEST

START_TEST(render_values)
{
	struct json_object *p, *arr;
	char long_text[1000];
	char *got;
	size_t i;

	/* no format interpretation; control characters become spaces */
	p = msg_args("owner", json_object_new_string("%s%n{x}\n\t\x01z"), NULL);
	expect("item.locked_person", p, MSG_EN, "locked by %s%n{x}   z, who is handling it in person");
	json_object_put(p);
	/* numbers, booleans, null, arrays */
	p = msg_args("n", json_object_new_int(3), "max", json_object_new_double(2.5), NULL);
	expect("batch.too_many", p, MSG_EN, "3 tasks selected; one batch takes at most 2.5");
	json_object_put(p);
	arr = json_object_new_array();
	json_object_array_add(arr, json_object_new_string("a"));
	json_object_array_add(arr, json_object_new_int(7));
	json_object_array_add(arr, NULL);
	p = msg_args("text", arr, NULL);
	expect(MSG_TEXT_CODE, p, MSG_EN, "a, 7, ");
	expect(MSG_TEXT_CODE, p, MSG_ZH, "a、7、");
	json_object_put(p);
	p = msg_args("text", json_object_new_boolean(1), NULL);
	expect(MSG_TEXT_CODE, p, MSG_EN, "true");
	json_object_put(p);
	/* a plain object is shown as JSON */
	p = msg_args("text", msg_args("k", json_object_new_string("v"), NULL), NULL);
	expect(MSG_TEXT_CODE, p, MSG_EN, "{\"k\":\"v\"}");
	json_object_put(p);
	/* a string parameter is cut at MSG_PARAM_MAX bytes on a character boundary */
	for (i = 0; i + 3 <= 999; i += 3)
		memcpy(long_text + i, "审", 3);
	long_text[i] = '\0';
	p = msg_args("text", json_object_new_string(long_text), NULL);
	got = msg_render(MSG_TEXT_CODE, p, MSG_ZH);
	ck_assert_uint_eq(strlen(got), MSG_PARAM_MAX + strlen("…"));
	ck_assert_str_eq(got + MSG_PARAM_MAX, "…");
	free(got);
	json_object_put(p);
	/* the whole text is bounded */
	arr = json_object_new_array();
	for (i = 0; i < 50; i++)
		json_object_array_add(arr, json_object_new_string(long_text));
	p = msg_args("text", arr, NULL);
	got = msg_render(MSG_TEXT_CODE, p, MSG_EN);
	ck_assert_uint_le(strlen(got), MSG_TEXT_MAX + strlen("…"));
	free(got);
	json_object_put(p);
}
END_TEST

START_TEST(render_nested)
{
	struct json_object *errors = json_object_new_array(), *d, *p, *deep;
	char *got;
	int i;

	d = fb_err_detail_msg("amount", "form.more", msg_args("n", json_object_new_int(2), NULL));
	json_object_object_add(d, "label", json_object_new_string("金额"));
	json_object_array_add(errors, d);
	d = fb_err_detail_msg("items", "batch.no_user", NULL);
	json_object_object_add(d, "label", json_object_new_string("明细"));
	json_object_object_add(d, "row", json_object_new_int(3));
	json_object_object_add(d, "column", json_object_new_string("who"));
	json_object_object_add(d, "column_label", json_object_new_string("人员"));
	json_object_array_add(errors, d);
	p = msg_args("errors", errors, NULL);
	expect("item.form_invalid", p, MSG_EN,
	       "\"金额\" (amount): 2 more errors not shown; "
	       "\"明细\" (items) row 3, \"人员\" (who): no such user");
	expect("item.form_invalid", p, MSG_ZH,
	       "“金额”（amount）：另有 2 个错误未列出; “明细”（items）第 3 行，“人员”（who）：没有这个用户");
	got = msg_render_detail(json_object_array_get_idx(errors, 1), MSG_ZH);
	ck_assert_str_eq(got, "“明细”（items）第 3 行，“人员”（who）：没有这个用户");
	free(got);
	json_object_put(p);
	/* nesting is bounded */
	deep = msg_args("text", json_object_new_string("bottom"), NULL);
	for (i = 0; i < 100; i++) {
		d = json_object_new_object();
		json_object_object_add(d, "code", json_object_new_string(MSG_TEXT_CODE));
		json_object_object_add(d, "params", deep);
		deep = msg_args("text", d, NULL);
	}
	got = msg_render(MSG_TEXT_CODE, deep, MSG_EN);
	ck_assert_ptr_null(strstr(got, "bottom"));
	free(got);
	json_object_put(deep);
}
END_TEST

START_TEST(errors)
{
	struct fb_err err = {0};

	fb_err_msg(&err, FB_ENOTFOUND, "batch.not_found",
	           msg_args("id", json_object_new_int64(9), NULL));
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	ck_assert_str_eq(err.msg, "batch 9 not found");
	ck_assert_str_eq(err.mcode, "batch.not_found");
	ck_assert_str_eq(err.margs, "{\"id\":9}");
	fb_err_set(&err, FB_EINVAL, "plain");
	ck_assert_ptr_null(err.mcode);
	ck_assert_str_eq(err.margs, "");
	fb_err_clear(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, catalogue);
	tcase_add_test(tc, render_basic);
	tcase_add_test(tc, render_values);
	tcase_add_test(tc, render_nested);
	tcase_add_test(tc, errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
