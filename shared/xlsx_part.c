/* SPDX-License-Identifier: MIT */
/*
 * xlsx_part: reading one part (entry) of an untrusted xlsx archive into a reader's callbacks.
 *
 * The part is inflated by zip_fread in chunks; every chunk is counted against the per-part
 * and per-handle caps and scanned for runs of character data (text_scan) before libxml2
 * sees it, so that a zip bomb or a giant text stops at the cap whatever sizes the archive
 * declares.  The chunks are fed to libxml2's SAX2 push parser (xmlCreatePushParserCtxt,
 * xmlParseChunk): element starts, ends and text go straight to the reader's handler and no
 * tree node is ever built.  The parser runs with XML_PARSE_NONET and without NOENT: a
 * DOCTYPE (its internal or external subset), an entity declaration or a reference to a
 * declared entity stops the part with an error; an undeclared entity is malformed XML.
 *
 * Memory: xlsx_part_parse owns the zip file, the parser context and the chunk buffer for
 * the duration of the call and releases them before it returns; struct xlsx_part is the
 * caller's and holds nothing to free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "utf8.h"
#include "xlsx_int.h"

/* Inflated bytes handed to the parser at a time. */
#define PART_CHUNK (64u << 10)

/*
 * Follow the markup of n raw bytes just read and count the character data between two
 * element tags (text and CDATA alike; comments and processing instructions neither count
 * nor end a run).  Returns -1 as soon as a run passes p->run_cap: one linear pass over
 * the bytes, before libxml2 has seen any of that text.
 */
static int
text_scan(struct xlsx_part *p, const char *buf, size_t n)
{
	static const char cdata[] = "[CDATA[";
	/* The scan's state in locals: p is not reloaded after every byte. */
	enum xlsx_scan scan = p->scan;
	char quote = p->quote;
	int seen = p->seen, rc = 0;
	size_t run = p->run, run_cap = p->run_cap, i;
	const char *target;

	for (i = 0; i < n; i++) {
		char c = buf[i];

		switch (scan) {
		case SCAN_TEXT: {
			/* Most bytes are text: skip to the next '<' at once. */
			const char *lt = memchr(buf + i, '<', n - i);
			size_t k = lt ? (size_t)(lt - (buf + i)) : n - i;

			run += k;
			if (run > run_cap) {
				rc = -1;
				goto out;
			}
			i += k;
			if (lt != NULL)
				scan = SCAN_LT;
			break;
		}
		case SCAN_LT:
			seen = 0;
			if (c == '!') {
				scan = SCAN_BANG;
			} else if (c == '?') {
				scan = SCAN_PI;
			} else {
				scan = c == '>' ? SCAN_TEXT : SCAN_TAG;
				run = 0;
			}
			break;
		case SCAN_TAG:
			/* Skip to the next quote or '>' at once. */
			while (c != '"' && c != '\'' && c != '>') {
				if (++i == n)
					goto out;
				c = buf[i];
			}
			if (c == '>') {
				scan = SCAN_TEXT;
			} else {
				quote = c;
				scan = SCAN_QUOTE;
			}
			break;
		case SCAN_QUOTE: {
			const char *q = memchr(buf + i, quote, n - i);

			if (q == NULL)
				goto out;
			i = (size_t)(q - buf);
			scan = SCAN_TAG;
			break;
		}
		case SCAN_BANG:
			/* "--" opens a comment, "[CDATA[" a CDATA section; the rest are declarations
			 * (DOCTYPE...), which the reader refuses anyway. */
			if (seen == 0)
				quote = c;
			target = quote == '-' ? "--" : cdata;
			if (c != target[seen]) {
				scan = c == '>' ? SCAN_TEXT : SCAN_TAG;
			} else if (target[++seen] == '\0') {
				scan = quote == '-' ? SCAN_COMMENT : SCAN_CDATA;
				seen = 0;
			}
			break;
		case SCAN_COMMENT:
			if (c == '>' && seen >= 2)
				scan = SCAN_TEXT;
			seen = c == '-' ? seen + 1 : 0;
			break;
		case SCAN_CDATA:
			if (c == '>' && seen >= 2) {
				scan = SCAN_TEXT;
			} else if (++run > run_cap) {
				rc = -1;
				goto out;
			}
			seen = c == ']' ? seen + 1 : 0;
			break;
		case SCAN_PI:
			if (c == '>' && seen)
				scan = SCAN_TEXT;
			seen = c == '?';
			break;
		}
	}
out:
	p->scan = scan;
	p->quote = quote;
	p->seen = seen;
	p->run = run;
	return rc;
}

/* ---- attributes -------------------------------------------------------------------- */

const char *
xlsx_attr(const struct xlsx_attrs *at, const char *name, size_t *len)
{
	int i;

	for (i = 0; i < at->n; i++) {
		const xmlChar **a = at->a + 5 * i;

		if (strcmp((const char *)a[0], name) == 0) {
			*len = (size_t)(a[4] - a[3]);
			return (const char *)a[3];
		}
	}
	return NULL;
}

char *
xlsx_attr_dup(const struct xlsx_attrs *at, const char *name)
{
	size_t len;
	const char *v = xlsx_attr(at, name, &len);

	return v ? xstrndup(v, len) : NULL;
}

/* ---- SAX2 callbacks ---------------------------------------------------------------- */

/* Stop the parser after a handler or a check said so (rc 1: done, -1: err filled). */
static void
halt(struct xlsx_part *p, int rc)
{
	p->status = rc < 0 ? -1 : 1;
	xmlStopParser(p->ctxt);
}

static void
refuse_dtd(struct xlsx_part *p)
{
	if (p->status != 0)
		return;
	xlsx_fail(p->err, FB_EINVAL, "xlsx.doctype", "part", xlsx_str(p->name));
	halt(p, -1);
}

static void
sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
          int nns, const xmlChar **ns, int nattrs, int ndefaulted, const xmlChar **attrs)
{
	struct xlsx_part *p = ctx;
	struct xlsx_attrs at = {attrs, nattrs};
	int depth = p->depth++, empty, rc;

	(void)prefix;
	(void)uri;
	(void)nns;
	(void)ns;
	(void)ndefaulted;
	if (p->status != 0)
		return;
	if (depth > XLSX_MAX_DEPTH) {
		xlsx_fail(p->err, FB_EINVAL, "xlsx.too_deep", "part", xlsx_str(p->name), "max",
		          xlsx_num(XLSX_MAX_DEPTH));
		halt(p, -1);
		return;
	}
	/*
	 * libxml2 calls startElementNs once it has read the attributes and before it looks
	 * for "/>" or ">": the input then stands on one of them.  Readers tell <x/> from
	 * <x></x> (an empty <c/> is no cell at all), which SAX2 alone does not say.
	 */
	empty = p->ctxt->input != NULL && p->ctxt->input->cur != NULL &&
	        p->ctxt->input->cur[0] == '/';
	p->drop_end = empty;
	if (p->h->start != NULL &&
	    (rc = p->h->start(p->arg, (const char *)local, depth, empty, &at, p->err)) != 0)
		halt(p, rc);
}

static void
sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct xlsx_part *p = ctx;
	int depth = --p->depth, rc;

	(void)prefix;
	(void)uri;
	if (p->status != 0)
		return;
	if (p->drop_end) {
		p->drop_end = 0;
		return;
	}
	if (p->h->end != NULL &&
	    (rc = p->h->end(p->arg, (const char *)local, depth, p->err)) != 0)
		halt(p, rc);
}

static void
sax_text(void *ctx, const xmlChar *s, int n)
{
	struct xlsx_part *p = ctx;
	int rc;

	p->drop_end = 0;
	if (p->status != 0 || n <= 0 || p->h->text == NULL)
		return;
	if ((rc = p->h->text(p->arg, (const char *)s, (size_t)n, p->err)) != 0)
		halt(p, rc);
}

static void
sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	(void)name;
	(void)ext;
	(void)sys;
	refuse_dtd(ctx);
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
                const xmlChar *sys, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pub;
	(void)sys;
	(void)content;
	refuse_dtd(ctx);
}

static void
sax_reference(void *ctx, const xmlChar *name)
{
	(void)name;
	refuse_dtd(ctx);
}

static void
sax_error(void *ctx, xmlErrorPtr e)
{
	struct xlsx_part *p = ctx;
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR || p->xmsg[0] != '\0')
		return;
	snprintf(p->xmsg, sizeof(p->xmsg), "%s", e->message ? e->message : "error");
	n = strlen(p->xmsg);
	while (n > 0 && (p->xmsg[n - 1] == '\n' || p->xmsg[n - 1] == ' '))
		p->xmsg[--n] = '\0';
	p->xline = e->line;
}

/* ---- reading ----------------------------------------------------------------------- */

int
xlsx_part_exists(struct xlsx *x, const char *name)
{
	return zip_name_locate(x->za, name, ZIP_FL_NOCASE) >= 0;
}

/* Inflate the next chunk into buf: bytes read (0 at the end), or -1 past a cap or on a
 * zip error (p says which). */
static zip_int64_t
part_read(struct xlsx_part *p, char *buf, size_t len)
{
	zip_int64_t n = zip_fread(p->zf, buf, len);

	if (n < 0) {
		p->zip_failed = 1;
		snprintf(p->zmsg, sizeof(p->zmsg), "%s", zip_file_strerror(p->zf));
		return -1;
	}
	p->read += (size_t)n;
	p->x->total += (size_t)n;
	if (p->read > p->cap)
		p->over = XLSX_OVER_PART;
	else if (p->x->total > p->x->lim.max_total_bytes)
		p->over = XLSX_OVER_TOTAL;
	else if (text_scan(p, buf, (size_t)n) < 0)
		p->over = XLSX_OVER_TEXT;
	return p->over != XLSX_OVER_NONE ? -1 : n;
}

static int
part_fail(struct xlsx_part *p, struct fb_err *err)
{
	if (p->over == XLSX_OVER_PART)
		xlsx_fail(err, FB_ETOOBIG, "xlsx.part_inflates", "part", xlsx_str(p->name), "max",
		          xlsx_num((long long)p->cap));
	else if (p->over == XLSX_OVER_TOTAL)
		xlsx_fail(err, FB_ETOOBIG, "xlsx.archive_inflates", "max",
		          xlsx_num((long long)p->x->lim.max_total_bytes));
	else if (p->over == XLSX_OVER_TEXT)
		xlsx_fail(err, FB_ETOOBIG, "xlsx.part_text_long", "part", xlsx_str(p->name), "max",
		          xlsx_num((long long)p->x->lim.max_cell_chars));
	else if (p->zip_failed)
		xlsx_fail(err, FB_EINVAL, "xlsx.part_corrupt", "part", xlsx_str(p->name), "detail",
		          xlsx_str(p->zmsg));
	else if (p->xmsg[0] != '\0')
		xlsx_fail(err, FB_EINVAL, "xlsx.xml_line", "part", xlsx_str(p->name), "line",
		          xlsx_num(p->xline), "detail", xlsx_str(p->xmsg));
	else
		xlsx_fail(err, FB_EINVAL, "xlsx.xml", "part", xlsx_str(p->name));
	return -1;
}

/* Open part `name` into p->zf, its size checked where the archive states one. */
static int
part_open(struct xlsx_part *p, struct fb_err *err)
{
	zip_int64_t idx = zip_name_locate(p->x->za, p->name, ZIP_FL_NOCASE);
	zip_stat_t st;

	if (idx < 0) {
		xlsx_fail(err, FB_EINVAL, "xlsx.part_missing", "part", xlsx_str(p->name));
		return -1;
	}
	zip_stat_init(&st);
	if (zip_stat_index(p->x->za, (zip_uint64_t)idx, 0, &st) == 0 &&
	    (st.valid & ZIP_STAT_SIZE) && st.size > p->cap) {
		xlsx_fail(err, FB_ETOOBIG, "xlsx.part_large", "part", xlsx_str(p->name), "max",
		          xlsx_num((long long)p->cap));
		return -1;
	}
	p->zf = zip_fopen_index(p->x->za, (zip_uint64_t)idx, 0);
	if (p->zf == NULL) {
		xlsx_fail(err, FB_EINVAL, "xlsx.part_unreadable", "part", xlsx_str(p->name), "detail",
		          xlsx_str(zip_strerror(p->x->za)));
		return -1;
	}
	return 0;
}

int
xlsx_part_parse(struct xlsx *x, const char *name, const struct xlsx_handler *h, void *arg,
                struct xlsx_part *p, struct fb_err *err)
{
	xmlSAXHandler sax;
	char *buf = NULL;
	zip_int64_t n;
	int rc = -1, first;

	memset(p, 0, sizeof(*p));
	p->x = x;
	p->name = name;
	p->h = h;
	p->arg = arg;
	p->err = err;
	p->cap = x->lim.max_part_bytes;
	p->run_cap = x->lim.max_cell_chars * XLSX_RAW_BYTES_PER_CHAR;
	if (part_open(p, err) < 0)
		return -1;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = sax_start;
	sax.endElementNs = sax_end;
	sax.characters = sax_text;
	sax.ignorableWhitespace = sax_text;
	sax.cdataBlock = sax_text;
	sax.internalSubset = sax_internal_subset;
	sax.externalSubset = sax_internal_subset;
	sax.entityDecl = sax_entity_decl;
	sax.reference = sax_reference;
	sax.serror = sax_error;

	buf = xmalloc(PART_CHUNK);
	for (first = 1;; first = 0) {
		size_t off = 0;

		if ((n = part_read(p, buf, PART_CHUNK)) < 0)
			goto fail;
		if (first) {
			/* The first bytes tell libxml2 the encoding. */
			off = n < 4 ? (size_t)n : 4;
			p->ctxt = xmlCreatePushParserCtxt(&sax, p, buf, (int)off, name);
			if (p->ctxt == NULL) {
				fb_err_set(err, FB_EINTERNAL, "xlsx: cannot parse part %s", name);
				goto out;
			}
			xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET);
		}
		if (xmlParseChunk(p->ctxt, buf + off, (int)((size_t)n - off), n == 0) != 0 &&
		    p->status == 0)
			goto fail;
		if (p->status != 0 || n == 0)
			break;
		if (!p->ctxt->wellFormed)
			goto fail;
	}
	if (p->status < 0)
		goto out;
	if (p->status == 0 && !p->ctxt->wellFormed)
		goto fail;
	rc = 0;
	goto out;
fail:
	part_fail(p, err);
out:
	if (p->ctxt != NULL)
		xmlFreeParserCtxt(p->ctxt);
	p->ctxt = NULL;
	zip_fclose(p->zf);
	p->zf = NULL;
	free(buf);
	return rc;
}

/* ---- numbers and message parameters ----------------------------------------------- */

struct json_object *
xlsx_str(const char *s)
{
	return json_object_new_string(s);
}

struct json_object *
xlsx_quote(const char *s, size_t len, size_t max)
{
	return json_object_new_string_len(s, (int)(len > max ? utf8_floor(s, max) : len));
}

struct json_object *
xlsx_num(long long n)
{
	return json_object_new_int64(n);
}

long
xlsx_parse_uint(const char *s, size_t n, long max)
{
	long v = 0;
	size_t i;

	if (s == NULL || n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		int d = s[i] - '0';

		if (d < 0 || d > 9 || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	return v;
}
