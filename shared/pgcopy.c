/* SPDX-License-Identifier: MIT */
/*
 * pgcopy: COPY FROM STDIN in chunks (see pgcopy.h).  The text format's escapes are the
 * only encoding done here: backslash, tab, newline and carriage return in a value.
 *
 * Memory: the chunk buffer is the only thing held; pgcopy_end frees it on every path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgcopy.h"

int
pgcopy_begin(struct pgcopy *c, struct db *db, const char *sql, struct fb_err *err)
{
	PGresult *res;

	memset(c, 0, sizeof(*c));
	c->db = db;
	res = db_query(db, NULL, sql, 0, NULL, err);
	if (res == NULL)
		return -1;
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		PQclear(res);
		fb_err_set(err, FB_EINTERNAL, "COPY did not start");
		return -1;
	}
	PQclear(res);
	return 0;
}

void
pgcopy_text(struct pgcopy *c, const char *s)
{
	const char *q;

	if (s == NULL) {
		buf_add(&c->b, "\\N", 2);
		return;
	}
	while ((q = strpbrk(s, "\\\t\n\r")) != NULL) {
		char esc[2] = {'\\', *q == '\\' ? '\\' : *q == '\t' ? 't' : *q == '\n' ? 'n' : 'r'};

		buf_add(&c->b, s, (size_t)(q - s));
		buf_add(&c->b, esc, 2);
		s = q + 1;
	}
	buf_puts(&c->b, s);
}

void
pgcopy_int(struct pgcopy *c, long long v)
{
	char t[DB_ID_MAX];

	buf_puts(&c->b, db_id(t, v));
}

void
pgcopy_time(struct pgcopy *c, time_t t)
{
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S+00", &tm);
	buf_puts(&c->b, s);
}

void
pgcopy_sep(struct pgcopy *c)
{
	buf_add(&c->b, "\t", 1);
}

static int
flush(struct pgcopy *c, struct fb_err *err)
{
	PGconn *pg = db_pg(c->db);

	if (c->b.len == 0)
		return 0;
	if (PQputCopyData(pg, c->b.data, (int)c->b.len) != 1) {
		fb_err_set(err, FB_EDB, "COPY: %s", PQerrorMessage(pg));
		return -1;
	}
	c->b.len = 0;
	return 0;
}

int
pgcopy_row(struct pgcopy *c, struct fb_err *err)
{
	buf_add(&c->b, "\n", 1);
	return c->b.len >= PGCOPY_CHUNK ? flush(c, err) : 0;
}

int
pgcopy_end(struct pgcopy *c, int ok, struct fb_err *err)
{
	PGconn *pg = db_pg(c->db);
	PGresult *res;
	int rc = ok ? 0 : -1;

	if (rc == 0 && flush(c, err) < 0)
		rc = -1;
	if (PQputCopyEnd(pg, rc == 0 ? NULL : "aborted by the client") != 1 && rc == 0) {
		fb_err_set(err, FB_EDB, "COPY: %s", PQerrorMessage(pg));
		rc = -1;
	}
	while ((res = PQgetResult(pg)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			fb_err_set(err, FB_EDB, "COPY: %s", PQresultErrorMessage(res));
			snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st ? st : "");
			rc = -1;
		}
		PQclear(res);
	}
	free(c->b.data);
	memset(&c->b, 0, sizeof(c->b));
	return rc;
}
