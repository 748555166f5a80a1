/* SPDX-License-Identifier: MIT */
/*
 * node: one step of an app version as the batch engine needs it — its form schema and
 * view parsed, and its neighbours (the node an approval moves to, the node a rejection
 * goes back to).
 *
 * A struct node_info owns its parsed schema and view; free it with node_free().
 */
#ifndef FB_NODE_H
#define FB_NODE_H

#include <stdint.h>

#include "db.h"
#include "err.h"

struct json_object;
struct schema;
struct view;

struct node_ref {
	int64_t id; /* 0: none (the end of the process) */
	char name[256];
	int choose; /* assignee_rule 'choose' */
	int64_t assignee_id; /* for 'fixed'; 0 when not configured */
};

struct node_info {
	int64_t id;
	int64_t app_version_id;
	int64_t app_id;
	char app_name[256];
	char name[256];
	int seq;
	int choose;
	int64_t assignee_id;
	struct schema *schema;
	struct view *view;
	struct node_ref next;
	struct node_ref prev;
};

/*
 * Load node id.  Returns a node the caller frees with node_free(), or NULL with err:
 * FB_ENOTFOUND when there is no such node, FB_EINTERNAL when its schema or view is broken.
 */
struct node_info *node_load(struct db *db, int64_t id, struct fb_err *err) FB_MUSTCHECK;
void node_free(struct node_info *n);

/* A node's form alone: its app version's schema and its view, parsed. */
struct node_form {
	struct schema *schema; /* owned; NULL when not loaded */
	struct view *view;     /* owned; borrows schema */
};

/*
 * Load and parse node id's form (one query: no names, no neighbours).  0 with *form
 * filled (release it with node_form_release), or -1 with *form empty and err as
 * node_load: FB_ENOTFOUND, FB_EINTERNAL when the schema or view is broken.
 */
int node_form_load(struct db *db, int64_t id, struct node_form *form,
                   struct fb_err *err) FB_MUSTCHECK;
/* Free what form holds and empty it; an empty form is fine. */
void node_form_release(struct node_form *form);

/*
 * The node's form as the batch console builds its inputs from it: {"node_id",
 * "node_name","app_id","app_name","app_version_id","next":{"id","name","choose"}|null,
 * "prev":..,"fields":[{"key","label","type", by type "max_length" | "min","max",
 * "decimals" (the effective bounds) | "options" | "depends_on","options_by_parent" |
 * "max_rows","columns", and "visible","writable","required","searchable"}]} in schema
 * order.  A new object (caller puts); n is borrowed.
 */
struct json_object *node_form_json(const struct node_info *n);

#endif
