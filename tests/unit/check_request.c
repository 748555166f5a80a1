/* SPDX-License-Identifier: MIT */
/* Unit tests: query strings, percent-decoding, cookies, the request's login token, UTF-8,
 * the router, the JSON body limit, the limiter of imports and exports and the users rows a
 * thread reuses. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "limiter.h"
#include "request.h"
#include "router.h"
#include "usercache.h"
#include "utf8.h"

START_TEST(query_basic)
{
	struct arena *a = arena_new();
	struct fb_err err = {0};
	struct kv *kv;
	size_t n;

	ck_assert_int_eq(query_parse(a, "node_id=7&keyword=%E5%AE%A1%E6%89%B9+%E5%8D%95&f.city="
	                                "%E5%B9%BF%E5%B7%9E&&empty=&flag",
	                             &kv, &n, 10, &err), 0);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(kv[0].key, "node_id");
	ck_assert_str_eq(kv[0].value, "7");
	ck_assert_str_eq(kv[1].value, "审批 单");
	ck_assert_str_eq(kv[2].key, "f.city");
	ck_assert_str_eq(kv[2].value, "广州");
	ck_assert_str_eq(kv[3].value, "");
	ck_assert_str_eq(kv[4].key, "flag");
	ck_assert_int_eq(query_parse(a, NULL, &kv, &n, 10, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(query_parse(a, "&&&", &kv, &n, 10, &err), 0);
	ck_assert_int_eq(n, 0);
	arena_free(a);
}
END_TEST

START_TEST(query_bad)
{
	struct arena *a = arena_new();
	struct fb_err err = {0};
	struct kv *kv;
	size_t n;
	static const char *const bad[] = {"a=%", "a=%4", "a=%zz", "a=%00", "a=%ff%fe", "%C0%AF=1",
	                                  "a=%ED%A0%80"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(query_parse(a, bad[i], &kv, &n, 10, &err) == -1, "accepted %s", bad[i]);
		ck_assert_int_eq(err.code, FB_EINVAL);
	}
	ck_assert_int_eq(query_parse(a, "a=1&b=2&c=3", &kv, &n, 2, &err), -1);
	ck_assert(strstr(err.msg, "too many") != NULL);
	arena_free(a);
}
END_TEST

START_TEST(redact_uri)
{
	struct arena *a = arena_new();

	ck_assert_str_eq(request_redact_uri(a, "/auth/login?token=v1.eA.9.abc"),
	                 "/auth/login?token=[redacted]");
	ck_assert_str_eq(request_redact_uri(a, "/auth/login?a=1&token=v1.x&b=2&fb_token=s&c"),
	                 "/auth/login?a=1&token=[redacted]&b=2&fb_token=[redacted]&c");
	ck_assert_str_eq(request_redact_uri(a, "/x?TOKEN=s&tok%65n=s&%zz=s&t="),
	                 "/x?TOKEN=[redacted]&tok%65n=[redacted]&%zz=[redacted]&t=");
	ck_assert_str_eq(request_redact_uri(a, "/x?token&&token="), "/x?token&&token=[redacted]");
	ck_assert_str_eq(request_redact_uri(a, "/api/batch/tasks?node_id=7&page=2"),
	                 "/api/batch/tasks?node_id=7&page=2");
	ck_assert_str_eq(request_redact_uri(a, "/api/me"), "/api/me");
	ck_assert_str_eq(request_redact_uri(a, "/?"), "/?");
	ck_assert_ptr_null(request_redact_uri(a, NULL));
	arena_free(a);
}
END_TEST

START_TEST(cookies)
{
	struct arena *a = arena_new();

	ck_assert_str_eq(cookie_get(a, "a=1; fb_token=v1.x.y; b=2", "fb_token"), "v1.x.y");
	ck_assert_str_eq(cookie_get(a, "fb_token=\"q\"", "fb_token"), "q");
	ck_assert_ptr_null(cookie_get(a, "xfb_token=1; fb_tok=2", "fb_token"));
	ck_assert_ptr_null(cookie_get(a, "", "fb_token"));
	ck_assert_str_eq(cookie_get(a, "fb_token=", "fb_token") ? "set" : "null", "null");
	arena_free(a);
}
END_TEST

START_TEST(utf8)
{
	ck_assert(utf8_valid("审批", strlen("审批")));
	ck_assert(utf8_valid("\xf0\x9f\x98\x80", 4));
	ck_assert(!utf8_valid("\xe5\xae", 2));
	ck_assert(!utf8_valid("\xc0\x80", 2));
	ck_assert(!utf8_valid("\xf4\x90\x80\x80", 4));
	/* "审批ab": cuts back to a character boundary, prefixes by characters. */
	ck_assert_uint_eq(utf8_floor("审批ab", 4), 3);
	ck_assert_uint_eq(utf8_floor("审批ab", 6), 6);
	ck_assert_uint_eq(utf8_floor("审批ab", 2), 0);
	ck_assert_uint_eq(utf8_prefix("审批ab", 1), 3);
	ck_assert_uint_eq(utf8_prefix("审批ab", 3), 7);
	ck_assert_uint_eq(utf8_prefix("审批ab", 10), 8);
	ck_assert_int_eq(hex_digit('7'), 7);
	ck_assert_int_eq(hex_digit('f'), 15);
	ck_assert_int_eq(hex_digit('C'), 12);
	ck_assert_int_eq(hex_digit('g'), -1);
}
END_TEST

static int
h1(struct request *r, struct fb_err *err)
{
	return 1;
}

static int
h2(struct request *r, struct fb_err *err)
{
	return 2;
}

static const struct route table[] = {
	{"GET", "/api/batch/{id}", h1, ROUTE_USER},
	{"POST", "/api/batch/{id}/retry", h2, ROUTE_USER},
	{"GET", "/api/batch/nodes", h2, ROUTE_USER},
	{"GET", "/api/x/{name}/y", h2, ROUTE_USER},
	{NULL, NULL, NULL, 0},
};

START_TEST(router)
{
	struct arena *a = arena_new();
	struct fb_err err = {0};
	const char *args[REQUEST_MAX_PATH_ARGS] = {0};
	const struct route *rt;

	rt = router_match(table, a, "GET", "/api/batch/42", args, &err);
	ck_assert_ptr_eq(rt, &table[0]);
	ck_assert_str_eq(args[0], "42");
	rt = router_match(table, a, "POST", "/api/batch/9/retry", args, &err);
	ck_assert_ptr_eq(rt, &table[1]);
	ck_assert_str_eq(args[0], "9");
	rt = router_match(table, a, "GET", "/api/batch/nodes", args, &err);
	ck_assert_ptr_eq(rt, &table[2]);
	rt = router_match(table, a, "GET", "/api/x/审批/y", args, &err);
	ck_assert_ptr_eq(rt, &table[3]);
	ck_assert_str_eq(args[0], "审批");
	ck_assert_ptr_null(router_match(table, a, "DELETE", "/api/batch/42", args, &err));
	ck_assert_int_eq(err.code, FB_EMETHOD);
	ck_assert_ptr_null(router_match(table, a, "GET", "/api/batch/042", args, &err));
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	ck_assert_ptr_null(router_match(table, a, "GET", "/api/batch/1234567890123456789", args, &err));
	ck_assert_ptr_null(router_match(table, a, "GET", "/api/batch/42/", args, &err));
	ck_assert_ptr_null(router_match(table, a, "GET", "/api/x//y", args, &err));
	ck_assert_ptr_null(router_match(table, a, "GET", "/", args, &err));
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	/* The application's own table serves the foundation routes. */
	ck_assert_ptr_nonnull(router_match(router_routes, a, "GET", "/api/me", args, &err));
	ck_assert_ptr_null(router_match(router_routes, a, "POST", "/api/me", args, &err));
	ck_assert_int_eq(err.code, FB_EMETHOD);
	arena_free(a);
}
END_TEST

/* A JSON body over web.json_body_max is refused from Content-Length alone: nothing is read
 * or allocated (there is no FastCGI stream here to read from). */
START_TEST(json_body_limit)
{
	struct fb_err err = {0};
	struct fb_config *cfg =
	    config_parse("[web]\njson_body_max = 4096\n[auth]\nsecret = 0123456789abcdef\n", 0, &err);
	struct request r = {0};

	ck_assert_ptr_nonnull(cfg);
	r.arena = arena_new();
	r.cfg = cfg;
	r.content_type = "application/json; charset=utf-8";
	r.content_length = 8 << 20;
	ck_assert_ptr_null(request_json(&r, &err));
	ck_assert_int_eq(err.code, FB_ETOOBIG);
	ck_assert_msg(strstr(err.msg, "8388608 bytes exceeds the limit of 4096 (web.json_body_max)"),
	              "%s", err.msg);
	ck_assert_ptr_null(r.body);
	ck_assert_int_eq(r.body_read, 0);
	/* Uploads keep their own, larger limit. */
	fb_err_clear(&err);
	r.content_length = 4097;
	ck_assert_int_eq(request_read_body(&r, &err), -1);
	ck_assert_msg(strstr(err.msg, "ended after 0 of 4097") != NULL, "%s", err.msg);
	fb_err_clear(&err);
	r.content_type = "text/plain";
	ck_assert_ptr_null(request_json(&r, &err));
	ck_assert_int_eq(err.code, FB_EMEDIA);
	fb_err_clear(&err);
	arena_free(r.arena);
	config_free(cfg);
}
END_TEST

START_TEST(limiter)
{
	struct fb_err err = {0};
	struct limiter l;
	struct request r = {0};
	int i;

	limiter_init(&l, 0, 8);
	ck_assert_int_eq(l.max, 4);
	limiter_destroy(&l);
	limiter_init(&l, 0, 1);
	ck_assert_int_eq(l.max, 1);
	limiter_destroy(&l);
	limiter_init(&l, 3, 8);
	ck_assert_int_eq(l.max, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(limiter_enter(&l), 1);
	ck_assert_int_eq(limiter_enter(&l), 0);
	limiter_leave(&l);
	/* A request's slot is given back with its arena, on every path. */
	r.arena = arena_new();
	ck_assert_int_eq(request_limit(&r, &l, "imports and exports", &err), 0);
	ck_assert_int_eq(l.busy, 3);
	ck_assert_int_eq(request_limit(&r, &l, "imports and exports", &err), -1);
	ck_assert_int_eq(err.code, FB_EBUSY);
	ck_assert_int_eq(fb_err_status(&err), 503);
	ck_assert_str_eq(err.msg, "too many imports and exports are running (at most 3 at once): "
	                          "try again in 5 seconds");
	arena_free(r.arena);
	ck_assert_int_eq(l.busy, 2);
	ck_assert_int_eq(request_limit(&r, NULL, "x", &err), 0);
	limiter_destroy(&l);
}
END_TEST

START_TEST(token_of_request)
{
	static char name[] = "fb_token", a1[] = "HTTP_AUTHORIZATION=bearer   tok-a",
	            c1[] = "HTTP_COOKIE=fb_token=tok-c", a2[] = "HTTP_AUTHORIZATION=Basic eDp5",
	            c2[] = "HTTP_COOKIE=a=1; fb_token=\"tok-c\"; b=2",
	            c3[] = "HTTP_COOKIE=xfb_token=no; fb_tokens=no", h3[] = "HTTP_X_FB_TOKEN=no";
	char *bearer[] = {a1, c1, NULL}, *cookie[] = {a2, c2, NULL}, *other[] = {c3, h3, NULL};
	struct fb_config cfg = {.auth_cookie = name};
	FCGX_Request fr = {0};
	struct request r = {.cfg = &cfg, .fcgi = &fr};

	r.arena = arena_new();
	fr.envp = bearer;
	ck_assert_str_eq(request_token(&r), "tok-a");
	fr.envp = cookie;
	ck_assert_str_eq(request_token(&r), "tok-c");
	fr.envp = other;
	ck_assert_ptr_null(request_token(&r));
	arena_free(r.arena);
}
END_TEST

START_TEST(user_cache)
{
	struct user_cache c = {0};
	struct user_rec u = {.id = 7, .login = "zhang", .is_admin = 1}, got;
	int i;

	ck_assert_int_eq(user_cache_get(&c, "zhang", 1000, 500, &got), 0);
	user_cache_put(&c, &u, 1000);
	ck_assert_int_eq(user_cache_get(&c, "zhang", 1499, 500, &got), 1);
	ck_assert_int_eq(got.id, 7);
	ck_assert_int_eq(got.is_admin, 1);
	ck_assert_int_eq(user_cache_get(&c, "zhang", 1500, 500, &got), 0);
	ck_assert_int_eq(user_cache_get(&c, "zhang", 1000, 0, &got), 0);
	ck_assert_int_eq(user_cache_get(&c, "zhan", 1001, 500, &got), 0);
	/* A login looked up again keeps its one slot, with the new row and time. */
	u.is_admin = 0;
	user_cache_put(&c, &u, 1400);
	ck_assert_int_eq(user_cache_get(&c, "zhang", 1899, 500, &got), 1);
	ck_assert_int_eq(got.is_admin, 0);
	/* More logins than slots: the oldest go first. */
	for (i = 0; i < USER_CACHE_SLOTS; i++) {
		struct user_rec v = {.id = 100 + i};

		snprintf(v.login, sizeof(v.login), "u%d", i);
		user_cache_put(&c, &v, 1500 + i);
	}
	ck_assert_int_eq(user_cache_get(&c, "zhang", 1600, 500, &got), 0);
	ck_assert_int_eq(user_cache_get(&c, "u0", 1600, 500, &got), 1);
	ck_assert_int_eq(got.id, 100);
}
END_TEST

START_TEST(accept_lang)
{
	char big[4096];
	size_t i;

	ck_assert_int_eq(accept_language(NULL), MSG_ZH);
	ck_assert_int_eq(accept_language(""), MSG_ZH);
	ck_assert_int_eq(accept_language("en"), MSG_EN);
	ck_assert_int_eq(accept_language("en-US,en;q=0.9"), MSG_EN);
	ck_assert_int_eq(accept_language("EN-gb"), MSG_EN);
	ck_assert_int_eq(accept_language("zh-CN,zh;q=0.9,en;q=0.8"), MSG_ZH);
	ck_assert_int_eq(accept_language("zh-TW"), MSG_ZH);
	ck_assert_int_eq(accept_language("fr-FR, de"), MSG_ZH);
	ck_assert_int_eq(accept_language("fr-FR,en;q=0.5"), MSG_EN);
	/* q decides, not the order; equal q: the first */
	ck_assert_int_eq(accept_language("zh;q=0.3, en;q=0.7"), MSG_EN);
	ck_assert_int_eq(accept_language("en;q=0.5,zh;q=0.5"), MSG_EN);
	ck_assert_int_eq(accept_language("zh;q=0.5,en;q=0.5"), MSG_ZH);
	ck_assert_int_eq(accept_language("en ; q=1.0 , zh ; q=0.999"), MSG_EN);
	/* q=0 is "not this"; malformed q drops the range */
	ck_assert_int_eq(accept_language("en;q=0"), MSG_ZH);
	ck_assert_int_eq(accept_language("en;q=0.000,zh;q=0.1"), MSG_ZH);
	ck_assert_int_eq(accept_language("en;q=2"), MSG_ZH);
	ck_assert_int_eq(accept_language("en;q=0.1234"), MSG_ZH);
	ck_assert_int_eq(accept_language("en;q=abc"), MSG_ZH);
	ck_assert_int_eq(accept_language("en;q="), MSG_ZH);
	ck_assert_int_eq(accept_language("en;level=1;q=0.4"), MSG_EN);
	/* only zh and en themselves or with a subtag */
	ck_assert_int_eq(accept_language("eng,zhx"), MSG_ZH);
	ck_assert_int_eq(accept_language("*"), MSG_ZH);
	ck_assert_int_eq(accept_language(",,;;,en"), MSG_EN);
	/* bounded: a range past the first ACCEPT_LANGUAGE_RANGES or bytes is not looked at */
	big[0] = '\0';
	for (i = 0; i < ACCEPT_LANGUAGE_RANGES; i++)
		strcat(big, "fr,");
	strcat(big, "en");
	ck_assert_int_eq(accept_language(big), MSG_ZH);
	memset(big, ' ', sizeof(big) - 4);
	memcpy(big + sizeof(big) - 4, ",en", 4);
	ck_assert_int_eq(accept_language(big), MSG_ZH);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, query_basic);
	tcase_add_test(tc, query_bad);
	tcase_add_test(tc, cookies);
	tcase_add_test(tc, redact_uri);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, router);
	tcase_add_test(tc, json_body_limit);
	tcase_add_test(tc, limiter);
	tcase_add_test(tc, accept_lang);
	tcase_add_test(tc, token_of_request);
	tcase_add_test(tc, user_cache);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
