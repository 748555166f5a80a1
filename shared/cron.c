/* SPDX-License-Identifier: MIT */
/*
 * cron: parsing cron expressions into bitsets and finding their next fire times.
 *
 * The grammar and its meaning follow cronie's src/entry.c (get_list, get_range,
 * get_number) and the day rule of its src/cron.c, with cronie's silent cases made errors:
 * a backwards range (cronie sets nothing, or wraps `N-0` in every field) is refused except
 * a weekday range ending at Sunday, and steps are limited to the size of the field.
 *
 * cron_next searches in wall-clock time: month by month, then day, hour and minute through
 * the bitsets, so a sparse expression costs a few steps per month; each matching wall
 * minute is mapped to an instant by tz_wall_to_utc, and that mapping never decreases as the
 * wall time grows, so the first mapped instant after `after` is the answer.
 *
 * Errors carry msg.c's codes: a problem inside a field is "cron.at" (the field, the
 * 1-based position and the problem as a nested message), the others name the position
 * where they have one.
 *
 * Memory: nothing is kept; errors go into the caller's struct fb_err.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "cron.h"
#include "msg.h"

struct field_def {
	const char *name;
	int lo, hi;
	const char *const *names; /* names[i] is value lo + i; what a value may be is
	                           * said by msg.c's cron.what.<name> */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const wday_names[] = {"SUN", "MON", "TUE", "WED", "THU",
                                         "FRI", "SAT", NULL};

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, F_COUNT };

static const struct field_def fields[F_COUNT] = {
	[F_MINUTE] = {"minute", 0, 59, NULL},
	[F_HOUR] = {"hour", 0, 23, NULL},
	[F_MDAY] = {"day-of-month", 1, 31, NULL},
	[F_MONTH] = {"month", 1, 12, month_names},
	[F_WDAY] = {"day-of-week", 0, 7, wday_names},
};

static const struct {
	const char *name;
	const char *fields;
} aliases[] = {
	{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* ---- parsing ------------------------------------------------------------------------- */

struct cursor {
	const char *text; /* the whole expression, for positions */
	const char *p, *end;
	const struct field_def *f;
	struct fb_err *err;
};

/* Fail with the problem code (params stolen, may be NULL) in c's field at `at`. */
static int
fail_at(struct cursor *c, const char *at, const char *code, struct json_object *params)
{
	struct json_object *what = msg_args("code", json_object_new_string(code), "params",
	                                    params != NULL ? params : json_object_new_object(), NULL);

	fb_err_msg(c->err, FB_EINVAL, "cron.at",
	           msg_args("field", json_object_new_string(c->f->name), "position",
	                    json_object_new_int((int)(at - c->text) + 1), "what", what, NULL));
	return -1;
}

/* The params {"what": the field's name} (its values said through cron.what.*). */
static struct json_object *
what_args(const struct cursor *c)
{
	return msg_args("what", json_object_new_string(c->f->name), NULL);
}

static int
is_alnum(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* A number or (month, weekday) name at c->p; the cursor moves past it. */
static int
parse_value(struct cursor *c, int *out)
{
	const char *s = c->p, *q = s;
	int digits = 1, v = 0, i;
	size_t n;

	while (q < c->end && is_alnum(*q))
		q++;
	n = (size_t)(q - s);
	if (n == 0) {
		if (s == c->end)
			return fail_at(c, s, "cron.expected_end", what_args(c));
		return fail_at(c, s, "cron.expected_got",
		               msg_args("what", json_object_new_string(c->f->name), "got",
		                        json_object_new_string_len(s, 1), NULL));
	}
	for (i = 0; i < (int)n; i++)
		digits = digits && s[i] >= '0' && s[i] <= '9';
	if (digits) {
		for (i = 0; i < (int)n && v < 1000; i++)
			v = v * 10 + (s[i] - '0');
		if (n > 4 || v < c->f->lo || v > c->f->hi)
			return fail_at(c, s, "cron.out_of_range",
			               msg_args("value", json_object_new_string_len(s, (int)(n > 12 ? 12 : n)),
			                        "what", json_object_new_string(c->f->name), NULL));
		*out = v;
		c->p = q;
		return 0;
	}
	if (c->f->names != NULL && n == 3) {
		for (i = 0; c->f->names[i] != NULL; i++) {
			if (strncasecmp(c->f->names[i], s, 3) == 0) {
				*out = c->f->lo + i;
				c->p = q;
				return 0;
			}
		}
	}
	return fail_at(c, s, "cron.expected_got",
	               msg_args("what", json_object_new_string(c->f->name), "got",
	                        json_object_new_string_len(s, (int)(n > 12 ? 12 : n)), NULL));
}

/* "/S" at c->p when present; *step stays 1 otherwise. */
static int
parse_step(struct cursor *c, int *step)
{
	const char *s;
	int v = 0, n = 0;

	if (c->p == c->end || *c->p != '/')
		return 0;
	s = ++c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (v < 1000)
			v = v * 10 + (*c->p - '0');
		c->p++;
		n++;
	}
	if (n == 0 || v < 1 || v > c->f->hi - c->f->lo + 1)
		return fail_at(c, s, "cron.step",
		               msg_args("max", json_object_new_int(c->f->hi - c->f->lo + 1), NULL));
	*step = v;
	return 0;
}

/* One element of a list: *, *\/S, N, N-M or N-M/S. */
static int
parse_range(struct cursor *c, uint64_t *bits)
{
	const char *start = c->p;
	int lo, hi, step = 1, i;

	if (c->p < c->end && *c->p == '*') {
		c->p++;
		lo = c->f->lo;
		hi = c->f->hi;
	} else {
		if (parse_value(c, &lo) < 0)
			return -1;
		hi = lo;
		if (c->p < c->end && *c->p == '-') {
			c->p++;
			if (parse_value(c, &hi) < 0)
				return -1;
			/* cronie: a weekday range may end at Sunday written as 0 (FRI-SUN). */
			if (c->f == &fields[F_WDAY] && hi == 0 && lo > 0)
				hi = 7;
			if (lo > hi)
				return fail_at(c, start, "cron.backwards",
				               msg_args("range", json_object_new_string_len(
				                                     start, (int)(c->p - start)), NULL));
		} else if (c->p < c->end && *c->p == '/') {
			return fail_at(c, c->p, "cron.step_needs_range",
			               msg_args("value", json_object_new_string_len(
			                                     start, (int)(c->p - start)),
			                        "hi", json_object_new_int(c->f->hi), NULL));
		}
	}
	if (parse_step(c, &step) < 0)
		return -1;
	if (c->p < c->end && *c->p != ',') {
		if (*c->p == '~')
			return fail_at(c, c->p, "cron.random", NULL);
		return fail_at(c, c->p, "cron.unexpected",
		               msg_args("ch", json_object_new_string_len(c->p, 1), NULL));
	}
	for (i = lo; i <= hi; i += step)
		*bits |= UINT64_C(1) << i;
	return 0;
}

static int
parse_field(struct cursor *c, uint64_t *bits)
{
	*bits = 0;
	for (;;) {
		if (c->p == c->end || *c->p == ',')
			return fail_at(c, c->p, "cron.empty_element", what_args(c));
		if (parse_range(c, bits) < 0)
			return -1;
		if (c->p == c->end)
			return 0;
		c->p++; /* ',' */
	}
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int
parse_fields(const char *text, const char *s, const char *end, struct cron_expr *out,
             struct fb_err *err)
{
	const char *tok[F_COUNT + 1], *tend[F_COUNT + 1];
	struct cursor c = {.text = text, .err = err};
	uint64_t bits[F_COUNT];
	int n = 0, i;

	while (s < end) {
		while (s < end && is_blank(*s))
			s++;
		if (s == end)
			break;
		if (n == F_COUNT) {
			fb_err_msg(err, FB_EINVAL, "cron.too_many_fields",
			           msg_args("position", json_object_new_int((int)(s - text) + 1), NULL));
			return -1;
		}
		tok[n] = s;
		while (s < end && !is_blank(*s))
			s++;
		tend[n++] = s;
	}
	if (n < F_COUNT) {
		fb_err_msg(err, FB_EINVAL, "cron.missing_field",
		           msg_args("n", json_object_new_int(n), "field",
		                    json_object_new_string(fields[n].name), NULL));
		return -1;
	}
	for (i = 0; i < F_COUNT; i++) {
		c.f = &fields[i];
		c.p = tok[i];
		c.end = tend[i];
		if (parse_field(&c, &bits[i]) < 0)
			return -1;
	}
	memset(out, 0, sizeof(*out));
	out->minutes = bits[F_MINUTE];
	out->hours = (uint32_t)bits[F_HOUR];
	out->mdays = (uint32_t)bits[F_MDAY];
	out->months = (uint16_t)bits[F_MONTH];
	/* Sunday is 0 and 7. */
	out->wdays = (uint8_t)((bits[F_WDAY] | bits[F_WDAY] >> 7) & 0x7f);
	if (*tok[F_MDAY] == '*')
		out->flags |= CRON_DOM_STAR;
	if (*tok[F_WDAY] == '*')
		out->flags |= CRON_DOW_STAR;
	return 0;
}

static int
parse_alias(const char *text, const char *s, const char *end, struct cron_expr *out,
            struct fb_err *err)
{
	const char *e = s;
	size_t i, n;

	while (e < end && !is_blank(*e))
		e++;
	n = (size_t)(e - s);
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strlen(aliases[i].name) == n && memcmp(aliases[i].name, s, n) == 0)
			break;
	}
	if (n == 7 && memcmp(s, "@reboot", 7) == 0) {
		fb_err_msg(err, FB_EINVAL, "cron.reboot",
		           msg_args("position", json_object_new_int((int)(s - text) + 1), NULL));
		return -1;
	}
	if (i == sizeof(aliases) / sizeof(aliases[0])) {
		fb_err_msg(err, FB_EINVAL, "cron.unknown_alias",
		           msg_args("position", json_object_new_int((int)(s - text) + 1), "alias",
		                    json_object_new_string_len(s, (int)(n > 16 ? 16 : n)), NULL));
		return -1;
	}
	while (e < end && is_blank(*e))
		e++;
	if (e < end) {
		fb_err_msg(err, FB_EINVAL, "cron.after_alias",
		           msg_args("position", json_object_new_int((int)(e - text) + 1), "alias",
		                    json_object_new_string(aliases[i].name), NULL));
		return -1;
	}
	/* The alias texts are fixed and valid; their errors would name the alias. */
	s = aliases[i].fields;
	return parse_fields(s, s, s + strlen(s), out, err);
}

int
cron_parse(const char *text, struct cron_expr *out, struct fb_err *err)
{
	size_t len = strnlen(text, CRON_MAX_LEN + 1), i;
	const char *s = text, *end = text + len;

	if (len > CRON_MAX_LEN) {
		fb_err_msg(err, FB_EINVAL, "cron.too_long",
		           msg_args("max", json_object_new_int(CRON_MAX_LEN), NULL));
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if ((ch < 0x21 || ch > 0x7e) && !is_blank((char)ch)) {
			char hex[3];

			snprintf(hex, sizeof(hex), "%02x", ch);
			fb_err_msg(err, FB_EINVAL, "cron.bad_byte",
			           msg_args("position", json_object_new_int((int)i + 1), "byte",
			                    json_object_new_string(hex), NULL));
			return -1;
		}
	}
	while (s < end && is_blank(*s))
		s++;
	if (s == end) {
		fb_err_msg(err, FB_EINVAL, "cron.empty", NULL);
		return -1;
	}
	if (*s == '@')
		return parse_alias(text, s, end, out, err);
	return parse_fields(text, s, end, out, err);
}

/* ---- matching and searching ---------------------------------------------------------- */

static int
day_matches(const struct cron_expr *e, int mday, int wday)
{
	int dom = (e->mdays >> mday) & 1, dow = (e->wdays >> wday) & 1;

	/* cronie: '* * 1,15 * Sun' runs on the 1st, the 15th and every Sunday. */
	if (e->flags & (CRON_DOM_STAR | CRON_DOW_STAR))
		return dom && dow;
	return dom || dow;
}

int
cron_matches(const struct cron_expr *e, const struct tz_civil *c)
{
	return ((e->minutes >> c->minute) & 1) && ((e->hours >> c->hour) & 1) &&
	       ((e->months >> c->month) & 1) && day_matches(e, c->day, c->wday);
}

/* The lowest set bit at or above `from`, or -1. */
static int
next_bit(uint64_t bits, int from)
{
	if (from > 63)
		return -1;
	bits &= ~UINT64_C(0) << from;
	return bits ? __builtin_ctzll(bits) : -1;
}

/* The first matching wall minute at or after wall (a minute boundary) in a year before
 * last_year: 1 and *out, or 0. */
static int
next_wall(const struct cron_expr *e, int64_t wall, int64_t last_year, int64_t *out)
{
	struct tz_civil c;
	int64_t y;
	int mo, d, h, mi, m;

	if (e->minutes == 0 || e->hours == 0 || e->months == 0 || (e->mdays == 0 && e->wdays == 0))
		return 0;
	tz_civil_from_seconds(wall, &c);
	y = c.year;
	mo = c.month;
	d = c.day;
	h = c.hour;
	mi = c.minute;
	while (y <= last_year) {
		m = next_bit(e->months, mo);
		if (m != mo) {
			if (m < 0) {
				y++;
				m = next_bit(e->months, 1);
			}
			mo = m;
			d = 1;
			h = 0;
			mi = 0;
			continue;
		}
		{
			int dim = tz_days_in_month(y, mo);
			int wd = tz_weekday(tz_days_from_civil(y, mo, d));

			for (; d <= dim && !day_matches(e, d, wd); d++, wd = (wd + 1) % 7) {
				h = 0;
				mi = 0;
			}
			if (d > dim) {
				if (++mo > 12) {
					mo = 1;
					y++;
				}
				d = 1;
				h = 0;
				mi = 0;
				continue;
			}
		}
		m = next_bit(e->hours, h);
		if (m < 0) {
			d++;
			h = 0;
			mi = 0;
			continue;
		}
		if (m != h) {
			h = m;
			mi = 0;
		}
		m = next_bit(e->minutes, mi);
		if (m < 0) {
			h++;
			mi = 0;
			continue;
		}
		*out = tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + m * 60;
		return 1;
	}
	return 0;
}

int
cron_next(const struct cron_expr *e, const struct tz *z, int64_t after, int64_t *next,
          struct fb_err *err)
{
	struct tz_local loc;
	struct tz_civil c;
	int64_t wall, w, t;
	int i;

	if (after < CRON_MIN_TIME || after > CRON_MAX_TIME) {
		fb_err_set(err, FB_EINVAL, "instant %lld is outside the years 0001-9932",
		           (long long)after);
		return -1;
	}
	tz_offset_at(z, after, &loc);
	wall = after + loc.utoff;
	wall = wall - (wall % 60 + 60) % 60 + 60;
	tz_civil_from_seconds(wall, &c);
	/* Each round moves past one wall minute whose instant is not after `after`: only
	 * minutes repeated by a clock set back do, at most a day of them. */
	for (i = 0; i < 2000; i++) {
		if (!next_wall(e, wall, (int64_t)c.year + CRON_HORIZON_YEARS, &w)) {
			fb_err_msg(err, FB_ENOTFOUND, "cron.no_match",
			           msg_args("years", json_object_new_int(CRON_HORIZON_YEARS), NULL));
			return -1;
		}
		(void)tz_wall_to_utc(z, w, &t);
		if (t > after) {
			*next = t;
			return 0;
		}
		wall = w + 60;
	}
	fb_err_set(err, FB_EINTERNAL, "no next time found after %d candidates", i);
	return -1;
}
