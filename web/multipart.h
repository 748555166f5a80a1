/* SPDX-License-Identifier: MIT */
/*
 * multipart: a multipart/form-data parser over a request body held whole in memory.
 *
 *   char boundary[MULTIPART_BOUNDARY_MAX + 1];
 *   multipart_boundary(r->content_type, boundary, sizeof(boundary), &err);
 *   multipart_parse(r->body, r->body_len, boundary, &parts, &nparts, 16, &err);
 *   ... parts[i].data / parts[i].len point into the body ...
 *   multipart_free(parts, nparts);
 *
 * Part data is borrowed from the body (binary-safe, not NUL-terminated); the field name,
 * file name and content type are NUL-terminated copies owned by the parts array.
 */
#ifndef FB_MULTIPART_H
#define FB_MULTIPART_H

#include <stddef.h>

#include "err.h"

#define MULTIPART_BOUNDARY_MAX 70        /* RFC 2046 */
#define MULTIPART_MAX_HEADER_BYTES 8192  /* the header block of one part */

struct multipart_part {
	char *name;         /* the form field name, UTF-8, never NULL or empty */
	char *filename;     /* UTF-8 (filename*=UTF-8'' preferred over filename=), or NULL */
	char *content_type; /* as sent, or NULL when the part has none */
	const char *data;   /* borrowed from the body until the body is freed */
	size_t len;
};

/* The boundary parameter of a "multipart/form-data; boundary=..." Content-Type (quoted or
 * not) into out (outlen >= MULTIPART_BOUNDARY_MAX + 1 always suffices).  FB_EMEDIA when the
 * type is not multipart/form-data, FB_EINVAL when the boundary is missing or malformed. */
int multipart_boundary(const char *content_type, char *out, size_t outlen,
                       struct fb_err *err) FB_MUSTCHECK;

/* Split body into its parts (at most max_parts).  On success *parts is an array of *nparts
 * entries the caller releases with multipart_free (NULL when there are none); on failure
 * nothing is left to free and err (FB_EINVAL, a multipart.* message code of msg.c) says
 * what is wrong. */
int multipart_parse(const char *body, size_t len, const char *boundary,
                    struct multipart_part **parts, size_t *nparts, size_t max_parts,
                    struct fb_err *err) FB_MUSTCHECK;

/* Free an array from multipart_parse (the body is not touched).  NULL is fine. */
void multipart_free(struct multipart_part *parts, size_t nparts);

/* The first part named name, or NULL. */
const struct multipart_part *multipart_find(const struct multipart_part *parts, size_t nparts,
                                            const char *name);

#endif
