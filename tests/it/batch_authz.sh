#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Who may do what with a batch: another user cannot see, list, retry or cancel my batch
# (404, as for a batch that does not exist), nor approve my tasks by naming their ids
# (their items fail "not assigned to you"; the tasks stay untouched and unlocked).
# Cancelling my own running batch cancels its pending items and unlocks their tasks.
# Bad input gets 400/404/413/415/422 with the JSON error envelope, and writes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2 \
	FLOWBATCH_BATCH_STALE_MINUTES=1 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=3 \
	FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600 FLOWBATCH_BATCH_MAX_TASKS=1000

bf_own_db
bf_users
bf_app "权限"
it_start_web
it_start_nginx

me=(-H "Authorization: Bearer $BF_ME_TOKEN")
other=(-H "Authorization: Bearer $BF_OTHER_TOKEN")
json=(-H 'Content-Type: application/json')

# envelope STATUS CODE MSG: the last answer has that status and {"error":{"code","message"}}.
envelope() {
	local code msg
	code=$(it_json error.code <<<"$IT_BODY")
	msg=$(it_json error.message <<<"$IT_BODY")
	if [[ $IT_STATUS == "$1" && $code == "$2" && -n $msg ]]; then
		it_ok "$3 ($1 $2: $msg)"
	else
		it_fail "$3: expected $1 $2 with a message, got HTTP $IT_STATUS ${IT_BODY:0:300}"
	fi
}

# --- my cancelled running batch -----------------------------------------------------------------
mapfile -t mine < <(bf_tasks "$BF_N2" "$BF_ME_ID" 500)
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${mine[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "my batch of 500 submitted"
B=$BF_BATCH
# One executor (no helper, and no reclaim of its job while it waits), chunks of 50; the
# third chunk waits on a task held elsewhere.
bf_blocker_start "${mine[120]}" 60
it_start_runner FLOWBATCH_BATCH_MAX_CONCURRENCY=1 FLOWBATCH_BATCH_CHUNK_SIZE=50 \
	FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=120
two_chunks() {
	(($(bf_count "$B" success) >= 100))
}
it_wait_for 30 two_chunks || it_fail "the batch did not get going"
it_assert_eq running "$(it_sql "SELECT status FROM batch_task WHERE id = :b" b="$B")" "my batch is running"

# --- another user and my batch ---------------------------------------------------------------
it_curl GET "/api/batch/$B" "${other[@]}"
envelope 404 not_found "another user cannot see my batch"
it_curl GET "/api/batch/$B/details" "${other[@]}"
envelope 404 not_found "nor its details"
it_curl POST "/api/batch/$B/retry" "${other[@]}"
envelope 404 not_found "nor retry it"
it_curl POST "/api/batch/$B/cancel" "${other[@]}"
envelope 404 not_found "nor cancel it"
it_curl GET "/api/batches" "${other[@]}"
it_assert_eq "200 0" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "nor list it"
it_curl GET "/api/batch/99999999" "${me[@]}"
envelope 404 not_found "a batch that does not exist looks the same"
it_assert_eq running "$(it_sql "SELECT status FROM batch_task WHERE id = :b" b="$B")" \
	"the other user's cancel changed nothing"

# I cancel it while the third chunk is in flight: the cancel waits for that chunk.
curl -sS --max-time 60 -X POST -o "$IT_DIR/cancel.body" -w '%{http_code}' "${me[@]}" \
	"$IT_BASE/api/batch/$B/cancel" >"$IT_DIR/cancel.status" 2>&1 &
cpid=$!
sleep 1
bf_blocker_stop
wait "$cpid"
it_assert_eq 202 "$(cat "$IT_DIR/cancel.status")" "POST cancel of my running batch"
it_assert_eq 350 "$(it_json cancelled <"$IT_DIR/cancel.body")" "350 pending items cancelled"
bf_wait_settled "$B" 30
bf_check_invariant "$B" "$BF_ME_TOKEN" "cancelled"
it_assert_no_stale_locks "cancelled batch"
it_curl GET "/api/batch/$B" "${me[@]}"
it_assert_eq "cancelled 150 350 0" "$(it_json status <<<"$IT_BODY") $(it_json success <<<"$IT_BODY") $(it_json cancelled <<<"$IT_BODY") $(it_json pending <<<"$IT_BODY")" \
	"status cancelled: 150 done, 350 cancelled"
it_assert_eq "350 0 350" "$(it_sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE t.lock_kind IS NOT NULL) || ' ' ||
	count(*) FILTER (WHERE t.state = 'pending') FROM batch_task_detail d JOIN tasks t ON t.id = d.task_id
	WHERE d.batch_id = :b AND d.status = 'cancelled'" b="$B")" "the cancelled items' tasks are unlocked and pending"
it_assert_eq 0 "$(bf_locked_by "$B")" "nothing left locked by the cancelled batch"
it_assert_eq 150 "$(it_sql "SELECT count(*) FROM task_history WHERE batch_id = :b" b="$B")" \
	"history only for the items done before the cancel"
it_curl POST "/api/batch/$B/retry" "${me[@]}"
envelope 409 conflict "a cancelled batch cannot be retried"
sleep 1.5
it_assert_eq 350 "$(bf_count "$B" cancelled)" "the cancelled items stay cancelled"

# Items left pending in a cancelled batch (a chunk that rolled back after the cancel, a
# deferred item) are cancelled by the next executor that looks at the batch.
it_stop_runner TERM 20 || it_fail "runner did not drain"
mapfile -t left < <(bf_tasks "$BF_N2" "$BF_ME_ID" 20)
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${left[@]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "a batch of 20 submitted"
BC=$BF_BATCH
it_sql "UPDATE batch_task SET status = 'cancelled', finished = now() WHERE id = :b" b="$BC" >/dev/null
it_start_runner
swept() {
	[[ $(bf_count "$BC" cancelled) == 20 ]]
}
it_wait_for 20 swept || it_fail "pending items of a cancelled batch: $(bf_count "$BC" pending) still pending"
bf_check_invariant "$BC" "$BF_ME_TOKEN" "swept"
it_assert_no_stale_locks "swept batch"
it_assert_eq 0 "$(bf_locked_by "$BC")" "the swept items' tasks are unlocked"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_history WHERE batch_id = :b" b="$BC")" "nothing approved"

# --- another user names my tasks ---------------------------------------------------------------
mapfile -t mine2 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 10)
before=$(it_sql "SELECT md5(string_agg(t::text || s.form_data::text || s.current_node_id, ',' ORDER BY t.id))
	FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE t.id = ANY (:'ids'::bigint[])" \
	ids="{$(IFS=,; echo "${mine2[*]}")}")
bf_submit "$BF_OTHER_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${mine2[@]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "the other user's batch naming my tasks is accepted"
BO=$BF_BATCH
bf_wait_settled "$BO" 30
bf_check_invariant "$BO" "$BF_OTHER_TOKEN" "other user's batch"
it_assert_no_stale_locks "other user's batch"
it_assert_eq "failed:this task is not assigned to you" "$(it_sql "SELECT string_agg(DISTINCT status || ':' || error, ' | ')
	FROM batch_task_detail WHERE batch_id = :b" b="$BO")" "every item failed: not assigned to you"
after=$(it_sql "SELECT md5(string_agg(t::text || s.form_data::text || s.current_node_id, ',' ORDER BY t.id))
	FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE t.id = ANY (:'ids'::bigint[])" \
	ids="{$(IFS=,; echo "${mine2[*]}")}")
it_assert_eq "$before" "$after" "my tasks and sessions are untouched (and were never locked)"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_history WHERE task_id = ANY (:'ids'::bigint[])" ids="{$(IFS=,; echo "${mine2[*]}")}")" \
	"no history for my tasks"
it_curl GET "/api/batch/$BO" "${me[@]}"
envelope 404 not_found "I cannot see the other user's batch either"

# --- bad input -----------------------------------------------------------------------------
t1=${mine2[0]}
nbatches=$(it_sql "SELECT count(*) FROM batch_task")
post() {
	it_curl POST /api/batch "${me[@]}" "${json[@]}" --data-binary "$1"
}
ok_body="\"node_id\":$BF_N2,\"task_ids\":[$t1],\"examine\":{\"action\":\"approve\"}"
post "{$ok_body,\"bogus\":1}"
envelope 400 bad_request "an unknown member"
post "{\"node_id\":$BF_N2,\"task_ids\":[$t1],\"examine\":{\"action\":\"approve\",\"why\":\"x\"}}"
envelope 400 bad_request "an unknown member in examine"
post "{$ok_body,\"filter\":{}}"
envelope 400 bad_request "both task_ids and filter"
post "{\"node_id\":$BF_N2,\"examine\":{\"action\":\"approve\"}}"
envelope 400 bad_request "neither task_ids nor filter"
post "{\"node_id\":$BF_N2,\"task_ids\":[$t1],\"examine\":{\"action\":\"maybe\"}}"
envelope 400 bad_request "an action other than approve or reject"
post "{\"node_id\":$BF_N2,\"task_ids\":[$t1]}"
envelope 400 bad_request "no examine"
post "{\"node_id\":$BF_N2,\"task_ids\":[$t1,$t1],\"examine\":{\"action\":\"approve\"}}"
envelope 400 bad_request "a task listed twice"
post "{\"node_id\":$BF_N2,\"task_ids\":[\"$t1\"],\"examine\":{\"action\":\"approve\"}}"
envelope 400 bad_request "a task id that is not a number"
post "{\"node_id\":$BF_N2,\"task_ids\":[-5],\"examine\":{\"action\":\"approve\"}}"
envelope 400 bad_request "a negative task id"
post "{$ok_body,\"form\":{\"reason\":\"改事由\"}}"
envelope 422 validation_failed "a form value for a field that is not writable here"
it_assert_eq reason "$(it_json error.details.0.field <<<"$IT_BODY")" "the 422 names the field"
post "{$ok_body,\"form\":{\"city\":\"北京\"}}"
envelope 422 validation_failed "a select value that is not an option"
post "{$ok_body,\"form\":{\"amount\":\"很多\"}}"
envelope 422 validation_failed "a number field given text"
post "{\"node_id\":$BF_N2,\"task_ids\":[$t1,999999999],\"examine\":{\"action\":\"approve\"}}"
envelope 422 validation_failed "a task id that does not exist"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = :t AND lock_kind IS NOT NULL" t="$t1")" \
	"a refused submission leaves the existing task unlocked"
post "{\"node_id\":$BF_N2,\"task_ids\":[$t1],\"examine\":{\"action\":\"approve\",\"comment\":\"$(printf '长%.0s' $(seq 1 2001))\"}}"
envelope 422 validation_failed "a comment over 2000 characters"
post "{\"node_id\":999999999,\"task_ids\":[$t1],\"examine\":{\"action\":\"approve\"}}"
envelope 404 not_found "a node that does not exist"
max=$FLOWBATCH_BATCH_MAX_TASKS
/usr/bin/python3 -c "import json,sys; print(json.dumps({'node_id': $BF_N2, 'task_ids': list(range(1, $max + 2)), 'examine': {'action': 'approve'}}))" >"$IT_DIR/big.json"
it_curl POST /api/batch "${me[@]}" "${json[@]}" --data-binary "@$IT_DIR/big.json"
envelope 413 too_large "more than batch.max_tasks ($max) task ids"
it_curl POST /api/batch "${me[@]}" -H 'Content-Type: text/plain' --data-binary "{$ok_body}"
envelope 415 unsupported_media_type "a body that is not application/json"
post "{\"node_id\":$BF_N2,"
envelope 400 bad_request "malformed JSON"
post "[1,2]"
envelope 400 bad_request "JSON that is not an object"
it_curl GET "/api/batch/$B/details?status=bogus" "${me[@]}"
envelope 400 bad_request "details with an unknown status"
it_curl GET "/api/batches?page=0" "${me[@]}"
envelope 400 bad_request "page 0"
it_curl POST "/api/batch/$B/retry" "${me[@]}" "${json[@]}" --data-binary '{"task_ids":"all"}'
envelope 400 bad_request "retry with task_ids that is not an array"
it_curl POST /api/batch "${json[@]}" --data-binary "{$ok_body}"
envelope 401 unauthorized "no token"
it_assert_eq "$nbatches" "$(it_sql "SELECT count(*) FROM batch_task")" "no refused request created a batch"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = :t AND lock_kind IS NOT NULL" t="$t1")" \
	"and none locked a task"
it_assert_no_stale_locks "after the refused requests"

it_done
