#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# A Redis restart that loses its data (a restart without persistence, or a failover to a
# replica that had not caught up), on a private Redis of this test's own, while a batch's
# executor is in hand and about to publish its helper jobs: the publish fails, the job in
# hand is the only copy of that work, and its runner runs it again as soon as Redis is
# back.  The batch finishes within a few seconds of that, not after the recovery scan
# (which waits batch.init_grace_seconds, 60 s, for a batch that never started), every
# task advanced exactly once.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=300 FLOWBATCH_BATCH_STALE_MINUTES=10

R_DIR=$IT_DIR/redissvc
it_test_cleanup() {
	bf_cleanup
	svc_redis_stop "$R_DIR"
}
svc_redis_start "$R_DIR" || it_bail "private Redis did not start"
export FLOWBATCH_REDIS_PORT=$FB_REDIS_PORT
# redis_start_again: the same port (svc_redis_start would move to another one while the
# old one still has connections in TIME_WAIT), no data.
redis_start_again() {
	redis-server --port "$FB_REDIS_PORT" --bind 127.0.0.1 --dir "$R_DIR/redis" --daemonize yes \
		--pidfile "$R_DIR/redis/redis.pid" --logfile "$R_DIR/log/redis.log" \
		--save '' --appendonly yes --maxclients 2000 </dev/null >/dev/null || return 1
	it_wait_for 10 redis_pongs
}
# redis_pongs: the private Redis answers (asked anew on each try of it_wait_for).
redis_pongs() {
	[[ $(redis-cli -h 127.0.0.1 -p "$FB_REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

bf_own_db
bf_users
bf_app "缓存重启"
it_start_web
it_start_nginx
bf_submit_approve 2000
B=$BF_BATCH

# The executor stops at its first look at the batch's items (a lock on the whole table) ...
printf 'BEGIN;\nLOCK TABLE batch_task_detail IN ACCESS EXCLUSIVE MODE;\n\\! touch %s\nSELECT pg_sleep(120);\nCOMMIT;\n' \
	"$IT_DIR/blocker.ready" >"$IT_DIR/blocker.sql"
PGAPPNAME=bf_blocker_$BF_TAG it_psql -f "$IT_DIR/blocker.sql" >/dev/null 2>&1 &
BF_BLOCKER_PID=$!
IT_PIDS+=("$BF_BLOCKER_PID")
it_wait_for 10 test -e "$IT_DIR/blocker.ready" || it_bail "blocker did not take its lock"
it_start_runner
running() {
	[[ $(it_sql "SELECT count(*) FROM job_runs WHERE type = 'batch.execute' AND status = 'running'") == 1 ]]
}
it_wait_for 20 running || it_bail "the batch's executor did not start"
# ... Redis goes away with its data, and the executor goes on to publish its helpers.
svc_redis_stop "$R_DIR"
rm -rf "$R_DIR/redis/appendonlydir" "$R_DIR/redis/dump.rdb"
t_down=$(bf_now_ms)
bf_blocker_stop
bf_caught_by Redis
redis_start_again || it_bail "private Redis did not start again"
t_back=$(bf_now_ms)
echo "# Redis down $(bf_secs $((t_back - t_down))) s, back empty"
bf_finished_after_return "$B" "$t_back" Redis
bf_check_approved_once "$B" 2000

it_stop_runner TERM 30
it_assert_eq 0 "$?" "runner exits 0 on SIGTERM"
it_done
