/* SPDX-License-Identifier: MIT */
/*
 * batch_submit: creating a batch (see batch.h): the spec checked against the node's form
 * and the tasks' owner, then the batch row, its idempotency key, one detail per task and
 * the batch lock of every free task (or taken over from the user's own failed items) in
 * one transaction of a few statements, whatever the number of tasks: ids go to PostgreSQL
 * as one array parameter, an import's per-task values (post_data, row number) by COPY into
 * a temporary table of that transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "batch.h"
#include "chunk.h"
#include "taskcenter.h"
#include "jsonh.h"
#include "listing.h"
#include "mem.h"
#include "msg.h"
#include "utf8.h"
#include "node.h"
#include "pgcopy.h"
#include "queue.h"
#include "rand.h"
#include "schema.h"
#include "user.h"
#include "db.h"

/*
 * The task ids of spec that are not u's tasks at spec's node, in the order given: one 422
 * lists them all.  An id that does not exist and another user's task are the same "not
 * yours" (same code, same message, nothing about the task), so that ids reveal nothing;
 * the same goes for a node that does not exist.  A task of u's at that node that stopped
 * being pending since the listing passes here: the engine records it as ignored.
 * 0 when all are u's, -1 with FB_EVALIDATION or a db error.
 */
static int
check_task_owner(struct db *db, const struct user_rec *u, const struct batch_spec *spec,
                 struct fb_err *err)
{
	char uid[DB_ID_MAX], node[DB_ID_MAX];
	char *ids = db_id_array(spec->task_ids, spec->ntasks);
	const char *p[3] = {ids, uid, node};
	struct json_object *d, *list;
	PGresult *res;
	int i, n;

	db_id(uid, u->id);
	db_id(node, spec->node_id);
	/*
	 * One primary-key probe per id, whatever the statistics say: a scalar subquery is
	 * never turned into a join.  (As NOT EXISTS, the planner made it an anti join: with
	 * fresh statistics it hashed every task of u's at that node; with statistics not yet
	 * gathered after a bulk load it estimated one task and rescanned the whole table for
	 * every id, 25-30 s for 50,000 ids.)
	 */
	res = db_query(db, "batch_foreign_tasks",
	               "SELECT r.id FROM unnest($1::bigint[]) WITH ORDINALITY r(id, ord) "
	               "WHERE (SELECT t.assignee = $2 AND t.node_id = $3 FROM tasks t "
	               " WHERE t.id = r.id) IS NOT TRUE ORDER BY r.ord",
	               3, p, err);
	free(ids);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	if (n == 0) {
		PQclear(res);
		return 0;
	}
	list = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(list, json_object_new_int64(db_ll(res, i, 0)));
	PQclear(res);
	d = fb_err_detail_msg("task_ids", "batch.not_yours_detail", NULL);
	json_object_object_add(d, "task_ids", list);
	fb_err_msg(err, FB_EVALIDATION, "batch.not_yours", NULL);
	fb_err_detail(err, d);
	return -1;
}

int
batch_validate_spec(struct db *db, const struct user_rec *u, const struct batch_spec *spec,
                    struct fb_err *err)
{
	struct node_info *node = NULL;
	struct schema_env env = {.user_exists = user_exists, .arg = db};
	int rc = -1;

	/* Tasks first: nothing about the node or its form is said to someone without tasks. */
	if (spec->ntasks > 0 && check_task_owner(db, u, spec, err) < 0)
		return -1;
	node = node_load(db, spec->node_id, err);
	if (node == NULL)
		return -1;
	if (spec->comment != NULL && utf8_chars(spec->comment) > BATCH_MAX_COMMENT)
		fb_err_detail(err, fb_err_detail_msg("examine.comment", "batch.comment_long", NULL));
	if (spec->form != NULL) {
		struct fb_err ferr = {0};

		if (schema_check_input(node->schema, node->view, spec->form, &env, &ferr) < 0) {
			if (ferr.code == FB_EDB) {
				fb_err_set(err, FB_EDB, "%s", ferr.msg);
				fb_err_clear(&ferr);
				goto out;
			}
			if (ferr.details != NULL) {
				size_t i, n = json_object_array_length(ferr.details);

				for (i = 0; i < n; i++)
					fb_err_detail(err, json_object_get(json_object_array_get_idx(ferr.details, i)));
			} else {
				fb_err_detail(err, fb_err_to_detail("form", &ferr));
			}
		}
		fb_err_clear(&ferr);
	}
	if (!spec->reject && node->next.id != 0 && node->next.choose) {
		if (spec->assignee == NULL || spec->assignee[0] == '\0') {
			if (spec->row_data == NULL)
				fb_err_detail(err, fb_err_detail_msg("assignee.user",
				                                     "batch.assignee_required", NULL));
		} else {
			struct fb_err uerr = {0};
			int found = user_exists(db, spec->assignee, &uerr);

			fb_err_clear(&uerr);
			if (found < 0) {
				fb_err_set(err, FB_EDB, "cannot look up the assignee");
				goto out;
			}
			if (found == 0)
				fb_err_detail(err, fb_err_detail_msg("assignee.user", "batch.no_user", NULL));
		}
	}
	if (err->details != NULL) {
		fb_err_msg(err, FB_EVALIDATION, "batch.invalid", NULL);
		goto out;
	}
	rc = 0;
out:
	node_free(node);
	return rc;
}

struct submit_ctx {
	const struct fb_config *cfg;
	const struct user_rec *u;
	const struct batch_spec *spec;
	int64_t node_app_version;
	int64_t batch_id;
	int total, failed;
	int key_taken; /* the Idempotency-Key was recorded by another transaction first */
};

/* The answer to a created batch: 201 {"batch_id","total"}. */
static void
created_answer(struct idem_answer *a, int64_t batch_id, int total)
{
	struct json_object *o = json_object_new_object();

	memset(a, 0, sizeof(*a));
	jsonh_add_int(o, "batch_id", batch_id);
	jsonh_add_int(o, "total", total);
	a->status = 201;
	a->batch_id = batch_id;
	snprintf(a->body, sizeof(a->body), "%s", jsonh_str(o));
	json_object_put(o);
}

/*
 * The items of a submission, in the order given: req is (task_id, ord, post_data,
 * row_no), from the ids alone ($2) or from the rows an import copied into
 * batch_submit_rows (copy_rows) in the same transaction.
 */
#define DETAILS_FROM_IDS                                                                      \
	"WITH req AS ("                                                                       \
	"  SELECT u.id AS task_id, u.ord, NULL::jsonb AS post_data, NULL::int AS row_no"      \
	"  FROM unnest($2::bigint[]) WITH ORDINALITY u(id, ord)),"
#define DETAILS_FROM_ROWS                                                                     \
	"WITH req AS (SELECT task_id, ord, post_data, row_no FROM batch_submit_rows),"
/*
 * Lock the free tasks that are ours, pending and at this node (those taken over before
 * are ours already); record every task.  Tasks that are not ours or are locked by someone
 * else fail at once (and are never locked by us); the rest wait for the engine, which also
 * classifies the tasks that are no longer pending.  Both sides of the statement see the
 * same snapshot, so t.* below is the task as it was before our UPDATE.  Both read tasks by
 * primary key from the ids (t.id = ANY, and a per-row probe fenced by OFFSET 0): as joins
 * with the unnest, the planner, blind to the array's size, read all of tasks.  No indexed
 * column of tasks changes, so the lock is a heap-only update (migration 0015).
 * $1 batch, $2 ids, $3 lock owner, $4 user, $5 node, $6 retry limit, $7 backoff seconds.
 */
#define DETAILS_INSERT                                                                        \
	" locked AS ("                                                                        \
	"  UPDATE tasks t SET lock_kind = 'batch', lock_owner = $3, locked_at = now()"        \
	"  WHERE t.id = ANY ($2::bigint[]) AND t.assignee = $4 AND t.state = 'pending'"       \
	"  AND t.node_id = $5 AND (t.lock_kind IS NULL OR t.lock_owner = $3) RETURNING t.id),"\
	" cls AS ("                                                                           \
	"  SELECT req.task_id, req.ord, req.post_data, req.row_no,"                           \
	"   CASE WHEN t.assignee <> $4 THEN 'item.not_assigned'"                              \
	"        WHEN l.id IS NULL AND t.state = 'pending' AND t.lock_kind = 'person'"        \
	"          THEN 'item.locked_person'"                                                 \
	"        WHEN l.id IS NULL AND t.state = 'pending' AND t.lock_kind = 'batch'"         \
	"          AND t.lock_owner <> $3"                                                    \
	"          THEN 'item.locked_batch'"                                                  \
	"   END AS error_code, t.lock_owner,"                                                 \
	"   t.assignee <> $4 AS permanent"                                                    \
	"  FROM req CROSS JOIN LATERAL (SELECT * FROM tasks t WHERE t.id = req.task_id"       \
	"   OFFSET 0) t LEFT JOIN locked l ON l.id = t.id),"                                  \
	/* The English text of the reason (msg.c's en), for logs and older readers. */        \
	" why AS ("                                                                           \
	"  SELECT cls.*, CASE error_code"                                                     \
	"   WHEN 'item.not_assigned' THEN 'this task is not assigned to you'"                 \
	"   WHEN 'item.locked_person'"                                                        \
	"     THEN 'locked by ' || lock_owner || ', who is handling it in person'"            \
	"   WHEN 'item.locked_batch'"                                                         \
	"     THEN 'locked by another batch (' || replace(lock_owner, ':', ' ') || ')'"       \
	"   END AS error,"                                                                    \
	"   CASE error_code"                                                                  \
	"   WHEN 'item.not_assigned' THEN '{}'::jsonb"                                        \
	"   WHEN 'item.locked_person' THEN jsonb_build_object('owner', lock_owner)"           \
	"   WHEN 'item.locked_batch' THEN jsonb_build_object('batch',"                        \
	"     CASE WHEN lock_owner ~ '^batch:[0-9]{1,18}$'"                                   \
	"       THEN to_jsonb(substr(lock_owner, 7)::bigint) ELSE to_jsonb(lock_owner) END)"  \
	"   END AS error_params FROM cls),"                                                   \
	" ins AS ("                                                                           \
	"  INSERT INTO batch_task_detail (batch_id, task_id, status, error, error_code,"       \
	"   error_params, retry_count, next_retry_at, finished, post_data, row_no)"           \
	"  SELECT $1, task_id, CASE WHEN error IS NULL THEN 'pending' ELSE 'failed' END, error,"\
	"   error_code, error_params,"                                                        \
	"   CASE WHEN error IS NULL THEN 0 WHEN permanent THEN $6::int ELSE 1 END,"           \
	"   CASE WHEN error IS NOT NULL AND NOT permanent"                                    \
	"     THEN now() + make_interval(secs => $7::int) END,"                               \
	"   CASE WHEN error IS NULL THEN NULL ELSE now() END,"                                \
	"   post_data, row_no"                                                                \
	"  FROM why ORDER BY ord RETURNING status)"                                           \
	" SELECT count(*), count(*) FILTER (WHERE status = 'failed') FROM ins"

/*
 * An import's rows (task, order, post_data, row number) into a temporary table of this
 * transaction with COPY: the texts go to the server a chunk at a time, never as one
 * multi-MB parameter (which the server parsed and planned with as one jsonb value).
 */
static int
copy_rows(struct db *db, const struct batch_spec *s, struct fb_err *err)
{
	struct pgcopy c;
	size_t i;
	int rc = 0;

	/*
	 * The statement sorts the rows with their post_data twice (by task, then by order):
	 * about 11 MB each for 50,000 rows, which the default work_mem (4 MB) sends to disk.
	 * For this transaction only.
	 */
	if (db_exec(db, NULL, "SET LOCAL work_mem = '64MB'", 0, NULL, err) < 0)
		return -1;
	if (db_exec(db, NULL,
	            "CREATE TEMP TABLE batch_submit_rows (task_id bigint, ord bigint, post_data jsonb,"
	            " row_no int) ON COMMIT DROP",
	            0, NULL, err) < 0 ||
	    pgcopy_begin(&c, db, "COPY batch_submit_rows FROM STDIN", err) < 0)
		return -1;
	for (i = 0; i < s->ntasks && rc == 0; i++) {
		pgcopy_int(&c, s->task_ids[i]);
		pgcopy_sep(&c);
		pgcopy_int(&c, (long long)i + 1);
		pgcopy_sep(&c);
		pgcopy_text(&c, s->row_data[i]);
		pgcopy_sep(&c);
		pgcopy_int(&c, s->row_no ? s->row_no[i] : 0);
		rc = pgcopy_row(&c, err);
	}
	return pgcopy_end(&c, rc == 0, err);
}

static int
submit_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct submit_ctx *c = arg;
	const struct batch_spec *s = c->spec;
	char node[DB_ID_MAX], av[DB_ID_MAX], creator[DB_ID_MAX], bid[DB_ID_MAX], owner[40], limit[16];
	char backoff[16];
	char *ids = NULL, *form = NULL;
	PGresult *res = NULL;
	int rc = -1;

	db_id(node, s->node_id);
	db_id(av, c->node_app_version);
	db_id(creator, c->u->id);
	snprintf(limit, sizeof(limit), "%d", c->cfg->batch_retry_limit);
	snprintf(backoff, sizeof(backoff), "%d", c->cfg->batch_retry_backoff_seconds);
	form = s->form ? xstrdup(jsonh_str(s->form)) : NULL;
	{
		const char *p[8] = {av, node, s->reject ? "reject" : "approve", s->comment,
		                    s->assignee, form, creator, s->source ? s->source : "web"};

		res = db_query(db, "batch_insert",
		               "INSERT INTO batch_task (app_version_id, node_id, action, comment, "
		               "assignee_login, post_data, creator, source, is_single, priority) "
		               "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, 'high') RETURNING id",
		               9, (const char *[]){p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
		                                    s->is_single ? "t" : "f"},
		               err);
	}
	if (res == NULL)
		goto out;
	c->batch_id = db_ll(res, 0, 0);
	PQclear(res);
	res = NULL;
	db_id(bid, c->batch_id);
	snprintf(owner, sizeof(owner), "batch:%lld", (long long)c->batch_id);
	if (s->idem_key != NULL) {
		struct idem_answer a;
		int got;

		/* The answer is known now: total is the number of tasks, or nothing commits. */
		created_answer(&a, c->batch_id, (int)s->ntasks);
		got = idem_record(db, c->u->id, s->idem_key, s->idem_request, &a, err);
		if (got < 0)
			goto out;
		if (got == 0) {
			c->key_taken = 1;
			fb_err_msg(err, FB_ECONFLICT, "batch.idem_recorded", NULL);
			goto out;
		}
	}
	ids = db_id_array(s->task_ids, s->ntasks);
	{
		long long taken;

		if (tasklock_takeover(db, c->batch_id, c->u->id, s->node_id, ids,
		                      (int)(c->batch_id % 16), &taken, err) < 0)
			goto out;
	}
	if (s->row_data != NULL && copy_rows(db, s, err) < 0)
		goto out;
	{
		const char *p[7] = {bid, ids, owner, creator, node, limit, backoff};

		if (s->row_data != NULL)
			res = db_query(db, NULL, DETAILS_FROM_ROWS DETAILS_INSERT, 7, p, err);
		else
			res = db_query(db, "batch_details_insert", DETAILS_FROM_IDS DETAILS_INSERT, 7, p,
			               err);
	}
	if (res == NULL) {
		if (strcmp(err->sqlstate, "23505") == 0) {
			fb_err_clear(err);
			fb_err_msg(err, FB_EINVAL, "batch.task_twice", NULL);
		}
		goto out;
	}
	c->total = (int)db_ll(res, 0, 0);
	c->failed = (int)db_ll(res, 0, 1);
	PQclear(res);
	res = NULL;
	if ((size_t)c->total != s->ntasks) {
		fb_err_msg(err, FB_EVALIDATION, "batch.some_missing", NULL);
		fb_err_detail(err, fb_err_detail_msg("task_ids", "batch.some_missing_detail", NULL));
		goto out;
	}
	{
		char total[16], failed[16];
		const char *p[3] = {bid, total, failed};

		snprintf(total, sizeof(total), "%d", c->total);
		snprintf(failed, sizeof(failed), "%d", c->failed);
		if (db_exec(db, "batch_set_total",
		            "UPDATE batch_task SET total = $2, failed = $3 WHERE id = $1", 3, p, err) < 0)
			goto out;
	}
	rc = 0;
out:
	PQclear(res);
	free(ids);
	free(form);
	return rc;
}

int
batch_replay(struct db *db, const struct user_rec *u, const char *key, const char *fingerprint,
             struct batch_created *out, struct fb_err *err)
{
	int got;

	memset(out, 0, sizeof(*out));
	got = idem_find(db, u->id, key, fingerprint, &out->answer, err);
	if (got == 1) {
		out->batch_id = out->answer.batch_id;
		out->replayed = 1;
	}
	return got;
}

int
batch_submit(struct db *db, const struct fb_config *cfg, const struct user_rec *u,
             const struct batch_spec *spec, struct batch_created *out, struct fb_err *err)
{
	struct submit_ctx c = {.cfg = cfg, .u = u, .spec = spec};
	struct batch_spec own;
	struct node_info *node;
	char key[IDEM_OWN_KEY_LEN];

	memset(out, 0, sizeof(*out));
	if (spec->idem_key != NULL) {
		int got = batch_replay(db, u, spec->idem_key, spec->idem_request, out, err);

		if (got != 0)
			return got < 0 ? -1 : 0;
	} else {
		idem_own_key(key);
		own = *spec;
		own.idem_key = key;
		own.idem_request = "";
		c.spec = spec = &own;
	}
	if (spec->ntasks == 0) {
		fb_err_msg(err, FB_EVALIDATION, "batch.no_tasks", NULL);
		fb_err_detail(err, fb_err_detail_msg("task_ids", "batch.select_one", NULL));
		return -1;
	}
	if (spec->ntasks > (size_t)cfg->batch_max_tasks) {
		fb_err_msg(err, FB_ETOOBIG, "batch.too_many",
		           msg_args("n", json_object_new_int64((int64_t)spec->ntasks), "max",
		                    json_object_new_int(cfg->batch_max_tasks), NULL));
		return -1;
	}
	if (batch_validate_spec(db, u, spec, err) < 0)
		return -1;
	node = node_load(db, spec->node_id, err);
	if (node == NULL)
		return -1;
	c.node_app_version = node->app_version_id;
	node_free(node);
	if (db_tx(db, submit_tx, &c, err) < 0) {
		int got;

		if (!c.key_taken)
			return -1;
		/*
		 * A concurrent request with this key committed first, or this very transaction did
		 * and only its COMMIT's answer was lost: give the answer recorded.
		 */
		fb_err_clear(err);
		got = batch_replay(db, u, spec->idem_key, spec->idem_request, out, err);
		if (got == 0)
			fb_err_msg(err, FB_ECONFLICT, "idem.in_progress", NULL);
		return got == 1 ? 0 : -1;
	}
	out->batch_id = c.batch_id;
	out->total = c.total;
	created_answer(&out->answer, c.batch_id, c.total);
	return 0;
}
