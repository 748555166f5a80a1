/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: webhook — the Standard Webhooks signature against a vector computed with
 * Python's hmac, targets that cannot be set up, a refused connection classified as retry,
 * and the text a log keeps of a result.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

START_TEST(signature_vector)
{
	char *sig = webhook_signature("sec-0123456789abcdef", "msg_tc_1_2_done", 1700000000LL,
	                              "{\"event\":\"done\"}");

	ck_assert_str_eq(sig, "v1,87YWivTMlWTWUKNlfSoAUDk/lC6WJPTSZmEfH+C7Ouk=");
	free(sig);
}
END_TEST

START_TEST(setup_refused)
{
	struct webhook_target t = {.url = "ftp://127.0.0.1/x", .connect_timeout_ms = 500,
	                           .timeout_ms = 1000};
	struct webhook_result res;
	struct fb_err err = {0};

	ck_assert_int_eq(webhook_post(&t, "msg_1", "{}", &res, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
	t.url = "http://127.0.0.1:1/x";
	ck_assert_int_eq(webhook_post(&t, "msg_1\r\nX-Injected: 1", "{}", &res, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
}
END_TEST

START_TEST(refused_is_retry)
{
	struct webhook_target t = {.url = "http://127.0.0.1:1/x", .secret = "s3cret-s3cret-s3cret",
	                           .connect_timeout_ms = 500, .timeout_ms = 1000};
	struct webhook_result res;
	struct fb_err err = {0};
	char text[300];

	ck_assert_int_eq(webhook_post(&t, "msg_1", "{}", &res, &err), 0);
	ck_assert_int_eq(res.outcome, WEBHOOK_RETRY);
	ck_assert_int_eq(res.status, 0);
	ck_assert_int_eq(res.retry_after_s, -1);
	ck_assert_str_eq(res.answer, "");
	ck_assert_ptr_nonnull(strstr(res.reason, "onnect"));
	webhook_result_text(&res, text, sizeof(text));
	ck_assert_str_eq(text, res.reason);
}
END_TEST

START_TEST(result_text)
{
	struct webhook_result res = {.outcome = WEBHOOK_REJECTED, .status = 410};
	char text[16];

	strcpy(res.answer, "gone for good, really");
	webhook_result_text(&res, text, sizeof(text));
	ck_assert_str_eq(text, "HTTP 410: gone ");
	res.answer[0] = '\0';
	webhook_result_text(&res, text, sizeof(text));
	ck_assert_str_eq(text, "HTTP 410");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("webhook");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_add_test(tc, signature_vector);
	tcase_add_test(tc, setup_refused);
	tcase_add_test(tc, refused_is_retry);
	tcase_add_test(tc, result_text);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
