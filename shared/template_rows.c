/* SPDX-License-Identifier: MIT */
/*
 * template_rows: a template's task rows, a page at a time, and the single layout's
 * producer thread (see template_rows.h).  A page owns its cells and their text; pages are
 * reused between the threads and freed before template_rows_single() returns.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "book.h"
#include "cell.h"
#include "handoff.h"
#include "jsonh.h"
#include "mem.h"
#include "node.h"
#include "schema.h"
#include "template_rows.h"

#define PAGE_ROWS 500

/*
 * One primary-key lookup per id, fenced (OFFSET 0) so that the planner cannot trade it for
 * a scan of the whole node when its statistics are stale (after a bulk load).  $1 the ids
 * of a page, $2 the node, $3 the user; the select list comes before it.
 */
static const char rows_from[] =
    " FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) "
    "CROSS JOIN LATERAL (SELECT id, session_id FROM tasks WHERE id = u.id "
    " AND node_id = $2 AND assignee = $3 AND state = 'pending' OFFSET 0) t "
    "JOIN app_sessions s ON s.id = t.session_id ORDER BY u.ord";

/* Called with each page's result (borrowed); 0, or -1 with err. */
typedef int (*rows_page_fn)(void *arg, const PGresult *res, struct fb_err *err);

/*
 * The page query, parsed once (the unnamed statement: the connection is ours until the
 * pages are read), sent for each page of PAGE_ROWS ids.
 */
struct rows_query {
	PGconn *pg;
	const char **params; /* params[0] is set for each page */
	int nparams;
	struct buf arr;      /* the ids of the page being sent, as an array literal */
};

/* Queue the query of the cnt ids at ids, with its own Sync, without waiting for it. */
static int
rows_send(struct rows_query *q, const int64_t *ids, size_t cnt, struct fb_err *err)
{
	char id[DB_ID_MAX];
	size_t i;

	buf_reset(&q->arr);
	buf_add(&q->arr, "{", 1);
	for (i = 0; i < cnt; i++) {
		if (i > 0)
			buf_add(&q->arr, ",", 1);
		buf_puts(&q->arr, db_id(id, ids[i]));
	}
	buf_add(&q->arr, "}", 1);
	q->params[0] = buf_cstr(&q->arr);
	if (!PQsendQueryPrepared(q->pg, "", q->nparams, q->params, NULL, NULL, 0) ||
	    !PQpipelineSync(q->pg)) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(q->pg));
		return -1;
	}
	return 0;
}

/*
 * The result of the oldest page query in the pipeline (NULL and err unless it returned
 * rows), its end and its Sync consumed.
 */
static PGresult *
rows_page_result(PGconn *pg, struct fb_err *err)
{
	PGresult *res = PQgetResult(pg), *more;
	int ends = 0;

	while (res != NULL) {
		more = PQgetResult(pg);
		if (more == NULL) {
			/* One NULL ends the query's results; a second one, a lost connection. */
			if (++ends > 1 || PQstatus(pg) != CONNECTION_OK)
				break;
			continue;
		}
		if (PQresultStatus(more) == PGRES_PIPELINE_SYNC) {
			PQclear(more);
			break;
		}
		PQclear(more);
	}
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		fb_err_set(err, FB_EDB, "template rows: %s",
		           res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * Run sql (select list + rows_from, nparams parameters of which params[0] is left to this
 * function) over the n ids, PAGE_ROWS at a time, and hand each page to fn in order.  The
 * statement is parsed once; the page queries go through libpq's pipeline, PIPE_AHEAD of
 * them in flight, so that PostgreSQL goes on to the next pages while fn works (and
 * while this thread waits for a core).  0, or -1 with err (FB_EDB, or fn's error).
 */
#define PIPE_AHEAD 3

static int
rows_pages(struct db *db, const char *sql, const char **params, int nparams, const int64_t *ids,
           size_t n, rows_page_fn fn, void *arg, struct fb_err *err)
{
	struct rows_query q = {0};
	PGresult *res, *more;
	size_t sent = 0, got = 0, inflight = 0;

	q.pg = db_pg(db);
	q.params = params;
	q.nparams = nparams;
	if (n == 0)
		return 0;
	if (q.pg == NULL || PQstatus(q.pg) != CONNECTION_OK) {
		fb_err_set(err, FB_EDB, "PostgreSQL connection lost");
		return -1;
	}
	if (!PQsendPrepare(q.pg, "", sql, nparams, NULL)) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(q.pg));
		return -1;
	}
	res = PQgetResult(q.pg);
	while ((more = PQgetResult(q.pg)) != NULL)
		PQclear(more);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(q.pg));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	res = NULL;
	if (!PQenterPipelineMode(q.pg)) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(q.pg));
		return -1;
	}
	while (got < n) {
		size_t cnt;

		for (; inflight < PIPE_AHEAD && sent < n; inflight++, sent += cnt) {
			cnt = n - sent < PAGE_ROWS ? n - sent : PAGE_ROWS;
			if (rows_send(&q, ids + sent, cnt, err) < 0)
				goto fail;
		}
		res = rows_page_result(q.pg, err);
		inflight--;
		if (res == NULL)
			goto fail;
		got += n - got < PAGE_ROWS ? n - got : PAGE_ROWS;
		if (fn(arg, res, err) < 0)
			goto fail;
		PQclear(res);
		res = NULL;
	}
	free(q.arr.data);
	if (!PQexitPipelineMode(q.pg)) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(q.pg));
		return -1;
	}
	return 0;
fail:
	PQclear(res);
	/* Leave the connection idle for the next user. */
	for (; inflight > 0; inflight--) {
		struct fb_err ignored = {0};

		PQclear(rows_page_result(q.pg, &ignored));
		fb_err_clear(&ignored);
	}
	PQexitPipelineMode(q.pg);
	free(q.arr.data);
	return -1;
}

/* template_rows_each's pages: each row's form parsed and handed to its fn. */
struct each_ctx {
	template_row_fn fn;
	void *arg;
	size_t *written;
};

static int
each_page(void *arg, const PGresult *res, struct fb_err *err)
{
	struct each_ctx *x = arg;
	int rows = PQntuples(res), r;

	for (r = 0; r < rows; r++) {
		const char *fd = db_val(res, r, 2), *title = db_val(res, r, 1);
		struct json_object *form;
		struct fb_err perr = {0};

		form = jsonh_parse(fd != NULL ? fd : "{}", fd != NULL ? strlen(fd) : 2, &perr);
		if (form == NULL) {
			fb_err_set(err, FB_EINTERNAL, "task %lld: form data: %s",
			           (long long)db_ll(res, r, 0), perr.msg);
			fb_err_clear(&perr);
			return -1;
		}
		if (x->fn(x->arg, db_ll(res, r, 0), title != NULL ? title : "", form, err) < 0)
			return -1;
		(*x->written)++;
	}
	return 0;
}

int
template_rows_each(struct db *db, const struct node_info *node, int64_t user_id,
                   const int64_t *ids, size_t n, template_row_fn fn, void *arg, size_t *written,
                   struct fb_err *err)
{
	struct each_ctx x = {fn, arg, written};
	char nid[DB_ID_MAX], uid[DB_ID_MAX], sql[sizeof(rows_from) + 64];
	const char *params[3] = {NULL, nid, uid};

	*written = 0;
	db_id(nid, node->id);
	db_id(uid, user_id);
	snprintf(sql, sizeof(sql), "SELECT t.id, s.title, s.form_data::text%s", rows_from);
	return rows_pages(db, sql, params, 3, ids, n, each_page, &x, err);
}

/*
 * The single layout: at most PIPE_PAGES pages of converted rows wait between the producer
 * and the writer; written pages are reused.
 */
#define PIPE_PAGES 4

struct page {
	struct hitem q;
	size_t nrows;
	struct cell *cells; /* PAGE_ROWS × the book's ncols */
	struct buf text;    /* the text of the string cells */
};

struct single_ctx {
	struct book *b;
	struct handoff q;
	struct page *spare;  /* written pages (under q.mu) */
	struct page *cur;    /* the page being filled (producer) */
	struct db *db;
	const int64_t *ids;
	size_t n, written;
	int64_t user_id;
	int rc;
	struct fb_err err;   /* the producer's */
};

static void
pages_free(struct page *pg)
{
	while (pg != NULL) {
		struct page *next = (struct page *)pg->q.next;

		free(pg->cells);
		free(pg->text.data);
		free(pg);
		pg = next;
	}
}

/* Queue the current page (producer); -1 when the writer stopped. */
static int
page_put(struct single_ctx *x, struct fb_err *err)
{
	if (handoff_put(&x->q, &x->cur->q) < 0) {
		fb_err_set(err, FB_EINTERNAL, "template: the writer stopped");
		return -1;
	}
	x->cur = NULL;
	return 0;
}

/* Give a written page back for reuse (writer). */
static void
page_recycle(struct single_ctx *x, struct page *pg)
{
	pthread_mutex_lock(&x->q.mu);
	pg->q.next = x->spare != NULL ? &x->spare->q : NULL;
	x->spare = pg;
	pthread_mutex_unlock(&x->q.mu);
}

/* An empty page for the producer: a spare one or a new one. */
static struct page *
page_take(struct single_ctx *x)
{
	struct page *pg;

	pthread_mutex_lock(&x->q.mu);
	pg = x->spare;
	if (pg != NULL)
		x->spare = (struct page *)pg->q.next;
	pthread_mutex_unlock(&x->q.mu);
	if (pg == NULL) {
		pg = xcalloc(1, sizeof(*pg));
		pg->cells = xmalloc(PAGE_ROWS * (x->b->ncols ? x->b->ncols : 1) * sizeof(*pg->cells));
	}
	pg->q.next = NULL;
	pg->nrows = 0;
	buf_reset(&pg->text);
	return pg;
}

/*
 * The single layout's query: the task id, the title and, for each field column in column
 * order, its value as cell_of_typed() takes it (the first letter of its JSON type, then
 * its text), so that neither whole forms nor JSON parsing reach this side for strings
 * and numbers.  The keys are parameters $4...
 */
static char *
single_sql(const struct book *b, const char ***params, int *nparams)
{
	struct buf sql = {0};
	size_t i;
	int k = 3;

	*params = xcalloc(3 + b->ncols, sizeof(**params));
	buf_puts(&sql, "SELECT t.id, s.title");
	for (i = 0; i < b->ncols; i++) {
		if (b->cols[i].kind != COL_FIELD)
			continue;
		(*params)[k++] = schema_field_key(b->cols[i].f);
		buf_puts(&sql, ", ");
		template_rows_value_sql(&sql, "s.form_data", k);
	}
	buf_add(&sql, rows_from, sizeof(rows_from)); /* with its NUL */
	*nparams = k;
	return sql.data;
}

void
template_rows_value_sql(struct buf *sql, const char *form, int param)
{
	buf_printf(sql, "left(jsonb_typeof(%s -> $%d::text), 1) || (%s ->> $%d::text)", form, param,
	           form, param);
}

/* Convert a page of rows into pages of cells (producer); rows_page_fn. */
static int
single_page(void *arg, const PGresult *res, struct fb_err *err)
{
	struct single_ctx *x = arg;
	struct book *b = x->b;
	int nrows = PQntuples(res), r;

	for (r = 0; r < nrows; r++) {
		struct cell *cells;
		const char *title = db_val(res, r, 1), *id = db_val(res, r, 0);
		struct fb_err perr = {0};
		size_t i;
		int k = 2;

		if (x->cur == NULL)
			x->cur = page_take(x);
		cells = x->cur->cells + x->cur->nrows * b->ncols;
		for (i = 0; i < b->ncols; i++) {
			const struct col *c = &b->cols[i];

			cells[i].kind = CELL_NONE;
			switch (c->kind) {
			case COL_TASK_ID:
				cell_str(&cells[i], id != NULL ? id : "", &x->cur->text);
				break;
			case COL_TITLE:
				cell_str(&cells[i], title != NULL ? title : "", &x->cur->text);
				break;
			case COL_FIELD:
				if (cell_of_typed(c->f, db_val(res, r, k++), &x->cur->text, &cells[i],
				                  &perr) < 0) {
					fb_err_set(err, FB_EINTERNAL, "task %s: form data: %s", id, perr.msg);
					fb_err_clear(&perr);
					return -1;
				}
				break;
			default:
				break;
			}
		}
		x->written++;
		if (++x->cur->nrows == PAGE_ROWS && page_put(x, err) < 0)
			return -1;
	}
	return 0;
}

/* The producer thread: every row, then the last partial page, then done. */
static void *
single_producer(void *arg)
{
	struct single_ctx *x = arg;
	char nid[DB_ID_MAX], uid[DB_ID_MAX];
	const char **params;
	char *sql;
	int nparams;

	sql = single_sql(x->b, &params, &nparams);
	params[1] = db_id(nid, x->b->node->id);
	params[2] = db_id(uid, x->user_id);
	x->rc = rows_pages(x->db, sql, params, nparams, x->ids, x->n, single_page, x, &x->err);
	free(sql);
	free(params);
	if (x->rc == 0 && x->cur != NULL && x->cur->nrows > 0)
		x->rc = page_put(x, &x->err);
	pages_free(x->cur);
	x->cur = NULL;
	handoff_end(&x->q, 0);
	return NULL;
}

/* Write the pages the producer queues, in order; *rows counts the rows written. */
static int
single_consume(struct single_ctx *x, size_t *rows, struct fb_err *err)
{
	struct book *b = x->b;
	struct page *pg;
	size_t r, i;
	int stop;

	while ((pg = (struct page *)handoff_get(&x->q, &stop)) != NULL) {
		for (r = 0; r < pg->nrows; r++) {
			const struct cell *cells = pg->cells + r * b->ncols;

			++*rows;
			for (i = 0; i < b->ncols; i++) {
				const struct col *c = &b->cols[i];

				if (cell_write(b->main, *rows, c->pos, &cells[i], pg->text.data,
				               column_format(b, c), err) < 0) {
					page_recycle(x, pg);
					return -1;
				}
			}
		}
		page_recycle(x, pg);
	}
	return 0;
}

int
template_rows_single(struct db *db, struct book *b, int64_t user_id, const int64_t *ids,
                     size_t n, size_t *written, size_t *rows, struct fb_err *err)
{
	struct single_ctx x;
	struct hitem *left;
	pthread_t th;
	int rc, e;

	memset(&x, 0, sizeof(x));
	handoff_init(&x.q, PIPE_PAGES);
	x.b = b;
	x.db = db;
	x.ids = ids;
	x.n = n;
	x.user_id = user_id;
	*rows = 0;
	e = pthread_create(&th, NULL, single_producer, &x);
	if (e != 0) {
		fb_err_set(err, FB_EINTERNAL, "template: cannot start a thread: %s", strerror(e));
		rc = -1;
		goto done;
	}
	rc = single_consume(&x, rows, err);
	if (rc < 0)
		handoff_end(&x.q, 1);
	pthread_join(th, NULL);
	if (rc == 0 && x.rc < 0) {
		*err = x.err;
		rc = -1;
	} else {
		fb_err_clear(&x.err);
	}
	*written = x.written;
done:
	left = x.q.head;
	pages_free((struct page *)left);
	pages_free(x.spare);
	handoff_fini(&x.q);
	return rc;
}

