/* SPDX-License-Identifier: MIT */
/*
 * seed: loading the demo data that seed_data.c describes, for the console, the tests and the
 * benchmarks.
 *
 * The organisation and the apps are few rows, upserted one statement at a time (users in
 * array-parameter batches).  Sessions, tasks and history are many: they are sent with
 * pgcopy (COPY FROM STDIN in chunks) inside the same transaction, with ids computed here.
 * The three tables are locked (EXCLUSIVE: readers go on, writers wait) and each id range
 * starts after both the table's largest id and its sequence's last value; the sequences are
 * moved past the new rows before the commit.  Each session's plan is made again by each of
 * the three COPY passes (seed_plan is a pure function of the seed and the session), so no
 * rows are kept in memory.
 *
 * Memory: the user pool (ids, logins, names) is owned by a struct seed_ctx that seed_run
 * frees; pgcopy owns its chunk and frees it when each COPY ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mem.h"
#include "pgcopy.h"
#include "seed_int.h"

#define SEED_USER_BATCH 5000

/* ---- the organisation, the users and the apps ----------------------------------------------- */

struct user_ref {
	long long id;
	char *login; /* owned */
	char *name;  /* owned */
};

struct seed_ctx {
	const struct seed_opts *o;
	long long dept_ids[SEED_NDEPTS];
	long long admin_id;
	/* pool[0] is demo, then u00001 … in order */
	struct user_ref *pool;
	int npool;
	const char **pool_logins; /* borrowed from pool, for the form generators */
	long long version_ids[SEED_NAPPS];
	long long node_ids[SEED_NAPPS][SEED_MAX_NODES];
	long long base_session, base_task, base_history; /* ids start after these */
	long long ndone;                                 /* done tasks (= history rows) */
	time_t day0;
};

static void
ctx_reset(struct seed_ctx *c)
{
	int i;

	for (i = 0; i < c->npool; i++) {
		free(c->pool[i].login);
		free(c->pool[i].name);
	}
	free(c->pool);
	free(c->pool_logins);
	c->pool = NULL;
	c->pool_logins = NULL;
	c->npool = 0;
	c->ndone = 0;
}

/* Run a statement expected to return one id (e.g. RETURNING id). */
static int
query_id(struct db *db, const char *sql, int n, const char *const *params, long long *out,
         struct fb_err *err)
{
	if (db_query_ll(db, NULL, sql, n, params, out, err) < 0)
		return -1;
	if (*out == 0) {
		fb_err_set(err, FB_EINTERNAL, "seed: expected one id from: %.80s", sql);
		return -1;
	}
	return 0;
}

static int
upsert_depts(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	int i;

	for (i = 0; i < SEED_NDEPTS; i++) {
		char parent[DB_ID_MAX];
		const char *params[2] = {seed_depts[i].name, NULL};

		if (seed_depts[i].parent >= 0) {
			db_id(parent, c->dept_ids[seed_depts[i].parent]);
			params[1] = parent;
		}
		if (query_id(db,
		             "INSERT INTO departments (name, parent_id) VALUES ($1, $2::bigint)"
		             " ON CONFLICT ON CONSTRAINT departments_parent_name_key"
		             " DO UPDATE SET name = EXCLUDED.name RETURNING id",
		             2, params, &c->dept_ids[i], err) < 0)
			return -1;
	}
	return 0;
}

/* Append one element to a PostgreSQL array literal being built in b. */
static void
arr_add(struct buf *b, const char *s)
{
	const char *p;

	buf_add(b, b->len ? ",\"" : "{\"", 2);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_add(b, "\\", 1);
		buf_add(b, p, 1);
	}
	buf_add(b, "\"", 1);
}

static int
insert_users(struct db *db, struct buf *logins, struct buf *names, struct buf *deptv,
             struct fb_err *err)
{
	const char *params[3];
	int rc;

	buf_puts(logins, "}");
	buf_puts(names, "}");
	buf_puts(deptv, "}");
	params[0] = logins->data;
	params[1] = names->data;
	params[2] = deptv->data;
	rc = db_exec(db, NULL,
	             "INSERT INTO users (login, name, dept_id)"
	             " SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])"
	             " ON CONFLICT (login) DO NOTHING",
	             3, params, err);
	buf_reset(logins);
	buf_reset(names);
	buf_reset(deptv);
	return rc;
}

static int
upsert_users(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	struct buf logins = {0}, names = {0}, deptv = {0}, all = {0};
	int i, rc = -1;
	char root[DB_ID_MAX], fin[DB_ID_MAX];
	const char *params[2];
	PGresult *res = NULL;

	db_id(root, c->dept_ids[0]);
	db_id(fin, c->dept_ids[SEED_DEPT_FINANCE]);
	params[0] = root;
	if (query_id(db,
	             "INSERT INTO users (login, name, dept_id, is_admin)"
	             " VALUES ('admin', '系统管理员', $1::bigint, true)"
	             " ON CONFLICT (login) DO UPDATE SET is_admin = true RETURNING id",
	             1, params, &c->admin_id, err) < 0)
		goto out;
	params[0] = fin;
	if (db_exec(db, NULL,
	            "INSERT INTO users (login, name, dept_id) VALUES ('demo', '演示用户', $1::bigint)"
	            " ON CONFLICT (login) DO NOTHING",
	            1, params, err) < 0)
		goto out;
	arr_add(&all, "demo");
	for (i = 1; i <= c->o->users; i++) {
		char login[16], name[32], dept[DB_ID_MAX];

		seed_login(i, login, sizeof(login));
		seed_person_name(c->o->seed, i, name, sizeof(name));
		db_id(dept, c->dept_ids[seed_user_dept(c->o->seed, i)]);
		arr_add(&logins, login);
		arr_add(&names, name);
		arr_add(&deptv, dept);
		arr_add(&all, login);
		if (i % SEED_USER_BATCH == 0 && insert_users(db, &logins, &names, &deptv, err) < 0)
			goto out;
	}
	if (logins.len > 0 && insert_users(db, &logins, &names, &deptv, err) < 0)
		goto out;
	buf_puts(&all, "}");
	params[0] = all.data;
	res = db_query(db, NULL,
	               "SELECT id, login, name FROM users WHERE login = ANY($1::text[])"
	               " ORDER BY login <> 'demo', length(login), login",
	               1, params, err);
	if (res == NULL)
		goto out;
	c->npool = PQntuples(res);
	if (c->npool != c->o->users + 1) {
		fb_err_set(err, FB_EINTERNAL, "seed: expected %d users, found %d", c->o->users + 1,
		           c->npool);
		c->npool = 0;
		goto out;
	}
	c->pool = xcalloc((size_t)c->npool, sizeof(*c->pool));
	c->pool_logins = xcalloc((size_t)c->npool, sizeof(*c->pool_logins));
	for (i = 0; i < c->npool; i++) {
		c->pool[i].id = db_ll(res, i, 0);
		c->pool[i].login = xstrdup(PQgetvalue(res, i, 1));
		c->pool[i].name = xstrdup(PQgetvalue(res, i, 2));
		c->pool_logins[i] = c->pool[i].login;
	}
	rc = 0;
out:
	PQclear(res);
	free(logins.data);
	free(names.data);
	free(deptv.data);
	free(all.data);
	return rc;
}

static long long
login_id(const struct seed_ctx *c, const char *login)
{
	int i;

	if (strcmp(login, "admin") == 0)
		return c->admin_id;
	for (i = 0; i < c->npool; i++)
		if (strcmp(c->pool[i].login, login) == 0)
			return c->pool[i].id;
	return 0;
}

static int
upsert_apps(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	int a, s;

	for (a = 0; a < SEED_NAPPS; a++) {
		long long app_id;
		char idbuf[DB_ID_MAX], vbuf[DB_ID_MAX], monitor[DB_ID_MAX];
		const char *p[2];

		p[0] = seed_apps[a].name;
		if (query_id(db,
		             "INSERT INTO apps (name) VALUES ($1) ON CONFLICT (name)"
		             " DO UPDATE SET name = EXCLUDED.name RETURNING id",
		             1, p, &app_id, err) < 0)
			return -1;
		db_id(idbuf, app_id);
		p[0] = idbuf;
		p[1] = seed_apps[a].schema;
		if (query_id(db,
		             "INSERT INTO app_versions (app_id, version, form_schema)"
		             " VALUES ($1::bigint, 1, $2::jsonb) ON CONFLICT (app_id, version)"
		             " DO UPDATE SET app_id = EXCLUDED.app_id RETURNING id",
		             2, p, &c->version_ids[a], err) < 0)
			return -1;
		db_id(monitor, c->admin_id);
		p[1] = monitor;
		if (db_exec(db, NULL,
		            "INSERT INTO app_monitors (app_id, user_id) VALUES ($1::bigint, $2::bigint)"
		            " ON CONFLICT DO NOTHING",
		            2, p, err) < 0)
			return -1;
		db_id(vbuf, c->version_ids[a]);
		for (s = 0; s < seed_apps[a].nnodes; s++) {
			const struct seed_node *n = &seed_apps[a].nodes[s];
			char seq[16], who[DB_ID_MAX];
			const char *np[6] = {vbuf, n->name, seq, n->rule, NULL, n->view};

			snprintf(seq, sizeof(seq), "%d", s + 1);
			long long fixed = n->assignee ? login_id(c, n->assignee) : 0;

			if (fixed != 0) {
				db_id(who, fixed);
				np[4] = who;
			}
			if (query_id(db,
			             "INSERT INTO nodes (app_version_id, name, seq, assignee_rule,"
			             " assignee_id, view) VALUES ($1::bigint, $2, $3::int, $4, $5::bigint,"
			             " $6::jsonb) ON CONFLICT (app_version_id, seq)"
			             " DO UPDATE SET seq = EXCLUDED.seq RETURNING id",
			             6, np, &c->node_ids[a][s], err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- sessions, tasks, history with COPY ----------------------------------------------------- */

static int
copy_sessions(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	struct pgcopy cp;
	struct buf form = {0};
	long long k;
	int rc = 0;

	if (pgcopy_begin(&cp, db,
	                 "COPY app_sessions (id, app_version_id, title, state, current_node_id,"
	                 " form_data, creator, created, modified) FROM STDIN",
	                 err) < 0)
		return -1;
	for (k = 0; k < c->o->tasks && rc == 0; k++) {
		long long gk = c->base_session + k + 1;
		struct seed_plan p;
		char title[512], summary[256];

		seed_plan(c->o->seed, gk, c->npool, c->day0, &p);
		buf_reset(&form);
		seed_form(p.app, c->o->seed, gk, c->pool_logins, c->npool, c->day0, &form, summary,
		          sizeof(summary));
		snprintf(title, sizeof(title), "%s的%s：%s", c->pool[p.creator].name,
		         seed_apps[p.app].name, summary);
		pgcopy_int(&cp, gk);
		pgcopy_sep(&cp);
		pgcopy_int(&cp, c->version_ids[p.app]);
		pgcopy_sep(&cp);
		pgcopy_text(&cp, title);
		pgcopy_sep(&cp);
		pgcopy_text(&cp, p.suspended ? "suspended" : "running");
		pgcopy_sep(&cp);
		pgcopy_int(&cp, c->node_ids[p.app][p.seq - 1]);
		pgcopy_sep(&cp);
		pgcopy_text(&cp, buf_cstr(&form));
		pgcopy_sep(&cp);
		pgcopy_int(&cp, c->pool[p.creator].id);
		pgcopy_sep(&cp);
		pgcopy_time(&cp, p.at[0]);
		pgcopy_sep(&cp);
		pgcopy_time(&cp, p.at[p.seq - 1]);
		rc = pgcopy_row(&cp, err);
	}
	free(form.data);
	return pgcopy_end(&cp, rc == 0, err);
}

/* The fields of a task from its session on, after its id. */
static void
task_fields(struct pgcopy *cp, long long session, long long node, long long assignee,
            const char *state)
{
	pgcopy_sep(cp);
	pgcopy_int(cp, session);
	pgcopy_sep(cp);
	pgcopy_int(cp, node);
	pgcopy_sep(cp);
	pgcopy_int(cp, assignee);
	pgcopy_sep(cp);
	pgcopy_text(cp, state);
	pgcopy_sep(cp);
}

static int
copy_tasks(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	struct pgcopy cp;
	long long k, done = 0, ntasks = c->o->tasks;
	int rc = 0;

	if (pgcopy_begin(&cp, db,
	                 "COPY tasks (id, session_id, node_id, assignee, state, lock_kind,"
	                 " lock_owner, locked_at, created, finished) FROM STDIN",
	                 err) < 0)
		return -1;
	for (k = 0; k < ntasks && rc == 0; k++) {
		long long gk = c->base_session + k + 1;
		struct seed_plan p;
		int j;

		seed_plan(c->o->seed, gk, c->npool, c->day0, &p);
		/* The nodes already passed: done tasks, ids after all pending ones. */
		for (j = 0; j < p.seq - 1 && rc == 0; j++) {
			pgcopy_int(&cp, c->base_task + ntasks + ++done);
			task_fields(&cp, gk, c->node_ids[p.app][j], c->pool[p.actors[j]].id,
			            "done");
			pgcopy_text(&cp, NULL); /* lock_kind, lock_owner, locked_at */
			pgcopy_sep(&cp);
			pgcopy_text(&cp, NULL);
			pgcopy_sep(&cp);
			pgcopy_text(&cp, NULL);
			pgcopy_sep(&cp);
			pgcopy_time(&cp, p.at[j]);
			pgcopy_sep(&cp);
			pgcopy_time(&cp, p.at[j + 1]);
			rc = pgcopy_row(&cp, err);
		}
		if (rc < 0)
			break;
		pgcopy_int(&cp, c->base_task + k + 1);
		task_fields(&cp, gk, c->node_ids[p.app][p.seq - 1], c->pool[p.assignee].id,
		            "pending");
		pgcopy_text(&cp, p.locked ? "person" : NULL);
		pgcopy_sep(&cp);
		pgcopy_text(&cp, p.locked ? c->pool[p.assignee].login : NULL);
		pgcopy_sep(&cp);
		if (p.locked)
			pgcopy_time(&cp, p.at[p.seq - 1] + 1800);
		else
			pgcopy_text(&cp, NULL);
		pgcopy_sep(&cp);
		pgcopy_time(&cp, p.at[p.seq - 1]);
		pgcopy_sep(&cp);
		pgcopy_text(&cp, NULL); /* finished */
		rc = pgcopy_row(&cp, err);
	}
	c->ndone = done;
	return pgcopy_end(&cp, rc == 0, err);
}

static int
copy_history(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	struct pgcopy cp;
	long long k, done = 0, ntasks = c->o->tasks;
	int rc = 0;

	if (pgcopy_begin(&cp, db,
	                 "COPY task_history (id, task_id, session_id, node_id, actor, action,"
	                 " comment, created) FROM STDIN",
	                 err) < 0)
		return -1;
	for (k = 0; k < ntasks && rc == 0; k++) {
		long long gk = c->base_session + k + 1;
		const char *comment[SEED_MAX_NODES - 1];
		struct seed_plan p;
		int j;

		seed_plan(c->o->seed, gk, c->npool, c->day0, &p);
		seed_plan_comments(c->o->seed, gk, p.seq - 1, comment);
		for (j = 0; j < p.seq - 1 && rc == 0; j++) {
			done++;
			pgcopy_int(&cp, c->base_history + done);
			pgcopy_sep(&cp);
			pgcopy_int(&cp, c->base_task + ntasks + done);
			pgcopy_sep(&cp);
			pgcopy_int(&cp, gk);
			pgcopy_sep(&cp);
			pgcopy_int(&cp, c->node_ids[p.app][j]);
			pgcopy_sep(&cp);
			pgcopy_int(&cp, c->pool[p.actors[j]].id);
			pgcopy_sep(&cp);
			pgcopy_text(&cp, "approve");
			pgcopy_sep(&cp);
			pgcopy_text(&cp, comment[j]);
			pgcopy_sep(&cp);
			pgcopy_time(&cp, p.at[j + 1]);
			rc = pgcopy_row(&cp, err);
		}
	}
	return pgcopy_end(&cp, rc == 0, err);
}

/*
 * The first free ids of the three bulk tables: after each table's largest id and after its
 * sequence's last value (the tables are locked, so nothing moves meanwhile).
 */
static int
id_bases(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	PGresult *res = db_query(
		db, NULL,
		"SELECT greatest((SELECT coalesce(max(id), 0) FROM app_sessions), coalesce("
		"  pg_sequence_last_value(pg_get_serial_sequence('app_sessions', 'id')::regclass), 0)),"
		" greatest((SELECT coalesce(max(id), 0) FROM tasks), coalesce("
		"  pg_sequence_last_value(pg_get_serial_sequence('tasks', 'id')::regclass), 0)),"
		" greatest((SELECT coalesce(max(id), 0) FROM task_history), coalesce("
		"  pg_sequence_last_value(pg_get_serial_sequence('task_history', 'id')::regclass), 0))",
		0, NULL, err);

	if (res == NULL)
		return -1;
	c->base_session = db_ll(res, 0, 0);
	c->base_task = db_ll(res, 0, 1);
	c->base_history = db_ll(res, 0, 2);
	PQclear(res);
	return 0;
}

static int
set_seq(struct db *db, const char *table, long long last, struct fb_err *err)
{
	char v[DB_ID_MAX];
	const char *p[2] = {table, v};

	db_id(v, last);
	return db_exec(db, NULL, "SELECT setval(pg_get_serial_sequence($1, 'id'), $2::bigint)", 2,
	               p, err);
}

static int
seed_bulk(struct db *db, struct seed_ctx *c, struct fb_err *err)
{
	long long n = c->o->tasks;

	if (n == 0)
		return 0;
	if (db_exec(db, NULL, "LOCK TABLE app_sessions, tasks, task_history IN EXCLUSIVE MODE", 0,
	            NULL, err) < 0 ||
	    id_bases(db, c, err) < 0)
		return -1;
	if (copy_sessions(db, c, err) < 0 || copy_tasks(db, c, err) < 0 ||
	    copy_history(db, c, err) < 0)
		return -1;
	if (set_seq(db, "app_sessions", c->base_session + n, err) < 0 ||
	    set_seq(db, "tasks", c->base_task + n + c->ndone, err) < 0 ||
	    (c->ndone > 0 && set_seq(db, "task_history", c->base_history + c->ndone, err) < 0))
		return -1;
	/* Fresh statistics, so that the listing's plans are right before autovacuum runs. */
	return db_exec(db, NULL, "ANALYZE app_sessions, tasks, task_history", 0, NULL, err);
}

static int
seed_tx(struct db *db, void *arg, struct fb_err *err)
{
	struct seed_ctx *c = arg;

	ctx_reset(c);
	if (upsert_depts(db, c, err) < 0 || upsert_users(db, c, err) < 0 ||
	    upsert_apps(db, c, err) < 0)
		return -1;
	return seed_bulk(db, c, err);
}

int
seed_run(struct db *db, const struct seed_opts *o, struct fb_err *err)
{
	struct seed_ctx c;
	struct timespec t0, t1;
	int rc;

	if (o->users < 1 || o->tasks < 0) {
		fb_err_set(err, FB_EINVAL, "seed: users must be at least 1 and tasks not negative");
		return -1;
	}
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.day0 = seed_today();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = db_tx(db, seed_tx, &c, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		log_info("seed done", "users", LOG_INT(o->users), "sessions", LOG_INT(o->tasks),
		         "done_tasks", LOG_INT(c.ndone), "first_session_id",
		         LOG_INT(c.base_session + 1), "ms",
		         LOG_INT((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		         NULL);
	ctx_reset(&c);
	return rc;
}
