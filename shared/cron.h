/* SPDX-License-Identifier: MIT */
/*
 * cron: 5-field cron expressions as cronie reads them, and their next fire times in a time
 * zone.
 *
 *   struct cron_expr e;
 *   if (cron_parse("30 2 * * MON-FRI", &e, &err) < 0) ...      (err says field and position)
 *   if (cron_next(&e, zone, now, &t, &err) < 0) ...             (t: the next fire, UTC)
 *
 * Syntax: minute hour day-of-month month day-of-week, separated by blanks; each field a
 * comma list of `*`, `N` and `N-M`, where `*` and `N-M` may take a step `/S`; month names
 * JAN-DEC and weekday names SUN-SAT in any case; weekday 0 and 7 are Sunday, and a weekday
 * range may end at 0/SUN (`FRI-SUN`).  `@yearly`, `@annually`, `@monthly`, `@weekly`,
 * `@daily`, `@midnight` and `@hourly` stand alone.  Refused: a step after a single number
 * (`5/15`; cronie refuses it too; `5-59/15` says it), a range that runs backwards (cronie
 * matches nothing), a step larger than the field, `@reboot` (no time to compute).
 * Day of month and day of week: when either field starts with `*` a day must match both
 * (so `*` leaves the other field alone); otherwise a day matching either one matches.
 *
 * Next times: the next wall-clock minute of the zone that matches, strictly after an
 * instant.  A wall time skipped by a clock set forward fires once, at the instant the gap
 * ends; one repeated by a clock set back fires once, at its first occurrence.  The search
 * is bounded by CRON_HORIZON_YEARS.  No allocation; struct cron_expr is a plain value.
 */
#ifndef FB_CRON_H
#define FB_CRON_H

#include <stdint.h>

#include "err.h"
#include "tz.h"

#define CRON_MAX_LEN 256
#define CRON_HORIZON_YEARS 50

/* Instants cron_next accepts: the horizon stays inside the calendar tz.h handles. */
#define CRON_MIN_TIME (TZ_MIN_TIME + 2 * 86400)
#define CRON_MAX_TIME INT64_C(251288006399) /* 9932-12-31T23:59:59Z */

enum {
	CRON_DOM_STAR = 1, /* the day-of-month field starts with '*' */
	CRON_DOW_STAR = 2, /* the day-of-week field starts with '*' */
};

struct cron_expr {
	uint64_t minutes; /* bit n: minute n, 0-59 */
	uint32_t hours;   /* bit n: hour n, 0-23 */
	uint32_t mdays;   /* bit n: day of month n, 1-31 */
	uint16_t months;  /* bit n: month n, 1-12 */
	uint8_t wdays;    /* bit n: weekday n, 0-6, Sunday 0 */
	uint8_t flags;    /* CRON_DOM_STAR, CRON_DOW_STAR */
};

/* Parse text (at most CRON_MAX_LEN bytes) into *out; FB_EINVAL with a message naming the
 * field, the 1-based byte position and what was expected. */
int cron_parse(const char *text, struct cron_expr *out, struct fb_err *err) FB_MUSTCHECK;
/* Whether a local date and minute matches (c->wday must be right). */
int cron_matches(const struct cron_expr *e, const struct tz_civil *c);
/* The next fire time strictly after `after` (both UTC seconds) in zone z.  -1 with
 * FB_EINVAL when after is outside CRON_MIN_TIME..CRON_MAX_TIME, FB_ENOTFOUND when nothing
 * matches within CRON_HORIZON_YEARS. */
int cron_next(const struct cron_expr *e, const struct tz *z, int64_t after, int64_t *next,
              struct fb_err *err) FB_MUSTCHECK;

#endif
