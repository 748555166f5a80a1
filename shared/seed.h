/* SPDX-License-Identifier: MIT */
/*
 * seed: realistic demo data — a department tree, users with Chinese names, three apps
 * (费用报销, 采购申请, 请假申请) whose form schemas together use every field type, their
 * nodes and views, running sessions and their pending tasks.
 *
 * Running it again is safe and adds data: the organisation, users, apps, versions and nodes
 * are upserted by their natural keys (department parent+name, login, app name, app+version,
 * version+seq) and reused as they are; every run adds `tasks` new sessions, each with one
 * pending task (plus the done tasks and history of the nodes it already passed).  Everything
 * is one transaction.  The data is a function of the seed and of the ids already in the
 * database (so the same seed on an empty database gives the same rows); timestamps are
 * relative to the day of the run.
 *
 * Users: `admin` (is_admin), `demo` (receives about a fifth of all pending tasks and is the
 * fixed assignee of several nodes) and u00001 … uNNNNN.  About 1% of pending tasks are
 * locked by a person (lock_kind 'person', lock_owner = the assignee's login) and about 2%
 * of sessions are suspended.
 */
#ifndef FB_SEED_H
#define FB_SEED_H

#include <stddef.h>
#include "db.h"
#include "err.h"

struct seed_opts {
	int users;     /* u00001 … : at least 1 */
	int tasks;     /* sessions, each with one pending task; 0 = organisation and apps only */
	unsigned seed; /* same seed, same data */
};

int seed_run(struct db *db, const struct seed_opts *o, struct fb_err *err) FB_MUSTCHECK;

/* ---- pure helpers, also used by the unit tests ---- */

/* The i-th generated person name for a seed (2 or 3 Chinese characters) into out (n >= 16). */
void seed_person_name(unsigned seed, long i, char *out, size_t n);
/* The login of the i-th generated user (i from 1): u00001 … into out (n >= 16). */
void seed_login(long i, char *out, size_t n);

/* The demo apps: their number, names and form schemas (JSON text, static storage). */
int seed_app_count(void);
const char *seed_app_name(int app);
const char *seed_app_schema(int app);
/* Node count of an app and the view (JSON text, static) of its node seq (from 1). */
int seed_app_nodes(int app);
const char *seed_node_view(int app, int seq);

/*
 * The form_data the seeder writes for the i-th session of an app, choosing `user` values
 * among `logins` (nlogins >= 1, borrowed).  Caller frees the JSON text.
 */
char *seed_form_sample(int app, unsigned seed, long i, const char *const *logins, int nlogins);

#endif
