/* SPDX-License-Identifier: MIT */
/*
 * nodes: GET /api/batch/nodes/{id}/form — one node's form as the batch console builds its
 * filters and inputs from it: every field of the app version's schema with its type and
 * bounds, and what the node's view lets this step see, search, write and must have, plus
 * the neighbouring nodes (whether approving needs a chosen assignee).  The node is loaded
 * by the node model and freed here; the answer is built by node_form_json().
 */
#include <stdlib.h>
#include <json-c/json.h>

#include "handlers.h"
#include "node.h"

int
handle_batch_node_form(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {NULL};
	struct node_info *n;
	struct db *db;
	int64_t id;

	if (request_check_params(r, known, NULL, err) < 0)
		return -1;
	/* The router matched {id} to 1..18 digits without a leading zero. */
	id = strtoll(r->path_args[0], NULL, 10);
	if ((db = request_db(r, err)) == NULL)
		return -1;
	if ((n = node_load(db, id, err)) == NULL)
		return -1;
	respond_json(r, 200, node_form_json(n));
	node_free(n);
	return 0;
}
