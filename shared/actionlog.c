/* SPDX-License-Identifier: MIT */
/*
 * actionlog: one INSERT into action_log per administrative action.  Owns nothing.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "actionlog.h"
#include "db.h"

int
actionlog_add(struct db *db, int64_t actor, const char *action, const char *target_type,
              const char *target_id, struct json_object *detail, struct fb_err *err)
{
	char who[24];
	const char *params[5] = {who, action, target_type, target_id,
	                         detail != NULL ? json_object_to_json_string_ext(
	                                              detail, JSON_C_TO_STRING_PLAIN |
	                                                          JSON_C_TO_STRING_NOSLASHESCAPE)
	                                        : NULL};

	db_id(who, actor);
	return db_exec(db, "actionlog_add",
	               "INSERT INTO action_log (actor, action, target_type, target_id, detail)"
	               " VALUES ($1, $2, $3, $4, $5::jsonb)",
	               5, params, err);
}
