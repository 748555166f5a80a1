/* SPDX-License-Identifier: MIT */
/*
 * router: the table of method + path pattern → handler.
 *
 * Patterns are literal segments and "{id}" (a positive decimal id, captured) or "{name}"
 * (any non-empty segment, captured).  A path that matches a pattern under another method
 * is a 405; no pattern at all is a 404.  The table is static and read-only.
 */
#ifndef FB_ROUTER_H
#define FB_ROUTER_H

#include "request.h"

/* A handler answers with respond_*() and returns 0, or returns -1 with err filled. */
typedef int (*handler_fn)(struct request *r, struct fb_err *err);

enum route_flags {
	ROUTE_PUBLIC = 0,
	ROUTE_USER = 1,  /* needs REMOTE_USER naming a known user */
	ROUTE_ADMIN = 3, /* and that user must be an admin */
};

struct route {
	const char *method;
	const char *pattern;
	handler_fn handler;
	enum route_flags flags;
};

/* The application's table (router.c), terminated by a NULL method. */
extern const struct route router_routes[];

/*
 * Find the route for method and path in table; captured args go to args (borrowed from
 * path's copy in a).  NULL with err FB_ENOTFOUND or FB_EMETHOD.
 */
const struct route *router_match(const struct route *table, struct arena *a, const char *method,
                                 const char *path, const char *args[REQUEST_MAX_PATH_ARGS],
                                 struct fb_err *err);

#endif
