#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# One item whose approval fails with an unexpected database error fails alone: its chunk is
# run again one item per transaction, that item is failed (reason item.unexpected, at the
# retry limit, no retry planned) and its task unlocked; the others succeed and the counts
# follow.  Then a cancel of a batch whose executor is held: the items in flight finish, the
# executor cancels what the cancel could not take, and the counts follow.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RETRY_LIMIT=3 FLOWBATCH_BATCH_CHUNK_SIZE=4 FLOWBATCH_BATCH_MAX_CONCURRENCY=1

bf_own_db
bf_users
bf_app "隔离"
it_start_web
it_start_nginx
it_start_runner

# ---- an item that cannot be written fails alone ----------------------------------------
mapfile -t T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 6)
it_sql "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN RAISE EXCEPTION 'boom on task %', NEW.task_id; END \$\$;
CREATE TRIGGER boom BEFORE INSERT ON task_history FOR EACH ROW WHEN (NEW.task_id = ${T[2]})
EXECUTE FUNCTION boom();" >/dev/null
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${T[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "submitted"
B=$BF_BATCH
bf_wait_settled "$B" 60
it_assert_eq "5 1" "$(bf_count "$B" success) $(bf_count "$B" failed)" "the others succeed, that one fails"
it_assert_eq "failed|3|item.unexpected|true|" \
	"$(it_sql "SELECT status || '|' || retry_count || '|' || error_code || '|' ||
		(error LIKE 'unexpected error: %boom on task ' || task_id || '%') || '|' ||
		coalesce(next_retry_at::text, '') FROM batch_task_detail WHERE batch_id = :b AND task_id = :t" \
		b="$B" t="${T[2]}")" "its reason, at the retry limit, no retry planned"
it_assert_match "boom on task ${T[2]}" \
	"$(it_sql "SELECT error_params->>'detail' FROM batch_task_detail WHERE batch_id = :b AND task_id = :t" b="$B" t="${T[2]}")" \
	"the database's message in its params"
it_assert_eq "|pending" "$(it_sql "SELECT coalesce(lock_owner, '') || '|' || state FROM tasks WHERE id = :t" t="${T[2]}")" \
	"its task is unlocked and still pending"
bf_check_invariant "$B" "$BF_ME_TOKEN" "isolated"
it_curl GET "/api/batch/$B" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "finished 1" "$(it_json status <<<"$IT_BODY") $(it_json failed <<<"$IT_BODY")" "finished, one failed"
it_sql "DROP TRIGGER boom ON task_history" >/dev/null
it_assert_no_stale_locks "after the isolation"

# ---- a cancel while an executor holds a chunk ------------------------------------------
# The executor's first chunk (items 1-4) waits for a lock on the session of task 1; items
# 9-12 are held by another transaction while the user cancels: the cancel takes items 5-8,
# the held chunk then finishes, and the executor's next chunk finds the batch cancelled and
# cancels items 9-12 itself.
mapfile -t C < <(bf_tasks "$BF_N2" "$BF_ME_ID" 12)
bf_blocker_start "${C[0]}" 12 sessions
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${C[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "submitted"
B2=$BF_BATCH
engine_waits() {
	[[ $(it_sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND wait_event_type = 'Lock' AND application_name NOT LIKE 'bf_blocker%'") -gt 0 ]]
}
it_wait_for 20 engine_waits || it_fail "the executor does not wait for the held task"
printf 'BEGIN;\nSELECT 1 FROM batch_task_detail WHERE batch_id = %d AND task_id IN (%s) FOR UPDATE;\n\\! touch %s\nSELECT pg_sleep(3);\nCOMMIT;\n' \
	"$B2" "${C[8]},${C[9]},${C[10]},${C[11]}" "$IT_DIR/held.ready" >"$IT_DIR/held.sql"
it_psql -f "$IT_DIR/held.sql" >/dev/null 2>&1 &
IT_PIDS+=("$!")
it_wait_for 10 test -e "$IT_DIR/held.ready" || it_bail "items 9-12 not held"
it_curl POST "/api/batch/$B2/cancel" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 202 "cancel"
it_assert_eq 4 "$(it_json cancelled <<<"$IT_BODY")" "the cancel takes the items neither in flight nor held"
bf_wait_settled "$B2" 40
it_assert_eq "cancelled 4 8" "$(it_sql "SELECT status FROM batch_task WHERE id = :b" b="$B2") $(bf_count "$B2" success) $(bf_count "$B2" cancelled)" \
	"the held chunk finishes, the executor cancels the rest"
bf_check_invariant "$B2" "$BF_ME_TOKEN" "cancelled"
it_assert_eq 0 "$(bf_locked_by "$B2")" "nothing left locked"
it_curl POST "/api/batch/$B2/retry" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 409 "a cancelled batch is not retried"
it_curl POST "/api/batch/$B2/cancel" -H "Authorization: Bearer $BF_OTHER_TOKEN"
it_assert_status 404 "someone else's batch is not found"

it_done
