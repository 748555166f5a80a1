/* SPDX-License-Identifier: MIT */
/*
 * testenv: the services of the test run, for the unit tests that need PostgreSQL or
 * Redis.  dev/test (and dev/services) write an env file of `export NAME=value` lines and
 * name it in $FB_TEST_ENV, as for the integration tests.
 */
#ifndef FB_TESTENV_H
#define FB_TESTENV_H

/*
 * The value of NAME in the env file (the last line that sets it, quotes removed), or NULL
 * when $FB_TEST_ENV is unset, unreadable or does not set NAME.  Caller frees.
 */
char *testenv_get(const char *name);
/* True when services may be missing ($FB_ALLOW_SKIP=1, as under make distcheck). */
int testenv_may_skip(void);

#endif
