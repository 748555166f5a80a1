/* SPDX-License-Identifier: MIT */
/*
 * queue: the Redis connection that carries the jobs, the names of the three streams, and
 * publishing.  Taking jobs is queue_consume.c's, runner liveness queue_liveness.c's, the
 * numbers and consumer counts queue_stats.c's, locks queue_lock.c's; queue_int.h is what
 * they share.
 *
 * A struct queue owns one hiredis context and copies of the connection settings and key
 * names it needs (so it does not depend on the config staying alive).  The context is
 * dropped after any error; the next call connects again, re-applies the read timeout and
 * keepalive, re-sends AUTH/SELECT, re-creates the groups and first hands out this
 * consumer's own pending entries again.  Every reply is freed before a function returns.
 *
 * Publishing: a job is one XADD (trimmed to about QUEUE_MAXLEN entries) of the JSON
 * {"id","type","args","enqueued_at","attempt"}; queue_publish_many pipelines many in one
 * round trip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "mem.h"
#include "queue.h"
#include "queue_int.h"
#include "rand.h"

#define QUEUE_CONNECT_TIMEOUT_MS 5000
/* The read timeout exceeds the longest BLOCK by this much. */
#define QUEUE_TIMEOUT_SLACK_MS 5000
#define QUEUE_MAXLEN "1000000"

static const char *const prio_names[QUEUE_NPRIO] = {"high", "common", "low"};

const char *
queue_prio_name(enum queue_prio prio)
{
	if ((int)prio < 0 || prio >= QUEUE_NPRIO)
		return "?";
	return prio_names[prio];
}

int
queue_prio_parse(const char *name, enum queue_prio *out)
{
	int i;

	for (i = 0; i < QUEUE_NPRIO; i++) {
		if (strcmp(name, prio_names[i]) == 0) {
			*out = (enum queue_prio)i;
			return 0;
		}
	}
	return -1;
}

const char *
queue_stream(const struct queue *q, enum queue_prio prio)
{
	return q->stream[prio];
}

void
q_drop(struct queue *q)
{
	if (q->c != NULL) {
		redisFree(q->c);
		q->c = NULL;
	}
}

static struct timeval
ms_tv(long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	return tv;
}

/* Run one command on the live context.  NULL reply: connection dropped, err filled. */
static redisReply *
q_raw(struct queue *q, int argc, const char **argv, struct fb_err *err)
{
	size_t short_lens[24] = {0}, *lens = short_lens;
	redisReply *r;
	int i;

	/* Long commands (a runner's report) get their lengths allocated. */
	if (argc > NARGS(short_lens))
		lens = xcalloc((size_t)argc, sizeof(*lens));
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	r = redisCommandArgv(q->c, argc, argv, lens);
	if (lens != short_lens)
		free(lens);
	if (r == NULL) {
		fb_err_set(err, FB_EREDIS, "redis %s: %s", argv[0],
		           q->c->errstr[0] ? q->c->errstr : "connection lost");
		q_drop(q);
	}
	return r;
}

redisReply *
q_cmd(struct queue *q, const char *allow, int argc, const char **argv, struct fb_err *err)
{
	redisReply *r;

	if (q_connect(q, err) < 0)
		return NULL;
	r = q_raw(q, argc, argv, err);
	if (r == NULL)
		return NULL;
	if (r->type == REDIS_REPLY_ERROR) {
		if (allow != NULL && r->str != NULL && strncmp(r->str, allow, strlen(allow)) == 0)
			return r;
		fb_err_set(err, FB_EREDIS, "redis %s: %s", argv[0], r->str ? r->str : "error");
		freeReplyObject(r);
		q_drop(q);
		return NULL;
	}
	return r;
}

/* The steps after a fresh connect: AUTH, SELECT, timeouts, groups. */
static int
q_setup(struct queue *q, struct fb_err *err)
{
	redisReply *r;
	char dbbuf[16];
	int i;

	if (redisSetTimeout(q->c, ms_tv(q->timeout_ms)) != REDIS_OK ||
	    redisEnableKeepAlive(q->c) != REDIS_OK) {
		fb_err_set(err, FB_EREDIS, "redis: cannot set socket options: %s", q->c->errstr);
		return -1;
	}
	if (q->password[0] != '\0') {
		const char *a[] = {"AUTH", q->password};

		if ((r = q_raw(q, NARGS(a), a, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ERROR) {
			fb_err_set(err, FB_EREDIS, "redis AUTH: %s", r->str);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	if (q->dbnum != 0) {
		const char *a[] = {"SELECT", dbbuf};

		snprintf(dbbuf, sizeof(dbbuf), "%d", q->dbnum);
		if ((r = q_raw(q, NARGS(a), a, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ERROR) {
			fb_err_set(err, FB_EREDIS, "redis SELECT: %s", r->str);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	for (i = 0; i < QUEUE_NPRIO; i++) {
		const char *a[] = {"XGROUP", "CREATE", q->stream[i], q->group, "0", "MKSTREAM"};

		if ((r = q_raw(q, NARGS(a), a, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ERROR &&
		    (r->str == NULL || strncmp(r->str, "BUSYGROUP", 9) != 0)) {
			fb_err_set(err, FB_EREDIS, "redis XGROUP CREATE %s: %s", q->stream[i],
			           r->str ? r->str : "error");
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
		q->drain[i] = 1;
		strcpy(q->drain_from[i], "0");
		strcpy(q->cursor[i], "0-0");
	}
	return 0;
}

int
q_connect(struct queue *q, struct fb_err *err)
{
	if (q->c != NULL)
		return 0;
	if (q->host[0] == '/')
		q->c = redisConnectUnixWithTimeout(q->host, ms_tv(QUEUE_CONNECT_TIMEOUT_MS));
	else
		q->c = redisConnectWithTimeout(q->host, q->port, ms_tv(QUEUE_CONNECT_TIMEOUT_MS));
	if (q->c == NULL) {
		fb_err_set(err, FB_EREDIS, "redis connect %s:%d: out of memory", q->host, q->port);
		return -1;
	}
	if (q->c->err) {
		fb_err_set(err, FB_EREDIS, "redis connect %s:%d: %s", q->host, q->port,
		           q->c->errstr);
		q_drop(q);
		return -1;
	}
	if (q_setup(q, err) < 0) {
		q_drop(q);
		return -1;
	}
	return 0;
}

int
q_block_timeout(struct queue *q, int block_ms, struct fb_err *err)
{
	if ((long)block_ms + QUEUE_TIMEOUT_SLACK_MS <= q->timeout_ms)
		return 0;
	q->timeout_ms = (long)block_ms + QUEUE_TIMEOUT_SLACK_MS;
	if (redisSetTimeout(q->c, ms_tv(q->timeout_ms)) != REDIS_OK) {
		fb_err_set(err, FB_EREDIS, "redis: cannot set timeout");
		q_drop(q);
		return -1;
	}
	return 0;
}

struct queue *
queue_open(const struct fb_config *cfg, struct fb_err *err)
{
	struct queue *q;
	int i;

	if (cfg->redis_prefix == NULL || cfg->redis_prefix[0] == '\0') {
		fb_err_set(err, FB_EINVAL, "redis.prefix must not be empty");
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	q->host = xstrdup(cfg->redis_host ? cfg->redis_host : "127.0.0.1");
	q->port = cfg->redis_port;
	q->password = xstrdup(cfg->redis_password ? cfg->redis_password : "");
	q->dbnum = cfg->redis_db;
	for (i = 0; i < QUEUE_NPRIO; i++)
		q->stream[i] = xasprintf("%s:jobs:%s", cfg->redis_prefix, prio_names[i]);
	q->group = xasprintf("%s-workers", cfg->redis_prefix);
	q->consumers_key = xasprintf("%s:consumers", cfg->redis_prefix);
	q->lock_prefix = xasprintf("%s:lock:", cfg->redis_prefix);
	q->runner_prefix = xasprintf("%s:runner:", cfg->redis_prefix);
	q->prefix = xstrdup(cfg->redis_prefix);
	q->timeout_ms = (long)cfg->runner_block_ms + QUEUE_TIMEOUT_SLACK_MS;
	if (q_connect(q, err) < 0) {
		queue_close(q);
		return NULL;
	}
	return q;
}

void
queue_close(struct queue *q)
{
	int i;

	if (q == NULL)
		return;
	q_drop(q);
	free(q->host);
	free(q->password);
	for (i = 0; i < QUEUE_NPRIO; i++)
		free(q->stream[i]);
	free(q->group);
	free(q->consumers_key);
	free(q->lock_prefix);
	free(q->runner_prefix);
	free(q->prefix);
	free(q->drain_for);
	free(q);
}

int
queue_ping(struct queue *q, struct fb_err *err)
{
	const char *a[] = {"PING"};
	redisReply *r = q_cmd(q, NULL, NARGS(a), a, err);

	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
queue_ensure_groups(struct queue *q, struct fb_err *err)
{
	int i;

	if (q_connect(q, err) < 0)
		return -1;
	for (i = 0; i < QUEUE_NPRIO; i++) {
		const char *a[] = {"XGROUP", "CREATE", q->stream[i], q->group, "0", "MKSTREAM"};
		redisReply *r = q_cmd(q, "BUSYGROUP", NARGS(a), a, err);

		if (r == NULL)
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

/* A job's wait is measured from its enqueued_at; a runner's key holds its last beat. */
void
q_now_rfc3339(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char s[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%06dZ", s, (int)((ts.tv_nsec / 1000) % 1000000));
}

/* The job message under id (given when not empty, else a new one into id); caller puts. */
static struct json_object *
job_message(const char *type, struct json_object *args, const char *given, char id[37])
{
	struct json_object *root = json_object_new_object();
	char when[32];

	if (given != NULL && given[0] != '\0')
		snprintf(id, 37, "%s", given);
	else
		fb_uuid(id);
	q_now_rfc3339(when);
	json_object_object_add(root, "id", json_object_new_string(id));
	json_object_object_add(root, "type", json_object_new_string(type));
	json_object_object_add(root, "args",
	                       args != NULL ? json_object_get(args) : json_object_new_object());
	json_object_object_add(root, "enqueued_at", json_object_new_string(when));
	json_object_object_add(root, "attempt", json_object_new_int(1));
	return root;
}

#define JOB_JSON(root) \
	json_object_to_json_string_ext((root), JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int
queue_publish(struct queue *q, enum queue_prio prio, const char *type,
              struct json_object *args, char job_id[37], struct fb_err *err)
{
	struct json_object *root;
	char id[37];
	const char *json;
	redisReply *r;

	if ((int)prio < 0 || prio >= QUEUE_NPRIO || type == NULL || type[0] == '\0') {
		fb_err_set(err, FB_EINVAL, "queue_publish: bad priority or type");
		return -1;
	}
	root = job_message(type, args, job_id, id);
	json = JOB_JSON(root);
	{
		const char *a[] = {"XADD", q->stream[prio], "MAXLEN", "~", QUEUE_MAXLEN,
		                   "*", "job", json};

		r = q_cmd(q, NULL, NARGS(a), a, err);
	}
	json_object_put(root);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	if (job_id != NULL)
		memcpy(job_id, id, sizeof(id));
	return 0;
}

int
queue_publish_many(struct queue *q, const struct queue_job *jobs, int n, struct fb_err *err)
{
	int i;

	for (i = 0; i < n; i++)
		if ((int)jobs[i].prio < 0 || jobs[i].prio >= QUEUE_NPRIO || jobs[i].type == NULL ||
		    jobs[i].type[0] == '\0' || jobs[i].id == NULL || strlen(jobs[i].id) > 36) {
			fb_err_set(err, FB_EINVAL, "queue_publish_many: bad priority, type or id");
			return -1;
		}
	if (q_connect(q, err) < 0)
		return -1;
	/* hiredis formats each command into its output buffer at once: the JSON can go. */
	for (i = 0; i < n; i++) {
		char id[37];
		struct json_object *root = job_message(jobs[i].type, jobs[i].args, jobs[i].id, id);
		const char *a[] = {"XADD", q->stream[jobs[i].prio], "MAXLEN", "~", QUEUE_MAXLEN,
		                   "*", "job", JOB_JSON(root)};
		size_t lens[NARGS(a)];
		int k, rc;

		for (k = 0; k < NARGS(a); k++)
			lens[k] = strlen(a[k]);
		rc = redisAppendCommandArgv(q->c, NARGS(a), a, lens);
		json_object_put(root);
		if (rc != REDIS_OK) {
			fb_err_set(err, FB_EREDIS, "redis XADD: %s", q->c->errstr);
			q_drop(q);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		redisReply *r = NULL;

		if (redisGetReply(q->c, (void **)&r) != REDIS_OK || r == NULL) {
			fb_err_set(err, FB_EREDIS, "redis XADD: %s",
			           q->c->errstr[0] ? q->c->errstr : "connection lost");
			q_drop(q);
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			fb_err_set(err, FB_EREDIS, "redis XADD: %s", r->str ? r->str : "error");
			freeReplyObject(r);
			q_drop(q); /* the other replies are not read: start afresh */
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

/* ---- for the modules that keep their own keys beside the queue's -------------------- */

redisReply *
queue_command(struct queue *q, int argc, const char **argv, struct fb_err *err)
{
	if (argc < 1) {
		fb_err_set(err, FB_EINVAL, "queue_command: no command");
		return NULL;
	}
	return q_cmd(q, NULL, argc, argv, err);
}

const char *
queue_prefix(const struct queue *q)
{
	return q->prefix;
}

void
queue_set_paused(struct queue *q, unsigned mask)
{
	q->paused = mask & ((1u << QUEUE_NPRIO) - 1);
}
