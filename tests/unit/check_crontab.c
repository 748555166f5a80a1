/* SPDX-License-Identifier: MIT */
/* Unit tests: crontab rules — validation that names every bad field, next due times for
 * cron lists in a zone (DST gap included), every-N-seconds and its config form, start and
 * end bounds, once, RFC 3339 times, and the test clock. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab.h"
#include "jsonh.h"
#include "msg.h"

static struct fb_config *
cfg_new(void)
{
	struct fb_err err = {0};
	struct fb_config *c = config_parse("[auth]\nsecret=0123456789abcdef\n[batch]\n"
	                                   "recover_interval_seconds=7\n",
	                                   0, &err);

	ck_assert_msg(c != NULL, "%s", err.msg);
	return c;
}

/* Parse rule text; the problems' fields joined by spaces into out (each has a code). */
static int
parse(const char *text, int repeat, struct crontab_rule *r, char *out, size_t outsz)
{
	struct fb_config *cfg = cfg_new();
	struct fb_err err = {0};
	struct json_object *j = json_tokener_parse(text);
	int n;
	size_t i;

	ck_assert_ptr_nonnull(j);
	n = crontab_rule_parse(j, repeat, cfg, r, &err);
	out[0] = '\0';
	for (i = 0; err.details != NULL && i < json_object_array_length(err.details); i++) {
		struct json_object *d = json_object_array_get_idx(err.details, i);
		const char *code = json_object_get_string(json_object_object_get(d, "code"));

		/* Every problem is said through a code of the catalogue. */
		ck_assert_msg(msg_known(code), "%s: code %s", jsonh_str(d), code ? code : "none");
		if (i > 0)
			strncat(out, " ", outsz - strlen(out) - 1);
		strncat(out, json_object_get_string(json_object_object_get(d, "field")),
		        outsz - strlen(out) - 1);
	}
	fb_err_clear(&err);
	json_object_put(j);
	config_free(cfg);
	return n;
}

static int64_t
t3339(const char *s)
{
	int64_t t;

	ck_assert_int_eq(crontab_parse_time(s, &t), 0);
	return t;
}

START_TEST(times)
{
	int64_t t;
	char buf[32];

	ck_assert_int_eq(t3339("2026-01-01T00:00:00Z"), 1767225600);
	ck_assert_int_eq(t3339("2026-01-01T08:00:00+08:00"), 1767225600);
	ck_assert_int_eq(t3339("2025-12-31T19:00:00-05:00"), 1767225600);
	crontab_format_time(1767225600, buf);
	ck_assert_str_eq(buf, "2026-01-01T00:00:00Z");
	ck_assert_int_eq(crontab_parse_time("2026-02-30T00:00:00Z", &t), -1);
	ck_assert_int_eq(crontab_parse_time("2026-01-01 00:00:00", &t), -1);
	ck_assert_int_eq(crontab_parse_time("2026-01-01T00:00:00+25:00", &t), -1);
	ck_assert_int_eq(crontab_parse_time("yesterday", &t), -1);
}
END_TEST

START_TEST(validation_names_every_field)
{
	struct crontab_rule r;
	char fields[512];

	ck_assert_int_eq(parse("{\"cron\":[\"61 * * * *\", \"* * * * *\", 5],\"tz\":\"No/Where\","
	                       "\"start\":\"soon\",\"bogus\":1}",
	                       1, &r, fields, sizeof(fields)),
	                 5);
	ck_assert_str_eq(fields, "rule rule.start rule.tz rule.cron[0] rule.cron[2]");
	ck_assert_int_eq(parse("{\"cron\":[\"* * * * *\"],\"every\":5}", 1, &r, fields,
	                       sizeof(fields)),
	                 1);
	ck_assert_str_eq(fields, "rule.cron");
	ck_assert_int_eq(parse("{}", 0, &r, fields, sizeof(fields)), 1);
	ck_assert_str_eq(fields, "rule.runtime");
	ck_assert_int_eq(parse("{\"every_config\":\"web.threads\"}", 1, &r, fields, sizeof(fields)),
	                 1);
	ck_assert_int_eq(parse("{\"cron\":[\"0 0 * * *\"],\"start\":\"2026-01-02T00:00:00Z\","
	                       "\"end\":\"2026-01-01T00:00:00Z\"}",
	                       1, &r, fields, sizeof(fields)),
	                 1);
	ck_assert_str_eq(fields, "rule.end");
}
END_TEST

START_TEST(next_times)
{
	struct fb_config *cfg = cfg_new();
	struct fb_err err = {0};
	struct crontab_rule r;
	char fields[256];
	int64_t t;

	/* Two expressions, the earlier wins; Shanghai is UTC+8 all year. */
	ck_assert_int_eq(parse("{\"cron\":[\"30 9 * * *\",\"0 8 * * *\"],\"tz\":\"Asia/Shanghai\"}",
	                       1, &r, fields, sizeof(fields)),
	                 0);
	ck_assert_int_eq(crontab_rule_next(&r, cfg, t3339("2025-12-31T23:00:00Z"), &t, &err), 1);
	ck_assert_int_eq(t, t3339("2026-01-01T08:00:00+08:00"));
	ck_assert_int_eq(crontab_rule_next(&r, cfg, t, &t, &err), 1);
	ck_assert_int_eq(t, t3339("2026-01-01T09:30:00+08:00"));
	/* Berlin: 02:30 does not exist on 2026-03-29; it fires once when the gap ends. */
	ck_assert_int_eq(parse("{\"cron\":[\"30 2 * * *\"],\"tz\":\"Europe/Berlin\"}", 1, &r, fields,
	                       sizeof(fields)),
	                 0);
	ck_assert_int_eq(crontab_rule_next(&r, cfg, t3339("2026-03-28T12:00:00Z"), &t, &err), 1);
	ck_assert_int_eq(t, t3339("2026-03-29T03:00:00+02:00"));
	/* Start and end bound the fires. */
	ck_assert_int_eq(parse("{\"cron\":[\"0 * * * *\"],\"start\":\"2026-05-01T10:30:00Z\","
	                       "\"end\":\"2026-05-01T12:00:00Z\"}",
	                       1, &r, fields, sizeof(fields)),
	                 0);
	ck_assert_int_eq(crontab_rule_next(&r, cfg, t3339("2026-01-01T00:00:00Z"), &t, &err), 1);
	ck_assert_int_eq(t, t3339("2026-05-01T11:00:00Z"));
	ck_assert_int_eq(crontab_rule_next(&r, cfg, t, &t, &err), 1);
	ck_assert_int_eq(t, t3339("2026-05-01T12:00:00Z"));
	ck_assert_int_eq(crontab_rule_next(&r, cfg, t, &t, &err), 0);
	/* every and its config form. */
	ck_assert_int_eq(parse("{\"every\":15}", 1, &r, fields, sizeof(fields)), 0);
	ck_assert_int_eq(crontab_rule_next(&r, cfg, 1000, &t, &err), 1);
	ck_assert_int_eq(t, 1015);
	ck_assert_int_eq(crontab_rule_first(&r, cfg, 1000.5, &t, &err), 1);
	ck_assert_int_eq(t, 1001);
	ck_assert_int_eq(parse("{\"every_config\":\"batch.recover_interval_seconds\"}", 1, &r, fields,
	                       sizeof(fields)),
	                 0);
	ck_assert_int_eq(crontab_rule_next(&r, cfg, 1000, &t, &err), 1);
	ck_assert_int_eq(t, 1007);
	/* once: its runtime, then nothing. */
	ck_assert_int_eq(parse("{\"runtime\":\"2026-06-01T00:00:00Z\"}", 0, &r, fields,
	                       sizeof(fields)),
	                 0);
	ck_assert_int_eq(crontab_rule_first(&r, cfg, 0, &t, &err), 1);
	ck_assert_int_eq(t, t3339("2026-06-01T00:00:00Z"));
	ck_assert_int_eq(crontab_rule_next(&r, cfg, t, &t, &err), 0);
	config_free(cfg);
}
END_TEST

START_TEST(test_clock)
{
	struct fb_config *cfg = cfg_new();
	double real = crontab_now(cfg), fast;

	cfg->scheduler_clock_base = (long long)real - 100;
	cfg->scheduler_clock_speed = 60;
	fast = crontab_now(cfg);
	/* 100 real seconds since the base are 6000 scheduler seconds. */
	ck_assert(fast - real > 5800 && fast - real < 6100);
	config_free(cfg);
}
END_TEST

START_TEST(http_allowlist)
{
	struct fb_err err = {0};
	struct fb_config *cfg = config_parse("[auth]\nsecret=0123456789abcdef\n[scheduler]\n"
	                                     "http_allow = https://hooks.example.com/ci/ ,"
	                                     " http://127.0.0.1:8080\n",
	                                     0, &err);
	static const struct {
		const char *url;
		int ok;
	} cases[] = {
		{"https://hooks.example.com/ci/build", 1},
		{"https://hooks.example.com/ci/", 1},
		{"https://hooks.example.com/cid", 0},     /* not under the prefix */
		{"https://hooks.example.com/other", 0},
		{"http://127.0.0.1:8080", 1},
		{"http://127.0.0.1:8080/x?y=1", 1},
		{"http://127.0.0.1:8080?y=1", 1},
		{"http://127.0.0.1:80800/", 0},           /* another port, same text */
		{"http://127.0.0.1:8080.evil.com/", 0},   /* another host, same text */
		{"http://127.0.0.1:8080@evil.com/", 0},   /* user info hides the host */
		{"http://127.0.0.1:8080/a b", 0},         /* blanks */
		{"http://127.0.0.1:8080/a\\b", 0},
		{"ftp://127.0.0.1:8080/", 0},
		{"HTTP://127.0.0.1:8080/", 0},
		{"", 0},
	};
	size_t i;

	ck_assert_msg(cfg != NULL, "%s", err.msg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(crontab_http_allowed(cfg, cases[i].url) == cases[i].ok, "%s: want %d",
		              cases[i].url, cases[i].ok);
	free(cfg->scheduler_http_allow);
	cfg->scheduler_http_allow = strdup("");
	ck_assert(!crontab_http_allowed(cfg, "https://hooks.example.com/ci/build"));
	config_free(cfg);
}
END_TEST

static Suite *
crontab_suite(void)
{
	Suite *s = suite_create("crontab");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, times);
	tcase_add_test(tc, validation_names_every_field);
	tcase_add_test(tc, next_times);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, http_allowlist);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crontab_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
