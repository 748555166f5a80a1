/* SPDX-License-Identifier: MIT */
/*
 * mem: abort-on-OOM wrappers, the request arena and a growable buffer.
 *
 * The arena is a list of blocks; large requests get a block of their own.  Deferred
 * callbacks (closing a file, freeing a json object) run when the arena is freed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static void
oom(size_t n)
{
	fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory\",\"bytes\":%zu}\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return p;
}

#define ARENA_BLOCK 8192

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct deferred {
	struct deferred *next;
	void (*fn)(void *);
	void *arg;
};

struct arena {
	struct block *blocks;
	struct deferred *deferred;
};

struct arena *
arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void
arena_free(struct arena *a)
{
	struct block *b, *next;
	struct deferred *d;

	if (a == NULL)
		return;
	while ((d = a->deferred) != NULL) {
		a->deferred = d->next;
		d->fn(d->arg);
	}
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct block *b = a->blocks;
	size_t need = (n + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
	void *p;

	if (need == 0)
		need = _Alignof(max_align_t);
	if (b == NULL || b->size - b->used < need) {
		size_t size = need > ARENA_BLOCK / 2 ? need : ARENA_BLOCK;

		b = xmalloc(sizeof(*b) + size);
		b->used = 0;
		b->size = size;
		if (need > ARENA_BLOCK / 2 && a->blocks != NULL) {
			/* Keep the current block in front: it still has room. */
			b->next = a->blocks->next;
			a->blocks->next = b;
		} else {
			b->next = a->blocks;
			a->blocks = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void
arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
	struct deferred *d = arena_alloc(a, sizeof(*d));

	d->fn = fn;
	d->arg = arg;
	d->next = a->deferred;
	a->deferred = d;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap - b->len < n + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	buf_add(b, p, (size_t)n);
	free(p);
}

const char *
buf_cstr(struct buf *b)
{
	if (b->data == NULL)
		buf_add(b, "", 0);
	return b->data;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}
