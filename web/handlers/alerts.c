/* SPDX-License-Identifier: MIT */
/*
 * alerts: GET /api/alerts — the alerts flowbatch raised (alert.h), for administrators
 * (the router checks users.is_admin): open ones first, newest last_seen first, then the
 * resolved ones, newest first; `state` (open, resolved), `page`, `page_size`.  Nothing
 * here outlives the request.
 */
#include <json-c/json.h>

#include "alert.h"
#include "handlers.h"
#include "listing.h"

int
handle_alerts_list(struct request *r, struct fb_err *err)
{
	static const char *const known[] = {"state", "page", "page_size", NULL};
	static const char *const states[] = {"open", "resolved", NULL};
	const char *state;
	struct json_object *out;
	int64_t page, size;
	struct db *db;

	if (request_check_params(r, known, NULL, err) < 0 ||
	    handler_paging(r, &page, &size, err) < 0)
		return -1;
	state = request_param(r, "state");
	if (listing_status(state, states, "alert.state", err) < 0 ||
	    (db = request_db(r, err)) == NULL ||
	    (out = alert_list(db, state, page, size, r->lang, err)) == NULL)
		return -1;
	respond_json(r, 200, out);
	return 0;
}
