/* SPDX-License-Identifier: MIT */
/* Unit tests: SHA-256 and HMAC vectors, login tokens (valid, expired, tampered). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "template.h"
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
	unsigned char d[CRYPTO_SHA256_LEN];
	char h[65], *a = malloc(1000000);

	crypto_sha256("", 0, d);
	hex(d, 32, h);
	ck_assert_str_eq(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	crypto_sha256("abc", 3, d);
	hex(d, 32, h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* One million times "a" (FIPS 180-2 appendix B.3). */
	memset(a, 'a', 1000000);
	crypto_sha256(a, 1000000, d);
	hex(d, 32, h);
	ck_assert_str_eq(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}
END_TEST

START_TEST(hmac_rfc4231)
{
	unsigned char key[20], mac[32], bigkey[131];
	char h[65];

	memset(key, 0x0b, sizeof(key));
	crypto_hmac_sha256(key, sizeof(key), "Hi There", 8, mac);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a key longer than the block is hashed first. */
	memset(bigkey, 0xaa, sizeof(bigkey));
	crypto_hmac_sha256(bigkey, sizeof(bigkey),
	                   "Test Using Larger Than Block-Size Key - Hash Key First", 54, mac);
	hex(mac, 32, h);
	ck_assert_str_eq(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

START_TEST(compare)
{
	ck_assert(crypto_equal("abcdef", "abcdef", 6));
	ck_assert(!crypto_equal("abcdef", "abcdeg", 6));
	ck_assert(!crypto_equal("xbcdef", "abcdef", 6));
	ck_assert(crypto_equal("a", "b", 0));
}
END_TEST

/* RFC 4648 section 10, unpadded, and the two url-safe characters. */
START_TEST(base64url)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	static const char *const bad[] = {"Z", "Zm9vY", "Zm+v", "Zm/v", "Zm8=", "Zm 8", "Zm\x01v"};
	char out[16], *e;
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		e = crypto_b64url_encode(plain[i], strlen(plain[i]));
		ck_assert_str_eq(e, coded[i]);
		free(e);
		ck_assert_int_eq(crypto_b64url_decode(coded[i], strlen(coded[i]), out, sizeof(out)),
		                 (int)strlen(plain[i]));
		ck_assert_str_eq(out, plain[i]);
	}
	e = crypto_b64url_encode("\xfb\xff", 2);
	ck_assert_str_eq(e, "-_8");
	free(e);
	ck_assert_int_eq(crypto_b64url_decode("-_8", 3, out, sizeof(out)), 2);
	ck_assert_int_eq(memcmp(out, "\xfb\xff", 3), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(crypto_b64url_decode(bad[i], strlen(bad[i]), out, sizeof(out)) == -1,
		              "decoded %s", bad[i]);
	/* "foobar" needs 7 bytes with its NUL. */
	ck_assert_int_eq(crypto_b64url_decode("Zm9vYmFy", 8, out, 6), -1);
	ck_assert_int_eq(crypto_b64url_decode("Zm9vYmFy", 8, out, 7), 6);
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

/* Vectors computed independently (Python hmac): the derived keys and a whole token. */
START_TEST(derived_keys)
{
	unsigned char key[CRYPTO_SHA256_LEN];
	char h[65], sig[65];
	struct fb_err err = {0};
	char *t = token_sign(secret, "zhang.san@corp", 2000000000, &err);

	crypto_derive_key(secret, CRYPTO_KEY_LOGIN, key);
	hex(key, 32, h);
	ck_assert_str_eq(h, "a3ae86e3309ce39ebec4e80da170143271b997193427fed8649cf8168f8f98e3");
	ck_assert_str_eq(t, "v1.emhhbmcuc2FuQGNvcnA.2000000000."
	                    "923357c456e99487041efe6a0b6d38b0d22865eac0263dbc17e5de61aa8ee522");
	template_meta_sign(secret, "{\"v\":1}", sig);
	ck_assert_str_eq(sig, "b2e1cdd1af1b33dd2b49ca1fa90b50a5784a49e6aa8005c6be6fd7bbf39d8334");
	free(t);
}
END_TEST

/* A token's signature is no template signature, and the other way round. */
START_TEST(keys_separate)
{
	struct fb_err err = {0};
	struct json_object *meta = NULL;
	char login[TOKEN_MAX_LOGIN + 1], sig[65], *forged;
	char *t = token_sign(secret, "demo", 2000000000, &err);
	char *dot = strrchr(t, '.');
	char *payload = strndup(t, (size_t)(dot - t));

	/* The token's MAC over its own text, offered as the template signature of that text. */
	ck_assert_int_eq(template_meta_verify(secret, payload, dot + 1, &meta, &err), -1);
	ck_assert_msg(strstr(err.msg, "signed by another server") != NULL, "%s", err.msg);
	fb_err_clear(&err);
	/* The template signature of the same text passes the signature check (and then
	 * fails only because the text is no meta JSON). */
	template_meta_sign(secret, payload, sig);
	ck_assert_int_eq(template_meta_verify(secret, payload, sig, &meta, &err), -1);
	ck_assert_msg(strstr(err.msg, "signed by another server") == NULL, "%s", err.msg);
	fb_err_clear(&err);
	/* ... and that template signature as the token's signature. */
	forged = malloc(strlen(payload) + 66);
	sprintf(forged, "%s.%s", payload, sig);
	ck_assert_int_eq(token_verify(secret, forged, 1, login, &err), -1);
	ck_assert_str_eq(err.msg, "token signature is not valid");
	ck_assert_int_eq(token_verify(secret, t, 1, login, &err), 0);
	free(forged);
	free(payload);
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
	tcase_add_test(tc, compare);
	tcase_add_test(tc, base64url);
	tcase_add_test(tc, derived_keys);
	tcase_add_test(tc, keys_separate);
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
