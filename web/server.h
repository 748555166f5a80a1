/* SPDX-License-Identifier: MIT */
/*
 * server: the FastCGI accept loop of flowbatch-web — a pool of request threads, each with
 * its own database and Redis connections, and a clean stop on SIGTERM/SIGINT.
 */
#ifndef FB_SERVER_H
#define FB_SERVER_H

#include "config.h"
#include "err.h"

/*
 * Listen on cfg->web_listen and serve until SIGTERM or SIGINT.  Signals must already be
 * blocked in the calling thread (they are waited for here).  0 on a clean stop.
 */
int server_run(const struct fb_config *cfg, struct fb_err *err) FB_MUSTCHECK;

#endif
