/* SPDX-License-Identifier: MIT */
/*
 * schedule: periodic system jobs (see schedule.h).  Owns one Redis connection, opened on
 * first use and reopened after an error.
 */
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "mem.h"
#include "queue.h"
#include "schedule.h"

struct schedule {
	struct queue *q;
	time_t next_recover;
};

struct schedule *
schedule_new(void)
{
	return xcalloc(1, sizeof(struct schedule));
}

void
schedule_tick(struct schedule *s, const struct fb_config *cfg)
{
	struct fb_err err = {0};
	time_t now = time(NULL);
	char token[33], job[37] = "";
	int got;

	if (now < s->next_recover)
		return;
	s->next_recover = now + cfg->batch_recover_interval_seconds;
	if (s->q == NULL && (s->q = queue_open(cfg, &err)) == NULL)
		goto fail;
	/* Held for one interval (not released): the other runners skip this round. */
	got = queue_lock(s->q, "schedule:batch.recover",
	                 (long)cfg->batch_recover_interval_seconds * 1000 - 200, token, &err);
	if (got < 0)
		goto fail;
	if (got == 1 && queue_publish(s->q, QUEUE_LOW, "batch.recover", NULL, job, &err) < 0)
		goto fail;
	return;
fail:
	log_warn("cannot publish batch.recover", "error", LOG_STR(err.msg), NULL);
	fb_err_clear(&err);
}

void
schedule_free(struct schedule *s)
{
	if (s == NULL)
		return;
	queue_close(s->q);
	free(s);
}
