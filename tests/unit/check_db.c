/* SPDX-License-Identifier: MIT */
/*
 * check_db: what a connection does when the server ends it, against the test PostgreSQL
 * (FLOWBATCH_DB_CONNINFO from the env file named by $FB_TEST_ENV).  The server side is
 * ended with pg_terminate_backend, as a restart ends every connection: a connection closed
 * while idle is replaced before the next statement (read or write) is sent; a read whose
 * connection is ended while it runs is run once more; a write is not, and its error is
 * transient; and when the server stops answering altogether, db_check gives up within
 * about 1.5 s.  Without FB_TEST_ENV the cases fail, unless FB_ALLOW_SKIP=1.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "testenv.h"

static char *conninfo; /* from the env file, read once in main */
static int pg_port;    /* likewise */

static struct db *
open_db(void)
{
	struct fb_err err = {0};
	struct db *db = db_open(conninfo, &err);

	ck_assert_msg(db != NULL, "db_open: %s", err.msg);
	return db;
}

static long long
backend_pid(struct db *db)
{
	struct fb_err err = {0};
	PGresult *res = db_query(db, NULL, "SELECT pg_backend_pid()", 0, NULL, &err);
	long long pid;

	ck_assert_msg(res != NULL, "pg_backend_pid: %s", err.msg);
	pid = db_ll(res, 0, 0);
	PQclear(res);
	return pid;
}

/* End backend pid from another connection and wait until it is gone. */
static void
terminate(long long pid)
{
	struct fb_err err = {0};
	struct db *k = open_db();
	char p[24];
	const char *params[1] = {p};
	PGresult *res;

	snprintf(p, sizeof(p), "%lld", pid);
	res = db_query(k, NULL, "SELECT pg_terminate_backend($1::int, 5000)", 1, params, &err);
	ck_assert_msg(res != NULL, "pg_terminate_backend: %s", err.msg);
	PQclear(res);
	db_close(k);
}

/* A child that ends backend pid after ms milliseconds; returns its pid. */
static pid_t
terminate_later(long long pid, long ms)
{
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		terminate(pid);
		_exit(0);
	}
	return child;
}

static void
reap(pid_t child)
{
	int st = 0;

	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the terminating child failed");
}

START_TEST(closed_while_idle)
{
	struct fb_err err = {0};
	struct db *db = open_db();
	long long pid1, pid2;

	pid1 = backend_pid(db);
	terminate(pid1);
	/* A read goes out on a new connection ... */
	pid2 = backend_pid(db);
	ck_assert_int_ne(pid1, pid2);
	/* ... and so does a write, since nothing was sent on the closed one. */
	terminate(pid2);
	ck_assert_msg(db_exec(db, NULL, "SET application_name = 'check_db'", 0, NULL, &err) == 0,
	              "write after an idle close: %s", err.msg);
	ck_assert_int_ne(backend_pid(db), pid2);
	/* db_check notices it too. */
	pid1 = backend_pid(db);
	terminate(pid1);
	ck_assert_msg(db_check(db, &err) == 0, "db_check: %s", err.msg);
	ck_assert_int_ne(backend_pid(db), pid1);
	db_close(db);
}
END_TEST

START_TEST(read_run_again)
{
	struct fb_err err = {0};
	struct db *db = open_db();
	long long pid1 = backend_pid(db);
	pid_t child = terminate_later(pid1, 300);
	PGresult *res = db_query(db, NULL, "SELECT 42 FROM pg_sleep(1)", 0, NULL, &err);

	reap(child);
	ck_assert_msg(res != NULL, "a read broken while it ran: %s", err.msg);
	ck_assert_int_eq(db_ll(res, 0, 0), 42);
	PQclear(res);
	ck_assert_int_ne(backend_pid(db), pid1);
	db_close(db);
}
END_TEST

START_TEST(write_not_run_again)
{
	struct fb_err err = {0};
	struct db *db = open_db();
	char table[64], *sql;
	long long pid1;
	pid_t child;
	PGresult *res;
	int rc;

	snprintf(table, sizeof(table), "check_db_w_%ld", (long)getpid());
	sql = malloc(256);
	snprintf(sql, 256, "CREATE TABLE %s (x int)", table);
	ck_assert_msg(db_exec(db, NULL, sql, 0, NULL, &err) == 0, "%s", err.msg);
	pid1 = backend_pid(db);
	child = terminate_later(pid1, 300);
	snprintf(sql, 256, "INSERT INTO %s SELECT 1 FROM pg_sleep(1)", table);
	rc = db_exec(db, NULL, sql, 0, NULL, &err);
	reap(child);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.code, FB_EDB);
	ck_assert_msg(fb_err_transient(&err), "not transient: [%s] %s", err.sqlstate, err.msg);
	fb_err_clear(&err);
	/* A connection broken under a statement is only replaced at a boundary the caller
	 * chooses (it may have been inside a transaction of its own). */
	ck_assert_ptr_null(db_query(db, NULL, "SELECT 1", 0, NULL, &err));
	fb_err_clear(&err);
	ck_assert_msg(db_check(db, &err) == 0, "db_check: %s", err.msg);
	snprintf(sql, 256, "SELECT count(*) FROM %s", table);
	res = db_query(db, NULL, sql, 0, NULL, &err);
	ck_assert_msg(res != NULL, "%s", err.msg);
	ck_assert_int_eq(db_ll(res, 0, 0), 0);
	PQclear(res);
	snprintf(sql, 256, "DROP TABLE %s", table);
	ck_assert_msg(db_exec(db, NULL, sql, 0, NULL, &err) == 0, "%s", err.msg);
	free(sql);
	db_close(db);
}
END_TEST

/* Forward one connection accepted on lfd to PostgreSQL, byte for byte, until a side ends. */
static void
forward_one(int lfd)
{
	struct sockaddr_in pg = {.sin_family = AF_INET, .sin_port = htons((uint16_t)pg_port)};
	int c = accept(lfd, NULL, NULL), s = socket(AF_INET, SOCK_STREAM, 0);
	char buf[8192];

	pg.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c < 0 || s < 0 || connect(s, (struct sockaddr *)&pg, sizeof(pg)) < 0)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = {{.fd = c, .events = POLLIN}, {.fd = s, .events = POLLIN}};
		int i;

		if (poll(p, 2, -1) < 0)
			_exit(1);
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0 || write(p[1 - i].fd, buf, (size_t)n) != n)
				_exit(0);
		}
	}
}

START_TEST(check_bounded_when_server_silent)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	struct fb_err err = {0};
	struct timespec t0, t1;
	char *info;
	struct db *db;
	pid_t fwd;
	int lfd, st;
	double secs;

	/* A port whose listener is never served once the forwarder is gone: connects
	 * complete in the kernel and then nothing answers, like a host that hangs. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 16) == 0);
	ck_assert(getsockname(lfd, (struct sockaddr *)&a, &alen) == 0);
	fwd = fork();
	ck_assert_int_ge(fwd, 0);
	if (fwd == 0) {
		alarm(30); /* never outlives a failed test by long */
		forward_one(lfd);
		_exit(0);
	}
	info = malloc(strlen(conninfo) + 64);
	sprintf(info, "%s host=127.0.0.1 port=%d", conninfo, (int)ntohs(a.sin_port));
	db = db_open(info, &err);
	ck_assert_msg(db != NULL, "db_open through the forwarder: %s", err.msg);
	ck_assert_int_gt(backend_pid(db), 0);
	kill(fwd, SIGKILL);
	waitpid(fwd, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(db_check(db, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs < 2.5, "db_check took %.1f s against a silent server", secs);
	ck_assert(fb_err_transient(&err));
	fb_err_clear(&err);
	db_close(db);
	free(info);
	close(lfd);
}
END_TEST

START_TEST(no_database_configured)
{
	ck_abort_msg("FB_TEST_ENV is not set (or lacks FLOWBATCH_DB_CONNINFO, FB_PGPORT): these need "
	             "the test PostgreSQL; FB_ALLOW_SKIP=1 leaves them out");
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("postgres");

	/* pg_sleep(1), run twice, and the connects around it. */
	tcase_set_timeout(tc, 20);
	if (conninfo != NULL) {
		tcase_add_test(tc, closed_while_idle);
		tcase_add_test(tc, read_run_again);
		tcase_add_test(tc, write_not_run_again);
		tcase_add_test(tc, check_bounded_when_server_silent);
	} else {
		tcase_add_test(tc, no_database_configured);
	}
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	conninfo = testenv_get("FLOWBATCH_DB_CONNINFO");
	{
		char *port = testenv_get("FB_PGPORT");

		pg_port = port != NULL ? atoi(port) : 0;
		free(port);
	}
	if (pg_port == 0) {
		free(conninfo);
		conninfo = NULL;
	}
	if (conninfo == NULL && testenv_may_skip()) {
		fprintf(stderr, "check_db: no FB_TEST_ENV; skipped\n");
		return 77;
	}
	sr = srunner_create(db_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(conninfo);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
