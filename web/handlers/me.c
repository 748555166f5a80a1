/* SPDX-License-Identifier: MIT */
/*
 * me: GET /api/me — the user nginx authenticated, as flowbatch knows them.
 */
#include <json-c/json.h>

#include "handlers.h"
#include "jsonh.h"

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
