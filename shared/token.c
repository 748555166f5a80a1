/* SPDX-License-Identifier: MIT */
/*
 * token: signing and verifying login tokens (see token.h for the format).  Returned
 * strings are malloc'ed; verification writes only into the caller's buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "mem.h"
#include "msg.h"
#include "token.h"

int
token_login_valid(const char *login)
{
	size_t n = strlen(login), i;

	if (n == 0 || n > TOKEN_MAX_LOGIN)
		return 0;
	for (i = 0; i < n; i++) {
		char c = login[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

char *
token_sign(const char *secret, const char *login, time_t expires, struct fb_err *err)
{
	struct buf b = {0};
	char mac[65], *enc;

	if (!token_login_valid(login)) {
		fb_err_set(err, FB_EINVAL, "login must be 1-128 characters of A-Z a-z 0-9 . _ @ -");
		return NULL;
	}
	enc = crypto_b64url_encode(login, strlen(login));
	buf_printf(&b, "v1.%s.%lld", enc, (long long)expires);
	free(enc);
	crypto_sign_hex(secret, CRYPTO_KEY_LOGIN, b.data, b.len, mac);
	buf_printf(&b, ".%s", mac);
	return b.data;
}

int
token_verify(const char *secret, const char *token, time_t now,
             char login_out[TOKEN_MAX_LOGIN + 1], struct fb_err *err)
{
	const char *d1, *d2, *d3, *p;
	char mac[65], *end;
	long long exp;
	size_t n = strnlen(token, TOKEN_MAX_LEN + 1);

	if (n > TOKEN_MAX_LEN || strncmp(token, "v1.", 3) != 0)
		goto malformed;
	d1 = token + 2;
	d2 = strchr(d1 + 1, '.');
	if (d2 == NULL)
		goto malformed;
	d3 = strchr(d2 + 1, '.');
	if (d3 == NULL || strchr(d3 + 1, '.') != NULL || strlen(d3 + 1) != 64)
		goto malformed;
	for (p = d2 + 1; p < d3; p++)
		if (*p < '0' || *p > '9')
			goto malformed;
	crypto_sign_hex(secret, CRYPTO_KEY_LOGIN, token, (size_t)(d3 - token), mac);
	if (!crypto_equal(mac, d3 + 1, 64)) {
		fb_err_msg(err, FB_EAUTH, "auth.token_signature", NULL);
		return -1;
	}
	exp = strtoll(d2 + 1, &end, 10);
	if (end != d3 || d3 == d2 + 1)
		goto malformed;
	if (exp <= (long long)now) {
		fb_err_msg(err, FB_EAUTH, "auth.token_expired", NULL);
		return -1;
	}
	if (crypto_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), login_out, TOKEN_MAX_LOGIN + 1) <= 0 ||
	    !token_login_valid(login_out))
		goto malformed;
	return 0;
malformed:
	fb_err_msg(err, FB_EAUTH, "auth.token_malformed", NULL);
	return -1;
}
