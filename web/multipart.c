/* SPDX-License-Identifier: MIT */
/*
 * multipart: splitting a multipart/form-data body (RFC 7578, RFC 2046 delimiters).
 *
 * The body is searched with memmem for "\r\n--boundary"; everything before the first
 * delimiter (the preamble) and after the closing one (the epilogue) is ignored.  Each part's
 * header block is capped at MULTIPART_MAX_HEADER_BYTES; Content-Disposition gives the field
 * name and file name (browsers percent-encode '"', CR and LF and do not backslash-escape, so
 * a quoted value ends at the next '"'), Content-Type is kept as sent.
 *
 * Errors carry a code of msg.c's catalogue (multipart.*) with the part's number and what
 * is wrong, so that the uploader reads them in the request's language; err->msg is English.
 *
 * Memory: the parts array and its name/filename/content_type strings are malloc'd and
 * released by multipart_free; part data points into the caller's body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "multipart.h"
#include "utf8.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* A problem of part idx (from 1): msg.c's code with params {"part": idx}. */
static void
part_error(struct fb_err *err, const char *code, size_t idx)
{
	fb_err_msg(err, FB_EINVAL, code, msg_args("part", json_object_new_int64((int64_t)idx), NULL));
}

/* Part idx has a second what (a multipart.twice.* suffix: name, filename, ...). */
static void
part_twice(struct fb_err *err, const char *what, size_t idx)
{
	fb_err_msg(err, FB_EINVAL, "multipart.twice",
	           msg_args("part", json_object_new_int64((int64_t)idx), "what",
	                    json_object_new_string(what), NULL));
}

static void
headers_long(struct fb_err *err, size_t idx)
{
	fb_err_msg(err, FB_EINVAL, "multipart.headers_long",
	           msg_args("part", json_object_new_int64((int64_t)idx), "max",
	                    json_object_new_int(MULTIPART_MAX_HEADER_BYTES), NULL));
}

/* Header values: UTF-8 without NUL bytes. */
static int
utf8_ok(const char *s, size_t len)
{
	return memchr(s, '\0', len) == NULL && utf8_valid(s, len);
}

/* ---- Content-Type -------------------------------------------------------------------- */

/* Parse one "; key=value" parameter at *sp (s ends at end).  key/value point into the
 * string (not terminated); value of a quoted string excludes the quotes.  Returns 1 with a
 * parameter, 0 at the end, -1 when malformed. */
static int
next_param(const char **sp, const char *end, const char **key, size_t *klen, const char **val,
           size_t *vlen)
{
	const char *s = *sp;

	while (s < end && (is_ws(*s) || *s == ';'))
		s++;
	if (s == end)
		return 0;
	*key = s;
	while (s < end && *s != '=' && *s != ';' && !is_ws(*s))
		s++;
	*klen = (size_t)(s - *key);
	while (s < end && is_ws(*s))
		s++;
	if (*klen == 0 || s == end || *s != '=')
		return -1;
	s++;
	while (s < end && is_ws(*s))
		s++;
	if (s < end && *s == '"') {
		*val = ++s;
		while (s < end && *s != '"')
			s++;
		if (s == end)
			return -1;
		*vlen = (size_t)(s - *val);
		s++;
	} else {
		*val = s;
		while (s < end && *s != ';' && !is_ws(*s))
			s++;
		*vlen = (size_t)(s - *val);
	}
	while (s < end && is_ws(*s))
		s++;
	if (s < end && *s != ';')
		return -1;
	*sp = s;
	return 1;
}

static int
key_is(const char *key, size_t klen, const char *want)
{
	return strlen(want) == klen && strncasecmp(key, want, klen) == 0;
}

int
multipart_boundary(const char *content_type, char *out, size_t outlen, struct fb_err *err)
{
	static const char type[] = "multipart/form-data";
	const char *s = content_type, *end, *key, *val;
	size_t klen, vlen, i;
	int rc, found = 0;

	if (s == NULL) {
		fb_err_msg(err, FB_EMEDIA, "multipart.no_type", NULL);
		return -1;
	}
	while (is_ws(*s))
		s++;
	end = s + strlen(s);
	if (strncasecmp(s, type, sizeof(type) - 1) != 0 ||
	    (s[sizeof(type) - 1] != '\0' && s[sizeof(type) - 1] != ';' &&
	     !is_ws(s[sizeof(type) - 1]))) {
		char got[65];

		utf8_clean(got, sizeof(got), content_type);
		fb_err_msg(err, FB_EMEDIA, "multipart.not_form_data",
		           msg_args("got", json_object_new_string(got), NULL));
		return -1;
	}
	s += sizeof(type) - 1;
	while ((rc = next_param(&s, end, &key, &klen, &val, &vlen)) == 1) {
		if (!key_is(key, klen, "boundary"))
			continue;
		if (found) {
			fb_err_msg(err, FB_EINVAL, "multipart.boundary_twice", NULL);
			return -1;
		}
		found = 1;
		if (vlen == 0 || vlen > MULTIPART_BOUNDARY_MAX || vlen + 1 > outlen ||
		    val[vlen - 1] == ' ') {
			fb_err_msg(err, FB_EINVAL, "multipart.boundary_length",
			           msg_args("max", json_object_new_int(MULTIPART_BOUNDARY_MAX), NULL));
			return -1;
		}
		for (i = 0; i < vlen; i++) {
			unsigned char c = (unsigned char)val[i];

			if (c < 0x20 || c >= 0x7f) {
				fb_err_msg(err, FB_EINVAL, "multipart.boundary_char", NULL);
				return -1;
			}
		}
		memcpy(out, val, vlen);
		out[vlen] = '\0';
	}
	if (rc < 0) {
		fb_err_msg(err, FB_EINVAL, "multipart.bad_params", NULL);
		return -1;
	}
	if (!found) {
		fb_err_msg(err, FB_EINVAL, "multipart.no_boundary", NULL);
		return -1;
	}
	return 0;
}

/* ---- parts ------------------------------------------------------------------------- */

/* RFC 5987 ext-value "UTF-8'lang'pct%20encoded" → a malloc'd string; NULL when the charset
 * is not UTF-8 or the encoding is bad. */
static char *
ext_value(const char *v, size_t n)
{
	const char *q1, *q2, *end = v + n;
	char *out, *o;

	q1 = memchr(v, '\'', n);
	if (q1 == NULL || !key_is(v, (size_t)(q1 - v), "utf-8"))
		return NULL;
	q2 = memchr(q1 + 1, '\'', (size_t)(end - q1 - 1));
	if (q2 == NULL)
		return NULL;
	o = out = xmalloc((size_t)(end - q2));
	for (v = q2 + 1; v < end; v++) {
		if (*v == '%') {
			int h, l;

			if (end - v < 3 || (h = hex_digit(v[1])) < 0 || (l = hex_digit(v[2])) < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(h * 16 + l);
			v += 2;
		} else {
			*o++ = *v;
		}
	}
	*o = '\0';
	return out;
}

static int
set_once(char **slot, const char *v, size_t n, const char *what, size_t idx,
         struct fb_err *err)
{
	if (*slot != NULL) {
		part_twice(err, what, idx);
		return -1;
	}
	*slot = xstrndup(v, n);
	return 0;
}

static int
parse_disposition(struct multipart_part *p, const char *v, size_t n, size_t idx,
                  struct fb_err *err)
{
	static const char fd[] = "form-data";
	const char *s = v, *end = v + n, *key, *val;
	size_t klen, vlen;
	char *ext = NULL;
	int rc;

	if (n < sizeof(fd) - 1 || strncasecmp(v, fd, sizeof(fd) - 1) != 0 ||
	    (n > sizeof(fd) - 1 && v[sizeof(fd) - 1] != ';' && !is_ws(v[sizeof(fd) - 1]))) {
		part_error(err, "multipart.not_part_form_data", idx);
		return -1;
	}
	s += sizeof(fd) - 1;
	while ((rc = next_param(&s, end, &key, &klen, &val, &vlen)) == 1) {
		if (key_is(key, klen, "name")) {
			if (set_once(&p->name, val, vlen, "name", idx, err) < 0)
				goto fail;
		} else if (key_is(key, klen, "filename")) {
			if (set_once(&p->filename, val, vlen, "filename", idx, err) < 0)
				goto fail;
		} else if (key_is(key, klen, "filename*") && ext == NULL) {
			ext = ext_value(val, vlen);
			if (ext == NULL) {
				part_error(err, "multipart.filename_ext", idx);
				goto fail;
			}
		}
	}
	if (rc < 0) {
		part_error(err, "multipart.bad_disposition", idx);
		goto fail;
	}
	if (ext != NULL) {
		free(p->filename);
		p->filename = ext;
		ext = NULL;
	}
	return 0;
fail:
	free(ext);
	return -1;
}

/* Parse the header block [h, h+n) (lines separated by CRLF, no final empty line). */
static int
parse_headers(struct multipart_part *p, const char *h, size_t n, size_t idx,
              struct fb_err *err)
{
	const char *end = h + n;
	int seen_cd = 0;

	while (h < end) {
		const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2), *colon, *v, *ve;

		if (eol == NULL)
			eol = end;
		if (is_ws(*h)) {
			part_error(err, "multipart.folded", idx);
			return -1;
		}
		colon = memchr(h, ':', (size_t)(eol - h));
		if (colon == NULL || colon == h) {
			part_error(err, "multipart.header_no_name", idx);
			return -1;
		}
		v = colon + 1;
		ve = eol;
		while (v < ve && is_ws(*v))
			v++;
		while (ve > v && is_ws(ve[-1]))
			ve--;
		if (memchr(v, '\0', (size_t)(ve - v)) != NULL) {
			part_error(err, "multipart.header_nul", idx);
			return -1;
		}
		if (key_is(h, (size_t)(colon - h), "Content-Disposition")) {
			if (seen_cd++) {
				part_twice(err, "disposition", idx);
				return -1;
			}
			if (parse_disposition(p, v, (size_t)(ve - v), idx, err) < 0)
				return -1;
		} else if (key_is(h, (size_t)(colon - h), "Content-Type")) {
			if (set_once(&p->content_type, v, (size_t)(ve - v), "content_type", idx,
			             err) < 0)
				return -1;
		}
		h = eol == end ? end : eol + 2;
	}
	if (p->name == NULL || p->name[0] == '\0') {
		part_error(err, "multipart.no_name", idx);
		return -1;
	}
	if (!utf8_ok(p->name, strlen(p->name)) ||
	    (p->filename != NULL && !utf8_ok(p->filename, strlen(p->filename)))) {
		part_error(err, "multipart.not_utf8", idx);
		return -1;
	}
	return 0;
}

static void
part_clear(struct multipart_part *p)
{
	free(p->name);
	free(p->filename);
	free(p->content_type);
	memset(p, 0, sizeof(*p));
}

/* After a delimiter at body[pos] (just past "--boundary"): 1 when it closes the body, 0 when
 * a part follows (*pos moves past its CRLF), -1 when this is no delimiter line. */
static int
after_delimiter(const char *body, size_t len, size_t *pos)
{
	size_t i = *pos;

	if (len - i >= 2 && body[i] == '-' && body[i + 1] == '-')
		return 1;
	while (i < len && is_ws(body[i]))
		i++;
	if (len - i >= 2 && body[i] == '\r' && body[i + 1] == '\n') {
		*pos = i + 2;
		return 0;
	}
	return -1;
}

/* The next "\r\n--boundary" at or after from that is a real delimiter line (followed by
 * "--" or by optional blanks and CRLF); the boundary text inside content is skipped. */
static const char *
find_delim(const char *body, size_t len, size_t from, const char *delim, size_t dlen)
{
	const char *hit;

	while (from < len && (hit = memmem(body + from, len - from, delim, dlen)) != NULL) {
		size_t after = (size_t)(hit - body) + dlen;

		if (after_delimiter(body, len, &after) >= 0)
			return hit;
		from = (size_t)(hit - body) + 1;
	}
	return NULL;
}

int
multipart_parse(const char *body, size_t len, const char *boundary,
                struct multipart_part **parts, size_t *nparts, size_t max_parts,
                struct fb_err *err)
{
	struct multipart_part *out = NULL, cur = {0};
	size_t n = 0, cap = 0, blen, dlen, pos;
	char *delim = NULL; /* "\r\n--boundary" */
	const char *hit;
	int rc;

	*parts = NULL;
	*nparts = 0;
	blen = boundary ? strlen(boundary) : 0;
	if (blen == 0 || blen > MULTIPART_BOUNDARY_MAX) {
		fb_err_msg(err, FB_EINVAL, "multipart.bad_boundary", NULL);
		return -1;
	}
	delim = xasprintf("\r\n--%s", boundary);
	dlen = blen + 4;
	if (body == NULL)
		len = 0;

	/* the first delimiter: at the very start, or after the preamble */
	pos = dlen - 2;
	if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0 &&
	    after_delimiter(body, len, &pos) >= 0) {
		pos = dlen - 2;
	} else if ((hit = find_delim(body, len, 0, delim, dlen)) != NULL) {
		pos = (size_t)(hit - body) + dlen;
	} else {
		fb_err_msg(err, FB_EINVAL, "multipart.no_boundary_line", NULL);
		goto fail;
	}
	for (;;) {
		const char *hdr_end;
		size_t hstart, cstart, room;

		rc = after_delimiter(body, len, &pos);
		if (rc == 1)
			break;
		if (rc < 0) {
			part_error(err, "multipart.bad_delimiter", n);
			goto fail;
		}
		if (n == max_parts) {
			fb_err_msg(err, FB_EINVAL, "multipart.too_many_parts",
			           msg_args("max", json_object_new_int64((int64_t)max_parts), NULL));
			goto fail;
		}
		/* headers end at an empty line; an immediate CRLF means no headers */
		hstart = pos;
		if (len - pos >= 2 && body[pos] == '\r' && body[pos + 1] == '\n') {
			cstart = pos + 2;
			hdr_end = body + pos;
		} else {
			room = len - pos;
			if (room > MULTIPART_MAX_HEADER_BYTES + 4)
				room = MULTIPART_MAX_HEADER_BYTES + 4;
			hdr_end = memmem(body + pos, room, "\r\n\r\n", 4);
			if (hdr_end == NULL) {
				if (len - pos > MULTIPART_MAX_HEADER_BYTES)
					headers_long(err, n + 1);
				else
					part_error(err, "multipart.headers_cut", n + 1);
				goto fail;
			}
			if ((size_t)(hdr_end - (body + pos)) > MULTIPART_MAX_HEADER_BYTES) {
				headers_long(err, n + 1);
				goto fail;
			}
			cstart = (size_t)(hdr_end - body) + 4;
		}
		if (parse_headers(&cur, body + hstart, (size_t)(hdr_end - (body + hstart)), n + 1,
		                  err) < 0)
			goto fail;
		/* the content runs to the next delimiter; its CRLF may be the one that ended the
		 * headers when the part has no content at all */
		hit = find_delim(body, len, cstart - 2, delim, dlen);
		if (hit == NULL) {
			char name[65];

			utf8_clean(name, sizeof(name), cur.name);
			fb_err_msg(err, FB_EINVAL, "multipart.unclosed",
			           msg_args("part", json_object_new_int64((int64_t)(n + 1)), "name",
			                    json_object_new_string(name), NULL));
			goto fail;
		}
		cur.data = body + cstart;
		cur.len = hit > body + cstart - 2 ? (size_t)(hit - (body + cstart)) : 0;
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			out = xrealloc(out, cap * sizeof(*out));
		}
		out[n++] = cur;
		memset(&cur, 0, sizeof(cur));
		pos = (size_t)(hit - body) + dlen;
	}
	free(delim);
	*parts = out;
	*nparts = n;
	return 0;
fail:
	part_clear(&cur);
	multipart_free(out, n);
	free(delim);
	return -1;
}

void
multipart_free(struct multipart_part *parts, size_t nparts)
{
	size_t i;

	if (parts == NULL)
		return;
	for (i = 0; i < nparts; i++)
		part_clear(&parts[i]);
	free(parts);
}

const struct multipart_part *
multipart_find(const struct multipart_part *parts, size_t nparts, const char *name)
{
	size_t i;

	for (i = 0; i < nparts; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}
