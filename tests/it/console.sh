#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The batch console in a real browser: headless Chromium, driven through the Chrome DevTools
# protocol by a small Python script (python3-websocket), against nginx + flowbatch-web +
# flowbatch-runner and a database of the test's own.
#
# First GET /api/batch/nodes/{id}/form over HTTP (shape, 404, 401).  Then the browser: signs
# in through /auth/login?token=..., sees the user's name and the nodes with their counts,
# opens a node (tasks, labels of the visible fields, searchable-field filters), filters by
# keyword, submits with a bad amount and no next assignee and sees both 422 messages next to
# their inputs, fixes them and submits five selected tasks, follows the progress view to
# 已完成; approves everything matching a filter ("filter" instead of task ids); approves two
# tasks that fail at execution and sees the failed details by default, retries them; lists
# 我的批次; downloads the Excel template of a selection, uploads it filled wrongly (row and
# column errors in a table), checks it with the dry run and imports it.  PostgreSQL is
# checked after each browser step.  Set FB_CONSOLE_SHOTS=DIR to keep PNG screenshots.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

CHROMIUM=${FB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z $CHROMIUM ]]; then
	it_bail "chromium is not installed (apt-get install chromium)"
fi
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
	it_bail "python3-websocket is not installed (apt-get install python3-websocket)"
/usr/bin/python3 -c 'import openpyxl' 2>/dev/null ||
	it_bail "python3-openpyxl is not installed"

bf_own_db
bf_users
bf_app "控制台测试" choose
it_start_web
it_start_nginx
it_start_runner

# 32 tasks at 部门审批 (valid forms: 广东 / 深圳), 3 at 财务复核; the last two at 部门审批
# lose their province and city and get titles of their own, so approving them fails.
mapfile -t T2 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 32)
mapfile -t T3 < <(bf_tasks "$BF_N3" "$BF_ME_ID" 3)
((${#T2[@]} == 32 && ${#T3[@]} == 3)) || it_bail "fixture tasks: ${#T2[@]} / ${#T3[@]}"
it_sql "UPDATE app_sessions s SET title = '缺省份的单子 ' || t.id,
	form_data = s.form_data - 'province' - 'city'
	FROM tasks t WHERE t.session_id = s.id AND t.id IN (:a, :b)" a="${T2[30]}" b="${T2[31]}" \
	>/dev/null || it_bail "fixture: bad tasks"

# --- the form endpoint over HTTP ------------------------------------------------------------
it_curl GET "/api/batch/nodes/$BF_N2/form" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 200 "GET /api/batch/nodes/N/form"
form_check=$(/usr/bin/python3 -c '
import json, sys
f = json.loads(sys.stdin.read())
by = {x["key"]: x for x in f["fields"]}
out = []
out.append(f["node_name"])
out.append("next=%s/%s" % (f["next"]["name"], f["next"]["choose"]))
out.append("prev=%s" % f["prev"]["name"])
out.append("amount=%s,%s,%s,%s" % (by["amount"]["min"], by["amount"]["max"], by["amount"]["decimals"], by["amount"]["writable"]))
out.append("city=%s,%s,%s" % (by["city"]["depends_on"], ",".join(by["city"]["options_by_parent"]["浙江"]), by["city"]["required"]))
out.append("province=%s,%s,%s" % (",".join(by["province"]["options"]), by["province"]["required"], by["province"]["searchable"]))
out.append("reason=%s,%s,%s" % (by["reason"]["max_length"], by["reason"]["writable"], by["reason"]["visible"]))
print(" ".join(out))
' <<<"$IT_BODY" 2>&1)
it_assert_eq "部门审批 next=财务复核/True prev=提交 amount=0,1000000,2,True city=province,杭州,宁波,True province=广东,浙江,True,True reason=200,False,True" \
	"$form_check" "form: next/prev, number bounds, dependent options, derived required, flags"
it_curl GET "/api/batch/nodes/999999999/form" -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 404 "form of a node that does not exist"
it_curl GET "/api/batch/nodes/$BF_N2/form"
it_assert_status 401 "form without a login"

# --- the browser ------------------------------------------------------------------------------
cat >"$IT_DIR/console_cdp.py" <<'PYEOF'
import base64, json, os, signal, subprocess, sys, time, urllib.request
import websocket

base, token, profile = sys.argv[1], sys.argv[2], sys.argv[3]
n2, n3 = int(sys.argv[4]), int(sys.argv[5])
user_name, reviewer, downloads = sys.argv[6], sys.argv[7], sys.argv[8]
shots = os.environ.get("FB_CONSOLE_SHOTS", "")
failed = False


def out(kind, msg):
    print("%s|%s" % (kind, msg.replace("\n", " ")), flush=True)


def ok(cond, msg):
    global failed
    out("ok" if cond else "fail", msg)
    if not cond:
        failed = True
    return cond


def var(name, value):
    out("var", "%s=%s" % (name, value))


args = [os.environ.get("FB_CHROMIUM", "chromium"), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        "--disable-extensions", "--no-default-browser-check", "--mute-audio",
        "--user-data-dir=" + profile, "--remote-debugging-port=0",
        "--remote-allow-origins=*", "--window-size=1280,800", "--lang=zh-CN",
        "--accept-lang=zh-CN", "about:blank"]
proc = subprocess.Popen(args, stdout=open(profile + ".log", "w"), stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, start_new_session=True)
var("CHROMIUM_PID", proc.pid)


def stop_browser():
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except Exception:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except Exception:
            pass


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.seq = 0
        self.events = []

    def call(self, method, **params):
        self.seq += 1
        mid = self.seq
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("JS error in %s: %s" % (expr[:120], r["exceptionDetails"]))
        return r.get("result", {}).get("value")

    def wait(self, expr, secs=15, what=""):
        end = time.time() + secs
        v = None
        while time.time() < end:
            try:
                v = self.js(expr)
            except RuntimeError:
                v = None
            if v:
                return v
            time.sleep(0.1)
        return ok(False, "timed out waiting for %s" % (what or expr))

    def shot(self, name):
        if not shots:
            return
        time.sleep(0.6)  # let the progress bar's transition end
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(os.path.join(shots, name + ".png"), "wb") as f:
            f.write(base64.b64decode(data))


def js_str(s):
    return json.dumps(s, ensure_ascii=False)


def set_value(p, sel, value):
    return p.js("(() => { const e = document.querySelector(%s); if (!e) return false; e.value = %s;"
                " e.dispatchEvent(new Event('input', {bubbles: true}));"
                " e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()"
                % (js_str(sel), js_str(value)))


def click(p, sel):
    return p.js("(() => { const e = document.querySelector(%s); if (!e) return false; e.click();"
                " return true; })()" % js_str(sel))


def text(p, sel):
    return p.js("(() => { const e = document.querySelector(%s); return e ? e.textContent : null; })()"
                % js_str(sel))


def rows(p):
    return p.js("document.querySelectorAll('#tasks-body tr[data-task-id]').length")


def wait_batch_done(p, what):
    bid = p.wait("(() => { const m = /^#\\/batch\\/(\\d+)$/.exec(location.hash); return m ? m[1] : null; })()",
                 15, what + ": the progress view")
    done = p.wait("['已完成', '已取消'].includes(document.getElementById('batch-status').textContent) &&"
                  " document.getElementById('batch-pct').textContent === '100%'",
                  60, what + ": batch finished in the progress view")
    return bid if done else "0"


def counts(p):
    return p.js("Object.fromEntries([...document.querySelectorAll('#batch-counts [data-count]')]"
                ".map(d => [d.getAttribute('data-count'), Number(d.querySelector('dd').textContent)]))")


def main():
    # the DevTools endpoint
    port_file = os.path.join(profile, "DevToolsActivePort")
    end = time.time() + 30
    while time.time() < end and not os.path.exists(port_file):
        if proc.poll() is not None:
            ok(False, "chromium exited with status %s at start" % proc.returncode)
            return
        time.sleep(0.1)
    time.sleep(0.2)
    port = int(open(port_file).read().split()[0])
    targets = json.loads(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10).read())
    page = [t for t in targets if t.get("type") == "page"][0]
    p = Page(page["webSocketDebuggerUrl"])
    p.call("Page.enable")
    p.call("Runtime.enable")
    p.call("Emulation.setDeviceMetricsOverride", width=1280, height=800, deviceScaleFactor=1, mobile=False)
    p.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=downloads, eventsEnabled=True)

    # not signed in: the sign-in help
    p.call("Page.navigate", url=base + "/")
    p.wait("!document.getElementById('view-login').hidden", 15, "the sign-in view without a cookie")
    ok("/auth/login?token=" in (text(p, "#view-login") or ""), "401: the page says how to sign in")

    # sign in through the token link, land on the console
    p.call("Page.navigate", url=base + "/auth/login?token=" + token)
    who = p.wait("(() => { const w = document.getElementById('who'); return w && w.textContent.includes(%s) ? w.textContent : null; })()"
                 % js_str(user_name), 15, "the user's name in the header")
    ok(bool(who), "header shows the signed-in user: %s" % who)
    p.wait("document.querySelectorAll('#node-list button[data-node-id]').length >= 2", 15, "the node list")
    nodes = p.js("[...document.querySelectorAll('#node-list button[data-node-id]')].map(b => b.getAttribute('data-node-id') + ':' + b.querySelector('.count').textContent + ':' + b.querySelector('.nname span').textContent)")
    ok(("%d:32:部门审批" % n2) in nodes and ("%d:3:财务复核" % n3) in nodes, "node list with pending counts: %s" % nodes)

    # open 部门审批: 32 tasks with the visible fields' labels, filters from the form
    click(p, "#node-list button[data-node-id='%d']" % n2)
    p.wait("location.hash === '#/approve/%d' && document.querySelectorAll('#tasks-body tr[data-task-id]').length === 32" % n2,
           15, "32 task rows")
    heads = p.js("[...document.querySelectorAll('#tasks-head th')].map(t => t.textContent).join(',')")
    ok(heads == ",标题,发起人,部门,创建时间,事由,金额,类别,省份,城市,备注", "task columns: %s" % heads)
    first = p.js("[...document.querySelectorAll('#tasks-body tr[data-task-id]')[0].cells].map(c => c.textContent).join('|')")
    ok("申请人丙" in first and "出差报销 1" in first and "深圳" in first, "first row: %s" % first)
    ok(text(p, "#tasks-total") == "符合条件 32 条", "total: %s" % text(p, "#tasks-total"))
    filters = p.js("[...document.querySelectorAll('#filter-row .dyn')].map(l => l.firstChild.textContent + ':' + l.querySelector('select,input').tagName).join(',')")
    ok(filters == "类别:SELECT,省份:SELECT", "searchable-field filters: %s" % filters)
    inputs = p.js("[...document.querySelectorAll('#form-inputs .field')].map(f => f.getAttribute('data-key') + ':' + (f.querySelector('input,select,textarea') || {}).type).join(',')")
    ok(inputs == "amount:number,city:select-one,note:textarea", "writable inputs: %s" % inputs)
    ok(p.js("document.getElementById('w-amount').step") == "0.01" and p.js("document.getElementById('w-amount').max") == "1000000",
       "amount input: step 0.01, max 1000000")
    ok(p.js("!document.getElementById('assignee-field').hidden"), "next node is 'choose': assignee input shown")
    p.shot("tasks")

    # keyword and field filters
    set_value(p, "#f-keyword", "#2")
    set_value(p, "#ff-province", "广东")
    click(p, "#filter-form button[type=submit]")
    p.wait("document.getElementById('tasks-total').textContent === '符合条件 11 条'", 10, "keyword filter: 11 tasks")
    set_value(p, "#ff-province", "浙江")
    click(p, "#filter-form button[type=submit]")
    p.wait("document.getElementById('tasks-total').textContent === '符合条件 0 条'", 10, "province 浙江: no task")
    ok(True, "keyword and searchable-field filters")
    click(p, "#filter-reset")
    p.wait("document.querySelectorAll('#tasks-body tr[data-task-id]').length === 32", 10, "reset: 32 rows")

    # select five rows (checkboxes and a row click), submit with errors first
    for i in range(4):
        click(p, "#tasks-body tr[data-task-id]:nth-child(%d) input.row-check" % (i + 1))
    click(p, "#tasks-body tr[data-task-id]:nth-child(5) td:nth-child(3)")
    ok(text(p, "#sel-info") == "已选 5 项", "selection: %s" % text(p, "#sel-info"))
    set_value(p, "#w-amount", "2000000")
    set_value(p, "#comment", "同意，批量处理")
    click(p, "#examine-submit")
    p.wait("!document.getElementById('panel-errors').hidden", 10, "422 shown in the panel")
    amount_err = text(p, ".field[data-key=amount] .field-error")
    asg_err = text(p, ".field[data-key='assignee.user'] .field-error")
    ok(bool(amount_err) and p.js("document.getElementById('w-amount').getAttribute('aria-invalid')") == "true",
       "422: the amount error is next to its input: %s" % amount_err)
    ok(bool(asg_err), "422: the assignee error is next to its input: %s" % asg_err)
    ok(p.js("location.hash") == "#/approve/%d" % n2, "422: still on the tasks page")
    p.shot("panel-errors")
    sel = p.js("[...document.querySelectorAll('#tasks-body tr.selected')].map(t => t.getAttribute('data-task-id')).join(',')")
    var("SEL1", sel)

    # fix and submit
    set_value(p, "#w-amount", "123.45")
    set_value(p, "#w-city", "广州")
    set_value(p, "#assignee", reviewer)
    click(p, "#examine-submit")
    bid = wait_batch_done(p, "first batch")
    var("BATCH1", bid)
    c = counts(p)
    ok(c.get("总数") == 5 and c.get("成功") == 5 and c.get("失败") == 0 and c.get("待处理") == 0,
       "progress view: %s" % c)
    p.wait("document.querySelectorAll('#details-body tr[data-task-id]').length === 5", 10, "5 detail rows")
    ok(p.js("document.getElementById('batch-bar').getAttribute('aria-valuenow')") == "100", "progress bar at 100")
    ok(p.js("document.getElementById('batch-cancel').hidden") and p.js("document.getElementById('batch-retry').disabled"),
       "finished: no cancel, nothing to retry")
    p.shot("progress")

    # everything matching a filter: keyword #2 (#2 is done now: 10 left)
    p.js("location.hash = '#/approve/%d'" % n2)
    p.wait("document.querySelectorAll('#tasks-body tr[data-task-id]').length === 27", 15, "27 rows left")
    set_value(p, "#f-keyword", "#2")
    click(p, "#filter-form button[type=submit]")
    p.wait("document.getElementById('tasks-total').textContent === '符合条件 10 条'", 10, "10 matching")
    click(p, "#sel-all-matching")
    ok("全部符合条件的 10 项" in (text(p, "#sel-info") or ""), "select all matching: %s" % text(p, "#sel-info"))
    set_value(p, "#assignee", reviewer)
    click(p, "#examine-submit")
    bid = wait_batch_done(p, "filter batch")
    var("BATCH2", bid)
    c = counts(p)
    ok(c.get("总数") == 10 and c.get("成功") == 10, "filter batch: %s" % c)

    # two tasks that fail at execution: failed details by default, retry
    p.js("location.hash = '#/approve/%d'" % n2)
    p.wait("document.getElementById('f-keyword').value === '#2' && document.getElementById('tasks-total').textContent === '符合条件 0 条'",
           15, "back on the node: the filter is kept (nothing left matching #2)")
    click(p, "#filter-reset")
    p.wait("document.querySelectorAll('#tasks-body tr[data-task-id]').length === 17", 15, "17 rows left")
    set_value(p, "#f-keyword", "缺省份")
    click(p, "#filter-form button[type=submit]")
    p.wait("document.querySelectorAll('#tasks-body tr[data-task-id]').length === 2", 10, "2 bad tasks")
    click(p, "#sel-page")
    ok(text(p, "#sel-info") == "已选 2 项", "select page: %s" % text(p, "#sel-info"))
    set_value(p, "#w-note", "补充说明")
    set_value(p, "#assignee", reviewer)
    click(p, "#examine-submit")
    bid = wait_batch_done(p, "failing batch")
    var("BATCH3", bid)
    c = counts(p)
    ok(c.get("失败") == 2 and c.get("成功") == 0, "failing batch: %s" % c)
    # the rows drawn while the batch ran (all statuses) are replaced by the failed ones
    p.wait("[...document.querySelectorAll('#details-body tr[data-task-id]')].filter(r => r.cells[2].textContent === '失败').length === 2",
           10, "2 failed rows")
    ok(p.js("document.getElementById('details-status').value") == "failed", "details filtered by 失败 by default")
    reasons = p.js("[...document.querySelectorAll('#details-body tr[data-task-id]')].map(r => r.cells[2].textContent + ':' + r.cells[3].textContent).join(' / ')")
    ok(reasons.count("失败:") == 2 and len(reasons) > 12, "failed rows with reasons: %s" % reasons)
    ok(not p.js("document.getElementById('batch-retry').disabled") and not p.js("document.getElementById('batch-errors').disabled"),
       "retry and errors.xlsx offered")
    p.shot("progress-failed")
    before = int(p.js("document.querySelector('#details-body tr[data-task-id] td:nth-child(5)').textContent"))
    var("RETRY_BEFORE", before)
    click(p, "#batch-retry")
    p.wait("document.querySelectorAll('#details-body tr[data-task-id]').length === 2 && [...document.querySelectorAll('#details-body tr[data-task-id] td:nth-child(5)')].every(c => c.textContent === '%d') && document.getElementById('batch-status').textContent === '已完成'"
           % (before + 1), 30, "retried rows with retry count %d" % (before + 1))
    ok(True, "retry: failed again, retry count %d" % (before + 1))
    click(p, "#batch-errors")
    errbook = None
    end = time.time() + 20
    while time.time() < end and errbook is None:
        for fn in os.listdir(downloads):
            if fn.endswith(".xlsx") and not fn.endswith(".crdownload"):
                errbook = os.path.join(downloads, fn)
        time.sleep(0.2)
    ok(errbook is not None and open(errbook, "rb").read(2) == b"PK", "errors.xlsx downloaded: %s" % errbook)
    if errbook:
        os.rename(errbook, os.path.join(downloads, "errors-book.bin"))

    # 我的批次
    p.js("location.hash = '#/batches'")
    p.wait("document.querySelectorAll('#batches-body tr[data-batch-id]').length === 3", 10, "3 batches listed")
    ids = p.js("[...document.querySelectorAll('#batches-body tr[data-batch-id]')].map(r => r.getAttribute('data-batch-id')).join(',')")
    var("LISTED", ids)
    set_value(p, "#batches-status", "running")
    p.wait("document.querySelector('#batches-body td.empty') !== null", 10, "no running batch")
    set_value(p, "#batches-status", "")
    p.wait("document.querySelectorAll('#batches-body tr[data-batch-id]').length === 3", 10, "3 batches again")
    p.shot("batches")
    click(p, "#batches-body tr[data-batch-id]:last-child td:nth-child(2)")
    p.wait("location.hash === '#/batch/%s'" % ids.split(",")[-1], 10, "row click opens the batch")
    ok(True, "我的批次: list, status filter, open a batch")

    # Excel: the template of two selected tasks, filled wrongly, then right
    p.js("location.hash = '#/approve/%d'" % n2)
    p.wait("document.getElementById('f-keyword').value === '缺省份'", 15, "back on the node")
    click(p, "#filter-reset")
    p.wait("document.querySelectorAll('#tasks-body tr[data-task-id]').length === 17", 15, "17 rows")
    click(p, "#tasks-body tr[data-task-id]:nth-child(1) input.row-check")
    click(p, "#tasks-body tr[data-task-id]:nth-child(2) input.row-check")
    var("SEL4", p.js("[...document.querySelectorAll('#tasks-body tr.selected')].map(t => t.getAttribute('data-task-id')).join(',')"))
    click(p, "#tpl-single")
    tpl = None
    end = time.time() + 20
    while time.time() < end and tpl is None:
        for fn in os.listdir(downloads):
            if fn.endswith(".xlsx"):
                tpl = os.path.join(downloads, fn)
        time.sleep(0.2)
    if not ok(tpl is not None, "template downloaded: %s" % tpl):
        return
    time.sleep(0.3)
    import openpyxl
    wb = openpyxl.load_workbook(tpl)
    ws = wb["审批"]
    head = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(head) if h}
    ok(ws.max_row == 3 and "操作" in col and "金额" in col, "template: 2 rows, headers %s" % head)
    bad = os.path.join(downloads, "bad.xlsx")
    good = os.path.join(downloads, "good.xlsx")
    for r in (2, 3):
        ws.cell(r, col["操作"]).value = "同意"
        ws.cell(r, col["下一处理人"]).value = reviewer
    ws.cell(3, col["金额"]).value = "很多"
    wb.save(bad)
    ws.cell(3, col["金额"]).value = 88.5
    wb.save(good)

    def upload(path, dry):
        doc = p.call("DOM.getDocument")
        node = p.call("DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="#import-file")
        p.call("DOM.setFileInputFiles", files=[path], nodeId=node["nodeId"])
        p.js("document.getElementById('import-dry').checked = %s" % ("true" if dry else "false"))
        p.js("document.getElementById('import-result-body').textContent = ''")
        click(p, "#import-submit")

    upload(bad, False)
    p.wait("document.querySelector('#import-result-body .errors') !== null && !document.getElementById('import-submit').disabled",
           20, "import errors")
    errs = p.js("[...document.querySelectorAll('#import-errors tbody tr')].map(r => [...r.cells].map(c => c.textContent).join(':')).join(' / ')")
    ok(bool(errs) and errs.startswith("3:") and "金额" in errs, "422 import: row/column errors in a table: %s" % errs)
    p.shot("import-errors")
    upload(good, True)
    p.wait("document.querySelector('#import-result-body .okbox, #import-result-body .errors') !== null && !document.getElementById('import-submit').disabled",
           20, "dry run result")
    ok("检查通过" in (text(p, "#import-result-body") or ""), "dry run: %s" % text(p, "#import-result-body"))
    upload(good, False)
    bid = wait_batch_done(p, "import batch")
    var("BATCH4", bid)
    c = counts(p)
    ok(c.get("总数") == 2 and c.get("成功") == 2, "import batch: %s" % c)

    errs = [e for e in p.events if e.get("method") == "Runtime.exceptionThrown"]
    ok(not errs, "no uncaught JavaScript exception%s" % (": %s" % errs[0] if errs else ""))


try:
    main()
except Exception as e:
    ok(False, "driver: %s: %s" % (type(e).__name__, e))
finally:
    stop_browser()
sys.exit(1 if failed else 0)
PYEOF

IT_DL=$IT_DIR/downloads
mkdir -p "$IT_DL" "$IT_DIR/chrome"
declare -A V=()
while IFS= read -r line; do
	kind=${line%%|*}
	msg=${line#*|}
	case $kind in
	ok) it_ok "browser: $msg" ;;
	fail) it_fail "browser: $msg" ;;
	var)
		V[${msg%%=*}]=${msg#*=}
		[[ ${msg%%=*} == CHROMIUM_PID ]] && IT_PIDS+=("${msg#*=}")
		;;
	*) echo "# $line" ;;
	esac
done < <(FB_CHROMIUM=$CHROMIUM timeout -k 10 300 /usr/bin/python3 "$IT_DIR/console_cdp.py" \
	"$IT_BASE" "$BF_ME_TOKEN" "$IT_DIR/chrome" "$BF_N2" "$BF_N3" "审批人甲" "$BF_REVIEWER" \
	"$IT_DL" 2>&1)

# --- what the browser did, in PostgreSQL ---------------------------------------------------
b1=${V[BATCH1]:-0} b2=${V[BATCH2]:-0} b3=${V[BATCH3]:-0} b4=${V[BATCH4]:-0}
it_assert_eq "finished 5 5 approve 同意，批量处理" \
	"$(it_sql "SELECT b.status, count(d.*), count(*) FILTER (WHERE d.status = 'success'),
		b.action, b.comment FROM batch_task b JOIN batch_task_detail d ON d.batch_id = b.id
		WHERE b.id = :b GROUP BY b.id" b="$b1" | tr '|' ' ')" \
	"db: the first batch finished with its five tasks"
sel1=${V[SEL1]:-0}
it_assert_eq "5 5 5 5" \
	"$(it_sql "SELECT count(*) FILTER (WHERE t.state = 'done'),
		count(*) FILTER (WHERE s.form_data->>'city' = '广州' AND s.form_data->'amount' = '123.45'::jsonb),
		count(*) FILTER (WHERE s.current_node_id = :n3),
		(SELECT count(*) FROM tasks x WHERE x.session_id = ANY(array_agg(s.id)) AND x.node_id = :n3
			AND x.state = 'pending' AND x.assignee = :rev)
		FROM tasks t JOIN app_sessions s ON s.id = t.session_id
		WHERE t.id = ANY(string_to_array(:'ids', ',')::bigint[])" ids="$sel1" n3="$BF_N3" \
		rev="$BF_REVIEWER_ID" | tr '|' ' ')" \
	"db: the selected tasks are done, their form has the batch's values, the next task is the chosen reviewer's"
it_assert_eq "finished 10 10" \
	"$(it_sql "SELECT b.status, count(d.*), count(*) FILTER (WHERE d.status = 'success')
		FROM batch_task b JOIN batch_task_detail d ON d.batch_id = b.id WHERE b.id = :b
		GROUP BY b.id" b="$b2" | tr '|' ' ')" \
	"db: the filter batch acted on the ten matching tasks"
it_assert_eq "0" \
	"$(it_sql "SELECT count(*) FROM batch_task_detail d JOIN tasks t ON t.id = d.task_id
		JOIN app_sessions s ON s.id = t.session_id WHERE d.batch_id = :b
		AND s.title NOT LIKE '%#2%'" b="$b2")" \
	"db: the filter batch holds only tasks matching the keyword"
it_assert_eq "2 2 2" \
	"$(it_sql "SELECT count(*) FILTER (WHERE d.status = 'failed'),
		count(*) FILTER (WHERE d.retry_count = :r + 1), count(*) FILTER (WHERE t.state = 'pending')
		FROM batch_task_detail d JOIN tasks t ON t.id = d.task_id WHERE d.batch_id = :b" \
		b="$b3" r="${V[RETRY_BEFORE]:-0}" | tr '|' ' ')" \
	"db: the failing batch failed twice, was retried once, its tasks stay pending"
it_assert_eq "$b3,$b2,$b1" "${V[LISTED]:-}" "我的批次 lists the three batches, newest first"
it_assert_eq "finished 2 import" \
	"$(it_sql "SELECT b.status, count(*) FILTER (WHERE d.status = 'success'), b.source
		FROM batch_task b JOIN batch_task_detail d ON d.batch_id = b.id WHERE b.id = :b
		GROUP BY b.id" b="$b4" | tr '|' ' ')" \
	"db: the imported batch finished"
sel4=${V[SEL4]:-0}
it_assert_eq "2 1" \
	"$(it_sql "SELECT count(*) FILTER (WHERE t.state = 'done'),
		count(*) FILTER (WHERE s.form_data->'amount' = '88.5'::jsonb)
		FROM tasks t JOIN app_sessions s ON s.id = t.session_id
		WHERE t.id = ANY(string_to_array(:'ids', ',')::bigint[])" ids="$sel4" | tr '|' ' ')" \
	"db: the imported rows are done, with the amount from the file"
it_assert_eq "4 4 4" \
	"$(it_sql "SELECT count(*), count(DISTINCT k.key), count(*) FILTER (WHERE k.key ~ '^[0-9a-f]{32}$')
		FROM idempotency_keys k WHERE k.batch_id IN (:b1, :b2, :b3, :b4)" \
		b1="$b1" b2="$b2" b3="$b3" b4="$b4" | tr '|' ' ')" \
	"db: the console sent its own Idempotency-Key with each submission and the import"

it_done
