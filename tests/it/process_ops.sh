#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Each bulk process operation on a mix of sessions in every state: exact success /
# ignored counts and reasons, the sessions, tasks and locks afterwards, one proc_log row
# per session, one action_log row per operation; suspend pauses task timeouts and resume
# restarts them; a suspended session's tasks fail in a batch ("suspended") and are
# approvable again after resume.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"

pf_setup "批量流程"
it_start_web
it_start_nginx
it_start_runner

# mix: 3 running, 2 suspended, 2 stopped, 2 finished, 1 deleted; prints the ids (MIX_*).
mix() {
	mapfile -t MIX_RUN < <(pf_sessions running 3)
	mapfile -t MIX_SUS < <(pf_sessions suspended 2)
	mapfile -t MIX_STO < <(pf_sessions stopped 2)
	mapfile -t MIX_FIN < <(pf_sessions finished 2)
	mapfile -t MIX_DEL < <(pf_sessions deleted 1)
	MIX=("${MIX_RUN[@]}" "${MIX_SUS[@]}" "${MIX_STO[@]}" "${MIX_FIN[@]}" "${MIX_DEL[@]}")
	MIX_SQL=$(bf_arr_sql "${MIX[@]}")
}

# run_op OP EXPECTED_COUNTS: submit OP on a fresh mix, wait, check counts and the log.
run_op() {
	local op=$1 want=$2
	mix
	pf_submit "$BF_ME_TOKEN" "{\"operation\":\"$op\",\"session_ids\":$(bf_ids_json "${MIX[@]}"),\"comment\":\"批量$op\"}"
	it_assert_status 201 "$op submitted"
	[[ -n $PF_OP ]] || it_bail "no op id for $op"
	it_assert_eq 10 "$(it_json total <<<"$IT_BODY")" "$op: total 10"
	pf_wait_settled "$PF_OP" 30
	it_assert_eq "finished $want" "$(pf_counts "$PF_OP" "$BF_ME_TOKEN")" "$op: status total success failed ignored cancelled pending"
	pf_check_invariant "$PF_OP" "$BF_ME_TOKEN" "$op"
	it_assert_eq "10 10" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT session_id) FROM proc_log WHERE bulk_op_id = :o" o="$PF_OP")" \
		"$op: one proc_log row per session"
	it_assert_eq 1 "$(it_sql "SELECT count(*) FROM action_log WHERE target_type = 'process_bulk_op' AND target_id = :'o' AND action = 'process.bulk.' || :'op' AND actor = :u" o="$PF_OP" op="$op" u="$BF_ME_ID")" \
		"$op: one action_log row"
}

states() {
	it_sql "SELECT coalesce(string_agg(coalesce(s.state, 'gone'), ' ' ORDER BY x.ord), '')
		FROM unnest(:'ids'::bigint[]) WITH ORDINALITY x(id, ord) LEFT JOIN app_sessions s ON s.id = x.id" ids="$MIX_SQL"
}

reasons() {
	it_sql "SELECT string_agg(status || ':' || coalesce(old_state, '-') || '>' || coalesce(new_state, '-') || ':' || coalesce(error, ''), '|' ORDER BY session_id) FROM proc_log WHERE bulk_op_id = :o" o="$PF_OP"
}

# ---- suspend ----
run_op suspend "10 3 0 7 0 0"
it_assert_eq "suspended suspended suspended suspended suspended stopped stopped finished finished deleted" "$(states)" "suspend: states after"
ign() { printf 'ignored:%s>-:the process instance is %s; %s' "$1" "$1" "$2"; }
want="success:running>suspended:|success:running>suspended:|success:running>suspended:"
for st in suspended suspended stopped stopped finished finished deleted; do
	want+="|$(ign "$st" "suspend applies to running ones")"
done
it_assert_eq "$want" "$(reasons)" "suspend: each row says old > new, or why it was ignored"
it_assert_eq "3 0" "$(it_sql "SELECT count(*) FILTER (WHERE due_paused IS NOT NULL AND due_at IS NULL) || ' ' || count(*) FILTER (WHERE due_at IS NOT NULL) FROM tasks WHERE session_id = ANY (:'ids'::bigint[]) AND state = 'pending'" ids="$(bf_arr_sql "${MIX_RUN[@]}")")" \
	"suspend: the task timeouts of the suspended sessions paused"
SUSPENDED=("${MIX_RUN[@]}")

# A batch on the suspended sessions' tasks: each item fails "suspended".
mapfile -t STASKS < <(it_sql "SELECT id FROM tasks WHERE session_id = ANY (:'ids'::bigint[]) AND state = 'pending' ORDER BY id" ids="$(bf_arr_sql "${SUSPENDED[@]}")")
it_assert_eq 3 "${#STASKS[@]}" "three pending tasks of suspended sessions"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${STASKS[@]}"),\"examine\":{\"action\":\"approve\",\"comment\":\"批量\"}}"
it_assert_status 201 "batch on suspended sessions submitted"
B1=$BF_BATCH
bf_wait_settled "$B1" 30
it_assert_eq "3" "$(it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND status = 'failed' AND error = 'the process instance is suspended'" b="$B1")" \
	"batch items of suspended sessions fail \"suspended\""

# ---- resume ----
run_op resume "10 2 0 8 0 0"
it_assert_eq "running running running running running stopped stopped finished finished deleted" "$(states)" "resume: states after"
# Resume the sessions suspended above; their tasks' timeouts run again, the batch can approve.
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"resume\",\"session_ids\":$(bf_ids_json "${SUSPENDED[@]}")}"
it_assert_status 201 "resume of the suspended sessions submitted"
pf_wait_settled "$PF_OP" 30
it_assert_eq "3 0" "$(it_sql "SELECT count(*) FILTER (WHERE due_at > now()) || ' ' || count(*) FILTER (WHERE due_paused IS NOT NULL) FROM tasks WHERE session_id = ANY (:'ids'::bigint[]) AND state = 'pending'" ids="$(bf_arr_sql "${SUSPENDED[@]}")")" \
	"resume: the task timeouts run again"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${STASKS[@]}"),\"examine\":{\"action\":\"approve\",\"comment\":\"批量\"}}"
it_assert_status 201 "batch after resume submitted"
bf_wait_settled "$BF_BATCH" 30
it_assert_eq 3 "$(bf_count "$BF_BATCH" success)" "after resume the tasks are approvable"

# ---- stop (one task held by a batch lock, one by a person) ----
# An enabled task-center platform (nothing listens there: its rows stay in the outbox): every
# to-do the operation cancels gets its "cancel" row in the same transaction.
P_TC=$(it_sql "INSERT INTO task_center_platform (name, url) VALUES ('procops-' || :s, 'http://127.0.0.1:9/')
	RETURNING id" s="$$")
mix
it_sql "UPDATE tasks SET lock_kind = 'batch', lock_owner = 'batch:' || :b, locked_at = now() WHERE session_id = :s AND state = 'pending'" b="$B1" s="${MIX_RUN[0]}" >/dev/null
it_sql "UPDATE tasks SET lock_kind = 'person', lock_owner = 'someone', locked_at = now() WHERE session_id = :s AND state = 'pending'" s="${MIX_SUS[0]}" >/dev/null
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"stop\",\"session_ids\":$(bf_ids_json "${MIX[@]}")}"
it_assert_status 201 "stop submitted"
pf_wait_settled "$PF_OP" 30
it_assert_eq "finished 10 5 0 5 0 0" "$(pf_counts "$PF_OP" "$BF_ME_TOKEN")" "stop: counts"
pf_check_invariant "$PF_OP" "$BF_ME_TOKEN" "stop"
it_assert_eq "stopped stopped stopped stopped stopped stopped stopped finished finished deleted" "$(states)" "stop: states after"
it_assert_eq "5 5 0 0" "$(it_sql "SELECT count(*) FILTER (WHERE s.outcome = 'stopped') || ' ' || count(*) FILTER (WHERE t.state = 'cancelled') || ' ' || count(*) FILTER (WHERE t.state = 'pending') || ' ' || count(*) FILTER (WHERE t.lock_kind IS NOT NULL) FROM app_sessions s JOIN tasks t ON t.session_id = s.id AND t.node_id = :n2 WHERE s.id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${MIX_RUN[@]}" "${MIX_SUS[@]}")" n2="$BF_N2")" \
	"stop: outcome stopped, pending tasks cancelled, no lock left"
it_assert_no_stale_locks "after stop"
it_assert_eq "5 5" "$(it_sql "SELECT count(DISTINCT l.task_id) || ' ' || count(*) FROM task_center_log l JOIN tasks t ON t.id = l.task_id
	WHERE l.platform_id = :p AND l.event = 'cancel' AND t.state = 'cancelled' AND t.session_id = ANY (:'ids'::bigint[])" \
	p="$P_TC" ids="$(bf_arr_sql "${MIX[@]}")")" "stop: one task-center cancel row per cancelled to-do"
it_sql "UPDATE task_center_platform SET enabled = false WHERE id = :p" p="$P_TC" >/dev/null

# ---- finish ----
run_op finish "10 5 0 5 0 0"
it_assert_eq "finished finished finished finished finished stopped stopped finished finished deleted" "$(states)" "finish: states after"
it_assert_eq "5 5" "$(it_sql "SELECT count(*) FILTER (WHERE s.outcome = 'finished_by_admin') || ' ' || count(*) FILTER (WHERE t.state = 'cancelled') FROM app_sessions s JOIN tasks t ON t.session_id = s.id AND t.node_id = :n2 WHERE s.id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${MIX_RUN[@]}" "${MIX_SUS[@]}")" n2="$BF_N2")" \
	"finish: outcome finished_by_admin, tasks cancelled"

# ---- delete ----
run_op delete "10 9 0 1 0 0"
it_assert_eq "deleted deleted deleted deleted deleted deleted deleted deleted deleted deleted" "$(states)" "delete: states after"
it_assert_eq 9 "$(it_sql "SELECT count(*) FROM session_backup WHERE bulk_op_id = :o" o="$PF_OP")" "delete: one backup per deleted session"
want="success:running>deleted:|success:running>deleted:|success:running>deleted:|success:suspended>deleted:|success:suspended>deleted:|success:stopped>deleted:|success:stopped>deleted:|success:finished>deleted:|success:finished>deleted:|$(ign deleted "delete applies to any not deleted yet")"
it_assert_eq "$want" "$(reasons)" "delete: old > new for each, the deleted one ignored with its reason"
it_curl GET "/api/process/sessions?session_ids=$(IFS=,; echo "${MIX[*]}")" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq 0 "$(it_json total <<<"$IT_BODY")" "delete: deleted sessions are not listed"
it_assert_eq "0 5" "$(it_sql "SELECT count(*) FILTER (WHERE state = 'pending') || ' ' || count(*) FILTER (WHERE state = 'cancelled' AND lock_kind IS NULL) FROM tasks WHERE session_id = ANY (:'ids'::bigint[]) AND node_id = :n2" ids="$(bf_arr_sql "${MIX_RUN[@]}" "${MIX_SUS[@]}")" n2="$BF_N2")" \
	"delete: the pending tasks of deleted sessions are cancelled"
it_curl GET "/api/batch/tasks?node_id=$BF_N2&page_size=500" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "" "$(/usr/bin/python3 -c 'import json,sys; ids=set(int(x) for x in sys.argv[1].split(",")); print(",".join(str(i["session_id"]) for i in json.loads(sys.stdin.read())["items"] if i["session_id"] in ids))' "$(IFS=,; echo "${MIX[*]}")" <<<"$IT_BODY")" \
	"delete: the tasks of deleted sessions are not in the task listing"

# ---- archive_delete ----
run_op archive_delete "10 4 0 6 0 0"
a="archive_delete applies to finished or stopped ones"
want="$(ign running "$a")|$(ign running "$a")|$(ign running "$a")|$(ign suspended "$a")|$(ign suspended "$a")|success:stopped>removed:|success:stopped>removed:|success:finished>removed:|success:finished>removed:|$(ign deleted "$a")"
it_assert_eq "$want" "$(reasons)" "archive_delete: old > removed, or why it was ignored"
it_assert_eq "running running running suspended suspended gone gone gone gone deleted" "$(states)" "archive_delete: states after"
it_assert_eq "0 0 4" "$(it_sql "SELECT (SELECT count(*) FROM tasks WHERE session_id = ANY (:'ids'::bigint[])) || ' ' || (SELECT count(*) FROM task_history WHERE session_id = ANY (:'ids'::bigint[])) || ' ' || (SELECT count(*) FROM session_backup WHERE session_id = ANY (:'ids'::bigint[]) AND jsonb_array_length(data -> 'history') = 1 AND jsonb_array_length(data -> 'tasks') = 1)" ids="$(bf_arr_sql "${MIX_STO[@]}" "${MIX_FIN[@]}")")" \
	"archive_delete: tasks and history removed, backed up first"

# ---- by filter; my operations; items paging and filter; validation ----
mapfile -t F < <(pf_sessions running 4)
running=$(it_sql "SELECT count(*) FROM app_sessions s JOIN app_versions av ON av.id = s.app_version_id WHERE av.app_id = :a AND s.state = 'running' AND s.title LIKE '%running #%'" a="$PF_APP")
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"filter\":{\"app_id\":$PF_APP,\"state\":\"running\",\"keyword\":\"running #\"}}"
it_assert_status 201 "suspend by filter submitted"
pf_wait_settled "$PF_OP" 30
it_assert_eq "$running $running 0" \
	"$(it_sql "SELECT count(*) FILTER (WHERE l.status = 'success') || ' ' || count(*) || ' ' || (SELECT count(*) FROM app_sessions s JOIN app_versions av ON av.id = s.app_version_id WHERE av.app_id = :a AND s.state = 'running' AND s.title LIKE '%running #%') FROM proc_log l WHERE l.bulk_op_id = :o" o="$PF_OP" a="$PF_APP")" \
	"filter: every running session of the app suspended, each once"
# The department filter takes the departments below it too.
DP=$(it_sql "INSERT INTO departments (name) VALUES ('总部') RETURNING id")
DC=$(it_sql "INSERT INTO departments (name, parent_id) VALUES ('分部', :p) RETURNING id" p="$DP")
it_sql "UPDATE users SET dept_id = :d WHERE id = :u" d="$DC" u="$BF_APPLICANT_ID" >/dev/null
it_curl GET "/api/process/sessions?dept_id=$DP&page_size=1" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "$(it_sql "SELECT count(*) FROM app_sessions s JOIN app_versions av ON av.id = s.app_version_id WHERE av.app_id = :a AND s.state <> 'deleted' AND s.creator = :u" a="$PF_APP" u="$BF_APPLICANT_ID")" \
	"$(it_json total <<<"$IT_BODY")" "listing by department includes the departments below it"
it_curl GET "/api/process/sessions?dept_id=$DC&creator=$BF_ME&page_size=1" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq 0 "$(it_json total <<<"$IT_BODY")" "department and creator together"
it_curl GET "/api/process/bulk/$PF_OP/items?status=success&page_size=2" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 200 "items"
it_assert_eq "2 suspended" "$(/usr/bin/python3 -c 'import json,sys; b=json.loads(sys.stdin.read()); print(len(b["items"]), b["items"][0]["new_state"])' <<<"$IT_BODY")" "items: paged, old > new"
it_curl GET "/api/process/bulk" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq 8 "$(it_json total <<<"$IT_BODY")" "my operations listed"
pf_submit "$BF_ME_TOKEN" '{"operation":"explode","session_ids":[],"comment":"x"}'
it_assert_status 422 "bad operation and no sessions"
it_assert_eq 2 "$(it_json error.details <<<"$IT_BODY" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "422 lists every problem"
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":[${F[0]},${F[0]}]}"
it_assert_status 422 "duplicate ids refused"
pf_submit "$BF_ME_TOKEN" '{"operation":"suspend","filter":{"created_from":"2026-02-30"}}'
it_assert_status 422 "an impossible date is a 422, not a 500"
it_curl GET "/api/process/sessions?created_from=yesterday" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 400 "listing: a malformed date is a 400"

# ---- Idempotency-Key ----
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"stop\",\"session_ids\":[${F[1]}]}" -H 'Idempotency-Key: op-key-1'
it_assert_status 201 "with a key"
first=$IT_BODY
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"stop\",\"session_ids\":[${F[1]}]}" -H 'Idempotency-Key: op-key-1'
it_assert_status 201 "the same key again"
it_assert_eq "$first" "$IT_BODY" "the same answer"
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM proc_log WHERE session_id = :s AND operation = 'stop'" s="${F[1]}")" "one operation created"
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"finish\",\"session_ids\":[${F[1]}]}" -H 'Idempotency-Key: op-key-1'
it_assert_status 422 "the same key with another request is refused"

# ---- one session whose change fails unexpectedly fails alone (the chunk is isolated) ----
mapfile -t X < <(pf_sessions running 5)
it_sql "UPDATE app_sessions SET title = title || ' boom' WHERE id = :s" s="${X[2]}" >/dev/null
it_sql "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN RAISE EXCEPTION 'boom on %', NEW.id; END \$\$;
CREATE TRIGGER boom BEFORE UPDATE ON app_sessions FOR EACH ROW WHEN (NEW.title LIKE '%boom%')
EXECUTE FUNCTION boom();" >/dev/null
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":$(bf_ids_json "${X[@]}")}"
it_assert_status 201 "suspend with one session that cannot be changed"
pf_wait_settled "$PF_OP" 30
it_assert_eq "finished 5 4 1 0 0 0" "$(pf_counts "$PF_OP" "$BF_ME_TOKEN")" "the others succeed, that one fails alone"
it_assert_match "^unexpected error: .*boom on ${X[2]}" "$(it_sql "SELECT error FROM proc_log WHERE bulk_op_id = :o AND session_id = :s" o="$PF_OP" s="${X[2]}")" "its reason"
pf_check_invariant "$PF_OP" "$BF_ME_TOKEN" "isolated"
it_sql "DROP TRIGGER boom ON app_sessions" >/dev/null
it_curl POST "/api/process/bulk/$PF_OP/retry" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 202 "retry"
pf_wait_settled "$PF_OP" 30
it_assert_eq "finished 5 5 0 0 0 0" "$(pf_counts "$PF_OP" "$BF_ME_TOKEN")" "after retry all succeed"
pf_check_invariant "$PF_OP" "$BF_ME_TOKEN" "after retry"

it_done
