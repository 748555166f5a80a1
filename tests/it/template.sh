#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# GET /api/batch/template through nginx: the single workbook (headers with required marks,
# values as text ids, numbers and real dates, protection and unlocked input columns,
# dropdowns from the hidden "Lists" sheet, the dependent INDIRECT dropdown and its defined
# names, the signed "_meta" sheet) and the multi zip (UTF-8 entry names, stored entries,
# the vertical form sheet, the table sheet); LibreOffice opens both without repair; only
# the caller's own tasks; 404 for an unknown node or nothing of mine, 400 for a bad mode.
# The test creates its own users, app, nodes, sessions and tasks (names carry the PID).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

PY=/usr/bin/python3
$PY -c 'import openpyxl' 2>/dev/null || it_bail "python3-openpyxl is not installed"

# libxlsxwriter 1.1.4 never frees the copy it makes of a list validation's formula (a few
# bytes per dropdown and workbook, see LIBNOTES): keep that one known leak out of the
# sanitizer build's verdict.

it_migrate
it_start_web
it_start_nginx

sfx=$$
ua="it_tpl_a_$sfx"
ub="it_tpl_b_$sfx"
app="模板测试-$sfx"

it_sql "
INSERT INTO users (login, name) VALUES (:'ua', '审批人甲'), (:'ub', '审批人乙');
INSERT INTO apps (name) VALUES (:'app');
INSERT INTO app_versions (app_id, version, form_schema)
	SELECT id, 1, '{\"fields\":[
	 {\"key\":\"reason\",\"label\":\"事由\",\"type\":\"text\",\"max_length\":200},
	 {\"key\":\"amount\",\"label\":\"金额\",\"type\":\"number\",\"min\":0,\"max\":1000000,\"decimals\":2},
	 {\"key\":\"pay_date\",\"label\":\"付款日期\",\"type\":\"date\"},
	 {\"key\":\"category\",\"label\":\"类别\",\"type\":\"select\",\"options\":[\"差旅\",\"办公\",\"招待\"]},
	 {\"key\":\"province\",\"label\":\"省份\",\"type\":\"select\",\"options\":[\"广东\",\"浙江\"]},
	 {\"key\":\"city\",\"label\":\"城市\",\"type\":\"select\",\"depends_on\":\"province\",
	  \"options_by_parent\":{\"广东\":[\"广州\",\"深圳\"],\"浙江\":[\"杭州\",\"宁波\"]}},
	 {\"key\":\"reviewer\",\"label\":\"复核人\",\"type\":\"user\"},
	 {\"key\":\"items\",\"label\":\"明细\",\"type\":\"table\",\"max_rows\":50,\"columns\":[
	   {\"key\":\"name\",\"label\":\"名称\",\"type\":\"text\",\"max_length\":50},
	   {\"key\":\"qty\",\"label\":\"数量\",\"type\":\"number\",\"min\":1,\"max\":9999},
	   {\"key\":\"kind\",\"label\":\"种类\",\"type\":\"select\",\"options\":[\"硬件\",\"软件\"]}]}
	]}'::jsonb FROM apps WHERE name = :'app';
INSERT INTO nodes (app_version_id, name, seq, assignee_rule, view)
	SELECT v.id, '部门审批', 1, 'fixed', '{\"visible\":[\"reason\",\"amount\",\"pay_date\",\"category\",
	  \"province\",\"city\",\"reviewer\",\"items\"],\"searchable\":[\"category\"],
	  \"writable\":[\"amount\",\"pay_date\",\"category\",\"province\",\"city\",\"items\"],
	  \"required\":[\"city\"]}'::jsonb
	FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.name = :'app';
INSERT INTO nodes (app_version_id, name, seq, assignee_rule, view)
	SELECT v.id, '财务审批', 2, 'choose', '{\"visible\":[\"reason\"]}'::jsonb
	FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.name = :'app';
CREATE TEMP TABLE spec (n int, title text, fd jsonb, assignee text);
INSERT INTO spec VALUES
 (1, '深圳出差/报销', '{\"reason\":\"出差\",\"amount\":1234.5,\"pay_date\":\"2026-11-23\",\"category\":\"差旅\",
   \"province\":\"广东\",\"city\":\"深圳\",\"reviewer\":\"zhangsan\",
   \"items\":[{\"name\":\"机票\",\"qty\":2,\"kind\":\"硬件\"},{\"name\":\"酒店\",\"qty\":3}]}', :'ua'),
 (2, '办公用品:采购?', '{\"reason\":\"文具\",\"amount\":200,\"category\":\"办公\"}', :'ua'),
 (3, '客户招待', '{}', :'ua'),
 (4, '乙的任务', '{\"reason\":\"乙\"}', :'ub');
INSERT INTO app_sessions (app_version_id, title, form_data, creator, current_node_id)
	SELECT v.id, sp.title || '-' || :'s', sp.fd, (SELECT id FROM users WHERE login = :'ua'), n.id
	FROM spec sp JOIN apps a ON a.name = :'app' JOIN app_versions v ON v.app_id = a.id
	JOIN nodes n ON n.app_version_id = v.id AND n.seq = 1 ORDER BY sp.n;
INSERT INTO tasks (session_id, node_id, assignee, created)
	SELECT s.id, s.current_node_id, u.id, now() - make_interval(mins => 10 - sp.n)
	FROM spec sp JOIN app_sessions s ON s.title = sp.title || '-' || :'s'
	JOIN users u ON u.login = sp.assignee ORDER BY sp.n;
" s="$sfx" ua="$ua" ub="$ub" app="$app" >/dev/null || it_bail "cannot create the test data"

q() { it_sql "$1" s="$sfx" ua="$ua" ub="$ub" app="$app"; }
n1=$(q "SELECT n.id FROM nodes n JOIN app_versions v ON v.id = n.app_version_id JOIN apps a ON a.id = v.app_id WHERE a.name = :'app' AND n.seq = 1")
v1=$(q "SELECT v.id FROM app_versions v JOIN apps a ON a.id = v.app_id WHERE a.name = :'app'")
tid() { q "SELECT t.id FROM tasks t JOIN app_sessions s ON s.id = t.session_id WHERE s.title LIKE '%-' || :'s' ORDER BY s.id OFFSET $(($1 - 1)) LIMIT 1"; }
t1=$(tid 1) t2=$(tid 2) t3=$(tid 3) t4=$(tid 4)
[[ -n $n1 && -n $t1 && -n $t4 ]] || it_bail "test data ids missing"

ha=(-H "Authorization: Bearer $(it_token "$ua")")
hb=(-H "Authorization: Bearer $(it_token "$ub")")

# --- single -------------------------------------------------------------------------------
it_curl GET "/api/batch/template?node_id=$n1" "${ha[@]}"
it_assert_status 200 "single template"
it_assert_eq "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
	"$(it_header Content-Type)" "single Content-Type"
cd_hdr=$(it_header Content-Disposition)
it_assert_match "^attachment; filename=\"template.xlsx\"; filename\*=UTF-8''" "$cd_hdr" \
	"Content-Disposition with an ASCII fallback"
name=$($PY -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1].split("UTF-8'"''"'")[1]))' "$cd_hdr")
it_assert_match "^模板测试-$sfx-部门审批-[0-9]{8}\.xlsx$" "$name" "percent-encoded Chinese file name"
cp "$IT_DIR/curl.body" "$IT_DIR/single.xlsx"
leftover=$(find "$IT_DIR" -maxdepth 1 -name 'fb-template-*' | wc -l)
it_assert_eq 0 "$leftover" "no temp file left in web.tmpdir after a download"

out=$($PY - "$IT_DIR/single.xlsx" "$IT_SECRET" "$n1" "$v1" "$t1" "$t2" "$t3" <<'EOF' 2>&1
import datetime, hashlib, hmac, json, sys
import openpyxl

path, secret, node, version, t1, t2, t3 = sys.argv[1:]
wb = openpyxl.load_workbook(path)
fails = []
def check(cond, msg):
    if not cond:
        fails.append(msg)

check(wb.sheetnames == ["审批", "说明", "Lists", "_meta"], "sheets %r" % wb.sheetnames)
ws = wb["审批"]
check(wb.active.title == "审批", "active sheet %s" % wb.active.title)
check(ws.sheet_state == "visible", "审批 visible")
check(wb["Lists"].sheet_state == "hidden", "Lists hidden")
check(wb["_meta"].sheet_state == "hidden", "_meta hidden")
check(ws.protection.sheet, "审批 protected")
check(ws.freeze_panes == "C2", "frozen header: %s" % ws.freeze_panes)
hdr = [c.value for c in ws[1]]
want = ["任务ID", "标题", "事由", "复核人", "金额", "付款日期", "类别", "省份 *", "城市 *",
        "操作", "审批意见", "下一处理人"]
check(hdr == want, "headers %r" % hdr)
col = {h: i + 1 for i, h in enumerate(hdr)}
check(ws.max_row == 4, "rows: %d" % ws.max_row)
ids = [ws.cell(r, 1).value for r in range(2, 5)]
check(ids == [t1, t2, t3], "task ids as text in order: %r" % ids)
r2 = {h: ws.cell(2, col[h]).value for h in hdr}
check(r2["标题"].startswith("深圳出差/报销-"), "title %r" % r2["标题"])
check(r2["金额"] == 1234.5, "amount %r" % r2["金额"])
check(ws.cell(2, col["金额"]).number_format == "0.00", "amount format %s" % ws.cell(2, col["金额"]).number_format)
check(isinstance(r2["付款日期"], datetime.datetime) and r2["付款日期"].date() == datetime.date(2026, 11, 23),
      "real date %r" % r2["付款日期"])
check(r2["类别"] == "差旅" and r2["省份 *"] == "广东" and r2["城市 *"] == "深圳", "selects %r" % r2)
check(r2["复核人"] == "zhangsan" and r2["事由"] == "出差", "read-only values")
check(ws.cell(3, col["金额"]).value == 200, "whole amount")
check(ws.cell(4, col["事由"]).value is None, "empty value stays empty")
# locked / unlocked
check(ws.cell(2, col["标题"]).protection.locked, "title locked")
check(ws.cell(2, col["事由"]).protection.locked, "read-only field locked")
for h in ("金额", "付款日期", "类别"):
    check(not ws.cell(2, col[h]).protection.locked, "%s unlocked" % h)
letter = {h: openpyxl.utils.get_column_letter(col[h]) for h in hdr}
# validations
dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
def dv_for(h):
    for ref, dv in dvs.items():
        if ref.startswith(letter[h] + "2:"):
            return dv
    return None
cat = dv_for("类别")
check(cat is not None and cat.type == "list" and cat.formula1.startswith("Lists!$"), "类别 dropdown %r" % (cat and cat.formula1))
act = dv_for("操作")
check(act is not None and act.type == "list" and act.formula1 == "Lists!$A$2:$A$3", "操作 dropdown %r" % (act and act.formula1))
city = dv_for("城市 *")
check(city is not None and city.type == "list" and
      city.formula1.startswith("INDIRECT(VLOOKUP($%s2,Lists!$" % letter["省份 *"]) and
      city.formula1.endswith(",2,FALSE))"), "城市 dependent dropdown %r" % (city and city.formula1))
amt = dv_for("金额")
check(amt is not None and amt.type == "decimal" and float(amt.formula1) == 0 and float(amt.formula2) == 1000000,
      "金额 decimal validation")
check(amt is not None and amt.promptTitle == "金额" and "2 位小数" in (amt.prompt or ""), "金额 input message %r" % (amt and amt.prompt))
dt = dv_for("付款日期")
check(dt is not None and dt.type == "date", "date validation")
cm = dv_for("审批意见")
check(cm is not None and cm.type == "textLength", "comment length validation")
for ref in dvs:
    check(ref.endswith("4"), "validation %s ends at the last row" % ref)
# lists
lists = wb["Lists"]
check([lists.cell(r, 1).value for r in (2, 3)] == ["同意", "驳回"], "action list")
rng = cat.formula1.split("!")[1].replace("$", "")
vals = [c.value for row in lists[rng] for c in row]
check(vals == ["差旅", "办公", "招待"], "category options %r" % vals)
# defined names and the lookup
try:
    names = {d.name: d.attr_text for d in wb.defined_names.definedName}
except AttributeError:
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
fb = {n: t for n, t in names.items() if n.startswith("fb_opt_")}
check(len(fb) == 2, "two defined names for 城市: %r" % names)
lookup = city.formula1.split("Lists!")[1].split(",")[0].replace("$", "")
pairs = [(r[0].value, r[1].value) for r in lists[lookup]]
check([p[0] for p in pairs] == ["广东", "浙江"], "lookup keys %r" % pairs)
for parent, nm in pairs:
    check(nm in fb, "lookup name %s defined" % nm)
    rr = fb.get(nm, "x!A1").split("!")[1].replace("$", "")
    opts = [c.value for row in lists[rr] for c in row]
    check(opts == {"广东": ["广州", "深圳"], "浙江": ["杭州", "宁波"]}[parent], "%s options %r" % (parent, opts))
# meta
meta = wb["_meta"]
text, sig = meta["A1"].value, meta["A2"].value
key = hmac.new(secret.encode(), b"flowbatch template v1", hashlib.sha256).digest()
check(hmac.new(key, text.encode(), hashlib.sha256).hexdigest() == sig, "meta signature (template key)")
m = json.loads(text)
check(m["v"] == 1 and m["layout"] == "single", "meta layout")
check(m["node_id"] == int(node) and m["app_version_id"] == int(version), "meta ids")
check(m["generated"].endswith("Z"), "generated UTC")
keys = [c["key"] for c in m["columns"]]
check(keys == ["task_id", "title", "f:reason", "f:reviewer", "f:amount", "f:pay_date", "f:category",
               "f:province", "f:city", "action", "comment", "assignee"], "meta columns %r" % keys)
check([c.get("label") for c in m["columns"] if c["key"].startswith("f:")] == hdr[2:9], "meta labels")
check([c["writable"] for c in m["columns"] if c["key"].startswith("f:")] == [False, False, True, True, True, True, True], "meta writable")
check("f:items" not in keys, "table field left out of single")
help_text = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
check("明细" in help_text and "mode=multi" in help_text, "the help sheet names the table field")
print("\n".join(fails) if fails else "OK")
EOF
)
if [[ $out == OK ]]; then it_ok "single workbook content (headers, values, validations, lists, names, meta)"; else it_fail "single workbook: $out"; fi

# --- selection and errors ---------------------------------------------------------------------
# body_ids: the task ids in the single workbook of the last response, comma separated.
body_ids() {
	cp "$IT_DIR/curl.body" "$IT_DIR/last.xlsx"
	$PY -c 'import openpyxl, sys; ws = openpyxl.load_workbook(sys.argv[1])["审批"]; print(",".join(str(ws.cell(r, 1).value) for r in range(2, ws.max_row + 1)))' "$IT_DIR/last.xlsx"
}
it_curl GET "/api/batch/template?node_id=$n1&task_ids=$t2,$t4" "${ha[@]}"
it_assert_status 200 "task_ids with another user's task"
cnt=$(body_ids)
it_assert_eq "$t2" "$cnt" "another user's task is not included"
it_curl GET "/api/batch/template?node_id=$n1&task_ids=$t4" "${ha[@]}"
it_assert_status 404 "only another user's task"
it_assert_eq not_found "$(it_json error.code <<<"$IT_BODY")" "404 envelope"
it_curl GET "/api/batch/template?node_id=$n1&f.category=%E5%8A%9E%E5%85%AC" "${ha[@]}"
it_assert_status 200 "listing filter f.category"
cnt=$(body_ids)
it_assert_eq "$t2" "$cnt" "the filter selects the one 办公 task"
it_curl GET "/api/batch/template?node_id=999999999" "${ha[@]}"
it_assert_status 404 "unknown node"
it_curl GET "/api/batch/template?node_id=$n1&mode=both" "${ha[@]}"
it_assert_status 400 "bad mode"
it_assert_eq mode "$(it_json error.details.0.field <<<"$IT_BODY")" "400 names mode"
it_curl GET "/api/batch/template" "${ha[@]}"
it_assert_status 400 "node_id missing"
it_curl GET "/api/batch/template?node_id=$n1&bogus=1" "${ha[@]}"
it_assert_status 400 "unknown parameter"
it_curl GET "/api/batch/template?node_id=$n1"
it_assert_status 401 "no identity"
it_curl GET "/api/batch/template?node_id=$n1" "${hb[@]}"
it_assert_status 200 "user B gets a template of their own"
cnt=$(body_ids)
it_assert_eq "$t4" "$cnt" "user B sees only their task"

# --- multi --------------------------------------------------------------------------------
it_curl GET "/api/batch/template?node_id=$n1&mode=multi" "${ha[@]}"
it_assert_status 200 "multi template"
it_assert_eq application/zip "$(it_header Content-Type)" "multi Content-Type"
it_assert_match "filename=\"template.zip\"; filename\*=UTF-8''.*\.zip$" "$(it_header Content-Disposition)" \
	"multi Content-Disposition"
cp "$IT_DIR/curl.body" "$IT_DIR/multi.zip"
mkdir -p "$IT_DIR/multi"
out=$($PY - "$IT_DIR/multi.zip" "$IT_DIR/multi" "$IT_SECRET" "$t1" "$t2" "$t3" <<'EOF' 2>&1
import hashlib, hmac, json, sys, zipfile
import openpyxl

path, outdir, secret, t1, t2, t3 = sys.argv[1:]
fails = []
def check(cond, msg):
    if not cond:
        fails.append(msg)

z = zipfile.ZipFile(path)
infos = z.infolist()
names = [i.filename for i in infos]
check(len(names) == 3, "three entries: %r" % names)
check(names[0].startswith(t1 + "_深圳出差_报销-") and names[0].endswith(".xlsx"), "entry name sanitized %r" % names[0])
check(names[1].startswith(t2 + "_办公用品_采购_-"), "entry name sanitized %r" % names[1])
for i in infos:
    check(i.flag_bits & 0x800, "UTF-8 flag on %s" % i.filename)
    check(i.compress_type == zipfile.ZIP_STORED, "stored %s" % i.filename)
z.extract(infos[0], outdir)
import os
os.rename(os.path.join(outdir, infos[0].filename), os.path.join(outdir, "one.xlsx"))
wb = openpyxl.load_workbook(os.path.join(outdir, "one.xlsx"))
check(wb.sheetnames == ["表单", "明细", "Lists", "_meta"], "sheets %r" % wb.sheetnames)
ws = wb["表单"]
check(ws.protection.sheet, "表单 protected")
check(wb["Lists"].sheet_state == "hidden" and wb["_meta"].sheet_state == "hidden", "hidden sheets")
rows = [[c.value for c in r] for r in ws.iter_rows(min_row=1, max_col=3)]
check(rows[0] == ["字段", "值", "说明"], "form header %r" % rows[0])
labels = [r[0] for r in rows[1:]]
check(labels == ["任务ID", "标题", "事由", "金额", "付款日期", "类别", "省份 *", "城市 *", "复核人", "明细",
                 "操作", "审批意见", "下一处理人"], "form labels %r" % labels)
val = {r[0]: r[1] for r in rows[1:]}
check(val["任务ID"] == t1 and val["金额"] == 1234.5 and val["城市 *"] == "深圳", "form values %r" % val)
check(val["明细"] == "见工作表「明细」", "table pointer %r" % val["明细"])
check(not ws["B5"].protection.locked and ws["B3"].protection.locked, "value cells locked/unlocked")
dvs = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
city_row = labels.index("城市 *") + 2
prov_row = labels.index("省份 *") + 2
dv = dvs.get("B%d" % city_row)
check(dv is not None and dv.formula1.startswith("INDIRECT(VLOOKUP($B$%d,Lists!$" % prov_row), "form dependent dropdown %r" % (dv and dv.formula1))
act = dvs.get("B%d" % (labels.index("操作") + 2))
check(act is not None and act.type == "list", "form action dropdown")
t = wb["明细"]
trows = [[c.value for c in r] for r in t.iter_rows(min_row=1, max_col=3)]
check(trows[0] == ["名称", "数量", "种类"], "table header %r" % trows[0])
check(trows[1] == ["机票", 2, "硬件"] and trows[2] == ["酒店", 3, None], "table rows %r" % trows[1:])
tdv = {str(d.sqref): d for d in t.data_validations.dataValidation}
check(any(r == "C2:C51" and d.type == "list" and d.formula1.startswith("Lists!$") for r, d in tdv.items()),
      "table select dropdown down to max_rows %r" % list(tdv))
meta = wb["_meta"]
text, sig = meta["A1"].value, meta["A2"].value
key = hmac.new(secret.encode(), b"flowbatch template v1", hashlib.sha256).digest()
check(hmac.new(key, text.encode(), hashlib.sha256).hexdigest() == sig, "meta signature (template key)")
m = json.loads(text)
check(m["layout"] == "multi" and m["task_id"] == int(t1), "meta multi task_id")
check(m["tables"][0]["sheet"] == "明细" and [c["key"] for c in m["tables"][0]["columns"]] == ["name", "qty", "kind"],
      "meta tables %r" % m.get("tables"))
check([c["key"] for c in m["columns"]][-3:] == ["action", "comment", "assignee"], "meta columns end")
print("\n".join(fails) if fails else "OK")
EOF
)
if [[ $out == OK ]]; then it_ok "multi zip content (names, flags, form sheet, table sheet, meta)"; else it_fail "multi zip: $out"; fi

# --- LibreOffice opens them -------------------------------------------------------------------
soffice=$(command -v soffice || command -v libreoffice || true)
if [[ -z $soffice ]]; then
	it_fail "soffice not found (apt-get install libreoffice-calc-nogui)"
else
	for f in single.xlsx multi/one.xlsx; do
		base=$(basename "$f" .xlsx)
		rm -f "$IT_DIR/lo/$base.csv"
		timeout 120 "$soffice" -env:UserInstallation="file://$IT_DIR/lo-profile" --headless \
			--convert-to csv:"Text - txt - csv (StarCalc)":44,34,76 --outdir "$IT_DIR/lo" \
			"$IT_DIR/$f" >"$IT_DIR/lo.$base.log" 2>&1
		if [[ -s $IT_DIR/lo/$base.csv ]] && grep -q "任务ID" "$IT_DIR/lo/$base.csv"; then
			it_ok "LibreOffice converts $f (Chinese headers in the CSV)"
		else
			it_fail "LibreOffice could not convert $f: $(cat "$IT_DIR/lo.$base.log")"
		fi
	done
	grep -q "审批意见" "$IT_DIR/lo/single.csv" 2>/dev/null && it_ok "CSV of the single sheet has 审批意见" ||
		it_fail "CSV of the single sheet lacks 审批意见"
fi

it_done
