/* SPDX-License-Identifier: MIT */
/*
 * usercache: the users rows a request thread looked up last, so that a burst of API
 * requests of one login costs one users lookup per web.user_cache_ms instead of one per
 * request.  Each request thread owns one (no locking); only rows that were found are kept,
 * so an unknown login is looked up every time.
 */
#ifndef FB_USERCACHE_H
#define FB_USERCACHE_H

#include "user.h"

#define USER_CACHE_SLOTS 8

struct user_cache {
	struct user_cache_slot {
		struct user_rec rec;
		long long at_ms; /* monotonic time of the lookup; 0: empty */
	} slot[USER_CACHE_SLOTS];
	unsigned next; /* the slot a new login replaces */
};

/* 1 and out filled when login's row was looked up less than ttl_ms before now_ms; else 0. */
int user_cache_get(const struct user_cache *c, const char *login, long long now_ms, int ttl_ms,
                   struct user_rec *out);
/* Keep rec, looked up at now_ms (> 0), in place of the same login's or the oldest slot. */
void user_cache_put(struct user_cache *c, const struct user_rec *rec, long long now_ms);

#endif
