/* SPDX-License-Identifier: MIT */
/*
 * db: a PostgreSQL connection with named prepared statements and a retrying transaction.
 *
 * A struct db is used by one thread.  It owns its PGconn and a small list of the statement
 * names prepared on that connection; the list is forgotten on reconnect, since PostgreSQL
 * forgets them too.  Statement names given by callers must be string literals (borrowed
 * for the life of the db).  Retry policy follows pgbench: the whole transaction is run
 * again on 40001 and 40P01, and after a reconnect when the connection was lost mid-way.
 *
 * A restarted server closes every connection; the client only learns it when it next
 * reads.  So before a statement is sent outside a transaction, the socket is looked at:
 * anything readable from an idle server is its goodbye, and the connection is replaced
 * before the statement goes out (safe for writes too: nothing was sent).  A read (a
 * statement that starts with SELECT, VALUES, TABLE or SHOW) sent outside a transaction
 * whose connection breaks under it is run once more on a new connection; a write is not,
 * since it may have committed.  Reconnecting gives up after DB_RECONNECT_BUDGET_MS, so a
 * caller (a web request) never waits long for a server that is down.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "jsonh.h"
#include "log.h"
#include "mem.h"
#include "rand.h"

#define DB_TX_TRIES 8
/* db_open: one attempt, as long as this. */
#define DB_CONNECT_TIMEOUT_MS 5000
/* db_check and the reconnect inside db_query: every attempt together, at most this. */
#define DB_RECONNECT_BUDGET_MS 1500
#define DB_RECONNECT_FIRST_PAUSE_MS 50

struct db {
	PGconn *conn;
	char *conninfo;
	const char **prepared; /* names, borrowed literals */
	size_t nprepared, capprepared;
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Server notices (and the FATAL a server sends before it closes an idle connection) go to
 * the log as JSON, not to stderr as libpq's default does. */
static void
notice_log(void *arg, const char *message)
{
	size_t n = strlen(message);
	char buf[512];

	(void)arg;
	while (n > 0 && (message[n - 1] == '\n' || message[n - 1] == ' '))
		n--;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, message);
	log_info("postgres notice", "message", LOG_STR(buf), NULL);
}

/* One connection attempt that gives up at deadline (monotonic ms). */
static int
connect_by(struct db *db, long long deadline, struct fb_err *err)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;

	if (db->conn != NULL)
		PQfinish(db->conn);
	db->nprepared = 0;
	db->conn = PQconnectStart(db->conninfo);
	if (db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD)
		goto bad;
	while (st != PGRES_POLLING_OK) {
		struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLOUT};
		long long left = deadline - mono_ms();
		int rc;

		if (st == PGRES_POLLING_FAILED)
			goto bad;
		if (left <= 0) {
			PQfinish(db->conn);
			db->conn = NULL;
			fb_err_set(err, FB_EDB, "cannot connect to PostgreSQL: timed out");
			if (err != NULL)
				err->sqlstate[0] = '\0';
			return -1;
		}
		if (st == PGRES_POLLING_READING)
			pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			goto bad;
		if (rc > 0)
			st = PQconnectPoll(db->conn);
	}
	PQsetNoticeProcessor(db->conn, notice_log, NULL);
	return 0;
bad:
	set_err_from_conn(db, err, "cannot connect to PostgreSQL");
	return -1;
}

struct db *
db_open(const char *conninfo, struct fb_err *err)
{
	struct db *db = xcalloc(1, sizeof(*db));

	/* Short OLTP queries: JIT compilation would cost more than it saves. */
	db->conninfo = xasprintf("%s%skeepalives=1 connect_timeout=5 application_name=flowbatch "
	                         "options='-c jit=off'",
	                         conninfo, conninfo[0] ? " " : "");
	if (connect_by(db, mono_ms() + DB_CONNECT_TIMEOUT_MS, err) < 0) {
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

/*
 * True when the connection is open and the server has not closed it.  Called only between
 * statements: an idle server sends nothing unasked, so anything readable is a shutdown
 * notice or the end of the stream, which PQconsumeInput turns into CONNECTION_BAD.
 */
static int
conn_alive(struct db *db)
{
	int i;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return 0;
	for (i = 0; i < 4; i++) {
		struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLIN};

		if (poll(&pfd, 1, 0) <= 0)
			break;
		if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK)
			return 0;
	}
	return PQstatus(db->conn) == CONNECTION_OK;
}

/* Connect again, trying for at most DB_RECONNECT_BUDGET_MS. */
static int
reconnect(struct db *db, struct fb_err *err)
{
	long long deadline = mono_ms() + DB_RECONNECT_BUDGET_MS;
	long pause = DB_RECONNECT_FIRST_PAUSE_MS;
	int attempt;

	for (attempt = 1;; attempt++) {
		long long left;

		if (connect_by(db, deadline, err) == 0) {
			log_info("reconnected to PostgreSQL", "attempt", LOG_INT(attempt), NULL);
			return 0;
		}
		left = deadline - mono_ms();
		if (left <= pause)
			return -1;
		{
			struct timespec ts = {pause / 1000, (pause % 1000) * 1000000L};

			nanosleep(&ts, NULL);
		}
		pause *= 2;
	}
}

int
db_check(struct db *db, struct fb_err *err)
{
	if (conn_alive(db))
		return 0;
	return reconnect(db, err);
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

/* A statement that only reads, by its first word: safe to run again after a lost connection. */
static int
is_read(const char *sql)
{
	static const char *const words[] = {"SELECT", "VALUES", "TABLE", "SHOW"};
	size_t i, n;

	while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' || *sql == '(')
		sql++;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if (strncasecmp(sql, words[i], n) == 0 &&
		    (sql[n] == ' ' || sql[n] == '\t' || sql[n] == '\n' || sql[n] == '\r' ||
		     sql[n] == '(' || sql[n] == '\0'))
			return 1;
	}
	return 0;
}

/* Prepare (once per connection) and run, or run unnamed. */
static PGresult *
run_once(struct db *db, const char *name, const char *sql, int nparams,
         const char *const *params, struct fb_err *err)
{
	PGresult *res;

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

PGresult *
db_query(struct db *db, const char *name, const char *sql, int nparams,
         const char *const *params, struct fb_err *err)
{
	PGresult *res;
	int outside_tx;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE && !conn_alive(db)) {
		/* Closed while idle (a server restart): nothing is lost by a new connection. */
		log_info("PostgreSQL closed an idle connection; reconnecting", NULL);
		if (reconnect(db, err) < 0)
			return NULL;
	}
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		set_err_from_conn(db, err, "PostgreSQL connection lost");
		return NULL;
	}
	outside_tx = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	res = run_once(db, name, sql, nparams, params, err);
	if (res != NULL || !outside_tx || PQstatus(db->conn) == CONNECTION_OK || !is_read(sql))
		return res;
	/* A read whose connection broke under it left nothing behind: once more, anew. */
	log_info("PostgreSQL connection lost during a read; running it again", "error",
	         LOG_STR(err != NULL ? err->msg : ""), NULL);
	if (err != NULL)
		fb_err_clear(err);
	if (reconnect(db, err) < 0)
		return NULL;
	return run_once(db, name, sql, nparams, params, err);
}

struct json_object *
db_query_json(struct db *db, const char *name, const char *sql, int nparams,
              const char *const *params, struct fb_err *err)
{
	PGresult *res = db_query(db, name, sql, nparams, params, err);
	struct json_object *out;

	if (res == NULL)
		return NULL;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		fb_err_set(err, FB_ENOTFOUND, "not found");
		return NULL;
	}
	out = jsonh_parse(PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)), err);
	PQclear(res);
	return out;
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

int
db_query_ll(struct db *db, const char *name, const char *sql, int nparams,
            const char *const *params, long long *out, struct fb_err *err)
{
	PGresult *res = db_query(db, name, sql, nparams, params, err);

	if (res == NULL)
		return -1;
	*out = PQntuples(res) > 0 ? db_ll(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

char *
db_id_array(const int64_t *ids, size_t n)
{
	struct buf b = {0};
	size_t i;

	buf_add(&b, "{", 1);
	for (i = 0; i < n; i++) {
		/* Digits written by hand: arrays of 50,000 ids are common, printf is slow. */
		char d[24], *e = d + sizeof(d), *q = e;
		uint64_t v = ids[i] < 0 ? -(uint64_t)ids[i] : (uint64_t)ids[i];

		do
			*--q = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		if (ids[i] < 0)
			*--q = '-';
		if (i > 0)
			*--q = ',';
		buf_add(&b, q, (size_t)(e - q));
	}
	buf_add(&b, "}", 1);
	return b.data;
}

char *
db_like_pattern(const char *s)
{
	struct buf b = {0};

	buf_puts(&b, "%");
	for (; *s != '\0'; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_add(&b, "\\", 1);
		buf_add(&b, s, 1);
	}
	buf_puts(&b, "%");
	buf_cstr(&b);
	return b.data;
}

void
db_id_list(const PGresult *res, int64_t **ids, size_t *n)
{
	int i, rows = PQntuples(res);

	*ids = xmalloc(sizeof(**ids) * (size_t)(rows ? rows : 1));
	for (i = 0; i < rows; i++)
		(*ids)[i] = db_ll(res, i, 0);
	*n = (size_t)rows;
}

char *
db_id(char buf[DB_ID_MAX], long long id)
{
	snprintf(buf, DB_ID_MAX, "%lld", id);
	return buf;
}
