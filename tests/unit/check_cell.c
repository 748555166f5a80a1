/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the export's values as PostgreSQL returns them (template_rows_value_sql,
 * cell_of_typed) make the same cells as the whole form parsed with json-c (cell_of), for
 * a value of every JSON kind in a field of every type; the typed text alone (no
 * database): plain numbers, strings, dates, blanks, a table; and template_rows_each over
 * temporary tasks and sessions: every pending row of the node and user once, in the
 * order of the ids, across page boundaries (the page queries pipelined), and a callback
 * failing while later pages are in flight leaves the connection idle, out of pipeline
 * mode and usable, the next export reading every row.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "cell.h"
#include "db.h"
#include "jsonh.h"
#include "mem.h"
#include "node.h"
#include "schema.h"
#include "schema_fixture.h"
#include "template_rows.h"
#include "testenv.h"

static char *conninfo;

/* Values of every JSON kind, as form members; edge cases of each conversion. */
static const char *const values[] = {
    "null", "\"\"", "\"  \\t\\n \"", "\"出差报销 1\"", "\"a\\\"b\\\\c\\/d\\u00e9\"",
    "\"2026-01-31\"", "\"1899-12-31\"", "\"2026-13-01\"", "\"2026-1-5\"", "\"2026-01-31x\"",
    "\"12.5\"", "0", "-0", "-0.0", "7", "-42", "12.50", "0.1", "123456789012345",
    "1234567890123456", "9007199254740993", "12345678901234567890", "-9223372036854775808",
    "1e3", "1.5E-7", "3.14159265358979323846", "100000000000000000000000000000.5", "true",
    "false", "[]", "[1, \"x\"]", "{}", "{\"b\": 1, \"a\": [2.50, \"y\"]}",
    "[{\"name\": \"餐费\", \"qty\": 2, \"day\": \"2026-02-01\", \"kind\": null}]",
};

static void
cells_equal(const struct cell *a, const char *at, const struct cell *b, const char *bt,
            const char *what)
{
	ck_assert_msg(a->kind == b->kind, "%s: kind %d, typed %d", what, a->kind, b->kind);
	switch (a->kind) {
	case CELL_STR:
		ck_assert_msg(strcmp(at + a->off, bt + b->off) == 0, "%s: \"%s\" vs typed \"%s\"", what,
		              at + a->off, bt + b->off);
		break;
	case CELL_NUM:
		ck_assert_msg(memcmp(&a->num, &b->num, sizeof(a->num)) == 0, "%s: %.17g vs typed %.17g",
		              what, a->num, b->num);
		break;
	case CELL_DATE:
		ck_assert_msg(a->y == b->y && a->m == b->m && a->d == b->d, "%s: date", what);
		break;
	case CELL_NONE:
		break;
	}
}

START_TEST(typed_equals_parsed)
{
	struct schema *s = schema_of(form_schema);
	PGconn *pg = PQconnectdb(conninfo);
	size_t i, v, checked = 0;

	ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "%s", PQerrorMessage(pg));
	for (i = 0; i < schema_nfields(s); i++) {
		const struct schema_field *f = schema_field_at(s, i);
		const char *key = schema_field_key(f);

		for (v = 0; v <= sizeof(values) / sizeof(values[0]); v++) {
			struct buf sql = {0}, form = {0}, ta = {0}, tb = {0};
			const char *params[2];
			struct json_object *parsed, *key_js = json_object_new_string(key);
			struct fb_err err = {0};
			struct cell a, b;
			char what[512];
			PGresult *res;

			/* The last round: a form without the member. */
			if (v < sizeof(values) / sizeof(values[0]))
				buf_printf(&form, "{\"other\": 1, %s: %s}", json_object_to_json_string(key_js),
				           values[v]);
			else
				buf_puts(&form, "{\"other\": 1}");
			json_object_put(key_js);
			buf_puts(&sql, "SELECT f::text, ");
			template_rows_value_sql(&sql, "f", 2);
			buf_puts(&sql, " FROM (SELECT $1::jsonb AS f) x");
			params[0] = buf_cstr(&form);
			params[1] = key;
			res = PQexecParams(pg, buf_cstr(&sql), 2, NULL, params, NULL, NULL, 0);
			ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s", PQerrorMessage(pg));
			snprintf(what, sizeof(what), "%s (%s) = %s", key, schema_type_name(schema_field_type(f)),
			         buf_cstr(&form));
			parsed = jsonh_parse(PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)), &err);
			ck_assert_msg(parsed != NULL, "%s: %s", what, err.msg);
			cell_of(f, cell_form_value(parsed, key), &ta, &a);
			ck_assert_msg(cell_of_typed(f, PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1),
			                            &tb, &b, &err) == 0, "%s: %s", what, err.msg);
			cells_equal(&a, ta.data, &b, tb.data, what);
			checked++;
			json_object_put(parsed);
			PQclear(res);
			free(sql.data);
			free(form.data);
			free(ta.data);
			free(tb.data);
		}
	}
	ck_assert_uint_ge(checked, 10 * 35); /* ten fields of six types, 35 values each */
	PQfinish(pg);
	schema_free(s);
}
END_TEST

/* Without the database: the fast paths give what the JSON value would. */
START_TEST(typed_text)
{
	struct schema *s = schema_of(form_schema);
	const struct schema_field *amount = schema_field_by_key(s, "amount"),
	                          *day = schema_field_by_key(s, "pay_date"),
	                          *reason = schema_field_by_key(s, "reason"),
	                          *items = schema_field_by_key(s, "items");
	struct buf t = {0};
	struct fb_err err = {0};
	struct cell c;

	ck_assert_int_eq(cell_of_typed(amount, "n12.50", &t, &c, &err), 0);
	ck_assert_int_eq(c.kind, CELL_NUM);
	ck_assert(c.num == 12.5);
	ck_assert_int_eq(cell_of_typed(amount, "n-7", &t, &c, &err), 0);
	ck_assert(c.kind == CELL_NUM && c.num == -7);
	ck_assert_int_eq(cell_of_typed(amount, NULL, &t, &c, &err), 0);
	ck_assert_int_eq(c.kind, CELL_NONE);
	ck_assert_int_eq(cell_of_typed(day, "s2026-02-28", &t, &c, &err), 0);
	ck_assert(c.kind == CELL_DATE && c.y == 2026 && c.m == 2 && c.d == 28);
	ck_assert_int_eq(cell_of_typed(reason, "s \t", &t, &c, &err), 0);
	ck_assert_int_eq(c.kind, CELL_NONE);
	ck_assert_int_eq(cell_of_typed(reason, "n7", &t, &c, &err), 0);
	ck_assert(c.kind == CELL_STR && strcmp(t.data + c.off, "7") == 0);
	ck_assert_int_eq(cell_of_typed(items, "a[{\"qty\": 2}]", &t, &c, &err), 0);
	ck_assert(c.kind == CELL_STR && strcmp(t.data + c.off, "[{\"qty\":2}]") == 0);
	ck_assert_int_eq(cell_of_typed(items, "a[", &t, &c, &err), -1);
	fb_err_clear(&err);
	free(t.data);
	schema_free(s);
}
END_TEST

#define NTASKS 2345

/* Tasks 1..NTASKS of node 5 for user 7, pending except every 100th; session i has title
 * "t<i>" and form {"n": i}. */
static const char *const fixture[] = {
	"CREATE TEMP TABLE app_sessions (id bigint PRIMARY KEY, title text NOT NULL,"
	" form_data jsonb NOT NULL)",
	"CREATE TEMP TABLE tasks (id bigint PRIMARY KEY, session_id bigint NOT NULL,"
	" node_id bigint NOT NULL, assignee bigint NOT NULL, state text NOT NULL)",
	"INSERT INTO app_sessions SELECT g, 't' || g, jsonb_build_object('n', g)"
	" FROM generate_series(1, 2345) g",
	"INSERT INTO tasks SELECT g, g, 5, 7, CASE WHEN g % 100 = 0 THEN 'done' ELSE 'pending' END"
	" FROM generate_series(1, 2345) g",
	NULL,
};

struct seen {
	int64_t last;     /* the previous task id (ids are asked for in descending order) */
	size_t n;
	size_t fail_at;   /* fail on this row (1-based), 0 never */
};

static int
row(void *arg, int64_t task_id, const char *title, struct json_object *form, struct fb_err *err)
{
	struct seen *s = arg;
	struct json_object *n = NULL;
	char want[32];

	s->n++;
	snprintf(want, sizeof(want), "t%lld", (long long)task_id);
	ck_assert_str_eq(title, want);
	ck_assert(json_object_object_get_ex(form, "n", &n));
	ck_assert_int_eq(json_object_get_int64(n), task_id);
	ck_assert_msg(s->last == 0 || task_id < s->last, "%lld after %lld", (long long)task_id,
	              (long long)s->last);
	ck_assert_int_ne(task_id % 100, 0);
	s->last = task_id;
	json_object_put(form);
	if (s->n == s->fail_at) {
		fb_err_set(err, FB_EINTERNAL, "stop here");
		return -1;
	}
	return 0;
}

START_TEST(pages_in_order_and_after_a_failure)
{
	struct fb_err err = {0};
	struct db *db = db_open(conninfo, &err);
	const char *const *sql;
	struct node_info node;
	int64_t *ids = xcalloc(NTASKS + 1, sizeof(*ids));
	struct seen s;
	size_t i, written = 0;
	int round;

	ck_assert_msg(db != NULL, "db_open: %s", err.msg);
	for (sql = fixture; *sql != NULL; sql++)
		ck_assert_msg(db_exec(db, NULL, *sql, 0, NULL, &err) == 0, "fixture: %s", err.msg);
	memset(&node, 0, sizeof(node));
	node.id = 5;
	for (i = 0; i < NTASKS; i++)
		ids[i] = NTASKS - (int64_t)i;
	ids[NTASKS] = 999999; /* unknown: skipped */
	for (round = 0; round < 2; round++) {
		/* Fail in the second page, three pages still in flight. */
		memset(&s, 0, sizeof(s));
		s.fail_at = 600;
		ck_assert_int_eq(template_rows_each(db, &node, 7, ids, NTASKS + 1, row, &s, &written,
		                                    &err), -1);
		ck_assert_str_eq(err.msg, "stop here");
		fb_err_clear(&err);
		ck_assert_int_eq(PQpipelineStatus(db_pg(db)), PQ_PIPELINE_OFF);
		ck_assert_int_eq(PQtransactionStatus(db_pg(db)), PQTRANS_IDLE);
		ck_assert_msg(db_exec(db, NULL, "SELECT 1", 0, NULL, &err) == 0, "%s", err.msg);
		/* Then every row, in order. */
		memset(&s, 0, sizeof(s));
		ck_assert_msg(template_rows_each(db, &node, 7, ids, NTASKS + 1, row, &s, &written,
		                                 &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(written, NTASKS - NTASKS / 100);
		ck_assert_uint_eq(s.n, written);
		ck_assert_int_eq(s.last, 1);
	}
	/* Another user's, nothing. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(template_rows_each(db, &node, 8, ids, NTASKS, row, &s, &written, &err), 0);
	ck_assert_uint_eq(written, 0);
	free(ids);
	db_close(db);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("cell");
	TCase *tc = tcase_create("cell");
	SRunner *sr;
	int failed;

	conninfo = testenv_get("FLOWBATCH_DB_CONNINFO");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, typed_text);
	if (conninfo != NULL) {
		tcase_add_test(tc, typed_equals_parsed);
		tcase_add_test(tc, pages_in_order_and_after_a_failure);
	} else if (!testenv_may_skip()) {
		fprintf(stderr, "check_cell: FB_TEST_ENV names no FLOWBATCH_DB_CONNINFO\n");
		return EXIT_FAILURE;
	}
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(conninfo);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
