#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# What the server says to users, in the language the request asks for (Accept-Language):
#   1. the same bad requests (an unknown query parameter, a form that fails its checks,
#      tasks that are not the caller's, an unknown route) asked in en, in zh-CN and with no
#      language: the same status, code and body shape (fields and their own codes), the
#      message in English, in Chinese, and in Chinese again (the default); q-values count;
#   2. a batch whose items fail for three reasons (locked by a person at submission, a
#      suspended process instance and a missing required field in the engine): the reasons
#      are stored as codes with parameters, and the details say them in the reader's
#      language (reason_code, reason_params, reason; "error" as before);
#   3. errors.xlsx downloaded in zh-CN shows the Chinese reasons under 错误原因 (read with
#      openpyxl), in en the English ones, the headers being the template's in both;
#      the workbook uploaded again with a bad cell: the import's problems in both languages;
#   4. a bulk operation's ignored row: its reason (the state and the operation said in the
#      reader's language too) in en and zh-CN.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"

bf_xlsx_setup
pf_setup "多语言"
it_start_web
it_start_nginx
it_start_runner

ME=(-H "Authorization: Bearer $BF_ME_TOKEN")
JSON=(-H 'Content-Type: application/json')

# ask LANG METHOD PATH [CURL ARGS...]: it_curl with Accept-Language LANG ("" for none).
ask() {
	local lang=$1
	shift
	IT_LANG=$lang it_curl "$@"
}

# shape: the body with every "message" blanked (what must not depend on the language).
shape() {
	/usr/bin/python3 -c '
import json, sys
def blank(v):
    if isinstance(v, dict):
        return {k: ("" if k == "message" else blank(x)) for k, x in v.items()}
    if isinstance(v, list):
        return [blank(x) for x in v]
    return v
print(json.dumps(blank(json.loads(sys.stdin.read())), sort_keys=True, ensure_ascii=False))'
}

# same_request LABEL STATUS CODE EN ZH METHOD PATH [CURL ARGS...]: asked in en, zh-CN and
# without a language: STATUS and CODE each time, one body shape, error.message EN, ZH, ZH.
same_request() {
	local label=$1 status=$2 code=$3 en=$4 zh=$5 s_en s_zh s_none
	shift 5
	ask en "$@"
	it_assert_status "$status" "$label (en)"
	it_assert_eq "$code" "$(it_json error.code <<<"$IT_BODY")" "$label (en): code"
	it_assert_eq "$en" "$(it_json error.message <<<"$IT_BODY")" "$label (en): message"
	s_en=$(shape <<<"$IT_BODY")
	ask zh-CN "$@"
	it_assert_status "$status" "$label (zh-CN)"
	it_assert_eq "$code" "$(it_json error.code <<<"$IT_BODY")" "$label (zh-CN): code"
	it_assert_eq "$zh" "$(it_json error.message <<<"$IT_BODY")" "$label (zh-CN): message"
	s_zh=$(shape <<<"$IT_BODY")
	ask "" "$@"
	it_assert_eq "$zh" "$(it_json error.message <<<"$IT_BODY")" "$label (no Accept-Language): zh-CN"
	s_none=$(shape <<<"$IT_BODY")
	it_assert_eq "$s_en" "$s_zh" "$label: en and zh-CN bodies have the same shape"
	it_assert_eq "$s_en" "$s_none" "$label: and so has the one without a language"
	LAST_ZH_BODY=$IT_BODY
}

mapfile -t T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 4)
mapfile -t THEIRS < <(bf_tasks "$BF_N2" "$BF_OTHER_ID" 1)
((${#T[@]} == 4 && ${#THEIRS[@]} == 1)) || it_bail "fixture tasks"

# --- 1. API errors ----------------------------------------------------------------------------
same_request "unknown query parameter" 400 bad_request \
	'unknown parameter "bogus"' '未知参数“bogus”' \
	GET "/api/batch/tasks?node_id=$BF_N2&bogus=1" "${ME[@]}"
it_assert_eq 'bogus|param.unknown|未知参数' \
	"$(it_json error.details.0.field <<<"$LAST_ZH_BODY")|$(it_json error.details.0.code <<<"$LAST_ZH_BODY")|$(it_json error.details.0.message <<<"$LAST_ZH_BODY")" \
	"unknown parameter: the detail keeps its field and code, its message in Chinese"

FORM_BAD=$(printf '{"node_id":%s,"task_ids":[%s],"examine":{"action":"approve"},"form":{"amount":-5,"city":"火星"}}' \
	"$BF_N2" "${T[3]}")
same_request "form values that fail their checks" 422 validation_failed \
	'the submission is not valid' '提交的内容无效' \
	POST /api/batch "${ME[@]}" "${JSON[@]}" --data-binary "$FORM_BAD"
ask en POST /api/batch "${ME[@]}" "${JSON[@]}" --data-binary "$FORM_BAD"
it_assert_eq '"金额" (amount): must be at least 0' \
	"$(/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["error"]["details"]; print([x["message"] for x in d if x.get("field")=="amount"][0])' <<<"$IT_BODY")" \
	"form detail in en: field, label and check"
it_assert_eq 'amount|form.min|“金额”（amount）：不能小于 0' \
	"$(/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["error"]["details"]; x=[x for x in d if x.get("field")=="amount"][0]; print(x["field"]+"|"+x["code"]+"|"+x["message"])' <<<"$LAST_ZH_BODY")" \
	"form detail in zh-CN: the same field and code, said in Chinese"

same_request "tasks that are not the caller's" 422 validation_failed \
	'the submission names tasks that are not yours at this node' '提交中有不是您在此节点的任务' \
	POST /api/batch "${ME[@]}" "${JSON[@]}" \
	--data-binary "{\"node_id\":$BF_N2,\"task_ids\":[${THEIRS[0]}],\"examine\":{\"action\":\"approve\"}}"
it_assert_eq "task_ids|[${THEIRS[0]}]" \
	"$(it_json error.details.0.field <<<"$LAST_ZH_BODY")|$(it_json error.details.0.task_ids <<<"$LAST_ZH_BODY")" \
	"foreign tasks: the detail still names the field and the tasks"

same_request "a listing filter that is not valid" 400 bad_request \
	'parameter "task_ids": a comma-separated list of positive task ids' '参数“task_ids”：以逗号分隔的正整数任务 ID 列表' \
	GET "/api/batch/tasks?node_id=$BF_N2&task_ids=0" "${ME[@]}"
it_assert_eq 'task_ids|task.ids_positive' \
	"$(it_json error.details.0.field <<<"$LAST_ZH_BODY")|$(it_json error.details.0.code <<<"$LAST_ZH_BODY")" \
	"listing filter: the detail names the parameter and its own code"
same_request "a status that lists do not know" 400 bad_request \
	'status must be init, running, finished or cancelled' 'status 必须是 init、running、finished 或 cancelled' \
	GET "/api/batches?status=bogus" "${ME[@]}"

same_request "unknown route" 404 not_found \
	'no such resource: /api/nope' '没有这个资源：/api/nope' GET /api/nope "${ME[@]}"

# q-values decide; a language we do not speak is passed over.
ask "fr-FR, en;q=0.5" GET /api/nope "${ME[@]}"
it_assert_eq 'no such resource: /api/nope' "$(it_json error.message <<<"$IT_BODY")" "fr-FR, en;q=0.5 → en"
ask "en;q=0.2, zh-TW;q=0.9" GET /api/nope "${ME[@]}"
it_assert_eq '没有这个资源：/api/nope' "$(it_json error.message <<<"$IT_BODY")" "en;q=0.2, zh-TW;q=0.9 → zh-CN"

# --- 2. a batch with failures -------------------------------------------------------------------
# T0 locked by a person (fails at submission), T1's process instance suspended, T2 without
# its required city, T3 fine.
it_sql "UPDATE tasks SET lock_kind = 'person', lock_owner = 'zhang.san', locked_at = now()
	WHERE id = :t" t="${T[0]}" >/dev/null || it_bail "person lock"
bf_sessions_set suspended "${T[1]}"
it_sql "UPDATE app_sessions s SET form_data = s.form_data - 'city' FROM tasks t
	WHERE t.session_id = s.id AND t.id = :t" t="${T[2]}" >/dev/null || it_bail "form"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${T[@]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_eq 201 "$IT_STATUS" "batch submitted"
B=$BF_BATCH
bf_wait_settled "$B" 30
it_assert_eq "1 3" "$(bf_count "$B" success) $(bf_count "$B" failed)" "one success, three failures"

# reasons TASK: "code|params|reason|error" of the task's item in the last details answer.
reasons() {
	/usr/bin/python3 -c '
import json, sys
t = int(sys.argv[1])
for it in json.loads(sys.stdin.read())["items"]:
    if it["task_id"] == t:
        print("%s|%s|%s|%s" % (it["reason_code"], json.dumps(it["reason_params"], ensure_ascii=False, sort_keys=True), it["reason"], it["error"] == it["reason"]))' "$1"
}
ask en GET "/api/batch/$B/details?status=failed" "${ME[@]}"
it_assert_status 200 "details in en"
EN=$IT_BODY
ask zh-CN GET "/api/batch/$B/details?status=failed" "${ME[@]}"
ZH=$IT_BODY
ask "" GET "/api/batch/$B/details?status=failed" "${ME[@]}"
NONE=$IT_BODY
it_assert_eq 'item.locked_person|{"owner": "zhang.san"}|locked by zhang.san, who is handling it in person|True' \
	"$(reasons "${T[0]}" <<<"$EN")" "locked by a person, in en"
it_assert_eq 'item.locked_person|{"owner": "zhang.san"}|已被 zhang.san 锁定，正在人工处理|True' \
	"$(reasons "${T[0]}" <<<"$ZH")" "locked by a person, in zh-CN"
it_assert_eq 'item.suspended|{}|the process instance is suspended|True' \
	"$(reasons "${T[1]}" <<<"$EN")" "suspended, in en"
it_assert_eq 'item.suspended|{}|流程实例已挂起|True' "$(reasons "${T[1]}" <<<"$ZH")" "suspended, in zh-CN"
it_assert_match '^item\.form_invalid\|.*"code": "form\.required".*\|"城市" \(city\): is required\|True$' \
	"$(reasons "${T[2]}" <<<"$EN")" "missing required field, in en"
it_assert_match '^item\.form_invalid\|.*\|“城市”（city）：必填\|True$' \
	"$(reasons "${T[2]}" <<<"$ZH")" "missing required field, in zh-CN"
it_assert_eq "$ZH" "$NONE" "details without a language are the zh-CN ones"
it_assert_eq "item.locked_person|locked by zhang.san, who is handling it in person" \
	"$(it_sql "SELECT error_code || '|' || error FROM batch_task_detail WHERE batch_id = :b AND task_id = :t" \
		b="$B" t="${T[0]}")" "stored: the code, and the English text for logs"

# --- 3. errors.xlsx ------------------------------------------------------------------------------
# xlsx_reasons FILE: the 错误原因 column by task id, "task=reason" lines in task order.
xlsx_reasons() {
	$PY - "$1" <<'PYEOF'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
rows = list(ws.iter_rows(values_only=True))
head = list(rows[0])
col = [i for i, h in enumerate(head) if h and "原因" in str(h)]
tid = head.index("任务ID")
print("header=%s" % head[col[0]])
for r in sorted(rows[1:], key=lambda r: int(r[tid])):
    print("%s=%s" % (r[tid], r[col[0]]))
PYEOF
}
for lang in zh-CN en; do
	ask "$lang" GET "/api/batch/$B/errors.xlsx" "${ME[@]}"
	it_assert_status 200 "errors.xlsx ($lang)"
	cp "$IT_DIR/curl.body" "$IT_DIR/errors-$lang.xlsx"
done
ZX=$(xlsx_reasons "$IT_DIR/errors-zh-CN.xlsx") || it_fail "errors.xlsx (zh-CN) unreadable"
EX=$(xlsx_reasons "$IT_DIR/errors-en.xlsx") || it_fail "errors.xlsx (en) unreadable"
it_assert_eq "header=错误原因
${T[0]}=已被 zhang.san 锁定，正在人工处理
${T[1]}=流程实例已挂起
${T[2]}=“城市”（city）：必填" "$ZX" "errors.xlsx in zh-CN: the Chinese reasons under 错误原因"
it_assert_eq "header=错误原因
${T[0]}=locked by zhang.san, who is handling it in person
${T[1]}=the process instance is suspended
${T[2]}=\"城市\" (city): is required" "$EX" "errors.xlsx in en: the English reasons (the template's headers)"

# The workbook fixed wrongly and uploaded again: the import's problems in the same two ways.
$PY - "$IT_DIR/errors-zh-CN.xlsx" "$IT_DIR/bad.xlsx" <<'PYEOF' || it_fail "editing errors.xlsx"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]
head = [c.value for c in ws[1]]
ws.cell(row=2, column=head.index("金额") + 1, value="abc")
wb.save(sys.argv[2])
PYEOF
# amount_problem LANG: "code|message" of the amount's detail, and the summary.
amount_problem() {
	ask "$1" POST /api/batch/import "${ME[@]}" -F "file=@$IT_DIR/bad.xlsx"
	/usr/bin/python3 -c '
import json, sys
e = json.loads(sys.stdin.read())["error"]
d = [x for x in e["details"] if x.get("field") == "amount"][0]
print("%s|%s|%s|%s" % (e["code"], d["code"], d["message"], e["message"]))' <<<"$IT_BODY"
}
it_assert_match '^validation_failed\|import\.problem\|"金额" \(amount\): "abc" is not a number\|[0-9]+ problems? in the file; nothing was submitted$' \
	"$(amount_problem en)" "import problems in en"
it_assert_match '^validation_failed\|import\.problem\|“金额”（amount）：“abc”不是数字\|文件中有 [0-9]+ 个问题；没有提交任何内容$' \
	"$(amount_problem zh-CN)" "import problems in zh-CN"

it_assert_no_stale_locks "after the batch"

# --- 4. a bulk operation ---------------------------------------------------------------------------
mapfile -t RUN < <(pf_sessions running 1)
mapfile -t SUS < <(pf_sessions suspended 1)
pf_submit "$BF_ME_TOKEN" "{\"operation\":\"suspend\",\"session_ids\":[${RUN[0]},${SUS[0]}]}"
[[ -n $PF_OP ]] || it_bail "bulk operation not submitted: $IT_STATUS $IT_BODY"
pf_wait_settled "$PF_OP" 30
# op_reason LANG: "code|params|reason" of the suspended session's row.
op_reason() {
	ask "$1" GET "/api/process/bulk/$PF_OP/items" "${ME[@]}"
	/usr/bin/python3 -c '
import json, sys
for it in json.loads(sys.stdin.read())["items"]:
    if it["session_id"] == int(sys.argv[1]):
        print("%s|%s|%s" % (it["reason_code"], json.dumps(it["reason_params"], sort_keys=True), it["reason"]))' "${SUS[0]}" <<<"$IT_BODY"
}
it_assert_eq 'proc.state_mismatch|{"op": "suspend", "state": "suspended"}|the process instance is suspended; suspend applies to running ones' \
	"$(op_reason en)" "bulk operation: the ignored row's reason in en"
it_assert_eq 'proc.state_mismatch|{"op": "suspend", "state": "suspended"}|流程实例已挂起；挂起只适用于运行中的实例' \
	"$(op_reason zh-CN)" "bulk operation: the ignored row's reason in zh-CN"
it_done
