/* SPDX-License-Identifier: MIT */
/*
 * rand: getrandom(2) wrappers.  No state; safe from any thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "rand.h"

void
fb_random_bytes(void *out, size_t n)
{
	unsigned char *p = out;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		p += got;
		n -= (size_t)got;
	}
}

void
fb_random_hex(char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	size_t i, done = 0;

	while (done < n) {
		size_t chunk = n - done < sizeof(b) ? n - done : sizeof(b);

		fb_random_bytes(b, chunk);
		for (i = 0; i < chunk; i++) {
			out[2 * (done + i)] = hex[b[i] >> 4];
			out[2 * (done + i) + 1] = hex[b[i] & 15];
		}
		done += chunk;
	}
	out[2 * n] = '\0';
}

void
fb_uuid(char out[37])
{
	unsigned char b[16];

	fb_random_bytes(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
	         b[12], b[13], b[14], b[15]);
}
