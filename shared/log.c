/* SPDX-License-Identifier: MIT */
/*
 * log: JSON lines on stderr.  The level is the only state; it is set at start-up and again
 * by the runner's main thread on SIGHUP while other threads log, so it is atomic (relaxed:
 * nothing else is published with it).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

static atomic_int min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&min_level, (int)level, memory_order_relaxed);
}

int
log_parse_level(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Append s as a JSON string, escaping what JSON requires; UTF-8 passes through. */
static void
put_json_string(struct buf *b, const char *s)
{
	const unsigned char *p;

	buf_add(b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default:
			if (*p < 0x20)
				buf_printf(b, "\\u%04x", *p);
			else
				buf_add(b, p, 1);
		}
	}
	buf_add(b, "\"", 1);
}

void
log_msg(enum log_level level, const char *msg, ...)
{
	struct buf b = {0};
	struct timespec ts;
	struct tm tm;
	char when[40];
	const char *key;
	va_list ap;

	if ((int)level < atomic_load_explicit(&min_level, memory_order_relaxed))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":", when,
	           ts.tv_nsec / 1000000, level_names[level]);
	put_json_string(&b, msg);
	va_start(ap, msg);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const struct log_val *v = va_arg(ap, const struct log_val *);

		buf_add(&b, ",", 1);
		put_json_string(&b, key);
		buf_add(&b, ":", 1);
		if (v->is_int)
			buf_printf(&b, "%lld", v->i);
		else
			put_json_string(&b, v->s ? v->s : "");
	}
	va_end(ap);
	buf_add(&b, "}\n", 2);
	if (write(STDERR_FILENO, b.data, b.len) < 0) {
		/* Nowhere left to report it. */
	}
	free(b.data);
}
