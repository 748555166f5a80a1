#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reference vectors for shared/cron.c from croniter (Debian's python3-croniter).

    /usr/bin/python3 tests/cron/gen_vectors.py > tests/cron/vectors.txt.new
    mv tests/cron/vectors.txt.new tests/cron/vectors.txt

Writes the croniter section of tests/cron/vectors.txt: for each case the next 50 fire
times as croniter computes them, one line per case:

    zone|start|expression|time time ...

start is an instant (UTC, "Z"); each time is ISO 8601 with the zone's UTC offset at that
instant.  Everything from the line HAND_MARKER on in the existing vectors.txt is kept as it
is (the hand-checked section, see its comment).

croniter's own handling of DST is not the rule of shared/cron.h (it returns wall times that
do not exist, or fires a day's time twice around a change), and its iteration has a few
calendar bugs, so each case is also computed independently: a day-by-day walk over
croniter's parse of the fields with cronie's day-of-month/day-of-week rule, mapped to
instants by the rule (a skipped wall time fires at the end of the gap, a repeated one at
its first occurrence, never twice).  A case is written only when both agree; the others are
listed as comments, and what they test is covered by hand-checked vectors instead.
"""
import sys
from importlib import metadata
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytz
from croniter import croniter

COUNT = 50
HAND_MARKER = "# ==== hand-checked"
VECTORS = __file__.rsplit("/", 1)[0] + "/vectors.txt"

# Expressions, by what they exercise.  Each runs in UTC from START_UTC and in one more zone
# (rotating); the DST group runs from every DST start.
BASIC = [
    "* * * * *", "*/5 * * * *", "*/7 * * * *", "*/13 * * * *", "0 * * * *", "30 * * * *",
    "59 * * * *", "0,30 * * * *", "15,45 * * * *", "1-5 * * * *", "10-20/3 * * * *",
    "0-59/10 * * * *", "5-59/15 * * * *", "*/15 9-17 * * *", "0 */2 * * *", "0 */3 * * *",
    "0 */5 * * *", "0 */23 * * *", "0 1-23/2 * * *", "0 9-17 * * *", "30 8,12,18 * * *",
    "0 0 * * *", "59 23 * * *", "0 12 * * *", "15 14 * * *", "45 4 * * *", "*/45 * * * *",
    "0-4,30-34 * * * *", "7,8,9 10,11 * * *", "00 06 * * *", "0 0-6/3,12,18-22/2 * * *",
    "*/59 * * * *", "58-59 23 * * *", "0 0,23 * * *", "1,2,3,5,8,13,21,34,55 * * * *",
    "*/1 */1 * * *", "0 */12 * * *", "20 4-8 * * *", "0-10/5 6-7 * * *", "3 3 * * *",
]
MONTH_DAYS = [
    "0 0 1 * *", "0 0 15 * *", "0 0 31 * *", "0 0 30 * *", "0 0 29 * *", "0 0 28 * *",
    "0 12 1,15 * *", "0 0 1-7 * *", "0 0 28-31 * *", "0 0 */2 * *", "0 0 */10 * *",
    "0 0 1-31/7 * *", "0 6 5,10,15,20,25,30 * *", "0 0 31 1,3,5,7,8,10,12 *",
    "0 0 30 4,6,9,11 *", "0 0 31 */2 *", "30 23 31 * *", "0 0 1,31 * *", "59 23 28-31 * *",
    "0 0 */31 * *", "0 8 10-20/5 * *", "0 0 2-30/4 * *", "45 11 16 * *", "0 0 3 * *",
]
MONTHS = [
    "0 0 1 1 *", "0 0 1 */3 *", "0 0 1 1-6 *", "0 0 15 JAN,APR,JUL,OCT *",
    "0 0 1 jan-mar *", "0 0 1 Feb *", "0 0 * DEC *", "0 0 * 2 *", "0 0 1 */2 *",
    "0 0 1 2-11/3 *", "0 9 1 MAR-MAY,SEP-NOV *", "0 0 10 jun *", "0 0 1 12 *",
    "0 0 1 dec,JAN *", "0 0 5 AuG *", "0 0 1 1,7 *", "0 0 15 Oct-Dec *", "0 0 * 6-8 *",
    "30 5 * nov *", "0 0 1 1-12/4 *",
]
LEAP = [
    "0 0 29 2 *", "0 12 29 FEB *", "30 6 28,29 2 *", "0 0 29 2 MON", "0 0 28 2 *",
    "0 0 1 3 *", "59 23 29 2 *", "0 0 27-29 feb *", "0 0 */29 2 *", "0 0 29 2,3 *",
]
WEEKDAYS = [
    "0 0 * * 0", "0 0 * * 7", "0 0 * * 1-5", "0 0 * * MON-FRI", "0 9 * * mon,wed,fri",
    "0 0 * * SAT,SUN", "0 0 * * sat-sun", "0 0 * * 5-0", "0 0 * * */2", "0 0 * * 1-7/2",
    "0 0 * * Tue", "0 0 * * tHu", "30 17 * * 5", "0 8 * * 1", "0 0 * * 6", "0 0 * * 0,7",
    "*/30 9-17 * * 1-5", "0 0 * * mon-wed,fri", "15 10 * * 2-4", "0 0 * * FRI-SUN",
    "0 6 * * 1-5/2", "0 0 * * 0-3", "0 0 * 1 MON", "0 12 * 2 sun", "0 0 * * 4-7",
]
DOM_DOW_OR = [
    "0 0 1,15 * 1", "0 0 13 * 5", "0 0 1 * MON", "0 12 10-15 * SUN", "0 0 31 * 0",
    "0 0 1-7 * 1", "0 0 29 * FRI", "0 0 1 1 0", "0 0 15 * 6,0", "0 9 1 * 1-5",
    "0 0 31 12 5", "0 0 30 * 2", "0 0 25 12 1-5", "0 0 1-3 * sat", "0 0 20-31/2 * wed",
    "0 0 1 */3 1", "0 0 13 * FRI", "0 18 28 2 6",
]
STAR_DAYS = [
    # One day field starts with '*': a day must match both (cronie's DOM_STAR/DOW_STAR).
    "0 0 * * 1", "0 0 1 * *", "0 0 * 3 0", "0 0 15 * *", "0 0 * * 1-5",
]
ALIASES = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]
COMBOS = [
    "*/10 9-17 * * 1-5", "0 8-18/2 * * MON-FRI", "15 */4 1,15 * *", "0 0,12 1 */2 *",
    "5 4 * * sun", "23 0-20/2 * * *", "0 22 * * 1-5", "0 9 1-7 * 1", "*/20 6-9 * 1-6 *",
    "0 0 1,15 1,4,7,10 *", "45 23 * * 5", "0 4 8-14 * *", "0 */6 * * SAT", "10 2 * * *",
    "0 0 1 1-3 MON", "30 1 1 * *", "0 12 * jul-aug mon-fri", "0 0 5 5 5",
    "1 1 1 1 1", "59 23 31 12 *", "0 0 1 6 *", "0 3 15 * 3", "*/5 0 1 1 *", "0 0 2 1 *",
]
VARIOUS = [
    "*/2 * * * *", "*/3 * * * *", "*/6 * * * *", "*/10 * * * *", "*/20 9 * * *",
    "*/25 * * * *", "*/30 * * * *", "0 */4 * * *", "0 */6 * * *", "0 */8 * * *",
    "30 */2 * * *", "0 6,18 * * *", "0 0 */3 * *", "0 0 */5 * *", "0 0 */7 * *",
    "0 0 10,20,30 * *", "0 0 * * 1,3,5", "0 0 * * 2,4,6", "0 0 * */2 *", "0 12 * */3 *",
    "0 0 1 4,8,12 *", "0 0 31 3,5 *", "0 0 30 1-12 *", "0 0 2 2 2", "0 23 * * 0",
    "0 0 6 * 6", "30 3 15 2 *", "0 0 1-15/2 * 0", "15 8 * 9-12 MON-FRI",
]
DST = [
    "30 2 * * *", "0 2 * * *", "*/15 * * * *", "*/30 1-3 * * *", "0 * * * *", "0 3 * * *",
    "59 1 * * *", "0 1 * * *", "30 1 * * *", "*/20 * * * *", "0 0 * * *", "45 2 * * SUN",
    "0 2 * 3 0", "0 2 31 3 *", "30 2 27 10 *", "15 2,3 * * *", "0 1-4 * * *", "0 4 * * *",
]

GROUPS = [BASIC, MONTH_DAYS, MONTHS, LEAP, WEEKDAYS, DOM_DOW_OR, STAR_DAYS, ALIASES, COMBOS,
          VARIOUS, DST]

UTC_STARTS = ["2024-02-27T10:17:31Z", "2023-12-31T23:59:00Z", "2027-06-30T12:00:00Z"]
# Each a few hours before a change of offset; the 2041/2045 ones are past the transition
# tables of "fat" TZif files and use their footer rule.
DST_STARTS = [
    ("Europe/Berlin", "2024-03-30T22:00:00Z"), ("Europe/Berlin", "2024-10-26T21:30:00Z"),
    ("Europe/Berlin", "2041-03-30T12:00:00Z"), ("Europe/Berlin", "2045-10-28T22:00:00Z"),
    ("America/New_York", "2024-03-09T12:00:00Z"), ("America/New_York", "2024-11-02T12:00:00Z"),
    ("America/New_York", "2042-03-08T20:00:00Z"), ("America/New_York", "2041-11-02T23:59:59Z"),
]
OTHER_STARTS = [
    ("Asia/Shanghai", "2024-01-01T00:00:00Z"), ("Europe/Berlin", "2024-03-31T00:30:00Z"),
    ("America/New_York", "2024-11-03T05:30:00Z"), ("Asia/Shanghai", "2025-12-31T15:59:59Z"),
    ("Europe/Berlin", "2024-10-27T00:59:00Z"), ("America/New_York", "2024-03-10T06:59:00Z"),
]


def parse_z(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def iso(dt):
    return dt.isoformat()


def croniter_times(expr, zone, start, backend):
    # With pytz zones croniter keeps the offset right across days, but pytz has no DST
    # after 2037 (it ignores the TZif footer); with zoneinfo zones it has the footer but
    # keeps the offset of the start across a change.  Both are tried.
    tz = pytz.timezone(zone) if backend == "pytz" else ZoneInfo(zone)
    it = croniter(expr, start.astimezone(tz))
    return [it.get_next(datetime) for _ in range(COUNT)]


ALIAS_FIELDS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                "@hourly": "0 * * * *"}


def walk(expr, wall):
    """Matching wall-clock minutes after wall, day by day: croniter's parse of each field
    (its `expanded` sets), cronie's day rule, and no croniter iteration."""
    full = [range(60), range(24), range(1, 32), range(1, 13), range(7)]
    sets = []
    for i, values in enumerate(croniter(expr).expanded):
        sets.append(set(full[i]) if values == ["*"] else {v % 7 if i == 4 else v
                                                           for v in values})
    text = ALIAS_FIELDS.get(expr, expr).split()
    both = text[2].startswith("*") or text[4].startswith("*")
    day = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    end = day + timedelta(days=366 * 450)
    while day < end:
        dom, dow = day.day in sets[2], (day.weekday() + 1) % 7 in sets[4]
        if day.month in sets[3] and ((dom and dow) if both else (dom or dow)):
            for h in sorted(sets[1]):
                for m in sorted(sets[0]):
                    w = day.replace(hour=h, minute=m)
                    if w > wall:
                        yield w
        day += timedelta(days=1)
    raise ValueError("no match within 450 years")


def by_rule(expr, zone, start):
    """The minutes of walk() mapped to instants by the cron.h rule."""
    tz = ZoneInfo(zone)
    wall = start.astimezone(tz).replace(tzinfo=None)
    out = []
    for w in walk(expr, wall):
        if len(out) == COUNT:
            break
        t = w.replace(tzinfo=tz, fold=0)
        if t.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != w:
            # Skipped: the first instant whose wall clock is past w ends the gap.
            u = w.replace(tzinfo=tz, fold=1).astimezone(timezone.utc)
            while u.astimezone(tz).replace(tzinfo=None) < w:
                u += timedelta(minutes=1)
            t = u
        t = t.astimezone(timezone.utc)
        if t > start and not (out and t <= out[-1]):
            out.append(t)
    return [t.astimezone(tz) for t in out]


def same(a, b):
    return [(x.timestamp(), x.utcoffset()) for x in a] == \
        [(y.timestamp(), y.utcoffset()) for y in b]


def cases():
    n = 0
    for group in GROUPS:
        for expr in group:
            yield "UTC", UTC_STARTS[n % len(UTC_STARTS)], expr
            if group is DST:
                for zone, start in DST_STARTS:
                    yield zone, start, expr
            else:
                zone, start = (DST_STARTS + OTHER_STARTS)[n % (len(DST_STARTS) +
                                                               len(OTHER_STARTS))]
                yield zone, start, expr
            n += 1


def main():
    try:
        with open(VECTORS) as f:
            text = f.read()
        hand = text[text.index(HAND_MARKER):]
    except (OSError, ValueError):
        hand = HAND_MARKER + "\n"
    exprs = {e for g in GROUPS for e in g}
    lines, differ = [], []
    for zone, start, expr in cases():
        s = parse_z(start)
        ours = by_rule(expr, zone, s)
        first = None
        for backend in ("pytz", "zoneinfo"):
            try:
                theirs = croniter_times(expr, zone, s, backend)
            except Exception as ex:  # croniter gives up on some DST walks
                theirs = None
                first = first or (backend, ex)
                continue
            if same(ours, theirs):
                break
            first = first or (backend, theirs)
        else:
            backend, theirs = first
            if not isinstance(theirs, list):
                differ.append(f"# {zone}|{start}|{expr}: croniter ({backend}) failed: "
                              f"{theirs}")
                continue
            i = next(i for i in range(COUNT) if not same([ours[i]], [theirs[i]]))
            differ.append(f"# {zone}|{start}|{expr}: fire {i + 1}: croniter ({backend}) "
                          f"{iso(theirs[i])}, rule {iso(ours[i])}")
            continue
        lines.append(f"{zone}|{start}|{expr}|" + " ".join(iso(t) for t in theirs))
    covered = {line.split("|")[2] for line in lines}
    out = sys.stdout
    out.write("# Reference vectors for shared/cron.c, written by tests/cron/gen_vectors.py from\n"
              f"# python3-croniter {metadata.version('croniter')}"
              f" (do not edit above the hand-checked marker).\n"
              f"# {len(exprs)} expressions, {len(covered)} of them with cases here; "
              f"{len(lines)} cases of {COUNT} fire times.\n"
              "# zone|start (UTC)|expression|next fire times (ISO 8601 with the zone's offset)\n")
    for line in lines:
        out.write(line + "\n")
    out.write(f"# {len(differ)} cases where croniter differs from the independent walk "
              "(not used; see the hand-checked section):\n")
    for line in differ:
        out.write(line + "\n")
    out.write(hand)
    print(f"{len(exprs)} expressions ({len(covered)} with cases), {len(lines)} cases, "
          f"{len(differ)} differ",
          file=sys.stderr)


if __name__ == "__main__":
    main()
