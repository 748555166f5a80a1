/* SPDX-License-Identifier: MIT */
/* Unit tests: SHA-256 and HMAC vectors, login tokens (valid, expired, tampered). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "token.h"

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

START_TEST(sha256_vectors)
{
	struct sha256 s;
	unsigned char d[32];
	char h[65], a[1000];
	int i;

	sha256_init(&s);
	sha256_final(&s, d);
	hex(d, 32, h);
	ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_final(&s, d);
	hex(d, 32, h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_init(&s);
	memset(a, 'a', sizeof(a));
	for (i = 0; i < 1000; i++)
		sha256_update(&s, a, sizeof(a));
	sha256_final(&s, d);
	hex(d, 32, h);
	/* One million times "a" (FIPS 180-2 appendix B.3). */
	ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(hmac_rfc4231)
{
	unsigned char key[20], mac[32], bigkey[131];
	char h[65];

	memset(key, 0x0b, sizeof(key));
	hmac_sha256(key, sizeof(key), "Hi There", 8, mac);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a key longer than the block is hashed first. */
	memset(bigkey, 0xaa, sizeof(bigkey));
	hmac_sha256(bigkey, sizeof(bigkey), "Test Using Larger Than Block-Size Key - Hash Key First",
	            54, mac);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

static const char *secret = "0123456789abcdef-secret";

START_TEST(token_roundtrip)
{
	struct fb_err err = {0};
	char login[TOKEN_MAX_LOGIN + 1];
	char *t = token_sign(secret, "zhang.san@corp", 2000000000, &err);

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(token_verify(secret, t, 1900000000, login, &err), 0);
	ck_assert_str_eq(login, "zhang.san@corp");
	free(t);
}
END_TEST

START_TEST(token_expired)
{
	struct fb_err err = {0};
	char login[TOKEN_MAX_LOGIN + 1];
	char *t = token_sign(secret, "demo", 1000, &err);

	ck_assert_int_eq(token_verify(secret, t, 1000, login, &err), -1);
	ck_assert_int_eq(err.code, FB_EAUTH);
	ck_assert_str_eq(err.msg, "token has expired");
	free(t);
}
END_TEST

START_TEST(token_tampered)
{
	struct fb_err err = {0};
	char login[TOKEN_MAX_LOGIN + 1];
	char *t = token_sign(secret, "demo", 2000000000, &err), *u;
	size_t n = strlen(t);

	/* Another secret. */
	ck_assert_int_eq(token_verify("another-secret-of-16", t, 1, login, &err), -1);
	ck_assert_str_eq(err.msg, "token signature is not valid");
	/* A later expiry with the old signature. */
	u = strdup(t);
	u[strchr(u + 3, '.') - u + 1] = '3';
	ck_assert_int_eq(token_verify(secret, u, 1, login, &err), -1);
	ck_assert_str_eq(err.msg, "token signature is not valid");
	free(u);
	/* Another login with the old signature ("demo" → "deno"). */
	u = strdup(t);
	u[5] = u[5] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(token_verify(secret, u, 1, login, &err), -1);
	free(u);
	/* The signature itself flipped. */
	u = strdup(t);
	u[n - 1] = u[n - 1] == '0' ? '1' : '0';
	ck_assert_int_eq(token_verify(secret, u, 1, login, &err), -1);
	free(u);
	free(t);
}
END_TEST

START_TEST(token_malformed)
{
	struct fb_err err = {0};
	char login[TOKEN_MAX_LOGIN + 1];
	static const char *const bad[] = {"", "v1.", "v1.ZGVtbw.123", "v2.ZGVtbw.1.00",
	                                  "v1.ZGVtbw.12x.0000000000000000000000000000000000000000000000000000000000000000",
	                                  "v1.ZGVtbw.1.2.0000000000000000000000000000000000000000000000000000000000000000"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(token_verify(secret, bad[i], 1, login, &err), -1);
		ck_assert_int_eq(err.code, FB_EAUTH);
	}
	ck_assert_ptr_null(token_sign(secret, "bad login", 1, &err));
	ck_assert_ptr_null(token_sign(secret, "", 1, &err));
	ck_assert(!token_login_valid("张三"));
	ck_assert(token_login_valid("u00001"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, sha256_vectors);
	tcase_add_test(tc, hmac_rfc4231);
	tcase_add_test(tc, token_roundtrip);
	tcase_add_test(tc, token_expired);
	tcase_add_test(tc, token_tampered);
	tcase_add_test(tc, token_malformed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
