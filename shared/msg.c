/* SPDX-License-Identifier: MIT */
/*
 * msg: looking up and rendering the message catalogue (msg_catalogue.c) in zh-CN and en
 * (see msg.h for the rules a rendering follows).  Nothing here keeps state.
 * Placeholders are {name} (the parameter's value) and {name@prefix} (the text of the
 * message "prefix.<value>" when the catalogue has it, else the value: states, operation
 * names and JSON types read in the reader's language).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "msg_int.h"
#include "utf8.h"

static const struct msg_def *
find(const char *code, size_t len)
{
	size_t i;

	for (i = 0; i < msg_catalogue_len; i++)
		if (strncmp(msg_catalogue[i].code, code, len) == 0 && msg_catalogue[i].code[len] == '\0')
			return &msg_catalogue[i];
	return NULL;
}

int
msg_lang_from_tag(const char *tag, size_t len, enum msg_lang *out)
{
	static const char *const primary[] = {[MSG_ZH] = "zh", [MSG_EN] = "en"};
	size_t l;

	if (len < 2 || (len > 2 && tag[2] != '-' && tag[2] != '_'))
		return 0;
	for (l = 0; l < sizeof(primary) / sizeof(primary[0]); l++) {
		if (strncasecmp(tag, primary[l], 2) == 0) {
			*out = (enum msg_lang)l;
			return 1;
		}
	}
	return 0;
}

int
msg_known(const char *code)
{
	return code != NULL && find(code, strlen(code)) != NULL;
}

size_t
msg_count(void)
{
	return msg_catalogue_len;
}

const char *
msg_code_at(size_t i)
{
	return i < msg_catalogue_len ? msg_catalogue[i].code : NULL;
}

const char *
msg_text_at(size_t i, enum msg_lang lang)
{
	return i < msg_catalogue_len ? msg_catalogue[i].text[lang] : NULL;
}

/* Append s cut at max bytes on a character boundary, control characters as spaces. */
static void
put_text(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n > max) {
		n = utf8_floor(s, max);
	}
	for (i = 0; i < n; i++) {
		char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];

		buf_add(b, &c, 1);
	}
	if (n < strlen(s))
		buf_puts(b, "…");
}

static void render(struct buf *b, const char *code, struct json_object *params,
                   enum msg_lang lang, int depth);

/*
 * An object with "code" is a message of its own; when it also has "label" it is a
 * validation detail naming a field (and maybe a row and a column), said first.
 */
static void
put_nested(struct buf *b, struct json_object *o, enum msg_lang lang, int depth)
{
	struct json_object *code, *params = NULL, *label, *key, *row, *col, *clabel;

	json_object_object_get_ex(o, "code", &code);
	json_object_object_get_ex(o, "params", &params);
	if (json_object_object_get_ex(o, "label", &label) &&
	    json_object_object_get_ex(o, "field", &key)) {
		struct json_object *where = msg_args("label", json_object_get(label), "key",
		                                     json_object_get(key), NULL);
		const char *wcode = "form.at_field";

		if (json_object_object_get_ex(o, "row", &row)) {
			json_object_object_add(where, "row", json_object_get(row));
			wcode = "form.at_row";
		}
		if (json_object_object_get_ex(o, "column", &col) &&
		    json_object_object_get_ex(o, "column_label", &clabel)) {
			json_object_object_add(where, "column", json_object_get(col));
			json_object_object_add(where, "column_label", json_object_get(clabel));
			wcode = "form.at_cell";
		}
		render(b, wcode, where, lang, depth + 1);
		json_object_put(where);
	}
	render(b, json_object_get_string(code), params, lang, depth + 1);
}

static void
put_value(struct buf *b, struct json_object *v, const char *prefix, size_t plen,
          enum msg_lang lang, int depth)
{
	struct json_object *code;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return;
	case json_type_string:
		if (prefix != NULL) {
			const char *s = json_object_get_string(v);
			size_t slen = strlen(s);
			char *full = xmalloc(plen + 1 + slen + 1);
			const struct msg_def *d;

			memcpy(full, prefix, plen);
			full[plen] = '.';
			memcpy(full + plen + 1, s, slen + 1);
			d = find(full, plen + 1 + slen);
			free(full);
			if (d != NULL) {
				buf_puts(b, d->text[lang]);
				return;
			}
		}
		put_text(b, json_object_get_string(v), MSG_PARAM_MAX);
		return;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			if (i > 0)
				buf_puts(b, json_object_is_type(e, json_type_object)
				                ? "; "
				                : (lang == MSG_ZH ? "、" : ", "));
			if (depth >= MSG_MAX_DEPTH || b->len >= MSG_TEXT_MAX) {
				buf_puts(b, "…");
				return;
			}
			put_value(b, e, prefix, plen, lang, depth + 1);
		}
		return;
	case json_type_object:
		if (json_object_object_get_ex(v, "code", &code) &&
		    json_object_is_type(code, json_type_string) && depth < MSG_MAX_DEPTH) {
			put_nested(b, v, lang, depth);
			return;
		}
		put_text(b, json_object_to_json_string_ext(v,
		                                           JSON_C_TO_STRING_PLAIN |
		                                               JSON_C_TO_STRING_NOSLASHESCAPE),
		         MSG_PARAM_MAX);
		return;
	default:
		put_text(b, json_object_get_string(v), MSG_PARAM_MAX);
		return;
	}
}

static void
render(struct buf *b, const char *code, struct json_object *params, enum msg_lang lang,
       int depth)
{
	const struct msg_def *d = code ? find(code, strlen(code)) : NULL;
	const char *p, *q;

	if (d == NULL) {
		put_text(b, code ? code : "", MSG_PARAM_MAX);
		return;
	}
	for (p = d->text[lang]; *p != '\0'; p = q) {
		const char *close, *at;
		struct json_object *v;
		char name[64];
		size_t nlen;

		q = strchr(p, '{');
		if (q == NULL) {
			buf_puts(b, p);
			break;
		}
		buf_add(b, p, (size_t)(q - p));
		close = strchr(q, '}');
		if (close == NULL) {
			buf_puts(b, q);
			break;
		}
		at = memchr(q, '@', (size_t)(close - q));
		nlen = (size_t)((at ? at : close) - q - 1);
		if (nlen >= sizeof(name))
			nlen = sizeof(name) - 1;
		memcpy(name, q + 1, nlen);
		name[nlen] = '\0';
		if (params != NULL && json_object_object_get_ex(params, name, &v))
			put_value(b, v, at ? at + 1 : NULL, at ? (size_t)(close - at - 1) : 0, lang,
			          depth);
		q = close + 1;
	}
}

void
msg_render_buf(struct buf *b, const char *code, struct json_object *params,
               enum msg_lang lang)
{
	size_t start = b->len;

	render(b, code, params, lang, 0);
	if (b->len - start > MSG_TEXT_MAX) {
		b->len = start + utf8_floor(b->data + start, MSG_TEXT_MAX);
		buf_puts(b, "…");
	}
}

char *
msg_render(const char *code, struct json_object *params, enum msg_lang lang)
{
	struct buf b = {0};

	msg_render_buf(&b, code, params, lang);
	buf_cstr(&b);
	return b.data ? b.data : xstrdup("");
}

char *
msg_render_detail(struct json_object *detail, enum msg_lang lang)
{
	struct buf b = {0};

	put_value(&b, detail, NULL, 0, lang, 0);
	buf_cstr(&b);
	return b.data ? b.data : xstrdup("");
}

struct json_object *
msg_args(const char *name, ...)
{
	struct json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, name);
	while (name != NULL) {
		json_object_object_add(o, name, va_arg(ap, struct json_object *));
		name = va_arg(ap, const char *);
	}
	va_end(ap);
	return o;
}

void
msg_reason_set(struct msg_reason *r, const char *code, struct json_object *params)
{
	json_object_put(r->params);
	r->code = code;
	r->params = params;
}

void
msg_reason_clear(struct msg_reason *r)
{
	msg_reason_set(r, NULL, NULL);
}

struct json_object *
msg_reason_json(const struct msg_reason *r)
{
	struct json_object *o;
	char *en;

	if (r->code == NULL)
		return NULL;
	o = json_object_new_object();
	en = msg_render(r->code, r->params, MSG_EN);
	json_object_object_add(o, "c", json_object_new_string(r->code));
	json_object_object_add(o, "p", r->params ? json_object_get(r->params) : json_object_new_object());
	json_object_object_add(o, "e", json_object_new_string(en));
	free(en);
	return o;
}

/* The params of a stored reason: new object (an unreadable text counts as none). */
static struct json_object *
stored_params(const char *code, const char *params_text, const char *text)
{
	struct json_object *p = NULL;

	if (code == NULL)
		return msg_args("text", json_object_new_string(text), NULL);
	if (params_text != NULL)
		p = json_tokener_parse(params_text);
	if (p == NULL || !json_object_is_type(p, json_type_object)) {
		json_object_put(p);
		p = json_object_new_object();
	}
	return p;
}

char *
msg_reason_text(const char *code, const char *params_text, const char *text, enum msg_lang lang)
{
	struct json_object *p;
	char *out;

	if (code == NULL && text == NULL)
		return NULL;
	p = stored_params(code, params_text, text);
	out = msg_render(code ? code : MSG_TEXT_CODE, p, lang);
	json_object_put(p);
	return out;
}

void
msg_reason_add(struct json_object *o, const char *code, const char *params_text,
               const char *text, enum msg_lang lang)
{
	struct json_object *p;
	char *said;

	if (code == NULL && text == NULL) {
		json_object_object_add(o, "reason_code", NULL);
		json_object_object_add(o, "reason_params", NULL);
		json_object_object_add(o, "reason", NULL);
		return;
	}
	p = stored_params(code, params_text, text);
	said = msg_render(code ? code : MSG_TEXT_CODE, p, lang);
	json_object_object_add(o, "reason_code", json_object_new_string(code ? code : MSG_TEXT_CODE));
	json_object_object_add(o, "reason_params", p);
	json_object_object_add(o, "reason", json_object_new_string(said));
	free(said);
}
