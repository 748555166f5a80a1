/* SPDX-License-Identifier: MIT */
/*
 * db: one PostgreSQL connection per thread, with parameters only.
 *
 * A struct db owns its PGconn and the set of statements prepared on it.  Results returned
 * by db_query() belong to the caller (PQclear).  db_tx() runs a function inside BEGIN ..
 * COMMIT and runs it again, a bounded number of times, when PostgreSQL reports a
 * serialization failure or a deadlock (40001/40P01), or when the connection dropped before
 * COMMIT was acknowledged.  The function must therefore be safe to run again from scratch.
 */
#ifndef FB_DB_H
#define FB_DB_H

#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>
#include "err.h"

struct db;
struct json_object;

/* Connect (keepalives and a connect timeout are added).  Caller closes with db_close(). */
struct db *db_open(const char *conninfo, struct fb_err *err) FB_MUSTCHECK;
void db_close(struct db *db);
/* The raw connection, borrowed: for COPY and pipeline mode. */
PGconn *db_pg(struct db *db);
/*
 * 0 when the connection is usable; else (also when the server closed it while idle, as a
 * restart does) reconnect with backoff, giving up within about 1.5 s.
 */
int db_check(struct db *db, struct fb_err *err) FB_MUSTCHECK;

/*
 * Run sql with text parameters (NULL entries are SQL NULL).  With a name, the statement is
 * prepared once per connection and executed by name.  Returns a PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK result (caller PQclears) or NULL with err filled (FB_EDB and sqlstate).
 * Outside a transaction, a connection the server closed while idle is replaced before sql
 * is sent, and a read (sql starting with SELECT, VALUES, TABLE or SHOW) whose connection
 * breaks while it runs is run once more on a new one.  A SELECT that writes (calls a
 * function with side effects) must therefore run inside db_tx().
 */
PGresult *db_query(struct db *db, const char *name, const char *sql, int nparams,
                   const char *const *params, struct fb_err *err) FB_MUSTCHECK;
/*
 * The same for a query that builds its answer as one JSON text (row 0, column 0): that
 * text parsed into a new object the caller puts, or NULL with err (FB_ENOTFOUND when
 * there is no row or the text is NULL).
 */
struct json_object *db_query_json(struct db *db, const char *name, const char *sql, int nparams,
                                  const char *const *params, struct fb_err *err) FB_MUSTCHECK;
/* The same, for statements whose result is not needed.  0 / -1. */
int db_exec(struct db *db, const char *name, const char *sql, int nparams,
            const char *const *params, struct fb_err *err) FB_MUSTCHECK;

typedef int (*db_tx_fn)(struct db *db, void *arg, struct fb_err *err);
/* BEGIN; fn; COMMIT, retried on 40001/40P01 and dropped connections.  fn returns 0 / -1. */
int db_tx(struct db *db, db_tx_fn fn, void *arg, struct fb_err *err) FB_MUSTCHECK;

/* True when err carries a SQLSTATE worth retrying the whole transaction for. */
int db_err_retryable(const struct fb_err *err);

/* Convenience readers over a result: value or NULL when SQL NULL. */
const char *db_val(const PGresult *res, int row, int col);
long long db_ll(const PGresult *res, int row, int col);
/* Room for an id's decimal text with its NUL. */
#define DB_ID_MAX 24
/* id as decimal text into buf, for a query parameter; returns buf. */
char *db_id(char buf[DB_ID_MAX], long long id);
/* db_query of a statement answering one number (its first row's first column; 0 when no
 * row or NULL) into *out. */
int db_query_ll(struct db *db, const char *name, const char *sql, int nparams,
                const char *const *params, long long *out, struct fb_err *err) FB_MUSTCHECK;

/* '%' + s with LIKE's wildcards escaped + '%', for ILIKE $n.  Caller frees. */
char *db_like_pattern(const char *s);

/* The first column of res as ids: *ids malloc'ed (caller frees; never NULL), *n rows. */
void db_id_list(const PGresult *res, int64_t **ids, size_t *n);

/* "{1,2,3}": ids as the text of a bigint[] parameter.  Caller frees. */
char *db_id_array(const int64_t *ids, size_t n);

#endif
