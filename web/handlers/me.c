/* SPDX-License-Identifier: MIT */
/*
 * me: GET /api/me — the user nginx authenticated, as flowbatch knows them; and the
 * caller's "ended since your last visit" notice:
 *
 *   GET  /api/me/notices   batches and bulk operations of the caller finished or
 *                          cancelled since the last acknowledgement (shared/notice.h)
 *   POST /api/me/notices   {"until": <the list's until>} (or {}: now) acknowledges them
 */
#include <json-c/json.h>

#include "handlers.h"
#include "jsonh.h"
#include "notice.h"

int
handle_me(struct request *r, struct fb_err *err)
{
	struct json_object *body = json_object_new_object();
	const struct user_rec *u = r->user;

	(void)err;
	jsonh_add_int(body, "id", u->id);
	jsonh_add_str(body, "login", u->login);
	jsonh_add_str(body, "name", u->name);
	if (u->dept_id > 0)
		jsonh_add_int(body, "dept_id", u->dept_id);
	else
		jsonh_add_null(body, "dept_id");
	jsonh_add_str(body, "dept_name", u->dept_name);
	jsonh_add_bool(body, "is_admin", u->is_admin);
	respond_json(r, 200, body);
	return 0;
}

int
handle_me_notices(struct request *r, struct fb_err *err)
{
	struct json_object *out;
	struct db *db;

	if ((db = request_db(r, err)) == NULL || (out = notice_list(db, r->user->id, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}

int
handle_me_notices_ack(struct request *r, struct fb_err *err)
{
	static const char *const allowed[] = {"until", NULL};
	struct json_object *body, *out;
	const char *until = NULL;
	struct db *db;

	if ((body = request_json(r, err)) == NULL)
		return -1;
	if (!json_object_is_type(body, json_type_object)) {
		fb_err_msg(err, FB_EINVAL, "request.body_object", NULL);
		return -1;
	}
	if (jsonh_only_keys(body, allowed, err) < 0 || jsonh_get_str(body, "until", &until, err) < 0 ||
	    (db = request_db(r, err)) == NULL || notice_ack(db, r->user->id, until, err) < 0)
		return -1;
	if ((out = notice_list(db, r->user->id, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}
