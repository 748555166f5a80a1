/* SPDX-License-Identifier: MIT */
/*
 * import_check: the rows an import mapped, checked the way the engine will execute them,
 * before anything is written; and the report that collects every problem of the file.
 *
 * Rows are checked IMPORT_TASK_CHUNK at a time: one query fetches the chunk's tasks with
 * their sessions' form data (a set, never a task at a time), and the next chunk's query
 * is sent before this chunk is checked, so that PostgreSQL works while we do.  Each
 * row's task must be the
 * user's, pending and at the node; its values (converted by the mapping) are merged over
 * the session's form by schema_merge, whose schema and view were parsed once with the
 * node; comment and next assignee are checked, users looked up once per import.  A task
 * named by two rows is an error on the later one.
 *
 * Memory: struct icheck owns the chunks' task results, the index, the user cache, the
 * tokener and the post_data object it reuses; icheck_free releases them.  Post texts go
 * into the caller's buffer, one after the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "batch.h"
#include "import.h"
#include "import_check.h"
#include "import_map.h"
#include "jsonh.h"
#include "mem.h"
#include "msg.h"
#include "node.h"
#include "schema.h"
#include "utf8.h"

/* ---- the report ------------------------------------------------------------------------ */

void
import_report_add(struct import_report *rep, const char *file, long row, const char *column,
                  const char *field, const char *code, struct json_object *params)
{
	struct json_object *d;
	char *en;

	rep->n++;
	if (rep->n > IMPORT_MAX_DETAILS) {
		json_object_put(params);
		return;
	}
	d = json_object_new_object();
	if (file != NULL)
		jsonh_add_str(d, "file", file);
	if (row > 0)
		jsonh_add_int(d, "row", row);
	if (column != NULL)
		jsonh_add_str(d, "column", column);
	if (field != NULL)
		jsonh_add_str(d, "field", field);
	if (params == NULL)
		params = json_object_new_object();
	en = msg_render(code, params, MSG_EN);
	jsonh_add_str(d, "code", code);
	json_object_object_add(d, "params", params);
	jsonh_add_str(d, "message", en);
	free(en);
	fb_err_detail(rep->err, d);
}

void
import_report_err(struct import_report *rep, const char *file, long row, const char *column,
                  const char *field, const struct fb_err *e)
{
	import_report_add(rep, file, row, column, field, "import.problem",
	                  msg_args("what", fb_err_to_detail(NULL, e), NULL));
}

int
import_report_end(struct import_report *rep)
{
	struct fb_err *err = rep->err;

	if (rep->n == 0)
		return 0;
	if (rep->n > IMPORT_MAX_DETAILS) {
		int64_t more = (int64_t)(rep->n - IMPORT_MAX_DETAILS);

		fb_err_detail(err, fb_err_detail_msg(NULL, "import.more",
		                                     msg_args("n", json_object_new_int64(more), NULL)));
		fb_err_msg(err, FB_EVALIDATION, "import.problems_listed",
		           msg_args("n", json_object_new_int64((int64_t)rep->n), "max",
		                    json_object_new_int(IMPORT_MAX_DETAILS), NULL));
	} else {
		fb_err_msg(err, FB_EVALIDATION, rep->n == 1 ? "import.problem_one" : "import.problems",
		           msg_args("n", json_object_new_int64((int64_t)rep->n), NULL));
	}
	return -1;
}

long
import_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A task id as a message parameter. */
static struct json_object *
task_arg(int64_t id)
{
	return msg_args("task", json_object_new_int64(id), NULL);
}

/* ---- tasks, a chunk at a time ---------------------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

#define TASKS_SQL                                                                             \
	"SELECT t.id, t.state, t.node_id, s.form_data::text "                                 \
	"FROM tasks t JOIN app_sessions s ON s.id = t.session_id "                            \
	"WHERE t.id = ANY ($1::bigint[]) AND t.assignee = $2 ORDER BY t.id"

/* The ids of rows [from, to), each once, as the text of a bigint[] (caller frees). */
static char *
chunk_ids(const struct icheck *c, size_t from, size_t to)
{
	const struct imap_row *rows = c->map->rows;
	int64_t *ids = xmalloc(sizeof(*ids) * (to > from ? to - from : 1));
	size_t i, n = 0, k = 0;
	char *arr;

	for (i = from; i < to; i++)
		if (rows[i].task_id > 0)
			ids[n++] = rows[i].task_id;
	qsort(ids, n, sizeof(*ids), cmp_i64);
	for (i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	arr = db_id_array(ids, k);
	free(ids);
	return arr;
}

/* Send the query of rows [from, to) without waiting for it (at most one in flight). */
static int
prefetch_send(struct icheck *c, size_t from, size_t to, struct fb_err *err)
{
	PGconn *pg = db_pg(c->db);
	char uid[DB_ID_MAX], *arr = chunk_ids(c, from, to);
	int ok;

	ok = PQsendQueryParams(pg, TASKS_SQL, 2, NULL, (const char *[]){arr, db_id(uid, c->u->id)},
	                       NULL, NULL, 0);
	free(arr);
	if (!ok) {
		fb_err_set(err, FB_EDB, "tasks of the import: %s", PQerrorMessage(pg));
		return -1;
	}
	c->inflight = 1;
	return 0;
}

/*
 * The answer of the query in flight into c->next; the connection is free again.  0, or -1
 * with err (FB_EDB and its SQLSTATE).
 */
static int
prefetch_recv(struct icheck *c, struct fb_err *err)
{
	PGconn *pg = db_pg(c->db);
	PGresult *res, *got = NULL;
	long t0 = import_ms();

	while ((res = PQgetResult(pg)) != NULL) {
		if (got == NULL)
			got = res;
		else
			PQclear(res);
	}
	c->inflight = 0;
	c->tasks_ms += import_ms() - t0;
	if (got == NULL || PQresultStatus(got) != PGRES_TUPLES_OK) {
		const char *st = got ? PQresultErrorField(got, PG_DIAG_SQLSTATE) : NULL;

		fb_err_set(err, FB_EDB, "tasks of the import: %s",
		           got ? PQresultErrorMessage(got) : PQerrorMessage(pg));
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st ? st : "");
		PQclear(got);
		return -1;
	}
	c->next = got;
	return 0;
}

/*
 * The tasks named by rows [from, to), each once, from one query: the one sent ahead
 * while the previous chunk was checked, or (the first chunk) a query of its own.  The
 * previous chunk's result is released: chunks keep the sessions' form data of a large
 * import from being held all at once.  Then the query of [to, next_to) is sent, so that
 * PostgreSQL reads the next chunk while this one is checked.
 */
static int
load_tasks(struct icheck *c, size_t from, size_t to, size_t next_to, struct fb_err *err)
{
	size_t i;
	int nt;

	PQclear(c->tasks);
	c->tasks = NULL;
	if (c->inflight && prefetch_recv(c, err) < 0)
		return -1;
	if (c->next != NULL) {
		c->tasks = c->next;
		c->next = NULL;
	} else {
		char uid[DB_ID_MAX], *arr = chunk_ids(c, from, to);
		long t0 = import_ms();

		c->tasks = db_query(c->db, "import_tasks", TASKS_SQL, 2,
		                    (const char *[]){arr, db_id(uid, c->u->id)}, err);
		free(arr);
		c->tasks_ms += import_ms() - t0;
		if (c->tasks == NULL)
			return -1;
	}
	nt = PQntuples(c->tasks);
	c->task_index = xrealloc(c->task_index, sizeof(int64_t) * (size_t)(nt ? nt : 1));
	for (i = 0; i < (size_t)nt; i++)
		c->task_index[i] = db_ll(c->tasks, (int)i, 0);
	if (next_to > to && prefetch_send(c, to, next_to, err) < 0)
		return -1;
	return 0;
}

static int
task_row(const struct icheck *c, int64_t id)
{
	int lo = 0, hi = PQntuples(c->tasks) - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (c->task_index[mid] == id)
			return mid;
		if (c->task_index[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static size_t
hash_str(const char *s)
{
	size_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* user_exists for schema_merge and assignees, remembered per import. */
static int
user_cached(void *arg, const char *login, struct fb_err *err)
{
	struct icheck *ck = arg;
	struct icheck_users *c = &ck->users;
	struct user_rec rec;
	size_t i;
	int found;

	if (c->cap == 0 || c->n * 2 >= c->cap) {
		struct icheck_users g = {.cap = c->cap ? c->cap * 2 : 64};

		g.keys = xcalloc(g.cap, sizeof(*g.keys));
		g.vals = xcalloc(g.cap, sizeof(*g.vals));
		for (i = 0; i < c->cap; i++) {
			size_t j;

			if (c->keys[i] == NULL)
				continue;
			for (j = hash_str(c->keys[i]) % g.cap; g.keys[j] != NULL; j = (j + 1) % g.cap)
				;
			g.keys[j] = c->keys[i];
			g.vals[j] = c->vals[i];
		}
		g.n = c->n;
		free(c->keys);
		free(c->vals);
		*c = g;
	}
	for (i = hash_str(login) % c->cap; c->keys[i] != NULL; i = (i + 1) % c->cap)
		if (strcmp(c->keys[i], login) == 0)
			return c->vals[i];
	/* The connection carries one query at a time: take the chunk sent ahead first. */
	if (ck->inflight && prefetch_recv(ck, err) < 0)
		return -1;
	found = user_find(ck->db, login, &rec, err);
	if (found < 0)
		return -1;
	c->keys[i] = xstrdup(login);
	c->vals[i] = (signed char)found;
	c->n++;
	return found;
}

/*
 * A session's form data as PostgreSQL printed it, parsed with the import's one tokener
 * (a tokener per row costs more than the parse); anything it does not take whole is
 * parsed again by jsonh_parse, whose answer stands.  New, or NULL when unusable.
 */
static struct json_object *
session_form(struct icheck *c, const char *fd, size_t len)
{
	struct json_object *o;
	struct fb_err perr = {0};

	if (c->tok == NULL) {
		c->tok = json_tokener_new_ex(JSONH_MAX_DEPTH);
		if (c->tok == NULL)
			abort();
		json_tokener_set_flags(c->tok, JSON_TOKENER_STRICT);
	}
	json_tokener_reset(c->tok);
	o = json_tokener_parse_ex(c->tok, fd, (int)len);
	if (o != NULL && json_tokener_get_error(c->tok) == json_tokener_success &&
	    json_tokener_get_parse_end(c->tok) == len && json_object_is_type(o, json_type_object))
		return o;
	json_object_put(o);
	if ((o = jsonh_parse(fd, len, &perr)) == NULL)
		fb_err_clear(&perr);
	return o;
}

/* ---- one row --------------------------------------------------------------------------- */

/* Row r's task as this chunk holds it: its tasks row, or -1 with the problem reported. */
static int
row_task(struct icheck *c, const struct imap_row *r)
{
	const struct imap *m = c->map;
	const char *col = m->cols[m->c_task].label, *code = NULL;
	int trow = task_row(c, r->task_id);

	if (trow < 0)
		code = "import.not_yours";
	else if (strcmp(PQgetvalue(c->tasks, trow, 1), "pending") != 0)
		code = "import.not_pending";
	else if (db_ll(c->tasks, trow, 2) != m->node->id)
		code = "import.moved";
	if (code == NULL)
		return trow;
	import_report_add(m->rep, r->file, r->row, col, "task_id", code, task_arg(r->task_id));
	return -1;
}

/* The merge's problems as the file's: columns by label, table rows by sheet row. */
static void
merge_problems(struct icheck *c, const struct imap_row *r, const struct fb_err *verr)
{
	const struct imap *m = c->map;
	size_t i, n;

	if (verr->details == NULL) {
		import_report_err(m->rep, r->file, r->row, NULL, NULL, verr);
		return;
	}
	n = json_object_array_length(verr->details);
	for (i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(verr->details, i), *v;
		const char *field = NULL, *column;
		long row = r->row;

		if (json_object_object_get_ex(d, "field", &v))
			field = json_object_get_string(v);
		column = field ? imap_field_column(m, field) : NULL;
		if (column == NULL && json_object_object_get_ex(d, "label", &v))
			column = json_object_get_string(v);
		if (json_object_object_get_ex(d, "column_label", &v) && r->file != NULL) {
			struct json_object *tr;

			column = json_object_get_string(v);
			if (json_object_object_get_ex(d, "row", &tr))
				row = json_object_get_int(tr) + 1;
		}
		/* The form's own detail, said as it says itself. */
		import_report_add(m->rep, r->file, row, column, field, "import.problem",
		                  msg_args("what", json_object_get(d), NULL));
	}
}

/* The next assignee of an approving row: 0 when fine (or not needed), 1 when reported. */
static int
check_assignee(struct icheck *c, const struct imap_row *r, const char *assignee,
               struct fb_err *err)
{
	const struct imap *m = c->map;
	const char *col = import_fixed_label("assignee");
	int found;

	if (assignee == NULL) {
		import_report_add(m->rep, r->file, r->row, col, "assignee", "import.assignee_required",
		                  msg_args("node", json_object_new_string(m->node->next.name), NULL));
		return 1;
	}
	found = user_cached(c, assignee, err);
	if (found < 0)
		return -1;
	if (found == 0) {
		import_report_add(m->rep, r->file, r->row, col, "assignee", "import.no_user",
		                  msg_args("login", json_object_new_string(assignee), NULL));
		return 1;
	}
	return 0;
}

/* Row r's post_data as JSON text, appended to posts with its NUL. */
static void
post_text(struct icheck *c, const struct imap_row *r, struct json_object *form,
          const char *comment, const char *assignee, struct buf *posts)
{
	const char *text;
	size_t len;

	if (c->post == NULL)
		c->post = json_object_new_object();
	json_object_object_add(c->post, "form", json_object_get(form));
	jsonh_add_str(c->post, "action", r->action == IMPORT_ACTION_REJECT ? "reject" : "approve");
	if (comment != NULL)
		jsonh_add_str(c->post, "comment", comment);
	else
		json_object_object_del(c->post, "comment");
	if (assignee != NULL)
		jsonh_add_str(c->post, "assignee", assignee);
	else
		json_object_object_del(c->post, "assignee");
	text = json_object_to_json_string_length(
	    c->post, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	buf_add(posts, text, len + 1);
	/* The form goes with the row; the object keeps only its buffer for the next row. */
	json_object_object_del(c->post, "form");
}

/*
 * Check row r as the engine will run it; with posts, a good row's post_data is appended
 * there and *post_off is where it starts.  Problems are reported; -1 only on a database
 * failure.
 */
static int
check_row(struct icheck *c, const struct imap_row *r, struct buf *posts, size_t *post_off,
          struct fb_err *err)
{
	const struct imap *m = c->map;
	struct schema_env env = {.user_exists = user_cached, .arg = c};
	struct json_object *form = NULL, *session = NULL, *merged = NULL;
	const char *comment = NULL, *assignee = NULL;
	char *assignee_copy = NULL;
	int bad = r->bad, trow = -1, rc = -1;

	if (r->task_id > 0 && (trow = row_task(c, r)) < 0)
		bad = 1;
	if (imap_row_values(m, r, &form, &comment, &assignee) != 0)
		bad = 1;
	if (comment != NULL) {
		const char *s = imap_skip_ws(comment);

		if (imap_trim_end(s, strlen(s)) == 0)
			comment = NULL;
		else if (utf8_chars(comment) > BATCH_MAX_COMMENT) {
			import_report_add(m->rep, r->file, r->row, import_fixed_label("comment"), "comment",
			                  "import.comment_long",
			                  msg_args("max", json_object_new_int(BATCH_MAX_COMMENT), NULL));
			bad = 1;
		}
	}
	if (assignee != NULL) {
		const char *s = imap_skip_ws(assignee);
		size_t n = imap_trim_end(s, strlen(s));

		assignee = n ? (assignee_copy = xstrndup(s, n)) : NULL;
	}
	if (r->action == IMPORT_ACTION_APPROVE && m->node->next.id != 0 && m->node->next.choose) {
		int got = check_assignee(c, r, assignee, err);

		if (got < 0)
			goto out;
		bad |= got;
	} else {
		assignee = NULL;
	}
	if (!bad && trow >= 0) {
		struct fb_err verr = {0};

		if (!PQgetisnull(c->tasks, trow, 3))
			session = session_form(c, PQgetvalue(c->tasks, trow, 3),
			                       (size_t)PQgetlength(c->tasks, trow, 3));
		if (schema_merge(m->node->schema, m->node->view, session, form, &env, &merged,
		                 &verr) < 0) {
			if (verr.code != FB_EVALIDATION) {
				fb_err_clear(err);
				*err = verr;
				goto out;
			}
			merge_problems(c, r, &verr);
			fb_err_clear(&verr);
			bad = 1;
		}
		if (!bad && posts != NULL) {
			*post_off = posts->len;
			post_text(c, r, form, comment, assignee, posts);
		}
	}
	rc = 0;
out:
	json_object_put(session);
	json_object_put(merged);
	json_object_put(form);
	free(assignee_copy);
	return rc;
}

/* ---- all rows -------------------------------------------------------------------------- */

static int
cmp_row_task(const void *a, const void *b)
{
	const struct imap_row *x = *(const struct imap_row *const *)a;
	const struct imap_row *y = *(const struct imap_row *const *)b;

	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	return x->row_no < y->row_no ? -1 : x->row_no > y->row_no;
}

/* A task named by two rows: an error on the later one. */
static void
check_duplicates(struct imap *m)
{
	struct imap_row **by = xmalloc(sizeof(*by) * (m->nrows ? m->nrows : 1));
	const char *col = m->cols[m->c_task].label;
	size_t i;

	for (i = 0; i < m->nrows; i++)
		by[i] = &m->rows[i];
	qsort(by, m->nrows, sizeof(*by), cmp_row_task);
	for (i = 1; i < m->nrows; i++) {
		if (by[i]->task_id == 0 || by[i]->task_id != by[i - 1]->task_id)
			continue;
		if (by[i]->file != NULL)
			import_report_add(m->rep, by[i]->file, by[i]->row, col, "task_id",
			                  "import.task_in_file",
			                  msg_args("task", json_object_new_int64(by[i]->task_id), "file",
			                           json_object_new_string(by[i - 1]->file), NULL));
		else
			import_report_add(m->rep, NULL, by[i]->row, col, "task_id", "import.task_on_row",
			                  msg_args("task", json_object_new_int64(by[i]->task_id), "row",
			                           json_object_new_int64(by[i - 1]->row), NULL));
		by[i]->bad = 1;
	}
	free(by);
}

int
icheck_rows(struct icheck *c, struct buf *posts, size_t *post_off, struct fb_err *err)
{
	struct imap *m = c->map;
	size_t i;

	check_duplicates(m);
	for (i = 0; i < m->nrows; i++) {
		size_t end = i + IMPORT_TASK_CHUNK < m->nrows ? i + IMPORT_TASK_CHUNK : m->nrows;
		size_t next = end + IMPORT_TASK_CHUNK < m->nrows ? end + IMPORT_TASK_CHUNK : m->nrows;

		if (i % IMPORT_TASK_CHUNK == 0 && load_tasks(c, i, end, next, err) < 0)
			return -1;
		if (check_row(c, &m->rows[i], posts, post_off ? &post_off[i] : NULL, err) < 0)
			return -1;
	}
	return 0;
}

void
icheck_free(struct icheck *c)
{
	size_t i;

	if (c->inflight) {
		struct fb_err ignored = {0};

		/* Left in flight by a failure: read it, so that the connection is free again. */
		if (prefetch_recv(c, &ignored) < 0)
			fb_err_clear(&ignored);
	}
	PQclear(c->next);
	PQclear(c->tasks);
	free(c->task_index);
	for (i = 0; i < c->users.cap; i++)
		free(c->users.keys ? c->users.keys[i] : NULL);
	free(c->users.keys);
	free(c->users.vals);
	if (c->tok != NULL)
		json_tokener_free(c->tok);
	json_object_put(c->post);
	memset(c, 0, sizeof(*c));
}
