/* SPDX-License-Identifier: MIT */
/*
 * schedule: the runner's clock — publishes the periodic system jobs (batch.recover every
 * batch.recover_interval_seconds).  Every runner ticks; a Redis lock that lives for one
 * interval makes exactly one of them publish each time.
 */
#ifndef FB_SCHEDULE_H
#define FB_SCHEDULE_H

#include "config.h"

struct schedule;

struct schedule *schedule_new(void);
/* Called about once a second from the runner's main thread; errors are logged. */
void schedule_tick(struct schedule *s, const struct fb_config *cfg);
void schedule_free(struct schedule *s);

#endif
