/* SPDX-License-Identifier: MIT */
/*
 * crontab_int: what the crontab files (crontab.c, crontab_spec.c, crontab_store.c,
 * crontab_runs.c) share among themselves; other modules use crontab.h.
 *
 * Problems: a check records each problem of a request as a detail {"field", code, params}
 * of err and fails once at the end (crontab_invalid), so that one answer lists them all.
 */
#ifndef FB_CRONTAB_INT_H
#define FB_CRONTAB_INT_H

#include <stdint.h>

#include "crontab.h"
#include "db.h"
#include "err.h"
#include "mem.h"

struct json_object;

/* ---- problems (crontab.c) --------------------------------------------------------------- */

/* Record a problem of field: msg.c's code with params (stolen, may be NULL). */
void crontab_problem(struct fb_err *err, const char *field, const char *code,
                     struct json_object *params);
/* Record what e says (its code and params) as a problem of field. */
void crontab_problem_of(struct fb_err *err, const char *field, const struct fb_err *e);
/* Fail with FB_EVALIDATION counting the problems recorded in err. */
void crontab_invalid(struct fb_err *err);
/* params {"max": max}; new object. */
struct json_object *crontab_max_arg(int64_t max);
/* params {"list": the strings of list}; new object. */
struct json_object *crontab_list_arg(const char *const *list);
/* 1 when s is one of the NULL-terminated list. */
int crontab_one_of(const char *s, const char *const *list);

/* ---- the body of a create or update (crontab_spec.c) ------------------------------------ */

/* Borrowed from the body and the stored crontab it was read from. */
struct crontab_spec {
	const char *name;
	const char *type;     /* once, repeat */
	struct json_object *rule;
	struct json_object *job;
	const char *misfire;
	const char *overlap;
	const char *remark;
	int enable;           /* -1: not given */
	struct crontab_rule parsed;
	int ndeps;
	int64_t deps[CRONTAB_MAX_DEPS];
};

/*
 * Read a body into s.  cur (may be NULL) is the stored crontab for an update: members the
 * body leaves out keep its values.  Fails with FB_EVALIDATION listing every problem.
 */
int crontab_spec_read(struct json_object *body, struct json_object *cur,
                      const struct fb_config *cfg, struct crontab_spec *s,
                      struct fb_err *err) FB_MUSTCHECK;
/*
 * In the writing transaction: the upstreams of s (deps, crontab_spec_deps's literal) exist,
 * and (for an update of id; 0 when creating) none of them reaches id through depends_on:
 * FB_EVALIDATION naming the cycle otherwise.  Writers of depends_on take one advisory
 * lock, so that two updates cannot close a cycle together.
 */
int crontab_spec_check_deps(struct db *db, int64_t id, const struct crontab_spec *s,
                            const char *deps, struct fb_err *err) FB_MUSTCHECK;
/* "{1,2}": the upstreams of s as a PostgreSQL array literal, appended to b. */
void crontab_spec_deps(const struct crontab_spec *s, struct buf *b);
/* The stored form of job (borrowed): with "args" ({} when absent); a reference the caller puts. */
struct json_object *crontab_spec_job(struct json_object *job);

/* ---- rows (crontab_store.c) ------------------------------------------------------------- */

/* Column col of res (unix seconds, or NULL) as an RFC 3339 string (or null) under key. */
void crontab_add_time(struct json_object *o, const char *key, const PGresult *res, int row,
                      int col);
/* Column col of res as a string (or null) under key. */
void crontab_add_text(struct json_object *o, const char *key, const PGresult *res, int row,
                      int col);

#endif
