/* SPDX-License-Identifier: MIT */
/*
 * user: who a login is — the model behind identity.  Reads only.
 */
#ifndef FB_USER_H
#define FB_USER_H

#include <stdint.h>
#include "db.h"
#include "err.h"

struct user_rec {
	int64_t id;
	char login[129];
	char name[256];
	int64_t dept_id;
	char dept_name[256];
	int is_admin;
};

/* 1 found (rec filled), 0 no such user, -1 error. */
int user_find(struct db *db, const char *login, struct user_rec *rec, struct fb_err *err) FB_MUSTCHECK;
/*
 * 1 when login is a user, 0 when not, -1 error; db is the struct db *.  The shape of the
 * user_exists callback of form validation (schema.h: struct schema_env).
 */
int user_exists(void *db, const char *login, struct fb_err *err) FB_MUSTCHECK;

#endif
