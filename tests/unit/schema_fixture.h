/* SPDX-License-Identifier: MIT */
/*
 * schema_fixture: what the schema unit tests (check_schema, check_schema_check,
 * check_schema_cell) share — a schema with every type, a view, and helpers that fail the
 * running Check test when their input is not what the test meant.
 */
#ifndef FB_SCHEMA_FIXTURE_H
#define FB_SCHEMA_FIXTURE_H

#include <check.h>
#include <stddef.h>

#include "err.h"
#include "schema.h"

struct json_object;

/* A schema with every type, a chain of dependent selects and a table of every column type. */
extern const char form_schema[];
/* A view where every field is writable and nothing is required. */
extern const char all_writable[];

/* Parsed test JSON (new; the test fails on bad JSON). */
struct json_object *js(const char *text);
/* A schema / view the test expects to be accepted (caller frees). */
struct schema *schema_of(const char *text);
struct view *view_of(const struct schema *s, const char *text);
/* A schema_env user_exists: counts calls in *(int *)arg; see schema_fixture.c for the logins. */
int fake_users(void *arg, const char *login, struct fb_err *err);
/* schema_merge with a fresh err: returns rc; *merged (or NULL) and err are the caller's. */
int merge(const struct schema *s, const struct view *v, const char *current, const char *input,
          const struct schema_env *env, struct json_object **merged, struct fb_err *err);
size_t ndetails(const struct fb_err *err);
/* Member of detail i as a string, or NULL. */
const char *detail_str(const struct fb_err *err, size_t i, const char *member);
/* Expect exactly one validation error, on field, whose message contains what; clears err. */
void expect_one(struct fb_err *err, const char *field, const char *what);
/* Expect a merge that succeeded without details. */
void expect_ok(int rc, struct fb_err *err);
/* Run every test of s (taken over): the exit status for main. */
int run_suite(Suite *s);

#endif
