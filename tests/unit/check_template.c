/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the pure helpers of the template module — zip entry and sheet names,
 * defined names, Content-Disposition, and the signed meta (tampered, wrong secret, wrong
 * node or form version) — and the plan of a book (book.h, column.h): the error
 * workbook's columns are the template's plus a read-only reason column kept out of the
 * meta, a dependent select gets its lookup and defined names.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include <unistd.h>

#include "book.h"
#include "config.h"
#include "err.h"
#include "node.h"
#include "schema.h"
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

static const char *const schema_json =
    "{\"fields\":["
    "{\"key\":\"reason\",\"label\":\"事由\",\"type\":\"text\",\"max_length\":200},"
    "{\"key\":\"amount\",\"label\":\"金额\",\"type\":\"number\",\"min\":0,\"max\":1000,\"decimals\":2},"
    "{\"key\":\"province\",\"label\":\"省份\",\"type\":\"select\",\"options\":[\"广东\",\"浙江\"]},"
    "{\"key\":\"city\",\"label\":\"城市\",\"type\":\"select\",\"depends_on\":\"province\","
    "\"options_by_parent\":{\"广东\":[\"广州\",\"深圳\"],\"浙江\":[\"杭州\"]}}]}";
static const char *const view_json =
    "{\"visible\":[\"reason\",\"amount\",\"province\",\"city\"],"
    "\"writable\":[\"amount\",\"city\"],\"required\":[\"city\"]}";

/* Open a book of node at a temporary path (removed again) with reason; 0 or -1. */
static int
plan_book(struct book *b, const struct fb_config *cfg, const struct node_info *node,
          const char *reason, struct fb_err *err)
{
	char path[] = "/tmp/check_template-XXXXXX";
	int fd = mkstemp(path), rc;

	ck_assert_int_ge(fd, 0);
	close(fd);
	rc = book_open(b, cfg, node, 0, reason, path, err);
	if (rc == 0)
		rc = book_head(b, err);
	if (rc == 0)
		rc = book_validations(b, 3, err);
	if (rc == 0)
		rc = book_meta(b, 0, err);
	rc = book_close(b, rc == 0, err);
	unlink(path);
	return rc;
}

START_TEST(book_plans)
{
	struct fb_config cfg;
	struct node_info node;
	struct fb_err err = {0};
	struct json_object *sj = json_tokener_parse(schema_json), *vj = json_tokener_parse(view_json);
	struct book t, e;
	char key[80];
	size_t i, names = 0;

	char tmpdir[] = "/tmp", key_text[] = "s3cret-for-tests";

	memset(&cfg, 0, sizeof(cfg));
	cfg.web_tmpdir = tmpdir;
	cfg.auth_secret = key_text;
	memset(&node, 0, sizeof(node));
	node.id = 12;
	node.app_version_id = 3;
	strcpy(node.app_name, "报销");
	strcpy(node.name, "部门审批");
	node.schema = schema_parse(sj, &err);
	ck_assert_ptr_nonnull(node.schema);
	node.view = view_parse(node.schema, vj, &err);
	ck_assert_ptr_nonnull(node.view);

	ck_assert_int_eq(plan_book(&t, &cfg, &node, NULL, &err), 0);
	ck_assert_int_eq(plan_book(&e, &cfg, &node, "错误原因", &err), 0);
	/* The template's columns, then the reason: read-only, locked, not in the meta. */
	ck_assert_uint_eq(e.ncols, t.ncols + 1);
	for (i = 0; i < t.ncols; i++) {
		ck_assert_int_eq(e.cols[i].kind, t.cols[i].kind);
		ck_assert_str_eq(e.cols[i].label, t.cols[i].label);
		ck_assert_int_eq(e.cols[i].writable, t.cols[i].writable);
		ck_assert_ptr_nonnull(column_key(&e.cols[i], key, sizeof(key)));
	}
	ck_assert_int_eq(e.cols[t.ncols].kind, COL_REASON);
	ck_assert_str_eq(e.cols[t.ncols].label, "错误原因");
	ck_assert_int_eq(e.cols[t.ncols].writable, 0);
	ck_assert_ptr_eq(column_format(&e, &e.cols[t.ncols]), e.text[0]);
	ck_assert_ptr_null(column_key(&e.cols[t.ncols], key, sizeof(key)));
	/* The same Lists, with a defined name per parent value of the dependent 城市. */
	ck_assert_uint_eq(e.nlc, t.nlc);
	for (i = 0; i < e.nlc; i++) {
		ck_assert_str_eq(e.lc[i].header, t.lc[i].header);
		if (e.lc[i].name != NULL)
			names++;
	}
	ck_assert_uint_eq(names, 2);
	i = (size_t)column_of_field(&e, "city");
	ck_assert_uint_gt(e.cols[i].dep_lookup, 0);
	ck_assert_ptr_null(e.cols[i].list);
	ck_assert_str_eq(e.cols[i].label, "城市 *");
	ck_assert_int_eq(column_of_field(&e, "note"), -1);
	book_done(&t);
	book_done(&e);
	view_free(node.view);
	schema_free(node.schema);
	json_object_put(sj);
	json_object_put(vj);
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
	tcase_add_test(tc, book_plans);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
