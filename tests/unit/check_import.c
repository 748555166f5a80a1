/* SPDX-License-Identifier: MIT */
/* Unit tests: the pure parts of the Excel import (actions, headers, zip entry names). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "import.h"
#include "mem.h"
#include "msg.h"

START_TEST(action_text)
{
	ck_assert_int_eq(import_parse_action("同意"), IMPORT_ACTION_APPROVE);
	ck_assert_int_eq(import_parse_action("  驳回 "), IMPORT_ACTION_REJECT);
	ck_assert_int_eq(import_parse_action("\xe3\x80\x80同意\xe3\x80\x80"), IMPORT_ACTION_APPROVE);
	ck_assert_int_eq(import_parse_action("Approve"), IMPORT_ACTION_APPROVE);
	ck_assert_int_eq(import_parse_action("REJECT\t"), IMPORT_ACTION_REJECT);
	ck_assert_int_eq(import_parse_action(NULL), IMPORT_ACTION_NONE);
	ck_assert_int_eq(import_parse_action(""), IMPORT_ACTION_NONE);
	ck_assert_int_eq(import_parse_action(" \xe3\x80\x80 "), IMPORT_ACTION_NONE);
	ck_assert_int_eq(import_parse_action("同意了"), IMPORT_ACTION_INVALID);
	ck_assert_int_eq(import_parse_action("approved"), IMPORT_ACTION_INVALID);
	ck_assert_int_eq(import_parse_action("1"), IMPORT_ACTION_INVALID);
}
END_TEST

static void
norm_is(const char *in, const char *want)
{
	char *got = import_header_norm(in);

	ck_assert_msg(strcmp(got, want) == 0, "norm(%s) = [%s], want [%s]", in, got, want);
	free(got);
}

START_TEST(header_norm)
{
	norm_is("城市 *", "城市");
	norm_is("城市*", "城市");
	norm_is(" 城市 \xef\xbc\x8a ", "城市");
	norm_is("\xe3\x80\x80金额\xe3\x80\x80", "金额");
	norm_is("任务ID", "任务ID");
	norm_is("a * b", "a * b");
	norm_is("", "");
	norm_is(NULL, "");
	ck_assert_str_eq(import_fixed_label("task_id"), "任务ID");
	ck_assert_str_eq(import_fixed_label("action"), "操作");
	ck_assert_str_eq(import_fixed_label("assignee"), "下一处理人");
	ck_assert_ptr_null(import_fixed_label("f:city"));
}
END_TEST

static const struct import_column cols[] = {
	{"task_id", "任务ID", 1}, {"title", "标题", 0},    {"f:amount", "金额", 0},
	{"f:city", "城市 *", 1},  {"action", "操作", 1},   {"comment", "审批意见", 0},
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

START_TEST(map_by_text)
{
	/* Moved columns, an unknown one, a mark typed differently, blanks. */
	const char *headers[] = {"操作", NULL, "城市*", "错误原因", "任务ID ", "金额", "多余"};
	int col_of[NCOLS];
	struct fb_err err = {0};

	ck_assert_int_eq(import_map_headers(cols, NCOLS, headers, 7, col_of, &err), 0);
	ck_assert_int_eq(col_of[0], 4);
	ck_assert_int_eq(col_of[1], -1);
	ck_assert_int_eq(col_of[2], 5);
	ck_assert_int_eq(col_of[3], 2);
	ck_assert_int_eq(col_of[4], 0);
	ck_assert_int_eq(col_of[5], -1);
	ck_assert_ptr_null(err.details);
}
END_TEST

START_TEST(map_missing_and_twice)
{
	const char *headers[] = {"任务ID", "金额", "金额 *", "审批意见"};
	int col_of[NCOLS];
	struct fb_err err = {0};
	const char *s;

	ck_assert_int_eq(import_map_headers(cols, NCOLS, headers, 4, col_of, &err), -1);
	ck_assert_int_eq(err.code, FB_EVALIDATION);
	ck_assert_ptr_nonnull(err.details);
	/* 金额 twice, 城市 missing, 操作 missing. */
	ck_assert_int_eq(json_object_array_length(err.details), 3);
	s = json_object_to_json_string(err.details);
	ck_assert_msg(strstr(s, "appears twice") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "\"column\":\"城市\"") != NULL || strstr(s, "城市") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "is missing") != NULL, "%s", s);
	/* Each said by code, so that it reads in the reader's language. */
	ck_assert_msg(strstr(s, "\"import.column_twice\"") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "\"import.column_missing\"") != NULL, "%s", s);
	{
		char *zh = msg_render_detail(json_object_array_get_idx(err.details, 0), MSG_ZH);

		ck_assert_str_eq(zh, "“金额”列出现了两次");
		free(zh);
	}
	fb_err_clear(&err);
}
END_TEST

/* Every code the import's file-level problems use is in the catalogue, in both languages. */
START_TEST(codes_known)
{
	static const char *const codes[] = {
	    "import.column_twice",  "import.column_missing", "import.header_missing",
	    "import.meta_columns",  "import.workbook_bad",   "import.zip_unreadable",
	    "import.zip_workbook_big", "import.zip_damaged", "import.zip_big",
	    "import.zip_entries",   "import.zip_books",      "import.sheet_missing",
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct json_object *p = msg_args("column", json_object_new_string("c"), "file",
		                                 json_object_new_string("f.xlsx"), "detail",
		                                 json_object_new_string("d"), "mib",
		                                 json_object_new_int(32), "n", json_object_new_int(3),
		                                 "max", json_object_new_int(2), "sheet",
		                                 json_object_new_string("s"), NULL);
		char *zh = msg_render(codes[i], p, MSG_ZH), *en = msg_render(codes[i], p, MSG_EN);

		ck_assert_msg(msg_known(codes[i]), "%s not in the catalogue", codes[i]);
		ck_assert_msg(strcmp(zh, en) != 0, "%s: zh and en are the same: %s", codes[i], en);
		ck_assert_msg(strchr(en, '{') == NULL && strchr(zh, '{') == NULL, "%s: %s / %s",
		              codes[i], zh, en);
		free(zh);
		free(en);
		json_object_put(p);
	}
}
END_TEST

START_TEST(entry_names)
{
	ck_assert_int_eq(import_entry_kind("12_报销单.xlsx"), IMPORT_ENTRY_WORKBOOK);
	ck_assert_int_eq(import_entry_kind("pack/12.XLSX"), IMPORT_ENTRY_WORKBOOK);
	ck_assert_int_eq(import_entry_kind("pack/"), IMPORT_ENTRY_SKIP);
	ck_assert_int_eq(import_entry_kind("__MACOSX/._12.xlsx"), IMPORT_ENTRY_SKIP);
	ck_assert_int_eq(import_entry_kind("pack/._12.xlsx"), IMPORT_ENTRY_SKIP);
	ck_assert_int_eq(import_entry_kind("~$12.xlsx"), IMPORT_ENTRY_SKIP);
	ck_assert_int_eq(import_entry_kind(".DS_Store"), IMPORT_ENTRY_SKIP);
	ck_assert_int_eq(import_entry_kind("../12.xlsx"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind("a/../../12.xlsx"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind("/etc/12.xlsx"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind("a\\12.xlsx"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind("12\n.xlsx"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind("12.xls"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind("bomb.bin"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind(".xlsx"), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind(""), IMPORT_ENTRY_BAD);
	ck_assert_int_eq(import_entry_kind(NULL), IMPORT_ENTRY_BAD);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, action_text);
	tcase_add_test(tc, header_norm);
	tcase_add_test(tc, map_by_text);
	tcase_add_test(tc, map_missing_and_twice);
	tcase_add_test(tc, codes_known);
	tcase_add_test(tc, entry_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
