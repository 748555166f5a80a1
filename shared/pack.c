/* SPDX-License-Identifier: MIT */
/*
 * pack: the multi layout's zip of one workbook per task (see pack.h).
 *
 * The calling thread reads the task rows and queues them; up to MULTI_THREADS workers (one
 * workbook per thread, as libxlsxwriter requires) write member <k>.xlsx each into a
 * private directory; once they are joined, the members are added to the zip in the order
 * of the rows.  At most 2 × workers rows wait in the queue.  The workers close their
 * workbooks one at a time: libxlsxwriter 1.1.4 formats the creation time with gmtime(),
 * whose buffer is shared (a race ThreadSanitizer reports).
 *
 * pack_write() owns the private directory and its members and removes them before it
 * returns; a queued job owns its title and form until a worker frees it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <zip.h>

#include "book.h"
#include "handoff.h"
#include "mem.h"
#include "pack.h"
#include "template.h"
#include "template_rows.h"

#define MULTI_THREADS 4

struct job {
	struct hitem q;
	size_t k;
	int64_t task_id;
	char *title;
	struct json_object *form; /* owned */
};

struct multi_ctx {
	const struct fb_config *cfg;
	const struct node_info *node;
	const char *dir;
	struct handoff q;
	pthread_mutex_t close_mu; /* workbook_close() calls gmtime(): one at a time */
	struct fb_err err;        /* the first failure of a worker (under q.mu) */
	size_t members;           /* rows queued: members named <k>.xlsx, k < members */
	char **names;             /* the zip entry name of each member; malloc'ed */
};

static char *
member_path(const char *dir, size_t k)
{
	return xasprintf("%s/%zu.xlsx", dir, k);
}

static void
job_free(struct job *j)
{
	json_object_put(j->form);
	free(j->title);
	free(j);
}

/* Write the workbook of job j to its member path. */
static int
multi_book(struct multi_ctx *x, const struct job *j, struct fb_err *err)
{
	struct book b;
	char *member = member_path(x->dir, j->k);
	int rc;

	rc = book_open(&b, x->cfg, x->node, 1, NULL, member, err);
	if (rc == 0)
		rc = book_form(&b, j->task_id, j->title, j->form, err);
	if (rc == 0)
		rc = book_meta(&b, j->task_id, err);
	pthread_mutex_lock(&x->close_mu);
	rc = book_close(&b, rc == 0, err);
	pthread_mutex_unlock(&x->close_mu);
	book_done(&b);
	free(member);
	return rc;
}

/* A worker thread: write the queued jobs until done; after a stop only free them. */
static void *
multi_worker(void *arg)
{
	struct multi_ctx *x = arg;
	struct job *j;
	struct fb_err err;
	int stop;

	while ((j = (struct job *)handoff_get(&x->q, &stop)) != NULL) {
		memset(&err, 0, sizeof(err));
		if (!stop && multi_book(x, j, &err) < 0) {
			pthread_mutex_lock(&x->q.mu);
			if (x->err.code == FB_OK)
				x->err = err;
			else
				fb_err_clear(&err);
			pthread_mutex_unlock(&x->q.mu);
			handoff_end(&x->q, 1);
		}
		job_free(j);
	}
	return NULL;
}

/* Queue one task row for the workers; row_fn. */
static int
multi_row(void *arg, int64_t task_id, const char *title, struct json_object *form,
          struct fb_err *err)
{
	struct multi_ctx *x = arg;
	struct job *j = xcalloc(1, sizeof(*j));

	j->k = x->members;
	j->task_id = task_id;
	j->title = xstrdup(title);
	j->form = form;
	if (handoff_put(&x->q, &j->q) < 0) {
		job_free(j);
		fb_err_set(err, FB_EINTERNAL, "pack: a workbook failed");
		return -1;
	}
	x->names = xrealloc(x->names, (x->members + 1) * sizeof(*x->names));
	x->names[x->members++] = template_entry_name(task_id, title);
	return 0;
}

/* Read the rows into the workers; joined on return.  The first error is reported. */
static int
multi_books(struct db *db, struct multi_ctx *x, int64_t user_id, const int64_t *ids, size_t n,
            size_t *written, struct fb_err *err)
{
	pthread_t th[MULTI_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nth = cpus < 1 ? 1 : cpus > MULTI_THREADS ? MULTI_THREADS : (size_t)cpus, started, i;
	int rc = 0, e;

	if (nth > n)
		nth = n > 0 ? n : 1;
	x->q.room = 2 * nth;
	for (started = 0; started < nth; started++) {
		e = pthread_create(&th[started], NULL, multi_worker, x);
		if (e != 0) {
			fb_err_set(err, FB_EINTERNAL, "pack: cannot start a thread: %s", strerror(e));
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		rc = template_rows_each(db, x->node, user_id, ids, n, multi_row, x, written, err);
	if (rc < 0)
		handoff_end(&x->q, 1); /* the workers free what is queued */
	handoff_end(&x->q, 0);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (x->err.code != FB_OK) {
		/* A worker's failure is the cause of the reader's "a workbook failed". */
		fb_err_clear(err);
		*err = x->err;
		memset(&x->err, 0, sizeof(x->err));
		rc = -1;
	}
	return rc;
}

/* Add the members to the zip, in the order of the rows. */
static int
multi_zip(struct multi_ctx *x, zip_t *za, struct fb_err *err)
{
	size_t k;

	for (k = 0; k < x->members; k++) {
		char *member = member_path(x->dir, k);
		zip_source_t *src = zip_source_file(za, member, 0, 0);
		zip_int64_t idx;

		free(member);
		if (src == NULL) {
			fb_err_set(err, FB_EIO, "zip: %s", zip_strerror(za));
			return -1;
		}
		idx = zip_file_add(za, x->names[k], src, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			fb_err_set(err, FB_EINTERNAL, "zip: %s: %s", x->names[k], zip_strerror(za));
			zip_source_free(src);
			return -1;
		}
		if (zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) < 0) {
			fb_err_set(err, FB_EINTERNAL, "zip: %s", zip_strerror(za));
			return -1;
		}
	}
	return 0;
}

int
pack_write(struct db *db, const struct fb_config *cfg, const struct node_info *node,
           int64_t user_id, const int64_t *task_ids, size_t n, const char *path,
           size_t *written, struct fb_err *err)
{
	struct multi_ctx x;
	char *dir = xasprintf("%s/fb-tpl-XXXXXX", cfg->web_tmpdir);
	zip_t *za = NULL;
	int ze, rc = -1;
	size_t i;

	*written = 0;
	if (mkdtemp(dir) == NULL) {
		fb_err_set(err, FB_EIO, "cannot create a directory in %s: %s", cfg->web_tmpdir,
		           strerror(errno));
		free(dir);
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	x.node = node;
	x.dir = dir;
	handoff_init(&x.q, 1);
	pthread_mutex_init(&x.close_mu, NULL);
	za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &ze);
	if (za == NULL) {
		zip_error_t ez;

		zip_error_init_with_code(&ez, ze);
		fb_err_set(err, FB_EIO, "cannot create %s: %s", path, zip_error_strerror(&ez));
		zip_error_fini(&ez);
		goto done;
	}
	if (multi_books(db, &x, user_id, task_ids, n, written, err) < 0)
		goto done;
	if (*written == 0) {
		fb_err_msg(err, FB_ENOTFOUND, "template.none_pending", NULL);
		goto done;
	}
	if (multi_zip(&x, za, err) < 0)
		goto done;
	if (zip_close(za) < 0) {
		fb_err_set(err, FB_EIO, "zip: %s", zip_strerror(za));
		goto done;
	}
	za = NULL;
	rc = 0;
done:
	if (za != NULL)
		zip_discard(za);
	for (i = 0; i < x.members; i++) {
		char *m = member_path(dir, i);

		unlink(m);
		free(m);
		free(x.names[i]);
	}
	free(x.names);
	pthread_mutex_destroy(&x.close_mu);
	handoff_fini(&x.q);
	rmdir(dir);
	free(dir);
	return rc;
}

