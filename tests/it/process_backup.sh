#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# delete → backup → restore gives back the same session, tasks and history (compared as
# JSON); archive_delete removes them and flowbatchctl restore puts them back; a session that
# exists and is not deleted is not overwritten.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"

pf_setup "流程备份"
it_start_web
it_start_nginx
it_start_runner

# snapshot ID: the session row, its tasks and its history as one JSON text.
snapshot() {
	it_sql "SELECT jsonb_build_object('session', to_jsonb(s),
		'tasks', (SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id) FROM tasks t WHERE t.session_id = s.id),
		'history', (SELECT jsonb_agg(to_jsonb(h) ORDER BY h.id) FROM task_history h WHERE h.session_id = s.id))
		FROM app_sessions s WHERE s.id = :s" s="$1"
}

mapfile -t R < <(pf_sessions running 2)
# Something more in the history and the form: a comment with 中文 and a second history row.
it_sql "INSERT INTO task_history (session_id, node_id, actor, action, comment, form_diff) VALUES (:s, :n, :u, 'comment', '备注：请尽快处理', '{\"note\":{\"old\":null,\"new\":\"急\"}}')" \
	s="${R[0]}" n="$BF_N2" u="$BF_ME_ID" >/dev/null
before=$(snapshot "${R[0]}")
[[ -n $before ]] || it_bail "no snapshot"
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"delete\",\"session_ids\":[${R[0]}],\"comment\":\"清理\"}"
it_assert_status 201 "delete submitted"
pf_wait_settled "$PF_OP" 30
it_assert_eq deleted "$(it_sql "SELECT state FROM app_sessions WHERE id = :s" s="${R[0]}")" "deleted"
it_curl GET "/api/process/sessions/${R[0]}/backups" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 200 "a monitor lists the backups"
BK=$(it_json items.0.backup_id <<<"$IT_BODY")
it_assert_eq "delete 2 2 $PF_OP" "$(/usr/bin/python3 -c 'import json,sys; i=json.loads(sys.stdin.read())["items"][0]; print(i["operation"], i["tasks"], i["history"], i["op_id"])' <<<"$IT_BODY")" \
	"the backup: operation, tasks, history, op"
it_curl POST "/api/process/backups/$BK/restore" -H "Authorization: Bearer $PF_ADMIN_TOKEN"
it_assert_status 200 "restored"
it_assert_eq "$before" "$(snapshot "${R[0]}")" "delete → restore: the same session, tasks and history"
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM session_backup WHERE id = :b AND restored IS NOT NULL AND restored_by = :u" b="$BK" u="$PF_ADMIN_ID")" "the backup says who restored it"
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM action_log WHERE action = 'process.restore' AND target_id = :'s'" s="${R[0]}")" "the restore is in the action log"
it_curl POST "/api/process/backups/$BK/restore" -H "Authorization: Bearer $PF_ADMIN_TOKEN"
it_assert_status 409 "a live session is not overwritten"
it_curl POST "/api/process/backups/999999999/restore" -H "Authorization: Bearer $PF_ADMIN_TOKEN"
it_assert_status 404 "no such backup"

# archive_delete: gone, then back through flowbatchctl.
mapfile -t F < <(pf_sessions finished 1)
before=$(snapshot "${F[0]}")
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"archive_delete\",\"session_ids\":[${F[0]}]}"
it_assert_status 201 "archive_delete submitted"
pf_wait_settled "$PF_OP" 30
it_assert_eq "0 0 0" "$(it_sql "SELECT (SELECT count(*) FROM app_sessions WHERE id = :s) || ' ' || (SELECT count(*) FROM tasks WHERE session_id = :s) || ' ' || (SELECT count(*) FROM task_history WHERE session_id = :s)" s="${F[0]}")" \
	"archive_delete: row, tasks and history gone"
BK2=$(it_sql "SELECT id FROM session_backup WHERE session_id = :s" s="${F[0]}")
out=$(it_ctl restore "$BK2" 2>&1)
it_assert_eq "restored process instance ${F[0]} from backup $BK2" "$out" "flowbatchctl restore"
it_assert_eq "$before" "$(snapshot "${F[0]}")" "archive_delete → restore: the same session, tasks and history"
it_ctl restore 999999999 >/dev/null 2>&1
it_assert_eq 1 "$?" "flowbatchctl restore of no such backup fails"

it_done
