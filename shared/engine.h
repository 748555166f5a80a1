/* SPDX-License-Identifier: MIT */
/*
 * engine: the approval step, applied to a batch's items chunk by chunk.
 *
 * An executor claims up to batch.chunk_size pending items of a batch (FOR UPDATE SKIP
 * LOCKED, so that several executors on several runners share one batch), locks their
 * tasks and sessions, classifies and advances each item, and commits the chunk with the
 * item outcomes, the counter deltas and the heartbeat together.  A crash redoes the
 * chunk; a final item is never touched again, which makes every redelivery harmless.  An
 * unexpected database error in a chunk re-runs it one item per transaction, so that one
 * bad item fails alone.
 */
#ifndef FB_ENGINE_H
#define FB_ENGINE_H

#include <stdint.h>

#include "chunk.h"
#include "config.h"
#include "db.h"
#include "err.h"

/*
 * Execute batch id until nothing is left to claim or *stopping is set (out->more: items
 * are left, publish a continuation).  slot spreads the counter updates of concurrent
 * executors over rows of batch_counter.  *out is filled also on failure (the chunks
 * committed before it).
 */
int engine_run(struct db *db, const struct fb_config *cfg, int64_t id, int slot,
               volatile int *stopping, struct chunk_result *out, struct fb_err *err) FB_MUSTCHECK;

#endif
