#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Batch approval end to end through nginx: a 480-task batch with a planned mix of valid
# items, invalid form values (a required field empty, a dependent select that the batch's
# value breaks), tasks done by someone else before execution, tasks locked by a person,
# suspended sessions and stopped sessions ends with exactly the expected counts and
# reasons (tasks of another user are refused before anything is written); sessions advance (next task for the next assignee, the
# session finishes after the last node, a rejection goes back to the previous node's
# assignee); one history row per success; a 'choose' next node without an assignee is
# refused up front (422) or fails at execution when the named assignee disappeared.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

# No automatic retry here (the recovery scan would re-run the failed items): the counts
# must be final when the batch finishes.
export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2 \
	FLOWBATCH_BATCH_STALE_MINUTES=1 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=3 \
	FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600

bf_own_db
bf_users
bf_app "混合批量"
A_N1=$BF_N1 A_N2=$BF_N2 A_N3=$BF_N3
it_start_web
it_start_nginx

ids_of() { bf_tasks "$@" | tr '\n' ' '; }
# Two tasks of one kind must never share a session; each group has its own sessions.
valid=$(ids_of "$A_N2" "$BF_ME_ID" 370 "$BF_FORM_OK" "$A_N1" "$BF_APPLICANT2_ID") || it_bail "seed valid"
noreason=$(ids_of "$A_N2" "$BF_ME_ID" 20 \
	"jsonb_build_object('reason', '', 'amount', g, 'category', '办公', 'province', '广东', 'city', '深圳')" \
	"$A_N1" "$BF_APPLICANT_ID") || it_bail "seed noreason"
zhejiang=$(ids_of "$A_N2" "$BF_ME_ID" 20 \
	"jsonb_build_object('reason', '杭州出差 ' || g, 'amount', g, 'category', '差旅', 'province', '浙江', 'city', '杭州')" \
	"$A_N1" "$BF_APPLICANT_ID") || it_bail "seed zhejiang"
done_later=$(ids_of "$A_N2" "$BF_ME_ID" 20) || it_bail "seed done"
person=$(ids_of "$A_N2" "$BF_ME_ID" 20) || it_bail "seed person"
suspended=$(ids_of "$A_N2" "$BF_ME_ID" 20) || it_bail "seed suspended"
notmine=$(ids_of "$A_N2" "$BF_OTHER_ID" 20) || it_bail "seed notmine"
stopped=$(ids_of "$A_N2" "$BF_ME_ID" 10) || it_bail "seed stopped"

arr() { tr ' ' '\n' <<<"$1" | grep -c .; }
it_assert_eq 370 "$(arr "$valid")" "370 valid tasks seeded"
arr_sql() { printf '{%s}' "$(tr -s ' ' ',' <<<"${1% }")"; }

it_sql "UPDATE tasks SET lock_kind = 'person', lock_owner = :'clerk', locked_at = now()
	WHERE id = ANY (:'ids'::bigint[])" clerk="$BF_CLERK" ids="$(arr_sql "$person")" >/dev/null
it_sql "UPDATE app_sessions SET state = 'suspended' WHERE id IN
	(SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" ids="$(arr_sql "$suspended")" >/dev/null

# --- the 480-task batch, submitted while no runner runs -------------------------------------
# With another user's tasks among them: one 422 lists those, nothing is written.
all=$(printf '%s\n' $valid $noreason $zhejiang $done_later $person $suspended $notmine $stopped | shuf)
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$A_N2,\"task_ids\":$(bf_ids_json $all),\"examine\":{\"action\":\"approve\"}}"
it_assert_eq "422 $(tr ' ' '\n' <<<"$notmine" | grep . | sort -n | tr '\n' ' ')" \
	"$IT_STATUS $(/usr/bin/python3 -c 'import json,sys; print(" ".join(str(i) for i in sorted(json.loads(sys.stdin.read())["error"]["details"][0]["task_ids"])) + " ")' <<<"$IT_BODY")" \
	"another user's 20 tasks among 500: 422 listing exactly those"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM batch_task")" "the refused submission wrote no batch"
all=$(printf '%s\n' $valid $noreason $zhejiang $done_later $person $suspended $stopped | shuf)
it_assert_eq 480 "$(grep -c . <<<"$all")" "480 task ids in the batch"
body=$(printf '{"node_id":%s,"task_ids":%s,"examine":{"action":"approve","comment":"同意，批量通过"},"form":{"city":"广州","amount":88.5,"note":"批量审批"}}' \
	"$A_N2" "$(bf_ids_json $all)")
t0=$(date +%s%N)
bf_submit "$BF_ME_TOKEN" "$body"
it_assert_status 201 "POST /api/batch with 480 task_ids"
echo "# submission took $((($(date +%s%N) - t0) / 1000000)) ms"
[[ -n $BF_BATCH ]] || it_bail "no batch_id in ${IT_BODY:0:300}"
B=$BF_BATCH
it_assert_eq 480 "$(it_json total <<<"$IT_BODY")" "total in the answer"

# Before execution: the person-locked tasks failed at once.
it_curl GET "/api/batch/$B" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 200 "GET /api/batch/$B"
it_assert_eq "init 20 460" "$(it_json status <<<"$IT_BODY") $(it_json failed <<<"$IT_BODY") $(it_json pending <<<"$IT_BODY")" \
	"before execution: 20 failed at submission, 460 pending"
bf_check_invariant "$B" "$BF_ME_TOKEN" "after submission"
it_assert_eq 460 "$(bf_locked_by "$B")" "460 tasks locked by the batch at submission"

# Between submission and execution: someone else finishes 20 tasks; 10 sessions stop.
it_sql "UPDATE tasks SET state = 'done', finished = now() WHERE id = ANY (:'ids'::bigint[])" \
	ids="$(arr_sql "$done_later")" >/dev/null
it_sql "UPDATE app_sessions SET state = 'stopped' WHERE id IN
	(SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" ids="$(arr_sql "$stopped")" >/dev/null

it_start_runner
bf_wait_settled "$B" 60

it_curl GET "/api/batch/$B" -H "Authorization: Bearer $BF_ME_TOKEN"
counts=$(/usr/bin/python3 -c 'import json,sys; b=json.loads(sys.stdin.read()); print(b["status"], *[b[k] for k in ("total","success","failed","ignored","cancelled","pending")], b["progress"], b["eta_seconds"])' <<<"$IT_BODY")
it_assert_eq "finished 480 370 80 30 0 0 1.0 0" "$counts" \
	"status total success failed ignored cancelled pending progress eta"
bf_check_invariant "$B" "$BF_ME_TOKEN" "after execution"
it_assert_no_stale_locks "planned mix"

# Reasons, group by group (status:error, one distinct value per group).
outcome() {
	it_sql "SELECT string_agg(DISTINCT status || ':' || coalesce(error, ''), ' | ')
		FROM batch_task_detail WHERE batch_id = :b AND task_id = ANY (:'ids'::bigint[])" \
		b="$B" ids="$(arr_sql "$1")"
}
it_assert_eq "success:" "$(outcome "$valid")" "valid items succeeded"
it_assert_match '^failed:"事由" \(reason\): is required$' "$(outcome "$noreason")" \
	"an empty required field the batch does not set fails with its label"
it_assert_match '^failed:"城市" \(city\): "广州" is not an option when "省份" is "浙江"$' \
	"$(outcome "$zhejiang")" "a dependent select invalid under the stored parent fails"
it_assert_eq "ignored:the task is no longer pending" "$(outcome "$done_later")" \
	"tasks done before execution are ignored"
it_assert_eq "failed:locked by $BF_CLERK, who is handling it in person" "$(outcome "$person")" \
	"tasks locked by a person fail"
it_assert_eq "failed:the process instance is suspended" "$(outcome "$suspended")" \
	"suspended sessions fail"
it_assert_eq "ignored:the process instance is stopped" "$(outcome "$stopped")" \
	"stopped sessions are ignored"

# The API shows the same reasons, UTF-8 intact through nginx.
it_curl GET "/api/batch/$B/details?status=failed&page_size=500" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 200 "GET details?status=failed"
api_reasons=$(/usr/bin/python3 -c '
import json, sys, collections
d = json.loads(sys.stdin.read())
c = collections.Counter(i["error"] for i in d["items"])
print(d["total"], len(d["items"]), " | ".join("%s=%d" % kv for kv in sorted(c.items())))' <<<"$IT_BODY")
sql_reasons=$(it_sql "SELECT count(*) || ' ' || count(*) || ' ' || (SELECT string_agg(e || '=' || n, ' | ' ORDER BY e COLLATE \"C\")
	FROM (SELECT error e, count(*) n FROM batch_task_detail WHERE batch_id = :b AND status = 'failed' GROUP BY 1) x)
	FROM batch_task_detail WHERE batch_id = :b AND status = 'failed'" b="$B")
it_assert_eq "$sql_reasons" "$api_reasons" "API details = detail rows (reasons and counts)"

# Sessions advanced: next node, merged form, next task for the fixed assignee, history.
it_assert_eq 370 "$(it_sql "SELECT count(*) FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	WHERE t.id = ANY (:'ids'::bigint[]) AND t.state = 'done' AND t.lock_kind IS NULL
	AND t.finished IS NOT NULL AND s.current_node_id = :n3 AND s.state = 'running'
	AND s.outcome IS NULL AND s.form_data->>'city' = '广州' AND (s.form_data->>'amount')::numeric = 88.5
	AND s.form_data->>'province' = '广东' AND s.form_data->>'reason' LIKE '出差报销 %'
	AND s.form_data->>'note' = '批量审批'
	AND (SELECT count(*) FROM tasks n WHERE n.session_id = s.id AND n.node_id = :n3
	     AND n.state = 'pending' AND n.assignee = :rev AND n.lock_kind IS NULL) = 1" \
	ids="$(arr_sql "$valid")" n3="$A_N3" rev="$BF_REVIEWER_ID")" \
	"370 sessions at the next node with the merged form and one pending task for the reviewer"
it_assert_eq "370 370 0" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT task_id) || ' ' ||
	count(*) FILTER (WHERE actor <> :me OR action <> 'approve' OR comment <> '同意，批量通过'
	  OR node_id <> :n2 OR form_diff->'city'->>'old' <> '深圳' OR form_diff->'city'->>'new' <> '广州')
	FROM task_history WHERE batch_id = :b" b="$B" me="$BF_ME_ID" n2="$A_N2")" \
	"one history row per success, with actor, action, comment and the form diff"
it_assert_eq "" "$(bf_history_dupes "$B")" "no task has two history rows"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_history WHERE batch_id = :b AND NOT task_id = ANY (:'ids'::bigint[])" \
	b="$B" ids="$(arr_sql "$valid")")" "no history for items that did not succeed"

# Failed and ignored tasks: untouched, and locked or not as they should be.
it_assert_eq 100 "$(it_sql "SELECT count(*) FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	WHERE t.id = ANY (:'ids'::bigint[]) AND t.state = 'pending' AND s.current_node_id = :n2
	AND s.form_data->>'city' IS DISTINCT FROM '广州'" \
	ids="$(arr_sql "$noreason $zhejiang $person $suspended $notmine")" n2="$A_N2")" \
	"failed tasks stay pending at their node with their form unchanged"
it_assert_eq 60 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_owner = 'batch:' || :b" \
	ids="$(arr_sql "$noreason $zhejiang $suspended")" b="$B")" \
	"retryable failures keep the batch lock"
it_assert_eq 20 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_kind = 'person' AND lock_owner = :'c'" \
	ids="$(arr_sql "$person")" c="$BF_CLERK")" "the person keeps the lock"
it_assert_eq 50 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_kind IS NULL" \
	ids="$(arr_sql "$notmine $done_later $stopped")")" "another user's and ignored tasks are not locked"
it_assert_eq "1 0" "$(it_sql "SELECT max(retry_count) FILTER (WHERE status = 'failed') || ' ' ||
	count(*) FILTER (WHERE task_id = ANY (:'nm'::bigint[]))
	FROM batch_task_detail WHERE batch_id = :b" nm="$(arr_sql "$notmine")" b="$B")" \
	"retry_count: the failed items have tries left; no item for another user's task"

# --- approval at the last node, rejection to the previous assignee, rejection at the first ---
last=$(ids_of "$A_N3" "$BF_ME_ID" 30 "$BF_FORM_OK" "$A_N2" "$BF_OTHER_ID") || it_bail "seed last"
it_sql "UPDATE app_sessions SET current_node_id = :n3 WHERE id IN (SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" \
	n3="$A_N3" ids="$(arr_sql "$last")" >/dev/null
rej=$(ids_of "$A_N2" "$BF_ME_ID" 25 "$BF_FORM_OK" "$A_N1" "$BF_APPLICANT2_ID") || it_bail "seed rej"
first=$(ids_of "$A_N1" "$BF_ME_ID" 5) || it_bail "seed first"
it_sql "UPDATE app_sessions SET current_node_id = :n1 WHERE id IN (SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" \
	n1="$A_N1" ids="$(arr_sql "$first")" >/dev/null

bf_submit "$BF_ME_TOKEN" "{\"node_id\":$A_N3,\"task_ids\":$(bf_ids_json $last),\"examine\":{\"action\":\"approve\"},\"form\":{\"note\":\"终审通过\"}}"
it_assert_status 201 "approve at the last node"
BL=$BF_BATCH
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$A_N2,\"task_ids\":$(bf_ids_json $rej),\"examine\":{\"action\":\"reject\",\"comment\":\"退回修改\"}}"
it_assert_status 201 "reject at the middle node"
BR=$BF_BATCH
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$A_N1,\"task_ids\":$(bf_ids_json $first),\"examine\":{\"action\":\"reject\"}}"
it_assert_status 201 "reject at the first node"
BF1=$BF_BATCH
for b in $BL $BR $BF1; do
	bf_wait_settled "$b" 30
done
bf_check_invariant "$BL" "$BF_ME_TOKEN" "last node"
bf_check_invariant "$BR" "$BF_ME_TOKEN" "reject"
bf_check_invariant "$BF1" "$BF_ME_TOKEN" "reject at the first node"
it_assert_no_stale_locks "last node and rejects"
it_assert_eq "30 25 5" "$(bf_count "$BL" success) $(bf_count "$BR" success) $(bf_count "$BF1" success)" \
	"all succeeded"
it_assert_eq 30 "$(it_sql "SELECT count(*) FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	WHERE t.id = ANY (:'ids'::bigint[]) AND t.state = 'done' AND s.state = 'finished'
	AND s.outcome = 'approved' AND s.finished IS NOT NULL AND s.form_data->>'note' = '终审通过'
	AND NOT EXISTS (SELECT 1 FROM tasks n WHERE n.session_id = s.id AND n.state = 'pending')" \
	ids="$(arr_sql "$last")")" "approval at the last node finishes the sessions (approved), no new task"
it_assert_eq 25 "$(it_sql "SELECT count(*) FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	WHERE t.id = ANY (:'ids'::bigint[]) AND t.state = 'done' AND s.state = 'running'
	AND s.current_node_id = :n1 AND s.outcome IS NULL
	AND (SELECT count(*) FROM tasks n WHERE n.session_id = s.id AND n.node_id = :n1
	     AND n.state = 'pending' AND n.assignee = :a2) = 1" \
	ids="$(arr_sql "$rej")" n1="$A_N1" a2="$BF_APPLICANT2_ID")" \
	"a rejection goes back to whoever did the previous node (not the node's default assignee)"
it_assert_eq "25 reject 退回修改" "$(it_sql "SELECT count(*) || ' ' || min(action) || ' ' || min(comment) FROM task_history WHERE batch_id = :b" b="$BR")" \
	"rejection history"
it_assert_eq 5 "$(it_sql "SELECT count(*) FROM tasks t JOIN app_sessions s ON s.id = t.session_id
	WHERE t.id = ANY (:'ids'::bigint[]) AND s.state = 'finished' AND s.outcome = 'rejected'
	AND NOT EXISTS (SELECT 1 FROM tasks n WHERE n.session_id = s.id AND n.state = 'pending')" \
	ids="$(arr_sql "$first")")" "a rejection at the first node finishes the session (rejected)"

# --- a 'choose' next node --------------------------------------------------------------------
it_stop_runner TERM 20 || it_fail "runner did not drain on SIGTERM"
bf_app "选择复核"
C_N2=$BF_N2 C_N3=$BF_N3
cx=$(ids_of "$C_N2" "$BF_ME_ID" 15) || it_bail "seed cx"
cy=$(ids_of "$C_N2" "$BF_ME_ID" 15) || it_bail "seed cy"
cz=$(ids_of "$C_N2" "$BF_ME_ID" 15) || it_bail "seed cz"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$C_N2,\"task_ids\":$(bf_ids_json $cx),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "batch X submitted while the next node is 'fixed'"
BX=$BF_BATCH
# The next node becomes 'choose' before X runs.
it_sql "UPDATE nodes SET assignee_rule = 'choose', assignee_id = NULL WHERE id = :n" n="$C_N3" >/dev/null

bf_submit "$BF_ME_TOKEN" "{\"node_id\":$C_N2,\"task_ids\":$(bf_ids_json $cy),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 422 "a 'choose' next node without an assignee is refused up front"
it_assert_eq "validation_failed assignee.user" \
	"$(it_json error.code <<<"$IT_BODY") $(it_json error.details.0.field <<<"$IT_BODY")" \
	"422 envelope names assignee.user"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$C_N2,\"task_ids\":$(bf_ids_json $cy),\"examine\":{\"action\":\"approve\"},\"assignee\":{\"user\":\"nosuch_$BF_TAG\"}}"
it_assert_status 422 "an assignee that does not exist is refused up front"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_kind IS NOT NULL" \
	ids="$(arr_sql "$cy")")" "a refused submission locks nothing"
tmp_login=${BF_TAG}_tmp
bf_user "$tmp_login" "临时复核人" >/dev/null || it_bail "tmp user"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$C_N2,\"task_ids\":$(bf_ids_json $cy),\"examine\":{\"action\":\"approve\"},\"assignee\":{\"user\":\"$tmp_login\"}}"
it_assert_status 201 "batch Y names an existing assignee"
BY=$BF_BATCH
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$C_N2,\"task_ids\":$(bf_ids_json $cz),\"examine\":{\"action\":\"approve\"},\"assignee\":{\"user\":\"$BF_REVIEWER2\"}}"
it_assert_status 201 "batch Z names the second reviewer"
BZ=$BF_BATCH
# Y's assignee disappears before Y runs.
it_sql "UPDATE users SET login = login || '_gone' WHERE login = :'l'" l="$tmp_login" >/dev/null

it_start_runner
for b in $BX $BY $BZ; do
	bf_wait_settled "$b" 30
done
bf_check_invariant "$BX" "$BF_ME_TOKEN" "choose X"
bf_check_invariant "$BY" "$BF_ME_TOKEN" "choose Y"
bf_check_invariant "$BZ" "$BF_ME_TOKEN" "choose Z"
it_assert_no_stale_locks "choose nodes"
it_assert_eq "failed:the next node \"财务复核\" needs an assignee" "$(B=$BX outcome "$cx")" \
	"X: the next node needs an assignee"
it_assert_eq "failed:the next assignee \"$tmp_login\" does not exist" "$(B=$BY outcome "$cy")" \
	"Y: the named assignee no longer exists"
it_assert_eq "success:" "$(B=$BZ outcome "$cz")" "Z succeeded"
it_assert_eq 15 "$(it_sql "SELECT count(*) FROM tasks t JOIN tasks n ON n.session_id = t.session_id
	AND n.node_id = :n3 AND n.state = 'pending' AND n.assignee = :r2 WHERE t.id = ANY (:'ids'::bigint[])" \
	n3="$C_N3" r2="$BF_REVIEWER2_ID" ids="$(arr_sql "$cz")")" "Z: next tasks for the chosen assignee"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_history WHERE batch_id IN (:x, :y)" x="$BX" y="$BY")" \
	"no history for X and Y"

it_done
