/* SPDX-License-Identifier: MIT */
/*
 * crontab: scheduled jobs — what a crontab is, when it is due next, and its administration.
 *
 * A crontab is `once` (rule {"runtime"}) or `repeat` (rule {"cron":[..], "tz", "start",
 * "end"}, or {"every": seconds} for periods shorter than a minute, or {"every_config":
 * "batch.recover_interval_seconds"} for a system crontab whose period is a config key).
 * A run older than job.timeout seconds is marked timed_out (crontab_time_out); a failed run
 * is retried per job.retry (migration 0011).  Times in rules and answers are RFC 3339
 * ("2026-03-29T02:30:00+01:00", "...Z").  The job is {"type","args","stream","timeout",
 * "retry":{"max_attempts","backoff_seconds"}}; depends_on lists upstream crontabs (a DAG).
 * Misfire policy: run_once (default), catch_up (every missed time, at most
 * scheduler.catch_up_max), skip.  Overlap policy: forbid (default: a due time whose
 * previous run is still waiting, pending or running is recorded as skipped), allow,
 * replace (the open runs are cancelled, the new one waits for them: crontab_release).
 *
 * Validation collects every problem as a detail {"field","message"} and fails once with
 * FB_EVALIDATION (422).  System crontabs (is_system) may be re-timed, disabled and enabled
 * and have their policies changed; their name, type and job are fixed, and they are never
 * deleted (FB_ECONFLICT).  Every change writes action_log in the same transaction.
 *
 * The scheduler's clock is crontab_now(): real time, or, for tests, time running
 * scheduler.clock_speed times faster from scheduler.clock_base.  Web and runners read the
 * same keys, so both agree on it.
 *
 * Memory: JSON answers are new json-c objects the caller puts; nothing is kept between
 * calls.
 *
 * Where: crontab.c (the clock, times, rules, next due times), crontab_spec.c (the body of
 * a create or update checked), crontab_store.c (list, get, create, update, delete, enable,
 * run now), crontab_runs.c (history, misfires, statistics); firing is crontab_fire.h's.
 */
#ifndef FB_CRONTAB_H
#define FB_CRONTAB_H

#include <stdint.h>

#include "config.h"
#include "cron.h"
#include "db.h"
#include "err.h"

struct json_object;

#define CRONTAB_MAX_EXPRS 16
#define CRONTAB_MAX_NAME 200
#define CRONTAB_MAX_ARGS 16384 /* bytes of job.args as JSON */
#define CRONTAB_MAX_NEXT 100   /* most fire times one /next answer lists */
#define CRONTAB_CONTENT_MAX 4000
#define CRONTAB_MAX_DEPS 32    /* upstreams of one crontab */
#define CRONTAB_MAX_URL 2048   /* http.call url */
#define CRONTAB_MAX_HTTP_BODY 65536

/* A parsed rule. */
struct crontab_rule {
	int repeat;        /* 0: once */
	int64_t runtime;   /* once */
	int64_t start;     /* repeat: not before (0: no bound) */
	int64_t end;       /* repeat: not after (0: no bound) */
	int nexprs;
	struct cron_expr exprs[CRONTAB_MAX_EXPRS];
	int every;         /* seconds between fires, instead of exprs; 0: exprs */
	int every_recover; /* every = batch.recover_interval_seconds of the config */
	char tz[TZ_NAME_MAX + 1];
	const struct tz *zone; /* borrowed when set: used instead of loading tz */
};

/* The scheduler's clock, in seconds since 1970 (fractions included). */
double crontab_now(const struct fb_config *cfg);

/*
 * Parse rule (an object) for a crontab of the given type; problems are appended to err's
 * details with field names "rule.<member>".  Returns the number of problems found (0: out
 * is filled).  err->code is left alone: the caller decides.
 */
int crontab_rule_parse(struct json_object *rule, int repeat, const struct fb_config *cfg,
                       struct crontab_rule *out, struct fb_err *err);
/* The same from the stored JSON text (the zone is not looked up: crontab_rule_next does);
 * -1 with FB_EINVAL when it no longer parses. */
int crontab_rule_load(const char *json, int repeat, const struct fb_config *cfg,
                      struct crontab_rule *out, struct fb_err *err) FB_MUSTCHECK;
/*
 * The first due time strictly after `after` (unix seconds): 1 and *next, 0 when there is
 * none (a once crontab already fired, past the end, nothing matches), -1 on error.
 */
int crontab_rule_next(const struct crontab_rule *r, const struct fb_config *cfg, int64_t after,
                      int64_t *next, struct fb_err *err) FB_MUSTCHECK;
/* The first due time of a crontab created or re-timed at now: 1, 0 or -1 as above. */
int crontab_rule_first(const struct crontab_rule *r, const struct fb_config *cfg, double now,
                       int64_t *next, struct fb_err *err) FB_MUSTCHECK;

/*
 * 1 when url (http or https, no user info, no spaces or control bytes) starts with one of
 * the comma-separated prefixes of scheduler.http_allow; a prefix ending in a host or port
 * matches only that host and port (the URL continues with '/', '?', '#' or ends).
 */
int crontab_http_allowed(const struct fb_config *cfg, const char *url);

/* RFC 3339 text to unix seconds; -1 when malformed.  Formats a UTC instant as "...Z". */
int crontab_parse_time(const char *s, int64_t *out);
void crontab_format_time(int64_t t, char out[32]);

/* ---- administration (the /api/crontabs handlers) ---------------------------------- */

/* Filters of a list: a name keyword (NULL: any), enable (-1: any), last_state (NULL: any). */
struct crontab_filter {
	const char *keyword;
	int enable;
	const char *state;
};
/* {"items":[..],"total","page","page_size"}, newest first.  Caller puts. */
struct json_object *crontab_list(struct db *db, const struct crontab_filter *f, int64_t page,
                                 int64_t page_size, struct fb_err *err) FB_MUSTCHECK;
/* One crontab, or NULL with FB_ENOTFOUND.  Caller puts. */
struct json_object *crontab_get(struct db *db, int64_t id, struct fb_err *err) FB_MUSTCHECK;
/* Create from a request body; *id receives the new id. */
int crontab_create(struct db *db, const struct fb_config *cfg, int64_t actor,
                   struct json_object *body, int64_t *id, struct fb_err *err) FB_MUSTCHECK;
/* Change the members the body names (the rest stays). */
int crontab_update(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
                   struct json_object *body, struct fb_err *err) FB_MUSTCHECK;
int crontab_delete(struct db *db, int64_t actor, int64_t id, struct fb_err *err) FB_MUSTCHECK;
int crontab_set_enable(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
                       int enable, struct fb_err *err) FB_MUSTCHECK;
/* A run now, outside the rule: a pending history row the leader publishes; *hid its id. */
int crontab_run_now(struct db *db, const struct fb_config *cfg, int64_t actor, int64_t id,
                    int64_t *hid, struct fb_err *err) FB_MUSTCHECK;
/* History rows, newest first, paged like crontab_list.  Caller puts. */
struct json_object *crontab_history(struct db *db, int64_t id, int64_t page, int64_t page_size,
                                    struct fb_err *err) FB_MUSTCHECK;
/* The next count fire times after now: {"timezone","items":[{"at","local"}]}.  Caller puts. */
struct json_object *crontab_next_times(struct db *db, const struct fb_config *cfg, int64_t id,
                                       int count, struct fb_err *err) FB_MUSTCHECK;

/* The same for an unsaved expression in zone tz (NULL: scheduler.timezone): 422 with the
 * details {"field":"expr"|"tz","message"} (the message says the cron field and position). */
struct json_object *crontab_next_expr(const struct fb_config *cfg, const char *expr,
                                      const char *tz, int count, struct fb_err *err) FB_MUSTCHECK;

#define CRONTAB_MISFIRE_COUNT_MAX 10000 /* missed times counted per crontab */
#define CRONTAB_MISFIRE_BUDGET 100000   /* ... and per request; then up to catch_up_max + 1 */
/*
 * Enabled crontabs whose next due time passed more than scheduler.misfire_grace_seconds ago
 * (no scheduler fired them): {"items":[{"id","name","misfire","first_missed","missed",
 * "missed_capped","will_run","action"}],"total"}: what the next leader will do.  At most
 * 1000 crontabs; missed is counted up to CRONTAB_MISFIRE_COUNT_MAX, and past
 * CRONTAB_MISFIRE_BUDGET counted times in the request only up to catch_up_max + 1
 * (missed_capped says when a count stopped short).  user 0:
 * every crontab, else only the crontabs user created.  Caller puts.
 */
struct json_object *crontab_misfires(struct db *db, const struct fb_config *cfg, int64_t user,
                                     struct fb_err *err) FB_MUSTCHECK;
/*
 * History rows per status per day (UTC, by creation) over the last days days, today
 * included: {"days","items":[{"day","counts":{status: n}}],"totals"}.  user as above.
 */
struct json_object *crontab_stats(struct db *db, int64_t user, int days,
                                  struct fb_err *err) FB_MUSTCHECK;

#endif
