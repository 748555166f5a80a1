/* SPDX-License-Identifier: MIT */
/*
 * watch: flowbatch-web's alert thread.  Every alerts.watch_seconds it evaluates the alert
 * rule that no runner can evaluate — no_live_runner (alert.h) — and sends the alert
 * webhooks that are due, which matters most when no runner is left to send them.  Several
 * web processes may do it at once: the unique open alert per (rule, subject) and the
 * notification lease keep that harmless.
 */
#ifndef FB_WATCH_H
#define FB_WATCH_H

#include "config.h"

struct watch;

/* Start the thread (cfg borrowed until watch_stop); NULL when it could not start. */
struct watch *watch_start(const struct fb_config *cfg);
/* Stop the thread (within about a tenth of a second, or a webhook's timeout) and free it. */
void watch_stop(struct watch *w);

#endif
