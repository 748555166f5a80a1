#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The console's languages in headless Chromium (its browser language zh-CN): the page
# starts in Chinese; the switch in the header turns it to English (every text of the page
# carrying a key is English, none is left Chinese), an error the server answers is English
# too (the console asks in its language), and so is a failed item's reason; the choice is
# remembered over a reload; switched back, the page, the error and the reason are Chinese.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

CHROMIUM=${FB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || it_bail "chromium is not installed (apt-get install chromium)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
	it_bail "python3-websocket is not installed (apt-get install python3-websocket)"

bf_own_db
bf_users
bf_app "控制台语言"
it_start_web
it_start_nginx
it_start_runner

# A batch of two: one task locked by a person fails, the other is approved.
mapfile -t T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 2)
((${#T[@]} == 2)) || it_bail "fixture tasks"
it_sql "UPDATE tasks SET lock_kind = 'person', lock_owner = 'zhang.san', locked_at = now()
	WHERE id = :t" t="${T[0]}" >/dev/null || it_bail "person lock"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${T[@]}"),\"examine\":{\"action\":\"approve\"}}"
[[ -n $BF_BATCH ]] || it_bail "batch not submitted: $IT_STATUS $IT_BODY"
bf_wait_settled "$BF_BATCH" 30

cat >"$IT_DIR/i18n_cdp.py" <<'PYEOF'
import json, os, sys

sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "it"))
from cdp import Browser

base, token, profile, batch, task = sys.argv[1:6]
failed = False


def ok(cond, msg):
    global failed
    print("%s|%s" % ("ok" if cond else "fail", msg), flush=True)
    failed = failed or not cond


b = Browser(profile, ["--lang=zh-CN", "--accept-lang=zh-CN"])
call, js, wait, text = b.call, b.js, b.wait, b.text
try:
    def switch(lang):
        js("(() => { const s = document.getElementById('lang-switch'); s.value = %s;"
           " s.dispatchEvent(new Event('change')); })()" % json.dumps(lang))

    # Texts of the page that carry a key and are still Chinese (attributes included).
    # (#who shows the user's own name once signed in: data, not text of the page.)
    LEFT_CJK = """[...document.querySelectorAll('[data-i18n]:not(#who)')].map(e => e.textContent)
        .concat([...document.querySelectorAll('[data-i18n-title],[data-i18n-placeholder],[data-i18n-aria-label]')]
        .flatMap(e => ['title', 'placeholder', 'aria-label'].map(a => e.getAttribute(a) || '')))
        .filter(s => /[\\u3400-\\u9fff]/.test(s))"""
    node_error = "document.getElementById('flash').textContent"
    reason = ("(() => { const r = document.querySelector('#details-body tr[data-task-id=\"%s\"]');"
              " return r ? r.cells[3].textContent + '|' + r.cells[2].textContent : null; })()" % task)

    call("Page.navigate", url=base + "/auth/login?token=" + token)
    ok(wait("document.getElementById('logout-form').hidden === false"), "signed in")
    ok(text("header h1") == "批量处理控制台", "the browser's language: Chinese (%s)" % text("header h1"))
    ok(js("document.documentElement.lang") == "zh-CN" and js("document.getElementById('lang-switch').value") == "zh-CN",
       "html lang and the switch say zh-CN")

    # To English.
    switch("en")
    ok(wait("document.querySelector('header h1').textContent === 'Batch console'"), "switched: the title is English")
    ok(js("document.documentElement.lang") == "en", "html lang en")
    ok(text("#nav-approve") == "Batch approval" and text("#nav-batches") == "My batches", "the navigation is English")
    left = js(LEFT_CJK)
    ok(left == [], "no text of the page is left in Chinese: %s" % left)
    ok(js("localStorage.getItem('flowbatch.lang')") == "en", "the choice is kept")
    js("location.hash = '#/approve/999999999'")
    ok(wait(node_error + ".startsWith(\"Cannot load the node's form: node 999999999 does not exist\")"),
       "an error from the server in English: %s" % js(node_error))
    js("location.hash = '#/batch/%s'" % batch)
    got = wait(reason)
    ok(got == "locked by zhang.san, who is handling it in person|Failed",
       "a failed item's reason and status in English: %s" % got)

    # Remembered over a reload.
    call("Page.reload")
    ok(wait("document.querySelector('header h1').textContent === 'Batch console'"), "still English after a reload")

    # Back to Chinese.
    switch("zh-CN")
    ok(wait("document.querySelector('header h1').textContent === '批量处理控制台'"), "switched back: the title is Chinese")
    got = wait(reason)
    ok(got == "已被 zhang.san 锁定，正在人工处理|失败", "the reason and status in Chinese: %s" % got)
    js("location.hash = '#/approve/999999999'")
    ok(wait(node_error + ".startsWith('无法加载节点表单：节点 999999999 不存在')"),
       "the server's error in Chinese: %s" % js(node_error))
    ok(js("localStorage.getItem('flowbatch.lang')") == "zh-CN", "zh-CN kept")
finally:
    b.close()
sys.exit(1 if failed else 0)
PYEOF

mkdir -p "$IT_DIR/chrome"
it_browser_checks < <(top_srcdir=$top_srcdir /usr/bin/python3 "$IT_DIR/i18n_cdp.py" "$IT_BASE" "$BF_ME_TOKEN" "$IT_DIR/chrome" \
	"$BF_BATCH" "${T[0]}" 2>&1)
it_done
