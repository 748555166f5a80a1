/* SPDX-License-Identifier: MIT */
/*
 * taskcenter_push: the job taskcenter.push — send the due task-center rows of every
 * enabled platform, each platform with its own number of requests in flight
 * (max_concurrency), all on one libcurl multi handle so that a slow platform holds only its
 * own slots.  Whenever a request of a platform ends, its answer is recorded and the
 * platform's next due rows are claimed; the job ends when nothing is in flight and no
 * platform has anything due (or the runner drains: what is claimed is finished first).
 *
 * A request is POST <url> with the JSON body built at claim time, signed the Standard
 * Webhooks way: webhook-id (stable per task, platform and event), webhook-timestamp and
 * webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body under the platform's
 * secret>".  TLS is verified, redirects are not followed, only http and https, the
 * response body is read up to RESP_MAX bytes.  2xx delivered; 408, 429 (Retry-After
 * honoured) and 5xx, timeouts and connection errors failed (retried by taskcenter.retry);
 * other answers rejected with their reason.
 *
 * Memory: every struct xfer (easy handle, header list, body, response) is owned by the
 * job and freed when its request ends or when the job leaves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>

#include "crypto.h"
#include "jobs.h"
#include "log.h"
#include "mem.h"
#include "taskcenter.h"

/* Bytes of a response body kept (and read: a longer body ends the transfer there). */
#define RESP_MAX 2048
#define POLL_MS 100

struct plat {
	const struct tc_platform *p;
	int inflight;
	int drained; /* the last claim found nothing: wait for one of its requests to end */
};

struct xfer {
	struct xfer *prev, *next; /* the job's requests in flight */
	CURL *easy;
	struct curl_slist *headers;
	struct plat *plat;
	int64_t id;
	char *body;
	char resp[RESP_MAX + 1];
	size_t resp_len;
	int truncated;
	long retry_after;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, room = RESP_MAX - x->resp_len;

	if (n > room) {
		memcpy(x->resp + x->resp_len, data, room);
		x->resp_len += room;
		x->truncated = 1;
		return 0; /* enough: end the transfer (CURLE_WRITE_ERROR, answer kept) */
	}
	memcpy(x->resp + x->resp_len, data, n);
	x->resp_len += n;
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	char line[256];

	if (n >= sizeof(line) || n < 12 || strncasecmp(data, "retry-after:", 12) != 0)
		return n;
	memcpy(line, data + 12, n - 12);
	line[n - 12] = '\0';
	{
		char *p = line, *end;
		long v;

		while (*p == ' ' || *p == '\t')
			p++;
		v = strtol(p, &end, 10);
		if (end != p && (*end == '\r' || *end == '\n' || *end == '\0')) {
			x->retry_after = v > 0 ? v : 0;
		} else {
			time_t t = curl_getdate(p, NULL);

			if (t > 0)
				x->retry_after = t > time(NULL) ? (long)(t - time(NULL)) : 0;
		}
	}
	return n;
}

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->body);
	free(x);
}

/* The webhook-signature header for id, ts and body under secret; caller frees. */
static char *
signature_header(const char *secret, const char *id, const char *ts, const char *body)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	struct buf content = {0};
	char *b64, *h;

	buf_printf(&content, "%s.%s.", id, ts);
	buf_puts(&content, body);
	crypto_hmac_sha256(secret, strlen(secret), content.data, content.len, mac);
	b64 = crypto_b64_encode(mac, sizeof(mac));
	h = xasprintf("webhook-signature: v1,%s", b64);
	free(b64);
	free(content.data);
	return h;
}

static struct curl_slist *
header_add(struct curl_slist *l, const char *h)
{
	struct curl_slist *n = curl_slist_append(l, h);

	if (n == NULL)
		abort(); /* out of memory, as xmalloc */
	return n;
}

static struct xfer *
xfer_new(struct plat *pl, struct tc_delivery *d)
{
	const struct tc_platform *p = pl->p;
	struct xfer *x = xcalloc(1, sizeof(*x));
	char h[160], ts[24];

	x->plat = pl;
	x->id = d->id;
	x->body = d->body;
	d->body = NULL;
	if ((x->easy = curl_easy_init()) == NULL)
		abort();
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	x->headers = header_add(x->headers, "Content-Type: application/json");
	x->headers = header_add(x->headers, "Expect:");
	snprintf(h, sizeof(h), "webhook-id: %s", d->webhook_id);
	x->headers = header_add(x->headers, h);
	snprintf(h, sizeof(h), "webhook-timestamp: %s", ts);
	x->headers = header_add(x->headers, h);
	if (p->secret != NULL && p->secret[0] != '\0') {
		char *sig = signature_header(p->secret, d->webhook_id, ts, x->body);

		x->headers = header_add(x->headers, sig);
		free(sig);
	}
	curl_easy_setopt(x->easy, CURLOPT_URL, p->url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)p->connect_timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "flowbatch-taskcenter/1");
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(x->body));
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	return x;
}

/* What the answer to x means, with its reason into why. */
static enum tc_outcome
classify(struct xfer *x, CURLcode cc, long *code, char *why, size_t n)
{
	*code = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, code);
	x->resp[x->resp_len] = '\0';
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && x->truncated)) {
		snprintf(why, n, "%s%s%s", curl_easy_strerror(cc), x->errbuf[0] ? ": " : "", x->errbuf);
		return TC_FAILED;
	}
	snprintf(why, n, "HTTP %ld%s%.*s", *code, x->resp_len ? ": " : "", (int)x->resp_len, x->resp);
	if (*code >= 200 && *code < 300)
		return TC_DELIVERED;
	if (*code == 408 || *code == 429 || *code >= 500)
		return TC_FAILED;
	return TC_REJECTED;
}

/* Claim and start what platform pl may send now; 0 / -1. */
struct run {
	CURLM *multi;
	struct xfer *head; /* in flight */
	int inflight;
	long long counts[3];
};

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

static int
fill(struct job_ctx *ctx, struct run *r, struct plat *pl, struct fb_err *err)
{
	struct tc_delivery *d = NULL;
	size_t n = 0, i, room;

	if (pl->drained || pl->inflight >= pl->p->max_concurrency)
		return 0;
	room = (size_t)(pl->p->max_concurrency - pl->inflight);
	if (taskcenter_claim(ctx->db, pl->p, ctx->cfg->taskcenter_task_url, &d, &n, err) < 0)
		return -1;
	/* Fewer than there was room for: nothing more is due (or others hold the slots). */
	if (n < room)
		pl->drained = 1;
	for (i = 0; i < n; i++)
		run_add(r, xfer_new(pl, &d[i]));
	taskcenter_deliveries_free(d, n);
	return 0;
}

/* Record every request that ended; 0 / -1 (the rest stay 'sending' until their lease ends). */
static int
harvest(struct job_ctx *ctx, struct run *r, struct fb_err *err)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
		struct xfer *x = NULL;
		enum tc_outcome out;
		char why[RESP_MAX + CURL_ERROR_SIZE + 64];
		long code;
		int rc;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		out = classify(x, m->data.result, &code, why, sizeof(why));
		run_remove(r, x);
		x->plat->drained = 0;
		rc = taskcenter_record(ctx->db, x->id, out, (int)code, why,
		                       out == TC_FAILED ? x->retry_after : 0, err);
		if (out != TC_DELIVERED)
			log_info("task-center delivery not accepted", "job_id", LOG_STR(ctx->job_id),
			         "log_id", LOG_INT(x->id), "outcome",
			         LOG_STR(out == TC_FAILED ? "failed" : "rejected"), "reason", LOG_STR(why),
			         NULL);
		r->counts[out]++;
		xfer_free(x);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
job_taskcenter_push(struct job_ctx *ctx, struct json_object *args, struct fb_err *err)
{
	struct tc_platform *ps = NULL;
	struct plat *pls = NULL;
	struct run r = {0};
	size_t np = 0, i;
	int rc = -1;

	(void)args;
	if (taskcenter_platforms(ctx->db, &ps, &np, err) < 0)
		return -1;
	if (np == 0) {
		rc = 0;
		goto out;
	}
	pls = xcalloc(np, sizeof(*pls));
	for (i = 0; i < np; i++)
		pls[i].p = &ps[i];
	if ((r.multi = curl_multi_init()) == NULL)
		abort();
	for (;;) {
		int running = 0;

		if (!*ctx->stopping)
			for (i = 0; i < np; i++)
				if (fill(ctx, &r, &pls[i], err) < 0)
					goto out;
		if (r.inflight == 0)
			break;
		curl_multi_perform(r.multi, &running);
		if (harvest(ctx, &r, err) < 0)
			goto out;
		if (running > 0)
			curl_multi_poll(r.multi, NULL, 0, POLL_MS, NULL);
	}
	if (r.counts[0] + r.counts[1] + r.counts[2] > 0)
		log_info("task-center push", "job_id", LOG_STR(ctx->job_id), "delivered",
		         LOG_INT(r.counts[TC_DELIVERED]), "rejected", LOG_INT(r.counts[TC_REJECTED]),
		         "failed", LOG_INT(r.counts[TC_FAILED]), NULL);
	rc = 0;
out:
	while (r.head != NULL) {
		struct xfer *x = r.head;

		run_remove(&r, x);
		xfer_free(x);
	}
	if (r.multi != NULL)
		curl_multi_cleanup(r.multi);
	free(pls);
	taskcenter_platforms_free(ps, np);
	return rc;
}
