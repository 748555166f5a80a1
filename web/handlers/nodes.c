/* SPDX-License-Identifier: MIT */
/*
 * nodes: GET /api/batch/nodes/{id}/form — one node's form as the batch console builds its
 * filters and inputs from it: every field of the app version's schema with its type and
 * bounds, and what the node's view lets this step see, search, write and must have, plus
 * the neighbouring nodes (whether approving needs a chosen assignee).  The node is loaded
 * by the node model and freed here; the answer is built by node_form_json().
 *
 * Only a node where the user has pending tasks answers; any other is 404 with the same
 * message as a node that does not exist, so that node ids reveal no forms.
 */
#include <stdlib.h>
#include <json-c/json.h>

#include "handlers.h"
#include "node.h"
#include "task.h"
#include "msg.h"

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
	switch (task_node_has_pending(db, r->user->id, id, err)) {
	case 1:
		break;
	case 0:
		fb_err_msg(err, FB_ENOTFOUND, "node.not_found", msg_args("id", json_object_new_int64(id), NULL));
		/* fall through */
	default:
		return -1;
	}
	if ((n = node_load(db, id, err)) == NULL)
		return -1;
	respond_json(r, 200, node_form_json(n));
	node_free(n);
	return 0;
}
