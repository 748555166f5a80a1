/* SPDX-License-Identifier: MIT */
/* Unit tests: the arena (alignment, large blocks, deferred calls) and struct buf. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static int calls;
static int order[4];

static void
note(void *arg)
{
	order[calls++] = (int)(intptr_t)arg;
}

START_TEST(arena_basics)
{
	struct arena *a = arena_new();
	char *big, *s;
	int i;

	for (i = 0; i < 1000; i++) {
		void *p = arena_alloc(a, (size_t)(i % 37) + 1);

		ck_assert_int_eq((uintptr_t)p % _Alignof(max_align_t), 0);
		memset(p, 0xab, (size_t)(i % 37) + 1);
	}
	big = arena_alloc(a, 100000);
	memset(big, 1, 100000);
	s = arena_printf(a, "%s-%d", "批量", 42);
	ck_assert_str_eq(s, "批量-42");
	ck_assert_str_eq(arena_strndup(a, "abcdef", 3), "abc");
	calls = 0;
	arena_defer(a, note, (void *)1);
	arena_defer(a, note, (void *)2);
	arena_free(a);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(order[0], 2);
	ck_assert_int_eq(order[1], 1);
}
END_TEST

START_TEST(buf_basics)
{
	struct buf b = {0};
	int i;

	ck_assert_str_eq(buf_cstr(&b), "");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	ck_assert_int_eq(b.len, strlen(b.data));
	ck_assert(strncmp(b.data, "0,1,2,", 6) == 0);
	buf_reset(&b);
	buf_puts(&b, "审批");
	ck_assert_str_eq(buf_cstr(&b), "审批");
	free(b.data);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, arena_basics);
	tcase_add_test(tc, buf_basics);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
