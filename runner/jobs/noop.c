/* SPDX-License-Identifier: MIT */
/*
 * noop: a job that does nothing, for tests of the queue and the worker pool.
 *
 * args: {"sleep_ms": 0..60000, "fail": true|false, "message": "..."}.  It sleeps the whole
 * time even while the runner drains (a job in hand is finished, not abandoned; the bound
 * keeps a drain short), then succeeds, or fails with message when fail is true.  A
 * scheduled run asked to stop (jobs_cancel_requested, looked at every 200 ms: its steps)
 * stops sleeping and returns at once.  No memory outlives the call.
 */
#include <errno.h>
#include <time.h>

#include <json-c/json.h>

#include "jobs.h"
#include "jsonh.h"

#define NOOP_MAX_SLEEP_MS 60000
#define NOOP_SLICE_MS 50
#define NOOP_CANCEL_EVERY 4 /* slices between two cancel checks */

/* Sleep ms; 1 when stopped early by a cancel request. */
static int
sleep_ms(struct job_ctx *ctx, long ms)
{
	int n = 0;

	while (ms > 0) {
		long slice = ms < NOOP_SLICE_MS ? ms : NOOP_SLICE_MS;
		struct timespec ts = {0, slice * 1000000L};

		if (n++ % NOOP_CANCEL_EVERY == 0 && jobs_cancel_requested(ctx))
			return 1;
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		ms -= slice;
	}
	return 0;
}

int
job_noop(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	static const char *const allowed[] = {"sleep_ms", "fail", "message", NULL};
	const char *message = "noop asked to fail";
	int64_t ms = 0;
	int fail = 0;

	if (jsonh_only_keys(args, allowed, err) < 0 ||
	    jsonh_get_int(args, "sleep_ms", 0, NOOP_MAX_SLEEP_MS, &ms, err) < 0 ||
	    jsonh_get_bool(args, "fail", &fail, err) < 0 ||
	    jsonh_get_str(args, "message", &message, err) < 0)
		return -1;
	if (ms > 0 && sleep_ms(ctx, (long)ms))
		return 0;
	if (fail) {
		fb_err_set(err, FB_EINVAL, "%s", message);
		return -1;
	}
	return 0;
}
