/* SPDX-License-Identifier: MIT */
/*
 * procop: bulk process operations — suspend, resume, stop, finish, delete and
 * archive_delete many process instances (sessions) at once, built the way batches are.
 *
 * Submission validates everything (every problem in one FB_EVALIDATION), then writes the
 * operation, one pending proc_log row per session, its idempotency key and its action_log
 * row in one transaction.  Executors (the runner's process.bulk jobs, procexec.h) claim
 * chunks of pending rows (FOR UPDATE SKIP LOCKED), lock the sessions, re-check the
 * creator's permission and each session's state, apply the operation, and commit the
 * chunk with the rows made final, the counter deltas (process_bulk_counter) and the
 * heartbeat together: a final row is never touched again, so that every redelivery is
 * harmless and each session changes at most once per operation.
 *
 *   operation       allowed from          effect
 *   suspend         running               suspended; task timeouts pause
 *   resume          suspended             running; task timeouts run again
 *   stop            running, suspended    stopped, outcome stopped; pending tasks cancelled
 *   finish          running, suspended    finished, outcome finished_by_admin; tasks cancelled
 *   delete          all but deleted       backup, then deleted (hidden everywhere: its
 *                                         pending tasks are cancelled; the backup keeps them)
 *   archive_delete  finished, stopped     backup, then row, tasks and history removed
 *
 * Who may operate on a session: an admin, or a monitor of its app (app_monitors).  A
 * session the caller may not operate on is refused exactly like one that does not exist.
 * An operation is visible to its creator only.
 *
 * JSON objects returned through out parameters are new (caller puts them); inputs are
 * borrowed.
 */
#ifndef FB_PROCOP_H
#define FB_PROCOP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "msg.h"
#include "idem.h"
#include "user.h"

struct json_object;
struct queue;

#define PROCOP_MAX_COMMENT 2000 /* characters */
#define PROCOP_MAX_KEYWORD 200  /* characters */

/* Which sessions: every field optional (0 / NULL: any). */
struct procop_filter {
	int64_t app_id;
	int64_t app_version;      /* the version number within the app */
	const char *state;        /* running, suspended, stopped or finished */
	const char *creator;      /* a login */
	int64_t dept_id;          /* the creator's department, or one below it */
	const char *created_from; /* timestamps, inclusive lower bound */
	const char *created_to;   /* exclusive upper bound */
	int64_t node_id;          /* the current node */
	const char *keyword;      /* in the title */
	const int64_t *session_ids;
	size_t nsession_ids;
};

/* 0 when state is a state a filter may name, else -1 with FB_EINVAL. */
int procop_filter_check(const struct procop_filter *f, struct fb_err *err) FB_MUSTCHECK;

/*
 * The sessions u may operate on that match f (deleted ones never), newest id first:
 * {"items":[..],"total","page","page_size"}.
 */
int procop_sessions(struct db *db, const struct user_rec *u, const struct procop_filter *f,
                    int64_t page, int64_t page_size, struct json_object **out,
                    struct fb_err *err) FB_MUSTCHECK;

struct procop_spec {
	const char *operation;
	const int64_t *session_ids;     /* either these ... */
	size_t nsession_ids;
	const struct procop_filter *filter; /* ... or all that match this */
	const char *comment;            /* may be NULL */
	const char *idem_key;           /* the Idempotency-Key and fingerprint; NULL without */
	const char *idem_request;
};

struct procop_created {
	int64_t op_id;
	int total;
	int replayed;
	struct idem_answer answer; /* 201 {"op_id","total"} */
};

/*
 * Validate spec for u and create the operation (see the top of this file).  Every problem
 * is a detail of one FB_EVALIDATION; more than batch.max_tasks sessions is FB_ETOOBIG.  With
 * an Idempotency-Key used before for the same request, *out is the earlier answer.  The
 * caller then publishes process.bulk (procop_publish).
 */
int procop_submit(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
                  const struct procop_spec *spec, struct procop_created *out,
                  struct fb_err *err) FB_MUSTCHECK;
/* The earlier answer to u's key: 1 (replayed), 0 none, -1 (key used for another request). */
int procop_replay(struct db *db, const struct user_rec *u, const char *key,
                  const char *fingerprint, struct procop_created *out,
                  struct fb_err *err) FB_MUSTCHECK;

/* One of u's operations: counts, progress, ETA; FB_ENOTFOUND for anyone else's. */
int procop_status(struct db *db, const struct user_rec *u, int64_t id, struct json_object **out,
                  struct fb_err *err) FB_MUSTCHECK;
/* u's operations, newest first; status may be NULL. */
int procop_list(struct db *db, const struct user_rec *u, const char *status, int64_t page,
                int64_t page_size, struct json_object **out, struct fb_err *err) FB_MUSTCHECK;
/* Per session of one of u's operations: status, old -> new state, reason; status may be NULL. */
int procop_items(struct db *db, const struct user_rec *u, int64_t id, const char *status,
                 int64_t page, int64_t page_size, enum msg_lang lang,
                 struct json_object **out,
                 struct fb_err *err) FB_MUSTCHECK;
/*
 * Operations not yet settled (init, running), newest first, at most limit, of creator
 * (0: everyone's), as procop_status JSON in an array (caller json_object_put).
 */
int procop_active(struct db *db, int64_t creator, int limit, struct json_object **out,
                  struct fb_err *err) FB_MUSTCHECK;

/* What settled today (since midnight UTC); creator 0: everyone's. */
struct chunk_day;
int procop_today(struct db *db, int64_t creator, struct chunk_day *out,
                 struct fb_err *err) FB_MUSTCHECK;

/* Pending sessions become cancelled; *n counts them. */
int procop_cancel(struct db *db, const struct user_rec *u, int64_t id, int *n,
                  struct fb_err *err) FB_MUSTCHECK;
/* Failed sessions become pending again; *n counts them (publish process.bulk when > 0). */
int procop_retry_prepare(struct db *db, const struct user_rec *u, int64_t id, int *n,
                         struct fb_err *err) FB_MUSTCHECK;

/* What users and executors do to operations as to any chunked work (chunk.h). */
extern const struct chunk_kind procop_kind;

/* Sessions of operation id still pending. */
int procop_pending(struct db *db, int64_t id, long long *n, struct fb_err *err) FB_MUSTCHECK;
/* Publish process.bulk for operation id (high), as a helper executor when helper. */
int procop_publish(struct queue *q, int64_t id, int helper, struct fb_err *err) FB_MUSTCHECK;

/*
 * The recovery scan: operations to run again (running without a heartbeat for
 * batch.stale_minutes, init for longer than batch.init_grace_seconds).  *ids gets a
 * malloc'ed list (caller frees).
 */
int procop_recover_scan(struct db *db, const struct fb_config *cfg, int64_t **ids, size_t *n,
                        struct fb_err *err) FB_MUSTCHECK;

#endif
