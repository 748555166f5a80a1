#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The console's task-center page in headless Chromium: hidden from a non-admin; an admin
# sees the delivery status per platform, creates a platform (its generated secret shown
# once, never in the list), gets a validation error at the URL field, tests a platform
# that answers 410 (outcome, status and answer shown), changes the retry settings (a bad
# value refused at its field), filters the log, pushes one row again and then every
# matching one.  The "ended since your last visit" notice links to a finished batch and a
# cancelled one, each worded by how it ended in Chinese and English, and is dismissed for
# good.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/taskcenter_fixture.sh"

CHROMIUM=${FB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || it_bail "chromium is not installed (apt-get install chromium)"
$PY -c 'import websocket' 2>/dev/null ||
	it_bail "python3-websocket is not installed (apt-get install python3-websocket)"

export FLOWBATCH_TASKCENTER_SWEEP_DAYS=0
bf_own_db
bf_users
bf_app "任务中心控制台"
it_sql "UPDATE users SET is_admin = true WHERE login = :'l'" l="$BF_ME" >/dev/null
it_start_web
it_start_nginx
tc_sink_start '{"/ok":{"mode":"ok","secret":"sec-console-ok-0001"},"/gone":{"mode":"410","secret":"sec-console-gone-01"},"/new":{"mode":"ok","secret":"-"}}'
it_start_runner
P_OK=$(platform ok sec-console-ok-0001 true 5000 4)
P_GONE=$(platform gone sec-console-gone-01 true 5000 4)
mapfile -t T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 5)
it_sql "UPDATE tasks SET created = created - interval '4 days' WHERE id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${T[@]}")" >/dev/null
it_sql "INSERT INTO task_center_log (task_id, platform_id, event, webhook_id, status, retry_count, failed_at, next_at)
	SELECT t, :p, 'create', 'msg_tc_' || t || '_' || :p || '_create', CASE WHEN n <= 3 THEN 'abandoned' ELSE 'delivered' END,
	CASE WHEN n <= 3 THEN 3 ELSE 0 END, now(), now() + interval '1 hour'
	FROM unnest(:'ids'::bigint[]) WITH ORDINALITY u(t, n)" p="$P_OK" ids="$(bf_arr_sql "${T[@]}")" >/dev/null
BATCH=$(it_sql "INSERT INTO batch_task (app_version_id, node_id, status, total, success, creator, started, finished)
	VALUES (:v, :n, 'finished', 5, 5, :u, now(), now()) RETURNING id" v="$BF_AV" n="$BF_N2" u="$BF_ME_ID")
CBATCH=$(it_sql "INSERT INTO batch_task (app_version_id, node_id, status, total, success, cancelled, creator, started, finished)
	VALUES (:v, :n, 'cancelled', 5, 2, 3, :u, now(), now()) RETURNING id" v="$BF_AV" n="$BF_N2" u="$BF_ME_ID")

cat >"$IT_DIR/tc_cdp.py" <<'PYEOF'
import json, sys, time
sys.path.insert(0, sys.argv[10])
import cdp

base, me, other, profile, p_ok, p_gone, sink, batch, cbatch = sys.argv[1:10]
b = cdp.Browser(profile)
ok, call, js, wait, q, click, setv = b.ok, b.call, b.js, b.wait, b.q, b.click, b.setv
try:
    # A non-admin: no menu entry, no notice.
    call("Page.navigate", url=base + "/auth/login?token=" + other)
    ok(wait("document.getElementById('who').textContent.indexOf('（') >= 0"), "signed in as a non-admin")
    time.sleep(0.5)
    ok(js("document.getElementById('nav-taskcenter').hidden") is True, "the task center is hidden from a non-admin")
    ok(js("document.getElementById('notices').hidden") is True, "no notice for a user with nothing finished")
    js("localStorage.setItem('flowbatch.lang', 'zh-CN')")
    call("Network.enable")
    call("Network.clearBrowserCookies")

    # The admin: the notice first.
    call("Page.navigate", url=base + "/auth/login?token=" + me)
    ok(wait("!document.getElementById('notices').hidden"), "the notice of finished batches shows at load")
    ok(q("#notices a[data-kind=batch][data-status=finished]", "getAttribute('href')") == "#/batch/" + batch, "it links to the finished batch")
    fin, can = "#notices a[data-status=finished]", "#notices a[data-status=cancelled]"
    ok(q(can, "getAttribute('href')") == "#/batch/" + cbatch, "and to the cancelled one")
    ok("已完成" in (q(fin) or "") and "已取消" in (q(can) or "") and "成功 2" in (q(can) or "") and "取消 3" in (q(can) or ""),
       "zh-CN: worded finished and cancelled, with the counts: %s / %s" % (q(fin), q(can)))
    ok("2 项已结束" in (q("#notices strong") or ""), "zh-CN title: %s" % q("#notices strong"))
    js("localStorage.setItem('flowbatch.lang', 'en')")
    call("Page.reload")
    ok(wait("!document.getElementById('notices').hidden && document.documentElement.lang === 'en'"), "the notice in English")
    ok("finished:" in (q(fin) or "") and "was cancelled:" in (q(can) or "") and "2 succeeded" in (q(can) or "") and "3 cancelled" in (q(can) or ""),
       "en: worded finished and cancelled, with the counts: %s / %s" % (q(fin), q(can)))
    ok((q("#notices strong") or "").startswith("2 ended"), "en title: %s" % q("#notices strong"))
    js("localStorage.setItem('flowbatch.lang', 'zh-CN')")
    call("Page.reload")
    ok(wait("!document.getElementById('notices').hidden && document.documentElement.lang === 'zh-CN'"), "back in Chinese")
    click("#notices-dismiss")
    ok(wait("document.getElementById('notices').hidden"), "dismissed")

    # The page.
    ok(wait("!document.getElementById('nav-taskcenter').hidden"), "the menu entry is shown to an admin")
    ok(q("#nav-taskcenter") == "任务中心", "its label from the zh-CN table")
    click("#nav-taskcenter")
    ok(wait("document.querySelector('#tc-status-body tr[data-platform-id=\"%s\"]') !== null" % p_ok), "the status table lists the platforms")
    ok(q("#tc-status-body tr[data-platform-id='%s'] td[data-k=abandoned]" % p_ok) == "3", "abandoned in the last 24 h: 3")
    ok(q("#tc-status-body tr[data-platform-id='%s'] td[data-k=delivered]" % p_ok) == "2", "delivered: 2")

    # Create a platform: a bad URL first, then a good one; the secret shown once.
    click("#tc-new")
    setv("#tc-f-name", "控制台新建")
    setv("#tc-f-url", "ftp://nope")
    click("#tc-f-save")
    ok(wait("document.querySelector('.field-error[data-for=tc-f-url]').textContent.length > 0"), "a bad URL is refused at its field: %s" % q(".field-error[data-for=tc-f-url]"))
    setv("#tc-f-url", sink + "/new")
    click("#tc-f-save")
    ok(wait("document.getElementById('tc-form').hidden"), "saved")
    sec = q("#tc-secret-value") or ""
    ok(len(sec) == 43, "the generated secret is shown once (%d characters)" % len(sec))
    ok(wait("Array.from(document.querySelectorAll('#tc-platforms-body td')).some(td => td.textContent === '控制台新建')"), "listed")
    ok(sec not in js("document.getElementById('tc-platforms-body').textContent"), "the list does not show the secret")
    print("var|SECRET=" + sec, flush=True)

    # Test ping of the 410 platform.
    click("#tc-platforms-body tr[data-platform-id='%s'] button.tc-test" % p_gone)
    ok(wait("document.getElementById('tc-test').dataset.outcome === 'rejected'", 20), "the test answer is shown")
    text = q("#tc-test") or ""
    ok("被拒绝" in text and "410" in text and "gone: platform retired" in text, "outcome, status and answer: %s" % text)

    # Retry settings: a bad value at its field, then saved.
    setv("#tc-c-interval", "0")
    click("#tc-c-save")
    ok(wait("document.querySelector('.field-error[data-for=tc-c-interval]').textContent.length > 0"), "interval 0 refused at its field")
    setv("#tc-c-max", "7")
    setv("#tc-c-interval", "2")
    click("#tc-c-save")
    ok(wait("document.querySelector('.field-error[data-for=tc-c-interval]').textContent === '' && document.getElementById('flash').textContent === '设置已保存'"), "settings saved")

    # The log: filter, push one again, then all matching.
    js("document.getElementById('tc-l-platform').value = '%s'" % p_ok)
    js("document.getElementById('tc-l-status').value = 'abandoned'")
    click("#tc-logs-filter button[type=submit]")
    ok(wait("document.querySelectorAll('#tc-logs-body tr[data-status=abandoned]').length === 3"), "three abandoned rows listed")
    click("#tc-logs-body tr[data-status=abandoned] button.tc-retry")
    ok(wait("document.getElementById('flash').textContent.indexOf('1') >= 0"), "one queued again")
    ok(wait("document.querySelectorAll('#tc-logs-body tr[data-status=abandoned]').length === 2"), "two left")
    js("window.confirm = () => true")
    click("#tc-l-retry-all")
    ok(wait("document.getElementById('flash').textContent.indexOf('2') >= 0"), "the two matching queued again: %s" % q("#flash"))
    ok(wait("document.querySelectorAll('#tc-logs-body tr[data-status=abandoned]').length === 0"), "none left")

    # The notice stays dismissed.
    call("Page.navigate", url=base + "/#/taskcenter")
    ok(wait("document.querySelector('#tc-status-body tr') !== null"), "reloaded")
    time.sleep(0.5)
    ok(js("document.getElementById('notices').hidden") is True, "the dismissed notice does not come back")
finally:
    b.close()
sys.exit(1 if b.failed else 0)
PYEOF

SECRET=
it_browser_checks < <($PY "$IT_DIR/tc_cdp.py" "$IT_BASE" "$BF_ME_TOKEN" "$BF_OTHER_TOKEN" "$IT_DIR/chrome" \
	"$P_OK" "$P_GONE" "$SINK" "$BATCH" "$CBATCH" "$top_srcdir/tests/it" 2>&1)

it_assert_eq "7|2" "$(it_sql "SELECT max_retries, retry_interval_minutes FROM task_center_config")" "the settings are stored"
it_assert_eq "$SECRET" "$(it_sql "SELECT secret FROM task_center_platform WHERE name = '控制台新建'")" "the secret shown is the one stored"
delivered5() { [[ $(n_status "$P_OK" delivered) == 5 ]]; }
it_wait_for 20 delivered5 && it_ok "the three rows pushed again were delivered" || it_fail "ok platform: $(st "$P_OK")"
it_assert_eq "1|t" "$(it_sql "SELECT count(*), bool_and(seen_at >= (SELECT finished FROM batch_task WHERE id = :b)) FROM user_notice_seen WHERE user_id = :u" b="$BATCH" u="$BF_ME_ID")" \
	"the dismissal is stored"
it_assert_eq "2 1 1 1" "$(it_sql "SELECT count(*) FILTER (WHERE action = 'taskcenter.config.set' OR action = 'taskcenter.platform.create') || ' ' ||
	count(*) FILTER (WHERE action = 'taskcenter.platform.test') || ' ' || count(*) FILTER (WHERE action = 'taskcenter.log.retry') || ' ' ||
	count(*) FILTER (WHERE action = 'taskcenter.logs.retry') FROM action_log")" "every change in action_log"
if [[ -n $SECRET ]]; then
	it_assert_eq 0 "$(cat "$IT_DIR"/web.log "$IT_DIR"/runner.*.log "$IT_NGINX_PREFIX"/logs/*.log 2>/dev/null | grep -c -F -e "$SECRET")" "the secret is in no log"
else
	it_fail "no secret was shown"
fi
it_done
