/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for cron and tz.  An input starting with "TZif" is a time zone file:
 * it is loaded and its offsets, changes and wall-clock mapping are queried around the
 * years its transitions name.  Any other input is a cron expression: it is parsed and, when
 * valid, its next fire times are computed in UTC, Europe/Berlin and America/New_York from
 * starts next to changes of offset.  Checked: every error has a message, every fire time
 * is later than the one before and matches the expression in wall-clock time or is the
 * end of a gap, and the bitsets stay inside their fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "tz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tz *zones[3];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[] = {"Europe/Berlin", "America/New_York"};
	struct fb_err err = {0};
	size_t i;

	(void)argc;
	(void)argv;
	zones[0] = tz_utc();
	for (i = 0; i < 2; i++) {
		zones[i + 1] = tz_load(names[i], &err);
		if (zones[i + 1] == NULL)
			abort(); /* tzdata is missing: the run would test less than it says */
	}
	return 0;
}

/* A fire time matches in wall-clock time or is the instant a gap ends. */
static void
check_fire(const struct cron_expr *e, const struct tz *z, int64_t prev, int64_t t)
{
	struct tz_local loc;
	struct tz_civil c;
	int64_t chg = 0;

	if (t <= prev)
		abort();
	tz_offset_at(z, t, &loc);
	tz_civil_from_seconds(t + loc.utoff, &c);
	if (!cron_matches(e, &c) && !(tz_next_change(z, t - 1, &chg) == 1 && chg == t))
		abort();
}

static void
fuzz_expr(const uint8_t *data, size_t size)
{
	/* 2024-03-30T22:00Z, 2024-10-26T23:30Z, 2024-03-10T05:00Z, 2041-11-03T04:00Z, 1990. */
	static const int64_t starts[] = {1711836000, 1729985400, 1710046800, 2267064000,
	                                 640000000};
	char text[CRON_MAX_LEN + 8];
	struct fb_err err = {0};
	struct cron_expr e;
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1, zi, i;

	memcpy(text, data, n);
	text[n] = '\0';
	if (cron_parse(text, &e, &err) < 0) {
		if (err.code != FB_EINVAL || err.msg[0] == '\0')
			abort();
		return;
	}
	if (e.minutes == 0 || e.minutes >> 60 || e.hours == 0 || e.hours >> 24 ||
	    (e.mdays & 1) || e.months == 0 || (e.months & 1) || e.months >> 13 ||
	    e.wdays >> 7 || (e.mdays == 0 && e.wdays == 0))
		abort();
	for (zi = 0; zi < 3; zi++) {
		int64_t t = starts[(n + zi) % 5], next = 0;

		for (i = 0; i < 4; i++) {
			if (cron_next(&e, zones[zi], t, &next, &err) < 0) {
				if (err.code != FB_ENOTFOUND)
					abort();
				break;
			}
			check_fire(&e, zones[zi], t, next);
			t = next;
		}
	}
}

static void
fuzz_tzif(const uint8_t *data, size_t size)
{
	struct fb_err err = {0};
	struct cron_expr e;
	struct tz_local loc;
	struct tz *z = tz_from_tzif("fuzz", data, size, &err);
	int64_t t, at = 0, w, next = 0;
	int i;

	if (z == NULL) {
		if (err.msg[0] == '\0')
			abort();
		return;
	}
	/* Walk the changes from 1900 on; each is later than the one before and changes the
	 * offset. */
	t = INT64_C(-2208988800);
	for (i = 0; i < 64 && tz_next_change(z, t, &at) == 1; i++) {
		struct tz_local before;

		if (at <= t || at > TZ_MAX_TIME)
			abort();
		tz_offset_at(z, at - 1, &before);
		tz_offset_at(z, at, &loc);
		if (before.utoff == loc.utoff || loc.abbr == NULL)
			abort();
		/* The wall times around the change map back to instants near it. */
		for (w = at + before.utoff - 3600; w <= at + loc.utoff + 3600; w += 1800) {
			int64_t u = 0;

			tz_wall_to_utc(z, w, &u);
			if (u < at - 200000 || u > at + 200000)
				abort();
		}
		t = at;
	}
	if (cron_parse("*/7 1-3 * * *", &e, &err) < 0)
		abort();
	t = 1711836000;
	for (i = 0; i < 4 && cron_next(&e, z, t, &next, &err) == 0; i++) {
		check_fire(&e, z, t, next);
		t = next;
	}
	tz_free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 4 && memcmp(data, "TZif", 4) == 0)
		fuzz_tzif(data, size);
	else
		fuzz_expr(data, size);
	return 0;
}
