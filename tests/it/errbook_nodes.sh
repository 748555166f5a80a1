#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# errors.xlsx at every node of the demo data (flowbatchctl seed): for each node, the user
# with the most pending tasks there submits a batch of three of them, one of which someone
# handles in person (so it fails at submission, no runner needed); the error workbook is
# downloaded through nginx and opened with openpyxl: the failed row with its reason, the
# columns of the node's layout, the protected sheet with its 操作 dropdown, and the dropdown
# sources on the hidden Lists sheet (nodes with a writable select have several Lists
# columns: 采购申请 / 部门审批 answered 500 with "lists: Worksheet row or column index out of
# range" before).  errbook_layout.sh compares the whole layout with the template's.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

PY=/usr/bin/python3
$PY -c 'import openpyxl' 2>/dev/null || it_bail "python3-openpyxl is not installed"
# libxlsxwriter 1.1.4 never frees its copy of a list validation's formula (LIBNOTES).
printf 'leak:lxw_strdup\n' >"$IT_DIR/lsan.supp"
export LSAN_OPTIONS="suppressions=$IT_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

bf_own_db
it_ctl seed --users 20 --tasks 900 >"$IT_DIR/seed.log" 2>&1 || { cat "$IT_DIR/seed.log"; it_bail "seed failed"; }
it_start_web
it_start_nginx

cat >"$IT_DIR/check.py" <<'PYEOF'
import json, sys
import openpyxl
path, task, reason = sys.argv[1], sys.argv[2], sys.argv[3]
wb = openpyxl.load_workbook(path)
ws = wb["审批"]
head = [c.value for c in ws[1]]
rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]
out = {"sheets": wb.sheetnames, "head": head, "rows": len(rows),
       "task": str(rows[0][0]) if rows else None,
       "reason": rows[0][head.index("错误原因")] if rows and "错误原因" in head else None,
       "lists_state": wb["Lists"].sheet_state,
       "lists_cols": [c.value for c in wb["Lists"][1]],
       "protected": bool(ws.protection.sheet),
       "action_list": [dv.formula1 for dv in ws.data_validations.dataValidation
                       if dv.type == "list" and "操作" in head
                       and str(dv.sqref).startswith(openpyxl.utils.get_column_letter(head.index("操作") + 1))]}
ok = (out["rows"] == 1 and out["task"] == task and reason in (out["reason"] or "")
      and out["lists_state"] == "hidden" and "操作" in out["lists_cols"]
      and out["protected"] and out["action_list"] == ["Lists!$A$2:$A$3"])
print(json.dumps(out, ensure_ascii=False))
sys.exit(0 if ok else 1)
PYEOF

nodes=$(it_sql "SELECT n.id FROM nodes n JOIN app_versions v ON v.id = n.app_version_id
	ORDER BY v.app_id, n.seq") || it_bail "no nodes"
nnodes=$(wc -w <<<"$nodes")
((nnodes >= 9)) || it_bail "the demo data has $nnodes nodes"
done_nodes=0
for node in $nodes; do
	name=$(it_sql "SELECT a.name || ' / ' || n.name FROM nodes n JOIN app_versions v ON
		v.id = n.app_version_id JOIN apps a ON a.id = v.app_id WHERE n.id = :n" n="$node")
	login=$(it_sql "SELECT u.login FROM tasks t JOIN users u ON u.id = t.assignee
		JOIN app_sessions s ON s.id = t.session_id
		WHERE t.node_id = :n AND t.state = 'pending' AND t.lock_kind IS NULL
		AND s.state = 'running' GROUP BY u.login ORDER BY count(*) DESC, u.login LIMIT 1" n="$node")
	if [[ -z $login ]]; then
		it_fail "$name: nobody has a free pending task there in the demo data"
		continue
	fi
	mapfile -t ids < <(it_sql "SELECT t.id FROM tasks t JOIN users u ON u.id = t.assignee
		JOIN app_sessions s ON s.id = t.session_id
		WHERE t.node_id = :n AND u.login = :'l' AND t.state = 'pending' AND t.lock_kind IS NULL
		AND s.state = 'running' ORDER BY t.id LIMIT 3" n="$node" l="$login")
	# The first is being handled in person: it fails at submission.
	it_sql "UPDATE tasks SET lock_kind = 'person', lock_owner = '李经办', locked_at = now()
		WHERE id = :t" t="${ids[0]}" >/dev/null || it_bail "lock task ${ids[0]}"
	token=$(it_token "$login") || it_bail "token for $login"
	# Approving into a 'choose' node names the next assignee.
	choose=$(it_sql "SELECT count(*) FROM nodes n JOIN nodes m ON m.app_version_id =
		n.app_version_id AND m.seq = n.seq + 1 WHERE n.id = :n AND m.assignee_rule = 'choose'" \
		n="$node")
	assignee=
	((choose > 0)) && assignee=",\"assignee\":{\"user\":\"$login\"}"
	bf_submit "$token" "{\"node_id\":$node,\"task_ids\":$(bf_ids_json "${ids[@]}"),\"examine\":{\"action\":\"approve\",\"comment\":\"同意\"}$assignee}"
	if [[ -z $BF_BATCH ]]; then
		it_fail "$name: submission answered $IT_STATUS ${IT_BODY:0:300}"
		continue
	fi
	it_assert_eq 1 "$(bf_count "$BF_BATCH" failed)" "$name: one item failed at submission"
	it_curl GET "/api/batch/$BF_BATCH/errors.xlsx" -H "Authorization: Bearer $token"
	if ! it_assert_status 200 "$name: errors.xlsx"; then
		continue
	fi
	cp "$IT_DIR/curl.body" "$IT_DIR/err-$node.xlsx"
	if got=$($PY "$IT_DIR/check.py" "$IT_DIR/err-$node.xlsx" "${ids[0]}" "handling it in person" 2>&1); then
		it_ok "$name: errors.xlsx opens in openpyxl with the failed row and its reason"
		done_nodes=$((done_nodes + 1))
	else
		it_fail "$name: errors.xlsx: $got"
	fi
done
it_assert_eq "$nnodes" "$done_nodes" "errors.xlsx checked at every node of the demo data"

it_done
