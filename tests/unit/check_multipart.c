/* SPDX-License-Identifier: MIT */
/* Unit tests: the multipart/form-data boundary and body parser, and its errors' codes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "multipart.h"

START_TEST(boundary_ok)
{
	char b[MULTIPART_BOUNDARY_MAX + 1];
	struct fb_err err = {0};

	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary"
	                                    "7MA4YWxkTrZu0gW", b, sizeof(b), &err), 0);
	ck_assert_str_eq(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
	ck_assert_int_eq(multipart_boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b;c\"",
	                                    b, sizeof(b), &err), 0);
	ck_assert_str_eq(b, "a b;c");
	ck_assert_int_eq(multipart_boundary("multipart/form-data ; boundary = x ", b, sizeof(b),
	                                    &err), 0);
	ck_assert_str_eq(b, "x");
}
END_TEST

START_TEST(boundary_bad)
{
	char b[MULTIPART_BOUNDARY_MAX + 1], small[4];
	struct fb_err err = {0};
	char *longb = xasprintf("multipart/form-data; boundary=%071d", 7);

	ck_assert_int_eq(multipart_boundary(NULL, b, sizeof(b), &err), -1);
	ck_assert_int_eq(err.code, FB_EMEDIA);
	ck_assert_int_eq(multipart_boundary("application/json", b, sizeof(b), &err), -1);
	ck_assert_int_eq(err.code, FB_EMEDIA);
	ck_assert_int_eq(multipart_boundary("multipart/form-datax; boundary=a", b, sizeof(b), &err),
	                 -1);
	ck_assert_int_eq(err.code, FB_EMEDIA);
	ck_assert_int_eq(multipart_boundary("multipart/form-data", b, sizeof(b), &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_str_eq(err.msg, "multipart: the Content-Type has no boundary");
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=", b, sizeof(b), &err),
	                 -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=\"ab", b, sizeof(b),
	                                    &err), -1);
	ck_assert_int_eq(multipart_boundary(longb, b, sizeof(b), &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=abcd", small,
	                                    sizeof(small), &err), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=a; boundary=b", b,
	                                    sizeof(b), &err), -1);
	ck_assert_int_eq(multipart_boundary("multipart/form-data; boundary=\"a\x01\"", b,
	                                    sizeof(b), &err), -1);
	free(longb);
}
END_TEST

START_TEST(parse_basic)
{
	static const char body[] =
	        "preamble to ignore\r\n"
	        "--XyZ\r\n"
	        "Content-Disposition: form-data; name=\"dry_run\"\r\n"
	        "\r\n"
	        "1\r\n"
	        "--XyZ  \r\n"
	        "content-disposition: form-data; name=\"file\"; filename=\"审批 \\模板.xlsx\"\r\n"
	        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
	        "X-Other: ignored\r\n"
	        "\r\n"
	        "PK\x03\x04\0\r\nbinary\r\n--XyZnot-a-boundary\r\n"
	        "\r\n"
	        "--XyZ\r\n"
	        "Content-Disposition: form-data; name=\"empty\"\r\n"
	        "\r\n"
	        "\r\n"
	        "--XyZ\r\n"
	        "Content-Disposition: form-data; name=\"nobody\"\r\n"
	        "\r\n"
	        "--XyZ--\r\n"
	        "epilogue --XyZ junk";
	struct multipart_part *p;
	struct fb_err err = {0};
	size_t n;

	ck_assert_int_eq(multipart_parse(body, sizeof(body) - 1, "XyZ", &p, &n, 10, &err), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(p[0].name, "dry_run");
	ck_assert_ptr_null(p[0].filename);
	ck_assert_ptr_null(p[0].content_type);
	ck_assert_int_eq(p[0].len, 1);
	ck_assert(memcmp(p[0].data, "1", 1) == 0);
	ck_assert_str_eq(p[1].name, "file");
	ck_assert_str_eq(p[1].filename, "审批 \\模板.xlsx");
	ck_assert_str_eq(p[1].content_type,
	                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	ck_assert_int_eq(p[1].len, 36);
	ck_assert(memcmp(p[1].data, "PK\x03\x04\0\r\nbinary\r\n--XyZnot-a-boundary\r\n", 36) == 0);
	ck_assert_ptr_eq(multipart_find(p, n, "empty"), &p[2]);
	ck_assert_int_eq(p[2].len, 0);
	ck_assert_str_eq(p[3].name, "nobody");
	ck_assert_int_eq(p[3].len, 0);
	ck_assert_ptr_null(multipart_find(p, n, "nope"));
	multipart_free(p, n);
}
END_TEST

START_TEST(parse_rfc5987_and_empty)
{
	static const char body[] =
	        "--b\r\n"
	        "Content-Disposition: form-data; name=\"f\"; filename=\"fallback.xlsx\"; "
	        "filename*=UTF-8''%E5%AE%A1%E6%89%B9.xlsx\r\n"
	        "\r\n"
	        "x\r\n"
	        "--b--";
	static const char none[] = "--b--\r\n";
	struct multipart_part *p;
	struct fb_err err = {0};
	size_t n;

	ck_assert_int_eq(multipart_parse(body, sizeof(body) - 1, "b", &p, &n, 10, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(p[0].filename, "审批.xlsx");
	multipart_free(p, n);
	ck_assert_int_eq(multipart_parse(none, sizeof(none) - 1, "b", &p, &n, 10, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(p);
	multipart_free(p, n);
}
END_TEST

static void
expect_bad(const char *body, size_t max_parts, const char *needle)
{
	struct multipart_part *p = (void *)1;
	struct fb_err err = {0};
	size_t n = 99;

	ck_assert_int_eq(multipart_parse(body, strlen(body), "b", &p, &n, max_parts, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_msg(strstr(err.msg, needle) != NULL, "%s", err.msg);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(n, 0);
}

START_TEST(parse_bad)
{
	static const char part[] = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
	char *three = xasprintf("%s%s%s--b--", part, part, part);
	char *hdr = xasprintf("--b\r\nX-Pad: %09000d\r\n\r\nx\r\n--b--", 1);

	expect_bad("", 10, "no boundary line");
	expect_bad("no delimiter here", 10, "no boundary line");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", 10,
	           "no closing boundary");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b", 10,
	           "no closing boundary");
	expect_bad("--bx\r\n", 10, "no boundary line");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"", 10, "inside its headers");
	expect_bad(hdr, 10, "longer than 8192");
	expect_bad(three, 2, "more than 2 parts");
	expect_bad("--b\r\n\r\nx\r\n--b--", 10, "no field name");
	expect_bad("--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", 10,
	           "not form-data");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", 10,
	           "malformed Content-Disposition");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--b--",
	           10, "two names");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n"
	           "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--", 10,
	           "two Content-Disposition");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nx\r\n--b--", 10,
	           "not UTF-8");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"; filename*=latin1''x\r\n"
	           "\r\nx\r\n--b--", 10, "filename*");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"; filename*=UTF-8''%E5%A\r\n"
	           "\r\nx\r\n--b--", 10, "filename*");
	expect_bad("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n folded\r\n\r\nx\r\n--b--",
	           10, "folded");
	expect_bad("--b\r\nno colon\r\n\r\nx\r\n--b--", 10, "without a name");
	free(three);
	free(hdr);
}
END_TEST

/* err carries code; rendered from its params in zh-CN and en it says zh and en. */
static void
said(const struct fb_err *err, const char *code, const char *zh, const char *en)
{
	struct json_object *params;
	char *text;

	ck_assert_ptr_nonnull(err->mcode);
	ck_assert_str_eq(err->mcode, code);
	params = err->margs[0] ? json_tokener_parse(err->margs) : NULL;
	text = msg_render(err->mcode, params, MSG_ZH);
	ck_assert_str_eq(text, zh);
	free(text);
	text = msg_render(err->mcode, params, MSG_EN);
	ck_assert_str_eq(text, en);
	ck_assert_str_eq(err->msg, en);
	free(text);
	json_object_put(params);
}

START_TEST(errors_have_codes)
{
	static const char two_files[] = "--b\r\nContent-Disposition: form-data; name=\"a\"; "
	                                "filename=\"x\"; filename=\"y\"\r\n\r\nx\r\n--b--";
	static const char cut[] = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
	                          "PK\x03\x04";
	char b[MULTIPART_BOUNDARY_MAX + 1];
	struct multipart_part *p;
	struct fb_err err = {0};
	size_t n;

	ck_assert_int_eq(multipart_boundary("multipart/form-data", b, sizeof(b), &err), -1);
	said(&err, "multipart.no_boundary", "上传格式有误：Content-Type 中没有 boundary",
	     "multipart: the Content-Type has no boundary");
	ck_assert_int_eq(multipart_boundary("text/plain; x=\"\xff\"", b, sizeof(b), &err), -1);
	ck_assert_int_eq(err.code, FB_EMEDIA);
	said(&err, "multipart.not_form_data", "需要 multipart/form-data，而不是“text/plain; x=\"?\"”",
	     "expected multipart/form-data, got \"text/plain; x=\"?\"\"");
	ck_assert_int_eq(multipart_parse(two_files, sizeof(two_files) - 1, "b", &p, &n, 10, &err),
	                 -1);
	said(&err, "multipart.twice", "上传格式有误：第 1 部分有两个文件名",
	     "multipart: part 1 has two file names");
	ck_assert_int_eq(multipart_parse(cut, sizeof(cut) - 1, "b", &p, &n, 10, &err), -1);
	said(&err, "multipart.unclosed", "上传格式有误：第 1 部分（“file”）没有结束分隔行",
	     "multipart: part 1 (\"file\") has no closing boundary");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("multipart");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, boundary_ok);
	tcase_add_test(tc, boundary_bad);
	tcase_add_test(tc, parse_basic);
	tcase_add_test(tc, parse_rfc5987_and_empty);
	tcase_add_test(tc, parse_bad);
	tcase_add_test(tc, errors_have_codes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
