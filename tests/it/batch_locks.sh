#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# No task stays locked by a batch that can no longer act on it, and the user's own failed
# items never stand in the way of submitting their tasks again:
#   1. cancelling a running batch lets go of the tasks of the items that failed before the
#      cancel; cancelling a finished batch drops its planned retries and lets go too;
#   2. a failed item whose retry window has passed (moved into the past in SQL) is released
#      by the lock sweep of batch.recover (enqueued with flowbatchctl), which logs each
#      release with batch and task ids; a lock naming no batch goes too (in the round that
#      reads all of tasks, once a day, asked for here); an item still retryable keeps its
#      lock; an item that fails past its window is released at once;
#   3. POST /api/batch naming tasks that failed items of my earlier batch hold locked takes
#      the locks over: the new batch succeeds, the old items become superseded (counts =
#      details); a task locked by another user's batch is never taken over;
#   4. errors.xlsx downloaded, fixed with openpyxl and uploaded again while the failed
#      items still hold their locks (retry limit 3, no automatic retry due): the new batch
#      succeeds and the old items are superseded.
# After every scenario: the counting invariant and no stale locks.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

# No automatic retry comes due, and the scheduler runs batch.recover only at the runner's
# start: the sweep below runs because flowbatchctl asks for it.
export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=3600 FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600 \
	FLOWBATCH_BATCH_RETRY_LIMIT=3 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=120

bf_xlsx_setup

bf_own_db
bf_users
bf_app "批次锁"
it_start_web
it_start_nginx

me=(-H "Authorization: Bearer $BF_ME_TOKEN")
locked_by() { # BATCH IDS...: how many of the tasks BATCH holds locked
	local b=$1
	shift
	it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_owner = 'batch:' || :b" \
		b="$b" ids="$(bf_arr_sql "$@")"
}
approve() { # TOKEN IDS...: POST /api/batch approving the tasks at node 2
	local token=$1
	shift
	bf_submit "$token" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "$@"),\"examine\":{\"action\":\"approve\"}}"
}
# failing_batch LABEL N K: N new tasks of mine, the first K with their sessions suspended,
# approved in one batch that settles with those K failed and holding their tasks; sets
# TASKS and BATCH.
failing_batch() {
	mapfile -t TASKS < <(bf_tasks "$BF_N2" "$BF_ME_ID" "$2")
	bf_sessions_set suspended "${TASKS[@]:0:$3}"
	approve "$BF_ME_TOKEN" "${TASKS[@]}"
	it_assert_status 201 "$1: batch of $2 submitted"
	BATCH=$BF_BATCH
	bf_wait_settled "$BATCH" 30
	it_assert_eq "$3" "$(locked_by "$BATCH" "${TASKS[@]:0:$3}")" "$1: $3 failed items hold their tasks"
}
counts() { # BATCH: "status success failed ignored cancelled superseded pending" from the API
	it_curl GET "/api/batch/$1" "${me[@]}"
	$PY -c 'import json,sys; b=json.loads(sys.stdin.read()); print(b["status"], *[b[k] for k in ("success","failed","ignored","cancelled","superseded","pending")])' <<<"$IT_BODY"
}

# --- 1a. cancel a running batch with failed items -------------------------------------------
mapfile -t bad < <(bf_tasks "$BF_N2" "$BF_ME_ID" 10)
mapfile -t good < <(bf_tasks "$BF_N2" "$BF_ME_ID" 30)
bf_sessions_set suspended "${bad[@]}"
approve "$BF_ME_TOKEN" "${bad[@]}" "${good[@]}"
it_assert_status 201 "1a: batch of 40 submitted"
B1=$BF_BATCH
# One executor, chunks of 10: the first (the suspended ones) fails, the second waits on a
# task held here.
bf_blocker_start "${good[5]}" 60
it_start_runner FLOWBATCH_BATCH_MAX_CONCURRENCY=1 FLOWBATCH_BATCH_CHUNK_SIZE=10
first_failed() {
	[[ $(bf_count "$B1" failed) == 10 ]]
}
it_wait_for 30 first_failed || it_fail "1a: the first chunk did not fail ($(bf_count "$B1" failed) failed)"
it_assert_eq "running 10" "$(it_sql "SELECT status FROM batch_task WHERE id = :b" b="$B1") $(locked_by "$B1" "${bad[@]}")" \
	"1a: the batch runs; its failed items keep their tasks locked (they may be retried)"
it_curl POST "/api/batch/$B1/cancel" "${me[@]}"
it_assert_status 202 "1a: cancel the running batch"
bf_blocker_stop
bf_wait_settled "$B1" 30
bf_check_invariant "$B1" "$BF_ME_TOKEN" "1a"
it_assert_match "^cancelled 10 10 0 20 0 0$" "$(counts "$B1")" \
	"1a: 10 in flight finished, 10 failed, 20 cancelled"
it_assert_eq 0 "$(locked_by "$B1" "${bad[@]}")" "1a: the failed items' tasks are unlocked"
it_assert_eq 0 "$(bf_locked_by "$B1")" "1a: nothing left locked by the cancelled batch"
it_assert_no_stale_locks "1a: cancelled running batch"

# --- 1b. cancel a finished batch whose failed items wait for a retry -------------------------
failing_batch 1b 10 5
B2=$BATCH bad2=("${TASKS[@]:0:5}")
it_assert_eq 5 "$(it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND next_retry_at IS NOT NULL" b="$B2")" \
	"1b: each with a retry planned"
it_assert_no_stale_locks "1b: failed items within their window"
it_curl POST "/api/batch/$B2/cancel" "${me[@]}"
it_assert_eq "202 0" "$IT_STATUS $(it_json cancelled <<<"$IT_BODY")" "1b: cancel of a finished batch: nothing pending to cancel"
it_assert_eq "finished 0 0" "$(it_sql "SELECT status FROM batch_task WHERE id = :b" b="$B2") $(locked_by "$B2" "${bad2[@]}") $(it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND next_retry_at IS NOT NULL" b="$B2")" \
	"1b: still finished; the failed items' tasks are unlocked and no retry is planned"
bf_check_invariant "$B2" "$BF_ME_TOKEN" "1b"
it_assert_no_stale_locks "1b: cancelled finished batch"

# --- 2. the retry window, and the sweep of batch.recover ------------------------------------
failing_batch 2 6 4
B3=$BATCH w=("${TASKS[@]}")
bf_check_invariant "$B3" "$BF_ME_TOKEN" "2"
it_assert_no_stale_locks "2: before the window passes"
# A lock that names no batch at all.
mapfile -t orphan < <(bf_tasks "$BF_N2" "$BF_ME_ID" 1)
it_sql "UPDATE tasks SET lock_kind = 'batch', lock_owner = 'batch:987654321', locked_at = now() WHERE id = :t" \
	t="${orphan[0]}" >/dev/null
# The retry window of three of them opened 25 hours ago.
it_sql "UPDATE batch_task_detail SET created = created - interval '25 hours' WHERE batch_id = :b
	AND task_id = ANY (:'ids'::bigint[])" b="$B3" ids="$(bf_arr_sql "${w[@]:0:3}")" >/dev/null
# The next round reads all of tasks, as one does once a day: it sees a lock no item names.
it_sql "UPDATE tasklock_sweep_mark SET full_to = '-infinity'" >/dev/null
it_ctl enqueue batch.recover '{}' >/dev/null || it_fail "2: flowbatchctl enqueue batch.recover"
swept() {
	[[ $(locked_by "$B3" "${w[@]:0:3}") == 0 &&
		$(it_sql "SELECT count(*) FROM tasks WHERE id = :t AND lock_kind IS NOT NULL" t="${orphan[0]}") == 0 ]]
}
if it_wait_for 20 swept; then
	it_ok "2: the sweep released the items past their window and the lock of no batch"
else
	it_fail "2: not swept: $(locked_by "$B3" "${w[@]:0:3}") past their window still locked"
fi
it_assert_eq 1 "$(locked_by "$B3" "${w[3]}")" "2: the item still within its window keeps its lock"
it_assert_eq "0" "$(it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND task_id = ANY (:'ids'::bigint[])
	AND next_retry_at IS NOT NULL" b="$B3" ids="$(bf_arr_sql "${w[@]:0:3}")")" "2: their retries are dropped"
released=$($PY - "$IT_RUNNER_LOG" <<'PYEOF'
import json, sys
out = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("msg") == "stale batch lock released":
        out.append("%s:%s:%s" % (o.get("batch_id"), o.get("task_id"), o.get("reason")))
print(" ".join(sorted(out)))
PYEOF
)
want=$(printf '%s\n' "$B3:${w[0]}:the retry window has passed" "$B3:${w[1]}:the retry window has passed" \
	"$B3:${w[2]}:the retry window has passed" "0:${orphan[0]}:the batch does not exist" | sort | tr '\n' ' ')
it_assert_eq "${want% }" "$released" "2: one JSON log line per release, with batch and task ids and why"
bf_check_invariant "$B3" "$BF_ME_TOKEN" "2 after the sweep"
it_assert_no_stale_locks "2: after the sweep"
# An item that fails again past its window lets go of its task at once, without a sweep.
it_sql "UPDATE batch_task_detail SET created = created - interval '25 hours' WHERE batch_id = :b AND task_id = :t" \
	b="$B3" t="${w[3]}" >/dev/null
it_curl POST "/api/batch/$B3/retry" "${me[@]}" -H 'Content-Type: application/json' --data-binary "{\"task_ids\":[${w[3]}]}"
it_assert_eq "202 1" "$IT_STATUS $(it_json retrying <<<"$IT_BODY")" "2: retry the last one by hand"
bf_wait_settled "$B3" 30
it_assert_eq "failed|2|0" "$(it_sql "SELECT d.status || '|' || d.retry_count || '|' || (t.lock_kind IS NOT NULL)::int
	FROM batch_task_detail d JOIN tasks t ON t.id = d.task_id WHERE d.batch_id = :b AND d.task_id = :t" b="$B3" t="${w[3]}")" \
	"2: it failed again past its window and its task was unlocked at once"
bf_check_invariant "$B3" "$BF_ME_TOKEN" "2 after the retry"
it_assert_no_stale_locks "2: after a failure past the window"

# --- 3. my new batch takes over the locks of my failed items; never another user's ----------
failing_batch 3 8 5
B4=$BATCH tk=("${TASKS[@]}")
bf_sessions_set running "${tk[@]:0:5}"
mapfile -t fresh < <(bf_tasks "$BF_N2" "$BF_ME_ID" 2)
approve "$BF_ME_TOKEN" "${tk[@]:0:5}" "${fresh[@]}"
it_assert_status 201 "3: a new batch naming the 5 tasks (and 2 more) is accepted"
B5=$BF_BATCH
bf_wait_settled "$B5" 30
it_assert_eq "7 0" "$(bf_count "$B5" success) $(bf_count "$B5" failed)" \
	"3: every item of the new batch succeeded (none 'locked by another batch')"
it_assert_match "^finished 3 0 0 0 5 0$" "$(counts "$B4")" "3: the old batch counts 5 superseded, 0 failed"
it_curl GET "/api/batch/$B4/details?status=superseded" "${me[@]}"
it_assert_eq "5 superseded by batch $B5" "$(it_json total <<<"$IT_BODY") $(it_json items.0.error <<<"$IT_BODY" | cut -d: -f1)" \
	"3: details list the 5 superseded items and the batch that took them over"
bf_check_invariant "$B4" "$BF_ME_TOKEN" "3 old batch"
bf_check_invariant "$B5" "$BF_ME_TOKEN" "3 new batch"
it_assert_eq "5 5" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM task_history WHERE task_id = ANY (:'ids'::bigint[])" \
	ids="$(bf_arr_sql "${tk[@]:0:5}")")" "3: each taken-over task advanced exactly once"
it_assert_no_stale_locks "3: takeover"

# Another user's lock: the other user's batch locked a task that is reassigned to me later.
mapfile -t ot < <(bf_tasks "$BF_N2" "$BF_OTHER_ID" 2)
bf_sessions_set suspended "${ot[@]}"
approve "$BF_OTHER_TOKEN" "${ot[@]}"
it_assert_status 201 "3: the other user's batch of 2 submitted"
B6=$BF_BATCH
bf_wait_settled "$B6" 30
it_sql "UPDATE tasks SET assignee = :u WHERE id = ANY (:'ids'::bigint[])" u="$BF_ME_ID" ids="$(bf_arr_sql "${ot[@]}")" >/dev/null
bf_sessions_set running "${ot[@]}"
approve "$BF_ME_TOKEN" "${ot[@]}"
it_assert_status 201 "3: my batch naming the tasks the other user's batch holds"
B7=$BF_BATCH
bf_wait_settled "$B7" 30
it_assert_eq "failed:locked by another batch (batch $B6)" "$(it_sql "SELECT string_agg(DISTINCT status || ':' || error, ' | ') FROM batch_task_detail WHERE batch_id = :b" b="$B7")" \
	"3: another user's lock is not taken over"
it_assert_eq "2 2" "$(locked_by "$B6" "${ot[@]}") $(bf_count "$B6" failed)" "3: the other user's batch keeps its locks and failed items"
bf_check_invariant "$B7" "$BF_ME_TOKEN" "3 refused takeover"
it_assert_no_stale_locks "3: another user's lock"

# --- 4. errors.xlsx fixed and uploaded again while the failed items hold their locks --------
mapfile -t zj < <(bf_tasks "$BF_N2" "$BF_ME_ID" 2 \
	"jsonb_build_object('reason', '浙江出差 ' || g, 'amount', g, 'category', '差旅', 'province', '浙江', 'city', '杭州')")
mapfile -t gd < <(bf_tasks "$BF_N2" "$BF_ME_ID" 1)
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${zj[@]}" "${gd[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "4: batch of 3 submitted (广州 is not a city of 浙江)"
B8=$BF_BATCH
bf_wait_settled "$B8" 30
it_assert_eq "1 2 2" "$(bf_count "$B8" success) $(bf_count "$B8" failed) $(locked_by "$B8" "${zj[@]}")" \
	"4: 2 failed and still hold their tasks"
it_curl GET "/api/batch/$B8/errors.xlsx" "${me[@]}"
it_assert_status 200 "4: download errors.xlsx"
cp "$IT_DIR/curl.body" "$IT_DIR/err.xlsx"
$PY - "$IT_DIR/err.xlsx" "$IT_DIR/fixed.xlsx" <<'PYEOF' || it_bail "4: fix errors.xlsx with openpyxl"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["审批"]
h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value}
rows = 0
for row in ws.iter_rows(min_row=2):
    if row[h["任务ID"] - 1].value in (None, ""):
        continue
    ws.cell(row=row[0].row, column=h["城市"], value="宁波")
    ws.cell(row=row[0].row, column=h["操作"], value="同意")
    rows += 1
if rows != 2:
    sys.exit("expected 2 failed rows, found %d" % rows)
wb.save(sys.argv[2])
PYEOF
it_curl POST /api/batch/import "${me[@]}" -F "node_id=$BF_N2" \
	-F "file=@$IT_DIR/fixed.xlsx;type=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
it_assert_status 201 "4: the fixed errors.xlsx is imported as a new batch"
B9=$(it_json batch_id <<<"$IT_BODY")
bf_wait_settled "$B9" 30
it_assert_eq "2 0" "$(bf_count "$B9" success) $(bf_count "$B9" failed)" "4: the fixed rows succeed"
it_assert_eq "宁波 宁波" "$(it_sql "SELECT string_agg(s.form_data->>'city', ' ') FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	WHERE t.id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${zj[@]}")")" "4: the fixed value was applied"
it_assert_match "^finished 1 0 0 0 2 0$" "$(counts "$B8")" "4: the old batch's 2 failed items are superseded"
bf_check_invariant "$B8" "$BF_ME_TOKEN" "4 old batch"
bf_check_invariant "$B9" "$BF_ME_TOKEN" "4 new batch"
it_assert_no_stale_locks "4: errors.xlsx uploaded again"

it_done
