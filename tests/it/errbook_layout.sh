#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The error workbook has the template's layout: after an import whose rows fail at run time,
# errors.xlsx downloaded through nginx and read with openpyxl has the same sheets (and
# hidden ones), the same headers plus 错误原因 last, the same Lists sheet and defined names,
# the same data validations on the same columns (list dropdowns, the INDIRECT(VLOOKUP(...))
# of the dependent 城市 dropdown, lengths, number ranges) covering every failed row, a
# protected sheet whose writable cells are unlocked and read-only ones locked — as the
# template of the same node — and it still imports (dry run) once fixed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

# A failed item is unlocked at once (retry limit 1); no automatic retries.
export FLOWBATCH_BATCH_RETRY_LIMIT=1 FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600 \
	FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_BATCH_INIT_GRACE_SECONDS=2

bf_xlsx_setup
bf_own_db
bf_users
bf_app "错误表布局"
it_start_web
it_start_nginx
H=(-H "Authorization: Bearer $BF_ME_TOKEN")

mapfile -t R < <(bf_tasks "$BF_N2" "$BF_ME_ID" 3 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
it_assert_eq 3 "${#R[@]}" "3 tasks at 部门审批"
it_curl GET "/api/batch/template?node_id=$BF_N2&task_ids=${R[0]},${R[1]},${R[2]}" "${H[@]}"
it_assert_status 200 "download the template"
cp "$IT_DIR/curl.body" "$IT_DIR/template.xlsx"
$PY - "$IT_DIR/template.xlsx" "$IT_DIR/filled.xlsx" "${R[0]}" "${R[1]}" <<'PYEOF' || it_bail "fill the template"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["审批"]
h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value}
for row in ws.iter_rows(min_row=2):
    tid = str(row[h["任务ID"] - 1].value)
    ws.cell(row=row[0].row, column=h["操作"], value="同意")
    if tid in sys.argv[3:5]:
        ws.cell(row=row[0].row, column=h["城市"], value="广州")
        ws.cell(row=row[0].row, column=h["审批意见"], value="先同意 " + tid)
wb.save(sys.argv[2])
PYEOF
it_curl POST /api/batch/import "${H[@]}" -F "file=@$IT_DIR/filled.xlsx"
it_assert_status 201 "import a batch that will partly fail"
B=$(it_json batch_id <<<"$IT_BODY")
# Two sessions move to 浙江 before the batch runs: 广州 is no longer a valid 城市 there.
it_sql "UPDATE app_sessions SET form_data = form_data || '{\"province\":\"浙江\",\"city\":\"杭州\"}'
	WHERE id IN (SELECT session_id FROM tasks WHERE id IN (:a, :b))" a="${R[0]}" b="${R[1]}" >/dev/null
it_start_runner
bf_wait_settled "$B" 30
it_assert_eq "2|1" "$(bf_count "$B" failed)|$(bf_count "$B" success)" "2 failed, 1 succeeded"
it_curl GET "/api/batch/$B/errors.xlsx" "${H[@]}"
it_assert_status 200 "download errors.xlsx through nginx"
cp "$IT_DIR/curl.body" "$IT_DIR/errors.xlsx"

cat >"$IT_DIR/layout.py" <<'PYEOF'
import json, sys
import openpyxl
from openpyxl.utils.cell import range_boundaries

def names(wb):
    dn = wb.defined_names
    items = dn.definedName if hasattr(dn, "definedName") else dn.values()
    return {d.name: d.attr_text for d in items}

def layout(path):
    wb = openpyxl.load_workbook(path)
    ws = wb["审批"]
    head = [c.value for c in ws[1]]
    meta = json.loads(wb["_meta"]["A1"].value)
    writable = {}
    for i, c in enumerate(meta["columns"]):
        writable[head[i]] = c["key"] in ("action", "comment", "assignee") or c.get("writable", False)
    dvs = []
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            c1, r1, c2, r2 = range_boundaries(rng)
            for col in range(c1, c2 + 1):
                dvs.append({"col": head[col - 1], "rows": [r1, r2], "type": dv.type,
                            "op": dv.operator, "f1": dv.formula1, "f2": dv.formula2})
    cells = []
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if c.value is not None and c.column <= len(head):
                cells.append({"col": head[c.column - 1], "row": c.row, "locked": c.protection.locked})
    return {"sheets": wb.sheetnames, "states": [wb[s].sheet_state for s in wb.sheetnames],
            "head": head, "writable": writable, "dvs": dvs, "names": names(wb),
            "lists": [[c.value for c in r] for r in wb["Lists"].iter_rows()],
            "protected": bool(ws.protection.sheet), "cells": cells,
            "rows": max((c["row"] for c in cells), default=1)}

t, e = layout(sys.argv[1]), layout(sys.argv[2])
what = sys.argv[3]
key = lambda d: (d["col"], d["type"], d["op"], d["f1"], d["f2"])
if what == "sheets":
    ok = e["sheets"] == t["sheets"] and e["states"] == t["states"]
    print("ok" if ok else "%s %s / template %s %s" % (e["sheets"], e["states"], t["sheets"], t["states"]))
elif what == "head":
    ok = e["head"][:-1] == t["head"] and e["head"][-1] == "错误原因"
    print("ok" if ok else "%s / template %s" % (e["head"], t["head"]))
elif what == "validations":
    te, ee = sorted(map(key, t["dvs"])), sorted(map(key, e["dvs"]))
    ok = te == ee and len(ee) > 0
    print("ok" if ok else json.dumps({"errors": ee, "template": te}, ensure_ascii=False))
elif what == "dependent":
    dep = [d for d in e["dvs"] if d["type"] == "list" and d["col"].startswith("城市")
           and (d["f1"] or "").startswith("INDIRECT(VLOOKUP(")]
    lists = [d for d in e["dvs"] if d["type"] == "list" and "Lists!" in (d["f1"] or "")]
    ok = len(dep) == 1 and any(d["col"] == "操作" for d in lists) and len(lists) >= 2
    print("ok" if ok else json.dumps(e["dvs"], ensure_ascii=False))
elif what == "rows":
    # every validation covers every failed row
    bad = [d for d in e["dvs"] if d["rows"][0] > 2 or d["rows"][1] < e["rows"]]
    ok = e["rows"] == 3 and not bad
    print("ok" if ok else "rows %d, %s" % (e["rows"], bad))
elif what == "names":
    # the defined names the dependent dropdown looks up (the last Lists column) exist
    looked_up = {r[-1] for r in e["lists"][1:] if r[-1]}
    ok = (e["names"] == t["names"] and len(e["names"]) > 0 and e["lists"] == t["lists"]
          and looked_up and looked_up <= set(e["names"])
          and all(v.startswith("Lists!") for v in e["names"].values()))
    print("ok" if ok else json.dumps({"names": e["names"], "template": t["names"],
                                      "looked_up": sorted(looked_up)}, ensure_ascii=False))
elif what == "protected":
    print("ok" if e["protected"] and t["protected"] else "errors %s template %s" % (e["protected"], t["protected"]))
elif what == "locked":
    out = []
    for name, d in (("errors", e), ("template", t)):
        for c in d["cells"]:
            want = not d["writable"].get(c["col"], False)
            if c["locked"] != want:
                out.append("%s %s%d locked=%s" % (name, c["col"], c["row"], c["locked"]))
    un = [c for c in e["cells"] if not c["locked"]]
    lk = [c for c in e["cells"] if c["locked"]]
    ok = not out and len(un) >= 6 and len(lk) >= 6 and any(c["col"] == "错误原因" for c in lk)
    print("ok" if ok else "%s unlocked %d locked %d" % (out[:10], len(un), len(lk)))
PYEOF
check() {
	local got
	got=$($PY "$IT_DIR/layout.py" "$IT_DIR/template.xlsx" "$IT_DIR/errors.xlsx" "$1" 2>&1)
	it_assert_eq ok "$got" "$2"
}
check sheets "errors.xlsx has the template's sheets, Lists and _meta hidden"
check head "errors.xlsx has the template's headers, then 错误原因"
check validations "errors.xlsx has the template's data validations on the same columns"
check dependent "the 城市 column has the dependent INDIRECT(VLOOKUP(...)) dropdown, 操作 its list"
check rows "every validation covers both failed rows"
check names "the Lists sheet and the defined names the dropdowns look up are the template's"
check protected "the 审批 sheet of errors.xlsx is protected"
check locked "writable cells unlocked, read-only ones (and 错误原因) locked, as in the template"

# Fixed, it still imports.
$PY - "$IT_DIR/errors.xlsx" "$IT_DIR/fixed.xlsx" <<'PYEOF' || it_bail "fix errors.xlsx"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1]); ws = wb["审批"]
h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value}
for row in ws.iter_rows(min_row=2):
    ws.cell(row=row[0].row, column=h["城市"], value="杭州")
wb.save(sys.argv[2])
PYEOF
it_curl POST /api/batch/import "${H[@]}" -F "file=@$IT_DIR/fixed.xlsx" -F dry_run=1
it_assert_status 200 "the fixed error workbook passes a dry-run import"
it_assert_eq '{"valid":true,"total":2}' "$(tr -d ' \n' <<<"$IT_BODY")" "dry run: valid, both fixed rows"
it_done
