/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the seeder's pure parts — generated names and logins, the demo apps' form
 * schemas (every field type is used) and node views, and that every generated form_data is
 * valid against its schema (types, bounds, options, dependent options, users, tables).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "seed.h"

static const char *const logins[] = {"demo", "u00001", "u00002", "u00003"};
#define NLOGINS 4

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static struct json_object *
parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o != NULL, "not JSON: %s", text);
	return o;
}

static int
in_array(struct json_object *arr, const char *s)
{
	size_t i;

	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(arr); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return 1;
	return 0;
}

static struct json_object *
get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void
check_date(const char *s)
{
	int y, m, d;
	char tail;

	ck_assert_int_eq((int)strlen(s), 10);
	ck_assert_int_eq(sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail), 3);
	ck_assert(y >= 2000 && m >= 1 && m <= 12 && d >= 1 && d <= 31);
}

static void
check_number(struct json_object *f, struct json_object *v, const char *text)
{
	struct json_object *min = get(f, "min"), *max = get(f, "max"), *dec = get(f, "decimals");
	double x;
	int decimals = dec ? json_object_get_int(dec) : 0;
	const char *dot;

	ck_assert_msg(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int),
	              "not a number in %s", text);
	x = json_object_get_double(v);
	if (min != NULL)
		ck_assert(x >= json_object_get_double(min));
	if (max != NULL)
		ck_assert(x <= json_object_get_double(max));
	dot = strchr(json_object_to_json_string(v), '.');
	if (dot != NULL)
		ck_assert_msg(decimals > 0 && (int)strlen(dot + 1) <= decimals,
		              "too many decimals in %s", text);
	if (decimals == 0)
		ck_assert(fabs(x - floor(x)) < 1e-9);
}

/* One value of one field (also used for table cells; row is the table row for depends_on). */
static void
check_value(struct json_object *f, struct json_object *obj, const char *text)
{
	const char *key = json_object_get_string(get(f, "key"));
	const char *type = json_object_get_string(get(f, "type"));
	struct json_object *v = get(obj, key);

	ck_assert_msg(v != NULL, "field %s missing in %s", key, text);
	if (strcmp(type, "number") == 0) {
		check_number(f, v, text);
		return;
	}
	if (strcmp(type, "table") == 0) {
		struct json_object *cols = get(f, "columns");
		size_t r, c;

		ck_assert(json_object_is_type(v, json_type_array));
		ck_assert(json_object_array_length(v) >= 1);
		ck_assert((int)json_object_array_length(v) <= json_object_get_int(get(f, "max_rows")));
		for (r = 0; r < json_object_array_length(v); r++) {
			struct json_object *row = json_object_array_get_idx(v, r);

			ck_assert(json_object_is_type(row, json_type_object));
			for (c = 0; c < json_object_array_length(cols); c++)
				check_value(json_object_array_get_idx(cols, c), row, text);
		}
		return;
	}
	ck_assert_msg(json_object_is_type(v, json_type_string), "%s not a string in %s", key, text);
	if (strcmp(type, "text") == 0) {
		ck_assert(utf8_chars(json_object_get_string(v)) >= 1);
		ck_assert((int)utf8_chars(json_object_get_string(v)) <=
		          json_object_get_int(get(f, "max_length")));
	} else if (strcmp(type, "date") == 0) {
		check_date(json_object_get_string(v));
	} else if (strcmp(type, "user") == 0) {
		int i, found = 0;

		for (i = 0; i < NLOGINS; i++)
			found |= strcmp(logins[i], json_object_get_string(v)) == 0;
		ck_assert_msg(found, "unknown user %s", json_object_get_string(v));
	} else if (strcmp(type, "select") == 0) {
		struct json_object *dep = get(f, "depends_on");

		if (dep != NULL) {
			const char *parent = json_object_get_string(get(obj, json_object_get_string(dep)));

			ck_assert_msg(parent != NULL, "parent of %s missing", key);
			ck_assert_msg(in_array(get(get(f, "options_by_parent"), parent),
			                       json_object_get_string(v)),
			              "%s=%s not under %s", key, json_object_get_string(v), parent);
		} else {
			ck_assert_msg(in_array(get(f, "options"), json_object_get_string(v)),
			              "%s=%s not an option", key, json_object_get_string(v));
		}
	} else {
		ck_abort_msg("unknown field type %s", type);
	}
}

START_TEST(names_and_logins)
{
	char a[32], b[32], login[16];
	long i;
	int differ = 0;

	for (i = 1; i <= 2000; i++) {
		size_t n;

		seed_person_name(1, i, a, sizeof(a));
		seed_person_name(1, i, b, sizeof(b));
		ck_assert_str_eq(a, b);
		n = utf8_chars(a);
		ck_assert_msg(n >= 2 && n <= 4, "odd name %s", a);
		ck_assert_int_eq((int)strlen(a), (int)n * 3);
		seed_person_name(2, i, b, sizeof(b));
		differ += strcmp(a, b) != 0;
	}
	ck_assert_int_gt(differ, 1500);
	seed_login(1, login, sizeof(login));
	ck_assert_str_eq(login, "u00001");
	seed_login(123456, login, sizeof(login));
	ck_assert_str_eq(login, "u123456");
}
END_TEST

START_TEST(schemas_use_every_type)
{
	int app, seen_text = 0, seen_number = 0, seen_date = 0, seen_select = 0, seen_dep = 0,
	         seen_user = 0, seen_table = 0;

	ck_assert_int_eq(seed_app_count(), 3);
	ck_assert_str_eq(seed_app_name(0), "费用报销");
	ck_assert_ptr_null(seed_app_schema(seed_app_count()));
	for (app = 0; app < seed_app_count(); app++) {
		struct json_object *s = parse(seed_app_schema(app)), *fields = get(s, "fields");
		size_t i;
		int seq;

		ck_assert(json_object_array_length(fields) >= 6);
		for (i = 0; i < json_object_array_length(fields); i++) {
			struct json_object *f = json_object_array_get_idx(fields, i);
			const char *type = json_object_get_string(get(f, "type"));

			ck_assert(get(f, "key") != NULL && get(f, "label") != NULL);
			seen_text |= strcmp(type, "text") == 0;
			seen_number |= strcmp(type, "number") == 0;
			seen_date |= strcmp(type, "date") == 0;
			seen_user |= strcmp(type, "user") == 0;
			seen_table |= strcmp(type, "table") == 0;
			if (strcmp(type, "select") == 0) {
				if (get(f, "depends_on") != NULL)
					seen_dep = 1;
				else
					seen_select = 1;
			}
		}
		ck_assert(seed_app_nodes(app) >= 3 && seed_app_nodes(app) <= 4);
		ck_assert_ptr_null(seed_node_view(app, 0));
		ck_assert_ptr_null(seed_node_view(app, seed_app_nodes(app) + 1));
		/* Views name only fields of the schema; searchable/writable/required are visible. */
		for (seq = 1; seq <= seed_app_nodes(app); seq++) {
			struct json_object *v = parse(seed_node_view(app, seq));
			static const char *const lists[] = {"visible", "searchable", "writable", "required"};
			size_t l;

			for (l = 0; l < 4; l++) {
				struct json_object *arr = get(v, lists[l]);
				size_t k;

				ck_assert(arr != NULL && json_object_is_type(arr, json_type_array));
				for (k = 0; k < json_object_array_length(arr); k++) {
					const char *key = json_object_get_string(json_object_array_get_idx(arr, k));
					size_t f;
					int found = 0;

					for (f = 0; f < json_object_array_length(fields); f++)
						found |= strcmp(key, json_object_get_string(get(
							json_object_array_get_idx(fields, f), "key"))) == 0;
					ck_assert_msg(found, "view names unknown field %s", key);
					ck_assert_msg(in_array(get(v, "visible"), key), "%s not visible", key);
				}
			}
			json_object_put(v);
		}
		json_object_put(s);
	}
	ck_assert(seen_text && seen_number && seen_date && seen_select && seen_dep && seen_user &&
	          seen_table);
}
END_TEST

START_TEST(form_data_valid)
{
	int app;
	long i;

	for (app = 0; app < seed_app_count(); app++) {
		struct json_object *s = parse(seed_app_schema(app)), *fields = get(s, "fields");

		for (i = 0; i < 500; i++) {
			char *text = seed_form_sample(app, 9, i, logins, NLOGINS);
			char *again = seed_form_sample(app, 9, i, logins, NLOGINS);
			struct json_object *d;
			size_t f;

			ck_assert_ptr_nonnull(text);
			ck_assert_str_eq(text, again);
			d = parse(text);
			ck_assert(json_object_is_type(d, json_type_object));
			ck_assert_int_eq(json_object_object_length(d), (int)json_object_array_length(fields));
			for (f = 0; f < json_object_array_length(fields); f++)
				check_value(json_object_array_get_idx(fields, f), d, text);
			json_object_put(d);
			free(text);
			free(again);
		}
		json_object_put(s);
	}
	ck_assert_ptr_null(seed_form_sample(seed_app_count(), 1, 1, logins, NLOGINS));
	ck_assert_ptr_null(seed_form_sample(0, 1, 1, logins, 0));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("seed");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, names_and_logins);
	tcase_add_test(tc, schemas_use_every_type);
	tcase_add_test(tc, form_data_valid);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
