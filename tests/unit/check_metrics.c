/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the metrics registry — exposition lines, cumulative histograms, label
 * escaping, an extra label, and counts that add up under concurrent threads.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const struct metric_def c_def = {"t_things_total", "Things.", METRIC_COUNTER, NULL, 0};
static const struct metric_def g_def = {"t_level", "Level.", METRIC_GAUGE, NULL, 0};
static const double bounds[] = {0.1, 1};
static const struct metric_def h_def = {"t_wait_seconds", "Wait.", METRIC_HISTOGRAM, bounds, 2};
static const struct metric_def e_def = {"t_empty_total", "Empty.", METRIC_COUNTER, NULL, 0};

START_TEST(exposition)
{
	struct metrics *m = metrics_new();
	struct buf b = {0};

	metrics_declare(m, &e_def);
	metrics_add(m, &c_def, "kind=\"a\"", 2);
	metrics_add(m, &c_def, "kind=\"a\"", 3);
	metrics_add(m, &c_def, "kind=\"b\"", 1);
	metrics_set(m, &g_def, "", 1234567890);
	metrics_observe(m, &h_def, "type=\"x\"", 0.05);
	metrics_observe(m, &h_def, "type=\"x\"", 0.5);
	metrics_observe(m, &h_def, "type=\"x\"", 7);
	metrics_observe(m, &h_def, "type=\"x\"", -1); /* a clock step counts as 0 */
	metrics_write(m, &b);
	ck_assert_str_eq(buf_cstr(&b),
	                 "# HELP t_empty_total Empty.\n# TYPE t_empty_total counter\n"
	                 "# HELP t_things_total Things.\n# TYPE t_things_total counter\n"
	                 "t_things_total{kind=\"a\"} 5\n"
	                 "t_things_total{kind=\"b\"} 1\n"
	                 "# HELP t_level Level.\n# TYPE t_level gauge\n"
	                 "t_level 1234567890\n"
	                 "# HELP t_wait_seconds Wait.\n# TYPE t_wait_seconds histogram\n"
	                 "t_wait_seconds_bucket{type=\"x\",le=\"0.1\"} 2\n"
	                 "t_wait_seconds_bucket{type=\"x\",le=\"1\"} 3\n"
	                 "t_wait_seconds_bucket{type=\"x\",le=\"+Inf\"} 4\n"
	                 "t_wait_seconds_sum{type=\"x\"} 7.550000000\n"
	                 "t_wait_seconds_count{type=\"x\"} 4\n");
	buf_reset(&b);
	metrics_write_samples(m, &c_def, "runner=\"h:1\"", &b);
	ck_assert_str_eq(buf_cstr(&b), "t_things_total{runner=\"h:1\",kind=\"a\"} 5\n"
	                               "t_things_total{runner=\"h:1\",kind=\"b\"} 1\n");
	buf_reset(&b);
	metrics_write_samples(m, &g_def, "runner=\"h:1\"", &b);
	ck_assert_str_eq(buf_cstr(&b), "t_level{runner=\"h:1\"} 1234567890\n");
	free(b.data);
	metrics_free(m);
}
END_TEST

START_TEST(label_escaping)
{
	char out[32];

	metrics_label_value("a\"b\\c\nd", out, sizeof(out));
	ck_assert_str_eq(out, "a\\\"b\\\\c\\nd");
	metrics_label_value("0123456789abcdef", out, 8);
	ck_assert_int_lt(strlen(out), 8);
}
END_TEST

static struct metrics *shared_m;

static void *
hammer(void *arg)
{
	char labels[32];
	int i;

	(void)arg;
	for (i = 0; i < 20000; i++) {
		/* New series appear while others are being added to. */
		snprintf(labels, sizeof(labels), "k=\"%d\"", i % 50);
		metrics_add(shared_m, &c_def, labels, 1);
		metrics_observe(shared_m, &h_def, "", 0.5);
	}
	return NULL;
}

START_TEST(concurrent_adds)
{
	pthread_t t[4];
	struct buf b = {0};
	const char *p;
	long long sum = 0;
	int i;

	shared_m = metrics_new();
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	metrics_write_samples(shared_m, &c_def, NULL, &b);
	for (p = buf_cstr(&b); (p = strchr(p, '}')) != NULL; p++)
		sum += strtoll(p + 1, NULL, 10);
	ck_assert_int_eq(sum, 80000);
	buf_reset(&b);
	metrics_write_samples(shared_m, &h_def, NULL, &b);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "t_wait_seconds_count 80000\n"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "t_wait_seconds_bucket{le=\"1\"} 80000\n"));
	free(b.data);
	metrics_free(shared_m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, exposition);
	tcase_add_test(tc, label_escaping);
	tcase_add_test(tc, concurrent_adds);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
