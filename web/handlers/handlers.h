/* SPDX-License-Identifier: MIT */
/*
 * handlers: one file per resource.  A handler parses and authorizes, calls the model,
 * and answers; it never writes SQL.  Each returns 0 after answering, or -1 with err for
 * the server to answer and log.
 */
#ifndef FB_HANDLERS_H
#define FB_HANDLERS_H

#include "request.h"

struct task_filter;

/* health.c */
int handle_healthz(struct request *r, struct fb_err *err);
/* auth.c */
int handle_auth_verify(struct request *r, struct fb_err *err);
int handle_auth_login(struct request *r, struct fb_err *err);
int handle_auth_logout(struct request *r, struct fb_err *err);
/* me.c */
int handle_me(struct request *r, struct fb_err *err);

/* tasks.c */
int handle_batch_nodes(struct request *r, struct fb_err *err);
int handle_batch_tasks(struct request *r, struct fb_err *err);

/* nodes.c */
int handle_batch_node_form(struct request *r, struct fb_err *err);

/* template.c */
int handle_batch_template(struct request *r, struct fb_err *err);

/*
 * tasks.c: the listing's selection parameters (node_id, keyword, dept_id, task_ids,
 * f.<field>) into f, shared by the listing and the template download.
 */
int tasks_filter_from_query(struct request *r, struct task_filter *f,
                            struct fb_err *err) FB_MUSTCHECK;
/*
 * batch.c: publish a batch just created (or created by the earlier request with the same
 * Idempotency-Key), log it as what, give the answer recorded for it: 201 {batch_id,total}.
 */
struct batch_created;
int batch_respond_created(struct request *r, const struct batch_created *made, const char *what);
/*
 * batch.c: the request's Idempotency-Key header into *key (borrowed; NULL when absent);
 * -1 with FB_EINVAL when it is malformed.
 */
int batch_idem_key(struct request *r, const char **key, struct fb_err *err) FB_MUSTCHECK;
/* batch.c */
int handle_batch_submit(struct request *r, struct fb_err *err);
int handle_batch_list(struct request *r, struct fb_err *err);
int handle_batch_get(struct request *r, struct fb_err *err);
int handle_batch_details(struct request *r, struct fb_err *err);
int handle_batch_retry(struct request *r, struct fb_err *err);
int handle_batch_cancel(struct request *r, struct fb_err *err);

/* import.c */
int handle_batch_import(struct request *r, struct fb_err *err);
int handle_batch_errors(struct request *r, struct fb_err *err);

/* crontab.c */
int handle_crontab_list(struct request *r, struct fb_err *err);
int handle_crontab_create(struct request *r, struct fb_err *err);
int handle_crontab_get(struct request *r, struct fb_err *err);
int handle_crontab_update(struct request *r, struct fb_err *err);
int handle_crontab_delete(struct request *r, struct fb_err *err);
int handle_crontab_enable(struct request *r, struct fb_err *err);
int handle_crontab_disable(struct request *r, struct fb_err *err);
int handle_crontab_run(struct request *r, struct fb_err *err);
int handle_crontab_history(struct request *r, struct fb_err *err);
int handle_crontab_next(struct request *r, struct fb_err *err);
#endif
