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
 * a scan of the whole node when its statistics are stale (after a bulk load).
 */
static const char rows_sql[] =
    "SELECT t.id, s.title, s.form_data::text "
    "FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) "
    "CROSS JOIN LATERAL (SELECT id, session_id FROM tasks WHERE id = u.id "
    " AND node_id = $2 AND assignee = $3 AND state = 'pending' OFFSET 0) t "
    "JOIN app_sessions s ON s.id = t.session_id ORDER BY u.ord";

/* Send the query of the cnt ids at ids without waiting for it. */
static int
rows_send(PGconn *pg, const int64_t *ids, size_t cnt, const char *nid, const char *uid,
          struct buf *arr, struct fb_err *err)
{
	const char *params[3];
	size_t i;

	buf_reset(arr);
	buf_puts(arr, "{");
	for (i = 0; i < cnt; i++)
		buf_printf(arr, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_puts(arr, "}");
	params[0] = buf_cstr(arr);
	params[1] = nid;
	params[2] = uid;
	if (!PQsendQueryParams(pg, rows_sql, 3, NULL, params, NULL, NULL, 0)) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(pg));
		return -1;
	}
	return 0;
}

/* The result of the query sent last (NULL and err when it failed); the connection is idle. */
static PGresult *
rows_result(PGconn *pg, struct fb_err *err)
{
	PGresult *res = PQgetResult(pg), *more;

	while ((more = PQgetResult(pg)) != NULL)
		PQclear(more);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		fb_err_set(err, FB_EDB, "template rows: %s", PQerrorMessage(pg));
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * PAGE_ROWS rows per query.  The query of the next page is sent before the rows of the
 * current one are handed to fn, so that PostgreSQL reads while fn works.
 */
int
template_rows_each(struct db *db, const struct node_info *node, int64_t user_id,
                   const int64_t *ids, size_t n, template_row_fn fn, void *arg, size_t *written,
                   struct fb_err *err)
{
	PGconn *pg = db_pg(db);
	char nid[24], uid[24];
	struct buf arr = {0};
	PGresult *res = NULL;
	size_t off;
	int sent = 0;

	*written = 0;
	db_id(nid, node->id);
	db_id(uid, user_id);
	if (n == 0)
		return 0;
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		fb_err_set(err, FB_EDB, "PostgreSQL connection lost");
		return -1;
	}
	if (rows_send(pg, ids, n < PAGE_ROWS ? n : PAGE_ROWS, nid, uid, &arr, err) < 0)
		goto fail;
	sent = 1;
	for (off = 0; off < n; off += PAGE_ROWS) {
		size_t next = off + PAGE_ROWS;
		int rows, r;

		res = rows_result(pg, err);
		sent = 0;
		if (res == NULL)
			goto fail;
		if (next < n) {
			if (rows_send(pg, ids + next, n - next < PAGE_ROWS ? n - next : PAGE_ROWS, nid, uid,
			              &arr, err) < 0)
				goto fail;
			sent = 1;
		}
		rows = PQntuples(res);
		for (r = 0; r < rows; r++) {
			const char *fd = db_val(res, r, 2), *title = db_val(res, r, 1);
			struct json_object *form;
			struct fb_err perr = {0};

			form = jsonh_parse(fd != NULL ? fd : "{}", fd != NULL ? strlen(fd) : 2, &perr);
			if (form == NULL) {
				fb_err_set(err, FB_EINTERNAL, "task %lld: form data: %s",
				           (long long)db_ll(res, r, 0), perr.msg);
				fb_err_clear(&perr);
				goto fail;
			}
			if (fn(arg, db_ll(res, r, 0), title != NULL ? title : "", form, err) < 0)
				goto fail;
			(*written)++;
		}
		PQclear(res);
		res = NULL;
	}
	free(arr.data);
	return 0;
fail:
	PQclear(res);
	if (sent) {
		/* Leave the connection idle for the next user. */
		struct fb_err ignored = {0};

		PQclear(rows_result(pg, &ignored));
		fb_err_clear(&ignored);
	}
	free(arr.data);
	return -1;
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

/* Convert one task row into the current page (producer); row_fn. */
static int
single_row(void *arg, int64_t task_id, const char *title, struct json_object *form,
           struct fb_err *err)
{
	struct single_ctx *x = arg;
	struct book *b = x->b;
	struct cell *cells;
	size_t i;
	char id[24];

	if (x->cur == NULL)
		x->cur = page_take(x);
	cells = x->cur->cells + x->cur->nrows * b->ncols;
	for (i = 0; i < b->ncols; i++) {
		const struct col *c = &b->cols[i];

		cells[i].kind = CELL_NONE;
		switch (c->kind) {
		case COL_TASK_ID:
			db_id(id, task_id);
			cell_str(&cells[i], id, &x->cur->text);
			break;
		case COL_TITLE:
			cell_str(&cells[i], title, &x->cur->text);
			break;
		case COL_FIELD:
			cell_of(c->f, cell_form_value(form, schema_field_key(c->f)), &x->cur->text, &cells[i]);
			break;
		default:
			break;
		}
	}
	json_object_put(form);
	if (++x->cur->nrows == PAGE_ROWS)
		return page_put(x, err);
	return 0;
}

/* The producer thread: every row, then the last partial page, then done. */
static void *
single_producer(void *arg)
{
	struct single_ctx *x = arg;

	x->rc = template_rows_each(x->db, x->b->node, x->user_id, x->ids, x->n, single_row, x, &x->written,
	                 &x->err);
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

