/* SPDX-License-Identifier: MIT */
/*
 * check_node: loading a node's form (node_form_load) and the whole node (node_load) against
 * the test PostgreSQL (FLOWBATCH_DB_CONNINFO from the env file named by $FB_TEST_ENV).
 * Each case works on temporary tables named like the real ones (apps, app_versions, nodes),
 * which a session's temporary schema puts before the real ones: no migration is needed and
 * nothing is left behind.  Without FB_TEST_ENV the cases fail, unless FB_ALLOW_SKIP=1.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "node.h"
#include "schema.h"
#include "testenv.h"

static char *conninfo; /* from the env file, read once in main */

/*
 * An app with one version and three nodes: 1 (seq 1) a good form, 2 (seq 2) a view naming
 * a field the schema lacks, 3 (seq 3) a view that is not an object; ids 11..13 for a
 * second version whose schema is broken.
 */
static const char *const fixture[] = {
	"CREATE TEMP TABLE apps (id bigint PRIMARY KEY, name text NOT NULL)",
	"CREATE TEMP TABLE app_versions (id bigint PRIMARY KEY, app_id bigint NOT NULL,"
	" form_schema jsonb NOT NULL)",
	"CREATE TEMP TABLE nodes (id bigint PRIMARY KEY, app_version_id bigint NOT NULL,"
	" name text NOT NULL, seq int NOT NULL, assignee_rule text NOT NULL DEFAULT 'fixed',"
	" assignee_id bigint, view jsonb NOT NULL)",
	"INSERT INTO apps VALUES (1, '报销')",
	"INSERT INTO app_versions VALUES (1, 1, '{\"fields\":["
	" {\"key\":\"reason\",\"label\":\"事由\",\"type\":\"text\"},"
	" {\"key\":\"amount\",\"label\":\"金额\",\"type\":\"number\",\"decimals\":2},"
	" {\"key\":\"category\",\"label\":\"类别\",\"type\":\"select\",\"options\":[\"差旅\",\"办公\"]}]}'),"
	" (2, 1, '{\"fields\":[{\"key\":\"reason\",\"label\":\"事由\",\"type\":\"money\"}]}')",
	"INSERT INTO nodes VALUES"
	" (1, 1, '初审', 1, 'fixed', 7, '{\"visible\":[\"category\",\"reason\"],"
	"  \"searchable\":[\"category\"],\"writable\":[\"amount\"],\"required\":[\"amount\"]}'),"
	" (2, 1, '复审', 2, 'choose', NULL, '{\"visible\":[\"nope\"]}'),"
	" (3, 1, '终审', 3, 'fixed', NULL, '[]'),"
	" (11, 2, '初审', 1, 'fixed', NULL, '{}')",
	NULL,
};

static struct db *
open_fixture(void)
{
	struct fb_err err = {0};
	struct db *db = db_open(conninfo, &err);
	const char *const *sql;

	ck_assert_msg(db != NULL, "db_open: %s", err.msg);
	for (sql = fixture; *sql != NULL; sql++)
		ck_assert_msg(db_exec(db, NULL, *sql, 0, NULL, &err) == 0, "fixture: %s", err.msg);
	return db;
}

START_TEST(form_load_good)
{
	struct db *db = open_fixture();
	struct fb_err err = {0};
	struct node_form form;
	const struct schema_field *f;

	ck_assert_msg(node_form_load(db, 1, &form, &err) == 0, "node_form_load: %s", err.msg);
	ck_assert_uint_eq(schema_nfields(form.schema), 3);
	ck_assert_ptr_eq(view_schema(form.view), form.schema);
	f = schema_field_by_key(form.schema, "amount");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(schema_field_type(f), SCHEMA_NUMBER);
	ck_assert_int_eq(schema_field_decimals(f), 2);
	ck_assert(view_is_searchable(form.view, "category"));
	ck_assert(!view_is_searchable(form.view, "reason"));
	ck_assert(view_is_writable(form.view, "amount"));
	ck_assert(view_is_required(form.view, "amount"));
	ck_assert_uint_eq(view_nlisted(form.view), 2);
	ck_assert_str_eq(schema_field_label(view_listed_at(form.view, 0)), "类别");
	ck_assert_str_eq(schema_field_label(view_listed_at(form.view, 1)), "事由");
	node_form_release(&form);
	ck_assert_ptr_null(form.schema);
	ck_assert_ptr_null(form.view);
	node_form_release(&form); /* an empty form is fine */
	db_close(db);
}
END_TEST

START_TEST(form_load_missing_and_broken)
{
	struct db *db = open_fixture();
	struct fb_err err = {0};
	struct node_form form;

	ck_assert_int_eq(node_form_load(db, 999, &form, &err), -1);
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	ck_assert_ptr_null(form.schema);
	ck_assert_ptr_null(form.view);
	fb_err_clear(&err);

	ck_assert_int_eq(node_form_load(db, 2, &form, &err), -1);
	ck_assert_int_eq(err.code, FB_EINTERNAL);
	ck_assert_msg(strstr(err.msg, "node 2 has a broken form definition: view: visible names "
	                              "unknown field \"nope\"") != NULL,
	              "message: %s", err.msg);
	ck_assert_ptr_null(form.schema);
	ck_assert_ptr_null(form.view);
	fb_err_clear(&err);

	ck_assert_int_eq(node_form_load(db, 3, &form, &err), -1);
	ck_assert_int_eq(err.code, FB_EINTERNAL);
	ck_assert_msg(strstr(err.msg, "node 3 has a broken form definition: view: must be an "
	                              "object") != NULL,
	              "message: %s", err.msg);
	fb_err_clear(&err);

	ck_assert_int_eq(node_form_load(db, 11, &form, &err), -1);
	ck_assert_int_eq(err.code, FB_EINTERNAL);
	ck_assert_msg(strstr(err.msg, "node 11 has a broken form definition: form schema: ") !=
	                      NULL && strstr(err.msg, "unknown type \"money\"") != NULL,
	              "message: %s", err.msg);
	fb_err_clear(&err);
	db_close(db);
}
END_TEST

/* node_load parses the same form the same way, and finds the neighbours. */
START_TEST(node_load_same_form)
{
	struct db *db = open_fixture();
	struct fb_err err = {0};
	struct node_info *n = node_load(db, 1, &err);

	ck_assert_msg(n != NULL, "node_load: %s", err.msg);
	ck_assert_str_eq(n->name, "初审");
	ck_assert_str_eq(n->app_name, "报销");
	ck_assert_int_eq(n->assignee_id, 7);
	ck_assert_uint_eq(schema_nfields(n->schema), 3);
	ck_assert(view_is_required(n->view, "amount"));
	ck_assert_int_eq(n->next.id, 2);
	ck_assert(n->next.choose);
	ck_assert_int_eq(n->prev.id, 0);
	node_free(n);

	ck_assert_ptr_null(node_load(db, 2, &err));
	ck_assert_int_eq(err.code, FB_EINTERNAL);
	ck_assert_msg(strstr(err.msg, "node 2 has a broken form definition: view: visible names "
	                              "unknown field \"nope\"") != NULL,
	              "message: %s", err.msg);
	fb_err_clear(&err);
	ck_assert_ptr_null(node_load(db, 999, &err));
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	fb_err_clear(&err);
	db_close(db);
}
END_TEST

static Suite *
node_suite(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, form_load_good);
	tcase_add_test(tc, form_load_missing_and_broken);
	tcase_add_test(tc, node_load_same_form);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	conninfo = testenv_get("FLOWBATCH_DB_CONNINFO");
	if (conninfo == NULL && testenv_may_skip()) {
		fprintf(stderr, "check_node: no FB_TEST_ENV; skipped\n");
		return 77;
	}
	sr = srunner_create(node_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(conninfo);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
