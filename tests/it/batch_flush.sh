#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Losing Redis entirely (FLUSHALL) delays batches but loses and duplicates nothing:
#  1. right after submission, before any runner took the job: the recovery scan finds
#     the batch still 'init' and publishes it again;
#  2. during a batch: the executor in hand finishes it, and the runner keeps taking new
#     work (its consumer group is recreated);
#  3. during a batch whose runner is killed (-9) at the same time: the recovery scan
#     resumes the batch once its heartbeat is stale (batch.stale_minutes = 1).
# This test has a Redis of its own: FLUSHALL must not touch the other tests' queues.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2 \
	FLOWBATCH_BATCH_STALE_MINUTES=1 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=3 \
	FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=1

OWN_REDIS=$IT_DIR/own
it_test_cleanup() {
	bf_cleanup
	svc_redis_stop "$OWN_REDIS"
}
svc_redis_start "$OWN_REDIS" || it_bail "cannot start a Redis of this test's own"
export FLOWBATCH_REDIS_PORT=$FB_REDIS_PORT

bf_own_db
bf_users
bf_app "清空队列"
it_start_web
it_start_nginx

flushall() {
	it_assert_eq OK "$(it_redis FLUSHALL)" "FLUSHALL ($1)"
}

# submit N: a batch of N new tasks at the middle node; sets B and IDS.
submit() {
	mapfile -t IDS < <(bf_tasks "$BF_N2" "$BF_ME_ID" "$1" "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
	((${#IDS[@]} == $1)) || it_bail "seeding $1 tasks failed"
	bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${IDS[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
	it_assert_status 201 "batch of $1 submitted"
	B=$BF_BATCH
	[[ -n $B ]] || it_bail "no batch id"
}

# all_good LABEL N: the batch ended with N successes and nothing taken twice or left locked.
all_good() {
	local label=$1 n=$2
	bf_wait_settled "$B" "${3:-60}"
	bf_check_invariant "$B" "$BF_ME_TOKEN" "$label"
	it_assert_no_stale_locks "$label"
	it_assert_eq "$n" "$(bf_count "$B" success)" "$label: all $n items succeeded"
	it_assert_eq "" "$(bf_history_dupes "$B")" "$label: no task has two history rows"
	it_assert_eq "$n" "$(it_sql "SELECT count(*) FROM task_history WHERE batch_id = :b" b="$B")" \
		"$label: one history row per item"
	it_assert_eq 0 "$(bf_locked_by "$B")" "$label: no task left locked"
	it_assert_eq "$n" "$(it_sql "SELECT count(DISTINCT n.session_id) FROM tasks n WHERE n.node_id = :n3
		AND n.state = 'pending' AND n.session_id IN (SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" \
		n3="$BF_N3" ids="{$(IFS=,; echo "${IDS[*]}")}")" "$label: one next task per session"
}

some_done() {
	(($(bf_count "$B" success) > 0))
}

# --- 1: flushed before any runner took the job -----------------------------------------------
submit 1000
flushall "after submission, no runner yet"
it_start_runner
all_good "flushed before execution" 1000 60
if grep -q '"batch recovery"' "$IT_RUNNER_LOG"; then
	it_ok "the recovery scan published the lost batch"
else
	it_fail "no 'batch recovery' line in the runner log"
fi

# --- 2: flushed while the batch runs ---------------------------------------------------------
it_stop_runner TERM 20 || it_fail "runner did not drain"
submit 2000
bf_blocker_start "${IDS[1700]}" 60
it_start_runner
it_wait_for 30 some_done || it_fail "batch 2 did not start"
flushall "during the batch"
sleep 1
bf_blocker_stop
all_good "flushed during the batch" 2000 60
svc_pid_alive "$IT_RUNNER_PID" && it_ok "the runner survived FLUSHALL" || it_fail "the runner died after FLUSHALL"
submit 50
all_good "a new batch after the flush" 50 30

# --- 3: flushed while the runner is killed in the middle ---------------------------------------
it_stop_runner TERM 20 || it_fail "runner did not drain"
submit 1000
bf_blocker_start "${IDS[700]}" 120
it_start_runner
it_wait_for 30 some_done || it_fail "batch 3 did not start"
it_stop_runner KILL 10
flushall "with the runner killed mid-batch"
bf_blocker_stop
left=$(bf_count "$B" pending)
echo "# killed with $(bf_count "$B" success) done, $left pending"
((left > 0)) && it_ok "items left for the recovery" || it_fail "nothing left pending ($left)"
bf_check_invariant "$B" "$BF_ME_TOKEN" "after kill -9 and FLUSHALL"
it_start_runner
# Only the stale scan can find it: heartbeat older than one minute, then a scan.
all_good "flushed with the runner killed" 1000 120

it_done
