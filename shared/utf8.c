/* SPDX-License-Identifier: MIT */
/*
 * utf8: validation and counting of UTF-8 (see utf8.h).
 */
#include <string.h>

#include "utf8.h"

int
utf8_scan(const char *s, size_t len, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0, j, k;
	unsigned cp, min;

	while (i < len) {
		unsigned c = p[i];

		if (c < 0x80) {
			i++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return -1;
		}
		if (len - i <= k)
			return -1;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += k + 1;
		n++;
	}
	if (nchars != NULL)
		*nchars = n;
	return 0;
}

int
utf8_valid(const char *s, size_t len)
{
	return utf8_scan(s, len, NULL) == 0;
}

size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

size_t
utf8_clean(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s), i = 0, o = 0, max = cap - 1;

	while (i < n && o < max) {
		size_t len = 1;
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0xf0)
			len = 4;
		else if (ch >= 0xe0)
			len = 3;
		else if (ch >= 0xc0)
			len = 2;
		if (i + len <= n && utf8_valid(s + i, len) && o + len <= max) {
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
		} else if (i + len <= n && utf8_valid(s + i, len)) {
			break; /* a whole character that does not fit */
		} else {
			out[o++] = '?';
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

size_t
utf8_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

size_t
utf8_prefix(const char *s, size_t max)
{
	size_t n = 0, chars = 0;

	for (; s[n] != '\0'; n++)
		if (((unsigned char)s[n] & 0xc0) != 0x80 && ++chars > max)
			break;
	return n;
}

size_t
utf8_decode(const char *s, unsigned long *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long c;
	size_t n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return n;
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
