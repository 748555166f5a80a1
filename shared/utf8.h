/* SPDX-License-Identifier: MIT */
/*
 * utf8: checking and counting UTF-8 text from outside — query strings, JSON values,
 * multipart headers, cells.  Pure functions; nothing is allocated.
 */
#ifndef FB_UTF8_H
#define FB_UTF8_H

#include <stddef.h>

/*
 * Check that len bytes are well-formed UTF-8 (no overlong forms, no surrogates, nothing
 * past U+10FFFF) and count the characters into *nchars (may be NULL).  0, or -1.
 */
int utf8_scan(const char *s, size_t len, size_t *nchars);
/* True when len bytes are well-formed UTF-8. */
int utf8_valid(const char *s, size_t len);
/* Characters in the NUL-terminated s, which must already be valid UTF-8. */
size_t utf8_chars(const char *s);
/*
 * The NUL-terminated s as valid UTF-8 into out (cap > 0 bytes, NUL included): cut on a
 * character boundary, a byte that starts no valid character (NUL, stray continuation,
 * broken sequence) written as '?'.  Returns the bytes written before the NUL.
 */
size_t utf8_clean(char *out, size_t cap, const char *s);
/*
 * The longest cut of s at most n bytes long that ends on a character boundary: n backed off
 * over continuation bytes.  s must hold more than n bytes (the byte at s[n] is looked at).
 */
size_t utf8_floor(const char *s, size_t n);
/* Bytes taken by the first max characters of the NUL-terminated, valid UTF-8 s. */
size_t utf8_prefix(const char *s, size_t max);
/*
 * The character at s (NUL-terminated): its length in bytes (1..4) with its code point in
 * *cp, or 0 when the bytes there are not a valid UTF-8 sequence (*cp unset).
 */
size_t utf8_decode(const char *s, unsigned long *cp);
/* The value of the hexadecimal digit c (either case), or -1. */
int hex_digit(int c);

#endif
