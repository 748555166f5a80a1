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
int handle_me_notices(struct request *r, struct fb_err *err);
int handle_me_notices_ack(struct request *r, struct fb_err *err);

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
/* params.c: the id in the path (the router guarantees digits). */
int64_t handler_path_id(struct request *r);
/*
 * batch.c: after a commit that may have written task-center rows (a batch or operation
 * cancelled), publish a taskcenter.push; a failure is logged (the retry round publishes
 * one for rows still queued).
 */
void handler_publish_push(struct request *r);
/* params.c: ?page (from 1, default 1) and ?page_size (1..500, default 50). */
int handler_paging(struct request *r, int64_t *page, int64_t *size,
                   struct fb_err *err) FB_MUSTCHECK;
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

/* metrics.c: GET /metrics, and the web's own series. */
struct metrics;
int handle_metrics(struct request *r, struct fb_err *err);
/* Make the web's families appear from the start. */
void metrics_web_declare(struct metrics *m);
/* One answered request: route pattern (NULL: none matched), method, status, seconds, and
 * the error code it ended with (FB_EDB / FB_EREDIS count as dependency errors). */
void metrics_web_request(struct metrics *m, const char *route, const char *method, int status,
                         double seconds, enum fb_code code);

/* dashboard.c */
int handle_dashboard(struct request *r, struct fb_err *err);

/* alerts.c */
int handle_alerts_list(struct request *r, struct fb_err *err);

/* ops.c */
struct queue_stats;
/* The streams of st as the API shows them (a new array). */
struct json_object *ops_streams_json(const struct queue_stats *st, unsigned paused);
int handle_runners_list(struct request *r, struct fb_err *err);
int handle_queue_stats(struct request *r, struct fb_err *err);
int handle_queue_consumers_get(struct request *r, struct fb_err *err);
int handle_queue_consumers_put(struct request *r, struct fb_err *err);
int handle_queue_pause(struct request *r, struct fb_err *err);
int handle_queue_resume(struct request *r, struct fb_err *err);
int handle_queue_dead_list(struct request *r, struct fb_err *err);
int handle_queue_dead_retry_all(struct request *r, struct fb_err *err);
int handle_queue_dead_retry(struct request *r, struct fb_err *err);
int handle_queue_dead_drop_all(struct request *r, struct fb_err *err);
int handle_queue_dead_drop(struct request *r, struct fb_err *err);

/* process.c */
int handle_process_sessions(struct request *r, struct fb_err *err);
int handle_process_bulk_submit(struct request *r, struct fb_err *err);
int handle_process_bulk_list(struct request *r, struct fb_err *err);
int handle_process_bulk_get(struct request *r, struct fb_err *err);
int handle_process_bulk_items(struct request *r, struct fb_err *err);
int handle_process_bulk_cancel(struct request *r, struct fb_err *err);
int handle_process_bulk_retry(struct request *r, struct fb_err *err);
int handle_process_backups(struct request *r, struct fb_err *err);
int handle_process_restore(struct request *r, struct fb_err *err);

/* taskcenter.c */
int handle_taskcenter_config_get(struct request *r, struct fb_err *err);
int handle_taskcenter_config_put(struct request *r, struct fb_err *err);
int handle_taskcenter_logs(struct request *r, struct fb_err *err);
int handle_taskcenter_log_retry(struct request *r, struct fb_err *err);
int handle_taskcenter_logs_retry(struct request *r, struct fb_err *err);
int handle_taskcenter_platforms(struct request *r, struct fb_err *err);
int handle_taskcenter_platform_get(struct request *r, struct fb_err *err);
int handle_taskcenter_platform_create(struct request *r, struct fb_err *err);
int handle_taskcenter_platform_put(struct request *r, struct fb_err *err);
int handle_taskcenter_platform_delete(struct request *r, struct fb_err *err);
int handle_taskcenter_platform_test(struct request *r, struct fb_err *err);
int handle_taskcenter_status(struct request *r, struct fb_err *err);

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
int handle_crontab_next_expr(struct request *r, struct fb_err *err);
int handle_crontab_misfires(struct request *r, struct fb_err *err);
int handle_crontab_stats(struct request *r, struct fb_err *err);
#endif
