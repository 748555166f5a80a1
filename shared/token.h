/* SPDX-License-Identifier: MIT */
/*
 * token: signed login tokens, "v1.<login in base64url>.<expiry unix time>.<hmac hex>".
 *
 * The HMAC-SHA-256 covers everything before the last dot, keyed with the login key
 * derived from auth.secret (crypto.h: CRYPTO_KEY_LOGIN, never the template key).  The
 * token is what /auth/verify checks for nginx; the application itself trusts only the
 * REMOTE_USER that nginx derives from it.
 */
#ifndef FB_TOKEN_H
#define FB_TOKEN_H

#include <time.h>
#include "err.h"

#define TOKEN_MAX_LOGIN 128
#define TOKEN_MAX_LEN 512

/* A new token the caller frees, or NULL with err (bad login). */
char *token_sign(const char *secret, const char *login, time_t expires, struct fb_err *err) FB_MUSTCHECK;
/*
 * Check a token at time now: 0 with the login copied into login_out, or -1 with err
 * (FB_EAUTH: malformed, bad signature, expired).
 */
int token_verify(const char *secret, const char *token, time_t now,
                 char login_out[TOKEN_MAX_LOGIN + 1], struct fb_err *err) FB_MUSTCHECK;
/* True for a login of 1..128 characters of [A-Za-z0-9._@-]. */
int token_login_valid(const char *login);

#endif
