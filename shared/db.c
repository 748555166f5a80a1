/* SPDX-License-Identifier: MIT */
/*
 * db: a PostgreSQL connection with named prepared statements and a retrying transaction.
 *
 * A struct db is used by one thread.  It owns its PGconn and a small list of the statement
 * names prepared on that connection; the list is forgotten on reconnect, since PostgreSQL
 * forgets them too.  Statement names given by callers must be string literals (borrowed
 * for the life of the db).  Retry policy follows pgbench: the whole transaction is run
 * again on 40001 and 40P01, and after a reconnect when the connection was lost mid-way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "mem.h"
#include "rand.h"

#define DB_TX_TRIES 8
#define DB_RECONNECT_TRIES 5

struct db {
	PGconn *conn;
	char *conninfo;
	const char **prepared; /* names, borrowed literals */
	size_t nprepared, capprepared;
};

static void
set_err_from_conn(struct db *db, struct fb_err *err, const char *what)
{
	const char *m = db->conn ? PQerrorMessage(db->conn) : "no connection";
	size_t n = strlen(m);

	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	fb_err_set(err, FB_EDB, "%s: %.*s", what, (int)n, m);
	if (err != NULL)
		err->sqlstate[0] = '\0';
}

static int
connect_once(struct db *db, struct fb_err *err)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->nprepared = 0;
	db->conn = PQconnectdb(db->conninfo);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		set_err_from_conn(db, err, "cannot connect to PostgreSQL");
		return -1;
	}
	return 0;
}

struct db *
db_open(const char *conninfo, struct fb_err *err)
{
	struct db *db = xcalloc(1, sizeof(*db));

	/* Short OLTP queries: JIT compilation would cost more than it saves. */
	db->conninfo = xasprintf("%s%skeepalives=1 connect_timeout=5 application_name=flowbatch "
	                         "options='-c jit=off'",
	                         conninfo, conninfo[0] ? " " : "");
	if (connect_once(db, err) < 0) {
		db_close(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->prepared);
	free(db->conninfo);
	free(db);
}

PGconn *
db_pg(struct db *db)
{
	return db->conn;
}

int
db_check(struct db *db, struct fb_err *err)
{
	int i;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	for (i = 0; i < DB_RECONNECT_TRIES; i++) {
		if (i > 0) {
			struct timespec ts = {0, 100000000L << (i - 1)};

			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec = ts.tv_nsec / 1000000000L;
				ts.tv_nsec %= 1000000000L;
			}
			nanosleep(&ts, NULL);
		}
		if (connect_once(db, err) == 0) {
			log_info("reconnected to PostgreSQL", "attempt", LOG_INT(i + 1), NULL);
			return 0;
		}
	}
	return -1;
}

static int
is_prepared(struct db *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == name || strcmp(db->prepared[i], name) == 0)
			return 1;
	return 0;
}

/* Keep a result that succeeded; otherwise fill err from it and clear it. */
static PGresult *
check_result(struct db *db, PGresult *res, struct fb_err *err)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *state, *msg;
	size_t n;

	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_COPY_IN)
		return res;
	if (res == NULL) {
		set_err_from_conn(db, err, "PostgreSQL query failed");
		return NULL;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorMessage(res);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	fb_err_set(err, FB_EDB, "%.*s", (int)n, msg);
	if (err != NULL)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
	PQclear(res);
	return NULL;
}

PGresult *
db_query(struct db *db, const char *name, const char *sql, int nparams,
         const char *const *params, struct fb_err *err)
{
	PGresult *res;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		set_err_from_conn(db, err, "PostgreSQL connection lost");
		return NULL;
	}
	if (name == NULL)
		return check_result(db, PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0),
		                    err);
	if (!is_prepared(db, name)) {
		res = check_result(db, PQprepare(db->conn, name, sql, nparams, NULL), err);
		if (res == NULL)
			return NULL;
		PQclear(res);
		if (db->nprepared == db->capprepared) {
			db->capprepared = db->capprepared ? db->capprepared * 2 : 32;
			db->prepared = xrealloc(db->prepared, db->capprepared * sizeof(*db->prepared));
		}
		db->prepared[db->nprepared++] = name;
	}
	return check_result(db, PQexecPrepared(db->conn, name, nparams, params, NULL, NULL, 0), err);
}

int
db_exec(struct db *db, const char *name, const char *sql, int nparams,
        const char *const *params, struct fb_err *err)
{
	PGresult *res = db_query(db, name, sql, nparams, params, err);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_err_retryable(const struct fb_err *err)
{
	return err->code == FB_EDB &&
	       (strcmp(err->sqlstate, "40001") == 0 || strcmp(err->sqlstate, "40P01") == 0);
}

static void
rollback(struct db *db)
{
	PGresult *res;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	res = PQexec(db->conn, "ROLLBACK");
	PQclear(res);
}

int
db_tx(struct db *db, db_tx_fn fn, void *arg, struct fb_err *err)
{
	int attempt;

	for (attempt = 1;; attempt++) {
		int lost;

		if (db_check(db, err) < 0)
			return -1;
		if (db_exec(db, NULL, "BEGIN", 0, NULL, err) == 0 && fn(db, arg, err) == 0 &&
		    db_exec(db, NULL, "COMMIT", 0, NULL, err) == 0)
			return 0;
		lost = db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK;
		rollback(db);
		if (attempt >= DB_TX_TRIES || !(db_err_retryable(err) || (lost && err->code == FB_EDB)))
			return -1;
		log_info("retrying transaction", "sqlstate", LOG_STR(err->sqlstate), "attempt",
		         LOG_INT(attempt), "reason", LOG_STR(err->msg), NULL);
		{
			/* Jittered backoff so that two deadlocked transactions do not meet again. */
			unsigned jitter;
			struct timespec ts;

			fb_random_bytes(&jitter, sizeof(jitter));
			ts.tv_sec = 0;
			ts.tv_nsec = (long)((jitter % 20 + 1) * 1000000L * attempt);
			nanosleep(&ts, NULL);
		}
		fb_err_clear(err);
	}
}

const char *
db_val(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

long long
db_ll(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}
