# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034  # the PF_* variables are for the sourcing tests
# tests/it/process_fixture.sh: sourced by the bulk process operation tests after lib.sh and
# batch_fixture.sh.
#
#   pf_setup NAME        own database, the batch fixture's users and app (BF_*), BF_ME a
#                        monitor of the app; PF_ADMIN (login, PF_ADMIN_TOKEN) an admin
#   pf_sessions STATE N  N sessions in STATE at node 部门审批 (a done task at 提交 with its
#                        history; running and suspended ones a pending task for BF_ME due in
#                        a day); prints their ids
#   pf_submit TOKEN JSON POST /api/process/bulk; sets PF_OP (or empty) and IT_STATUS
#   pf_settled OP / pf_wait_settled OP SECS
#                        the operation is finished or cancelled with nothing pending
#   pf_counts OP TOKEN   "status total success failed ignored cancelled pending" from the API
#   pf_check_invariant OP TOKEN [LABEL]
#                        API counts = proc_log rows by status, and they add up to total

pf_setup() {
	bf_own_db
	bf_users
	bf_app "$1"
	PF_APP=$(it_sql "SELECT app_id FROM app_versions WHERE id = :v" v="$BF_AV")
	it_sql "INSERT INTO app_monitors (app_id, user_id) VALUES (:a, :u)" a="$PF_APP" u="$BF_ME_ID" >/dev/null
	PF_ADMIN=${BF_TAG}_admin
	PF_ADMIN_ID=$(it_sql "INSERT INTO users (login, name, is_admin) VALUES (:'l', '管理员', true) RETURNING id" l="$PF_ADMIN")
	PF_ADMIN_TOKEN=$(it_token "$PF_ADMIN") || it_bail "token"
}

pf_sessions() {
	local st=$1 n=$2
	it_sql "
WITH s AS (
  INSERT INTO app_sessions (app_version_id, title, state, outcome, current_node_id, form_data, creator, finished)
  SELECT :av, :'title' || ' ' || :'st' || ' #' || g, :'st',
         CASE :'st' WHEN 'finished' THEN 'approved' WHEN 'stopped' THEN 'stopped' END, :n2,
         $BF_FORM_OK, :creator, CASE WHEN :'st' IN ('finished', 'stopped') THEN now() END
  FROM generate_series(1, :n) g ORDER BY g RETURNING id),
 p AS (INSERT INTO tasks (session_id, node_id, assignee, state, finished)
       SELECT id, :n1, :creator, 'done', now() FROM s RETURNING id, session_id),
 h AS (INSERT INTO task_history (task_id, session_id, node_id, actor, action, comment)
       SELECT id, session_id, :n1, :creator, 'approve', '提交' FROM p),
 t AS (INSERT INTO tasks (session_id, node_id, assignee, due_at)
       SELECT id, :n2, :me, now() + interval '1 day' FROM s
       WHERE :'st' IN ('running', 'suspended'))
SELECT id FROM s ORDER BY id" \
		av="$BF_AV" title="流程 $BF_TAG" st="$st" n1="$BF_N1" n2="$BF_N2" n="$n" \
		creator="$BF_APPLICANT_ID" me="$BF_ME_ID"
}

pf_submit() {
	printf '%s' "$2" >"$IT_DIR/op.json"
	it_curl POST /api/process/bulk -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' --data-binary "@$IT_DIR/op.json" "${@:3}"
	PF_OP=
	if [[ $IT_STATUS == 201 ]]; then
		PF_OP=$(it_json op_id <<<"$IT_BODY")
	fi
}

pf_settled() {
	[[ $(it_sql "SELECT o.status IN ('finished', 'cancelled') AND NOT EXISTS
		(SELECT 1 FROM proc_log l WHERE l.bulk_op_id = o.id AND l.status = 'pending')
		FROM process_bulk_op o WHERE o.id = :o" o="$1") == t ]]
}

pf_wait_settled() {
	if it_wait_for "$2" pf_settled "$1"; then
		it_ok "operation $1 settled"
	else
		it_fail "operation $1 not settled after $2 s: $(it_sql "SELECT status FROM process_bulk_op WHERE id = :o" o="$1"), rows: $(it_sql "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM proc_log WHERE bulk_op_id = :o GROUP BY 1) x" o="$1")"
		return 1
	fi
}

pf_counts() {
	it_curl GET "/api/process/bulk/$1" -H "Authorization: Bearer $2"
	/usr/bin/python3 -c 'import json,sys; b=json.loads(sys.stdin.read()); print(b["status"], *[b[k] for k in ("total","success","failed","ignored","cancelled","pending")])' <<<"$IT_BODY"
}

pf_check_invariant() {
	local op=$1 token=$2 label=${3:-} api sql
	api=$(pf_counts "$op" "$token" | cut -d' ' -f2-) || { it_fail "invariant $label: ${IT_BODY:0:300}"; return 1; }
	sql=$(it_sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'success') || ' ' ||
		count(*) FILTER (WHERE status = 'failed') || ' ' || count(*) FILTER (WHERE status = 'ignored')
		|| ' ' || count(*) FILTER (WHERE status = 'cancelled') || ' ' ||
		count(*) FILTER (WHERE status = 'pending') FROM proc_log WHERE bulk_op_id = :o" o="$op")
	it_assert_eq "$sql" "$api" "invariant $label: operation $op counts (API = proc_log rows)"
	read -r t s f g c p <<<"$api"
	it_assert_eq "$t" "$((s + f + g + c + p))" "invariant $label: the counts add up to total"
}
