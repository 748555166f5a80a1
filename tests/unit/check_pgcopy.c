/* SPDX-License-Identifier: MIT */
/* Unit tests: COPY's text format as pgcopy writes a row, times included (no server needed). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pgcopy.h"

static void
text_is(const char *in, const char *want)
{
	struct pgcopy c = {0};

	pgcopy_text(&c, in);
	buf_add(&c.b, "", 1);
	ck_assert_msg(strcmp(c.b.data, want) == 0, "[%s] -> [%s], want [%s]", in ? in : "(null)",
	              c.b.data, want);
	free(c.b.data);
}

START_TEST(escapes)
{
	text_is("plain 中文", "plain 中文");
	text_is("", "");
	text_is(NULL, "\\N");
	text_is("\\N", "\\\\N"); /* a literal backslash-N is text, not NULL */
	text_is("a\tb\nc\rd\\e", "a\\tb\\nc\\rd\\\\e");
	text_is("{\"k\":\"x\\\"y\\\\z\"}", "{\"k\":\"x\\\\\"y\\\\\\\\z\"}");
	text_is("\\\\", "\\\\\\\\");
}
END_TEST

START_TEST(row)
{
	struct pgcopy c = {0};

	pgcopy_int(&c, 42);
	pgcopy_sep(&c);
	pgcopy_int(&c, -7);
	pgcopy_sep(&c);
	pgcopy_text(&c, "x\ty");
	buf_add(&c.b, "", 1);
	ck_assert_str_eq(c.b.data, "42\t-7\tx\\ty");
	free(c.b.data);
}
END_TEST

START_TEST(time_field)
{
	struct pgcopy c = {0};

	pgcopy_time(&c, 0);
	pgcopy_sep(&c);
	pgcopy_time(&c, 1767225599); /* 2025-12-31 23:59:59 UTC */
	buf_add(&c.b, "", 1);
	ck_assert_str_eq(c.b.data, "1970-01-01 00:00:00+00\t2025-12-31 23:59:59+00");
	free(c.b.data);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pgcopy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, escapes);
	tcase_add_test(tc, row);
	tcase_add_test(tc, time_field);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
