/* SPDX-License-Identifier: MIT */
/*
 * taskcenter_push: the job taskcenter.push — send the due task-center rows of every
 * enabled platform, each platform with its own number of requests in flight
 * (max_concurrency), all on one libcurl multi handle so that a slow platform holds only its
 * own slots.  Answers are recorded together, by the statement that claims the platforms'
 * next due rows (one round trip for all that ended within FLUSH_MS, or as soon as a
 * quarter of the slots have one); connections to the platforms stay open between requests
 * (the multi handle's connection cache).  The job ends when nothing is in flight and no
 * platform has anything due (or the runner drains: what is claimed is finished first).
 *
 * A request is built, signed and classified by shared/webhook.c (Standard Webhooks
 * headers, TLS verified, no redirects, http and https only, bounded answer read; 2xx
 * delivered; 408, 429 with Retry-After, 5xx, timeouts and connection errors failed and
 * retried by taskcenter.retry; other answers rejected with their reason).
 *
 * Memory: every struct xfer (its webhook request) is owned by the job and freed when its
 * request ends or when the job leaves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <curl/curl.h>

#include "jobs.h"
#include "log.h"
#include "mem.h"
#include "taskcenter.h"
#include "webhook.h"

#define POLL_MS 100
/* A platform is given more rows once 1/REFILL_PART of its slots is free; answers are
 * recorded together once 1/REFILL_PART of all slots have one, or FLUSH_MS after the first. */
#define REFILL_PART 4
#define FLUSH_MS 20

struct plat {
	const struct tc_platform *p;
	int inflight;
	int drained; /* the last claim found nothing: wait for one of its requests to end */
};

struct xfer {
	struct xfer *prev, *next; /* the job's requests in flight */
	struct webhook_req *req;
	CURL *easy;               /* the request's, borrowed */
	struct plat *plat;
	int64_t id;
};

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	webhook_req_free(x->req);
	free(x);
}

/* The request of delivery d to platform pl; NULL with err when it cannot be made. */
static struct xfer *
xfer_new(struct plat *pl, const struct tc_delivery *d, struct fb_err *err)
{
	const struct webhook_target t = {
		.url = pl->p->url,
		.secret = pl->p->secret,
		.connect_timeout_ms = pl->p->connect_timeout_ms,
		.timeout_ms = pl->p->timeout_ms,
	};
	struct xfer *x = xcalloc(1, sizeof(*x));

	x->plat = pl;
	x->id = d->id;
	if ((x->req = webhook_req_new(&t, d->webhook_id, d->body, err)) == NULL) {
		free(x);
		return NULL;
	}
	x->easy = webhook_req_easy(x->req);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	return x;
}

struct run {
	CURLM *multi;
	struct xfer *head; /* in flight */
	int inflight;
	long long counts[3];
	struct tc_answer *answers; /* room for every request that may be in flight */
	size_t nans;               /* answers collected, not yet recorded */
	size_t flush_at;           /* record once this many are collected ... */
	long long first_ms;        /* ... or FLUSH_MS after the first of them */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
run_add(struct run *r, struct xfer *x)
{
	x->next = r->head;
	if (r->head != NULL)
		r->head->prev = x;
	r->head = x;
	curl_multi_add_handle(r->multi, x->easy);
	x->plat->inflight++;
	r->inflight++;
}

static void
run_remove(struct run *r, struct xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		r->head = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	curl_multi_remove_handle(r->multi, x->easy);
	x->plat->inflight--;
	r->inflight--;
}

/* Count the answers collected and log those not accepted; they are recorded. */
static void
answers_done(struct job_ctx *ctx, struct run *r)
{
	size_t i;

	for (i = 0; i < r->nans; i++) {
		const struct tc_answer *a = &r->answers[i];

		if (a->res.outcome != WEBHOOK_DELIVERED)
			log_info("task-center delivery not accepted", "job_id", LOG_STR(ctx->job_id),
			         "log_id", LOG_INT(a->id), "outcome",
			         LOG_STR(a->res.outcome == WEBHOOK_RETRY ? "failed" : "rejected"), "reason",
			         LOG_STR(a->res.reason), NULL);
		r->counts[a->res.outcome]++;
	}
	r->nans = 0;
}

/*
 * Claim and start what platform pl may send now; the answers collected, when there are
 * some, are recorded by the same statement.  0 / -1 (then the answers' rows stay 'sending'
 * until their lease ends).
 */
static int
fill(struct job_ctx *ctx, struct run *r, struct plat *pl, struct fb_err *err)
{
	struct tc_delivery *d = NULL;
	size_t n = 0, i, room;

	if (pl->drained || pl->inflight >= pl->p->max_concurrency)
		return 0;
	room = (size_t)(pl->p->max_concurrency - pl->inflight);
	/* While requests are in flight, claim once a quarter of the slots is free: a claim is a
	 * transaction, and claiming a few rows at a time would cost one per request. */
	if (pl->inflight > 0 && room < (size_t)(pl->p->max_concurrency / REFILL_PART))
		return 0;
	if (taskcenter_claim(ctx->db, pl->p, ctx->cfg->taskcenter_task_url,
	                     ctx->cfg->taskcenter_console_url, r->answers, r->nans, &d, &n,
	                     err) < 0)
		return -1;
	answers_done(ctx, r);
	/* Fewer than there was room for: nothing more is due (or others hold the slots). */
	if (n < room)
		pl->drained = 1;
	for (i = 0; i < n; i++) {
		struct fb_err e = {0};
		struct xfer *x = xfer_new(pl, &d[i], &e);

		if (x != NULL) {
			run_add(r, x);
		} else {
			/* A request that cannot be made is never sent: rejected with the reason. */
			struct tc_answer a = {.id = d[i].id,
			                      .res = {.outcome = WEBHOOK_REJECTED, .retry_after_s = -1}};

			snprintf(a.res.reason, sizeof(a.res.reason), "%.200s", e.msg);
			r->counts[WEBHOOK_REJECTED]++;
			if (taskcenter_record(ctx->db, &a, 1, err) < 0) {
				taskcenter_deliveries_free(d, n);
				return -1;
			}
		}
	}
	taskcenter_deliveries_free(d, n);
	return 0;
}

/* Take the answers of every request that ended into r->answers (not yet recorded). */
static void
collect(struct run *r)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
		struct xfer *x = NULL;
		struct tc_answer *a = &r->answers[r->nans];

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		webhook_req_result(x->req, m->data.result, &a->res);
		a->id = x->id;
		if (r->nans++ == 0)
			r->first_ms = now_ms();
		run_remove(r, x);
		x->plat->drained = 0;
		xfer_free(x);
	}
}

/* Record the collected answers in one statement; 0 / -1 (then their rows stay 'sending'
 * until their lease ends). */
static int
flush(struct job_ctx *ctx, struct run *r, struct fb_err *err)
{
	if (taskcenter_record(ctx->db, r->answers, r->nans, err) < 0)
		return -1;
	answers_done(ctx, r);
	return 0;
}

/* The answers collected are to be recorded now: all requests ended, a quarter of the slots
 * have one, or FLUSH_MS passed since the first. */
static int
flush_due(const struct run *r)
{
	return r->nans > 0 && (r->inflight == 0 || r->nans >= r->flush_at ||
	                       now_ms() - r->first_ms >= FLUSH_MS);
}

int
job_taskcenter_push(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	struct tc_platform *ps = NULL;
	struct plat *pls = NULL;
	struct run r = {0};
	size_t np = 0, i, room = 0;
	int rc = -1;

	(void)args;
	if (taskcenter_platforms(ctx->db, &ps, &np, err) < 0)
		return -1;
	if (np == 0) {
		rc = 0;
		goto out;
	}
	pls = xcalloc(np, sizeof(*pls));
	for (i = 0; i < np; i++) {
		pls[i].p = &ps[i];
		room += (size_t)ps[i].max_concurrency;
	}
	r.answers = xcalloc(room, sizeof(*r.answers));
	r.flush_at = room / REFILL_PART > 0 ? room / REFILL_PART : 1;
	if ((r.multi = curl_multi_init()) == NULL)
		abort();
	/* Keep a connection open for every slot: requests reuse them (keep-alive). */
	curl_multi_setopt(r.multi, CURLMOPT_MAXCONNECTS, (long)room);
	for (;;) {
		int running = 0, wait = POLL_MS;

		/* Rows are claimed only when every answer is recorded (the claim counts the
		 * platform's rows being sent in PostgreSQL): the first claim records them. */
		if (r.nans == 0 || flush_due(&r)) {
			if (!*ctx->stopping)
				for (i = 0; i < np; i++)
					if (fill(ctx, &r, &pls[i], err) < 0)
						goto out;
			if (r.nans > 0 && flush(ctx, &r, err) < 0)
				goto out;
		}
		if (r.inflight == 0)
			break;
		curl_multi_perform(r.multi, &running);
		collect(&r);
		if (flush_due(&r))
			continue;
		if (r.nans > 0)
			wait = (int)(r.first_ms + FLUSH_MS - now_ms());
		if (running > 0)
			curl_multi_poll(r.multi, NULL, 0, wait, NULL);
	}
	if (r.counts[0] + r.counts[1] + r.counts[2] > 0)
		log_info("task-center push", "job_id", LOG_STR(ctx->job_id), "delivered",
		         LOG_INT(r.counts[WEBHOOK_DELIVERED]), "rejected",
		         LOG_INT(r.counts[WEBHOOK_REJECTED]), "failed", LOG_INT(r.counts[WEBHOOK_RETRY]),
		         NULL);
	rc = 0;
out:
	while (r.head != NULL) {
		struct xfer *x = r.head;

		run_remove(&r, x);
		xfer_free(x);
	}
	if (r.multi != NULL)
		curl_multi_cleanup(r.multi);
	free(r.answers);
	free(pls);
	taskcenter_platforms_free(ps, np);
	return rc;
}
