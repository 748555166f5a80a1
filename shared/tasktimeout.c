/* SPDX-License-Identifier: MIT */
/*
 * tasktimeout: one chunk of due tasks timed out in one transaction (see tasktimeout.h).
 *
 * The due tasks are found over tasks_due_idx and locked FOR UPDATE SKIP LOCKED, so that
 * an approval or a process operation that holds a task is not waited for (the task is
 * looked at again by the next run) and two runs never time out the same task.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "tasklock.h"
#include "taskcenter.h"
#include "tasktimeout.h"

struct chunk {
	int max;
	long long n;
};

static int
chunk_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct chunk *c = arg;
	char max[16];
	char *ids = NULL;
	int64_t *list = NULL;
	size_t n = 0, i;
	PGresult *res;
	int rc = -1;

	c->n = 0;
	snprintf(max, sizeof(max), "%d", c->max);
	res = db_query(db, "tasktimeout_due",
	               "SELECT t.id FROM tasks t JOIN app_sessions s ON s.id = t.session_id"
	               " WHERE t.state = 'pending' AND t.due_at IS NOT NULL AND t.due_at <= now()"
	               " AND s.state = 'running' ORDER BY t.due_at LIMIT $1::int"
	               " FOR UPDATE OF t SKIP LOCKED",
	               1, (const char *[]){max}, err);
	if (res == NULL)
		return -1;
	db_id_list(res, &list, &n);
	PQclear(res);
	if (n == 0) {
		rc = 0;
		goto out;
	}
	ids = db_id_array(list, n);
	if (tasklock_release_tasks(db, ids, NULL, err) < 0)
		goto out;
	if (db_exec(db, "tasktimeout_mark",
	            "WITH t AS (UPDATE tasks SET state = 'timed_out', finished = now(),"
	            "  due_paused = NULL WHERE id = ANY ($1::bigint[]) AND state = 'pending'"
	            "  RETURNING id, session_id, node_id, due_at)"
	            " INSERT INTO task_history (task_id, session_id, node_id, action, comment)"
	            " SELECT id, session_id, node_id, 'timeout', 'due at ' || due_at FROM t",
	            1, (const char *[]){ids}, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (taskcenter_task_event(db, list[i], "timeout", err) < 0)
			goto out;
	c->n = (long long)n;
	rc = 0;
out:
	free(ids);
	free(list);
	return rc;
}

int
tasktimeout_chunk(struct db *db, int max, long long *n, struct fb_err *err)
{
	struct chunk c = {max, 0};

	*n = 0;
	if (db_tx(db, chunk_tx, &c, err) < 0)
		return -1;
	*n = c.n;
	return 0;
}
