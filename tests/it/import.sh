#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Excel import end to end through nginx, with a real third-party client (openpyxl) filling
# the files the way a person would: a single template downloaded, filled (dropdown values,
# a comment, approve / reject, a row left blank), checked with dry_run, imported and
# executed by a runner, the results checked in PostgreSQL; the same for a multi pack (zip
# of workbooks, a 'choose' next node with its 下一处理人); every import error answered
# with its exact message (wrong value, wrong dependent value, missing required, someone
# else's task, bad action, wrong node, older form version, tampered meta, no meta, not a
# zip, zip bomb, DOCTYPE/XXE, a million rows); and errors.xlsx: the failed rows with their
# reasons, fixed in openpyxl and uploaded again as a new batch that succeeds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

# A failed item is unlocked at once (retry limit 1) so that its fixed row can be imported
# again; no automatic retries.
export FLOWBATCH_BATCH_RETRY_LIMIT=1 FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600 \
	FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2

bf_xlsx_setup
XL=$IT_DIR/xl.py
cat >"$XL" <<'PYEOF'
import io, json, sys, zipfile
import openpyxl

def header_map(ws):
    return {str(c.value).strip(): c.column for c in ws[1] if c.value is not None}

def fill(src, dst, edits):
    """edits: {task_id: {header: value}}; header matched without the ' *' mark."""
    wb = openpyxl.load_workbook(src)
    ws = wb["审批"]
    h = {k.rstrip(" *"): v for k, v in header_map(ws).items()}
    for row in ws.iter_rows(min_row=2):
        tid = row[h["任务ID"] - 1].value
        if tid is None or str(tid) not in edits:
            continue
        for col, val in edits[str(tid)].items():
            ws.cell(row=row[0].row, column=h[col], value=val)
    wb.save(dst)

def rows(src):
    wb = openpyxl.load_workbook(src, read_only=True)
    ws = wb["审批"]
    it = ws.iter_rows(values_only=True)
    head = [str(x) if x is not None else "" for x in next(it)]
    out = [dict(zip(head, r)) for r in it if any(v is not None for v in r)]
    print(json.dumps({"header": head, "rows": out, "sheets": wb.sheetnames}, ensure_ascii=False, default=str))

def fill_pack(src, dst, edits):
    """edits: {task_id: {label: value}} on each workbook's 表单 sheet."""
    zin = zipfile.ZipFile(src)
    zout = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
    for info in zin.infolist():
        wb = openpyxl.load_workbook(io.BytesIO(zin.read(info)))
        meta = json.loads(wb["_meta"]["A1"].value)
        ws = wb["表单"]
        e = edits.get(str(meta["task_id"]), {})
        for r in ws.iter_rows(min_row=2):
            lab = str(r[0].value or "").rstrip(" *")
            if lab in e:
                r[1].value = e[lab]
        buf = io.BytesIO()
        wb.save(buf)
        zout.writestr(info.filename, buf.getvalue())
    zout.close()

def tamper(src, dst):
    wb = openpyxl.load_workbook(src)
    ws = wb["_meta"]
    m = json.loads(ws["A1"].value)
    m["generated"] = "2000-01-01T00:00:00Z"
    ws["A1"].value = json.dumps(m, ensure_ascii=False, separators=(",", ":"))
    wb.save(dst)

def nometa(src, dst):
    wb = openpyxl.load_workbook(src)
    del wb["_meta"]
    wb.save(dst)

def million(src, dst):
    wb = openpyxl.load_workbook(src)
    wb["审批"].cell(row=1048576, column=1, value="x")
    wb.save(dst)

def bomb(dst):
    z = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
    with z.open("bomb.xlsx", "w", force_zip64=True) as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(200):
            f.write(chunk)
    z.close()

def xxe(src, dst):
    zin = zipfile.ZipFile(src)
    zout = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
    for info in zin.infolist():
        data = zin.read(info)
        if info.filename == "xl/workbook.xml":
            s = data.decode("utf-8")
            i = s.index("?>") + 2 if s.startswith("<?xml") else 0
            s = s[:i] + '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + s[i:]
            data = s.encode("utf-8")
        zout.writestr(info, data)
    zout.close()

cmd = sys.argv[1]
if cmd == "fill":
    fill(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
elif cmd == "rows":
    rows(sys.argv[2])
elif cmd == "fill_pack":
    fill_pack(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
elif cmd in ("tamper", "nometa", "million", "xxe"):
    globals()[cmd](sys.argv[2], sys.argv[3])
elif cmd == "bomb":
    bomb(sys.argv[2])
PYEOF

bf_own_db
bf_users
bf_app "导入报销"
N1=$BF_N1 N2=$BF_N2 N3=$BF_N3
it_start_web
it_start_nginx
H=(-H "Authorization: Bearer $BF_ME_TOKEN")

# upload FILE [EXTRA CURL ARGS]: POST /api/batch/import.
upload() {
	local f=$1
	shift
	it_curl POST /api/batch/import "${H[@]}" -F "file=@$f" "$@"
}
# detail_has ROW COLUMN MESSAGE-REGEX: the last 422 lists that problem.
detail_has() {
	$PY -c '
import json, re, sys
b = json.loads(sys.stdin.read())
row, col, pat = sys.argv[1], sys.argv[2], sys.argv[3]
for d in b["error"].get("details", []):
    if (row == "" or str(d.get("row")) == row) and (col == "" or d.get("column") == col) \
       and re.search(pat, d.get("message", "")):
        sys.exit(0)
sys.exit(1)' "$1" "$2" "$3" <<<"$IT_BODY"
}
expect_detail() {
	if detail_has "$1" "$2" "$3"; then
		it_ok "$4"
	else
		it_fail "$4: no detail row=$1 column=$2 /$3/ in ${IT_BODY:0:800}"
	fi
}
batches() { it_sql "SELECT count(*) FROM batch_task"; }

# --- 1. single template round trip --------------------------------------------------------
mapfile -t T < <(bf_tasks "$N2" "$BF_ME_ID" 5 "$BF_FORM_OK" "$N1" "$BF_APPLICANT_ID")
it_assert_eq 5 "${#T[@]}" "5 tasks at 部门审批"
it_curl GET "/api/batch/template?node_id=$N2&task_ids=$(IFS=,; echo "${T[*]}")" "${H[@]}"
it_assert_status 200 "download the single template"
cp "$IT_DIR/curl.body" "$IT_DIR/t1.xlsx"
edits=$(printf '{"%s":{"操作":"同意","城市":"广州","审批意见":"同意报销"},"%s":{"操作":"同意","城市":"深圳"},"%s":{"操作":"驳回","审批意见":"金额不符"},"%s":{"城市":"广州"},"%s":{"操作":"同意","金额":99.5}}' \
	"${T[0]}" "${T[1]}" "${T[2]}" "${T[3]}" "${T[4]}")
$PY "$XL" fill "$IT_DIR/t1.xlsx" "$IT_DIR/f1.xlsx" "$edits" || it_bail "openpyxl fill"
upload "$IT_DIR/f1.xlsx" -F dry_run=1
it_assert_status 200 "dry run of the filled template"
it_assert_eq '{"valid":true,"total":4}' "$(tr -d ' \n' <<<"$IT_BODY")" "dry run: valid, 4 rows (the blank-action row skipped)"
it_assert_eq 0 "$(batches)" "dry run created nothing"
upload "$IT_DIR/f1.xlsx"
it_assert_status 201 "import the filled template"
B1=$(it_json batch_id <<<"$IT_BODY")
it_assert_eq 4 "$(it_json total <<<"$IT_BODY")" "batch of 4"
it_assert_eq "import|true" "$(it_sql "SELECT source || '|' || is_single FROM batch_task WHERE id = :b" b="$B1")" "source import, single layout"
it_start_runner
bf_wait_settled "$B1" 30
bf_check_invariant "$B1" "$BF_ME_TOKEN" "single import"
it_assert_no_stale_locks "single import"
it_assert_eq 4 "$(bf_count "$B1" success)" "4 items succeeded"
it_assert_eq "广州|同意报销" "$(it_sql "SELECT s.form_data->>'city' || '|' || h.comment FROM tasks t JOIN app_sessions s ON s.id = t.session_id JOIN task_history h ON h.task_id = t.id WHERE t.id = :t" t="${T[0]}")" "row 1: city 广州 and the comment recorded"
it_assert_eq "$N1" "$(it_sql "SELECT s.current_node_id FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE t.id = :t" t="${T[2]}")" "row 3 rejected: back to 提交"
it_assert_eq "reject|金额不符" "$(it_sql "SELECT action || '|' || comment FROM task_history WHERE task_id = :t" t="${T[2]}")" "row 3: reject with its comment"
it_assert_eq "pending|" "$(it_sql "SELECT state || '|' || coalesce(lock_kind, '') FROM tasks WHERE id = :t" t="${T[3]}")" "row 4 (no action) untouched"
it_assert_eq "99.5" "$(it_sql "SELECT s.form_data->>'amount' FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE t.id = :t" t="${T[4]}")" "row 5: amount 99.5"
it_assert_eq "0" "$(find "$IT_DIR" -mindepth 1 -maxdepth 1 -name 'fb-*' | wc -l)" "no temp file left"

# --- 2. multi pack with a 'choose' next node ----------------------------------------------
bf_app "导入多表" choose
M1=$BF_N1 M2=$BF_N2
mapfile -t M < <(bf_tasks "$M2" "$BF_ME_ID" 2 "$BF_FORM_OK" "$M1" "$BF_APPLICANT_ID")
it_curl GET "/api/batch/template?node_id=$M2&task_ids=${M[0]},${M[1]}&mode=multi" "${H[@]}"
it_assert_status 200 "download the multi pack"
cp "$IT_DIR/curl.body" "$IT_DIR/p1.zip"
edits=$(printf '{"%s":{"操作":"同意","城市":"广州","下一处理人":"%s","审批意见":"多表同意"},"%s":{"操作":"驳回"}}' \
	"${M[0]}" "$BF_REVIEWER2" "${M[1]}")
$PY "$XL" fill_pack "$IT_DIR/p1.zip" "$IT_DIR/f2.zip" "$edits" || it_bail "openpyxl fill_pack"
upload "$IT_DIR/f2.zip"
it_assert_status 201 "import the multi pack"
B2=$(it_json batch_id <<<"$IT_BODY")
it_assert_eq "f" "$(it_sql "SELECT is_single FROM batch_task WHERE id = :b" b="$B2")" "multi layout recorded"
bf_wait_settled "$B2" 30
it_assert_eq 2 "$(bf_count "$B2" success)" "both workbooks succeeded"
it_assert_no_stale_locks "multi pack"
it_assert_eq "$BF_REVIEWER2|广州" "$(it_sql "SELECT u.login || '|' || (s.form_data->>'city') FROM tasks t0 JOIN tasks t ON t.session_id = t0.session_id AND t.state = 'pending' JOIN users u ON u.id = t.assignee JOIN app_sessions s ON s.id = t0.session_id WHERE t0.id = :t" t="${M[0]}")" "the next task is the chosen assignee's; city saved"

# --- 3. import errors -------------------------------------------------------------------------
mapfile -t E < <(bf_tasks "$N2" "$BF_ME_ID" 3 "$BF_FORM_OK" "$N1" "$BF_APPLICANT_ID")
mapfile -t NC < <(bf_tasks "$N2" "$BF_ME_ID" 1 \
	"jsonb_build_object('reason', '无城市', 'amount', 1, 'category', '差旅', 'province', '广东')" "$N1" "$BF_APPLICANT_ID")
mapfile -t OT < <(bf_tasks "$N2" "$BF_OTHER_ID" 1)
it_curl GET "/api/batch/template?node_id=$N2&task_ids=${E[0]},${E[1]},${E[2]},${NC[0]}" "${H[@]}"
it_assert_status 200 "download a template for the error cases"
cp "$IT_DIR/curl.body" "$IT_DIR/t3.xlsx"
n0=$(batches)
edits=$(printf '{"%s":{"操作":"同意","金额":"abc"},"%s":{"操作":"同意","城市":"杭州"},"%s":{"操作":"也许"},"%s":{"操作":"同意"}}' \
	"${E[0]}" "${E[1]}" "${E[2]}" "${NC[0]}")
$PY "$XL" fill "$IT_DIR/t3.xlsx" "$IT_DIR/f3.xlsx" "$edits" || it_bail "fill errors"
# someone else's task: overwrite the id of the last row with the other user's task
$PY - "$IT_DIR/f3.xlsx" "${OT[0]}" <<'PYEOF' || it_bail "append other's row"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["审批"]
h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value}
r = ws.max_row + 1
ws.cell(row=r, column=h["任务ID"], value=sys.argv[2]); ws.cell(row=r, column=h["操作"], value="驳回")
wb.save(sys.argv[1])
PYEOF
upload "$IT_DIR/f3.xlsx"
it_assert_status 422 "a file with errors is refused"
it_assert_eq validation_failed "$(it_json error.code <<<"$IT_BODY")" "code validation_failed"
expect_detail 2 "金额" "number" "wrong value: 金额 abc on row 2"
expect_detail 3 "城市 *" "." "wrong dependent value: 城市 杭州 under 广东 on row 3"
expect_detail 4 "操作" "操作 must be 同意 or 驳回" "bad action on row 4"
expect_detail 5 "" "required|城市" "missing required 城市 on row 5"
expect_detail 6 "任务ID" "is not one of your tasks" "someone else's task on row 6"
it_assert_eq "$n0" "$(batches)" "nothing created"

# a formula instead of a value: openpyxl stores it without a calculated value
edits=$(printf '{"%s":{"操作":"同意","金额":"=100+1"}}' "${E[0]}")
$PY "$XL" fill "$IT_DIR/t3.xlsx" "$IT_DIR/f3f.xlsx" "$edits" || it_bail "fill formula"
upload "$IT_DIR/f3f.xlsx"
it_assert_status 422 "a formula without a value is refused"
expect_detail 2 "金额" "FORMULA \\(not calculated\\)" "formula instead of a value: 金额 on row 2"
it_assert_eq "$n0" "$(batches)" "nothing created for the formula"

upload "$IT_DIR/f1.xlsx" -F "node_id=$N1"
it_assert_status 422 "template for another node"
it_assert_match "template for another node" "$(it_json error.message <<<"$IT_BODY")" "message: template for another node"
av2=$(it_sql "INSERT INTO app_versions (app_id, version, form_schema) SELECT app_id, 2, form_schema FROM app_versions WHERE id = (SELECT app_version_id FROM nodes WHERE id = :n) RETURNING id" n="$N2")
av1=$(it_sql "SELECT app_version_id FROM nodes WHERE id = :n" n="$N2")
it_sql "UPDATE nodes SET app_version_id = :v WHERE id = :n" v="$av2" n="$N2" >/dev/null
upload "$IT_DIR/f3.xlsx"
it_assert_status 422 "template of an older form version"
it_assert_match "template of an older form version" "$(it_json error.message <<<"$IT_BODY")" "message: older form version"
it_sql "UPDATE nodes SET app_version_id = :v WHERE id = :n" v="$av1" n="$N2" >/dev/null
$PY "$XL" tamper "$IT_DIR/t3.xlsx" "$IT_DIR/tampered.xlsx" || it_bail "tamper"
upload "$IT_DIR/tampered.xlsx"
it_assert_status 422 "tampered meta"
it_assert_match "the template was changed" "$(it_json error.message <<<"$IT_BODY")" "message: the template was changed"
$PY "$XL" nometa "$IT_DIR/t3.xlsx" "$IT_DIR/nometa.xlsx" || it_bail "nometa"
upload "$IT_DIR/nometa.xlsx"
it_assert_status 422 "wrong template (no _meta)"
it_assert_match "no _meta sheet" "$(it_json error.message <<<"$IT_BODY")" "message: no _meta sheet"
head -c 5000 /dev/urandom >"$IT_DIR/junk.xlsx"
upload "$IT_DIR/junk.xlsx"
it_assert_status 415 "not a zip"
it_assert_match "not an xlsx \(or encrypted\)" "$(it_json error.message <<<"$IT_BODY")" "message: not an xlsx (or encrypted)"
$PY "$XL" bomb "$IT_DIR/bomb.zip" || it_bail "bomb"
it_ok "zip bomb of $(stat -c %s "$IT_DIR/bomb.zip") bytes inflating to 200 MiB"
upload "$IT_DIR/bomb.zip"
it_assert_status 413 "zip bomb"
it_assert_match "inflates to more than" "$(it_json error.message <<<"$IT_BODY")" "message: inflates to more than"
$PY "$XL" xxe "$IT_DIR/t3.xlsx" "$IT_DIR/xxe.xlsx" || it_bail "xxe"
upload "$IT_DIR/xxe.xlsx"
it_assert_status 422 "DOCTYPE / XXE"
it_assert_match "not a valid xlsx" "$(it_json error.message <<<"$IT_BODY")" "message: not a valid xlsx"
$PY "$XL" million "$IT_DIR/t3.xlsx" "$IT_DIR/million.xlsx" || it_bail "million"
upload "$IT_DIR/million.xlsx"
it_assert_status 413 "a cell on row 1,048,576"
it_curl POST /api/batch/import "${H[@]}" -H 'Content-Type: application/json' --data '{}'
it_assert_status 415 "not multipart"
it_curl POST /api/batch/import "${H[@]}" -F "other=@$IT_DIR/f1.xlsx"
it_assert_status 400 "no file part"
# A broken upload (the body cut inside the file) is explained in the request's language.
printf -- '--XX\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\nPK\3\4' \
	>"$IT_DIR/cut.body"
IT_LANG=zh-CN it_curl POST /api/batch/import "${H[@]}" \
	-H 'Content-Type: multipart/form-data; boundary=XX' --data-binary "@$IT_DIR/cut.body"
it_assert_status 400 "a cut upload"
it_assert_eq "上传格式有误：第 1 部分（“file”）没有结束分隔行" "$(it_json error.message <<<"$IT_BODY")" \
	"a cut upload, said in zh-CN"
it_curl POST /api/batch/import "${H[@]}" \
	-H 'Content-Type: multipart/form-data; boundary=XX' --data-binary "@$IT_DIR/cut.body"
it_assert_eq 'multipart: part 1 ("file") has no closing boundary' \
	"$(it_json error.message <<<"$IT_BODY")" "the same, said in en"
IT_LANG=zh-CN it_curl POST /api/batch/import "${H[@]}" -H 'Content-Type: multipart/form-data'
it_assert_status 400 "no boundary"
it_assert_eq "上传格式有误：Content-Type 中没有 boundary" "$(it_json error.message <<<"$IT_BODY")" \
	"no boundary, said in zh-CN"
it_assert_eq "$n0" "$(batches)" "still nothing created"
it_assert_eq "0" "$(find "$IT_DIR" -mindepth 1 -maxdepth 1 -name 'fb-*' | wc -l)" "no temp file left after the errors"

# --- 4. errors.xlsx: failed rows, fixed, uploaded again ------------------------------------
it_stop_runner TERM 20 || it_fail "runner stop"
mapfile -t R < <(bf_tasks "$N2" "$BF_ME_ID" 3 "$BF_FORM_OK" "$N1" "$BF_APPLICANT_ID")
it_curl GET "/api/batch/template?node_id=$N2&task_ids=${R[0]},${R[1]},${R[2]}" "${H[@]}"
cp "$IT_DIR/curl.body" "$IT_DIR/t4.xlsx"
edits=$(printf '{"%s":{"操作":"同意","城市":"广州","审批意见":"先同意"},"%s":{"操作":"同意","城市":"广州"},"%s":{"操作":"同意"}}' "${R[0]}" "${R[1]}" "${R[2]}")
$PY "$XL" fill "$IT_DIR/t4.xlsx" "$IT_DIR/f4.xlsx" "$edits" || it_bail "fill f4"
upload "$IT_DIR/f4.xlsx"
it_assert_status 201 "import a batch that will partly fail"
B4=$(it_json batch_id <<<"$IT_BODY")
# The applicants move two sessions to 浙江 before the batch runs: 广州 is no longer valid.
it_sql "UPDATE app_sessions SET form_data = form_data || '{\"province\":\"浙江\",\"city\":\"杭州\"}'
	WHERE id IN (SELECT session_id FROM tasks WHERE id IN (:a, :b))" a="${R[0]}" b="${R[1]}" >/dev/null
it_start_runner
bf_wait_settled "$B4" 30
it_assert_eq "2|1" "$(bf_count "$B4" failed)|$(bf_count "$B4" success)" "2 failed, 1 succeeded"
it_assert_no_stale_locks "partly failed import"
it_curl GET "/api/batch/$B4/errors.xlsx" "${H[@]}"
it_assert_status 200 "download errors.xlsx"
cp "$IT_DIR/curl.body" "$IT_DIR/err4.xlsx"
got=$($PY "$XL" rows "$IT_DIR/err4.xlsx") || it_bail "read errors.xlsx"
check=$($PY -c '
import json, sys
d = json.loads(sys.argv[1]); ids = sys.argv[2:4]
rows = {str(r["任务ID"]): r for r in d["rows"]}
ok = d["header"][-1] == "错误原因" and sorted(rows) == sorted(ids)
ok = ok and all(rows[i]["城市 *"] == "广州" and rows[i]["省份 *"] == "浙江" and rows[i]["操作"] == "同意" and rows[i]["错误原因"] for i in ids)
ok = ok and rows[ids[0]]["审批意见"] == "先同意" and "_meta" in d["sheets"]
print("ok" if ok else json.dumps(d, ensure_ascii=False))' "$got" "${R[0]}" "${R[1]}")
it_assert_eq ok "$check" "errors.xlsx: the 2 failed rows with the user's values and a reason"
edits=$(printf '{"%s":{"城市":"杭州"},"%s":{"城市":"宁波","审批意见":"改为宁波"}}' "${R[0]}" "${R[1]}")
$PY - "$IT_DIR/err4.xlsx" "$IT_DIR/fix4.xlsx" "$edits" <<'PYEOF' || it_bail "fix errors.xlsx"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["审批"]
h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value}
e = json.loads(sys.argv[3])
for row in ws.iter_rows(min_row=2):
    for col, val in e.get(str(row[h["任务ID"] - 1].value), {}).items():
        ws.cell(row=row[0].row, column=h[col], value=val)
wb.save(sys.argv[2])
PYEOF
upload "$IT_DIR/fix4.xlsx"
it_assert_status 201 "the fixed error workbook is imported as a new batch"
B5=$(it_json batch_id <<<"$IT_BODY")
bf_wait_settled "$B5" 30
it_assert_eq 2 "$(bf_count "$B5" success)" "the fixed rows succeed"
it_assert_no_stale_locks "fixed errors.xlsx"
it_assert_eq "宁波|改为宁波" "$(it_sql "SELECT s.form_data->>'city' || '|' || h.comment FROM tasks t JOIN app_sessions s ON s.id = t.session_id JOIN task_history h ON h.task_id = t.id AND h.batch_id = :b WHERE t.id = :t" b="$B5" t="${R[1]}")" "the fixed value and comment were applied"
it_curl GET "/api/batch/$B1/errors.xlsx" "${H[@]}"
it_assert_status 200 "errors.xlsx of a batch without failures"
cp "$IT_DIR/curl.body" "$IT_DIR/err1.xlsx"
got=$($PY "$XL" rows "$IT_DIR/err1.xlsx" | it_json rows)
it_assert_eq "[]" "$got" "only the header row"
it_curl GET "/api/batch/$B1/errors.xlsx" -H "Authorization: Bearer $BF_OTHER_TOKEN"
it_assert_status 404 "errors.xlsx of someone else's batch"
it_assert_eq "0" "$(find "$IT_DIR" -mindepth 1 -maxdepth 1 -name 'fb-*' | wc -l)" "no temp file left after errors.xlsx"

# --- rows across task chunks --------------------------------------------------------------
# Tasks are fetched and checked IMPORT_TASK_CHUNK (5,000) rows at a time: a problem found
# through the database in the first and in the second chunk is reported on its own row.
bf_app "导入分块"
C2=$BF_N2
n=$(bf_tasks "$C2" "$BF_ME_ID" 5003 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID" | wc -l)
it_assert_eq 5003 "$n" "5,003 tasks at the chunked node"
it_curl GET "/api/batch/template?node_id=$C2" "${H[@]}" --max-time 120
it_assert_status 200 "download the template of 5,003 tasks"
cp "$IT_DIR/curl.body" "$IT_DIR/c1.xlsx"
picked=$($PY - "$IT_DIR/c1.xlsx" "$IT_DIR/c2.xlsx" <<'PYEOF'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["审批"]
h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value}
for r in range(2, ws.max_row + 1):
    ws.cell(row=r, column=h["操作"], value="同意")
wb.save(sys.argv[2])
print(ws.cell(row=2, column=h["任务ID"]).value, ws.cell(row=5004, column=h["任务ID"]).value)
PYEOF
) || it_bail "fill the chunked template"
read -r first last <<<"$picked"
it_sql "UPDATE tasks SET state = 'done' WHERE id IN (:a, :b)" a="$first" b="$last" >/dev/null
upload "$IT_DIR/c2.xlsx" -F dry_run=1 --max-time 120
it_assert_status 422 "tasks no longer pending in two chunks"
expect_detail 2 "任务ID" "no longer pending" "row 2 (first chunk): not pending"
expect_detail 5004 "任务ID" "no longer pending" "row 5004 (second chunk): not pending"
it_assert_eq 2 "$($PY -c 'import json,sys; print(len(json.load(sys.stdin)["error"]["details"]))' <<<"$IT_BODY")" "exactly those two problems"
it_sql "UPDATE tasks SET state = 'pending' WHERE id IN (:a, :b)" a="$first" b="$last" >/dev/null
upload "$IT_DIR/c2.xlsx" -F dry_run=1 --max-time 120
it_assert_status 200 "the same file once the tasks are pending again"
it_assert_eq '{"valid":true,"total":5003}' "$(tr -d ' \n' <<<"$IT_BODY")" "dry run: all 5,003 rows valid"

it_done
