#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# task.timeout: a task created at a node with a time limit gets its due time; pending tasks
# past it are timed out once each (state timed_out, finished, one task_history 'timeout'
# row, one task-center "timeout" row per enabled platform, delivered signed to a sink of
# the test's own), tasks due later are untouched, a batch's lock on a timed-out task (its
# failed item retryable) is let go and the retry dropped; a suspended session's task
# (suspended through POST /api/process/bulk) is not timed out while suspended, its time
# left comes back on resume and it times out once that has passed.  The job runs by
# `flowbatchctl enqueue task.timeout` and by its system crontab (crontab_history).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"
. "$top_srcdir/tests/it/taskcenter_fixture.sh"

pf_setup "限时审批"
# The system crontab stays off until part 5: until then only enqueued jobs time tasks out.
it_sql "UPDATE crontab SET enable = false WHERE system_key = 'task.timeout'" >/dev/null
it_start_web
it_start_nginx
SECRET=sec-timeout-$RANDOM$RANDOM
tc_sink_start "{\"/ok\":{\"mode\":\"ok\",\"secret\":\"$SECRET\"}}"
P_OK=$(platform ok "$SECRET" true 5000 4)
it_start_runner FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600

# run_job: enqueue task.timeout and wait for it to be done.
run_job() {
	local job
	job=$(it_ctl enqueue task.timeout '{}') || { it_fail "flowbatchctl enqueue task.timeout"; return 1; }
	it_wait_for 20 job_done "$job" || it_fail "task.timeout job $job not done: $(it_sql "SELECT status || ' ' || coalesce(error, '') FROM job_runs WHERE job_id = :'j'" j="$job")"
}
job_done() { [[ $(it_sql "SELECT status FROM job_runs WHERE job_id = :'j'" j="$1") == done ]]; }
# states IDS...: the tasks' states, in order.
states() {
	it_sql "SELECT string_agg(t.state, ' ' ORDER BY x.ord) FROM unnest(:'ids'::bigint[])
		WITH ORDINALITY x(id, ord) JOIN tasks t ON t.id = x.id" ids="$(bf_arr_sql "$@")"
}
due() { # SQL_INTERVAL IDS...: set the tasks' due time to now() + the interval
	local iv=$1
	shift
	it_sql "UPDATE tasks SET due_at = now() + :'iv'::interval WHERE id = ANY (:'ids'::bigint[])" \
		iv="$iv" ids="$(bf_arr_sql "$@")" >/dev/null
}
history_n() { # IDS...: task_history 'timeout' rows of the tasks
	it_sql "SELECT count(*) FROM task_history WHERE action = 'timeout' AND task_id = ANY (:'ids'::bigint[])" \
		ids="$(bf_arr_sql "$@")"
}

# --- 1. the engine sets due_at at a node with a time limit ----------------------------------
it_sql "UPDATE nodes SET timeout_hours = 2 WHERE id = :n" n="$BF_N3" >/dev/null
mapfile -t T2 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 2)
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${T2[@]}"),\"examine\":{\"action\":\"approve\",\"comment\":\"同意\"}}"
it_assert_status 201 "approval batch submitted"
bf_wait_settled "$BF_BATCH" 30
it_assert_eq "2 2" "$(it_sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE due_at BETWEEN created + interval '2 hours' - interval '1 second' AND created + interval '2 hours 1 second')
	FROM tasks WHERE node_id = :n AND session_id IN (SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" n="$BF_N3" ids="$(bf_arr_sql "${T2[@]}")")" \
	"the next tasks at a node with a 2-hour limit are due 2 hours after their creation"

# --- 2. due tasks time out, later ones do not, a batch lock goes ----------------------------
mapfile -t PAST < <(bf_tasks "$BF_N2" "$BF_ME_ID" 5)
mapfile -t FUTURE < <(bf_tasks "$BF_N2" "$BF_ME_ID" 3)
due '-1 minute' "${PAST[@]}"
due '1 hour' "${FUTURE[@]}"
# A task a batch holds with a failed, retryable item: its session was suspended when the
# batch ran.
mapfile -t LOCKED < <(bf_tasks "$BF_N2" "$BF_ME_ID" 1)
bf_sessions_set suspended "${LOCKED[@]}"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${LOCKED[@]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "batch on the suspended session's task submitted"
B_LOCK=$BF_BATCH
bf_wait_settled "$B_LOCK" 30
bf_sessions_set running "${LOCKED[@]}"
it_assert_eq "failed true batch:$B_LOCK" "$(it_sql "SELECT d.status || ' ' || (d.next_retry_at IS NOT NULL) || ' ' || t.lock_owner
	FROM batch_task_detail d JOIN tasks t ON t.id = d.task_id WHERE d.batch_id = :b" b="$B_LOCK")" \
	"the batch's item failed with a retry planned and the batch holds the task"
due '-1 minute' "${LOCKED[@]}"

run_job
it_assert_eq "timed_out timed_out timed_out timed_out timed_out timed_out" "$(states "${PAST[@]}" "${LOCKED[@]}")" \
	"the tasks past due are timed out"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND (finished IS NULL OR due_paused IS NOT NULL)" ids="$(bf_arr_sql "${PAST[@]}" "${LOCKED[@]}")")" \
	"each is finished"
it_assert_eq "pending pending pending" "$(states "${FUTURE[@]}")" "the tasks due later are untouched"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_history WHERE task_id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${FUTURE[@]}")")" \
	"no history for the tasks due later"
it_assert_eq 6 "$(history_n "${PAST[@]}" "${LOCKED[@]}")" "one task_history 'timeout' row per timed-out task"
it_assert_eq "6 $BF_N2" "$(it_sql "SELECT count(DISTINCT h.task_id) || ' ' || string_agg(DISTINCT h.node_id::text, ',')
	FROM task_history h JOIN tasks t ON t.id = h.task_id AND t.session_id = h.session_id
	WHERE h.action = 'timeout' AND h.actor IS NULL AND h.task_id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${PAST[@]}" "${LOCKED[@]}")")" \
	"the history rows name the task, its session and node, and no actor"
it_assert_eq "| false" "$(it_sql "SELECT coalesce(t.lock_owner, '') || '| ' || (d.next_retry_at IS NOT NULL)
	FROM tasks t JOIN batch_task_detail d ON d.task_id = t.id AND d.batch_id = :b WHERE t.id = :t" b="$B_LOCK" t="${LOCKED[0]}")" \
	"the batch's lock on the timed-out task is let go and its retry dropped"
it_assert_no_stale_locks "after the timeouts"

# Once each: another run changes nothing.
run_job
it_assert_eq 6 "$(history_n "${PAST[@]}" "${LOCKED[@]}")" "a second run writes no second history row"

# --- 3. the task center hears of each timeout ----------------------------------------------
it_assert_eq "6 6" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM task_center_log
	WHERE platform_id = :p AND event = 'timeout' AND task_id = ANY (:'ids'::bigint[])" p="$P_OK" ids="$(bf_arr_sql "${PAST[@]}" "${LOCKED[@]}")")" \
	"one task-center timeout row per timed-out task"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_center_log WHERE event = 'timeout' AND task_id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${FUTURE[@]}")")" \
	"none for the tasks due later"
timeouts_sent() { [[ $(sink_q 'len([x for x in r if x["event"] == "timeout"])') == 6 ]]; }
it_wait_for 20 timeouts_sent && it_ok "the timeouts are pushed" || it_fail "pushed: $(st "$P_OK")"
it_assert_eq "6 0 timed_out" "$(sink_q 'len({x["id"] for x in r if x["event"] == "timeout"}), len([x for x in r if not x["sig_ok"]]), " ".join(sorted({x["body"]["task"]["state"] for x in r if x["event"] == "timeout"}))')" \
	"six distinct signed timeout deliveries, each with the task timed out"

# --- 4. a suspended session's clock stands still ---------------------------------------------
mapfile -t SUS_T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 1)
due '1 hour' "${SUS_T[@]}"
SUS_S=$(it_sql "SELECT session_id FROM tasks WHERE id = :t" t="${SUS_T[0]}")
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":[$SUS_S]}"
it_assert_status 201 "suspend submitted"
pf_wait_settled "$PF_OP" 30
it_assert_eq "suspended true" "$(it_sql "SELECT s.state || ' ' || (t.due_at IS NULL AND t.due_paused IS NOT NULL) FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE t.id = :t" t="${SUS_T[0]}")" \
	"suspended: the task's time left is kept, no due time"
it_sql "UPDATE tasks SET due_paused = interval '4 seconds' WHERE id = :t" t="${SUS_T[0]}" >/dev/null
sleep 5
run_job
it_assert_eq pending "$(states "${SUS_T[@]}")" "past its time left while suspended, the task is not timed out"
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"resume\",\"session_ids\":[$SUS_S]}"
it_assert_status 201 "resume submitted"
pf_wait_settled "$PF_OP" 30
it_assert_eq "pending true" "$(it_sql "SELECT state || ' ' || (due_at > now() + interval '1 second' AND due_at <= now() + interval '4 seconds' AND due_paused IS NULL) FROM tasks WHERE id = :t" t="${SUS_T[0]}")" \
	"resumed: the task is due again after its time left (4 s), not at once"
past_due() { [[ $(it_sql "SELECT due_at < now() FROM tasks WHERE id = :t" t="$1") == t ]]; }
it_wait_for 10 past_due "${SUS_T[0]}" || it_fail "the resumed task's due time did not pass"
run_job
it_assert_eq "timed_out 1" "$(states "${SUS_T[@]}") $(history_n "${SUS_T[@]}")" \
	"once its time left has passed after resume, the task times out"

# --- 5. the system crontab -----------------------------------------------------------------
mapfile -t CRON_T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 3)
due '-1 second' "${CRON_T[@]}"
CID=$(it_sql "UPDATE crontab SET enable = true, next_run_at = now() WHERE system_key = 'task.timeout' AND is_system RETURNING id")
[[ -n $CID ]] || it_bail "no system crontab task.timeout"
cron_done() { [[ $(states "${CRON_T[@]}") == "timed_out timed_out timed_out" ]]; }
it_wait_for 30 cron_done && it_ok "the system crontab times the due tasks out" ||
	it_fail "after the system crontab: $(states "${CRON_T[@]}")"
it_assert_eq 3 "$(history_n "${CRON_T[@]}")" "one history row each"
cron_ok() { [[ $(it_sql "SELECT count(*) > 0 FROM crontab_history h JOIN job_runs r ON r.job_id = h.job_id
	WHERE h.crontab_id = :c AND h.status = 'success' AND r.type = 'task.timeout' AND r.status = 'done'" c="$CID") == t ]]; }
it_wait_for 20 cron_ok && it_ok "crontab_history: the system crontab's task.timeout run succeeded" ||
	it_fail "crontab_history: $(it_sql "SELECT string_agg(status, ',') FROM crontab_history WHERE crontab_id = :c" c="$CID")"
it_assert_eq "* * * * *" "$(it_sql "SELECT rule->'cron'->>0 FROM crontab WHERE id = :c" c="$CID")" "it runs every minute"

it_stop_runner || it_fail "runner did not stop cleanly"
it_done
