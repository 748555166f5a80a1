/* SPDX-License-Identifier: MIT */
/*
 * seed_int: what the seeder's two files share; other modules use seed.h.
 *
 * seed_data.c says what the demo data is — the department tree, the apps with their nodes,
 * names, form data and each session's plan — as pure functions of the seed and an index.
 * seed.c loads it: the few organisation rows upserted, the many session, task and history
 * rows sent with pgcopy.  Everything random comes from seed_data.c, so the same seed on an
 * empty database gives the same rows whichever way the loader sends them.
 */
#ifndef FB_SEED_INT_H
#define FB_SEED_INT_H

#include <stddef.h>
#include <time.h>

#include "mem.h"
#include "seed.h"

#define SEED_MAX_NODES 4
#define SEED_NDEPTS 16
#define SEED_NAPPS 3
#define SEED_DEPT_FINANCE 1 /* index in seed_depts */

/* ---- the organisation and the apps (static tables) ------------------------------------- */

struct seed_dept {
	const char *name;
	int parent; /* index in seed_depts, -1 for the root */
	int leaf;   /* users are placed in leaves */
};

struct seed_node {
	const char *name;
	const char *rule;     /* fixed | choose */
	const char *assignee; /* login for fixed nodes */
	const char *view;
};

struct seed_app {
	const char *name;
	const char *schema;
	int weight; /* share of sessions, percent */
	int nnodes;
	struct seed_node nodes[SEED_MAX_NODES];
};

extern const struct seed_dept seed_depts[]; /* SEED_NDEPTS of them */
extern const struct seed_app seed_apps[];   /* SEED_NAPPS of them */

/* The department (a leaf's index in seed_depts) of the i-th generated user. */
int seed_user_dept(unsigned seed, long i);

/* ---- sessions ----------------------------------------------------------------------------- */

/*
 * Everything about one session that more than one COPY pass needs.  People are indexes in
 * the loader's user pool: 0 is demo, then u00001 … in order.
 */
struct seed_plan {
	int app;
	int seq;      /* current node, from 1 */
	int creator;  /* pool index */
	int assignee; /* pool index of the pending task's assignee */
	int actors[SEED_MAX_NODES - 1];
	int suspended, locked;
	time_t at[SEED_MAX_NODES]; /* at[0] created; at[j] node j+1 reached */
};

/* The plan of session k for a pool of npool people, times relative to day0. */
void seed_plan(unsigned seed, long long k, int npool, time_t day0, struct seed_plan *p);
/* The comments of the n nodes session k has passed, in order (static strings). */
void seed_plan_comments(unsigned seed, long long k, int n, const char **out);
/*
 * The form_data of session k (an app's form) appended to b, its people chosen among
 * logins (nlogins >= 1, borrowed), dates relative to day0; a short summary for the title
 * into summary (n bytes).
 */
void seed_form(int app, unsigned seed, long long k, const char *const *logins, int nlogins,
               time_t day0, struct buf *b, char *summary, size_t n);
/* Midnight UTC of today. */
time_t seed_today(void);

#endif
