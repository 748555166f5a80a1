/* SPDX-License-Identifier: MIT */
/*
 * crontab: the /api/crontabs resource (admins only, by route) — list, create, read,
 * update, delete, enable/disable, run now, history, next fire times (of a crontab or of an
 * unsaved expression); misfires and statistics for any user, in their scope (admins:
 * every crontab; others: the crontabs they created).
 *
 * Handlers bound the request and call shared/crontab.c, which validates (422 with every
 * problem), writes action_log and wakes the scheduler.  Answers are built by the model.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "crontab.h"
#include "handlers.h"
#include "jsonh.h"

/* A history or list page: only page and page_size. */
static int
paging(struct request *r, int64_t *page, int64_t *size, struct fb_err *err)
{
	static const char *const known[] = {"page", "page_size", NULL};

	if (request_check_params(r, known, NULL, err) < 0)
		return -1;
	return handler_paging(r, page, size, err);
}

/* Answer with the crontab id as it is now. */
static int
respond_crontab(struct request *r, struct db *db, int status, int64_t id, struct fb_err *err)
{
	struct json_object *o = crontab_get(db, id, err);

	if (o == NULL)
		return -1;
	respond_json(r, status, o);
	return 0;
}

int
handle_crontab_list(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"page", "page_size", "keyword", "enable", "last_state",
	                                    NULL};
	static const char *const states[] = {"pending", "running", "success", "failed", "skipped",
	                                     "timed_out", "waiting", "cancelled", NULL};
	struct crontab_filter f = {.enable = -1};
	const char *en;
	struct json_object *out;
	struct db *db;
	int64_t page, size;
	int i;

	if (request_check_params(r, known, NULL, err) < 0 || handler_paging(r, &page, &size, err) < 0)
		return -1;
	f.keyword = request_param(r, "keyword");
	if (f.keyword != NULL && (f.keyword[0] == '\0' || strlen(f.keyword) > 200))
		f.keyword = NULL;
	if ((en = request_param(r, "enable")) != NULL && en[0] != '\0') {
		if (strcmp(en, "true") != 0 && strcmp(en, "false") != 0) {
			fb_err_msg(err, FB_EINVAL, "crontab.enable_param", NULL);
			return -1;
		}
		f.enable = strcmp(en, "true") == 0;
	}
	if ((f.state = request_param(r, "last_state")) != NULL && f.state[0] == '\0')
		f.state = NULL;
	for (i = 0; f.state != NULL && states[i] != NULL && strcmp(states[i], f.state) != 0; i++)
		;
	if (f.state != NULL && states[i] == NULL) {
		fb_err_msg(err, FB_EINVAL, "crontab.last_state", NULL);
		return -1;
	}
	if ((db = request_db(r, err)) == NULL)
		return -1;
	if ((out = crontab_list(db, &f, page, size, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_crontab_create(struct request *r, struct fb_err *err)
{
	struct json_object *body;
	struct db *db;
	int64_t id;

	if ((body = request_json(r, err)) == NULL || (db = request_db(r, err)) == NULL)
		return -1;
	if (crontab_create(db, r->cfg, r->user->id, body, &id, err) < 0)
		return -1;
	return respond_crontab(r, db, 201, id, err);
}

int
handle_crontab_get(struct request *r, struct fb_err *err)
{
	struct db *db;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	return respond_crontab(r, db, 200, handler_path_id(r), err);
}

int
handle_crontab_update(struct request *r, struct fb_err *err)
{
	struct json_object *body;
	struct db *db;

	if ((body = request_json(r, err)) == NULL || (db = request_db(r, err)) == NULL)
		return -1;
	if (crontab_update(db, r->cfg, r->user->id, handler_path_id(r), body, err) < 0)
		return -1;
	return respond_crontab(r, db, 200, handler_path_id(r), err);
}

int
handle_crontab_delete(struct request *r, struct fb_err *err)
{
	struct json_object *o;
	struct db *db;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (crontab_delete(db, r->user->id, handler_path_id(r), err) < 0)
		return -1;
	o = json_object_new_object();
	jsonh_add_int(o, "deleted", handler_path_id(r));
	respond_json(r, 200, o);
	return 0;
}

static int
set_enable(struct request *r, int on, struct fb_err *err)
{
	struct db *db;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (crontab_set_enable(db, r->cfg, r->user->id, handler_path_id(r), on, err) < 0)
		return -1;
	return respond_crontab(r, db, 200, handler_path_id(r), err);
}

int
handle_crontab_enable(struct request *r, struct fb_err *err)
{
	return set_enable(r, 1, err);
}

int
handle_crontab_disable(struct request *r, struct fb_err *err)
{
	return set_enable(r, 0, err);
}

int
handle_crontab_run(struct request *r, struct fb_err *err)
{
	struct json_object *o;
	struct db *db;
	int64_t hid;

	if ((db = request_db(r, err)) == NULL)
		return -1;
	if (crontab_run_now(db, r->cfg, r->user->id, handler_path_id(r), &hid, err) < 0)
		return -1;
	o = json_object_new_object();
	jsonh_add_int(o, "history_id", hid);
	respond_json(r, 202, o);
	return 0;
}

int
handle_crontab_history(struct request *r, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;
	int64_t page, size;

	if (paging(r, &page, &size, err) < 0 || (db = request_db(r, err)) == NULL)
		return -1;
	if ((out = crontab_history(db, handler_path_id(r), page, size, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_crontab_next(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"count", NULL};
	struct json_object *out;
	struct db *db;
	int64_t count;

	if (request_check_params(r, known, NULL, err) < 0 ||
	    request_param_int(r, "count", 1, CRONTAB_MAX_NEXT, 10, &count, err) < 0 ||
	    (db = request_db(r, err)) == NULL)
		return -1;
	if ((out = crontab_next_times(db, r->cfg, handler_path_id(r), (int)count, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_crontab_next_expr(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"expr", "tz", "count", NULL};
	struct json_object *out;
	int64_t count;

	if (request_check_params(r, known, NULL, err) < 0 ||
	    request_param_int(r, "count", 1, CRONTAB_MAX_NEXT, 10, &count, err) < 0)
		return -1;
	if ((out = crontab_next_expr(r->cfg, request_param(r, "expr"), request_param(r, "tz"),
	                             (int)count, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

/* Admins see every crontab; anybody else the crontabs they created. */
static int64_t
scope(const struct request *r)
{
	return r->user->is_admin ? 0 : r->user->id;
}

int
handle_crontab_misfires(struct request *r, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;

	if (request_check_params(r, (const char *const[]){NULL}, NULL, err) < 0 ||
	    (db = request_db(r, err)) == NULL)
		return -1;
	if ((out = crontab_misfires(db, r->cfg, scope(r), err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_crontab_stats(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"days", NULL};
	struct json_object *out;
	struct db *db;
	int64_t days;

	if (request_check_params(r, known, NULL, err) < 0 ||
	    request_param_int(r, "days", 1, 366, 7, &days, err) < 0 ||
	    (db = request_db(r, err)) == NULL)
		return -1;
	if ((out = crontab_stats(db, scope(r), (int)days, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}
