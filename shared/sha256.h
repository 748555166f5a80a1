/* SPDX-License-Identifier: MIT */
/*
 * sha256: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), no allocation.
 */
#ifndef FB_SHA256_H
#define FB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char block[64];
	size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
void sha256_final(struct sha256 *s, unsigned char out[32]);

void hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                 unsigned char out[32]);
/* The same as 64 lowercase hex digits and a NUL. */
void hmac_sha256_hex(const char *key, const void *data, size_t n, char out[65]);
/* Compare n bytes in time that does not depend on where they differ. */
int timingsafe_equal(const void *a, const void *b, size_t n);

#endif
