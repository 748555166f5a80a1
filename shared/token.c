/* SPDX-License-Identifier: MIT */
/*
 * token: signing and verifying login tokens (see token.h for the format).  Returned
 * strings are malloc'ed; verification writes only into the caller's buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "sha256.h"
#include "token.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

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

static void
b64url(struct buf *b, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		char q[4] = {b64[p[i] >> 2], b64[(p[i] & 3) << 4 | p[i + 1] >> 4],
		             b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6], b64[p[i + 2] & 63]};
		buf_add(b, q, 4);
	}
	if (n - i == 1) {
		char q[2] = {b64[p[i] >> 2], b64[(p[i] & 3) << 4]};
		buf_add(b, q, 2);
	} else if (n - i == 2) {
		char q[3] = {b64[p[i] >> 2], b64[(p[i] & 3) << 4 | p[i + 1] >> 4],
		             b64[(p[i + 1] & 15) << 2]};
		buf_add(b, q, 3);
	}
}

static int
b64val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

/* Decode unpadded base64url; -1 on a bad character, length or overflow. */
static int
unb64url(const char *s, size_t n, char *out, size_t outcap)
{
	size_t o = 0, i;
	unsigned acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64val(s[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outcap)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return (int)o;
}

char *
token_sign(const char *secret, const char *login, time_t expires, struct fb_err *err)
{
	struct buf b = {0};
	char mac[65];

	if (!token_login_valid(login)) {
		fb_err_set(err, FB_EINVAL, "login must be 1-128 characters of A-Z a-z 0-9 . _ @ -");
		return NULL;
	}
	buf_puts(&b, "v1.");
	b64url(&b, (const unsigned char *)login, strlen(login));
	buf_printf(&b, ".%lld", (long long)expires);
	hmac_sha256_hex(secret, b.data, b.len, mac);
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
	hmac_sha256_hex(secret, token, (size_t)(d3 - token), mac);
	if (!timingsafe_equal(mac, d3 + 1, 64)) {
		fb_err_set(err, FB_EAUTH, "token signature is not valid");
		return -1;
	}
	exp = strtoll(d2 + 1, &end, 10);
	if (end != d3 || d3 == d2 + 1)
		goto malformed;
	if (exp <= (long long)now) {
		fb_err_set(err, FB_EAUTH, "token has expired");
		return -1;
	}
	if (unb64url(d1 + 1, (size_t)(d2 - d1 - 1), login_out, TOKEN_MAX_LOGIN + 1) <= 0 ||
	    !token_login_valid(login_out))
		goto malformed;
	return 0;
malformed:
	fb_err_set(err, FB_EAUTH, "token is malformed");
	return -1;
}
