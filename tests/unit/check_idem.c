/* SPDX-License-Identifier: MIT */
/* Unit tests: Idempotency-Key syntax and request fingerprints. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "idem.h"

START_TEST(key_syntax)
{
	struct fb_err err = {0};
	char longest[IDEM_KEY_MAX + 2];

	ck_assert_int_eq(idem_key_check("0f3c9a1e-5b7d-4c2a-9e8f-1a2b3c4d5e6f", &err), 0);
	ck_assert_int_eq(idem_key_check("a", &err), 0);
	ck_assert_int_eq(idem_key_check("user:42.try_1", &err), 0);
	memset(longest, 'k', IDEM_KEY_MAX);
	longest[IDEM_KEY_MAX] = '\0';
	ck_assert_int_eq(idem_key_check(longest, &err), 0);
	longest[IDEM_KEY_MAX] = 'k';
	longest[IDEM_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(idem_key_check(longest, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
	ck_assert_int_eq(idem_key_check("", &err), -1);
	fb_err_clear(&err);
	ck_assert_int_eq(idem_key_check("two words", &err), -1);
	fb_err_clear(&err);
	ck_assert_int_eq(idem_key_check("钥匙", &err), -1);
	fb_err_clear(&err);
	ck_assert_int_eq(idem_key_check("a\r\nb", &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
}
END_TEST

START_TEST(fingerprints)
{
	char a[65], b[65], c[65];

	idem_fingerprint((const void *[]){"POST /x", "{\"a\":1}"}, (const size_t[]){7, 7}, 2, a);
	ck_assert_uint_eq(strlen(a), 64);
	idem_fingerprint((const void *[]){"POST /x", "{\"a\":1}"}, (const size_t[]){7, 7}, 2, b);
	ck_assert_str_eq(a, b);
	/* The same bytes cut elsewhere are another request. */
	idem_fingerprint((const void *[]){"POST /x{", "\"a\":1}"}, (const size_t[]){8, 6}, 2, c);
	ck_assert_str_ne(a, c);
	idem_fingerprint((const void *[]){"POST /x", "{\"a\":2}"}, (const size_t[]){7, 7}, 2, c);
	ck_assert_str_ne(a, c);
	/* Binary parts (an uploaded file) with NUL bytes count whole. */
	idem_fingerprint((const void *[]){"f", "a\0b"}, (const size_t[]){1, 3}, 2, a);
	idem_fingerprint((const void *[]){"f", "a\0c"}, (const size_t[]){1, 3}, 2, b);
	ck_assert_str_ne(a, b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("idem");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, key_syntax);
	tcase_add_test(tc, fingerprints);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
