/* SPDX-License-Identifier: MIT */
/*
 * check_queue: the pure parts of the job pipeline: job message parsing, the job registry,
 * priority names, the consumer-count arithmetic, consumer names and the transient-error
 * classification; then, against the test Redis (its port from the env file named by
 * $FB_TEST_ENV, as for the integration tests), the owner-checked touch and the claiming of
 * a dead runner's entries.  Without FB_TEST_ENV the Redis cases fail, unless
 * FB_ALLOW_SKIP=1 (make distcheck), where they are left out.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "jobs/jobs.h"
#include "mem.h"
#include "queue.h"
#include "testenv.h"
#include "worker.h"

static int
parse(const char *text, struct job_msg *m, struct fb_err *err)
{
	memset(err, 0, sizeof(*err));
	return jobs_parse_msg(text, strlen(text), m, err);
}

START_TEST(parse_ok)
{
	struct job_msg m;
	struct fb_err err;
	struct json_object *v;

	ck_assert_int_eq(parse("{\"id\":\"3f0c1a9e-0000-4000-8000-000000000001\",\"type\":\"noop\","
	                       "\"args\":{\"label\":\"事由\",\"sleep_ms\":5},"
	                       "\"enqueued_at\":\"2024-05-01T08:00:00.000Z\",\"attempt\":2}",
	                       &m, &err), 0);
	ck_assert_str_eq(m.id, "3f0c1a9e-0000-4000-8000-000000000001");
	ck_assert_str_eq(m.type, "noop");
	ck_assert_int_eq(m.attempt, 2);
	ck_assert_str_eq(m.enqueued_at, "2024-05-01T08:00:00.000Z");
	ck_assert(json_object_object_get_ex(m.args, "label", &v));
	ck_assert_str_eq(json_object_get_string(v), "事由");
	job_msg_clear(&m);
}
END_TEST

START_TEST(parse_defaults)
{
	struct job_msg m;
	struct fb_err err;

	ck_assert_int_eq(parse("{\"id\":\"a1\",\"type\":\"batch.execute\"}", &m, &err), 0);
	ck_assert_int_eq(m.attempt, 1);
	ck_assert_str_eq(m.enqueued_at, "");
	ck_assert_ptr_nonnull(m.args);
	ck_assert(json_object_is_type(m.args, json_type_object));
	job_msg_clear(&m);
}
END_TEST

/* The enqueue time reaches PostgreSQL only in the form queue_publish writes. */
START_TEST(parse_enqueued_at)
{
	static const struct {
		const char *when, *kept;
	} cases[] = {
		{"2026-12-04T23:50:01.123456Z", "2026-12-04T23:50:01.123456Z"},
		{"2026-12-04T23:50:01Z", "2026-12-04T23:50:01Z"},
		{"2026-12-04T23:50:01.1Z", "2026-12-04T23:50:01.1Z"},
		{"2026-12-04T23:50:01.1234567Z", ""},
		{"2026-12-04 23:50:01Z", ""},
		{"2026-12-04T23:50:01.Z", ""},
		{"2026-12-04T23:50:01+08:00", ""},
		{"yesterday", ""},
		{"2026-12-04T23:50:01.12x4Z", ""},
	};
	struct job_msg m;
	struct fb_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf("{\"id\":\"a\",\"type\":\"noop\",\"enqueued_at\":\"%s\"}",
		                       cases[i].when);

		ck_assert_int_eq(parse(text, &m, &err), 0);
		ck_assert_msg(strcmp(m.enqueued_at, cases[i].kept) == 0, "%s -> %s", cases[i].when,
		              m.enqueued_at);
		job_msg_clear(&m);
		free(text);
	}
}
END_TEST

START_TEST(parse_rejects)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"id\":\"a\",\"type\":\"noop\"} x",
		"{\"id\":\"a\",\"type\":\"noop\"/*c*/}",
		"{'id':'a','type':'noop'}",
		"{\"type\":\"noop\"}",
		"{\"id\":\"a\"}",
		"{\"id\":1,\"type\":\"noop\"}",
		"{\"id\":\"\",\"type\":\"noop\"}",
		"{\"id\":\"a b\",\"type\":\"noop\"}",
		"{\"id\":\"a\",\"type\":\"noop\",\"args\":[1]}",
		"{\"id\":\"a\",\"type\":\"noop\",\"attempt\":0}",
		"{\"id\":\"a\",\"type\":\"noop\",\"attempt\":\"1\"}",
		"{\"id\":\"a\",\"type\":\"noop\",\"enqueued_at\":5}",
		"{\"id\":\"a\",\"type\":\"noop\",\"args\":{\"x\":NaN}}",
		"{\"id\":\"a\",\"type\":\"\xff\"}",
		("{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\","
		 "\"type\":\"noop\"}"),
	};
	struct job_msg m;
	struct fb_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], &m, &err) == -1, "accepted: %s", bad[i]);
		ck_assert_int_eq(err.code, FB_EINVAL);
		ck_assert_ptr_null(m.args);
		fb_err_clear(&err);
	}
}
END_TEST

START_TEST(parse_too_deep_or_big)
{
	struct job_msg m;
	struct fb_err err;
	struct buf b = {0};
	int i;

	buf_puts(&b, "{\"id\":\"a\",\"type\":\"noop\",\"args\":{\"x\":");
	for (i = 0; i < 100; i++)
		buf_puts(&b, "[");
	for (i = 0; i < 100; i++)
		buf_puts(&b, "]");
	buf_puts(&b, "}}");
	ck_assert_int_eq(parse(buf_cstr(&b), &m, &err), -1);
	fb_err_clear(&err);
	free(b.data);

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(jobs_parse_msg("{}", JOBS_MAX_MSG + 1, &m, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	fb_err_clear(&err);
}
END_TEST

START_TEST(registry)
{
	const struct job_type *t = jobs_find("noop");
	const struct job_type *all;
	int n, i, j;

	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->name, "noop");
	ck_assert_ptr_nonnull(t->run);
	ck_assert_ptr_null(jobs_find("no.such"));
	ck_assert_ptr_null(jobs_find(NULL));
	all = jobs_all(&n);
	ck_assert_int_ge(n, 1);
	for (i = 0; i < n; i++) {
		ck_assert((int)all[i].prio >= 0 && all[i].prio < QUEUE_NPRIO);
		for (j = i + 1; j < n; j++)
			ck_assert_str_ne(all[i].name, all[j].name);
	}
}
END_TEST

START_TEST(noop_args)
{
	struct job_ctx ctx = {0};
	struct fb_err err = {0};
	struct json_object *a;

	a = json_tokener_parse("{\"sleep_ms\":1}");
	ck_assert_int_eq(job_noop(&ctx, a, &err), 0);
	json_object_put(a);
	a = json_tokener_parse("{\"fail\":true,\"message\":\"不通过\"}");
	ck_assert_int_eq(job_noop(&ctx, a, &err), -1);
	ck_assert_str_eq(err.msg, "不通过");
	ck_assert_int_ne(err.code, FB_EDB);
	fb_err_clear(&err);
	json_object_put(a);
	a = json_tokener_parse("{\"sleep_ms\":60001}");
	ck_assert_int_eq(job_noop(&ctx, a, &err), -1);
	fb_err_clear(&err);
	json_object_put(a);
	a = json_tokener_parse("{\"slep_ms\":1}");
	ck_assert_int_eq(job_noop(&ctx, a, &err), -1);
	fb_err_clear(&err);
	json_object_put(a);
}
END_TEST

START_TEST(prio_names)
{
	enum queue_prio p;

	ck_assert_int_eq(queue_prio_parse("high", &p), 0);
	ck_assert_int_eq(p, QUEUE_HIGH);
	ck_assert_int_eq(queue_prio_parse("common", &p), 0);
	ck_assert_int_eq(p, QUEUE_COMMON);
	ck_assert_int_eq(queue_prio_parse("low", &p), 0);
	ck_assert_int_eq(p, QUEUE_LOW);
	ck_assert_int_eq(queue_prio_parse("LOW", &p), -1);
	ck_assert_int_eq(queue_prio_parse("", &p), -1);
	ck_assert_str_eq(queue_prio_name(QUEUE_COMMON), "common");
	ck_assert_str_eq(queue_prio_name(QUEUE_NPRIO), "?");
}
END_TEST

START_TEST(counts_merge)
{
	struct fb_config cfg = {0};
	int redis[QUEUE_NPRIO] = {-1, -1, -1};
	int out[QUEUE_NPRIO];

	cfg.runner_high = 2;
	cfg.runner_common = 3;
	cfg.runner_low = 1;
	worker_counts_merge(&cfg, NULL, out);
	ck_assert_int_eq(out[0], 2);
	ck_assert_int_eq(out[1], 3);
	ck_assert_int_eq(out[2], 1);
	worker_counts_merge(&cfg, redis, out);
	ck_assert_int_eq(out[1], 3);
	redis[0] = 0;
	redis[2] = 500;
	worker_counts_merge(&cfg, redis, out);
	ck_assert_int_eq(out[0], 0);
	ck_assert_int_eq(out[1], 3);
	ck_assert_int_eq(out[2], WORKER_MAX_PER_CLASS);
}
END_TEST

START_TEST(consumer_runner)
{
	char out[64];

	ck_assert_int_eq(queue_consumer_runner("web-01.example:4242:3", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "web-01.example:4242");
	ck_assert_int_eq(queue_consumer_runner("h:1:0", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "h:1");
	ck_assert_int_eq(queue_consumer_runner("flowbatchctl", out, sizeof(out)), -1);
	ck_assert_int_eq(queue_consumer_runner("h:1", out, sizeof(out)), -1);
	ck_assert_int_eq(queue_consumer_runner(":1:0", out, sizeof(out)), -1);
	ck_assert_int_eq(queue_consumer_runner("h:x:0", out, sizeof(out)), -1);
	ck_assert_int_eq(queue_consumer_runner("h:1:", out, sizeof(out)), -1);
	ck_assert_int_eq(queue_consumer_runner("h::0", out, sizeof(out)), -1);
	ck_assert_int_eq(queue_consumer_runner("a-very-long-host-name:1:0", out, 8), -1);
}
END_TEST

START_TEST(transient_errors)
{
	static const char *const yes[] = {"", "08006", "08001", "57P01", "57P02", "57P03",
	                                  "53300", "40001", "40P01"};
	static const char *const no[] = {"23505", "42P01", "22P02", "57014", "25P02"};
	struct fb_err err = {0};
	size_t i;

	fb_err_set(&err, FB_EREDIS, "redis XADD: connection lost");
	ck_assert(fb_err_transient(&err));
	fb_err_set(&err, FB_EINVAL, "bad");
	ck_assert(!fb_err_transient(&err));
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		fb_err_set(&err, FB_EDB, "x");
		snprintf(err.sqlstate, sizeof(err.sqlstate), "%s", yes[i]);
		ck_assert_msg(fb_err_transient(&err), "%s should be transient", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		fb_err_set(&err, FB_EDB, "x");
		snprintf(err.sqlstate, sizeof(err.sqlstate), "%s", no[i]);
		ck_assert_msg(!fb_err_transient(&err), "%s should not be transient", no[i]);
	}
}
END_TEST

/* ---- against Redis ------------------------------------------------------------------- */

static int redis_port; /* from $FB_TEST_ENV, read once in main */

struct rt {
	struct fb_config *cfg;
	struct queue *q;
	redisContext *raw;
	char prefix[64];
};

static void
rt_open(struct rt *t)
{
	struct fb_err err = {0};
	char text[256];

	snprintf(t->prefix, sizeof(t->prefix), "ut-queue-%ld-%d", (long)getpid(), rand() % 100000);
	snprintf(text, sizeof(text), "[redis]\nhost = 127.0.0.1\nport = %d\nprefix = %s\n"
	         "[runner]\nblock_ms = 100\n[auth]\nsecret = 0123456789abcdef0123\n", redis_port,
	         t->prefix);
	t->cfg = config_parse(text, 0, &err);
	ck_assert_msg(t->cfg != NULL, "config: %s", err.msg);
	t->q = queue_open(t->cfg, &err);
	ck_assert_msg(t->q != NULL, "queue_open: %s", err.msg);
	t->raw = redisConnect("127.0.0.1", redis_port);
	ck_assert(t->raw != NULL && t->raw->err == 0);
}

static void
rt_close(struct rt *t)
{
	redisReply *r;
	int p;

	for (p = 0; p < QUEUE_NPRIO; p++) {
		r = redisCommand(t->raw, "DEL %s", queue_stream(t->q, (enum queue_prio)p));
		freeReplyObject(r);
	}
	r = redisCommand(t->raw, "DEL %s:runner:hz:3", t->prefix);
	freeReplyObject(r);
	redisFree(t->raw);
	queue_close(t->q);
	config_free(t->cfg);
}

/* Publish a noop and hand it to consumer; the entry is left in msg. */
static void
rt_take(struct rt *t, const char *consumer, struct queue_msg *msg)
{
	struct fb_err err = {0};
	char id[37] = "";

	ck_assert_int_eq(queue_publish(t->q, QUEUE_COMMON, "noop", NULL, id, &err), 0);
	ck_assert_int_eq(queue_take(t->q, consumer, QUEUE_LOW, 0, msg, &err), 1);
}

/* The consumer an entry is pending for ("" when it is not pending). */
static void
rt_owner(struct rt *t, const struct queue_msg *m, char out[64])
{
	redisReply *r = redisCommand(t->raw, "XPENDING %s %s-workers %s %s 1",
	                             queue_stream(t->q, m->prio), t->prefix, m->entry_id,
	                             m->entry_id);

	out[0] = '\0';
	ck_assert_ptr_nonnull(r);
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1)
		snprintf(out, 64, "%s", r->element[0]->element[1]->str);
	freeReplyObject(r);
}

/* Whether the group on stream prio has a consumer called name. */
static int
rt_has_consumer(struct rt *t, enum queue_prio prio, const char *name)
{
	redisReply *r = redisCommand(t->raw, "XINFO CONSUMERS %s %s-workers",
	                             queue_stream(t->q, prio), t->prefix);
	size_t i;
	int found = 0;

	ck_assert_ptr_nonnull(r);
	for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (strcmp(r->element[i]->element[1]->str, name) == 0)
			found = 1;
	freeReplyObject(r);
	return found;
}

START_TEST(touch_only_own_entry)
{
	struct rt t;
	struct queue_msg m;
	struct fb_err err = {0};
	redisReply *r;
	char owner[64];

	rt_open(&t);
	rt_take(&t, "ha:1:0", &m);
	ck_assert_int_eq(queue_touch(t.q, "ha:1:0", m.prio, m.entry_id, &err), 1);
	rt_owner(&t, &m, owner);
	ck_assert_str_eq(owner, "ha:1:0");
	/* Another runner claims it (the visibility timeout passed, say) ... */
	r = redisCommand(t.raw, "XCLAIM %s %s-workers hb:2:0 0 %s JUSTID",
	                 queue_stream(t.q, m.prio), t.prefix, m.entry_id);
	freeReplyObject(r);
	/* ... then the first runner's heartbeat must not take it back. */
	ck_assert_int_eq(queue_touch(t.q, "ha:1:0", m.prio, m.entry_id, &err), 0);
	rt_owner(&t, &m, owner);
	ck_assert_str_eq(owner, "hb:2:0");
	ck_assert_int_eq(queue_ack(t.q, &m, &err), 0);
	ck_assert_int_eq(queue_touch(t.q, "hb:2:0", m.prio, m.entry_id, &err), 0);
	rt_owner(&t, &m, owner);
	ck_assert_str_eq(owner, "");
	queue_msg_clear(&m);
	rt_close(&t);
}
END_TEST

START_TEST(dead_runner_claimed_and_pruned)
{
	struct rt t;
	struct queue_msg m, got, none;
	struct fb_err err = {0};
	char owner[64];

	rt_open(&t);
	rt_take(&t, "hx:1:0", &m); /* runner hx:1 never published a liveness key: it is gone */
	ck_assert_int_eq(queue_reclaim_dead(t.q, "hy:2:0", "hy:2", QUEUE_LOW, 60000, &got, &err), 0);
	ck_assert_int_eq(queue_reclaim_dead(t.q, "hy:2:0", "hy:2", QUEUE_LOW, 0, &got, &err), 1);
	ck_assert_str_eq(got.entry_id, m.entry_id);
	ck_assert_int_eq(got.deliveries, 2);
	ck_assert_ptr_nonnull(strstr(got.job, "\"noop\""));
	rt_owner(&t, &m, owner);
	ck_assert_str_eq(owner, "hy:2:0");
	/* Nothing of hx:1:0 is left: the next look removes it from the group. */
	ck_assert(rt_has_consumer(&t, m.prio, "hx:1:0"));
	ck_assert_int_eq(queue_reclaim_dead(t.q, "hy:2:0", "hy:2", QUEUE_LOW, 0, &none, &err), 0);
	ck_assert(!rt_has_consumer(&t, m.prio, "hx:1:0"));
	ck_assert(rt_has_consumer(&t, m.prio, "hy:2:0"));
	queue_msg_clear(&m);
	queue_msg_clear(&got);
	rt_close(&t);
}
END_TEST

START_TEST(live_runner_and_others_kept)
{
	struct rt t;
	struct queue_msg a, b, c, got;
	struct fb_err err = {0};
	char owner[64];

	rt_open(&t);
	ck_assert_int_eq(queue_runner_beat(t.q, "hz:3", 5000, &err), 0);
	rt_take(&t, "hz:3:0", &a);        /* a live runner */
	rt_take(&t, "flowbatchctl", &b);  /* not a runner's consumer */
	rt_take(&t, "hy:2:7", &c);        /* the claimer's own runner */
	ck_assert_int_eq(queue_reclaim_dead(t.q, "hy:2:0", "hy:2", QUEUE_LOW, 0, &got, &err), 0);
	rt_owner(&t, &a, owner);
	ck_assert_str_eq(owner, "hz:3:0");
	rt_owner(&t, &b, owner);
	ck_assert_str_eq(owner, "flowbatchctl");
	rt_owner(&t, &c, owner);
	ck_assert_str_eq(owner, "hy:2:7");
	/* A clean exit deletes the key: what it left is taken at once. */
	ck_assert_int_eq(queue_runner_gone(t.q, "hz:3", &err), 0);
	ck_assert_int_eq(queue_reclaim_dead(t.q, "hy:2:0", "hy:2", QUEUE_LOW, 0, &got, &err), 1);
	ck_assert_str_eq(got.entry_id, a.entry_id);
	queue_msg_clear(&a);
	queue_msg_clear(&b);
	queue_msg_clear(&c);
	queue_msg_clear(&got);
	rt_close(&t);
}
END_TEST

START_TEST(no_redis_configured)
{
	ck_abort_msg("FB_TEST_ENV is not set (or has no FB_REDIS_PORT): the Redis cases need the "
	             "test Redis; FB_ALLOW_SKIP=1 leaves them out");
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("pure");
	TCase *tr;
	char *port = testenv_get("FB_REDIS_PORT");

	tcase_add_test(tc, parse_ok);
	tcase_add_test(tc, parse_defaults);
	tcase_add_test(tc, parse_enqueued_at);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, parse_too_deep_or_big);
	tcase_add_test(tc, registry);
	tcase_add_test(tc, noop_args);
	tcase_add_test(tc, prio_names);
	tcase_add_test(tc, counts_merge);
	tcase_add_test(tc, consumer_runner);
	tcase_add_test(tc, transient_errors);
	suite_add_tcase(s, tc);
	redis_port = port != NULL ? atoi(port) : 0;
	free(port);
	if (redis_port > 0) {
		tr = tcase_create("redis");
		tcase_add_test(tr, touch_only_own_entry);
		tcase_add_test(tr, dead_runner_claimed_and_pruned);
		tcase_add_test(tr, live_runner_and_others_kept);
		suite_add_tcase(s, tr);
	} else if (!testenv_may_skip()) {
		tr = tcase_create("redis");
		tcase_add_test(tr, no_redis_configured);
		suite_add_tcase(s, tr);
	} else {
		fprintf(stderr, "check_queue: no FB_TEST_ENV; the Redis cases are left out\n");
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(queue_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
