/* SPDX-License-Identifier: MIT */
/*
 * overview: counts that the metrics scrape (and the console) read often, each answered
 * from an index or a small table, never by reading the batch tables whole.
 */
#ifndef FB_OVERVIEW_H
#define FB_OVERVIEW_H

#include "db.h"
#include "err.h"

struct overview_batches {
	long long init, running; /* batches not yet settled, by status */
};

/* From the partial index batch_task_active_idx (only unsettled batches are in it). */
int overview_active_batches(struct db *db, struct overview_batches *out,
                            struct fb_err *err) FB_MUSTCHECK;

#endif
