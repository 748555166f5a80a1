#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Migration 0013 on a database that holds reasons stored as English sentences: after
# `flowbatchctl migrate` each known sentence of a batch item or a bulk-operation row has
# its message code and parameters (numbers as numbers, a superseded item's earlier reason
# nested), a sentence that is no known message is kept under the code "text", the English
# stays in `error`, the API says the mapped reasons in Chinese, and a second migrate
# changes nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

it_migrations_before 13
. "$top_srcdir/tests/it/batch_fixture.sh"

bf_own_db
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM schema_migrations WHERE version >= '0013'")" \
	"the database starts before migration 0013"
bf_users
bf_app "旧原因"
mapfile -t T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 9)
((${#T[@]} == 9)) || it_bail "fixture tasks"

REASONS=(
	'the task is no longer pending'
	'the process instance is finished'
	'locked by another batch (batch 42)'
	'locked by li.si, who is handling it in person'
	'the next node "财务复核" needs an assignee'
	'superseded by batch 7: this task is not assigned to you'
	'unexpected error: boom'
	'"城市" (city): is required'
	''
)
values=""
for i in "${!T[@]}"; do
	r=${REASONS[$i]//\'/\'\'}
	values+="${values:+,}(${T[$i]}, $([[ -n $r ]] && echo "'$r'" || echo NULL))"
done
B=$(it_sql "WITH b AS (INSERT INTO batch_task (app_version_id, node_id, status, total, failed, creator)
	VALUES (:av, :n, 'finished', 9, 8, :c) RETURNING id),
	d AS (INSERT INTO batch_task_detail (batch_id, task_id, status, error, retry_count, finished)
	SELECT b.id, x.t, CASE WHEN x.e IS NULL THEN 'success' ELSE 'failed' END, x.e, 3, now()
	FROM b, (VALUES $values) x(t, e))
	SELECT id FROM b" av="$BF_AV" n="$BF_N2" c="$BF_ME_ID") || it_bail "legacy batch"
OP=$(it_sql "WITH o AS (INSERT INTO process_bulk_op (operation, status, total, creator)
	VALUES ('resume', 'finished', 3, :c) RETURNING id),
	l AS (INSERT INTO proc_log (bulk_op_id, session_id, operation, status, error, actor)
	SELECT o.id, x.s, 'resume', x.st, x.e, :c FROM o, (VALUES
	 (1001, 'ignored', 'the process instance is running; resume applies to suspended ones'),
	 (1002, 'failed', 'not a monitor of this app'),
	 (1003, 'success', NULL)) x(s, st, e))
	SELECT id FROM o" c="$BF_ME_ID") || it_bail "legacy operation"

export FLOWBATCH_PATHS_MIGRATIONS=$top_srcdir/migrations
it_migrate
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM schema_migrations WHERE version LIKE '0013\_%'")" "migration 0013 applied"

stored() {
	it_sql "SELECT coalesce(error_code, '-') || '|' || coalesce(error_params::text, '-')
		FROM batch_task_detail WHERE batch_id = :b AND task_id = :t" b="$B" t="$1"
}
it_assert_eq 'item.not_pending|{}' "$(stored "${T[0]}")" "no longer pending"
it_assert_eq 'item.session_state|{"state": "finished"}' "$(stored "${T[1]}")" "session state"
it_assert_eq 'item.locked_batch|{"batch": 42}' "$(stored "${T[2]}")" "locked by another batch: the id a number"
it_assert_eq 'item.locked_person|{"owner": "li.si"}' "$(stored "${T[3]}")" "locked by a person"
it_assert_eq 'item.next_needs_assignee|{"node": "财务复核"}' "$(stored "${T[4]}")" "next node needs an assignee"
it_assert_eq 'item.superseded_after|{"was": {"code": "item.not_assigned", "params": {}}, "batch": 7}' \
	"$(stored "${T[5]}")" "superseded: the earlier reason nested"
it_assert_eq 'item.unexpected|{"detail": "boom"}' "$(stored "${T[6]}")" "unexpected error"
it_assert_eq 'text|{"text": "\"城市\" (city): is required"}' "$(stored "${T[7]}")" \
	"a sentence that is no known message is kept as text"
it_assert_eq '-|-' "$(stored "${T[8]}")" "no reason, no code"
it_assert_eq 'locked by another batch (batch 42)' \
	"$(it_sql "SELECT error FROM batch_task_detail WHERE batch_id = :b AND task_id = :t" b="$B" t="${T[2]}")" \
	"the English text stays"
it_assert_eq 'proc.state_mismatch|{"op": "resume", "state": "running"}
proc.not_monitor|{}
-|-' "$(it_sql "SELECT coalesce(error_code, '-') || '|' || coalesce(error_params::text, '-')
	FROM proc_log WHERE bulk_op_id = :o ORDER BY session_id" o="$OP")" "bulk-operation rows"

it_start_web
it_start_nginx
IT_LANG=zh-CN it_curl GET "/api/batch/$B/details?status=failed&page_size=20" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 200 "details of the migrated batch"
said=$(/usr/bin/python3 -c '
import json, sys
print("\n".join(i["reason"] for i in json.loads(sys.stdin.read())["items"]))' <<<"$IT_BODY")
it_assert_eq '该任务已不是待办
流程实例已结束
已被另一个批次锁定（批次 42）
已被 li.si 锁定，正在人工处理
下一节点“财务复核”需要指定处理人
已由批次 7 接手：该任务不是分配给您的
意外错误：boom
"城市" (city): is required' "$said" "the migrated reasons said in Chinese (the unknown one as it was)"

before=$(it_sql "SELECT md5(string_agg(id || error_code || error_params::text, ',' ORDER BY id))
	FROM batch_task_detail WHERE error_code IS NOT NULL")
it_migrate
it_assert_eq "$before" "$(it_sql "SELECT md5(string_agg(id || error_code || error_params::text, ',' ORDER BY id))
	FROM batch_task_detail WHERE error_code IS NOT NULL")" "a second migrate changes nothing"
it_done
