/* SPDX-License-Identifier: MIT */
/*
 * health: GET /healthz — can this process reach PostgreSQL and Redis right now?
 * No identity needed; answers 503 naming what is down.
 */
#include <json-c/json.h>

#include "db.h"
#include "handlers.h"
#include "jsonh.h"
#include "queue.h"

int
handle_healthz(struct request *r, struct fb_err *err)
{
	struct json_object *body = json_object_new_object();
	struct fb_err e = {0};
	struct db *db;
	struct queue *q;
	int ok = 1;

	(void)err;
	db = request_db(r, &e);
	if (db == NULL || db_exec(db, "health", "SELECT 1", 0, NULL, &e) < 0) {
		jsonh_add_str(body, "postgres", e.msg);
		ok = 0;
	} else {
		jsonh_add_str(body, "postgres", "ok");
	}
	fb_err_clear(&e);
	q = request_queue(r, &e);
	if (q == NULL || queue_ping(q, &e) < 0) {
		jsonh_add_str(body, "redis", e.msg);
		ok = 0;
	} else {
		jsonh_add_str(body, "redis", "ok");
	}
	fb_err_clear(&e);
	jsonh_add_str(body, "status", ok ? "ok" : "unavailable");
	respond_json(r, ok ? 200 : 503, body);
	return 0;
}
