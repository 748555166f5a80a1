/* SPDX-License-Identifier: MIT */
/*
 * crypto: the few primitives flowbatch signs with, from libcrypto (OpenSSL): SHA-256,
 * HMAC-SHA-256, keys derived from auth.secret per purpose, a constant-time compare and
 * unpadded base64url.  No state; safe from any thread.
 *
 * auth.secret is never used as a key itself: each purpose gets its own key,
 * HMAC-SHA-256(secret, label), so that what one purpose signs never verifies for another
 * (a login token is not a template signature and the other way round).
 */
#ifndef FB_CRYPTO_H
#define FB_CRYPTO_H

#include <stddef.h>

#define CRYPTO_SHA256_LEN 32

/* The labels of the derived keys: one per purpose, all different. */
#define CRYPTO_KEY_LOGIN "flowbatch login v1"
#define CRYPTO_KEY_TEMPLATE "flowbatch template v1"

void crypto_sha256(const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN]);
/*
 * SHA-256 of data given in pieces: crypto_sha256_begin() returns a new context (aborts
 * without memory), crypto_sha256_add() feeds it, crypto_sha256_end() writes the digest and
 * frees the context.
 */
struct crypto_sha256;
struct crypto_sha256 *crypto_sha256_begin(void);
void crypto_sha256_add(struct crypto_sha256 *c, const void *data, size_t n);
void crypto_sha256_end(struct crypto_sha256 *c, unsigned char out[CRYPTO_SHA256_LEN]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                        unsigned char out[CRYPTO_SHA256_LEN]);
/* HMAC-SHA-256(secret, label): the key of one purpose. */
void crypto_derive_key(const char *secret, const char *label,
                       unsigned char key[CRYPTO_SHA256_LEN]);
/* HMAC-SHA-256 of data under the key derived from secret for label, as 64 lowercase hex
 * digits and a NUL. */
void crypto_sign_hex(const char *secret, const char *label, const void *data, size_t n,
                     char out[2 * CRYPTO_SHA256_LEN + 1]);
/* 1 when the n bytes of a and b are equal, in time that does not depend on where they
 * differ (CRYPTO_memcmp). */
int crypto_equal(const void *a, const void *b, size_t n);

/* Padded standard base64 (RFC 4648 section 4) of n bytes: a new string the caller frees. */
char *crypto_b64_encode(const void *data, size_t n);
/* Unpadded base64url of n bytes: a new string the caller frees. */
char *crypto_b64url_encode(const void *data, size_t n);
/*
 * Decode n characters of unpadded base64url (A-Z a-z 0-9 - _ only) into out, NUL-terminated:
 * the decoded length, or -1 on another character, an impossible length, or a result that
 * does not fit in outcap - 1 bytes.
 */
int crypto_b64url_decode(const char *s, size_t n, char *out, size_t outcap);

#endif
