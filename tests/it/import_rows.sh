#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# An import's rows reach the batch exactly: 11,000 rows (three chunks of task queries, the
# next one sent while a chunk is checked; many COPY chunks) filled by openpyxl, each with
# its own amount, a next assignee (a user lookup while a chunk's query is in flight) and a
# comment holding the characters COPY's text format escapes (backslash, tab, newline, a
# literal \N) and quotes and CJK; one task locked by someone in person, one with a comment
# of exactly BATCH_MAX_COMMENT characters.  A task of another user's in the last chunk is
# reported on its row.  After the import: one detail per row, in sheet order, each with its
# row number and its own post_data; the locked task failed at once with its reason; after
# execution the counters equal the details and every other task was approved once with its
# own values.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RETRY_LIMIT=1 FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600
N=11000

bf_xlsx_setup
bf_own_db
bf_users
bf_app "导入逐行" choose
mapfile -t T < <(bf_tasks "$BF_N2" "$BF_ME_ID" "$N" "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
it_assert_eq "$N" "${#T[@]}" "$N tasks at 部门审批"
it_start_web
it_start_nginx
H=(-H "Authorization: Bearer $BF_ME_TOKEN")

it_curl GET "/api/batch/template?node_id=$BF_N2" "${H[@]}" --max-time 120
it_assert_status 200 "download the template of $N tasks"
cp "$IT_DIR/curl.body" "$IT_DIR/t.xlsx"
# fill: every row approved, amount 1000 + its row, next assignee argv[4], a comment naming
# its task; row 3 gets a comment of 2000 characters.  Writes {task: [row, amount, comment]}.
cat >"$IT_DIR/fill.py" <<'PYEOF'
import json, sys
import openpyxl
src, dst, out, nxt = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
wb = openpyxl.load_workbook(src)
ws = wb["审批"]
h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value is not None}
want = {}
for row in ws.iter_rows(min_row=2):
    r = row[0].row
    tid = str(row[h["任务ID"] - 1].value)
    amount = 1000 + r
    if r == 3:
        comment = "长" * 2000
    else:
        comment = '行%d \\ \\N\t"引号"\n第二行 %s \\\\x' % (r, tid)
    ws.cell(row=r, column=h["操作"], value="同意")
    ws.cell(row=r, column=h["金额"], value=amount)
    ws.cell(row=r, column=h["审批意见"], value=comment)
    ws.cell(row=r, column=h["下一处理人"], value=nxt)
    want[tid] = [r, amount, comment]
wb.save(dst)
json.dump(want, open(out, "w"), ensure_ascii=False)
PYEOF
$PY "$IT_DIR/fill.py" "$IT_DIR/t.xlsx" "$IT_DIR/f.xlsx" "$IT_DIR/want.json" "$BF_REVIEWER2" ||
	it_bail "openpyxl fill"

# A task of the third chunk handed to another user: reported on its row, nothing created.
late=${T[10500]}
late_row=$($PY -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][0])' \
	"$IT_DIR/want.json" "$late")
it_sql "UPDATE tasks SET assignee = :o WHERE id = :t" o="$BF_OTHER_ID" t="$late" >/dev/null
it_curl POST "/api/batch/import?dry_run=1" "${H[@]}" -F "file=@$IT_DIR/f.xlsx" --max-time 120
it_assert_status 422 "dry run with another user's task in the last chunk"
it_assert_eq "$late_row|import.not_yours|1" "$($PY -c '
import json, sys
d = json.loads(sys.stdin.read())["error"]["details"]
print("%s|%s|%d" % (d[0].get("row"), d[0].get("code"), len(d)))' <<<"$IT_BODY")" \
	"that task's row reported, and nothing else"
it_sql "UPDATE tasks SET assignee = :m WHERE id = :t" m="$BF_ME_ID" t="$late" >/dev/null

# The first task is being handled by someone in person: its item fails at once.
it_sql "UPDATE tasks SET lock_kind = 'person', lock_owner = 'someone', locked_at = now() WHERE id = :t" \
	t="${T[0]}" >/dev/null

it_curl POST "/api/batch/import?dry_run=1" "${H[@]}" -F "file=@$IT_DIR/f.xlsx" --max-time 120
it_assert_status 200 "dry run"
it_assert_eq "$N" "$(it_json total <<<"$IT_BODY")" "dry run: $N rows"
it_curl POST /api/batch/import "${H[@]}" -F "file=@$IT_DIR/f.xlsx" --max-time 120
it_assert_status 201 "import"
B=$(it_json batch_id <<<"$IT_BODY")
it_assert_eq "$N" "$(it_json total <<<"$IT_BODY")" "batch of $N"
it_assert_eq "0" "$(it_sql "SELECT count(*) FROM pg_class WHERE relname = 'batch_submit_rows'")" \
	"no rows table left behind"

# Every detail as stored, in detail-id order: task, row, amount, comment, status, code.
it_sql "SELECT coalesce(json_agg(json_build_array(task_id, row_no, post_data->'form'->'amount',
	post_data->>'comment', post_data->>'action', status, error_code) ORDER BY id), '[]')
	FROM batch_task_detail WHERE batch_id = :b" b="$B" >"$IT_DIR/got.json"
check=$($PY - "$IT_DIR/want.json" "$IT_DIR/got.json" "${T[0]}" <<'PYEOF'
import json, sys
want = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
locked = sys.argv[3]
bad = []
if len(got) != len(want):
    bad.append("details %d, rows %d" % (len(got), len(want)))
rows = [g[1] for g in got]
if rows != sorted(rows):
    bad.append("details not in sheet order")
if len({g[0] for g in got}) != len(got):
    bad.append("a task has two details")
for tid, row, amount, comment, action, status, code in got:
    w = want.get(str(tid))
    if w is None:
        bad.append("task %s was not in the file" % tid)
        continue
    if [row, amount, comment, action] != [w[0], w[1], w[2], "approve"]:
        bad.append("task %s: got %r" % (tid, [row, amount, comment, action]))
    expect = ("failed", "item.locked_person") if str(tid) == locked else ("pending", None)
    if (status, code) != expect:
        bad.append("task %s: %s/%s" % (tid, status, code))
print("ok" if not bad else "; ".join(bad[:5]))
PYEOF
)
it_assert_eq ok "$check" "every detail holds its own row's values, in sheet order, once"

it_start_runner
bf_wait_settled "$B" 120
bf_check_invariant "$B" "$BF_ME_TOKEN" "imported rows"
it_assert_eq "$((N - 1))" "$(bf_count "$B" success)" "all but the locked task approved"
it_assert_eq "1" "$(bf_count "$B" failed)" "the locked task failed"
it_assert_eq "0" "$(it_sql "SELECT count(*) FROM (SELECT task_id FROM task_history WHERE task_id = ANY (:'ids'::bigint[]) AND action = 'approve' GROUP BY 1 HAVING count(*) > 1) x" ids="$(bf_arr_sql "${T[@]}")")" \
	"no task approved twice"
it_assert_eq "$((N - 1))" "$(it_sql "SELECT count(*) FROM tasks t JOIN app_sessions s ON s.id = t.session_id JOIN batch_task_detail d ON d.task_id = t.id AND d.batch_id = :b WHERE d.status = 'success' AND (s.form_data->>'amount')::numeric = 1000 + d.row_no" b="$B")" \
	"each session's amount is its own row's"
it_assert_eq "$((N - 1))" "$(it_sql "SELECT count(*) FROM task_history h JOIN batch_task_detail d ON d.task_id = h.task_id AND d.batch_id = :b WHERE h.action = 'approve' AND h.comment = d.post_data->>'comment'" b="$B")" \
	"each approval's comment is its own row's"
it_assert_eq "$((N - 1))" "$(it_sql "SELECT count(*) FROM tasks n JOIN tasks t ON t.session_id = n.session_id JOIN batch_task_detail d ON d.task_id = t.id AND d.batch_id = :b WHERE d.status = 'success' AND n.id <> t.id AND n.state = 'pending' AND n.assignee = :r" b="$B" r="$BF_REVIEWER2_ID")" \
	"each next task went to the assignee its row named"
it_assert_no_stale_locks "imported rows"
it_done
