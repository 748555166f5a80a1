/* SPDX-License-Identifier: MIT */
/*
 * work: the reads and acts that batches (batch.c) and bulk process operations
 * (process.c) offer alike — a user's list, one of theirs, its items, cancel, and the
 * answer to a retry.  Each takes the model's function and answers as the handlers do
 * (0 after answering, or -1 with err); everything lives in the request's arena.
 */
#ifndef FB_WORK_H
#define FB_WORK_H

#include <stdint.h>

#include "msg.h"
#include "request.h"
#include "user.h"

struct json_object;
struct queue;

/* A user's work, one page: ?status, ?page, ?page_size. */
typedef int (*work_list_fn)(struct db *db, const struct user_rec *u, const char *status,
                            int64_t page, int64_t page_size, struct json_object **out,
                            struct fb_err *err);
int work_list(struct request *r, work_list_fn list, struct fb_err *err) FB_MUSTCHECK;

/* One of the user's work, the id in the path. */
typedef int (*work_get_fn)(struct db *db, const struct user_rec *u, int64_t id,
                           struct json_object **out, struct fb_err *err);
int work_get(struct request *r, work_get_fn get, struct fb_err *err) FB_MUSTCHECK;

/* The items of one of the user's work, one page: ?status, ?page, ?page_size. */
typedef int (*work_items_fn)(struct db *db, const struct user_rec *u, int64_t id,
                             const char *status, int64_t page, int64_t page_size,
                             enum msg_lang lang, struct json_object **out, struct fb_err *err);
int work_items(struct request *r, work_items_fn items, struct fb_err *err) FB_MUSTCHECK;

/*
 * Cancel one of the user's work (the id in the path), publish a taskcenter.push, answer
 * 202 {ID_FIELD: id, "cancelled": n}.
 */
typedef int (*work_act_fn)(struct db *db, const struct user_rec *u, int64_t id, int *n,
                           struct fb_err *err);
int work_cancel(struct request *r, work_act_fn cancel, const char *id_field,
                struct fb_err *err) FB_MUSTCHECK;

/*
 * After a retry made n items of work id pending again: when n > 0, publish (a failure is
 * logged: the recovery scan resumes the work), then answer 202 {ID_FIELD: id, "retrying": n}.
 */
typedef int (*work_publish_fn)(struct queue *q, int64_t id, struct fb_err *err);
int work_retried(struct request *r, const char *id_field, int64_t id, int n,
                 work_publish_fn publish);

#endif
