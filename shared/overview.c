/* SPDX-License-Identifier: MIT */
/*
 * overview: cheap counts (see overview.h).  Owns nothing.
 */
#include <string.h>

#include "overview.h"

int
overview_active_batches(struct db *db, struct overview_batches *out, struct fb_err *err)
{
	PGresult *res;
	int i;

	memset(out, 0, sizeof(*out));
	/* The predicate is the partial index's own, so the planner may use it. */
	res = db_query(db, "overview_active_batches",
	               "SELECT status, count(*) FROM batch_task"
	               " WHERE status NOT IN ('finished', 'cancelled') GROUP BY status",
	               0, NULL, err);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		if (strcmp(db_val(res, i, 0), "init") == 0)
			out->init = db_ll(res, i, 1);
		else if (strcmp(db_val(res, i, 0), "running") == 0)
			out->running = db_ll(res, i, 1);
	}
	PQclear(res);
	return 0;
}
