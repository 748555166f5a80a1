/* SPDX-License-Identifier: MIT */
/*
 * msg: the catalogue of what flowbatch says to users, in zh-CN and en.
 *
 * Every message has a stable code ("item.not_assigned") and a text per language with named
 * placeholders ("{node}").  What is stored (an item's failure reason) and what an error
 * carries is the code and its parameters, a JSON object; the text is made when a reader
 * asks, in the reader's language.  Rendering never interprets a parameter as a format:
 * a string is copied with control characters replaced by spaces and cut at
 * MSG_PARAM_MAX bytes on a character boundary, a number or boolean is printed, an array
 * is its elements joined, an object carrying "code" is itself a message (rendered in the
 * same language, MSG_MAX_DEPTH deep at most), and the whole text is at most MSG_TEXT_MAX
 * bytes.  The result is plain UTF-8 text: JSON, XML (xlsx) and the console's textContent
 * escape it where they put it.
 *
 * Memory: the catalogue is static; msg_render() returns a string the caller frees;
 * msg_args() returns a new JSON object.
 */
#ifndef FB_MSG_H
#define FB_MSG_H

#include <stddef.h>

struct json_object;
struct buf;

enum msg_lang {
	MSG_ZH = 0, /* zh-CN, the default */
	MSG_EN = 1,
};

#define MSG_PARAM_MAX 300
#define MSG_TEXT_MAX 2000
#define MSG_MAX_DEPTH 3

/* The code that keeps a reason stored before codes existed: params {"text": ...}. */
#define MSG_TEXT_CODE "text"

/* The language of a tag as the console and Accept-Language name it: zh* → zh, en* → en. */
int msg_lang_from_tag(const char *tag, size_t len, enum msg_lang *out);
/* True when code is in the catalogue. */
int msg_known(const char *code);
/*
 * The text of code with params (may be NULL) in lang; an unknown code renders as the code
 * itself.  The caller frees.
 */
char *msg_render(const char *code, struct json_object *params, enum msg_lang lang);
/* The same, appended to b. */
void msg_render_buf(struct buf *b, const char *code, struct json_object *params,
                    enum msg_lang lang);
/*
 * A detail object {"code", "params"} said in lang, after the field, row and column it
 * names when it carries "label" (a form value's detail).  The caller frees.
 */
char *msg_render_detail(struct json_object *detail, enum msg_lang lang);
/*
 * Params from (name, json value) pairs ended by NULL; the values are stolen.  A NULL
 * value is stored as null.  New object.
 */
struct json_object *msg_args(const char *name, ...);
/*
 * Why an item failed or was ignored: a code and its params (owned, may be NULL).  Zeroed
 * means no reason.  msg_reason_set() replaces (and releases) what was there.
 */
struct msg_reason {
	const char *code; /* static */
	struct json_object *params;
};
void msg_reason_set(struct msg_reason *r, const char *code, struct json_object *params);
void msg_reason_clear(struct msg_reason *r);
/*
 * The reason as the executors write it: {"c": code, "p": params, "e": English text}, or
 * null when there is none; new object.
 */
struct json_object *msg_reason_json(const struct msg_reason *r);

/*
 * Add "reason_code", "reason_params" and "reason" (said in lang) to o from a stored
 * reason: its code and params (JSON text) and, for a row without a code, its text (kept
 * under the code "text").  All three are null when the row has no reason.
 */
void msg_reason_add(struct json_object *o, const char *code, const char *params_text,
                    const char *text, enum msg_lang lang);
/* The text of a stored reason in lang (as msg_reason_add says it); the caller frees. */
char *msg_reason_text(const char *code, const char *params_text, const char *text,
                      enum msg_lang lang);

/* The number of entries of the catalogue and the code of entry i (for tests and docs). */
size_t msg_count(void);
const char *msg_code_at(size_t i);
/* The raw text of entry i in lang, placeholders and all. */
const char *msg_text_at(size_t i, enum msg_lang lang);

#endif
