/* SPDX-License-Identifier: MIT */
/* Unit tests: cron expressions (parsing, every error class, next times against croniter's
 * reference vectors and hand-checked DST cases in tests/cron/vectors.txt) and the TZif
 * reader (known offsets, changes, wall-clock mapping, hostile files). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cron.h"
#include "msg.h"
#include "tz.h"

/* 2024-03-31T01:00:00Z, 2024-10-27T01:00:00Z: Berlin's changes of 2024. */
#define BERLIN_SPRING_2024 INT64_C(1711846800)
#define BERLIN_FALL_2024 INT64_C(1729990800)

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tz_civil c = {.year = y, .month = mo, .day = d, .hour = h, .minute = mi,
	                     .second = s};

	return tz_seconds_from_civil(&c);
}

/* "YYYY-MM-DDTHH:MM:SS" and "Z" or "+HH:MM"/"-HH:MM": the instant and the offset. */
static int
parse_iso(const char *s, int64_t *t, int32_t *off)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, n = 0;
	char sign = 'Z';

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -1;
	s += n;
	if (*s == '+' || *s == '-') {
		sign = *s;
		if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2)
			return -1;
		s += 1 + n;
	} else if (*s++ != 'Z') {
		return -1;
	}
	if (*s != '\0')
		return -1;
	*off = (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	*t = utc(y, mo, d, h, mi, sec) - *off;
	return 0;
}

static struct tz *
load(const char *name)
{
	struct fb_err err = {0};
	struct tz *z = tz_load(name, &err);

	ck_assert_msg(z != NULL, "%s: %s", name, err.msg);
	return z;
}

/* ---- reference vectors --------------------------------------------------------------- */

struct zones {
	const char *name[8];
	struct tz *z[8];
	int n;
};

static struct tz *
zone(struct zones *zs, const char *name)
{
	int i;

	for (i = 0; i < zs->n; i++)
		if (strcmp(zs->name[i], name) == 0)
			return zs->z[i];
	ck_assert_int_lt(zs->n, 8);
	zs->z[zs->n] = load(name);
	zs->name[zs->n] = tz_name(zs->z[zs->n]);
	return zs->z[zs->n++];
}

START_TEST(reference_vectors)
{
	const char *top = getenv("top_srcdir");
	char path[4096], line[8192];
	struct zones zs = {.n = 0};
	long lineno = 0, cases = 0, hand_cases = 0, times = 0;
	int hand = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/cron/vectors.txt", top ? top : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *zname, *start, *expr, *list, *tok, *save = NULL;
		struct fb_err err = {0};
		struct cron_expr e;
		int64_t t, want;
		int32_t off;
		struct tz *z;

		lineno++;
		ck_assert_msg(strchr(line, '\n') != NULL, "line %ld too long", lineno);
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "# ==== hand-checked", 19) == 0)
			hand = 1;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		zname = strtok_r(line, "|", &save);
		start = strtok_r(NULL, "|", &save);
		expr = strtok_r(NULL, "|", &save);
		list = strtok_r(NULL, "|", &save);
		ck_assert_msg(list != NULL, "line %ld: malformed", lineno);
		z = zone(&zs, zname);
		ck_assert_msg(parse_iso(start, &t, &off) == 0, "line %ld: bad start", lineno);
		ck_assert_msg(cron_parse(expr, &e, &err) == 0, "line %ld: '%s': %s", lineno, expr,
		              err.msg);
		for (i = 0, tok = strtok_r(list, " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save), i++) {
			struct tz_local loc;
			int64_t got = 0;

			ck_assert_msg(parse_iso(tok, &want, &off) == 0, "line %ld: bad time %s",
			              lineno, tok);
			ck_assert_msg(cron_next(&e, z, t, &got, &err) == 0, "line %ld: %s", lineno,
			              err.msg);
			ck_assert_msg(got == want, "line %ld: %s '%s' fire %d: got %lld, want %s",
			              lineno, zname, expr, i + 1, (long long)got, tok);
			tz_offset_at(z, got, &loc);
			ck_assert_msg(loc.utoff == off, "line %ld: %s offset %d at %s", lineno,
			              zname, loc.utoff, tok);
			t = got;
			times++;
		}
		if (hand) {
			hand_cases++;
		} else {
			ck_assert_msg(i == 50, "line %ld: %d times", lineno, i);
			cases++;
		}
	}
	fclose(f);
	for (i = 0; i < zs.n; i++)
		tz_free(zs.z[i]);
	ck_assert_int_ge(cases, 390);
	ck_assert_int_ge(hand_cases, 20);
	ck_assert_int_ge(times, 19750);
}
END_TEST

/* ---- parsing ------------------------------------------------------------------------- */

static struct cron_expr
parse_ok(const char *text)
{
	struct fb_err err = {0};
	struct cron_expr e;

	ck_assert_msg(cron_parse(text, &e, &err) == 0, "'%s': %s", text, err.msg);
	return e;
}

START_TEST(parse_fields)
{
	struct cron_expr e, a;

	e = parse_ok("*/15 0-23/6 1,15 */3 *");
	ck_assert_uint_eq(e.minutes, (1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45));
	ck_assert_uint_eq(e.hours, (1u << 0) | (1u << 6) | (1u << 12) | (1u << 18));
	ck_assert_uint_eq(e.mdays, (1u << 1) | (1u << 15));
	ck_assert_uint_eq(e.months, (1u << 1) | (1u << 4) | (1u << 7) | (1u << 10));
	ck_assert_uint_eq(e.wdays, 0x7f);
	ck_assert_int_eq(e.flags, CRON_DOW_STAR);

	/* Names in any case; 7 and SUN are Sunday; a weekday range may end at Sunday. */
	e = parse_ok("0 0 * jan,Jun-aug mOn,7");
	ck_assert_uint_eq(e.months, (1u << 1) | (1u << 6) | (1u << 7) | (1u << 8));
	ck_assert_uint_eq(e.wdays, (1u << 1) | (1u << 0));
	ck_assert_int_eq(e.flags, CRON_DOM_STAR);
	ck_assert_uint_eq(parse_ok("0 0 * * FRI-SUN").wdays, (1u << 5) | (1u << 6) | 1u);
	ck_assert_uint_eq(parse_ok("0 0 * * 5-0").wdays, (1u << 5) | (1u << 6) | 1u);
	ck_assert_uint_eq(parse_ok("0 0 * * 0-7").wdays, 0x7f);
	ck_assert_uint_eq(parse_ok("0 0 * * 1-7/2").wdays, 0x2b); /* Mon Wed Fri Sun */
	ck_assert_uint_eq(parse_ok("0 0 * * */2").wdays, 0x55);   /* Sun Tue Thu Sat */
	/* The '*' flags follow the first character, as cronie's DOM_STAR/DOW_STAR. */
	ck_assert_int_eq(parse_ok("0 0 */2 * 1").flags, CRON_DOM_STAR);
	ck_assert_int_eq(parse_ok("0 0 1-31 * 1").flags, 0);
	/* Blanks: tabs, several, around. */
	e = parse_ok(" \t5\t4  * *   sun ");
	ck_assert_uint_eq(e.minutes, 1ULL << 5);
	ck_assert_uint_eq(e.hours, 1u << 4);
	ck_assert_uint_eq(parse_ok("00 09 * * *").hours, 1u << 9);
	ck_assert_uint_eq(parse_ok("59 23 31 12 6").minutes, 1ULL << 59);
	/* A step larger than what is left: only the first value. */
	ck_assert_uint_eq(parse_ok("50-59/60 * * * *").minutes, 1ULL << 50);

	/* Aliases are their cronie expansions. */
	a = parse_ok("@yearly");
	e = parse_ok("0 0 1 1 *");
	ck_assert(memcmp(&a, &e, sizeof(a)) == 0);
	a = parse_ok("@annually");
	ck_assert(memcmp(&a, &e, sizeof(a)) == 0);
	a = parse_ok("  @monthly ");
	e = parse_ok("0 0 1 * *");
	ck_assert(memcmp(&a, &e, sizeof(a)) == 0);
	a = parse_ok("@weekly");
	e = parse_ok("0 0 * * 0");
	ck_assert(memcmp(&a, &e, sizeof(a)) == 0);
	a = parse_ok("@daily");
	e = parse_ok("0 0 * * *");
	ck_assert(memcmp(&a, &e, sizeof(a)) == 0);
	a = parse_ok("@midnight");
	ck_assert(memcmp(&a, &e, sizeof(a)) == 0);
	a = parse_ok("@hourly");
	e = parse_ok("0 * * * *");
	ck_assert(memcmp(&a, &e, sizeof(a)) == 0);
}
END_TEST

static const struct {
	const char *text;
	const char *msg; /* the whole message */
} parse_errors[] = {
	/* empty, too long, bytes */
	{"", "empty cron expression: expected 5 fields (minute hour day-of-month month "
	     "day-of-week) or an alias such as @daily"},
	{" \t ", "empty cron expression: expected 5 fields (minute hour day-of-month month "
	         "day-of-week) or an alias such as @daily"},
	{"0 0 * * *\n", "position 10: unexpected byte 0x0a (only printable ASCII, spaces and "
	                "tabs)"},
	{"0 0 * * \xc3\xa4", "position 9: unexpected byte 0xc3 (only printable ASCII, spaces "
	                     "and tabs)"},
	/* field count */
	{"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4: the "
	            "day-of-week field is missing"},
	{"0", "expected 5 fields (minute hour day-of-month month day-of-week), got 1: the hour "
	      "field is missing"},
	{"0 0 * * * /bin/true", "position 11: expected 5 fields (minute hour day-of-month "
	                        "month day-of-week), got more"},
	{"0 0 0 * * * *", "position 11: expected 5 fields (minute hour day-of-month month "
	                  "day-of-week), got more"},
	/* out of range, per field */
	{"60 * * * *", "minute field, position 1: 60 is out of range: expected a number 0-59"},
	{"* 24 * * *", "hour field, position 3: 24 is out of range: expected a number 0-23"},
	{"* * 0 * *", "day-of-month field, position 5: 0 is out of range: expected a number "
	              "1-31"},
	{"* * 32 * *", "day-of-month field, position 5: 32 is out of range: expected a number "
	               "1-31"},
	{"* * * 13 *", "month field, position 7: 13 is out of range: expected a number 1-12 or "
	               "a name JAN-DEC"},
	{"* * * 0 *", "month field, position 7: 0 is out of range: expected a number 1-12 or a "
	              "name JAN-DEC"},
	{"* * * * 8", "day-of-week field, position 9: 8 is out of range: expected a number 0-7 "
	              "or a name SUN-SAT"},
	{"1,2,99999999999 * * * *", "minute field, position 5: 99999999999 is out of range: "
	                            "expected a number 0-59"},
	{"0 1-25 * * *", "hour field, position 5: 25 is out of range: expected a number 0-23"},
	/* names */
	{"0 0 * * MONDAY", "day-of-week field, position 9: expected a number 0-7 or a name "
	                   "SUN-SAT, got 'MONDAY'"},
	{"0 0 * JAN *x", "day-of-week field, position 12: unexpected 'x' (expected ',', '-', "
	                 "'/' or the end of the field)"},
	{"0 0 * FOO *", "month field, position 7: expected a number 1-12 or a name JAN-DEC, got "
	                "'FOO'"},
	{"0 0 * * JAN", "day-of-week field, position 9: expected a number 0-7 or a name "
	                "SUN-SAT, got 'JAN'"},
	{"MON 0 * * *", "minute field, position 1: expected a number 0-59, got 'MON'"},
	{"0 0 1a * *", "day-of-month field, position 5: expected a number 1-31, got '1a'"},
	/* ranges */
	{"30-10 * * * *", "minute field, position 1: range 30-10 runs backwards (ranges do not "
	                  "wrap)"},
	{"0 0 * * FRI-MON", "day-of-week field, position 9: range FRI-MON runs backwards "
	                    "(ranges do not wrap)"},
	{"0 0 * DEC-JAN *", "month field, position 7: range DEC-JAN runs backwards (ranges do "
	                    "not wrap)"},
	{"5-0 * * * *", "minute field, position 1: range 5-0 runs backwards (ranges do not "
	                "wrap)"},
	{"1- * * * *", "minute field, position 3: expected a number 0-59, got the end of the "
	               "field"},
	{"-5 * * * *", "minute field, position 1: expected a number 0-59, got '-'"},
	{"1-2-3 * * * *", "minute field, position 4: unexpected '-' (expected ',', '-', '/' or "
	                  "the end of the field)"},
	{"*-5 * * * *", "minute field, position 2: unexpected '-' (expected ',', '-', '/' or "
	                "the end of the field)"},
	/* steps */
	{"*/0 * * * *", "minute field, position 3: expected a step from 1 to 60 after '/'"},
	{"*/ * * * *", "minute field, position 3: expected a step from 1 to 60 after '/'"},
	{"* */25 * * *", "hour field, position 5: expected a step from 1 to 24 after '/'"},
	{"*/x * * * *", "minute field, position 3: expected a step from 1 to 60 after '/'"},
	{"*/5/2 * * * *", "minute field, position 4: unexpected '/' (expected ',', '-', '/' or "
	                  "the end of the field)"},
	{"5/15 * * * *", "minute field, position 2: a step needs a range or '*' before it (for "
	                 "'5' write '5-59/...')"},
	{"0 0 * * MON/2", "day-of-week field, position 12: a step needs a range or '*' before "
	                  "it (for 'MON' write 'MON-7/...')"},
	/* lists */
	{"1,,2 * * * *", "minute field, position 3: empty list element: expected a number 0-59 "
	                 "or '*'"},
	{",1 * * * *", "minute field, position 1: empty list element: expected a number 0-59 or "
	               "'*'"},
	{"0 0 1, * *", "day-of-month field, position 7: empty list element: expected a number "
	               "1-31 or '*'"},
	/* syntax of other crons */
	{"0 0 L * *", "day-of-month field, position 5: expected a number 1-31, got 'L'"},
	{"0 0 15W * *", "day-of-month field, position 5: expected a number 1-31, got '15W'"},
	{"0 0 ? * MON", "day-of-month field, position 5: expected a number 1-31, got '?'"},
	{"0 0 * * MON#2", "day-of-week field, position 12: unexpected '#' (expected ',', '-', "
	                  "'/' or the end of the field)"},
	{"0~30 * * * *", "minute field, position 2: random ranges ('~') are not supported"},
	/* aliases */
	{"@reboot", "position 1: @reboot is not supported: it names no time of day"},
	{"@fortnightly", "position 1: unknown alias '@fortnightly' (expected @yearly, "
	                 "@annually, @monthly, @weekly, @daily, @midnight or @hourly)"},
	{"@Daily", "position 1: unknown alias '@Daily' (expected @yearly, @annually, @monthly, "
	           "@weekly, @daily, @midnight or @hourly)"},
	{"@daily /bin/true", "position 8: nothing may follow @daily"},
	{"@", "position 1: unknown alias '@' (expected @yearly, @annually, @monthly, @weekly, "
	      "@daily, @midnight or @hourly)"},
};

START_TEST(parse_error_classes)
{
	size_t i;

	for (i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		struct fb_err err = {0};
		struct cron_expr e;

		ck_assert_msg(cron_parse(parse_errors[i].text, &e, &err) == -1, "'%s' parsed",
		              parse_errors[i].text);
		ck_assert_int_eq(err.code, FB_EINVAL);
		ck_assert_msg(strcmp(err.msg, parse_errors[i].msg) == 0, "'%s': got \"%s\"",
		              parse_errors[i].text, err.msg);
		/* Every parse error has a code of the catalogue, said in Chinese too. */
		ck_assert_msg(err.mcode != NULL && msg_known(err.mcode), "'%s': no message code",
		              parse_errors[i].text);
	}
}
END_TEST

/* A problem inside a field: its name, position and the problem, in zh-CN and en. */
START_TEST(parse_error_said)
{
	static const struct {
		const char *text, *en, *zh;
	} cases[] = {
		{"61 * * * *", "minute field, position 1: 61 is out of range: expected a number 0-59",
		 "分钟字段第 1 个字符处：61 超出范围：应为 0 到 59 的数字"},
		{"0 0 * JAN-XYZ *",
		 "month field, position 11: expected a number 1-12 or a name JAN-DEC, got 'XYZ'",
		 "月份字段第 11 个字符处：应为 1 到 12 的数字或月份名 JAN 到 DEC，而不是“XYZ”"},
		{"0 0 5-1 * *", "day-of-month field, position 5: range 5-1 runs backwards (ranges do not wrap)",
		 "日字段第 5 个字符处：范围 5-1 是倒过来的（范围不会绕回）"},
		{"0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4: "
		            "the day-of-week field is missing",
		 "应为 5 个字段（分钟 小时 日 月份 星期），实际只有 4 个：缺少星期字段"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb_err err = {0};
		struct json_object *p;
		struct cron_expr e;
		char *en, *zh;

		ck_assert_int_eq(cron_parse(cases[i].text, &e, &err), -1);
		p = json_tokener_parse(err.margs);
		en = msg_render(err.mcode, p, MSG_EN);
		zh = msg_render(err.mcode, p, MSG_ZH);
		ck_assert_str_eq(en, cases[i].en);
		ck_assert_str_eq(err.msg, cases[i].en);
		ck_assert_str_eq(zh, cases[i].zh);
		free(en);
		free(zh);
		json_object_put(p);
	}
}
END_TEST

START_TEST(parse_length_bound)
{
	char text[CRON_MAX_LEN + 2];
	struct fb_err err = {0};
	struct cron_expr e;

	/* 256 bytes pass (blanks pad it), 257 do not. */
	memset(text, ' ', sizeof(text));
	memcpy(text, "0 0 * * *", 9);
	text[CRON_MAX_LEN] = '\0';
	ck_assert_int_eq(cron_parse(text, &e, &err), 0);
	text[CRON_MAX_LEN] = ' ';
	text[CRON_MAX_LEN + 1] = '\0';
	ck_assert_int_eq(cron_parse(text, &e, &err), -1);
	ck_assert_str_eq(err.msg, "cron expression longer than 256 bytes");
}
END_TEST

/* ---- next times ---------------------------------------------------------------------- */

START_TEST(next_leap_and_never)
{
	struct tz *u = tz_utc();
	struct fb_err err = {0};
	struct cron_expr e = parse_ok("0 0 29 2 *");
	int64_t t = 0;

	/* 2100 is not a leap year: from 2096 the next Feb 29 is in 2104. */
	ck_assert_int_eq(cron_next(&e, u, utc(2096, 3, 1, 0, 0, 0), &t, &err), 0);
	ck_assert_int_eq(t, utc(2104, 2, 29, 0, 0, 0));

	e = parse_ok("0 0 30 2 *");
	ck_assert_int_eq(cron_next(&e, u, utc(2024, 1, 1, 0, 0, 0), &t, &err), -1);
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	ck_assert_str_eq(err.msg, "the expression matches no time within 50 years");
	e = parse_ok("0 0 31 4,6,9,11 *");
	ck_assert_int_eq(cron_next(&e, u, utc(2024, 1, 1, 0, 0, 0), &t, &err), -1);
	ck_assert_int_eq(err.code, FB_ENOTFOUND);

	/* Strictly after, to the second. */
	e = parse_ok("* * * * *");
	ck_assert_int_eq(cron_next(&e, u, utc(2024, 5, 5, 10, 0, 0), &t, &err), 0);
	ck_assert_int_eq(t, utc(2024, 5, 5, 10, 1, 0));
	ck_assert_int_eq(cron_next(&e, u, utc(2024, 5, 5, 10, 0, 59), &t, &err), 0);
	ck_assert_int_eq(t, utc(2024, 5, 5, 10, 1, 0));
	ck_assert_int_eq(cron_next(&e, u, utc(1969, 12, 31, 23, 59, 30), &t, &err), 0);
	ck_assert_int_eq(t, 0);

	/* Instants outside the supported years. */
	ck_assert_int_eq(cron_next(&e, u, CRON_MAX_TIME + 1, &t, &err), -1);
	ck_assert_int_eq(err.code, FB_EINVAL);
	ck_assert_int_eq(cron_next(&e, u, INT64_MIN, &t, &err), -1);
	ck_assert_int_eq(cron_next(&e, u, CRON_MAX_TIME, &t, &err), 0);
	tz_free(u);
}
END_TEST

/* Every fire time of an expression matches in wall-clock time or ends a gap, and no
 * matching minute of a year is missed: a minute-by-minute walk agrees. */
START_TEST(next_against_minute_walk)
{
	static const char *const exprs[] = {"*/7 1-3 * * *", "30 2 * * 0", "0 0 13 * FRI",
	                                    "15 3 */2 * 1-5", "0 0,2 * 3,10 *"};
	static const char *const zones[] = {"Europe/Berlin", "America/New_York"};
	size_t zi, ei;

	for (zi = 0; zi < 2; zi++) {
		struct tz *z = load(zones[zi]);

		for (ei = 0; ei < sizeof(exprs) / sizeof(exprs[0]); ei++) {
			struct cron_expr e = parse_ok(exprs[ei]);
			struct fb_err err = {0};
			int64_t m, t = utc(2024, 1, 1, 0, 0, 0), last = -1, fired = -1;

			ck_assert_int_eq(cron_next(&e, z, t, &fired, &err), 0);
			/* Walk each UTC minute; a minute whose wall time matches must be the
			 * next fire time unless it repeats a wall time already seen. */
			for (m = t + 60; m < utc(2025, 1, 1, 0, 0, 0); m += 60) {
				struct tz_local loc;
				struct tz_civil c;
				int64_t w;

				tz_offset_at(z, m, &loc);
				w = m + loc.utoff;
				tz_civil_from_seconds(w, &c);
				if (m == fired) {
					int64_t chg = 0;

					/* A fire matches, or is the end of a gap. */
					ck_assert_msg(cron_matches(&e, &c) ||
					                      (tz_next_change(z, m - 1, &chg) == 1 &&
					                       chg == m),
					              "%s %s: fired at %lld", zones[zi], exprs[ei],
					              (long long)m);
					last = w;
					ck_assert_int_eq(cron_next(&e, z, m, &fired, &err), 0);
					continue;
				}
				if (!cron_matches(&e, &c) || w <= last)
					continue;
				/* A match that does not fire: only possible at a gap's end. */
				ck_assert_msg(0, "%s %s: %lld matches but next is %lld", zones[zi],
				              exprs[ei], (long long)m, (long long)fired);
			}
		}
		tz_free(z);
	}
}
END_TEST

/* ---- time zones ---------------------------------------------------------------------- */

static void
assert_offset(const struct tz *z, int64_t t, int32_t off, int isdst, const char *abbr)
{
	struct tz_local loc;

	tz_offset_at(z, t, &loc);
	ck_assert_msg(loc.utoff == off && loc.isdst == isdst && strcmp(loc.abbr, abbr) == 0,
	              "%s at %lld: %d %d %s", tz_name(z), (long long)t, loc.utoff, loc.isdst,
	              loc.abbr);
}

START_TEST(tz_known_offsets)
{
	struct tz *b = load("Europe/Berlin"), *ny = load("America/New_York");
	struct tz *sh = load("Asia/Shanghai");
	int64_t at = 0;

	assert_offset(b, utc(2024, 1, 15, 12, 0, 0), 3600, 0, "CET");
	assert_offset(b, utc(2024, 7, 15, 12, 0, 0), 7200, 1, "CEST");
	assert_offset(b, BERLIN_SPRING_2024 - 1, 3600, 0, "CET");
	assert_offset(b, BERLIN_SPRING_2024, 7200, 1, "CEST");
	assert_offset(b, BERLIN_FALL_2024 - 1, 7200, 1, "CEST");
	assert_offset(b, BERLIN_FALL_2024, 3600, 0, "CET");
	/* Local mean time before 1893, wartime double summer time in 1945. */
	assert_offset(b, utc(1880, 1, 1, 0, 0, 0), 3208, 0, "LMT");
	assert_offset(b, utc(1945, 6, 1, 12, 0, 0), 10800, 1, "CEMT");
	/* Far past the transition table: the footer rule (2050-03-27 is the last Sunday). */
	assert_offset(b, utc(2050, 3, 27, 0, 59, 59), 3600, 0, "CET");
	assert_offset(b, utc(2050, 3, 27, 1, 0, 0), 7200, 1, "CEST");
	assert_offset(b, utc(2399, 10, 31, 0, 59, 59), 7200, 1, "CEST");
	assert_offset(b, utc(2399, 10, 31, 1, 0, 0), 3600, 0, "CET");

	ck_assert_int_eq(tz_next_change(b, utc(2024, 1, 1, 0, 0, 0), &at), 1);
	ck_assert_int_eq(at, BERLIN_SPRING_2024);
	ck_assert_int_eq(tz_next_change(b, BERLIN_SPRING_2024, &at), 1);
	ck_assert_int_eq(at, BERLIN_FALL_2024);
	ck_assert_int_eq(tz_next_change(b, utc(2060, 11, 1, 0, 0, 0), &at), 1);
	ck_assert_int_eq(at, utc(2061, 3, 27, 1, 0, 0));

	assert_offset(ny, utc(2024, 7, 1, 0, 0, 0), -14400, 1, "EDT");
	assert_offset(ny, utc(2024, 12, 1, 0, 0, 0), -18000, 0, "EST");
	assert_offset(ny, utc(2024, 3, 10, 7, 0, 0), -14400, 1, "EDT");
	assert_offset(ny, utc(2024, 11, 3, 5, 59, 59), -14400, 1, "EDT");
	assert_offset(ny, utc(2024, 11, 3, 6, 0, 0), -18000, 0, "EST");
	assert_offset(ny, utc(2070, 11, 2, 6, 0, 0), -18000, 0, "EST");

	assert_offset(sh, utc(2024, 7, 1, 0, 0, 0), 28800, 0, "CST");
	assert_offset(sh, utc(1990, 7, 1, 0, 0, 0), 32400, 1, "CDT");
	ck_assert_int_eq(tz_next_change(sh, utc(2000, 1, 1, 0, 0, 0), &at), 0);
	tz_free(b);
	tz_free(ny);
	tz_free(sh);
}
END_TEST

START_TEST(tz_wall_mapping)
{
	struct tz *b = load("Europe/Berlin");
	int64_t t = 0;

	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 3, 31, 2, 30, 0), &t), TZ_WALL_SKIPPED);
	ck_assert_int_eq(t, BERLIN_SPRING_2024);
	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 3, 31, 2, 0, 0), &t), TZ_WALL_SKIPPED);
	ck_assert_int_eq(t, BERLIN_SPRING_2024);
	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 3, 31, 3, 0, 0), &t), TZ_WALL_UNIQUE);
	ck_assert_int_eq(t, BERLIN_SPRING_2024);
	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 3, 31, 1, 59, 59), &t), TZ_WALL_UNIQUE);
	ck_assert_int_eq(t, BERLIN_SPRING_2024 - 1);
	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 10, 27, 2, 30, 0), &t), TZ_WALL_REPEATED);
	ck_assert_int_eq(t, BERLIN_FALL_2024 - 1800);
	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 10, 27, 2, 0, 0), &t), TZ_WALL_REPEATED);
	ck_assert_int_eq(t, BERLIN_FALL_2024 - 3600);
	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 10, 27, 3, 0, 0), &t), TZ_WALL_UNIQUE);
	ck_assert_int_eq(t, BERLIN_FALL_2024 + 3600);
	ck_assert_int_eq(tz_wall_to_utc(b, utc(2024, 6, 1, 12, 0, 0), &t), TZ_WALL_UNIQUE);
	ck_assert_int_eq(t, utc(2024, 6, 1, 10, 0, 0));
	tz_free(b);
}
END_TEST

START_TEST(tz_names)
{
	static const char *const bad[] = {"", "/etc/localtime", "../../etc/passwd",
	                                  "Europe/../../etc/shadow", "Europe/..", "a b",
	                                  "Europe/Berlin\n", "x;rm"};
	struct fb_err err = {0};
	struct tz *z;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		ck_assert_msg(tz_load(bad[i], &err) == NULL, "'%s' loaded", bad[i]);
		ck_assert_int_eq(err.code, FB_EINVAL);
	}
	ck_assert(tz_load("Nowhere/Atlantis", &err) == NULL);
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	ck_assert(tz_load("Europe", &err) == NULL); /* a directory */
	ck_assert_int_eq(err.code, FB_ENOTFOUND);
	/* UTC works without any file. */
	z = tz_load_dir("/nonexistent", "UTC", &err);
	ck_assert_ptr_nonnull(z);
	assert_offset(z, utc(2024, 7, 1, 0, 0, 0), 0, 0, "UTC");
	ck_assert_str_eq(tz_name(z), "UTC");
	tz_free(z);
	z = load("UTC");
	assert_offset(z, utc(2024, 7, 1, 0, 0, 0), 0, 0, "UTC");
	tz_free(z);
}
END_TEST

/* A version 2 TZif file with no transitions, one type and the given footer. */
static size_t
tzif_footer_only(unsigned char *buf, int32_t utoff, const char *abbr, const char *footer)
{
	size_t n = 0, i, alen = strlen(abbr) + 1;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		memcpy(buf + n, "TZif2", 5);
		memset(buf + n + 5, 0, 39);
		buf[n + 39] = 1; /* typecnt */
		buf[n + 43] = (unsigned char)alen;
		n += 44;
		for (i = 0; i < 4; i++)
			buf[n++] = (unsigned char)((uint32_t)utoff >> (24 - 8 * i));
		buf[n++] = 0;
		buf[n++] = 0;
		memcpy(buf + n, abbr, alen);
		n += alen;
	}
	buf[n++] = '\n';
	memcpy(buf + n, footer, strlen(footer));
	n += strlen(footer);
	buf[n++] = '\n';
	return n;
}

START_TEST(tz_footer_rules)
{
	unsigned char buf[512];
	struct fb_err err = {0};
	struct tz *z;
	int64_t at = 0;
	size_t n;

	/* Berlin's rule alone gives Berlin's 2024. */
	n = tzif_footer_only(buf, 3600, "CET", "CET-1CEST,M3.5.0,M10.5.0/3");
	z = tz_from_tzif("test", buf, n, &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	assert_offset(z, BERLIN_SPRING_2024 - 1, 3600, 0, "CET");
	assert_offset(z, BERLIN_SPRING_2024, 7200, 1, "CEST");
	assert_offset(z, BERLIN_FALL_2024, 3600, 0, "CET");
	ck_assert_int_eq(tz_next_change(z, utc(2024, 1, 1, 0, 0, 0), &at), 1);
	ck_assert_int_eq(at, BERLIN_SPRING_2024);
	tz_free(z);

	/* Southern hemisphere (Sydney), Julian days, quoted names, minutes. */
	n = tzif_footer_only(buf, 36000, "AEST", "AEST-10AEDT,M10.1.0,M4.1.0/3");
	z = tz_from_tzif("test", buf, n, &err);
	ck_assert_ptr_nonnull(z);
	assert_offset(z, utc(2024, 1, 1, 0, 0, 0), 39600, 1, "AEDT");
	assert_offset(z, utc(2024, 7, 1, 0, 0, 0), 36000, 0, "AEST");
	assert_offset(z, utc(2024, 4, 6, 15, 59, 59), 39600, 1, "AEDT");
	assert_offset(z, utc(2024, 4, 6, 16, 0, 0), 36000, 0, "AEST");
	tz_free(z);
	n = tzif_footer_only(buf, 12600, "+0330", "<+0330>-3:30<+0430>,J79/24,J263/24");
	z = tz_from_tzif("test", buf, n, &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	assert_offset(z, utc(2021, 1, 1, 0, 0, 0), 12600, 0, "+0330");
	assert_offset(z, utc(2021, 6, 1, 0, 0, 0), 16200, 1, "+0430");
	tz_free(z);
	/* DST all year (zic's form): never a change. */
	n = tzif_footer_only(buf, -14400, "EDT", "EST5EDT,0/0,J365/25");
	z = tz_from_tzif("test", buf, n, &err);
	ck_assert_ptr_nonnull(z);
	assert_offset(z, utc(2024, 1, 1, 0, 30, 0), -14400, 1, "EDT");
	assert_offset(z, utc(2024, 12, 31, 23, 30, 0), -14400, 1, "EDT");
	ck_assert_int_eq(tz_next_change(z, utc(2024, 1, 1, 0, 0, 0), &at), 0);
	tz_free(z);

	/* Footers that are not POSIX TZ strings, or need a rule zic would write. */
	n = tzif_footer_only(buf, 0, "X", "EST5EDT");
	ck_assert(tz_from_tzif("test", buf, n, &err) == NULL);
	ck_assert_str_eq(err.msg, "time zone file: bad TZ string in the footer");
	n = tzif_footer_only(buf, 0, "X", "E5");
	ck_assert(tz_from_tzif("test", buf, n, &err) == NULL);
	n = tzif_footer_only(buf, 0, "X", "EST5EDT,M13.1.0,M11.1.0");
	ck_assert(tz_from_tzif("test", buf, n, &err) == NULL);
	n = tzif_footer_only(buf, 0, "X", "EST25");
	ck_assert(tz_from_tzif("test", buf, n, &err) == NULL);
}
END_TEST

static size_t
read_zone_file(const char *name, unsigned char *buf, size_t cap)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TZ_ZONEINFO_DIR, name);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

START_TEST(tz_hostile_files)
{
	static unsigned char buf[65536], copy[65536];
	struct fb_err err = {0};
	struct tz *z;
	size_t n, cut;

	n = read_zone_file("America/New_York", buf, sizeof(buf));
	ck_assert_uint_gt(n, 100);
	z = tz_from_tzif("x", buf, n, &err);
	ck_assert_ptr_nonnull(z);
	tz_free(z);
	/* Every truncation fails cleanly, except those inside the footer line's end. */
	for (cut = 0; cut < n - 1; cut++) {
		memset(&err, 0, sizeof(err));
		z = tz_from_tzif("x", buf, cut, &err);
		ck_assert_msg(z == NULL && err.msg[0] != '\0', "truncated at %zu", cut);
	}
	/* Bad magic; counts too large; a leap-second count; transitions out of order. */
	memcpy(copy, buf, n);
	copy[0] = 'X';
	ck_assert(tz_from_tzif("x", copy, n, &err) == NULL);
	memcpy(copy, buf, n);
	memset(copy + 32, 0xff, 4); /* timecnt */
	ck_assert(tz_from_tzif("x", copy, n, &err) == NULL);
	ck_assert_int_eq(err.code, FB_ETOOBIG);
	memcpy(copy, buf, n);
	copy[31] = 1; /* leapcnt */
	ck_assert(tz_from_tzif("x", copy, n, &err) == NULL);
	ck_assert_str_eq(err.msg, "time zone file: leap-second files (right/) are not supported");
	memcpy(copy, buf, n);
	memset(copy + 36, 0, 4); /* typecnt 0 */
	ck_assert(tz_from_tzif("x", copy, n, &err) == NULL);
	memcpy(copy, buf, n);
	copy[36 + 3] = 0; /* typecnt 256: type indices point past the real ones */
	copy[36 + 2] = 1;
	ck_assert(tz_from_tzif("x", copy, n, &err) == NULL);
	ck_assert(tz_from_tzif("x", buf, TZ_MAX_FILE_BYTES + 1, &err) == NULL);
	ck_assert_int_eq(err.code, FB_ETOOBIG);
	/* The version 1 part alone is a valid version 1 file (with the 32-bit transitions
	 * of a "fat" file, Debian's build, it still knows 2024). */
	memcpy(copy, buf, n);
	copy[4] = '\0';
	z = tz_from_tzif("x", copy, n, &err);
	ck_assert_msg(z != NULL, "%s", err.msg);
	if (copy[32] | copy[33] | copy[34] | copy[35])
		assert_offset(z, utc(2024, 7, 1, 0, 0, 0), -14400, 1, "EDT");
	tz_free(z);
}
END_TEST

START_TEST(calendar)
{
	struct tz_civil c;

	ck_assert_int_eq(tz_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(tz_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(tz_days_from_civil(1, 1, 1), -719162);
	tz_civil_from_seconds(-1, &c);
	ck_assert(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 &&
	          c.minute == 59 && c.second == 59 && c.wday == 3);
	tz_civil_from_seconds(utc(2024, 2, 29, 13, 14, 15), &c);
	ck_assert(c.year == 2024 && c.month == 2 && c.day == 29 && c.hour == 13 &&
	          c.minute == 14 && c.second == 15 && c.wday == 4);
	tz_civil_from_seconds(TZ_MAX_TIME, &c);
	ck_assert(c.year == 9999 && c.month == 12 && c.day == 31);
	tz_civil_from_seconds(TZ_MIN_TIME, &c);
	ck_assert(c.year == 1 && c.month == 1 && c.day == 1);
	ck_assert_int_eq(tz_days_in_month(2100, 2), 28);
	ck_assert_int_eq(tz_days_in_month(2000, 2), 29);
	ck_assert_int_eq(tz_days_in_month(2024, 4), 30);
}
END_TEST

static Suite *
cron_suite(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, reference_vectors);
	tcase_add_test(tc, parse_fields);
	tcase_add_test(tc, parse_error_classes);
	tcase_add_test(tc, parse_error_said);
	tcase_add_test(tc, parse_length_bound);
	tcase_add_test(tc, next_leap_and_never);
	tcase_add_test(tc, next_against_minute_walk);
	tcase_add_test(tc, tz_known_offsets);
	tcase_add_test(tc, tz_wall_mapping);
	tcase_add_test(tc, tz_names);
	tcase_add_test(tc, tz_footer_rules);
	tcase_add_test(tc, tz_hostile_files);
	tcase_add_test(tc, calendar);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cron_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
