/* SPDX-License-Identifier: MIT */
/*
 * procexec: the execution of bulk process operations (procop.h has what they are and
 * their semantics table): the runner's process.bulk jobs call procexec_run.
 */
#ifndef FB_PROCEXEC_H
#define FB_PROCEXEC_H

#include <stdint.h>

#include "chunk.h"
#include "config.h"
#include "db.h"
#include "err.h"

/* 1 when name is one of the six operations. */
int procexec_known(const char *name);

/*
 * Execute operation id until nothing is left to claim or *stopping is set (out->more:
 * sessions are left, publish a continuation).  slot spreads the counter updates of
 * concurrent executors over rows of process_bulk_counter.
 */
int procexec_run(struct db *db, const struct fb_config *cfg, int64_t id, int slot,
                 volatile int *stopping, struct chunk_result *out,
                 struct fb_err *err) FB_MUSTCHECK;

/*
 * Inside a transaction: the pending rows of operation id not in flight become cancelled
 * (reason item.cancelled); *n counts them.
 */
int procexec_cancel_pending(struct db *db, int64_t id, long long *n,
                            struct fb_err *err) FB_MUSTCHECK;

#endif
