#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# A PostgreSQL restart, on a private cluster of this test's own (the shared one is never
# restarted):
#  1. right after `pg_ctl restart -m fast`, GETs through nginx answer without a single 5xx:
#     a web thread whose connection the restart closed reconnects before its next statement
#     (and a read that meets a broken connection runs once more);
#  2. a batch whose executors are caught by a stop of PostgreSQL in the middle of their
#     chunks is retried by its own runner as soon as PostgreSQL is back, and finishes
#     within a few seconds of that (not after the visibility timeout, 300 s here, or the
#     recovery scan), every task advanced exactly once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=300 FLOWBATCH_BATCH_STALE_MINUTES=10

PG_DIR=$IT_DIR/pgsvc
it_test_cleanup() {
	bf_blocker_stop
	svc_destroy "$PG_DIR"
}
svc_pg_start "$PG_DIR" || it_bail "private PostgreSQL did not start"
PG_ROOT=$(readlink -f "$PG_DIR/pg")
export FB_PGHOST=127.0.0.1 FB_PGPORT
# pg_start_again: start the stopped cluster on the same port (svc_pg_start would move to
# another port while the old one still has connections in TIME_WAIT).
pg_start_again() {
	svc_as_pg "$FB_PGBIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/postgresql.log" -w -t 60 \
		-o "-p $FB_PGPORT -k $PG_ROOT/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >"$IT_DIR/pg_start.log" 2>&1 || { cat "$IT_DIR/pg_start.log"; return 1; }
	head -1 "$PG_ROOT/data/postmaster.pid" >"$PG_DIR/pg.pid"
}
bf_own_db
bf_users
bf_app "数据库重启"
it_start_web
it_start_nginx

# GET PATH...: one request each; prints the status codes.
gets() {
	local p
	for p in "$@"; do
		curl -sS -g --max-time 30 -o /dev/null -w '%{http_code}\n' \
			-H "Authorization: Bearer $BF_ME_TOKEN" "$IT_BASE$p" 2>/dev/null || echo curl-error
	done
}
paths=()
for i in $(seq 1 12); do
	paths+=(/api/me /api/batch/nodes /api/batches /healthz)
done

# Every web thread (4) holds a connection before the restart.
codes=$(gets "${paths[@]}")
it_assert_eq 0 "$(grep -vc '^200$' <<<"$codes")" "${#paths[@]} GETs before the restart: all 200"

# --- 1. no 5xx right after a restart -----------------------------------------------------
svc_as_pg "$FB_PGBIN/pg_ctl" -D "$PG_ROOT/data" -m fast -w -t 60 restart \
	-l "$PG_ROOT/postgresql.log" >"$IT_DIR/pg_restart.log" 2>&1 ||
	{ cat "$IT_DIR/pg_restart.log"; it_bail "pg_ctl restart failed"; }
head -1 "$PG_ROOT/data/postmaster.pid" >"$PG_DIR/pg.pid"
codes=$(gets "${paths[@]}")
n5xx=$(grep -c '^5' <<<"$codes")
nbad=$(grep -vc '^200$' <<<"$codes")
echo "# after pg_ctl restart -m fast: $n5xx of ${#paths[@]} GETs answered 5xx"
it_assert_eq 0 "$n5xx" "no 5xx among ${#paths[@]} GETs right after a PostgreSQL restart"
it_assert_eq 0 "$nbad" "all ${#paths[@]} GETs answered 200 ($(sort <<<"$codes" | uniq -c | tr -s ' \n' ' '))"
grep -q 'reconnected to PostgreSQL' "$IT_DIR/web.log" &&
	it_ok "the web reconnected before sending" || it_fail "the web never noticed the closed connections"

# --- 2. a batch caught by PostgreSQL going away ----------------------------------------
bf_submit_approve 2000
B=$BF_BATCH
# Two chunks wait on task locks, so that executors are inside their chunks when
# PostgreSQL stops (which also ends the session holding the locks).
bf_blocker_start "${BF_IDS[1000]},${BF_IDS[1900]}" 120
it_start_runner
some_done() { (($(bf_count "$B" success) >= 600)); }
it_wait_for 60 some_done || it_bail "batch did not get going: $(bf_count "$B" success) done"
done1=$(bf_count "$B" success)
svc_pg_stop "$PG_DIR"
BF_BLOCKER_PID=
t_down=$(bf_now_ms)
bf_caught_by PostgreSQL
pg_start_again || it_bail "private PostgreSQL did not start again"
t_back=$(bf_now_ms)
echo "# PostgreSQL down $(bf_secs $((t_back - t_down))) s with $done1 of 2000 done"
bf_finished_after_return "$B" "$t_back" PostgreSQL
bf_check_approved_once "$B" 2000

it_stop_runner TERM 30
it_assert_eq 0 "$?" "runner exits 0 on SIGTERM"
it_done
