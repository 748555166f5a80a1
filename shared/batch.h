/* SPDX-License-Identifier: MIT */
/*
 * batch: what a batch is and does — submission (validate, then create the batch, its
 * details and the task locks in one transaction), the reads behind the API (status,
 * details, listing), cancel, retry, and the recovery scan.  Execution of the items is the
 * engine's (engine.h).
 *
 * A batch's counts are the submission-time counts in batch_task plus the per-slot deltas
 * in batch_counter that executors add once per chunk; success + failed + ignored +
 * cancelled + superseded + pending = total at every commit.  A failed item becomes
 * superseded when a later batch of the same user takes its task over (tasklock.h).
 *
 * JSON objects returned through out parameters are new (caller puts them); inputs are
 * borrowed.
 */
#ifndef FB_BATCH_H
#define FB_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "msg.h"
#include "idem.h"
#include "tasklock.h"
#include "user.h"

struct json_object;

#define BATCH_MAX_COMMENT 2000 /* characters */

struct batch_spec {
	int64_t node_id;
	const int64_t *task_ids;
	size_t ntasks;
	int reject;                  /* 0 approve, 1 reject */
	const char *comment;         /* may be NULL */
	struct json_object *form;    /* values for writable fields; may be NULL */
	const char *assignee;        /* next assignee login for a 'choose' node; may be NULL */
	const char *source;          /* "web" or "import" */
	int is_single;
	/*
	 * Per-task values from an import, parallel to task_ids: each item's post_data as JSON
	 * text (NULL entries are SQL NULL) and its row number; NULL for web submissions.
	 */
	const char *const *row_data;
	const int *row_no;
	/* The request's Idempotency-Key and fingerprint (idem.h); NULL without a key. */
	const char *idem_key;
	const char *idem_request;
};

/* A created batch and the answer to give for it: the first one, or, replayed, the one
 * given to the earlier request with the same Idempotency-Key. */
struct batch_created {
	int64_t batch_id;
	int total;    /* 0 when replayed */
	int replayed;
	struct idem_answer answer;
};

/*
 * Validate spec for user u and create the batch.  Everything is checked before anything
 * is written: FB_EVALIDATION with every problem in err->details, FB_ENOTFOUND for an
 * unknown node, FB_ETOOBIG past batch.max_tasks.  With an Idempotency-Key already used
 * for this request, nothing is created and *out is the earlier answer (replayed); without
 * one, the call records a key of its own, so that a transaction run again after a lost
 * COMMIT answer cannot create a second batch either.  Tasks
 * that failed items of u's earlier batches hold locked are taken over (tasklock.h).  The
 * caller then publishes batch.execute (batch_publish).
 */
int batch_submit(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
                 const struct batch_spec *spec, struct batch_created *out,
                 struct fb_err *err) FB_MUSTCHECK;

/*
 * The answer an earlier request of u with Idempotency-Key key and the same fingerprint
 * got: 1 and *out filled (replayed), 0 when there is none, -1 with FB_EVALIDATION when the
 * key was used for another request.  Lets a caller answer before redoing costly checks.
 */
int batch_replay(struct db *db, const struct user_rec *u, const char *key,
                 const char *fingerprint, struct batch_created *out,
                 struct fb_err *err) FB_MUSTCHECK;

/*
 * Validate a submission: first that every task id is one of u's tasks at the node (else
 * FB_EVALIDATION with one detail {"field":"task_ids","task_ids":[..]}, the same for an id
 * that does not exist, and nothing else checked), then the batch-wide part (node, action,
 * comment, form, assignee).  Fills err->details.
 */
int batch_validate_spec(struct db *db, const struct user_rec *u, const struct batch_spec *spec,
                        struct fb_err *err) FB_MUSTCHECK;

/* Status of one of u's batches as the API shows it; FB_ENOTFOUND for someone else's. */
int batch_status(struct db *db, const struct user_rec *u, int64_t id, struct json_object **out,
                 struct fb_err *err) FB_MUSTCHECK;
/* u's batches, newest first; status may be NULL. */
int batch_list(struct db *db, const struct user_rec *u, const char *status, int64_t page,
               int64_t page_size, struct json_object **out, struct fb_err *err) FB_MUSTCHECK;
/* Details of one of u's batches; status may be NULL. */
int batch_details(struct db *db, const struct user_rec *u, int64_t id, const char *status,
                  int64_t page, int64_t page_size, enum msg_lang lang,
                 struct json_object **out,
                  struct fb_err *err) FB_MUSTCHECK;
/*
 * Pending items become cancelled and their tasks unlocked; *n counts them.  The batch
 * retries nothing more by itself: its failed items let go of their tasks too.
 */
int batch_cancel(struct db *db, const struct user_rec *u, int64_t id, int *n,
                 struct fb_err *err) FB_MUSTCHECK;
/*
 * Failed items (all, or those of task_ids) become pending again; *n counts them.  The
 * caller publishes batch.retry when *n > 0.
 */
int batch_retry_prepare(struct db *db, const struct user_rec *u, int64_t id,
                        const int64_t *task_ids, size_t ntask_ids, int *n,
                        struct fb_err *err) FB_MUSTCHECK;

/* What users and executors do to batches as to any chunked work (chunk.h). */
extern const struct chunk_kind batch_kind;

/* Items of batch id still pending (not final). */
int batch_pending(struct db *db, int64_t id, long long *n, struct fb_err *err) FB_MUSTCHECK;

/* Publish the job that executes a batch (high for new batches, common for retries). */
struct queue;
int batch_publish(struct queue *q, const char *type, int64_t id, struct fb_err *err) FB_MUSTCHECK;

/*
 * The recovery scan: batches to run again (stale running, never started init) and failed
 * items due for an automatic retry (made pending again).  *ids gets malloc'ed batch ids
 * to publish batch.execute for, *retry_ids those to publish batch.retry for.
 */
int batch_recover_scan(struct db *db, const struct fb_config *cfg, int64_t **ids, size_t *nids,
                       int64_t **retry_ids, size_t *nretry, struct fb_err *err) FB_MUSTCHECK;

/*
 * The recovery scan's sweep of batch locks (tasklock_sweep, in one transaction per call):
 * *out lists what was released (caller frees).  Run it until *n is below max.
 */
int batch_recover_locks(struct db *db, const struct fb_config *cfg, int max,
                        struct tasklock_release **out, size_t *n,
                        struct fb_err *err) FB_MUSTCHECK;

/*
 * Batches not yet settled (init, running), newest first, at most limit, each as
 * batch_status shows it (counts, progress, eta_seconds); creator 0: everyone's.  *out is a
 * new JSON array.
 */
int batch_active(struct db *db, int64_t creator, int limit, struct json_object **out,
                 struct fb_err *err) FB_MUSTCHECK;
/* What settled today (since midnight UTC); creator 0: everyone's. */
struct chunk_day;
int batch_today(struct db *db, int64_t creator, struct chunk_day *out,
                struct fb_err *err) FB_MUSTCHECK;

/*
 * The counter rows of the batch aliased b, summed as c (success, failed, ignored,
 * cancelled, superseded; NULL when none): a batch's counts are b's columns plus these.
 */
#define BATCH_COUNTS_JOIN                                                                    \
	"LEFT JOIN LATERAL (SELECT sum(success) AS success, sum(failed) AS failed, "             \
	"sum(ignored) AS ignored, sum(cancelled) AS cancelled, sum(superseded) AS superseded "   \
	"FROM batch_counter WHERE batch_id = b.id) c ON true "

#endif
