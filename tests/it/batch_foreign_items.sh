#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Migration 0003 on a database that holds what submissions once stored: items of another
# user's tasks in a batch (failed "not assigned to you").  After `flowbatchctl migrate`
# those items are gone, the batches' counts equal their remaining items and add up to
# their totals, items of the creator's own tasks are untouched, and a second migrate
# changes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

# The database first gets the migrations before 0003 only.
it_migrations_before 3
. "$top_srcdir/tests/it/batch_fixture.sh"

bf_own_db
it_assert_eq 2 "$(it_sql "SELECT count(*) FROM schema_migrations")" \
	"the database starts before migration 0003"
bf_users
bf_app "旧批次"
mapfile -t mine < <(bf_tasks "$BF_N2" "$BF_ME_ID" 4)
mapfile -t theirs < <(bf_tasks "$BF_N2" "$BF_OTHER_ID" 3)

# legacy CREATOR STATUS SPEC...: a batch as submission stored it.  SPEC is task:status,
# counted in batch_task for failed items of another user's tasks (as submission did) and in
# batch_counter for the rest (as the executors do).  Prints the batch id.
legacy() {
	local creator=$1 bstatus=$2 spec values="" sub_failed=0 c_s=0 c_f=0 c_i=0 c_c=0 t st
	shift 2
	for spec in "$@"; do
		t=${spec%%:*} st=${spec#*:}
		values+="${values:+,}($t, '$st')"
		if [[ $st == failed-foreign ]]; then
			sub_failed=$((sub_failed + 1))
		else
			case $st in
			success) c_s=$((c_s + 1)) ;; failed) c_f=$((c_f + 1)) ;;
			ignored) c_i=$((c_i + 1)) ;; cancelled) c_c=$((c_c + 1)) ;;
			esac
		fi
	done
	it_sql "WITH b AS (INSERT INTO batch_task (app_version_id, node_id, status, total, failed, creator)
		VALUES (:av, :n, :'bs', $#, :sf, :c) RETURNING id),
		d AS (INSERT INTO batch_task_detail (batch_id, task_id, status, error, retry_count)
		SELECT b.id, x.t, CASE WHEN x.s = 'failed-foreign' THEN 'failed' ELSE x.s END,
		CASE WHEN x.s = 'failed-foreign' THEN 'this task is not assigned to you' END,
		CASE WHEN x.s = 'failed-foreign' THEN 3 ELSE 0 END
		FROM b, (VALUES $values) x(t, s)),
		c AS (INSERT INTO batch_counter (batch_id, slot, success, failed, ignored, cancelled)
		SELECT id, 0, :cs, :cf, :ci, :cc FROM b)
		SELECT id FROM b" av="$BF_AV" n="$BF_N2" bs="$bstatus" sf="$sub_failed" c="$creator" \
		cs="$c_s" cf="$c_f" ci="$c_i" cc="$c_c"
}
# The other user's finished batch: two of my tasks, two of theirs (one done, one failed).
B1=$(legacy "$BF_OTHER_ID" finished "${mine[0]}:failed-foreign" "${theirs[0]}:success" \
	"${mine[1]}:failed-foreign" "${theirs[1]}:failed") || it_bail "legacy batch 1"
# Only my tasks in it.
B2=$(legacy "$BF_OTHER_ID" finished "${mine[2]}:failed-foreign" "${mine[3]}:failed-foreign") ||
	it_bail "legacy batch 2"
# A running batch of mine with a task of theirs, still pending items of mine.
B3=$(legacy "$BF_ME_ID" running "${theirs[2]}:failed-foreign" "${mine[0]}:pending" "${mine[1]}:success") ||
	it_bail "legacy batch 3"
mine_before=$(it_sql "SELECT md5(string_agg(concat_ws('|', d.id, d.batch_id, d.task_id, d.status, d.error, d.retry_count, d.post_data), ',' ORDER BY d.id)) FROM batch_task_detail d
	JOIN batch_task b ON b.id = d.batch_id JOIN tasks t ON t.id = d.task_id
	WHERE t.assignee = b.creator")

export FLOWBATCH_PATHS_MIGRATIONS=$top_srcdir/migrations
it_migrate
it_start_web
it_start_nginx

it_assert_eq 0 "$(it_sql "SELECT count(*) FROM batch_task_detail d JOIN batch_task b ON b.id = d.batch_id
	JOIN tasks t ON t.id = d.task_id WHERE t.assignee <> b.creator")" "no item names another user's task"
it_assert_eq "$mine_before" "$(it_sql "SELECT md5(string_agg(concat_ws('|', d.id, d.batch_id, d.task_id, d.status, d.error, d.retry_count, d.post_data), ',' ORDER BY d.id)) FROM batch_task_detail d
	JOIN batch_task b ON b.id = d.batch_id JOIN tasks t ON t.id = d.task_id
	WHERE t.assignee = b.creator")" "the items of the creators' own tasks are untouched"
bf_check_invariant "$B1" "$BF_OTHER_TOKEN" "mixed batch"
bf_check_invariant "$B2" "$BF_OTHER_TOKEN" "batch of foreign tasks only"
bf_check_invariant "$B3" "$BF_ME_TOKEN" "running batch"
it_curl GET "/api/batch/$B1" -H "Authorization: Bearer $BF_OTHER_TOKEN"
it_assert_eq "2 1 1 0" "$(it_json total <<<"$IT_BODY") $(it_json success <<<"$IT_BODY") $(it_json failed <<<"$IT_BODY") $(it_json pending <<<"$IT_BODY")" \
	"mixed batch: total success failed pending"
it_curl GET "/api/batch/$B2/details" -H "Authorization: Bearer $BF_OTHER_TOKEN"
it_assert_eq "200 0" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "the batch of my tasks only shows no item"
it_curl GET "/api/batch/$B3" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq "2 1 0 1" "$(it_json total <<<"$IT_BODY") $(it_json success <<<"$IT_BODY") $(it_json failed <<<"$IT_BODY") $(it_json pending <<<"$IT_BODY")" \
	"running batch: total success failed pending"

counts=$(it_sql "SELECT string_agg(concat_ws(' ', id, total, success, failed, ignored, cancelled), ',' ORDER BY id) FROM batch_task")
it_migrate
it_assert_eq "$counts" "$(it_sql "SELECT string_agg(concat_ws(' ', id, total, success, failed, ignored, cancelled), ',' ORDER BY id) FROM batch_task")" \
	"a second migrate changes nothing"

it_done
