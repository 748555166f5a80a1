/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the pure helpers of the template module — zip entry and sheet names,
 * defined names, Content-Disposition, and the signed meta (tampered, wrong secret, wrong
 * node or form version).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "err.h"
#include "node.h"
#include "template.h"

static const char *const secret = "s3cret-for-tests";
static const char *const meta_json =
    "{\"v\":1,\"layout\":\"single\",\"node_id\":12,\"app_version_id\":3,"
    "\"generated\":\"2026-11-23T08:00:00Z\",\"columns\":[{\"key\":\"task_id\"},"
    "{\"key\":\"title\"},{\"key\":\"f:amount\",\"label\":\"金额 *\",\"writable\":true},"
    "{\"key\":\"action\"},{\"key\":\"comment\"}]}";

START_TEST(sanitize_names)
{
	char *s;

	s = template_sanitize_name("报销/差旅:北京*上海?\"<>|\\x", 60);
	ck_assert_str_eq(s, "报销_差旅_北京_上海______x");
	free(s);
	s = template_sanitize_name("a\tb\nc\x7f" "d", 60);
	ck_assert_str_eq(s, "a_b_c_d");
	free(s);
	s = template_sanitize_name("  ..隐藏. ", 60);
	ck_assert_str_eq(s, "隐藏");
	free(s);
	/* Cut by characters, never inside a UTF-8 sequence. */
	s = template_sanitize_name("一二三四五六七八九十", 4);
	ck_assert_str_eq(s, "一二三四");
	free(s);
	/* Invalid UTF-8 bytes become "_". */
	s = template_sanitize_name("a\xff\xfe" "b", 60);
	ck_assert_str_eq(s, "a__b");
	free(s);
	s = template_sanitize_name("", 60);
	ck_assert_str_eq(s, "");
	free(s);
	s = template_sanitize_name(NULL, 60);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(entry_names)
{
	char *s = template_entry_name(42, "差旅报销 / 张三");

	ck_assert_str_eq(s, "42_差旅报销 _ 张三.xlsx");
	free(s);
	s = template_entry_name(7, "///");
	ck_assert_str_eq(s, "7____.xlsx");
	free(s);
	s = template_entry_name(9, " .. ");
	ck_assert_str_eq(s, "9.xlsx");
	free(s);
	s = template_entry_name(1, "");
	ck_assert_str_eq(s, "1.xlsx");
	free(s);
	{
		char title[400];
		size_t i;

		title[0] = '\0';
		for (i = 0; i < 100; i++)
			strcat(title, "长");
		s = template_entry_name(5, title);
		/* "5_" + 60 characters of 3 bytes + ".xlsx" */
		ck_assert_uint_eq(strlen(s), 2 + 60 * 3 + 5);
		free(s);
	}
}
END_TEST

START_TEST(sheet_names)
{
	char *s = template_sheet_name("明细[2024]: a/b\\c*?");

	ck_assert_str_eq(s, "明细_2024__ a_b_c__");
	free(s);
	s = template_sheet_name("'引号'");
	ck_assert_str_eq(s, "引号");
	free(s);
	s = template_sheet_name("");
	ck_assert_str_eq(s, "Sheet");
	free(s);
	s = template_sheet_name("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三");
	ck_assert_uint_eq(strlen(s), 31 * 3);
	free(s);
}
END_TEST

START_TEST(defined_names)
{
	char n[48];

	template_defined_name(n, sizeof(n), 3, 12);
	ck_assert_str_eq(n, "fb_opt_3_12");
	template_defined_name(n, sizeof(n), 0, 0);
	ck_assert_str_eq(n, "fb_opt_0_0");
	/* Never a cell reference: it starts with letters and an underscore. */
	ck_assert(strncmp(n, "fb_", 3) == 0);
}
END_TEST

START_TEST(content_disposition)
{
	char *s = template_content_disposition("template.xlsx", "费用报销-部门审批-20261123.xlsx");

	ck_assert_str_eq(s, "attachment; filename=\"template.xlsx\"; filename*=UTF-8''"
	                    "%E8%B4%B9%E7%94%A8%E6%8A%A5%E9%94%80-%E9%83%A8%E9%97%A8%E5%AE%A1"
	                    "%E6%89%B9-20261123.xlsx");
	free(s);
	s = template_content_disposition("错误\"x\\.xlsx", "x");
	ck_assert_str_eq(s, "attachment; filename=\"___x_.xlsx\"; filename*=UTF-8''x");
	free(s);
	s = template_content_disposition("template.zip", "a b\"c;d'e%.zip");
	ck_assert_str_eq(s, "attachment; filename=\"template.zip\"; filename*=UTF-8''"
	                    "a%20b%22c%3Bd%27e%25.zip");
	free(s);
}
END_TEST

START_TEST(download_name)
{
	struct node_info node;
	char *s;

	memset(&node, 0, sizeof(node));
	strcpy(node.app_name, "费用报销");
	strcpy(node.name, "部门/审批");
	s = template_download_name(&node, "xlsx", 1795392000); /* 2026-11-23 (UTC) */
	ck_assert_msg(strncmp(s, "费用报销-部门_审批-202611", strlen("费用报销-部门_审批-202611")) == 0,
	              "%s", s);
	ck_assert(strstr(s, ".xlsx") != NULL);
	free(s);
}
END_TEST

START_TEST(meta_roundtrip)
{
	struct fb_err err = {0};
	struct json_object *meta = NULL;
	char sig[65];

	template_meta_sign(secret, meta_json, sig);
	ck_assert_uint_eq(strlen(sig), 64);
	ck_assert_int_eq(template_meta_verify(secret, meta_json, sig, &meta, &err), 0);
	ck_assert_ptr_nonnull(meta);
	{
		struct json_object *v;

		ck_assert(json_object_object_get_ex(meta, "node_id", &v));
		ck_assert_int_eq(json_object_get_int64(v), 12);
	}
	json_object_put(meta);
}
END_TEST

START_TEST(meta_tampered)
{
	struct fb_err err = {0};
	struct json_object *meta = NULL;
	char sig[65], *t;

	template_meta_sign(secret, meta_json, sig);
	/* The JSON changed (another node), signature kept. */
	t = strdup(meta_json);
	memcpy(strstr(t, "\"node_id\":12"), "\"node_id\":13", 12);
	ck_assert_int_eq(template_meta_verify(secret, t, sig, &meta, &err), -1);
	ck_assert_ptr_null(meta);
	ck_assert_int_eq(err.code, FB_EVALIDATION);
	ck_assert(strstr(err.msg, "changed or signed by another server") != NULL);
	fb_err_clear(&err);
	free(t);
	/* Signed with another secret. */
	ck_assert_int_eq(template_meta_verify("other-secret", meta_json, sig, &meta, &err), -1);
	ck_assert(strstr(err.msg, "changed or signed by another server") != NULL);
	fb_err_clear(&err);
	/* A signature of another length, upper case, empty, missing. */
	ck_assert_int_eq(template_meta_verify(secret, meta_json, "abc", &meta, &err), -1);
	fb_err_clear(&err);
	{
		char up[65];
		size_t i;

		for (i = 0; i < 65; i++)
			up[i] = (char)(sig[i] >= 'a' && sig[i] <= 'f' ? sig[i] - 32 : sig[i]);
		if (strcmp(up, sig) != 0) {
			ck_assert_int_eq(template_meta_verify(secret, meta_json, up, &meta, &err), -1);
			fb_err_clear(&err);
		}
	}
	ck_assert_int_eq(template_meta_verify(secret, meta_json, NULL, &meta, &err), -1);
	fb_err_clear(&err);
	ck_assert_int_eq(template_meta_verify(secret, NULL, sig, &meta, &err), -1);
	fb_err_clear(&err);
	ck_assert_ptr_null(meta);
}
END_TEST

START_TEST(meta_shape)
{
	static const char *const bad[] = {
	    "not json",
	    "[1,2]",
	    "{\"v\":2,\"layout\":\"single\",\"node_id\":1,\"app_version_id\":1,\"columns\":[{\"key\":\"a\"}]}",
	    "{\"v\":1,\"layout\":\"other\",\"node_id\":1,\"app_version_id\":1,\"columns\":[{\"key\":\"a\"}]}",
	    "{\"v\":1,\"layout\":\"single\",\"node_id\":\"1\",\"app_version_id\":1,\"columns\":[{\"key\":\"a\"}]}",
	    "{\"v\":1,\"layout\":\"single\",\"node_id\":1,\"app_version_id\":1,\"columns\":[]}",
	    "{\"v\":1,\"layout\":\"single\",\"node_id\":1,\"app_version_id\":1,\"columns\":[{}]}",
	    "{\"v\":1,\"layout\":\"multi\",\"node_id\":1,\"app_version_id\":1,\"columns\":[{\"key\":\"a\"}]}",
	};
	size_t i;

	/* Correctly signed but malformed documents are still refused. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fb_err err = {0};
		struct json_object *meta = NULL;
		char sig[65];

		template_meta_sign(secret, bad[i], sig);
		ck_assert_msg(template_meta_verify(secret, bad[i], sig, &meta, &err) == -1, "%s", bad[i]);
		ck_assert_int_eq(err.code, FB_EVALIDATION);
		ck_assert_ptr_null(meta);
		fb_err_clear(&err);
	}
}
END_TEST

START_TEST(meta_node)
{
	struct fb_err err = {0};
	struct json_object *meta = NULL;
	struct node_info node;
	char sig[65];

	template_meta_sign(secret, meta_json, sig);
	ck_assert_int_eq(template_meta_verify(secret, meta_json, sig, &meta, &err), 0);
	memset(&node, 0, sizeof(node));
	node.id = 12;
	node.app_version_id = 3;
	strcpy(node.name, "部门审批");
	ck_assert_int_eq(template_meta_check_node(meta, &node, &err), 0);
	node.id = 13;
	ck_assert_int_eq(template_meta_check_node(meta, &node, &err), -1);
	ck_assert(strstr(err.msg, "template for another node") != NULL);
	fb_err_clear(&err);
	node.id = 12;
	node.app_version_id = 4;
	ck_assert_int_eq(template_meta_check_node(meta, &node, &err), -1);
	ck_assert(strstr(err.msg, "template of an older form version") != NULL);
	fb_err_clear(&err);
	json_object_put(meta);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, sanitize_names);
	tcase_add_test(tc, entry_names);
	tcase_add_test(tc, sheet_names);
	tcase_add_test(tc, defined_names);
	tcase_add_test(tc, content_disposition);
	tcase_add_test(tc, download_name);
	tcase_add_test(tc, meta_roundtrip);
	tcase_add_test(tc, meta_tampered);
	tcase_add_test(tc, meta_shape);
	tcase_add_test(tc, meta_node);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
