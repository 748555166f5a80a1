/* SPDX-License-Identifier: MIT */
/*
 * task: a user's pending tasks — which nodes they wait at, the filtered and paged list the
 * batch console shows, and the ids a filter selects (what a batch submitted with a filter
 * instead of task ids acts on).
 *
 * A struct task_filter is what the query string of GET /api/batch/tasks and the "filter"
 * object of a batch submission both become.  It owns its strings and arrays (malloc'ed)
 * and is released with task_filter_free().  Every query is scoped to one assignee's pending
 * tasks and takes all values as parameters.
 */
#ifndef FB_TASK_H
#define FB_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

struct json_object;

#define TASK_KEYWORD_MAX 100   /* characters */
#define TASK_IDS_MAX 1000
#define TASK_FIELDS_MAX 32     /* field conditions in one filter */
#define TASK_FIELD_VALUE_MAX 1000 /* bytes of one field condition's value */
#define TASK_PAGE_MAX 1000000
#define TASK_PAGE_SIZE_MAX 500
#define TASK_PAGE_SIZE_DEFAULT 50

/* One "field equals value" condition on the session's form data. */
struct task_field_cond {
	char *key;     /* the form field key */
	char *value;   /* the value as text: a string, or a JSON/decimal number */
	char *param;   /* how the request named it ("f.amount", "filter.fields.amount") */
	int is_number; /* the value came as a JSON number */
};

struct task_filter {
	int64_t node_id;    /* 0: any node */
	char *keyword;      /* NULL: none; substring of the title or the creator's name */
	int64_t dept_id;    /* 0: any; else the creator's department or one below it */
	int64_t *task_ids;  /* NULL: any; else only these (at most TASK_IDS_MAX) */
	size_t ntask_ids;
	struct task_field_cond *fields; /* need node_id; keys the node's view marks searchable */
	size_t nfields;
};

void task_filter_init(struct task_filter *f);
void task_filter_free(struct task_filter *f);

/*
 * Setters that validate; param names the input in errors (FB_EINVAL, with a detail whose
 * "field" is param).  Strings are copied.
 *
 * keyword: at most TASK_KEYWORD_MAX characters of UTF-8; surrounding spaces are trimmed
 * and an empty keyword clears the condition.
 */
int task_filter_set_keyword(struct task_filter *f, const char *param, const char *keyword,
                            struct fb_err *err) FB_MUSTCHECK;
/* ids: "1,2,3" — positive ids separated by commas, at most TASK_IDS_MAX. */
int task_filter_set_ids_csv(struct task_filter *f, const char *param, const char *csv,
                            struct fb_err *err) FB_MUSTCHECK;
/* One more field condition (the same key twice is an error). */
int task_filter_add_field(struct task_filter *f, const char *param, const char *key,
                          const char *value, int is_number, struct fb_err *err) FB_MUSTCHECK;
/*
 * The JSON form: {"node_id":N,"keyword":"..","dept_id":N,"fields":{"key":"value"|number}},
 * every member optional, no others.  Fills f (initialised by the caller) and names members
 * as "<name>.<member>" in errors.
 */
int task_filter_from_json(struct task_filter *f, const char *name, struct json_object *obj,
                          struct fb_err *err) FB_MUSTCHECK;

/*
 * The nodes where user_id has pending tasks: a new object
 * {"items":[{"node_id","node_name","app_id","app_name","app_version_id","app_version",
 * "count"}],"total":N} (caller puts it), ordered by app name, version and node sequence.
 */
struct json_object *task_list_nodes(struct db *db, int64_t user_id, struct fb_err *err) FB_MUSTCHECK;
/*
 * 1 when user_id has a pending task at node_id, 0 when not (whether or not the node
 * exists), -1 with err.
 */
int task_node_has_pending(struct db *db, int64_t user_id, int64_t node_id,
                          struct fb_err *err) FB_MUSTCHECK;

/*
 * One page (from 1) of user_id's pending tasks matching f, ordered by (created, id): a new
 * object {"items":[..],"total":N,"page":P,"page_size":S[,"labels":{key:label}]} (caller
 * puts it).  Each item: task_id, session_id, title, session_state, creator {login,name},
 * creator_dept {id,name}, created, node_id, node_name, locked, lock_kind and fields (the
 * values of the fields the task's node marks visible, null when unset).  labels maps the
 * visible fields of f->node_id to their labels, when f names a node.  The node and the
 * field conditions are checked (FB_EINVAL naming the parameter) only when user_id has
 * pending tasks there: elsewhere, and for a node that does not exist, the page is empty.
 */
struct json_object *task_list(struct db *db, int64_t user_id, const struct task_filter *f,
                              int64_t page, int64_t page_size, struct fb_err *err) FB_MUSTCHECK;

/*
 * The ids of user_id's pending tasks matching f, in (created, id) order (none at a node
 * where user_id has no pending task, whatever the conditions).  More than max
 * matches is FB_ETOOBIG.  *ids is malloc'ed (caller frees; NULL when *n is 0).
 */
int task_filter_ids(struct db *db, int64_t user_id, const struct task_filter *f, size_t max,
                    int64_t **ids, size_t *n, struct fb_err *err) FB_MUSTCHECK;

#endif
