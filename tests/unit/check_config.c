/* SPDX-License-Identifier: MIT */
/* Unit tests: configuration defaults, file parsing, environment overrides, errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "config.h"
#include "confdoc.h"

static const char *base = "[auth]\nsecret = 0123456789abcdef\n";

START_TEST(defaults)
{
	struct fb_err err = {0};
	struct fb_config *c = config_parse(base, 0, &err);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->db_conninfo, "dbname=flowbatch");
	ck_assert_int_eq(c->redis_port, 6379);
	ck_assert_int_eq(c->batch_retry_limit, 3);
	ck_assert_int_eq(c->web_max_body, 67108864);
	ck_assert_int_eq(c->web_json_body_max, 1048576);
	ck_assert_int_eq(c->web_max_excel_requests, 0);
	ck_assert_str_eq(c->auth_cookie, "fb_token");
	config_free(c);
}
END_TEST

START_TEST(file_values)
{
	struct fb_err err = {0};
	struct fb_config *c = config_parse("# comment\n; other\n\n[db]\nconninfo = host=/tmp port=5 "
	                                   "\n[redis]\nport=7000\n prefix = 审批 \n[auth]\nsecret="
	                                   "0123456789abcdefXYZ\n[batch]\nretry_limit = 5\n",
	                                   0, &err);

	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_str_eq(c->db_conninfo, "host=/tmp port=5");
	ck_assert_int_eq(c->redis_port, 7000);
	ck_assert_str_eq(c->redis_prefix, "审批");
	ck_assert_int_eq(c->batch_retry_limit, 5);
	config_free(c);
}
END_TEST

START_TEST(env_overrides)
{
	struct fb_err err = {0};
	struct fb_config *c;

	setenv("FLOWBATCH_REDIS_PORT", "6390", 1);
	setenv("FLOWBATCH_DB_CONNINFO", "dbname=x", 1);
	c = config_parse("[redis]\nport=7000\n[auth]\nsecret=0123456789abcdef\n", 1, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_int_eq(c->redis_port, 6390);
	ck_assert_str_eq(c->db_conninfo, "dbname=x");
	config_free(c);
	setenv("FLOWBATCH_REDIS_PORT", "seventy", 1);
	c = config_parse(base, 1, &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.msg, "FLOWBATCH_REDIS_PORT: redis.port: \"seventy\" is not a whole "
	                              "number") != NULL, "%s", err.msg);
	unsetenv("FLOWBATCH_REDIS_PORT");
	unsetenv("FLOWBATCH_DB_CONNINFO");
}
END_TEST

START_TEST(errors_collected)
{
	struct fb_err err = {0};
	struct fb_config *c = config_parse("[redis]\nport = 0\nnope = 1\n[web\nthreads = x\n"
	                                   "[batch]\nretry_limit=1000\njunk line\n",
	                                   0, &err);

	ck_assert_ptr_null(c);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_msg(strstr(err.msg, "config:2: redis.port: 0 is out of range [1, 65535]"), "%s",
	              err.msg);
	ck_assert(strstr(err.msg, "config:3: unknown key redis.nope") != NULL);
	ck_assert(strstr(err.msg, "config:4: malformed section header") != NULL);
	ck_assert(strstr(err.msg, "config:7: batch.retry_limit: 1000 is out of range") != NULL);
	ck_assert(strstr(err.msg, "config:8: expected key = value") != NULL);
}
END_TEST

START_TEST(secret_required)
{
	struct fb_err err = {0};

	ck_assert_ptr_null(config_parse("", 0, &err));
	ck_assert(strstr(err.msg, "auth.secret") != NULL);
	ck_assert_ptr_null(config_parse("[auth]\nsecret=short\n", 0, &err));
}
END_TEST

/* [alerts]: rules switched off by name, webhook URLs checked; every problem reported. */
START_TEST(alerts_settings)
{
	struct fb_err err = {0};
	struct fb_config *c;
	char text[512];

	c = config_parse(base, 0, &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->alerts_batch_stalled_seconds, 900);
	ck_assert_int_eq(c->alerts_crontab_failures, 3);
	ck_assert_int_eq(alert_rule_enabled(c, ALERT_NO_LIVE_RUNNER), 1);
	config_free(c);

	snprintf(text, sizeof(text), "%s[alerts]\ndisabled = runner_memory , crontab_failing\n"
	                             "webhook_urls = https://a.example/x, http://b:8080/y\n", base);
	c = config_parse(text, 0, &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(alert_rule_enabled(c, ALERT_RUNNER_MEMORY), 0);
	ck_assert_int_eq(alert_rule_enabled(c, ALERT_CRONTAB_FAILING), 0);
	ck_assert_int_eq(alert_rule_enabled(c, ALERT_PUSH_FAILURES), 1);
	config_free(c);

	snprintf(text, sizeof(text), "%s[alerts]\ndisabled = batch_stalled, no_such_rule\n"
	                             "webhook_urls = ftp://x/, https://ok.example/\n"
	                             "batch_failure_percent = 101\n", base);
	ck_assert_ptr_null(config_parse(text, 0, &err));
	ck_assert(strstr(err.msg, "alerts.batch_failure_percent: 101 is out of range") != NULL);
	fb_err_clear(&err);
	snprintf(text, sizeof(text), "%s[alerts]\ndisabled = batch_stalled, no_such_rule\n"
	                             "webhook_urls = ftp://x/, https://ok.example/\n", base);
	ck_assert_ptr_null(config_parse(text, 0, &err));
	ck_assert(strstr(err.msg, "\"no_such_rule\" is not a rule") != NULL);
	ck_assert(strstr(err.msg, "\"ftp://x/\" is not an http:// or https:// URL") != NULL);
	ck_assert(strstr(err.msg, "ok.example") == NULL);
	fb_err_clear(&err);
}
END_TEST

START_TEST(web_listen_allow)
{
	static const char *const ok[] = {
		"[web]\nlisten = /run/x.sock\n",
		"[web]\nlisten = 127.0.0.1:9000\nallow = 10.0.0.1\n",
		"[web]\nlisten = :9000\nallow = 10.0.0.1, 10.0.0.2 ,192.168.1.9\n",
		"[web]\nlisten = /run/x.sock\nsocket_group = nginx\n",
	};
	static const char *const bad[] = {
		"[web]\nlisten = 127.0.0.1:9000\n",
		"[web]\nlisten = :9000\nallow = , \n",
		"[web]\nlisten = :9000\nallow = 10.0.0.0/8\n",
		"[web]\nlisten = /run/x.sock\nallow = localhost\n",
		"[web]\nlisten = :9000\nallow = 10.0.0.1,,::1\n",
		"[web]\nsocket_group =\n",
	};
	struct fb_err err = {0};
	struct fb_config *c;
	char text[256];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", base, ok[i]);
		c = config_parse(text, 0, &err);
		ck_assert_msg(c != NULL, "refused %s: %s", ok[i], err.msg);
		config_free(c);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", base, bad[i]);
		c = config_parse(text, 0, &err);
		ck_assert_msg(c == NULL, "accepted %s", bad[i]);
		fb_err_clear(&err);
	}
	c = config_parse(base, 0, &err);
	ck_assert_str_eq(c->web_socket_group, "www-data");
	ck_assert_str_eq(c->web_allow, "");
	config_free(c);
	snprintf(text, sizeof(text), "%s[web]\nlisten = 0.0.0.0:9000\n", base);
	ck_assert_ptr_null(config_parse(text, 0, &err));
	ck_assert_msg(strstr(err.msg, "is a TCP address: set web.allow") != NULL, "%s", err.msg);
	fb_err_clear(&err);
}
END_TEST

START_TEST(key_table)
{
	int n, i;
	const struct config_key *k = config_keys(&n);

	ck_assert_int_gt(n, 20);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(k[i].help);
		ck_assert_ptr_nonnull(k[i].def);
	}
	ck_assert(config_reloadable("runner", "high"));
	ck_assert(!config_reloadable("db", "conninfo"));
}
END_TEST

/* A line of text, a comment or one of the requests the page uses. */
static int
text_or_request(const char *line)
{
	static const char *const requests[] = {"TH", "ad", "SH", "SS", "TP", "PP", "br", "B",
	                                       "I", "BI", "IB", "BR"};
	size_t i, len = strcspn(line + 1, " ");

	if (line[0] == '\'')
		return 0;
	if (line[0] != '.' || strncmp(line, ".\\\"", 3) == 0)
		return 1;
	for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
		if (strlen(requests[i]) == len && strncmp(line + 1, requests[i], len) == 0)
			return 1;
	return 0;
}

/* flowbatch.conf(5) names every key of the table once, with placeholders for the paths
 * when asked, and no line of text is taken for a roff request. */
START_TEST(man_page)
{
	struct config_key_info ki;
	struct fb_err err = {0};
	char *text = NULL, *line, *save = NULL, tag[128];
	size_t len = 0;
	FILE *f;
	int n, i;

	(void)config_keys(&n);
	for (i = 0; i < n; i++) {
		config_key_info(i, &ki);
		if (strcmp(ki.key.section, "runner") == 0 && strcmp(ki.key.name, "high") == 0) {
			ck_assert_int_eq(ki.type, CONFIG_INTEGER);
			ck_assert_int_eq(ki.min, 0);
			ck_assert_int_eq(ki.max, 64);
			ck_assert(ki.reloadable);
		}
	}
	f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(confdoc_write_man(f, 1, &err), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, ".TH FLOWBATCH.CONF 5 \"\" \"flowbatch @VERSION@\""));
	ck_assert_ptr_nonnull(strstr(text, "\\fB@pkgdatadir@/migrations\\fR"));
	for (i = 0; i < n; i++) {
		const char *at;

		config_key_info(i, &ki);
		snprintf(tag, sizeof(tag), "\n.TP\n.B %s.%s\n", ki.key.section, ki.key.name);
		at = strstr(text, tag);
		ck_assert_msg(at != NULL, "%s.%s is not in the page", ki.key.section, ki.key.name);
		ck_assert_msg(strstr(at + 1, tag) == NULL, "%s.%s twice", ki.key.section, ki.key.name);
	}
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(text_or_request(line), "not a request of the page: %s", line);
	free(text);

	text = NULL;
	f = open_memstream(&text, &len);
	ck_assert_int_eq(confdoc_write_man(f, 0, &err), 0);
	fclose(f);
	ck_assert_ptr_null(strstr(text, "@pkgdatadir@"));
	ck_assert_ptr_null(strstr(text, "@VERSION@"));
	ck_assert_ptr_nonnull(strstr(text, FB_PKGDATADIR "/migrations"));
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, file_values);
	tcase_add_test(tc, env_overrides);
	tcase_add_test(tc, errors_collected);
	tcase_add_test(tc, secret_required);
	tcase_add_test(tc, key_table);
	tcase_add_test(tc, web_listen_allow);
	tcase_add_test(tc, alerts_settings);
	tcase_add_test(tc, man_page);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
