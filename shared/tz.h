/* SPDX-License-Identifier: MIT */
/*
 * tz: time zones from the system's TZif files, without TZ/tzset, safe to share between
 * threads once loaded (nothing in a struct tz changes after tz_load returns).
 *
 *   struct tz *z = tz_load("Europe/Berlin", &err);   (caller frees with tz_free)
 *   tz_offset_at(z, t, &loc);                          (UTC offset, DST flag, abbreviation)
 *   tz_wall_to_utc(z, wall, &t);                       (wall clock to an instant, DST aware)
 *   tz_free(z);
 *
 * Files are read from TZ_ZONEINFO_DIR (RFC 8536: the 64-bit version 2+ data, and the POSIX
 * TZ string of the footer for instants after the last transition; version 1 files with
 * their 32-bit data).  Every count in a file is checked against a cap before it sizes
 * anything.  "UTC" always works, also without the file.  Zone names are relative paths of
 * letters, digits and "/_+-."; a name that starts with '/' or contains ".." is refused.
 *
 * Times are seconds since 1970-01-01 00:00 UTC; a "wall" time is the same count for a
 * local date and time read as if it were UTC.  Instants are clamped to years 0001-9999
 * (TZ_MIN_TIME, TZ_MAX_TIME).  Errors: FB_EINVAL (bad name, malformed file),
 * FB_ENOTFOUND (no such zone), FB_ETOOBIG (a cap), FB_EIO.
 */
#ifndef FB_TZ_H
#define FB_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TZ_ZONEINFO_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 128
#define TZ_MAX_FILE_BYTES (256 * 1024)
#define TZ_MAX_TRANSITIONS 4096
#define TZ_MAX_TYPES 256
#define TZ_MAX_ABBR_BYTES 512
#define TZ_MAX_FOOTER_BYTES 256

#define TZ_MIN_TIME INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define TZ_MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

struct tz;

/* What the clock says at an instant; abbr is borrowed until tz_free. */
struct tz_local {
	int32_t utoff; /* seconds east of UTC */
	int isdst;
	const char *abbr;
};

/* How a wall-clock time maps to instants (tz_wall_to_utc). */
enum tz_wall_kind {
	TZ_WALL_UNIQUE,   /* exists once */
	TZ_WALL_REPEATED, /* exists twice (a clock set back): the earlier instant */
	TZ_WALL_SKIPPED,  /* does not exist (a clock set forward): the instant the gap ends */
};

/* A zone by name from TZ_ZONEINFO_DIR, or dir when not NULL. */
struct tz *tz_load(const char *name, struct fb_err *err) FB_MUSTCHECK;
struct tz *tz_load_dir(const char *dir, const char *name, struct fb_err *err) FB_MUSTCHECK;
/* A zone from the bytes of a TZif file (borrowed for the call only). */
struct tz *tz_from_tzif(const char *name, const void *data, size_t len,
                        struct fb_err *err) FB_MUSTCHECK;
/* UTC without any file. */
struct tz *tz_utc(void);
void tz_free(struct tz *z);
/* The name it was loaded with; borrowed until tz_free. */
const char *tz_name(const struct tz *z);
/* 0 when name is acceptable as a zone name, -1 with err otherwise. */
int tz_name_check(const char *name, struct fb_err *err) FB_MUSTCHECK;

void tz_offset_at(const struct tz *z, int64_t t, struct tz_local *out);
/* The first instant after t at which the UTC offset changes: 1 and *at, or 0 when it never
 * changes again (up to TZ_MAX_TIME). */
int tz_next_change(const struct tz *z, int64_t t, int64_t *at);
enum tz_wall_kind tz_wall_to_utc(const struct tz *z, int64_t wall, int64_t *t);

/* Proleptic Gregorian calendar. */
struct tz_civil {
	int year, month, day; /* month 1-12, day 1-31 */
	int hour, minute, second;
	int wday; /* 0 = Sunday */
};
int64_t tz_days_from_civil(int64_t year, int month, int day);
void tz_civil_from_seconds(int64_t secs, struct tz_civil *out);
int64_t tz_seconds_from_civil(const struct tz_civil *c);
int tz_days_in_month(int64_t year, int month);
/* 0 = Sunday, for days since 1970-01-01. */
int tz_weekday(int64_t days);

#endif
