#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Task center at batch scale: a 2,000-task approval with two enabled platforms writes
# exactly a done per approved task and a create per next task for each (8,000 events), and
# all of them arrive, exactly once per webhook-id, although the runner is killed with -9 in
# the middle of the push (redeliveries with the same id are counted and bounded by what
# can be in flight).  Prints the batch's execution time without and with the outbox.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/taskcenter_fixture.sh"

# Retry rounds every second (its system crontab, sped up) and no sweep of tasks without
# rows: the tasks this test makes by SQL have none on purpose (reconcile is tested on them).
export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_TASKCENTER_SWEEP_DAYS=0

bf_own_db
tc_retry_every 1
bf_users
bf_app "待办批量"
it_start_web
it_start_nginx
tc_sink_start '{"/a":{"mode":"ok","secret":"sec-a-batch"},"/b":{"mode":"ok","secret":"sec-b-batch"}}'
it_start_runner

exec_ms() { # BATCH: started → finished in ms
	it_sql "SELECT round(extract(epoch FROM finished - started) * 1000) FROM batch_task WHERE id = :b" b="$1"
}

# Without any platform: the reference.
bf_submit_approve 2000
bf_wait_settled "$BF_BATCH" 120
ref=$(exec_ms "$BF_BATCH")
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_center_log")" "no platform: no outbox rows"

P_A=$(platform a sec-a-batch true 5000 8)
P_B=$(platform b sec-b-batch true 5000 8)
bf_submit_approve 2000
B=$BF_BATCH
bf_wait_settled "$B" 120
with=$(exec_ms "$B")
echo "# 2,000 approvals: ${ref} ms without platforms, ${with} ms writing the outbox for 2 platforms"
for p in "$P_A" "$P_B"; do
	it_assert_eq "create=2000 done=2000" "$(it_sql "SELECT string_agg(event || '=' || n, ' ' ORDER BY event) FROM
		(SELECT event, count(*) n FROM task_center_log WHERE platform_id = :p GROUP BY 1) x" p="$p")" \
		"platform $p: a done per approved task and a create per next task"
done
it_assert_eq "2000 2000" "$(it_sql "SELECT count(DISTINCT l.task_id) || ' ' || count(DISTINCT d.task_id)
	FROM batch_task_detail d LEFT JOIN task_center_log l ON l.task_id = d.task_id AND l.event = 'done'
	AND l.platform_id = :p WHERE d.batch_id = :b" b="$B" p="$P_A")" "every approved task has its done"

seen() { [[ $(sink_q 'len(r)') -ge 1500 ]]; }
if it_wait_for 60 seen; then
	kill -KILL "$IT_RUNNER_PID"
	wait "$IT_RUNNER_PID" 2>/dev/null
	IT_RUNNER_PID=
	echo "# killed the runner after $(sink_q 'len(r)') requests"
	t0=$(bf_now_ms)
	it_start_runner
else
	it_fail "the push did not start: $(st "$P_A")"
fi
both() { all_delivered "$P_A" 4000 && all_delivered "$P_B" 4000; }
if it_wait_for 120 both; then
	it_ok "all 8,000 events delivered after the kill"
else
	it_fail "after the kill: a: $(st "$P_A"), b: $(st "$P_B")"
fi
t1=$(bf_now_ms)
echo "# everything delivered $(bf_secs $((t1 - t0))) s after the restart"
read -r total distinct bad <<<"$(sink_q 'len(r), len({(x["path"], x["id"]) for x in r}), sum(1 for x in r if not x["sig_ok"])')"
echo "# $total requests for $distinct distinct (platform, webhook-id)"
it_assert_eq 8000 "$distinct" "8,000 distinct webhook-ids over the two platforms: nothing lost"
it_assert_eq 0 "$bad" "every signature verifies"
if ((total - distinct <= 16)); then
	it_ok "$((total - distinct)) redeliveries with the same webhook-id, within the 16 that can be in flight"
else
	it_fail "$((total - distinct)) redeliveries: more than the 16 that can be in flight"
fi
it_done
