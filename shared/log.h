/* SPDX-License-Identifier: MIT */
/*
 * log: one JSON object a line on stderr: ts, level, msg, then key/value fields.
 *
 *   log_info("batch finished", "batch_id", LOG_INT(id), "failed", LOG_INT(n), NULL);
 *
 * Fields are pairs of a key and a value made with LOG_STR/LOG_INT; the list ends with NULL.
 * Lines are written with one write(2) so that threads do not interleave.
 */
#ifndef FB_LOG_H
#define FB_LOG_H

#include "err.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

struct log_val {
	int is_int;
	long long i;
	const char *s;
};
#define LOG_STR(x) (&(struct log_val){.is_int = 0, .s = (x)})
#define LOG_INT(x) (&(struct log_val){.is_int = 1, .i = (long long)(x)})

void log_set_level(enum log_level level);
int log_parse_level(const char *name, enum log_level *out);
void log_msg(enum log_level level, const char *msg, ...);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
