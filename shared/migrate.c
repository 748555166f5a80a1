/* SPDX-License-Identifier: MIT */
/*
 * migrate: numbered SQL files applied once each, in name order, under an advisory lock.
 *
 * For every file: BEGIN; take the transaction-scoped advisory lock (a second migrator
 * waits here, then sees the version recorded and skips it); run the file as one script;
 * record the version; COMMIT.  The script is the only SQL sent without parameters, since a
 * multi-statement script cannot be parameterized; it comes from the installed migrations
 * directory, never from a request.
 *
 * Memory: the file list and each file's text are heap buffers owned and freed here; nothing
 * is kept between calls.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "migrate.h"

/* pg_advisory_xact_lock key: "flowbatc" as a big-endian 64-bit integer. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_xact_lock(7380396447895745635)"

#define MIGRATE_MAX_FILES 10000

static const char create_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version text PRIMARY KEY,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

struct file_list {
	char **names; /* owned, each owned */
	size_t n, cap;
};

static void
file_list_free(struct file_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = l->cap = 0;
}

/* NNNN_name.sql with a name of letters, digits, '_' and '-'. */
static int
is_migration_name(const char *s)
{
	size_t len = strlen(s), i;

	if (len < 10 || len > 200 || strcmp(s + len - 4, ".sql") != 0)
		return 0;
	for (i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[4] != '_')
		return 0;
	for (i = 5; i < len - 4; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
list_files(const char *dir, struct file_list *l, struct fb_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL) {
		fb_err_set(err, FB_EIO, "cannot open migrations directory %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_migration_name(de->d_name))
			continue;
		if (l->n == MIGRATE_MAX_FILES) {
			closedir(d);
			fb_err_set(err, FB_EIO, "too many migration files in %s", dir);
			return -1;
		}
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->names = xrealloc(l->names, l->cap * sizeof(*l->names));
		}
		l->names[l->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(l->names, l->n, sizeof(*l->names), cmp_names);
	return 0;
}

/* The whole file as a NUL-terminated string (caller frees), bounded by MIGRATE_MAX_FILE. */
static char *
read_file(const char *path, struct fb_err *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fb_err_set(err, FB_EIO, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fb_err_set(err, FB_EIO, "%s is not a regular file", path);
		goto fail;
	}
	if (st.st_size > (off_t)MIGRATE_MAX_FILE) {
		fb_err_set(err, FB_ETOOBIG, "%s is larger than %u bytes", path, MIGRATE_MAX_FILE);
		goto fail;
	}
	text = xmalloc(MIGRATE_MAX_FILE + 1);
	for (;;) {
		ssize_t got = read(fd, text + len, MIGRATE_MAX_FILE + 1 - len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fb_err_set(err, FB_EIO, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > MIGRATE_MAX_FILE) {
			fb_err_set(err, FB_ETOOBIG, "%s is larger than %u bytes", path, MIGRATE_MAX_FILE);
			goto fail;
		}
	}
	if (memchr(text, '\0', len) != NULL) {
		fb_err_set(err, FB_EINVAL, "%s contains a NUL byte", path);
		goto fail;
	}
	text[len] = '\0';
	close(fd);
	return text;
fail:
	free(text);
	close(fd);
	return NULL;
}

/* The 1-based line of the character at 1-based position pos (characters, not bytes). */
static int
line_of(const char *text, long pos)
{
	const unsigned char *p = (const unsigned char *)text;
	long chars = 0;
	int line = 1;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		if (++chars >= pos)
			break;
		if (*p == '\n')
			line++;
	}
	return line;
}

struct apply_ctx {
	const char *version; /* borrowed */
	const char *text;    /* borrowed */
	const char *file;    /* borrowed, for messages */
	int done;            /* out: 1 when applied by this transaction */
};

static int
run_script(struct db *db, const struct apply_ctx *c, struct fb_err *err)
{
	PGresult *res = PQexec(db_pg(db), c->text);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state, *msg, *pos;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
		PQclear(res);
		return 0;
	}
	if (res == NULL) {
		fb_err_set(err, FB_EDB, "%s: %s", c->file, PQerrorMessage(db_pg(db)));
		return -1;
	}
	if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
		/* Leave the COPY state so that the rollback can be sent. */
		PGconn *pg = db_pg(db);
		char *row;

		PQclear(res);
		if (st != PGRES_COPY_OUT)
			(void)PQputCopyEnd(pg, "COPY is not allowed in a migration");
		else
			while (PQgetCopyData(pg, &row, 0) > 0)
				PQfreemem(row);
		while ((res = PQgetResult(pg)) != NULL)
			PQclear(res);
		fb_err_set(err, FB_EINVAL, "%s: COPY is not allowed in a migration", c->file);
		return -1;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	if (pos != NULL)
		fb_err_set(err, FB_EDB, "%s line %d: %s", c->file, line_of(c->text, atol(pos)),
		           msg ? msg : "error");
	else
		fb_err_set(err, FB_EDB, "%s: %s", c->file, msg ? msg : "error");
	if (err != NULL)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
	PQclear(res);
	return -1;
}

static int
apply_one(struct db *db, void *arg, struct fb_err *err)
{
	struct apply_ctx *c = arg;
	const char *params[1] = {c->version};
	PGresult *res;
	int seen;

	c->done = 0;
	if (db_exec(db, NULL, MIGRATE_LOCK_SQL, 0, NULL, err) < 0 ||
	    db_exec(db, NULL, "SET LOCAL client_min_messages = warning", 0, NULL, err) < 0)
		return -1;
	res = db_query(db, NULL, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params,
	               err);
	if (res == NULL)
		return -1;
	seen = PQntuples(res) > 0;
	PQclear(res);
	if (seen)
		return 0;
	if (run_script(db, c, err) < 0)
		return -1;
	if (db_exec(db, NULL, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, params,
	            err) < 0)
		return -1;
	c->done = 1;
	return 0;
}

/* CREATE TABLE IF NOT EXISTS races with itself: take the lock first. */
static int
ensure_table(struct db *db, void *arg, struct fb_err *err)
{
	if (db_exec(db, NULL, MIGRATE_LOCK_SQL, 0, NULL, err) < 0 ||
	    db_exec(db, NULL, "SET LOCAL client_min_messages = warning", 0, NULL, err) < 0)
		return -1;
	return db_exec(db, NULL, create_sql, 0, NULL, err);
}

int
migrate_apply(struct db *db, const char *dir, int *applied, struct fb_err *err)
{
	struct file_list l = {0};
	char *text = NULL, *path = NULL;
	size_t i;
	int count = 0, rc = -1;

	if (applied != NULL)
		*applied = 0;
	if (list_files(dir, &l, err) < 0)
		goto out;
	if (l.n == 0) {
		fb_err_set(err, FB_EIO, "no migration files (NNNN_name.sql) in %s", dir);
		goto out;
	}
	if (db_tx(db, ensure_table, NULL, err) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		struct apply_ctx c;
		char *version = xstrndup(l.names[i], strlen(l.names[i]) - 4);

		path = xasprintf("%s/%s", dir, l.names[i]);
		text = read_file(path, err);
		if (text == NULL) {
			free(version);
			goto out;
		}
		c.version = version;
		c.text = text;
		c.file = l.names[i];
		c.done = 0;
		if (db_tx(db, apply_one, &c, err) < 0) {
			free(version);
			goto out;
		}
		if (c.done) {
			count++;
			log_info("migration applied", "version", LOG_STR(version), NULL);
		}
		free(version);
		free(text);
		text = NULL;
		free(path);
		path = NULL;
	}
	rc = 0;
out:
	if (applied != NULL)
		*applied = count;
	free(text);
	free(path);
	file_list_free(&l);
	return rc;
}

int
migrate_status(struct db *db, const char *dir, int *pending, int *done, struct fb_err *err)
{
	struct file_list l = {0};
	PGresult *res = NULL;
	size_t i;
	int n = 0, rc = -1, exists;

	*pending = 0;
	if (done != NULL)
		*done = 0;
	if (list_files(dir, &l, err) < 0)
		goto out;
	res = db_query(db, NULL, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL,
	               err);
	if (res == NULL)
		goto out;
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	res = NULL;
	if (!exists) {
		*pending = (int)l.n;
		rc = 0;
		goto out;
	}
	res = db_query(db, NULL, "SELECT version FROM schema_migrations", 0, NULL, err);
	if (res == NULL)
		goto out;
	for (i = 0; i < l.n; i++) {
		size_t len = strlen(l.names[i]) - 4;
		int r, found = 0;

		for (r = 0; r < PQntuples(res) && !found; r++) {
			const char *v = PQgetvalue(res, r, 0);

			found = strlen(v) == len && memcmp(v, l.names[i], len) == 0;
		}
		if (!found)
			n++;
	}
	*pending = n;
	if (done != NULL)
		*done = PQntuples(res);
	rc = 0;
out:
	PQclear(res);
	file_list_free(&l);
	return rc;
}
