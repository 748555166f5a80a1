/* SPDX-License-Identifier: MIT */
/*
 * queue: jobs on three Redis Streams read by one consumer group, plus locks and the
 * run-time consumer counts.
 *
 * A struct queue owns one hiredis context and copies of the connection settings and key
 * names it needs (so it does not depend on the config staying alive).  The context is
 * dropped after any error; the next call connects again, re-applies the read timeout and
 * keepalive, re-sends AUTH/SELECT, re-creates the groups and first hands out this
 * consumer's own pending entries again.  Every reply is freed before a function returns.
 *
 * Priority: Redis returns streams of one XREADGROUP in its own order, so queue_take()
 * reads high, common and low one at a time without blocking, and only when all are empty
 * blocks once over all of them with COUNT 1.  Anything that read delivered beyond the one
 * entry returned stays in this consumer's pending list and is returned next (ID 0 reads).
 * queue_ack() acknowledges and deletes the entry, so that a stream's length is its backlog.
 *
 * Liveness: every runner keeps a key <prefix>:runner:<host:pid> alive with a short TTL.
 * Workers look at the group's consumers (XINFO CONSUMERS, sorted by name, so the consumers
 * of one runner come together and one EXISTS serves them all); those of a runner whose key
 * is gone are dead, and one script per entry checks that the entry is still the dead
 * consumer's and claims it, or deletes the consumer when nothing of it is left.  The
 * scripts name only the stream as a key; the runner keys are read outside them, which is
 * harmless: a runner that comes back after its key expired merely has a job run twice,
 * and every job is idempotent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "log.h"
#include "mem.h"
#include "queue.h"
#include "rand.h"

#define QUEUE_CONNECT_TIMEOUT_MS 5000
/* The read timeout exceeds the longest BLOCK by this much. */
#define QUEUE_TIMEOUT_SLACK_MS 5000
#define QUEUE_MAXLEN "1000000"
/* XAUTOCLAIM calls per stream per queue_reclaim() (each scans up to 10 pending entries). */
#define QUEUE_RECLAIM_SCANS 20

struct queue {
	redisContext *c;
	char *host;
	int port;
	char *password;
	int dbnum;
	char *stream[QUEUE_NPRIO];
	char *group;
	char *consumers_key;
	char *lock_prefix;
	char *runner_prefix;
	char *prefix;                /* redis.prefix */
	unsigned paused;             /* streams (1 << prio) this connection takes nothing from */
	long timeout_ms;             /* read timeout currently applied */
	int drain[QUEUE_NPRIO];      /* own pending entries may remain on this stream */
	char drain_from[QUEUE_NPRIO][64]; /* ID after which to look for them */
	char *drain_for;             /* the consumer the drain flags are about */
	char cursor[QUEUE_NPRIO][64]; /* XAUTOCLAIM cursors */
};

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

static void
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
	size_t lens[24];
	redisReply *r;
	int i;

	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	r = redisCommandArgv(q->c, argc, argv, lens);
	if (r == NULL) {
		fb_err_set(err, FB_EREDIS, "redis %s: %s", argv[0],
		           q->c->errstr[0] ? q->c->errstr : "connection lost");
		q_drop(q);
	}
	return r;
}

static int q_connect(struct queue *q, struct fb_err *err);

/*
 * Connect if needed and run one command.  An error reply is returned only when its text
 * starts with allow (e.g. "BUSYGROUP"); any other error reply drops the connection (the
 * next call reconnects and re-creates the groups, which also repairs a flushed Redis).
 * Caller frees the reply with freeReplyObject().
 */
static redisReply *
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

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

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

static int
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

/* The current time as RFC 3339 UTC with microseconds (a job's wait is measured from it). */
static void
now_rfc3339(char out[32])
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
	now_rfc3339(when);
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

void
queue_msg_clear(struct queue_msg *msg)
{
	free(msg->job);
	memset(msg, 0, sizeof(*msg));
}

/*
 * Fill msg from one stream entry [id, [field, value, ...]].  Returns 1 when filled, 0 when
 * the entry was deleted while pending ([id, nil]: nothing left to run), -1 when the reply
 * has an unexpected shape.
 */
static int
entry_fill(const redisReply *e, enum queue_prio prio, struct queue_msg *msg)
{
	const redisReply *f;
	size_t i;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= sizeof(msg->entry_id))
		return -1;
	memset(msg, 0, sizeof(*msg));
	msg->prio = prio;
	memcpy(msg->entry_id, e->element[0]->str, e->element[0]->len);
	msg->deliveries = 1;
	f = e->element[1];
	if (f->type == REDIS_REPLY_NIL)
		return 0;
	if (f->type != REDIS_REPLY_ARRAY)
		return -1;
	for (i = 0; i + 1 < f->elements; i += 2) {
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, "job") == 0) {
			msg->job = xstrndup(f->element[i + 1]->str, f->element[i + 1]->len);
			return 1;
		}
	}
	/* An entry without a job field: handed out with an empty job for the caller to reject. */
	msg->job = xstrdup("");
	return 1;
}

/* XACK + XDEL of one entry, pipelined. */
static int
ack_entry(struct queue *q, enum queue_prio prio, const char *id, struct fb_err *err)
{
	const char *a1[] = {"XACK", q->stream[prio], q->group, id};
	const char *a2[] = {"XDEL", q->stream[prio], id};
	size_t l1[4], l2[3];
	void *rv;
	int i, rc = 0;

	if (q_connect(q, err) < 0)
		return -1;
	for (i = 0; i < 4; i++)
		l1[i] = strlen(a1[i]);
	for (i = 0; i < 3; i++)
		l2[i] = strlen(a2[i]);
	if (redisAppendCommandArgv(q->c, 4, a1, l1) != REDIS_OK ||
	    redisAppendCommandArgv(q->c, 3, a2, l2) != REDIS_OK) {
		fb_err_set(err, FB_EREDIS, "redis XACK: %s", q->c->errstr);
		q_drop(q);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (redisGetReply(q->c, &rv) != REDIS_OK || rv == NULL) {
			fb_err_set(err, FB_EREDIS, "redis XACK: %s",
			           q->c->errstr[0] ? q->c->errstr : "connection lost");
			q_drop(q);
			return -1;
		}
		if (((redisReply *)rv)->type == REDIS_REPLY_ERROR && rc == 0) {
			fb_err_set(err, FB_EREDIS, "redis XACK: %s", ((redisReply *)rv)->str);
			rc = -1;
		}
		freeReplyObject(rv);
	}
	if (rc < 0)
		q_drop(q);
	return rc;
}

int
queue_ack(struct queue *q, const struct queue_msg *msg, struct fb_err *err)
{
	if ((int)msg->prio < 0 || msg->prio >= QUEUE_NPRIO || msg->entry_id[0] == '\0') {
		fb_err_set(err, FB_EINVAL, "queue_ack: no entry");
		return -1;
	}
	return ack_entry(q, msg->prio, msg->entry_id, err);
}

/* Renew the idle time of an entry only while it is still the consumer's. */
static const char touch_lua[] =
	"local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1) "
	"if #p == 1 and p[1][2] == ARGV[2] then "
	"redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID') return 1 end "
	"return 0";

int
queue_touch(struct queue *q, const char *consumer, enum queue_prio prio, const char *entry_id,
            struct fb_err *err)
{
	redisReply *r;
	int rc;

	if ((int)prio < 0 || prio >= QUEUE_NPRIO || entry_id[0] == '\0') {
		fb_err_set(err, FB_EINVAL, "queue_touch: no entry");
		return -1;
	}
	{
		const char *a[] = {"EVAL", touch_lua, "1", q->stream[prio], q->group, consumer, entry_id};

		if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
			return -1;
	}
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

/* The delivery count of one pending entry (XPENDING extended form); 0 when unknown. */
static int
pending_deliveries(struct queue *q, enum queue_prio prio, const char *id, long long *out,
                   struct fb_err *err)
{
	const char *a[] = {"XPENDING", q->stream[prio], q->group, id, id, "1"};
	redisReply *r = q_cmd(q, NULL, NARGS(a), a, err);

	*out = 0;
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 4 &&
	    r->element[0]->element[3]->type == REDIS_REPLY_INTEGER)
		*out = r->element[0]->element[3]->integer;
	freeReplyObject(r);
	return 0;
}

/*
 * Walk an XREADGROUP reply [[stream, [entry...]]...]: fill msg with the first entry of the
 * highest-priority stream; mark every other stream that delivered something for draining.
 * Deleted entries are acknowledged away.  Returns 1 / 0 / -1.
 */
static int
read_reply(struct queue *q, const redisReply *r, struct queue_msg *msg, struct fb_err *err)
{
	const redisReply *best = NULL;
	enum queue_prio best_p = QUEUE_NPRIO;
	size_t i, j;
	int p, rc;

	if (r->type == REDIS_REPLY_NIL)
		return 0;
	if (r->type != REDIS_REPLY_ARRAY)
		goto bad;
	for (i = 0; i < r->elements; i++) {
		const redisReply *s = r->element[i];
		enum queue_prio sp = QUEUE_NPRIO;

		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
		    s->element[0]->type != REDIS_REPLY_STRING || s->element[1]->type != REDIS_REPLY_ARRAY)
			goto bad;
		for (p = 0; p < QUEUE_NPRIO; p++)
			if (strcmp(s->element[0]->str, q->stream[p]) == 0)
				sp = (enum queue_prio)p;
		if (sp == QUEUE_NPRIO)
			goto bad;
		for (j = 0; j < s->element[1]->elements; j++) {
			const redisReply *e = s->element[1]->element[j];

			if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
			    e->element[1]->type == REDIS_REPLY_NIL) {
				/* Trimmed while pending: nothing to run, nothing to keep. */
				if (e->element[0]->type == REDIS_REPLY_STRING) {
					log_warn("queue entry deleted while pending", "stream",
					         LOG_STR(q->stream[sp]), "entry_id",
					         LOG_STR(e->element[0]->str), NULL);
					if (ack_entry(q, sp, e->element[0]->str, err) < 0)
						return -1;
				}
				continue;
			}
			if (best == NULL || sp < best_p) {
				if (best != NULL)
					q->drain[best_p] = 1;
				best = e;
				best_p = sp;
			} else {
				q->drain[sp] = 1;
			}
		}
	}
	if (best == NULL)
		return 0;
	rc = entry_fill(best, best_p, msg);
	if (rc < 0)
		goto bad;
	return rc;
bad:
	fb_err_set(err, FB_EREDIS, "redis XREADGROUP: unexpected reply");
	q_drop(q);
	return -1;
}

static void
set_drain_for(struct queue *q, const char *consumer)
{
	int i;

	if (q->drain_for != NULL && strcmp(q->drain_for, consumer) == 0)
		return;
	free(q->drain_for);
	q->drain_for = xstrdup(consumer);
	for (i = 0; i < QUEUE_NPRIO; i++) {
		q->drain[i] = 1;
		strcpy(q->drain_from[i], "0");
	}
}

int
queue_take(struct queue *q, const char *consumer, enum queue_prio lowest, int block_ms,
           struct queue_msg *msg, struct fb_err *err)
{
	redisReply *r;
	char blockbuf[24];
	const char *a[9 + 2 * QUEUE_NPRIO];
	int p, n, rc;

	memset(msg, 0, sizeof(*msg));
	if ((int)lowest < 0 || lowest >= QUEUE_NPRIO) {
		fb_err_set(err, FB_EINVAL, "queue_take: bad priority");
		return -1;
	}
	if (q_connect(q, err) < 0)
		return -1;
	if (block_ms < 0)
		block_ms = 0;
	if ((long)block_ms + QUEUE_TIMEOUT_SLACK_MS > q->timeout_ms) {
		q->timeout_ms = (long)block_ms + QUEUE_TIMEOUT_SLACK_MS;
		if (redisSetTimeout(q->c, ms_tv(q->timeout_ms)) != REDIS_OK) {
			fb_err_set(err, FB_EREDIS, "redis: cannot set timeout");
			q_drop(q);
			return -1;
		}
	}
	set_drain_for(q, consumer);
	/* Own pending entries first (after a restart or reconnect), then new ones, by priority. */
	for (p = 0; p <= (int)lowest; p++) {
		while (q->drain[p] && !(q->paused & (1u << p))) {
			const char *d[] = {"XREADGROUP", "GROUP", q->group, consumer, "COUNT", "1",
			                   "STREAMS", q->stream[p], q->drain_from[p]};

			if ((r = q_cmd(q, NULL, NARGS(d), d, err)) == NULL)
				return -1;
			q->drain[p] = 0;
			rc = read_reply(q, r, msg, err);
			/* Entries deleted while pending were acked: look again. */
			if (rc == 0 && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
			    r->element[0]->element[1]->elements > 0) {
				const redisReply *e = r->element[0]->element[1]->element[0];

				q->drain[p] = 1;
				if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
				    e->element[0]->type == REDIS_REPLY_STRING &&
				    e->element[0]->len < sizeof(q->drain_from[p]))
					snprintf(q->drain_from[p], sizeof(q->drain_from[p]), "%s",
					         e->element[0]->str);
			}
			freeReplyObject(r);
			if (rc < 0)
				return -1;
			if (rc == 1) {
				/* Entries left unacked are not handed out again: reclaim finds them. */
				q->drain[p] = 1;
				snprintf(q->drain_from[p], sizeof(q->drain_from[p]), "%s", msg->entry_id);
				if (pending_deliveries(q, msg->prio, msg->entry_id, &msg->deliveries,
				                       err) < 0) {
					queue_msg_clear(msg);
					return -1;
				}
				return 1;
			}
		}
	}
	for (p = 0; p <= (int)lowest; p++) {
		const char *d[] = {"XREADGROUP", "GROUP", q->group, consumer, "COUNT", "1",
		                   "STREAMS", q->stream[p], ">"};

		if (q->paused & (1u << p))
			continue;
		if ((r = q_cmd(q, NULL, NARGS(d), d, err)) == NULL)
			return -1;
		rc = read_reply(q, r, msg, err);
		freeReplyObject(r);
		if (rc != 0)
			return rc;
	}
	if (block_ms == 0)
		return 0;
	snprintf(blockbuf, sizeof(blockbuf), "%d", block_ms);
	n = 0;
	a[n++] = "XREADGROUP";
	a[n++] = "GROUP";
	a[n++] = q->group;
	a[n++] = consumer;
	a[n++] = "COUNT";
	a[n++] = "1";
	a[n++] = "BLOCK";
	a[n++] = blockbuf;
	a[n++] = "STREAMS";
	for (p = 0; p <= (int)lowest; p++)
		if (!(q->paused & (1u << p)))
			a[n++] = q->stream[p];
	if (n == 9) {
		/* Every stream this consumer reads is paused: idle as a blocking read would. */
		struct timespec ts = {block_ms / 1000, (block_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		return 0;
	}
	for (p = 0; p <= (int)lowest; p++)
		if (!(q->paused & (1u << p)))
			a[n++] = ">";
	if ((r = q_cmd(q, NULL, n, a, err)) == NULL)
		return -1;
	rc = read_reply(q, r, msg, err);
	freeReplyObject(r);
	return rc;
}

int
queue_reclaim(struct queue *q, const char *consumer, enum queue_prio lowest, long idle_ms,
              struct queue_msg *msg, struct fb_err *err)
{
	char idle[24];
	int p, scan, rc;

	memset(msg, 0, sizeof(*msg));
	if ((int)lowest < 0 || lowest >= QUEUE_NPRIO) {
		fb_err_set(err, FB_EINVAL, "queue_reclaim: bad priority");
		return -1;
	}
	snprintf(idle, sizeof(idle), "%ld", idle_ms < 0 ? 0 : idle_ms);
	for (p = 0; p <= (int)lowest; p++) {
		if (q->paused & (1u << p))
			continue;
		for (scan = 0; scan < QUEUE_RECLAIM_SCANS; scan++) {
			const char *a[] = {"XAUTOCLAIM", q->stream[p], q->group, consumer, idle,
			                   q->cursor[p], "COUNT", "1"};
			const redisReply *entries;
			redisReply *r;
			size_t i;
			int got = 0;

			if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
				return -1;
			/* Redis 7: [cursor, entries, deleted ids]; 6.2: [cursor, entries]. */
			if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
			    r->element[0]->type != REDIS_REPLY_STRING ||
			    r->element[0]->len >= sizeof(q->cursor[p]) ||
			    r->element[1]->type != REDIS_REPLY_ARRAY) {
				freeReplyObject(r);
				fb_err_set(err, FB_EREDIS, "redis XAUTOCLAIM: unexpected reply");
				q_drop(q);
				return -1;
			}
			memcpy(q->cursor[p], r->element[0]->str, r->element[0]->len);
			q->cursor[p][r->element[0]->len] = '\0';
			entries = r->element[1];
			for (i = 0; i < entries->elements && !got; i++) {
				rc = entry_fill(entries->element[i], (enum queue_prio)p, msg);
				if (rc == 0) {
					if (ack_entry(q, (enum queue_prio)p, msg->entry_id, err) < 0) {
						freeReplyObject(r);
						return -1;
					}
				} else if (rc < 0) {
					freeReplyObject(r);
					fb_err_set(err, FB_EREDIS, "redis XAUTOCLAIM: unexpected entry");
					q_drop(q);
					return -1;
				} else {
					got = 1;
				}
			}
			freeReplyObject(r);
			if (got) {
				if (pending_deliveries(q, msg->prio, msg->entry_id, &msg->deliveries,
				                       err) < 0) {
					queue_msg_clear(msg);
					return -1;
				}
				return 1;
			}
			if (strcmp(q->cursor[p], "0-0") == 0)
				break;
		}
	}
	return 0;
}

/* ---- runner liveness ---------------------------------------------------------------- */

int
queue_runner_beat(struct queue *q, const char *runner, long ttl_ms, struct fb_err *err)
{
	char *key = xasprintf("%s%s", q->runner_prefix, runner);
	char ttl[24], when[32];
	redisReply *r;

	snprintf(ttl, sizeof(ttl), "%ld", ttl_ms > 0 ? ttl_ms : 1);
	now_rfc3339(when);
	{
		const char *a[] = {"SET", key, when, "PX", ttl};

		r = q_cmd(q, NULL, NARGS(a), a, err);
	}
	free(key);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
queue_runner_gone(struct queue *q, const char *runner, struct fb_err *err)
{
	char *key = xasprintf("%s%s", q->runner_prefix, runner);
	const char *a[] = {"DEL", key};
	redisReply *r = q_cmd(q, NULL, NARGS(a), a, err);

	free(key);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
queue_consumer_runner(const char *consumer, char *out, size_t outsz)
{
	const char *last = strrchr(consumer, ':'), *mid;
	size_t n;

	if (last == NULL || !all_digits(last + 1, strlen(last + 1)))
		return -1;
	for (mid = last - 1; mid >= consumer && *mid != ':'; mid--)
		;
	if (mid <= consumer || !all_digits(mid + 1, (size_t)(last - mid - 1)))
		return -1;
	n = (size_t)(last - consumer);
	if (n >= outsz)
		return -1;
	memcpy(out, consumer, n);
	out[n] = '\0';
	return 0;
}

/*
 * Of a dead consumer (ARGV[2]): claim its first pending entry for ARGV[3] (the XCLAIM
 * reply), or, with nothing pending, delete it from the group (0).  Atomic, so that two
 * workers never both claim one entry, and a consumer is never deleted with entries.
 */
static const char claim_dead_lua[] =
	"local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) "
	"if #p == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) "
	"return 0 end "
	"return redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, p[1][1])";

/* Up to this many script calls per dead consumer per queue_reclaim_dead(): entries deleted
 * while pending fall out of the list one by one. */
#define QUEUE_DEAD_TRIES 16

/*
 * Take what is left of one dead consumer on stream p.  1 with msg filled, 0 when nothing
 * was claimed (it is pruned, or its entries were deleted), -1 on error.
 */
static int
claim_dead(struct queue *q, enum queue_prio p, const char *dead, const char *consumer,
           struct queue_msg *msg, struct fb_err *err)
{
	int i, rc;

	for (i = 0; i < QUEUE_DEAD_TRIES; i++) {
		const char *a[] = {"EVAL", claim_dead_lua, "1", q->stream[p], q->group, dead, consumer};
		redisReply *r = q_cmd(q, NULL, NARGS(a), a, err);

		if (r == NULL)
			return -1;
		if (r->type == REDIS_REPLY_INTEGER) {
			freeReplyObject(r);
			log_info("dead consumer removed from the group", "stream", LOG_STR(q->stream[p]),
			         "consumer", LOG_STR(dead), NULL);
			return 0;
		}
		if (r->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			fb_err_set(err, FB_EREDIS, "redis XCLAIM: unexpected reply");
			q_drop(q);
			return -1;
		}
		if (r->elements == 0) {
			freeReplyObject(r);
			continue;
		}
		rc = entry_fill(r->element[0], p, msg);
		freeReplyObject(r);
		if (rc < 0) {
			fb_err_set(err, FB_EREDIS, "redis XCLAIM: unexpected entry");
			q_drop(q);
			return -1;
		}
		if (rc == 0) {
			if (ack_entry(q, p, msg->entry_id, err) < 0)
				return -1;
			continue;
		}
		if (pending_deliveries(q, p, msg->entry_id, &msg->deliveries, err) < 0) {
			queue_msg_clear(msg);
			return -1;
		}
		log_info("claimed a job of a runner that is gone", "stream", LOG_STR(q->stream[p]),
		         "entry_id", LOG_STR(msg->entry_id), "from", LOG_STR(dead), "consumer",
		         LOG_STR(consumer), "deliveries", LOG_INT(msg->deliveries), NULL);
		return 1;
	}
	return 0;
}

/* One field of an XINFO CONSUMERS item ([field, value, ...]); NULL when absent. */
static const redisReply *
info_field(const redisReply *item, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < item->elements; i += 2)
		if (item->element[i]->type == REDIS_REPLY_STRING && strcmp(item->element[i]->str, name) == 0)
			return item->element[i + 1];
	return NULL;
}

int
queue_reclaim_dead(struct queue *q, const char *consumer, const char *self,
                   enum queue_prio lowest, long min_idle_ms, struct queue_msg *msg,
                   struct fb_err *err)
{
	char runner[300], last[300] = "";
	int p, last_alive = 1;

	memset(msg, 0, sizeof(*msg));
	if ((int)lowest < 0 || lowest >= QUEUE_NPRIO) {
		fb_err_set(err, FB_EINVAL, "queue_reclaim_dead: bad priority");
		return -1;
	}
	for (p = 0; p <= (int)lowest; p++) {
		const char *a[] = {"XINFO", "CONSUMERS", q->stream[p], q->group};
		redisReply *r;
		size_t i;
		int rc = 0;

		if (q->paused & (1u << p))
			continue;
		if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
			return -1;
		for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && rc == 0; i++) {
			const redisReply *c = r->element[i], *name, *idle;

			if (c->type != REDIS_REPLY_ARRAY)
				continue;
			name = info_field(c, "name");
			idle = info_field(c, "idle");
			if (name == NULL || name->type != REDIS_REPLY_STRING || idle == NULL ||
			    idle->type != REDIS_REPLY_INTEGER || idle->integer < min_idle_ms ||
			    queue_consumer_runner(name->str, runner, sizeof(runner)) < 0 ||
			    strcmp(runner, self) == 0)
				continue;
			if (strcmp(runner, last) != 0) {
				char *key = xasprintf("%s%s", q->runner_prefix, runner);
				const char *e[] = {"EXISTS", key};
				redisReply *x = q_cmd(q, NULL, NARGS(e), e, err);

				free(key);
				if (x == NULL) {
					rc = -1;
					break;
				}
				last_alive = x->type != REDIS_REPLY_INTEGER || x->integer != 0;
				freeReplyObject(x);
				snprintf(last, sizeof(last), "%s", runner);
			}
			if (!last_alive)
				rc = claim_dead(q, (enum queue_prio)p, name->str, consumer, msg, err);
		}
		freeReplyObject(r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The age in ms of a stream entry id ("<ms>-<seq>") at now_ms; 0 when not an id. */
static long long
entry_age_ms(const char *id, long long now_ms)
{
	long long ms = strtoll(id, NULL, 10);

	return ms > 0 && now_ms > ms ? now_ms - ms : 0;
}

int
queue_stats(struct queue *q, struct queue_stats *st, struct fb_err *err)
{
	struct timespec now;
	long long now_ms;
	int p;

	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	for (p = 0; p < QUEUE_NPRIO; p++) {
		const char *a1[] = {"XLEN", q->stream[p]};
		const char *a2[] = {"XPENDING", q->stream[p], q->group};
		/* Acknowledged entries are deleted: the first entry is the oldest waiting one. */
		const char *a3[] = {"XRANGE", q->stream[p], "-", "+", "COUNT", "1"};
		const char *a4[] = {"XINFO", "GROUPS", q->stream[p]};
		redisReply *r;
		size_t i;

		if ((r = q_cmd(q, NULL, NARGS(a1), a1, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_INTEGER)
			st->length[p] = r->integer;
		freeReplyObject(r);
		if ((r = q_cmd(q, NULL, NARGS(a2), a2, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
		    r->element[0]->type == REDIS_REPLY_INTEGER)
			st->pending[p] = r->element[0]->integer;
		freeReplyObject(r);
		if ((r = q_cmd(q, NULL, NARGS(a3), a3, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
		    r->element[0]->element[0]->type == REDIS_REPLY_STRING)
			st->oldest_age_ms[p] = entry_age_ms(r->element[0]->element[0]->str, now_ms);
		freeReplyObject(r);
		if ((r = q_cmd(q, NULL, NARGS(a4), a4, err)) == NULL)
			return -1;
		for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
			const redisReply *g = r->element[i], *name, *n;

			if (g->type != REDIS_REPLY_ARRAY)
				continue;
			name = info_field(g, "name");
			n = info_field(g, "consumers");
			if (name != NULL && name->type == REDIS_REPLY_STRING &&
			    strcmp(name->str, q->group) == 0 && n != NULL &&
			    n->type == REDIS_REPLY_INTEGER)
				st->consumers[p] = n->integer;
		}
		freeReplyObject(r);
	}
	return 0;
}

int
queue_get_consumers(struct queue *q, int counts[QUEUE_NPRIO], struct fb_err *err)
{
	const char *a[] = {"HMGET", q->consumers_key, prio_names[0], prio_names[1],
	                   prio_names[2]};
	redisReply *r;
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++)
		counts[p] = -1;
	if ((r = q_cmd(q, NULL, NARGS(a), a, err)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == QUEUE_NPRIO) {
		for (p = 0; p < QUEUE_NPRIO; p++) {
			const redisReply *v = r->element[p];
			char *end;
			long n;

			if (v->type != REDIS_REPLY_STRING)
				continue;
			errno = 0;
			n = strtol(v->str, &end, 10);
			if (errno == 0 && end != v->str && *end == '\0' && n >= 0 && n <= 1000)
				counts[p] = (int)n;
		}
	}
	freeReplyObject(r);
	return 0;
}

int
queue_set_consumers(struct queue *q, const int counts[QUEUE_NPRIO], struct fb_err *err)
{
	char num[QUEUE_NPRIO][16];
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++) {
		redisReply *r;

		if (counts[p] >= 0) {
			const char *a[] = {"HSET", q->consumers_key, prio_names[p], num[p]};

			snprintf(num[p], sizeof(num[p]), "%d", counts[p]);
			r = q_cmd(q, NULL, NARGS(a), a, err);
		} else {
			const char *a[] = {"HDEL", q->consumers_key, prio_names[p]};

			r = q_cmd(q, NULL, NARGS(a), a, err);
		}
		if (r == NULL)
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

static const char unlock_lua[] =
	"if redis.call('get', KEYS[1]) == ARGV[1] then "
	"return redis.call('del', KEYS[1]) else return 0 end";
static const char extend_lua[] =
	"if redis.call('get', KEYS[1]) == ARGV[1] then "
	"return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

int
queue_lock(struct queue *q, const char *name, long ttl_ms, char token[33], struct fb_err *err)
{
	char ttl[24];
	char *key;
	redisReply *r;
	int rc;

	fb_random_hex(token, 16);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_ms > 0 ? ttl_ms : 1);
	key = xasprintf("%s%s", q->lock_prefix, name);
	{
		const char *a[] = {"SET", key, token, "NX", "PX", ttl};

		r = q_cmd(q, NULL, NARGS(a), a, err);
	}
	free(key);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_STATUS ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

static int
lock_script(struct queue *q, const char *script, const char *name, const char *token,
            const char *ttl, struct fb_err *err)
{
	char *key = xasprintf("%s%s", q->lock_prefix, name);
	const char *a[] = {"EVAL", script, "1", key, token, ttl};
	redisReply *r;
	int rc;

	r = q_cmd(q, NULL, ttl != NULL ? 6 : 5, a, err);
	free(key);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

int
queue_unlock(struct queue *q, const char *name, const char token[33], struct fb_err *err)
{
	return lock_script(q, unlock_lua, name, token, NULL, err);
}

int
queue_lock_extend(struct queue *q, const char *name, const char token[33], long ttl_ms,
                  struct fb_err *err)
{
	char ttl[24];

	snprintf(ttl, sizeof(ttl), "%ld", ttl_ms > 0 ? ttl_ms : 1);
	return lock_script(q, extend_lua, name, token, ttl, err);
}

/* ---- for the modules that keep their own keys beside the queue's -------------------- */

redisReply *
queue_command(struct queue *q, int argc, const char **argv, struct fb_err *err)
{
	redisReply *r;
	size_t *lens;
	int i;

	if (argc < 1) {
		fb_err_set(err, FB_EINVAL, "queue_command: no command");
		return NULL;
	}
	if (argc <= 24)
		return q_cmd(q, NULL, argc, argv, err);
	/* Long commands (a runner's report): the same steps as q_cmd with lengths allocated. */
	if (q_connect(q, err) < 0)
		return NULL;
	lens = xcalloc((size_t)argc, sizeof(*lens));
	for (i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	r = redisCommandArgv(q->c, argc, argv, lens);
	free(lens);
	if (r == NULL) {
		fb_err_set(err, FB_EREDIS, "redis %s: %s", argv[0],
		           q->c->errstr[0] ? q->c->errstr : "connection lost");
		q_drop(q);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		fb_err_set(err, FB_EREDIS, "redis %s: %s", argv[0], r->str ? r->str : "error");
		freeReplyObject(r);
		q_drop(q);
		return NULL;
	}
	return r;
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
