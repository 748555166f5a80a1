/* SPDX-License-Identifier: MIT */
/*
 * crypto: SHA-256, HMAC, derived keys, constant-time compare and base64url over libcrypto
 * (see crypto.h).  Base64 goes through EVP_EncodeBlock/EVP_DecodeBlock, which speak the
 * standard padded alphabet: the url-safe one is translated on the way in and out.  The
 * encoder returns a malloc'ed string; everything else writes into the caller's buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "crypto.h"
#include "mem.h"

void
crypto_sha256(const void *data, size_t n, unsigned char out[CRYPTO_SHA256_LEN])
{
	SHA256(data, n, out);
}

/* The context is libcrypto's own digest context, behind our name. */
struct crypto_sha256 *
crypto_sha256_begin(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		abort();
	return (struct crypto_sha256 *)c;
}

void
crypto_sha256_add(struct crypto_sha256 *c, const void *data, size_t n)
{
	if (EVP_DigestUpdate((EVP_MD_CTX *)c, data, n) != 1)
		abort();
}

void
crypto_sha256_end(struct crypto_sha256 *c, unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int len = CRYPTO_SHA256_LEN;

	if (EVP_DigestFinal_ex((EVP_MD_CTX *)c, out, &len) != 1 || len != CRYPTO_SHA256_LEN)
		abort();
	EVP_MD_CTX_free((EVP_MD_CTX *)c);
}

void
crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                   unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned int len = CRYPTO_SHA256_LEN;

	/* Fails only without memory or without SHA-256 in libcrypto: nothing to go on with. */
	if (HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len) == NULL ||
	    len != CRYPTO_SHA256_LEN)
		abort();
}

void
crypto_derive_key(const char *secret, const char *label, unsigned char key[CRYPTO_SHA256_LEN])
{
	crypto_hmac_sha256(secret, strlen(secret), label, strlen(label), key);
}

void
crypto_sign_hex(const char *secret, const char *label, const void *data, size_t n,
                char out[2 * CRYPTO_SHA256_LEN + 1])
{
	unsigned char key[CRYPTO_SHA256_LEN], mac[CRYPTO_SHA256_LEN];
	size_t i;

	crypto_derive_key(secret, label, key);
	crypto_hmac_sha256(key, sizeof(key), data, n, mac);
	OPENSSL_cleanse(key, sizeof(key));
	for (i = 0; i < CRYPTO_SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

char *
crypto_b64_encode(const void *data, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	return out;
}

char *
crypto_b64url_encode(const void *data, size_t n)
{
	char *out = crypto_b64_encode(data, n);
	int len = (int)strlen(out), i;

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (i = 0; i < len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

int
crypto_b64url_decode(const char *s, size_t n, char *out, size_t outcap)
{
	size_t i, pad = (4 - n % 4) % 4, want = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	unsigned char *in, *bin;
	int got;

	if (n % 4 == 1 || want + 1 > outcap)
		return -1;
	in = xmalloc(n + pad + 1);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			goto bad;
		in[i] = (unsigned char)c;
	}
	memset(in + n, '=', pad);
	bin = xmalloc((n + pad) / 4 * 3 + 1);
	got = EVP_DecodeBlock(bin, in, (int)(n + pad));
	free(in);
	if (got < 0 || (size_t)got < want) {
		free(bin);
		return -1;
	}
	memcpy(out, bin, want);
	out[want] = '\0';
	free(bin);
	return (int)want;
bad:
	free(in);
	return -1;
}
