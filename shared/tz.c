/* SPDX-License-Identifier: MIT */
/*
 * tz: a reader of TZif files (RFC 8536) and of the POSIX TZ strings in their footers, and
 * the calendar arithmetic both need.
 *
 * A loaded zone is a table of transitions (instant, index of a local time type) and the
 * footer rule that continues it after the last transition.  A rule yields two transitions a
 * year (the start of DST, given in standard time, and its end, given in DST); the offset at
 * an instant is the state after the latest such transition among the years around it.
 *
 * Memory: struct tz and its transition arrays are malloc'd by tz_from_tzif and released by
 * tz_free; the abbreviations handed out in struct tz_local point into the struct.  The file
 * bytes are read into a temporary buffer of at most TZ_MAX_FILE_BYTES.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "mem.h"
#include "msg.h"
#include "tz.h"

/* A zone file that is not what it says: code with what is wrong, said as it is. */
static void FB_PRINTF(3, 4)
damaged(struct fb_err *err, enum fb_code code, const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fb_err_msg(err, code, "tz.file_damaged", msg_args("what", json_object_new_string(what), NULL));
}

/* params {"max": max}; new object. */
static struct json_object *
max_arg(int max)
{
	return msg_args("max", json_object_new_int(max), NULL);
}

/* params {"name": name}; new object. */
static struct json_object *
name_arg(const char *name)
{
	return msg_args("name", json_object_new_string(name), NULL);
}

#define TZ_ABBR_MAX 16
/* RFC 8536 section 3.2: UT offsets outside this range are not meaningful. */
#define TZ_UTOFF_MIN (-89999)
#define TZ_UTOFF_MAX 93599

struct tz_type {
	int32_t utoff;
	uint8_t isdst;
	uint16_t abbr; /* index into abbrs */
};

/* A date of a POSIX TZ rule: Jn (1-365, no Feb 29), n (0-365), or Mm.w.d. */
struct tz_date {
	char kind; /* 'J', 'D' or 'M' */
	int n, month, week, wday;
	int32_t secs; /* local time of day of the change, -167h..167h */
};

struct tz_rule {
	int32_t std_off, dst_off;
	int has_dst;
	struct tz_date start, end;
	char std_abbr[TZ_ABBR_MAX], dst_abbr[TZ_ABBR_MAX];
};

struct tz {
	char name[TZ_NAME_MAX + 1];
	size_t ntimes, ntypes;
	int64_t *times;
	uint8_t *idx;
	struct tz_type types[TZ_MAX_TYPES];
	char abbrs[TZ_MAX_ABBR_BYTES + 1];
	int has_rule;
	struct tz_rule rule;
};

/* ---- calendar ------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
int64_t
tz_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
tz_weekday(int64_t days)
{
	int64_t w = (days + 4) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

static int
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int
tz_days_in_month(int64_t y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void
tz_civil_from_seconds(int64_t secs, struct tz_civil *c)
{
	int64_t days = floor_div(secs, 86400), rem = secs - days * 86400;
	int64_t z = days + 719468, era, doe, yoe, doy, mp, y;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = (int)(y + (c->month <= 2));
	c->hour = (int)(rem / 3600);
	c->minute = (int)(rem / 60 % 60);
	c->second = (int)(rem % 60);
	c->wday = tz_weekday(days);
}

int64_t
tz_seconds_from_civil(const struct tz_civil *c)
{
	return tz_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 +
	       c->minute * 60 + c->second;
}

static int64_t
clamp_time(int64_t t)
{
	return t < TZ_MIN_TIME ? TZ_MIN_TIME : t > TZ_MAX_TIME ? TZ_MAX_TIME : t;
}

/* ---- POSIX TZ rules ------------------------------------------------------------------ */

/* An abbreviation: 3+ letters, or <...> of letters, digits, '+' and '-'. */
static int
rule_abbr(const char **sp, char *out)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '<') {
		s++;
		while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		       (*s >= '0' && *s <= '9') || *s == '+' || *s == '-') {
			if (n + 1 >= TZ_ABBR_MAX)
				return -1;
			out[n++] = *s++;
		}
		if (*s != '>')
			return -1;
		s++;
	} else {
		while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
			if (n + 1 >= TZ_ABBR_MAX)
				return -1;
			out[n++] = *s++;
		}
	}
	if (n < 3)
		return -1;
	out[n] = '\0';
	*sp = s;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hours up to max_hours, as seconds. */
static int
rule_time(const char **sp, int max_hours, int32_t *out)
{
	const char *s = *sp;
	int sign = 1, part[3] = {0, 0, 0}, i, digits;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*s != ':')
				break;
			s++;
		}
		for (digits = 0; *s >= '0' && *s <= '9'; digits++, s++) {
			if (digits == 3)
				return -1;
			part[i] = part[i] * 10 + (*s - '0');
		}
		if (digits == 0)
			return -1;
	}
	if (part[0] > max_hours || part[1] > 59 || part[2] > 59)
		return -1;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*sp = s;
	return 0;
}

static int
rule_num(const char **sp, int lo, int hi, int *out)
{
	const char *s = *sp;
	int v = 0, digits = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 3)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (digits == 0 || v < lo || v > hi)
		return -1;
	*out = v;
	*sp = s;
	return 0;
}

static int
rule_date(const char **sp, struct tz_date *d)
{
	const char *s = *sp;

	memset(d, 0, sizeof(*d));
	if (*s == 'J') {
		s++;
		d->kind = 'J';
		if (rule_num(&s, 1, 365, &d->n) < 0)
			return -1;
	} else if (*s == 'M') {
		s++;
		d->kind = 'M';
		if (rule_num(&s, 1, 12, &d->month) < 0 || *s++ != '.' ||
		    rule_num(&s, 1, 5, &d->week) < 0 || *s++ != '.' ||
		    rule_num(&s, 0, 6, &d->wday) < 0)
			return -1;
	} else {
		d->kind = 'D';
		if (rule_num(&s, 0, 365, &d->n) < 0)
			return -1;
	}
	d->secs = 2 * 3600;
	if (*s == '/') {
		s++;
		/* RFC 8536 section 3.3.1 allows -167 to 167 hours here. */
		if (rule_time(&s, 167, &d->secs) < 0)
			return -1;
	}
	*sp = s;
	return 0;
}

/* Parse a POSIX TZ string (NUL-terminated); 0 or -1. */
static int
rule_parse(const char *s, struct tz_rule *r)
{
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (rule_abbr(&s, r->std_abbr) < 0 || rule_time(&s, 24, &off) < 0)
		return -1;
	r->std_off = -off;
	if (*s == '\0')
		return 0;
	if (rule_abbr(&s, r->dst_abbr) < 0)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (rule_time(&s, 24, &off) < 0)
			return -1;
		r->dst_off = -off;
	}
	/* A zone with DST and no rule would need a guessed rule: zic always writes one. */
	if (*s++ != ',' || rule_date(&s, &r->start) < 0 || *s++ != ',' ||
	    rule_date(&s, &r->end) < 0 || *s != '\0')
		return -1;
	return 0;
}

/* The instant at which date d of year y happens, in a local time with offset off. */
static int64_t
rule_when(const struct tz_date *d, int64_t y, int32_t off)
{
	int64_t days;

	if (d->kind == 'J') {
		days = tz_days_from_civil(y, 1, 1) + d->n - 1 + (is_leap(y) && d->n >= 60);
	} else if (d->kind == 'D') {
		days = tz_days_from_civil(y, 1, 1) + d->n;
	} else {
		int64_t first = tz_days_from_civil(y, d->month, 1);
		int dim = tz_days_in_month(y, d->month);
		int day = 1 + (d->wday - tz_weekday(first) + 7) % 7 + (d->week - 1) * 7;

		while (day > dim)
			day -= 7;
		days = first + day - 1;
	}
	return days * 86400 + d->secs - off;
}

struct rule_event {
	int64_t at;
	int dst; /* the state from at on */
};

/* The rule's changes in years y0..y0+3, in time order. */
static void
rule_events(const struct tz_rule *r, int64_t y0, struct rule_event ev[8])
{
	int i, j;

	for (i = 0; i < 4; i++) {
		ev[2 * i].at = rule_when(&r->start, y0 + i, r->std_off);
		ev[2 * i].dst = 1;
		ev[2 * i + 1].at = rule_when(&r->end, y0 + i, r->dst_off);
		ev[2 * i + 1].dst = 0;
	}
	for (i = 1; i < 8; i++) {
		struct rule_event e = ev[i];

		for (j = i; j > 0 && ev[j - 1].at > e.at; j--)
			ev[j] = ev[j - 1];
		ev[j] = e;
	}
}

static int64_t
rule_year(const struct tz_rule *r, int64_t t)
{
	struct tz_civil c;

	tz_civil_from_seconds(t + r->std_off, &c);
	return c.year;
}

static int
rule_dst_at(const struct tz_rule *r, int64_t t)
{
	struct rule_event ev[8];
	int i, dst = 0;

	if (!r->has_dst)
		return 0;
	rule_events(r, rule_year(r, t) - 2, ev);
	for (i = 0; i < 8 && ev[i].at <= t; i++)
		dst = ev[i].dst;
	return dst;
}

static int32_t
rule_off(const struct tz_rule *r, int dst)
{
	return dst ? r->dst_off : r->std_off;
}

/* The first change of offset after t under the rule, looking a few years ahead. */
static int
rule_next_change(const struct tz_rule *r, int64_t t, int64_t *at)
{
	struct rule_event ev[8];
	int32_t cur;
	int64_t y;
	int i, round;

	if (!r->has_dst || r->dst_off == r->std_off)
		return 0;
	cur = rule_off(r, rule_dst_at(r, t));
	y = rule_year(r, t) - 1;
	for (round = 0; round < 3; round++, y += 4) {
		rule_events(r, y, ev);
		for (i = 0; i < 8; i++) {
			if (ev[i].at <= t)
				continue;
			/* The state after every change at that instant (DST all year: one
			 * year's end is the next one's start), from a window around it. */
			if (rule_off(r, rule_dst_at(r, ev[i].at)) != cur) {
				*at = ev[i].at;
				return 1;
			}
		}
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------------------- */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chr;
};

/* Header at p (len bytes available); the size of the data block that follows, or 0. */
static size_t
tzif_header(const unsigned char *p, size_t len, size_t timesize, struct tzif_counts *c,
            struct fb_err *err)
{
	size_t need;

	if (len < 44 || memcmp(p, "TZif", 4) != 0) {
		fb_err_msg(err, FB_EINVAL, "tz.not_tzif", NULL);
		return 0;
	}
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chr = be32(p + 40);
	if (c->leap != 0) {
		fb_err_msg(err, FB_EINVAL, "tz.leap", NULL);
		return 0;
	}
	if (c->type == 0 || c->type > TZ_MAX_TYPES || c->chr == 0 ||
	    c->chr > TZ_MAX_ABBR_BYTES || (c->isut != 0 && c->isut != c->type) ||
	    (c->isstd != 0 && c->isstd != c->type)) {
		damaged(err, FB_EINVAL, "bad counts in the header");
		return 0;
	}
	if (c->time > TZ_MAX_TRANSITIONS) {
		damaged(err, FB_ETOOBIG, "more than %d transitions", TZ_MAX_TRANSITIONS);
		return 0;
	}
	/* All counts are capped above, so this cannot overflow. */
	need = (size_t)c->time * (timesize + 1) + (size_t)c->type * 6 + c->chr + c->isstd +
	       c->isut;
	if (len - 44 < need) {
		damaged(err, FB_EINVAL, "truncated");
		return 0;
	}
	return need;
}

/* Fill z from a data block with timesize-byte transition times. */
static int
tzif_data(struct tz *z, const unsigned char *p, size_t timesize, const struct tzif_counts *c,
          struct fb_err *err)
{
	const unsigned char *ip = p + (size_t)c->time * timesize;
	const unsigned char *tp = ip + c->time;
	const unsigned char *ap = tp + (size_t)c->type * 6;
	size_t i;

	z->ntimes = c->time;
	z->ntypes = c->type;
	z->times = xcalloc(c->time ? c->time : 1, sizeof(*z->times));
	z->idx = xcalloc(c->time ? c->time : 1, 1);
	for (i = 0; i < c->time; i++) {
		z->times[i] = timesize == 8 ? be64(p + 8 * i) : (int32_t)be32(p + 4 * i);
		z->idx[i] = ip[i];
		if (ip[i] >= c->type || (i > 0 && z->times[i] <= z->times[i - 1])) {
			damaged(err, FB_EINVAL, "bad transition %zu", i);
			return -1;
		}
	}
	memcpy(z->abbrs, ap, c->chr);
	z->abbrs[c->chr] = '\0';
	if (z->abbrs[c->chr - 1] != '\0') {
		damaged(err, FB_EINVAL, "abbreviations not terminated");
		return -1;
	}
	for (i = 0; i < c->type; i++) {
		const unsigned char *t = tp + 6 * i;
		int32_t off = (int32_t)be32(t);

		if (off < TZ_UTOFF_MIN || off > TZ_UTOFF_MAX || t[4] > 1 || t[5] >= c->chr) {
			damaged(err, FB_EINVAL, "bad local time type %zu", i);
			return -1;
		}
		z->types[i].utoff = off;
		z->types[i].isdst = t[4];
		z->types[i].abbr = t[5];
	}
	return 0;
}

struct tz *
tz_from_tzif(const char *name, const void *data, size_t len, struct fb_err *err)
{
	const unsigned char *p = data;
	struct tzif_counts c;
	struct tz *z = NULL;
	size_t need, off;

	if (strlen(name) > TZ_NAME_MAX) {
		fb_err_msg(err, FB_EINVAL, "tz.name_long", max_arg(TZ_NAME_MAX));
		return NULL;
	}
	if (len > TZ_MAX_FILE_BYTES) {
		fb_err_msg(err, FB_ETOOBIG, "tz.file_large", max_arg(TZ_MAX_FILE_BYTES));
		return NULL;
	}
	need = tzif_header(p, len, 4, &c, err);
	if (need == 0)
		return NULL;
	z = xcalloc(1, sizeof(*z));
	strcpy(z->name, name);
	if (p[4] == '\0') {
		/* Version 1: 32-bit times, no footer. */
		if (tzif_data(z, p + 44, 4, &c, err) < 0)
			goto fail;
		return z;
	}
	off = 44 + need;
	need = tzif_header(p + off, len - off, 8, &c, err);
	if (need == 0)
		goto fail;
	if (tzif_data(z, p + off + 44, 8, &c, err) < 0)
		goto fail;
	off += 44 + need;
	/* RFC 8536 section 3.3: version 2+ files end with a footer, possibly empty. */
	{
		const unsigned char *f = p + off, *nl;
		char footer[TZ_MAX_FOOTER_BYTES + 1];
		size_t flen;

		nl = len - off > 1 ? memchr(f + 1, '\n', len - off - 1) : NULL;
		if (off == len || f[0] != '\n' || nl == NULL) {
			damaged(err, FB_EINVAL, "malformed footer");
			goto fail;
		}
		flen = (size_t)(nl - (f + 1));
		if (flen > TZ_MAX_FOOTER_BYTES || memchr(f + 1, '\0', flen) != NULL) {
			damaged(err, FB_EINVAL, "malformed footer");
			goto fail;
		}
		memcpy(footer, f + 1, flen);
		footer[flen] = '\0';
		if (flen > 0) {
			if (rule_parse(footer, &z->rule) < 0) {
				damaged(err, FB_EINVAL, "bad TZ string in the footer");
				goto fail;
			}
			z->has_rule = 1;
		}
	}
	return z;
fail:
	tz_free(z);
	return NULL;
}

int
tz_name_check(const char *name, struct fb_err *err)
{
	size_t i, n = strnlen(name, TZ_NAME_MAX + 1);

	if (n == 0 || n > TZ_NAME_MAX) {
		fb_err_msg(err, FB_EINVAL, "tz.name_length", max_arg(TZ_NAME_MAX));
		return -1;
	}
	if (name[0] == '/' || strstr(name, "..") != NULL) {
		fb_err_msg(err, FB_EINVAL, "tz.name_relative", name_arg(name));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '+' ||
		      ch == '-' || ch == '.')) {
			fb_err_msg(err, FB_EINVAL, "tz.name_char",
			           msg_args("position", json_object_new_int64((int64_t)i + 1), NULL));
			return -1;
		}
	}
	return 0;
}

struct tz *
tz_utc(void)
{
	struct tz *z = xcalloc(1, sizeof(*z));

	strcpy(z->name, "UTC");
	strcpy(z->abbrs, "UTC");
	z->ntypes = 1;
	z->times = xcalloc(1, sizeof(*z->times));
	z->idx = xcalloc(1, 1);
	return z;
}

struct tz *
tz_load_dir(const char *dir, const char *name, struct fb_err *err)
{
	struct tz *z = NULL;
	struct stat st;
	unsigned char *buf = NULL;
	char *path = NULL;
	size_t got = 0;
	int fd = -1;

	if (tz_name_check(name, err) < 0)
		return NULL;
	if (dir == NULL)
		dir = TZ_ZONEINFO_DIR;
	path = xasprintf("%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if ((errno == ENOENT || errno == ENOTDIR) && strcmp(name, "UTC") == 0) {
			z = tz_utc();
			goto done;
		}
		if (errno == ENOENT || errno == ENOTDIR)
			fb_err_msg(err, FB_ENOTFOUND, "tz.unknown", name_arg(name));
		else
			fb_err_set(err, FB_EIO, "time zone '%s': %s", name, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fb_err_msg(err, FB_ENOTFOUND, "tz.not_zone", name_arg(name));
		goto done;
	}
	if (st.st_size > TZ_MAX_FILE_BYTES) {
		fb_err_msg(err, FB_ETOOBIG, "tz.zone_large",
		           msg_args("name", json_object_new_string(name), "max",
		                    json_object_new_int(TZ_MAX_FILE_BYTES), NULL));
		goto done;
	}
	/* Read up to one byte past the cap: a file that grew is still caught. */
	buf = xmalloc(TZ_MAX_FILE_BYTES + 1);
	while (got < TZ_MAX_FILE_BYTES + 1) {
		ssize_t n = read(fd, buf + got, TZ_MAX_FILE_BYTES + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fb_err_set(err, FB_EIO, "time zone '%s': %s", name, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	z = tz_from_tzif(name, buf, got, err);
done:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	return z;
}

struct tz *
tz_load(const char *name, struct fb_err *err)
{
	return tz_load_dir(NULL, name, err);
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->times);
	free(z->idx);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

/* ---- queries ------------------------------------------------------------------------- */

/* Index of the last transition at or before t, or -1 when t is before the first. */
static long
last_transition(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->ntimes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->times[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* Whether the footer rule decides the offset at t. */
static int
uses_rule(const struct tz *z, int64_t t)
{
	return z->has_rule && (z->ntimes == 0 || t >= z->times[z->ntimes - 1]);
}

void
tz_offset_at(const struct tz *z, int64_t t, struct tz_local *out)
{
	const struct tz_type *ty;
	long i;

	t = clamp_time(t);
	if (uses_rule(z, t)) {
		int dst = rule_dst_at(&z->rule, t);

		out->utoff = rule_off(&z->rule, dst);
		out->isdst = dst;
		out->abbr = dst ? z->rule.dst_abbr : z->rule.std_abbr;
		return;
	}
	i = last_transition(z, t);
	ty = &z->types[i < 0 ? 0 : z->idx[i]];
	out->utoff = ty->utoff;
	out->isdst = ty->isdst;
	out->abbr = z->abbrs + ty->abbr;
}

static int32_t
utoff_at(const struct tz *z, int64_t t)
{
	struct tz_local loc;

	tz_offset_at(z, t, &loc);
	return loc.utoff;
}

int
tz_next_change(const struct tz *z, int64_t t, int64_t *at)
{
	int32_t cur;
	size_t j;

	t = clamp_time(t);
	if (t >= TZ_MAX_TIME)
		return 0;
	cur = utoff_at(z, t);
	for (j = (size_t)(last_transition(z, t) + 1); j < z->ntimes; j++) {
		int64_t tt = z->times[j];

		if (tt > TZ_MAX_TIME)
			return 0;
		if (utoff_at(z, tt) != cur) {
			*at = tt;
			return 1;
		}
	}
	if (z->has_rule) {
		int64_t from = z->ntimes > 0 && z->times[z->ntimes - 1] > t ?
		                       z->times[z->ntimes - 1] : t;

		if (rule_next_change(&z->rule, from, at) && *at <= TZ_MAX_TIME)
			return 1;
	}
	return 0;
}

enum tz_wall_kind
tz_wall_to_utc(const struct tz *z, int64_t wall, int64_t *t)
{
	/* Every instant showing this wall time lies within the largest offsets of it. */
	int64_t start = clamp_time(wall - TZ_UTOFF_MAX - 1), next, cand;
	int found = 0, i;

	wall = clamp_time(wall);
	for (i = 0; i < 64; i++) {
		int32_t off = utoff_at(z, start);
		int more = tz_next_change(z, start, &next);

		cand = wall - off;
		if (!found && cand < start) {
			/* The wall clock jumped over this time on the way into this interval. */
			*t = start;
			return TZ_WALL_SKIPPED;
		}
		if (cand >= start && (!more || cand < next)) {
			if (found)
				return TZ_WALL_REPEATED;
			*t = cand;
			found = 1;
		}
		if (!more || next > wall - TZ_UTOFF_MIN)
			break;
		start = next;
	}
	if (!found)
		*t = wall - utoff_at(z, wall);
	return TZ_WALL_UNIQUE;
}
