#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The console's overview page (#/dashboard) in headless Chromium, for an administrator,
# with a batch held mid-way by a row lock: the batch's row shows the progress the API
# gives (percentage, done/total) and the runner holding its executor job; the throughput
# chart is an SVG path of 60 points with a tooltip per point and a text alternative; the
# backlog chart has one path per stream with as many points as samples; alerts, when the
# answer carries them, are listed; refreshing never empties a part of the page; once the
# lock goes the page follows by itself (no batch left, 200 items in the chart); English
# and Chinese; at 360 px nothing sticks out of the page; a user sees their own numbers and
# nothing of the service.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

CHROMIUM=${FB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || it_bail "chromium is not installed (apt-get install chromium)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
	it_bail "python3-websocket is not installed (apt-get install python3-websocket)"

bf_own_db
bf_users
bf_app "控制台概览"
it_start_web
it_start_nginx
it_sql "UPDATE users SET is_admin = true WHERE id = :u" u="$BF_REVIEWER_ID" >/dev/null
ADMIN_TOKEN=$(it_token "$BF_REVIEWER") || it_bail "token"

bf_held_batch 120
B=$BF_BATCH
RUNNER=$BF_RUNNER
it_curl GET /api/dashboard -H "Authorization: Bearer $ADMIN_TOKEN"
read -r PCT COUNT <<<"$(/usr/bin/python3 -c "
import json, sys
b = json.loads(sys.stdin.read())
a = [x for x in b['batches']['active'] if x['batch_id'] == $B][0]
pct = str(int(a['progress'] * 1000) / 10).removesuffix('.0') + '%'
print(pct, '%d/%d' % (a['total'] - a['pending'], a['total']))" <<<"$IT_BODY")"
[[ -n $COUNT ]] || it_bail "the API did not list the batch: ${IT_BODY:0:300}"

cat >"$IT_DIR/dash_cdp.py" <<'PYEOF'
import base64, json, os, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from cdp import Browser, Checks

_, _, base, token, user_token, profile, batch, pct, count, runner, unblock = sys.argv
c = Checks()


def shot(name):
    """A screenshot into $FB_SHOT_DIR when set (to look at the page by eye)."""
    if os.environ.get("FB_SHOT_DIR"):
        r = b.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(os.path.join(os.environ["FB_SHOT_DIR"], "dashboard-%s.png" % name), "wb") as f:
            f.write(base64.b64decode(r["data"]))


row = "#dash-active-box tr[data-kind=batch][data-id='%s']" % batch

with Browser(profile) as b:
    b.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
    b.call("Page.navigate", url=base + "/auth/login?token=" + token)
    c.ok(b.wait("location.pathname === '/' && typeof fbI18n === 'object' && document.getElementById('who').textContent.indexOf('复核人戊') >= 0 || document.getElementById('who').textContent.indexOf('复核人戊') >= 0"),
         "signed in")
    b.js("localStorage.setItem('flowbatch.lang', 'zh-CN')")
    b.js("location.hash = '#/dashboard'; location.reload()")
    time.sleep(0.3)
    b.wait("document.readyState === 'complete'")
    c.ok(b.wait("!!document.querySelector(%s)" % json.dumps(row)), "the running batch is listed")
    c.ok(b.text("#dash-title") == "运行概览", "the page in Chinese: %s" % b.text("#dash-title"))
    c.ok(b.text("#nav-dashboard") == "运行概览", "the menu entry in Chinese")
    c.ok(b.text(row + " .dash-pct") == pct, "the progress text is the API's: %s vs %s" % (b.text(row + " .dash-pct"), pct))
    c.ok((b.text(row + " .dash-count") or "").replace(" ", "").replace(",", "") == count,
         "done/total is the API's: %s vs %s" % (b.text(row + " .dash-count"), count))
    prog = b.js("(() => { const p = document.querySelector(%s + ' progress'); return p ? [p.value, p.max, p.getAttribute('aria-label')] : null; })()" % json.dumps(row))
    c.ok(prog is not None and "%d/%d" % (prog[0], prog[1]) == count and pct in (prog[2] or ""),
         "a progress bar of done/total with a label naming the percentage: %s" % prog)
    c.ok(runner in (b.text(row + " .dash-runners") or ""), "the runner holding the batch's job: %s" % b.text(row + " .dash-runners"))

    tput = "#dash-tput svg path.dash-line"
    d = b.js("document.querySelector(%s).getAttribute('d')" % json.dumps(tput)) or ""
    c.ok(d.count("M") + d.count("L") == 60 and b.js("document.querySelector(%s).dataset.points" % json.dumps(tput)) == "60",
         "the throughput line has 60 points (%d)" % (d.count("M") + d.count("L")))
    c.ok(b.js("document.querySelectorAll('#dash-tput svg circle title').length") == 60, "a tooltip (<title>) per point")
    c.ok(b.js("(() => { const s = document.querySelector('#dash-tput svg'); return s.getAttribute('role') === 'img' && s.getAttribute('aria-labelledby').split(' ').every((i) => document.getElementById(i) && document.getElementById(i).textContent.length > 0); })()"),
         "the chart is an image labelled by its title and a summary")
    c.ok(b.js("document.querySelectorAll('#dash-tput details tbody tr').length") == 60, "and its data as a table of 60 rows")
    settled = int(count.split("/")[0])
    pts = b.js("[...document.querySelectorAll('#dash-tput details tbody tr td:last-child')].map((t) => Number(t.textContent.replace(/,/g, '')))") or []
    c.ok(sum(pts) == settled, "the chart's points add up to the settled items: %s vs %d" % (sum(pts), settled))

    ok = b.wait("(() => { const p = document.querySelectorAll('#dash-backlog svg path.dash-line'); return p.length === 3 && [...p].every((x) => Number(x.dataset.points) === D.last.charts.backlog.length && D.last.charts.backlog.length >= 1); })()", 15)
    c.ok(ok, "the backlog chart: one line per stream, a point per sample (%s samples)" % b.js("D.last && D.last.charts.backlog.length"))
    c.ok(b.js("[...document.querySelectorAll('.dash-legend li')].map((l) => l.textContent).join(',')") == "高优先级,普通,低优先级", "the legend names the streams")
    c.ok(runner in (b.text("#dash-runners-box") or "") and "在线" in (b.text("#dash-runners-box") or ""), "the runners list: live")
    c.ok(b.text("#dash-alerts-empty") == "没有告警。", "no alerts in the answer: none shown")
    shot("wide")

    # Refreshes swap parts whole: watch that no part is ever empty, and that alerts are
    # rendered once the answer carries them.
    b.js("""(() => {
        window.__empty = 0;
        const boxes = ['dash-cards', 'dash-active-box', 'dash-tput-box'];
        new MutationObserver(() => { for (const id of boxes) if (!document.getElementById(id).firstChild) window.__empty++; })
            .observe(document.getElementById('view-dashboard'), { childList: true, subtree: true });
        const real = window.fetch;
        window.fetch = async (...a) => {
            const r = await real(...a);
            if (!String(a[0]).startsWith('/api/dashboard'))
                return r;
            const body = await r.json();
            body.alerts = [
                { id: 7, rule: 'batch_stalled', subject: 'batch:' + %s, severity: 'critical', message: '批次 10 分钟没有进展',
                  first_seen: '2026-12-04T10:00:00Z', last_seen: '2026-12-04T10:05:00Z', resolved_at: null },
                { id: 8, rule: 'no_live_runner', subject: 'runners', severity: 'warning', message: 'no live runner',
                  first_seen: '2026-12-04T09:00:00Z', last_seen: '2026-12-04T09:01:00Z', resolved_at: '2026-12-04T09:02:00Z' }];
            return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
        };
    })()""" % batch)
    c.ok(b.wait("document.querySelectorAll('#dash-alerts-box tr[data-alert]').length === 2", 12), "the page refreshes by itself and lists the alerts")
    c.ok("批次 10 分钟没有进展" in (b.text("#dash-alerts-box tr[data-alert='7']") or "") and "严重" in (b.text("#dash-alerts-box tr[data-alert='7']") or ""),
         "an open alert: severity and message")
    c.ok("已解除" in (b.text("#dash-alerts-box tr[data-alert='8']") or ""), "a resolved alert says so")

    subprocess.run(["bash", "-c", unblock], check=False)
    c.ok(b.wait("!!document.getElementById('dash-active-empty')", 40), "once the lock goes, the batch leaves the page without a reload")
    c.ok(b.wait("document.querySelector('#dash-tput desc').textContent.indexOf('200') >= 0", 12),
         "the chart's summary counts the 200 items: %s" % b.text("#dash-tput desc"))
    c.ok(b.js("window.__empty") == 0, "no part of the page was ever empty while refreshing (%s)" % b.js("window.__empty"))

    b.js("localStorage.setItem('flowbatch.lang', 'en')")
    b.call("Page.reload")
    english = "document.getElementById('dash-title') && document.getElementById('dash-title').textContent === 'Overview'"
    if not b.wait(english, 20):
        # Seen under AddressSanitizer: after the reload the page asked for /api/me and
        # /api/me/notices and then sent nothing more; say so and load the page once more.
        print("# the page did not render after the reload: %s" % b.js(
            "JSON.stringify([document.readyState, location.hash, !!document.getElementById('view-dashboard')])"))
        b.call("Page.reload")
    c.ok(b.wait(english, 20), "the page in English")
    c.ok(b.wait("document.querySelector('#dash-tput h3') && document.querySelector('#dash-tput h3').textContent === 'Items settled per minute, last hour'"),
         "the chart's title in English")
    c.ok(b.text("#nav-dashboard") == "Overview", "the menu entry in English")

    b.call("Emulation.setDeviceMetricsOverride", width=360, height=740, deviceScaleFactor=1, mobile=False)
    time.sleep(0.5)
    w = b.js("""(() => {
        const v = document.getElementById('view-dashboard'), wide = [];
        for (const e of v.querySelectorAll('*'))
            if (e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.dash-table-wrap'))
                wide.push(e.tagName + '#' + e.id + '.' + e.className);
        return [v.getBoundingClientRect().right, document.querySelector('#dash-tput svg').getBoundingClientRect().right,
                window.innerWidth, wide.slice(0, 5)];
    })()""")
    c.ok(w and w[0] <= w[2] + 0.5 and w[1] <= w[2] + 0.5 and not w[3],
         "at 360 px the page, its charts and everything outside the scrolling tables fit the width: %s" % w)
    shot("narrow")

    # A user: their own numbers, nothing of the service.
    b.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
    b.call("Network.enable")
    b.call("Network.clearBrowserCookies")
    b.call("Page.navigate", url=base + "/auth/login?token=" + user_token)
    c.ok(b.wait("document.getElementById('who') && document.getElementById('who').textContent.indexOf('审批人甲') >= 0", 30), "signed in as the user")
    b.js("location.hash = '#/dashboard'")
    c.ok(b.wait("document.getElementById('dash-scope') && document.getElementById('dash-scope').textContent === 'Mine only'"), "the user's scope")
    c.ok(b.wait("document.querySelector('#dash-tput svg path.dash-line') && document.querySelector('#dash-tput svg path.dash-line').dataset.points === '60'"),
         "the user's throughput chart")
    c.ok(b.js("['dash-backlog-box', 'dash-queues-box', 'dash-runners-box', 'dash-push-box', 'dash-cron-box', 'dash-alerts-box'].every((i) => document.getElementById(i).hidden)") is True,
         "no backlog, queues, runners, push, crontab or alerts for a user")
    c.ok("200" in (b.text("#dash-card-items") or ""), "their 200 items today: %s" % b.text("#dash-card-items"))
sys.exit(c.status())
PYEOF

UNBLOCK="psql -X -q -h $FB_PGHOST -p $FB_PGPORT -U $FB_PGUSER -d $BF_DB -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'bf_blocker_$BF_TAG'\" >/dev/null"
it_browser_checks < <(/usr/bin/python3 "$IT_DIR/dash_cdp.py" "$top_srcdir/tests/it" "$IT_BASE" "$ADMIN_TOKEN" "$BF_ME_TOKEN" \
	"$IT_DIR/chrome" "$B" "$PCT" "$COUNT" "$RUNNER" "$UNBLOCK" 2>&1)
bf_blocker_stop
bf_wait_settled "$B" 30

it_done
