/* SPDX-License-Identifier: MIT */
/*
 * health: GET /healthz — can this process reach PostgreSQL and Redis right now?
 * No identity needed: {"status":"ok"|"unavailable","postgresql":"ok"|"not ok",
 * "redis":"ok"|"not ok"}, 200 or 503.  Why a dependency is down (hosts, users, libpq and
 * hiredis messages) goes to the log only: the answer is public.
 */
#include <json-c/json.h>

#include "db.h"
#include "handlers.h"
#include "jsonh.h"
#include "log.h"
#include "queue.h"

/* One dependency's state into body; its error, if any, to the log.  1 when it is ok. */
static int
report(struct request *r, struct json_object *body, const char *name, int ok,
       struct fb_err *e)
{
	jsonh_add_str(body, name, ok ? "ok" : "not ok");
	if (!ok)
		log_warn("health check failed", "request_id", LOG_STR(r->request_id), "dependency",
		         LOG_STR(name), "error", LOG_STR(e->msg), NULL);
	fb_err_clear(e);
	return ok;
}

int
handle_healthz(struct request *r, struct fb_err *err)
{
	struct json_object *body = json_object_new_object();
	struct fb_err e = {0};
	struct db *db;
	struct queue *q;
	int ok;

	(void)err;
	db = request_db(r, &e);
	ok = report(r, body, "postgresql",
	            db != NULL && db_exec(db, "health", "SELECT 1", 0, NULL, &e) == 0, &e);
	q = request_queue(r, &e);
	ok &= report(r, body, "redis", q != NULL && queue_ping(q, &e) == 0, &e);
	jsonh_add_str(body, "status", ok ? "ok" : "unavailable");
	respond_json(r, ok ? 200 : 503, body);
	return 0;
}
