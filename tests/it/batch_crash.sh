#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# kill -9 of the runner in the middle of a 2,000-task batch, twice: after restarts every
# item ends success, each task has exactly one history row and one next task, the counts
# equal the detail rows, and no task is left locked by the batch.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2 \
	FLOWBATCH_BATCH_STALE_MINUTES=1 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=3 \
	FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=1

bf_own_db
bf_users
bf_app "崩溃恢复"
it_start_web
it_start_nginx

mapfile -t ids < <(bf_tasks "$BF_N2" "$BF_ME_ID" 2000 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
it_assert_eq 2000 "${#ids[@]}" "2000 tasks seeded"

bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${ids[@]}"),\"examine\":{\"action\":\"approve\",\"comment\":\"批量\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "2000-task batch submitted"
B=$BF_BATCH
[[ -n $B ]] || it_bail "no batch id"
# Two tasks 900 apart are held by another transaction: the two chunks that hold them
# wait, so at least 200 items (the whole chunk around the first; the one around the second
# may be cut short by the end of the list, as chunk boundaries follow the claims' timing)
# are left when the runner is killed.
bf_blocker_start "${ids[1000]},${ids[1900]}" 120
it_start_runner

some_done() {
	(($(bf_count "$B" success) >= 600))
}
if it_wait_for 60 some_done; then
	it_ok "batch under way ($(bf_count "$B" success) done)"
else
	it_bail "batch did not get going: $(bf_count "$B" success) done"
fi
it_stop_runner KILL 10
done1=$(bf_count "$B" success)
pend1=$(bf_count "$B" pending)
echo "# killed the runner with $done1 done, $pend1 pending"
((pend1 >= 200 && done1 > 0)) && it_ok "killed mid-batch" || it_fail "not mid-batch: $done1 done, $pend1 pending"
bf_blocker_stop
bf_check_invariant "$B" "$BF_ME_TOKEN" "after kill -9"

# Restart with one of the two tasks still held: the other chunk runs, this one waits;
# kill -9 again in the middle of that.
bf_blocker_start "${ids[1900]}" 120
it_start_runner
progress() {
	(($(bf_count "$B" success) > done1))
}
it_wait_for 30 progress || it_fail "no progress after the restart"
sleep 0.5
it_stop_runner KILL 10
done2=$(bf_count "$B" success)
pend2=$(bf_count "$B" pending)
echo "# killed the runner again with $done2 done, $pend2 pending"
((pend2 > 0 && done2 > done1)) && it_ok "killed mid-batch again" ||
	it_fail "second kill not mid-batch: $done2 done, $pend2 pending"
bf_blocker_stop
bf_check_invariant "$B" "$BF_ME_TOKEN" "after the second kill -9"
it_start_runner
bf_wait_settled "$B" 90

it_curl GET "/api/batch/$B" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "finished 2000 2000 0 0 0 0" "$(/usr/bin/python3 -c 'import json,sys; b=json.loads(sys.stdin.read()); print(b["status"], *[b[k] for k in ("total","success","failed","ignored","cancelled","pending")])' <<<"$IT_BODY")" \
	"status total success failed ignored cancelled pending"
bf_check_invariant "$B" "$BF_ME_TOKEN" "at the end"
it_assert_no_stale_locks "after the crashes"
it_assert_eq "" "$(bf_history_dupes "$B")" "no task has two history rows"
it_assert_eq 2000 "$(it_sql "SELECT count(DISTINCT task_id) FROM task_history WHERE batch_id = :b" b="$B")" \
	"every task has its history row"
it_assert_eq 0 "$(bf_locked_by "$B")" "no task still locked by the batch"
it_assert_eq "2000 2000" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT session_id) FROM tasks
	WHERE node_id = :n3 AND state = 'pending'" n3="$BF_N3")" "exactly one next task per session"
it_assert_eq 2000 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND state = 'done'" \
	ids="{$(IFS=,; echo "${ids[*]}")}")" "all 2000 tasks done"
it_assert_eq 2000 "$(it_sql "SELECT b.success + coalesce(sum(c.success), 0) FROM batch_task b
	LEFT JOIN batch_counter c ON c.batch_id = b.id WHERE b.id = :b GROUP BY b.success" b="$B")" \
	"batch_task + batch_counter say 2000 successes"

it_done
