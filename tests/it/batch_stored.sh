#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Stored JSON the engine cannot use fails its item with the reason, never falls back: a
# detail's post_data that is a JSON string or an array (it must be an object: the row's own
# action, comment, assignee and form values) must not be approved with the batch's action,
# and a session's form_data that is not an object must not be replaced by an empty form.
# The other items of the batch succeed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

# No automatic retries while the test looks.
export FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600

bf_own_db
bf_users
bf_app "存储数据"
it_start_web
it_start_nginx

mapfile -t ids < <(bf_tasks "$BF_N2" "$BF_ME_ID" 8 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
((${#ids[@]} == 8)) || it_bail "seeding 8 tasks failed"
# Submitted while no runner runs, so that the stored data can be spoiled first.
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${ids[@]}"),\"examine\":{\"action\":\"approve\"},\"form\":{\"city\":\"广州\"}}"
it_assert_status 201 "batch of 8 submitted"
B=$BF_BATCH
[[ -n $B ]] || it_bail "no batch"

setpost() { # TASK JSONB
	it_sql "UPDATE batch_task_detail SET post_data = :'v'::jsonb WHERE batch_id = :b AND task_id = :t" \
		b="$B" t="$1" v="$2" >/dev/null || it_bail "cannot set post_data of $1"
}
setpost "${ids[0]}" '"approve everything"'
setpost "${ids[1]}" '[{"action":"approve"}]'
setpost "${ids[2]}" '12'
# A row's own valid values still apply: this one rejects, whatever the batch says.
setpost "${ids[3]}" '{"action":"reject","comment":"退回补充材料"}'
# form_data has a CHECK (object) in the schema: this test's own database drops it to store
# what a broken writer or a hand edit could leave.
it_sql "ALTER TABLE app_sessions DROP CONSTRAINT IF EXISTS app_sessions_form_data_check" >/dev/null ||
	it_bail "cannot drop the form_data check"
it_sql "UPDATE app_sessions SET form_data = '\"x\"'::jsonb WHERE id = (SELECT session_id FROM tasks WHERE id = :t)" \
	t="${ids[4]}" >/dev/null || it_bail "cannot set form_data"
it_sql "UPDATE app_sessions SET form_data = '[]'::jsonb WHERE id = (SELECT session_id FROM tasks WHERE id = :t)" \
	t="${ids[5]}" >/dev/null || it_bail "cannot set form_data"

it_start_runner
bf_wait_settled "$B" 30
bf_check_invariant "$B" "$BF_ME_TOKEN"

detail() { # TASK: status|error
	it_sql "SELECT status || '|' || coalesce(error, '') FROM batch_task_detail
		WHERE batch_id = :b AND task_id = :t" b="$B" t="$1"
}
task_state() {
	it_sql "SELECT state FROM tasks WHERE id = :t" t="$1"
}
for i in 0 1 2; do
	it_assert_match "^failed\|the item's stored post_data is unusable: the value must be a JSON object, not (a string|an array|a number)$" \
		"$(detail "${ids[$i]}")" "post_data $i of the wrong shape fails its item with the reason"
	it_assert_eq pending "$(task_state "${ids[$i]}")" "post_data $i: the task was not advanced with the batch's action"
done
for i in 4 5; do
	it_assert_match "^failed\|the process instance's stored form_data is unusable: the value must be a JSON object, not (a string|an array)$" \
		"$(detail "${ids[$i]}")" "form_data $i of the wrong shape fails its item with the reason"
	it_assert_eq pending "$(task_state "${ids[$i]}")" "form_data $i: the task was not advanced"
done
it_assert_eq '"x"' "$(it_sql "SELECT form_data::text FROM app_sessions WHERE id = (SELECT session_id FROM tasks WHERE id = :t)" t="${ids[4]}")" \
	"form_data was not overwritten with an empty form"
it_assert_eq "success|" "$(detail "${ids[3]}")" "a valid row of its own succeeds"
it_assert_eq reject "$(it_sql "SELECT action FROM task_history WHERE task_id = :t" t="${ids[3]}")" \
	"the row's own action (reject) was taken"
for i in 6 7; do
	it_assert_eq "success|" "$(detail "${ids[$i]}")" "untouched item $i succeeds"
done
it_assert_eq "3 5" "$(bf_count "$B" success) $(bf_count "$B" failed)" "3 succeeded, 5 failed"

it_done
