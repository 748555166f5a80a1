/* SPDX-License-Identifier: MIT */
/*
 * limiter: at most N requests of one kind at once across the request threads (imports and
 * Excel exports, which hold a whole upload or a workbook in memory or on disk).  A request
 * over the limit is not queued: it is answered 503 with Retry-After at once, so that a
 * burst of uploads cannot exhaust memory and the other threads stay free for the API.
 *
 * The server owns one struct limiter (limiter_init/limiter_destroy) and lends it to every
 * request thread; a request takes a slot with request_limit() and gives it back when its
 * arena is freed, on every path.
 */
#ifndef FB_LIMITER_H
#define FB_LIMITER_H

#include <pthread.h>

#include "err.h"

struct request;

struct limiter {
	pthread_mutex_t mu;
	int max;  /* slots */
	int busy; /* slots taken */
};

/* Seconds a refused client is told to wait (Retry-After). */
#define LIMITER_RETRY_AFTER 5

/* max slots; max < 1 means half of threads, at least 1. */
void limiter_init(struct limiter *l, int max, int threads);
void limiter_destroy(struct limiter *l);
/* 1 when a slot was taken (give it back with limiter_leave), 0 when all are busy. */
int limiter_enter(struct limiter *l) FB_MUSTCHECK;
void limiter_leave(struct limiter *l);

/*
 * Take a slot of l for request r until its arena is freed; what names the kind of request
 * in the answer (busy.<what> of msg.c's catalogue, e.g. "excel").  l NULL (no limiter configured) admits.  -1 with FB_EBUSY when all slots
 * are taken.
 */
int request_limit(struct request *r, struct limiter *l, const char *what,
                  struct fb_err *err) FB_MUSTCHECK;

#endif
