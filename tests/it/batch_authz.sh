#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Who may do what with a batch: another user cannot see, list, retry or cancel my batch
# (404, as for a batch that does not exist), nor name my tasks in a submission: one 422
# lists every id that is not the caller's task at that node, word for word the same for an
# id that does not exist, and nothing is written.  A node's form answers only a user with
# pending tasks there (404 otherwise, as for a node that does not exist).  Items already
# stored that name another user's task show nothing of it (details, errors.xlsx).
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
mapfile -t theirs < <(bf_tasks "$BF_N2" "$BF_OTHER_ID" 2)
mine_n1=$(bf_tasks "$BF_N1" "$BF_ME_ID" 1)
before=$(it_sql "SELECT md5(string_agg(t::text || s.form_data::text || s.current_node_id, ',' ORDER BY t.id))
	FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE t.id = ANY (:'ids'::bigint[])" \
	ids="{$(IFS=,; echo "${mine2[*]}")}")
nbatches=$(it_sql "SELECT count(*) FROM batch_task")
unknown=$(it_sql "SELECT coalesce(max(id), 0) + 1000 FROM tasks")
# refused TOKEN IDS: submit; REFUSED is the status and the answer with every number as N.
refused() {
	bf_submit "$1" "{\"node_id\":$BF_N2,\"task_ids\":$2,\"examine\":{\"action\":\"approve\"}}"
	REFUSED="$IT_STATUS $(sed -E 's/[0-9]+/N/g' <<<"$IT_BODY")"
}
refused "$BF_OTHER_TOKEN" "[${mine2[0]}]"
foreign_body=$REFUSED
echo "# 422 for another user's task ${mine2[0]}: $IT_BODY"
refused "$BF_OTHER_TOKEN" "[$unknown]"
unknown_body=$REFUSED
echo "# 422 for a task id that does not exist ($unknown): $IT_BODY"
it_assert_match '^422 .*"code":"validation_failed"' "$foreign_body" "naming another user's task: 422"
it_assert_eq "$foreign_body" "$unknown_body" "an unknown id gets the same answer, word for word"
bf_submit "$BF_OTHER_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":[${mine2[0]}],\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"北京\"}}"
it_assert_eq "422 1" "$IT_STATUS $(/usr/bin/python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read())["error"]["details"]))' <<<"$IT_BODY")" \
	"with a bad form too: only the task ids are reported"
if grep -qE '报销单|title|标题|城市|option' <<<"$IT_BODY"; then
	it_fail "the refusal says something about the task or the form: $IT_BODY"
else
	it_ok "the refusal names no title, no field and no option"
fi
bf_submit "$BF_OTHER_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${theirs[0]}" "${mine2[@]:0:3}" "$unknown" "${theirs[1]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 422 "their own tasks mixed with mine and an unknown id: refused"
it_assert_eq "${mine2[0]},${mine2[1]},${mine2[2]},$unknown" \
	"$(/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read())["error"]["details"]; print(len(d), ",".join(str(i) for i in d[0]["task_ids"]))' <<<"$IT_BODY" | sed 's/^1 //')" \
	"one detail lists exactly the ids that are not theirs, in the order given"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${mine2[0]}" "$mine_n1"),\"examine\":{\"action\":\"approve\"}}"
it_assert_eq "422 $mine_n1" "$IT_STATUS $(it_json error.details.0.task_ids.0 <<<"$IT_BODY")" \
	"my own task at another node is refused too"
bf_submit "$BF_OTHER_TOKEN" "{\"node_id\":999999999,\"task_ids\":[${mine2[0]}],\"examine\":{\"action\":\"approve\"}}"
it_assert_eq "422 ${mine2[0]}" "$IT_STATUS $(it_json error.details.0.task_ids.0 <<<"$IT_BODY")" \
	"a node that does not exist: the same refusal"
it_sql "UPDATE tasks SET assignee = :o WHERE id = ANY (:'ids'::bigint[])" o="$BF_ME_ID" \
	ids="{${theirs[0]},${theirs[1]}}" >/dev/null
bf_submit "$BF_OTHER_TOKEN" "{\"node_id\":$BF_N2,\"filter\":{\"keyword\":\"报销单\"},\"examine\":{\"action\":\"approve\"}}"
it_assert_eq "422 validation_failed" "$IT_STATUS $(it_json error.code <<<"$IT_BODY")" \
	"a filter matching only my tasks selects none of them"
it_sql "UPDATE tasks SET assignee = :o WHERE id = ANY (:'ids'::bigint[])" o="$BF_OTHER_ID" \
	ids="{${theirs[0]},${theirs[1]}}" >/dev/null
after=$(it_sql "SELECT md5(string_agg(t::text || s.form_data::text || s.current_node_id, ',' ORDER BY t.id))
	FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE t.id = ANY (:'ids'::bigint[])" \
	ids="{$(IFS=,; echo "${mine2[*]}")}")
it_assert_eq "$before" "$after" "my tasks and sessions are untouched (and were never locked)"
it_assert_eq "$nbatches 0" "$(it_sql "SELECT count(*) FROM batch_task") $(it_sql "SELECT count(*) FROM batch_task_detail WHERE task_id = ANY (:'ids'::bigint[])" ids="{$(IFS=,; echo "${mine2[*]}")}")" \
	"no batch and no item was written"

# --- a node's form -----------------------------------------------------------------------------
it_curl GET "/api/batch/nodes/$BF_N2/form" "${me[@]}"
it_assert_eq "200 $BF_N2" "$IT_STATUS $(it_json node_id <<<"$IT_BODY")" "my node's form"
it_curl GET "/api/batch/nodes/$BF_N3/form" "${me[@]}"
form_other=$(printf '%s %s' "$IT_STATUS" "$(sed -E 's/[0-9]+/N/g' <<<"$IT_BODY")")
it_curl GET "/api/batch/nodes/999999999/form" "${me[@]}"
form_unknown=$(printf '%s %s' "$IT_STATUS" "$(sed -E 's/[0-9]+/N/g' <<<"$IT_BODY")")
it_assert_match '^404 .*"not_found"' "$form_other" "a node where I have no pending task: 404"
it_assert_eq "$form_unknown" "$form_other" "the same 404 as a node that does not exist"
it_curl GET "/api/batch/nodes/$BF_N1/form" "${me[@]}"
it_assert_status 200 "a node where I have a pending task elsewhere in the app"
it_curl GET "/api/batch/nodes/$BF_N1/form" "${other[@]}"
envelope 404 not_found "another user without tasks there gets 404"

# --- items stored before submissions were checked ---------------------------------------------
# The other user's finished batch whose failed items name my tasks (as submissions once
# stored them): its reads show nothing of my tasks.
marker="私密标题_$$"
it_sql "UPDATE app_sessions SET title = :'m', form_data = form_data || jsonb_build_object('note', :'m')
	WHERE id IN (SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" m="$marker" \
	ids="{${mine2[3]},${mine2[4]}}" >/dev/null
BO=$(it_sql "WITH b AS (INSERT INTO batch_task (app_version_id, node_id, status, total, failed,
	creator, finished) VALUES (:av, :n, 'finished', 3, 3, :o, now()) RETURNING id),
	d AS (INSERT INTO batch_task_detail (batch_id, task_id, status, error, retry_count, finished)
	SELECT b.id, x.t, 'failed', 'this task is not assigned to you', 3, now()
	FROM b, (VALUES (:t1::bigint), (:t2::bigint), (:t3::bigint)) x(t))
	SELECT id FROM b" av="$BF_AV" n="$BF_N2" o="$BF_OTHER_ID" t1="${mine2[3]}" t2="${mine2[4]}" \
	t3="${theirs[0]}")
it_curl GET "/api/batch/$BO/details" "${other[@]}"
it_assert_eq 200 "$IT_STATUS" "the other user reads the details of their batch"
if grep -qF "$marker" <<<"$IT_BODY"; then
	it_fail "details show my task's title: ${IT_BODY:0:400}"
else
	it_ok "details show nothing of my tasks"
fi
it_assert_match '报销单' "$IT_BODY" "details still show the titles of their own task"
curl -sS -o "$IT_DIR/errors.xlsx" -w '%{http_code}' "${other[@]}" "$IT_BASE/api/batch/$BO/errors.xlsx" \
	>"$IT_DIR/errors.status" 2>&1
it_assert_eq 200 "$(cat "$IT_DIR/errors.status")" "the other user downloads errors.xlsx"
leaked=$(/usr/bin/python3 -c '
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(sum(z.read(n).decode("utf-8", "replace").count(sys.argv[2]) for n in z.namelist()))' \
	"$IT_DIR/errors.xlsx" "$marker")
it_assert_eq 0 "$leaked" "errors.xlsx holds neither the title nor a form field of my tasks"

# --- bad input -----------------------------------------------------------------------------
t1=${mine2[5]}
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
it_assert_eq 999999999 "$(it_json error.details.0.task_ids.0 <<<"$IT_BODY")" "the 422 lists it"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = :t AND lock_kind IS NOT NULL" t="$t1")" \
	"a refused submission leaves the existing task unlocked"
post "{\"node_id\":$BF_N2,\"task_ids\":[$t1],\"examine\":{\"action\":\"approve\",\"comment\":\"$(printf '长%.0s' $(seq 1 2001))\"}}"
envelope 422 validation_failed "a comment over 2000 characters"
post "{\"node_id\":999999999,\"task_ids\":[$t1],\"examine\":{\"action\":\"approve\"}}"
envelope 422 validation_failed "a node that does not exist: my task is not at that node"
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
