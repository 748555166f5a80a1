#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Retrying failed items: fixed in the data, then POST /api/batch/{id}/retry → success and
# the counts follow; an item that fails three times (batch.retry_limit) has its task
# unlocked and keeps its reason; the recovery scan retries failed items by itself after
# the backoff (items failed at execution and at submission), without any API call.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2 \
	FLOWBATCH_BATCH_STALE_MINUTES=1 FLOWBATCH_RUNNER_VISIBILITY_TIMEOUT=3 \
	FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=4 FLOWBATCH_BATCH_RETRY_LIMIT=3

bf_own_db
bf_users
bf_app "重试"
it_start_web
it_start_nginx

detail() { # BATCH TASK: status|retry_count|error
	it_sql "SELECT status || '|' || retry_count || '|' || coalesce(error, '') FROM batch_task_detail
		WHERE batch_id = :b AND task_id = :t" b="$1" t="$2"
}
retry() { # BATCH [JSON]
	if [[ -n ${2:-} ]]; then
		it_curl POST "/api/batch/$1/retry" -H "Authorization: Bearer $BF_ME_TOKEN" \
			-H 'Content-Type: application/json' --data-binary "$2"
	else
		it_curl POST "/api/batch/$1/retry" -H "Authorization: Bearer $BF_ME_TOKEN"
	fi
}

# --- manual retry (no automatic retry: a long backoff for this runner) -----------------------
it_start_runner FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600
mapfile -t ok < <(bf_tasks "$BF_N2" "$BF_ME_ID" 85)
mapfile -t fixable < <(bf_tasks "$BF_N2" "$BF_ME_ID" 10)
mapfile -t stuck < <(bf_tasks "$BF_N2" "$BF_ME_ID" 5)
bf_sessions_set suspended "${fixable[@]}" "${stuck[@]}"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${ok[@]}" "${fixable[@]}" "${stuck[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "batch of 100 submitted"
B=$BF_BATCH
bf_wait_settled "$B" 30
bf_check_invariant "$B" "$BF_ME_TOKEN" "first run"
it_assert_no_stale_locks "first run"
it_assert_eq "85 15" "$(bf_count "$B" success) $(bf_count "$B" failed)" "85 success, 15 failed (suspended)"
it_assert_eq "failed|1|the process instance is suspended" "$(detail "$B" "${fixable[0]}")" "reason and retry_count"

# Fix 10 in the data and retry them by id.
bf_sessions_set running "${fixable[@]}"
retry "$B" "{\"task_ids\":$(bf_ids_json "${fixable[@]}")}"
it_assert_status 202 "POST retry with task_ids"
it_assert_eq 10 "$(it_json retrying <<<"$IT_BODY")" "10 items retrying"
bf_wait_settled "$B" 30
bf_check_invariant "$B" "$BF_ME_TOKEN" "after the retry"
it_assert_no_stale_locks "after the retry"
it_curl GET "/api/batch/$B" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "finished 95 5 0" "$(it_json status <<<"$IT_BODY") $(it_json success <<<"$IT_BODY") $(it_json failed <<<"$IT_BODY") $(it_json pending <<<"$IT_BODY")" \
	"counters corrected: 95 success, 5 failed"
it_assert_eq "success" "$(detail "$B" "${fixable[3]}" | cut -d'|' -f1)" "a fixed item succeeded"
it_assert_eq "95 95" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM task_history WHERE batch_id = :b" b="$B")" \
	"one history row per success"
it_assert_eq 10 "$(it_sql "SELECT count(*) FROM tasks WHERE node_id = :n3 AND state = 'pending' AND session_id IN
	(SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" n3="$BF_N3" ids="$(bf_arr_sql "${fixable[@]}")")" \
	"the retried sessions advanced"

# The other 5 are not fixed: fail twice more; on the third failure their tasks are unlocked.
it_assert_eq 5 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_owner = 'batch:' || :b" \
	ids="$(bf_arr_sql "${stuck[@]}")" b="$B")" "after one failure the tasks keep the batch lock"
retry "$B" "{\"task_ids\":$(bf_ids_json "${stuck[@]}")}"
it_assert_status 202 "second try"
bf_wait_settled "$B" 30
bf_check_invariant "$B" "$BF_ME_TOKEN" "second try"
it_assert_no_stale_locks "second try"
it_assert_eq "failed|2|the process instance is suspended" "$(detail "$B" "${stuck[0]}")" "second failure"
it_assert_eq 5 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_owner = 'batch:' || :b" \
	ids="$(bf_arr_sql "${stuck[@]}")" b="$B")" "after two failures the tasks keep the batch lock"
retry "$B"
it_assert_status 202 "third try (no body: every failed item)"
it_assert_eq 5 "$(it_json retrying <<<"$IT_BODY")" "5 items retrying"
bf_wait_settled "$B" 30
bf_check_invariant "$B" "$BF_ME_TOKEN" "third try"
it_assert_no_stale_locks "third try"
it_assert_eq "failed|3|the process instance is suspended" "$(detail "$B" "${stuck[0]}")" \
	"third failure keeps the reason"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_kind IS NOT NULL" \
	ids="$(bf_arr_sql "${stuck[@]}")")" "after the third failure the tasks are unlocked"
it_assert_eq "5 pending" "$(it_sql "SELECT count(*) || ' ' || min(state) FROM tasks WHERE id = ANY (:'ids'::bigint[])" \
	ids="$(bf_arr_sql "${stuck[@]}")")" "and left pending for a person"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND status = 'failed' AND next_retry_at IS NOT NULL AND retry_count >= 3" b="$B")" \
	"no automatic retry is planned past the limit"
retry "$B" '{"task_ids":[]}'
it_assert_eq "202 0" "$IT_STATUS $(it_json retrying <<<"$IT_BODY")" "retrying nothing is harmless"
bf_check_invariant "$B" "$BF_ME_TOKEN" "after the limit"

# --- automatic retry by the recovery scan, with backoff ----------------------------------------
it_stop_runner TERM 20 || it_fail "runner did not drain"
it_start_runner
mapfile -t ok2 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 20)
mapfile -t susp2 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 10)
mapfile -t pers2 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 5)
bf_sessions_set suspended "${susp2[@]}"
it_sql "UPDATE tasks SET lock_kind = 'person', lock_owner = :'c', locked_at = now() WHERE id = ANY (:'ids'::bigint[])" \
	c="$BF_CLERK" ids="$(bf_arr_sql "${pers2[@]}")" >/dev/null
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${ok2[@]}" "${susp2[@]}" "${pers2[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "batch of 35 submitted"
B2=$BF_BATCH
bf_wait_settled "$B2" 30
it_assert_eq "20 15" "$(bf_count "$B2" success) $(bf_count "$B2" failed)" "20 success, 15 failed"
it_assert_eq t "$(it_sql "SELECT bool_and(next_retry_at IS NOT NULL) FROM batch_task_detail WHERE batch_id = :b AND status = 'failed'" b="$B2")" \
	"failed items have a retry planned"
bf_check_invariant "$B2" "$BF_ME_TOKEN" "before the automatic retry"
it_assert_no_stale_locks "before the automatic retry"
# Fix the data; no API call from here on.
bf_sessions_set running "${susp2[@]}"
it_sql "UPDATE tasks SET lock_kind = NULL, lock_owner = NULL, locked_at = NULL WHERE id = ANY (:'ids'::bigint[])" \
	ids="$(bf_arr_sql "${pers2[@]}")" >/dev/null
all_success() {
	[[ $(bf_count "$B2" success) == 35 ]] && bf_settled "$B2"
}
if it_wait_for 40 all_success; then
	it_ok "the recovery scan retried the fixed items by itself"
else
	it_fail "automatic retry: $(bf_count "$B2" success) success, $(bf_count "$B2" failed) failed, $(bf_count "$B2" pending) pending"
fi
bf_check_invariant "$B2" "$BF_ME_TOKEN" "after the automatic retry"
it_assert_no_stale_locks "after the automatic retry"
it_assert_eq "35 35" "$(it_sql "SELECT count(*) || ' ' || count(DISTINCT task_id) FROM task_history WHERE batch_id = :b" b="$B2")" \
	"one history row per task"
it_assert_eq 0 "$(bf_locked_by "$B2")" "nothing left locked"
if grep -q "/api/batch/$B2/retry" "$IT_DIR/web.log"; then
	it_fail "the API was asked to retry"
else
	it_ok "no retry request reached the API"
fi

it_done
