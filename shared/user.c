/* SPDX-License-Identifier: MIT */
/*
 * user: looking up a user by login, with the department's name.  Fills the caller's
 * struct; owns nothing.
 */
#include <stdio.h>
#include <string.h>

#include "user.h"

int
user_find(struct db *db, const char *login, struct user_rec *rec, struct fb_err *err)
{
	const char *params[1] = {login};
	PGresult *res;

	res = db_query(db, "user_find",
	               "SELECT u.id, u.login, u.name, u.dept_id, coalesce(d.name, ''), u.is_admin "
	               "FROM users u LEFT JOIN departments d ON d.id = u.dept_id WHERE u.login = $1",
	               1, params, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	memset(rec, 0, sizeof(*rec));
	rec->id = db_ll(res, 0, 0);
	snprintf(rec->login, sizeof(rec->login), "%s", PQgetvalue(res, 0, 1));
	snprintf(rec->name, sizeof(rec->name), "%s", PQgetvalue(res, 0, 2));
	rec->dept_id = db_ll(res, 0, 3);
	snprintf(rec->dept_name, sizeof(rec->dept_name), "%s", PQgetvalue(res, 0, 4));
	rec->is_admin = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	PQclear(res);
	return 1;
}

int
user_exists(void *db, const char *login, struct fb_err *err)
{
	struct user_rec u;

	return user_find(db, login, &u, err);
}
