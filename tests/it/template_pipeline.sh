#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The threaded export, end to end through nginx: a single template of 1,234 tasks (read
# and converted by a producer thread in pages of 500 rows while the workbook is written:
# the rows cross three page boundaries) holds every task once, in the order of the
# selection, each row with its own values; a multi pack of 11 tasks (written by several
# worker threads) holds one workbook per task, in the order of the selection, each with
# its own task; an export that finds no pending task is still a 404 (no thread leaks a
# file: web.tmpdir is empty after each request).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

bf_xlsx_setup
bf_own_db
bf_users
bf_app "导出流水线"
mapfile -t ids < <(bf_tasks "$BF_N2" "$BF_ME_ID" 1234 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
[[ ${#ids[@]} == 1234 ]] || it_bail "seeded ${#ids[@]} tasks"
it_start_web
it_start_nginx
H=(-H "Authorization: Bearer $BF_ME_TOKEN")

# tmp_left: what exports left in web.tmpdir ($IT_DIR): their files fb-template-*, the
# member directories fb-tpl-* of multi packs.
tmp_left() {
	find "$IT_DIR" -maxdepth 1 \( -name 'fb-template-*' -o -name 'fb-tpl-*' \) | wc -l
}

it_curl GET "/api/batch/template?node_id=$BF_N2" "${H[@]}" --max-time 120
it_assert_status 200 "single template of 1,234 tasks"
cp "$IT_DIR/curl.body" "$IT_DIR/single.xlsx"
out=$($PY - "$IT_DIR/single.xlsx" "${ids[@]}" <<'PYEOF' 2>&1
import sys
import openpyxl

path, ids = sys.argv[1], sys.argv[2:]
wb = openpyxl.load_workbook(path, read_only=True)
rows = list(wb["审批"].iter_rows(values_only=True))
head = [str(h).rstrip(" *") for h in rows[0]]
c = {h: i for i, h in enumerate(head)}
got = [r[c["任务ID"]] for r in rows[1:]]
fails = []
if got != ids:
    fails.append("ids: %d rows, first difference at %s" % (len(got), next(
        (i for i, (a, b) in enumerate(zip(got, ids)) if a != b), min(len(got), len(ids)))))
for i, r in enumerate(rows[1:], start=1):
    if r[c["事由"]] != "出差报销 %d" % i or r[c["金额"]] != i or r[c["城市"]] != "深圳":
        fails.append("row %d: %r" % (i, r))
        break
print("; ".join(fails) or "OK")
PYEOF
)
if [[ $out == OK ]]; then it_ok "every task once, in order, with its own values"; else it_fail "single: $out"; fi
it_assert_eq 0 "$(tmp_left)" "nothing left in web.tmpdir after the single template"

sel=("${ids[@]:100:11}")
it_curl GET "/api/batch/template?node_id=$BF_N2&mode=multi&task_ids=$(IFS=,; echo "${sel[*]}")" "${H[@]}" \
	--max-time 120
it_assert_status 200 "multi pack of 11 tasks"
cp "$IT_DIR/curl.body" "$IT_DIR/multi.zip"
out=$($PY - "$IT_DIR/multi.zip" "${sel[@]}" <<'PYEOF' 2>&1
import io, sys, zipfile
import openpyxl

path, sel = sys.argv[1], sys.argv[2:]
z = zipfile.ZipFile(path)
names = z.namelist()
fails = []
if [n.split("_")[0] for n in names] != sel:
    fails.append("entries %r" % names)
for k, n in enumerate(names):
    ws = openpyxl.load_workbook(io.BytesIO(z.read(n)), read_only=True)["表单"]
    val = {r[0]: r[1] for r in ws.iter_rows(min_row=2, max_col=2, values_only=True)}
    if val.get("任务ID") != sel[k] or val.get("事由 *") != "出差报销 %d" % (101 + k):
        fails.append("%s: %r" % (n, val))
print("; ".join(fails) or "OK")
PYEOF
)
if [[ $out == OK ]]; then it_ok "one workbook per task, in order, each with its own task"; else it_fail "multi: $out"; fi
it_assert_eq 0 "$(tmp_left)" "nothing left in web.tmpdir after the multi pack"

it_sql "UPDATE tasks SET state = 'done', finished = now() WHERE id = ANY (:'a'::bigint[])" \
	a="$(bf_arr_sql "${sel[@]}")" >/dev/null
it_curl GET "/api/batch/template?node_id=$BF_N2&mode=multi&task_ids=$(IFS=,; echo "${sel[*]}")" "${H[@]}"
it_assert_status 404 "a multi pack of tasks no longer pending"
it_curl GET "/api/batch/template?node_id=$BF_N2&task_ids=$(IFS=,; echo "${sel[*]}")" "${H[@]}"
it_assert_status 404 "a single template of tasks no longer pending"
it_assert_eq 0 "$(tmp_left)" "nothing left in web.tmpdir after the 404s"
it_done
