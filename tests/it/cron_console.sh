#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The console's scheduled-jobs page in headless Chromium: hidden from a user who is no
# admin; an admin opens the editor, types an expression and sees the next fire times
# follow it (in Asia/Shanghai), sees a bad expression's field and position (the server's message in the page's language), saves, finds
# the crontab in the list (filtered by name), disables it, runs it now and sees the run in
# its history; the page speaks English when asked to.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

CHROMIUM=${FB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || it_bail "chromium is not installed (apt-get install chromium)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
	it_bail "python3-websocket is not installed (apt-get install python3-websocket)"

bf_own_db
it_start_web
it_start_nginx
it_start_runner
admin="it_ctcon_admin_$$"
user="it_ctcon_user_$$"
it_sql "INSERT INTO users (login, name, is_admin) VALUES (:'a', '管理员', true), (:'u', '用户', false)" \
	a="$admin" u="$user" >/dev/null || it_bail "cannot insert users"
ADMIN_TOKEN=$(it_token "$admin") || it_bail "token"
USER_TOKEN=$(it_token "$user") || it_bail "token"

cat >"$IT_DIR/cron_cdp.py" <<'PYEOF'
import json, sys, time
sys.path.insert(0, sys.argv[5])
from cdp import Browser, ok, failed

base, admin, user, profile = sys.argv[1:5]
with Browser(profile) as b:
    call, js, wait, q, click = b.call, b.js, b.wait, b.q, b.click

    def type_into(sel, text):
        # One key at a time, as a person types: an input event for each.
        js("document.querySelector(%s).value = ''" % json.dumps(sel))
        for ch in text:
            js("(() => { const e = document.querySelector(%s); e.value += %s; e.dispatchEvent(new Event('input')); })()"
               % (json.dumps(sel), json.dumps(ch)))

    def next_times():
        return js("Array.from(document.querySelectorAll('#ct-next li')).map((e) => e.textContent)") or []

    # The console in zh-CN, whatever the browser's own language.
    call("Network.enable")
    call("Page.navigate", url=base + "/")
    wait("document.readyState === 'complete'")
    js("localStorage.setItem('flowbatch.lang', 'zh-CN')")
    # A user who is no admin: no menu entry.
    call("Page.navigate", url=base + "/auth/login?token=" + user)
    ok(wait("document.getElementById('who').textContent.indexOf('用户') >= 0"), "the user is signed in")
    ok(js("document.getElementById('nav-crontab').hidden") is True, "the page is hidden from a user who is no admin")
    call("Network.clearBrowserCookies")

    call("Page.navigate", url=base + "/auth/login?token=" + admin)
    ok(wait("!document.getElementById('nav-crontab').hidden"), "the page is shown to an admin")
    ok(q("#nav-crontab") == "定时任务", "the menu entry in zh-CN: %s" % q("#nav-crontab"))
    click("#nav-crontab")
    ok(wait("document.querySelectorAll('#ct-body tr[data-id]').length >= 3"), "the list shows the system crontabs")

    # The editor: the next times follow the expression as it is typed.
    click("#ct-new")
    ok(wait("location.hash === '#/crontab/new' && !document.getElementById('ct-editor').hidden"), "the editor opens")
    type_into("#ct-expr", "0 8 * * *")
    ok(wait("(() => { const l = document.querySelectorAll('#ct-next li'); return l.length === 10 && l[0].textContent.endsWith('T08:00:00+08:00'); })()"),
       "10 next times at 08:00 Asia/Shanghai: %s" % next_times()[:2])
    type_into("#ct-expr", "30 9 * * MON")
    ok(wait("(() => { const l = document.querySelectorAll('#ct-next li'); return l.length === 10 && l[0].textContent.endsWith('T09:30:00+08:00'); })()"),
       "they follow the new expression: %s" % next_times()[:2])
    days = js("Array.from(document.querySelectorAll('#ct-next li')).map((e) => new Date(e.dataset.at).getUTCDay())") or []
    ok(len(days) == 10 and all(d == 1 for d in days), "every one a Monday (09:30 in Shanghai is 01:30 UTC)")
    type_into("#ct-expr", "61 * * * *")
    ok(wait("document.getElementById('ct-next-error').textContent === 'expr: 分钟字段第 1 个字符处：61 超出范围：应为 0 到 59 的数字'"),
       "a bad expression names the field and position, in Chinese: %s" % q("#ct-next-error"))
    ok(len(next_times()) == 0, "and lists no times")
    type_into("#ct-expr", "*/20 * * * *")
    ok(wait("document.querySelectorAll('#ct-next li').length === 10 && document.getElementById('ct-next-error').textContent === ''"),
       "fixed, the times come back")
    js("document.getElementById('ct-name').value = '控制台任务'")
    click("#ct-save")
    ok(wait("location.hash === '#/crontab'"), "saved, back to the list")
    js("document.getElementById('ct-keyword').value = '控制台'")
    click("#ct-filter button[type=submit]")
    ok(wait("document.querySelectorAll('#ct-body tr[data-id]').length === 1 && document.querySelector('#ct-body .ct-name').textContent === '控制台任务'"),
       "the list, filtered by name, shows the new crontab")
    cid = js("document.querySelector('#ct-body tr[data-id]').dataset.id")
    print("var|CID=%s" % cid, flush=True)
    click("#ct-body .ct-toggle")
    ok(wait("document.querySelector('#ct-body .ct-enabled').textContent === '已停用'"), "disabled from the list")
    click("#ct-body .ct-run")
    ok(wait("document.getElementById('flash').textContent.indexOf('已提交运行') >= 0"), "run now: %s" % q("#flash"))
    click("#ct-body .ct-edit")
    ok(wait("!document.getElementById('ct-history').hidden"), "the crontab's page shows its history")
    ok(wait("(() => { location.hash; return document.querySelectorAll('#ct-hist-body tr[data-status]').length >= 1; })()"), "a run in the history")
    end = time.time() + 15
    while time.time() < end and not js("!!document.querySelector('#ct-hist-body tr[data-status=success]')"):
        js("ctHistory()")
        time.sleep(0.5)
    ok(js("!!document.querySelector('#ct-hist-body tr[data-status=success]')"), "the run succeeded: %s" % q("#ct-hist-body"))

    # English.
    js("localStorage.setItem('flowbatch.lang', 'en'); location.hash = '#/crontab'; location.reload(); true")
    time.sleep(0.5)
    ok(wait("document.getElementById('nav-crontab').textContent === 'Scheduled jobs' && !!document.getElementById('ct-title') && document.getElementById('ct-title').textContent === 'Scheduled jobs'"),
       "the page in English: %s" % q("#ct-title"))
    click("#ct-new")
    ok(wait("location.hash === '#/crontab/new' && !document.getElementById('ct-editor').hidden"), "the editor opens (en)")
    type_into("#ct-expr", "61 * * * *")
    ok(wait("document.getElementById('ct-next-error').textContent === 'expr: minute field, position 1: 61 is out of range: expected a number 0-59'"),
       "the server's message for a bad expression in English: %s" % q("#ct-next-error"))
sys.exit(1 if failed() else 0)
PYEOF

CID=
it_browser_checks < <(/usr/bin/python3 "$IT_DIR/cron_cdp.py" "$IT_BASE" "$ADMIN_TOKEN" "$USER_TOKEN" "$IT_DIR/chrome" \
	"$top_srcdir/tests/it" 2>&1)

[[ -n $CID ]] || it_bail "the console created no crontab"
it_assert_eq '控制台任务|repeat|["*/20 * * * *"]|Asia/Shanghai|false|noop' "$(it_psql -c "SELECT name || '|' || type || '|' || (rule->'cron')::text || '|' || (rule->>'tz') || '|' || enable || '|' || (job->>'type') FROM crontab WHERE id = $CID")" \
	"the crontab as the console saved it"
it_assert_eq "crontab.create crontab.disable crontab.run" "$(it_psql -c "SELECT string_agg(action, ' ' ORDER BY id) FROM action_log WHERE target_type = 'crontab' AND target_id = '$CID'")" \
	"each console action in action_log"
it_done
