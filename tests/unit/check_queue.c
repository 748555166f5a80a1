/* SPDX-License-Identifier: MIT */
/*
 * check_queue: the pure parts of the job pipeline: job message parsing, the job registry,
 * priority names and the consumer-count arithmetic.  No services needed.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jobs/jobs.h"
#include "mem.h"
#include "queue.h"
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
	ck_assert_ptr_nonnull(m.args);
	ck_assert(json_object_is_type(m.args, json_type_object));
	job_msg_clear(&m);
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

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, parse_ok);
	tcase_add_test(tc, parse_defaults);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, parse_too_deep_or_big);
	tcase_add_test(tc, registry);
	tcase_add_test(tc, noop_args);
	tcase_add_test(tc, prio_names);
	tcase_add_test(tc, counts_merge);
	suite_add_tcase(s, tc);
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
