/* SPDX-License-Identifier: MIT */
/*
 * mem: allocation that never returns NULL (out of memory aborts), and an arena.
 *
 * An arena hands out memory that is released all at once by arena_free(): one per web
 * request, so that a handler never frees piecemeal.  Pointers from arena_* are borrowed
 * until the arena is freed.
 */
#ifndef FB_MEM_H
#define FB_MEM_H

#include <stddef.h>
#include "err.h"

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) FB_PRINTF(1, 2);

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) FB_PRINTF(2, 3);
/* Run fn(arg) when the arena is freed, in reverse order of registration. */
void arena_defer(struct arena *a, void (*fn)(void *), void *arg);

/* A growable byte buffer; the caller frees buf.data with free(). */
struct buf {
	char *data;
	size_t len, cap;
};
void buf_add(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) FB_PRINTF(2, 3);
/* NUL-terminate without counting it in len. */
const char *buf_cstr(struct buf *b);
void buf_reset(struct buf *b);

#endif
