/* SPDX-License-Identifier: MIT */
/*
 * alert: rules that watch the service, and the alerts they raise (table alert, 0012).
 *
 * A rule looks at one source and names the subjects it fires for right now; applying that
 * set (one statement per rule) raises an alert for a subject newly seen, moves last_seen of
 * one still seen and resolves the open alerts of the rule no longer seen.  At most one open
 * alert per (rule, subject).  A rule whose source cannot be read is skipped: its open alerts
 * stay as they are until it can be read again.
 *
 *   rule                subject                     source, threshold (config [alerts])
 *   batch_stalled       batch:<id>, bulk_op:<id>    not settled, no progress for batch_stalled_seconds
 *   batch_failure_rate  batch:<id>                  failed / (success + failed) over
 *                                                   batch_failure_percent, after batch_failure_min_items
 *   queue_oldest_entry  <prefix>:jobs:<stream>      oldest entry older than queue_oldest_seconds
 *   no_live_runner      <prefix>:runners            no live runner for no_runner_seconds
 *   runner_memory       <prefix>:runner:<host:pid>  a live runner's RSS over runner_rss_limit_mb
 *   push_failures       platform:<id>               push_failures failures within push_failures_minutes
 *   crontab_failing     crontab:<id>                its last crontab_failures settled runs failed
 *
 * Subjects read from Redis carry the Redis key prefix, so that an evaluation resolves only
 * the alerts of the prefix it looked at.  The job alert.evaluate (every minute, a system
 * crontab) applies every rule but no_live_runner, which a runner cannot see: flowbatch-web
 * evaluates that one (alert_evaluate_runners) every alerts.watch_seconds.
 *
 * JSON handed out is owned by the caller (json_object_put).
 */
#ifndef FB_ALERT_H
#define FB_ALERT_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "mem.h"
#include "msg.h"
#include "queue.h"

struct json_object;

enum alert_rule {
	ALERT_BATCH_STALLED,
	ALERT_BATCH_FAILURE_RATE,
	ALERT_QUEUE_OLDEST_ENTRY,
	ALERT_NO_LIVE_RUNNER,
	ALERT_RUNNER_MEMORY,
	ALERT_PUSH_FAILURES,
	ALERT_CRONTAB_FAILING,
	ALERT_NRULES
};

/* The rule's name ("batch_stalled", ...); a static string. */
const char *alert_rule_name(enum alert_rule rule);
/* True when the rule is not listed in alerts.disabled. */
int alert_rule_enabled(const struct fb_config *cfg, enum alert_rule rule);
/* Append one line per problem of the [alerts] settings to errs (config.c). */
void alert_config_check(const struct fb_config *cfg, struct buf *errs);

/* Calls fn for every comma-separated item of list, trimmed of blanks; empty items skipped. */
void alert_each_item(const char *list, void (*fn)(const char *item, size_t len, void *arg),
                     void *arg);
/* SQL text of timestamp column col as RFC 3339 UTC ("2026-12-04T23:59:00Z"). */
#define ALERT_SQL_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* What an evaluation did. */
struct alert_counts {
	int raised, kept, resolved;
	int failed; /* rules skipped because their source failed */
};

/*
 * Apply every rule of the runner's evaluation (all but no_live_runner) at once, then delete
 * up to a thousand resolved alerts past alerts.history_days.  Each rule is one transaction.  Returns 0, or -1 with err of the first rule that failed after trying
 * every other one.
 */
int alert_evaluate(struct db *db, struct queue *q, const struct fb_config *cfg,
                   struct alert_counts *out, struct fb_err *err) FB_MUSTCHECK;
/*
 * no_live_runner: the Redis key <prefix>:alerts:no_runner_since holds when this prefix was
 * first seen without a live runner (set once, deleted as soon as one lives); the alert is
 * raised once that is alerts.no_runner_seconds old.
 */
int alert_evaluate_runners(struct db *db, struct queue *q, const struct fb_config *cfg,
                           struct alert_counts *out, struct fb_err *err) FB_MUSTCHECK;

/* Open alerts per rule, from the partial index alert_open_key. */
int alert_firing(struct db *db, long long counts[ALERT_NRULES], struct fb_err *err) FB_MUSTCHECK;

/*
 * GET /api/alerts: open alerts first (newest last_seen first), then resolved ones (newest
 * first); a page envelope {"items","total","page","page_size"}; state "open", "resolved"
 * or NULL (both).  Each message is said in lang (msg.c's alert.<rule>, named by
 * "message_code", from the stored params; a row whose rule has no message keeps its
 * stored text and a null message_code).  Caller frees.
 */
struct json_object *alert_list(struct db *db, const char *state, int64_t page, int64_t page_size,
                               enum msg_lang lang, struct fb_err *err) FB_MUSTCHECK;
/*
 * The dashboard's: open alerts and those resolved in the last 24 hours, at most max, in the
 * same order: [{id, rule, subject, severity, message, first_seen, last_seen, resolved_at}],
 * the messages said in lang as alert_list says them.
 */
struct json_object *alert_recent(struct db *db, int max, enum msg_lang lang,
                                 struct fb_err *err) FB_MUSTCHECK;

#endif
