/* SPDX-License-Identifier: MIT */
/*
 * schedule: the scheduler — fires due crontabs (see crontab.h).  Every runner runs one
 * scheduler thread; one of them at a time is the leader, by a Redis lock with a token
 * (renewed at a third of scheduler.lock_ttl_ms) and a fencing epoch in PostgreSQL
 * (crontab_fire.h).  The leader sleeps until the earliest next_run_at (an indexed min,
 * never a scan), wakes at once on a NOTIFY crontab_changed (a crontab or a run now changed),
 * fires what is due and publishes the history rows not yet published.  The others try the
 * lock every second, so a leader that dies is replaced within the lock's lifetime.
 */
#ifndef FB_SCHEDULE_H
#define FB_SCHEDULE_H

#include "config.h"

struct schedule;

struct schedule *schedule_new(void);
/*
 * Called about once a second from the runner's main thread with the current config
 * (borrowed: it must live until schedule_free); the first call starts the thread.
 */
void schedule_tick(struct schedule *s, const struct fb_config *cfg);
/* Stop the thread (a leader gives up its lock) and free everything. */
void schedule_free(struct schedule *s);

#endif
