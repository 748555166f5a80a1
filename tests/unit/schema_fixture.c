/* SPDX-License-Identifier: MIT */
/* The schema unit tests' shared schema, views and helpers (see schema_fixture.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jsonh.h"
#include "schema.h"
#include "schema_fixture.h"

/* A schema with every type, a chain of dependent selects and a table of every column type. */
const char form_schema[] =
	"{\"fields\":["
	"{\"key\":\"reason\",\"label\":\"事由\",\"type\":\"text\",\"max_length\":5},"
	"{\"key\":\"amount\",\"label\":\"金额\",\"type\":\"number\",\"min\":0,"
	"\"max\":1000000,\"decimals\":2},"
	"{\"key\":\"pay_date\",\"label\":\"付款日期\",\"type\":\"date\"},"
	"{\"key\":\"category\",\"label\":\"类别\",\"type\":\"select\","
	"\"options\":[\"差旅\",\"办公\",\"招待\"]},"
	"{\"key\":\"province\",\"label\":\"省份\",\"type\":\"select\","
	"\"options\":[\"广东\",\"浙江\",\"海外\"]},"
	"{\"key\":\"city\",\"label\":\"城市\",\"type\":\"select\","
	"\"depends_on\":\"province\",\"options_by_parent\":{"
	"\"广东\":[\"广州\",\"深圳\",\"其他\"],\"浙江\":[\"杭州\",\"宁波\",\"其他\"]}},"
	"{\"key\":\"district\",\"label\":\"区\",\"type\":\"select\","
	"\"depends_on\":\"city\",\"options_by_parent\":{"
	"\"广州\":[\"天河\",\"越秀\"],\"杭州\":[\"西湖\"]}},"
	"{\"key\":\"reviewer\",\"label\":\"复核人\",\"type\":\"user\"},"
	"{\"key\":\"count\",\"label\":\"件数\",\"type\":\"number\",\"min\":1,"
	"\"max\":9999},"
	"{\"key\":\"items\",\"label\":\"明细\",\"type\":\"table\",\"max_rows\":3,"
	"\"columns\":["
	"{\"key\":\"name\",\"label\":\"名称\",\"type\":\"text\",\"max_length\":4},"
	"{\"key\":\"qty\",\"label\":\"数量\",\"type\":\"number\",\"min\":1,"
	"\"max\":9999},"
	"{\"key\":\"day\",\"label\":\"日期\",\"type\":\"date\"},"
	"{\"key\":\"kind\",\"label\":\"种类\",\"type\":\"select\","
	"\"options\":[\"甲\",\"乙\"]},"
	"{\"key\":\"who\",\"label\":\"经办\",\"type\":\"user\"}]}"
	"]}";

/* A view where every field is writable and nothing is required. */
const char all_writable[] =
	"{\"visible\":[\"reason\"],\"searchable\":[\"category\",\"province\"],"
	"\"writable\":[\"reason\",\"amount\",\"pay_date\",\"category\",\"province\","
	"\"city\",\"district\",\"reviewer\",\"count\",\"items\"],\"required\":[]}";

struct json_object *
js(const char *text)
{
	struct fb_err err = {0};
	struct json_object *o = jsonh_parse(text, strlen(text), &err);

	ck_assert_msg(o != NULL, "bad test JSON %s: %s", text, err.msg);
	return o;
}

struct schema *
schema_of(const char *text)
{
	struct fb_err err = {0};
	struct json_object *o = js(text);
	struct schema *s = schema_parse(o, &err);

	ck_assert_msg(s != NULL, "schema rejected: %s", err.msg);
	json_object_put(o);
	return s;
}

struct view *
view_of(const struct schema *s, const char *text)
{
	struct fb_err err = {0};
	struct json_object *o = js(text);
	struct view *v = view_parse(s, o, &err);

	ck_assert_msg(v != NULL, "view rejected: %s", err.msg);
	json_object_put(o);
	return v;
}

/* Users that exist for the callback; "boom" makes the lookup fail. */
int
fake_users(void *arg, const char *login, struct fb_err *err)
{
	int *calls = arg;

	(*calls)++;
	if (strcmp(login, "boom") == 0) {
		fb_err_set(err, FB_EDB, "connection lost");
		return -1;
	}
	if (strcmp(login, "detailed") == 0) {
		fb_err_set(err, FB_EDB, "lookup failed");
		fb_err_detail(err, jsonh_detail("login", "cause"));
		return -1;
	}
	if (strcmp(login, "silent") == 0)
		return -1;
	return strcmp(login, "zhang.san") == 0 || strcmp(login, "li4@corp") == 0;
}

/* A merge with a fresh err: returns rc; *merged (or NULL) and err are the caller's. */
int
merge(const struct schema *s, const struct view *v, const char *current, const char *input,
      const struct schema_env *env, struct json_object **merged, struct fb_err *err)
{
	struct json_object *cur = current ? js(current) : NULL, *in = input ? js(input) : NULL;
	struct json_object *m = NULL;
	int rc;

	memset(err, 0, sizeof(*err));
	rc = schema_merge(s, v, cur, in, env, &m, err);
	json_object_put(cur);
	json_object_put(in);
	if (merged != NULL)
		*merged = m;
	else
		json_object_put(m);
	if (rc == 0)
		ck_assert_ptr_nonnull(m);
	else
		ck_assert_ptr_null(m);
	return rc;
}

size_t
ndetails(const struct fb_err *err)
{
	return err->details ? json_object_array_length(err->details) : 0;
}

const char *
detail_str(const struct fb_err *err, size_t i, const char *member)
{
	struct json_object *d = json_object_array_get_idx(err->details, i), *m;

	if (d == NULL || !json_object_object_get_ex(d, member, &m))
		return NULL;
	return json_object_get_string(m);
}

/* Expect exactly one validation error, on field, whose message contains what. */
void
expect_one(struct fb_err *err, const char *field, const char *what)
{
	ck_assert_int_eq(err->code, FB_EVALIDATION);
	ck_assert_msg(ndetails(err) == 1, "expected 1 detail, got %zu: %s", ndetails(err),
	              err->msg);
	ck_assert_str_eq(detail_str(err, 0, "field"), field);
	ck_assert_msg(strstr(detail_str(err, 0, "message"), what) != NULL,
	              "message \"%s\" lacks \"%s\"", detail_str(err, 0, "message"), what);
	ck_assert_str_eq(err->msg, detail_str(err, 0, "message"));
	fb_err_clear(err);
}

void
expect_ok(int rc, struct fb_err *err)
{
	ck_assert_msg(rc == 0, "merge failed: %s", err->msg);
	ck_assert_ptr_null(err->details);
}

int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
