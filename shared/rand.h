/* SPDX-License-Identifier: MIT */
/*
 * rand: unpredictable bytes from getrandom(2), for lock tokens and job ids.
 */
#ifndef FB_RAND_H
#define FB_RAND_H

#include <stddef.h>

void fb_random_bytes(void *out, size_t n);
/* n random bytes as lowercase hex into out (2*n+1 bytes with the NUL). */
void fb_random_hex(char *out, size_t n);
/* A random UUID (version 4): 36 characters and a NUL. */
void fb_uuid(char out[37]);

#endif
