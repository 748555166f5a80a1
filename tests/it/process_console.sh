#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The console's process page in headless Chromium: hidden from a user who monitors
# nothing; a monitor filters, selects two sessions, suspends them after a confirmation
# that names the count and the operation, follows the progress to 100 % and sees each
# session's result; delete needs the operation typed before it runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/process_fixture.sh"

CHROMIUM=${FB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || it_bail "chromium is not installed (apt-get install chromium)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
	it_bail "python3-websocket is not installed (apt-get install python3-websocket)"

pf_setup "流程控制台"
it_start_web
it_start_nginx
it_start_runner
mapfile -t R < <(pf_sessions running 3)
((${#R[@]} == 3)) || it_bail "fixture sessions"

cat >"$IT_DIR/proc_cdp.py" <<'PYEOF'
import sys, time
sys.path.insert(0, sys.argv[8])
from cdp import Browser, ok, failed

base, me, other, profile, r0, r1, r2 = sys.argv[1:8]
with Browser(profile) as b:
    call, js, wait, q, click = b.call, b.js, b.wait, b.q, b.click

    # A user who monitors nothing: no menu entry.
    call("Page.navigate", url=base + "/auth/login?token=" + other)
    ok(wait("document.getElementById('nav-process').dataset.checked === '1'"), "the console asked whether to show the page")
    ok(js("document.getElementById('nav-process').hidden") is True, "the page is hidden from a user who monitors nothing")
    call("Network.enable")
    call("Network.clearBrowserCookies")

    # The monitor: the menu entry, the list, a filter, a selection of two.
    call("Page.navigate", url=base + "/auth/login?token=" + me)
    ok(wait("!document.getElementById('nav-process').hidden"), "the page is shown to a monitor")
    click("#nav-process")
    ok(wait("document.querySelectorAll('#proc-body tr[data-session-id]').length === 3"), "three sessions listed")
    js("document.getElementById('pf-keyword').value = 'running #'")
    click("#proc-filter button[type=submit]")
    wait("document.getElementById('proc-total').textContent.indexOf('3') >= 0")
    for sid in (r0, r1):
        click("#proc-body tr[data-session-id='%s'] input.row-check" % sid)
    ok(q("#proc-sel-info") == "已选择 2 个流程实例", "two selected: %s" % q("#proc-sel-info"))
    js("document.getElementById('proc-operation').value = 'suspend'")
    click("#proc-go")
    text = q("#proc-confirm-text") or ""
    ok("2 个流程实例" in text and "挂起" in text, "the confirmation names the count and the operation: %s" % text)
    click("#proc-submit")
    ok(wait("/^#\\/process\\/op\\/\\d+$/.test(location.hash)"), "the progress view opens")
    ok(wait("document.getElementById('proc-pct').textContent === '100%'", 30), "progress reaches 100%")
    ok(wait("document.querySelectorAll('#proc-items-body tr[data-status=success]').length === 2"), "two results, both success")
    ok("已挂起" in (q("#proc-items-body") or ""), "each result says the new state")
    ok("成功 2" in (q("#proc-counts") or ""), "the counts: %s" % q("#proc-counts"))

    # Delete needs the operation typed.
    call("Page.navigate", url=base + "/#/process")
    wait("document.querySelectorAll('#proc-body tr[data-session-id]').length === 3")
    click("#proc-body tr[data-session-id='%s'] input.row-check" % r2)
    js("document.getElementById('proc-operation').value = 'delete'")
    click("#proc-go")
    ok(js("!document.getElementById('proc-typed').hidden") is True, "delete asks for the operation to be typed")
    click("#proc-submit")
    time.sleep(0.5)
    ok(not js("/^#\\/process\\/op\\//.test(location.hash)"), "without the typed confirmation nothing is submitted")
    js("document.getElementById('proc-typed').value = '删除'")
    click("#proc-submit")
    ok(wait("/^#\\/process\\/op\\/\\d+$/.test(location.hash)"), "with it the delete is submitted")
    ok(wait("document.getElementById('proc-pct').textContent === '100%'", 30), "the delete finishes")
sys.exit(1 if failed() else 0)
PYEOF

ME_TOKEN=$BF_ME_TOKEN
OTHER_TOKEN=$BF_OTHER_TOKEN
it_browser_checks < <(/usr/bin/python3 "$IT_DIR/proc_cdp.py" "$IT_BASE" "$ME_TOKEN" "$OTHER_TOKEN" "$IT_DIR/chrome" \
	"${R[0]}" "${R[1]}" "${R[2]}" "$top_srcdir/tests/it" 2>&1)

it_assert_eq "suspended suspended deleted" "$(it_sql "SELECT string_agg(state, ' ' ORDER BY id) FROM app_sessions WHERE id = ANY (:'ids'::bigint[])" ids="{${R[0]},${R[1]},${R[2]}}")" \
	"the sessions after the console's operations"
it_assert_eq 2 "$(it_sql "SELECT count(*) FROM process_bulk_op WHERE creator = :u" u="$BF_ME_ID")" "two operations, no more"

it_done
