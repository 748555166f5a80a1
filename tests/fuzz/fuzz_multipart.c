/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for multipart.  The input's first line is the Content-Type (its
 * boundary is extracted with multipart_boundary); the rest is the body.  The first byte also
 * picks the part cap.  Every part must lie inside the body and carry a name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ct[256], boundary[MULTIPART_BOUNDARY_MAX + 1];
	const uint8_t *nl = memchr(data, '\n', size < 255 ? size : 255);
	struct multipart_part *parts;
	struct fb_err err = {0};
	size_t n, i, cl, blen;
	const char *body;

	if (nl == NULL)
		return 0;
	cl = (size_t)(nl - data);
	memcpy(ct, data, cl);
	ct[cl] = '\0';
	if (memchr(ct, '\0', cl) != NULL)
		return 0;
	if (multipart_boundary(ct, boundary, sizeof(boundary), &err) < 0) {
		if (err.msg[0] == '\0')
			abort();
		return 0;
	}
	/* a private copy, so that reads past the body are caught */
	blen = size - cl - 1;
	body = memcpy(malloc(blen ? blen : 1), nl + 1, blen);
	if (multipart_parse(body, blen, boundary, &parts, &n, 1 + (size_t)(data[0] % 16), &err) ==
	    0) {
		for (i = 0; i < n; i++) {
			if (parts[i].name == NULL || parts[i].name[0] == '\0' ||
			    parts[i].data < body || parts[i].data + parts[i].len > body + blen)
				abort();
		}
		multipart_free(parts, n);
	} else if (err.msg[0] == '\0' || parts != NULL || n != 0) {
		abort();
	}
	free((void *)body);
	return 0;
}
