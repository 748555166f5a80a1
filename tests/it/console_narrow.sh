#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The console's header on a 360 px wide phone screen, in headless Chromium, for an
# administrator (every nav link shown), on the approve page and the overview, in Chinese
# and in English: nothing sticks out of the page sideways (scrollWidth <= 360), and every
# nav link, scrolled into view, lies inside the viewport, is the element under its own
# centre and a real tap there (Input.dispatchMouseEvent) opens its page; at 1280 px the
# header stays one row of 50 px.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

CHROMIUM=${FB_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[[ -n $CHROMIUM ]] || it_bail "chromium is not installed (apt-get install chromium)"
/usr/bin/python3 -c 'import websocket' 2>/dev/null ||
	it_bail "python3-websocket is not installed (apt-get install python3-websocket)"

bf_own_db
bf_users
bf_app "窄屏页头"
it_sql "UPDATE users SET is_admin = true WHERE id = :u" u="$BF_ME_ID" >/dev/null
it_start_web
it_start_nginx

cat >"$IT_DIR/narrow_cdp.py" <<'PYEOF'
import base64, json, os, sys, time
sys.path.insert(0, sys.argv[1])
from cdp import Browser

_, _, base, token, profile = sys.argv
NAV = ["approve", "batches", "process", "taskcenter", "crontab", "dashboard"]

with Browser(profile) as b:
    b.call("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
    b.call("Page.navigate", url=base + "/auth/login?token=" + token)
    b.ok(b.wait("!!document.getElementById('who') && document.getElementById('who').textContent.indexOf('审批人甲') >= 0", 30),
         "signed in as an administrator")
    b.ok(b.wait("!document.getElementById('nav-crontab').hidden"), "every nav link shown to an administrator")
    wide = b.js("(() => { const h = document.querySelector('header.top').getBoundingClientRect();"
                " return [h.height, [...document.querySelectorAll('header.top nav a')].map((a) => Math.round(a.getBoundingClientRect().top))]; })()")
    b.ok(wide and wide[0] == 50 and len(set(wide[1])) == 1, "at 1280 px the header is one row of 50 px: %s" % wide)
    b.call("Emulation.setDeviceMetricsOverride", width=360, height=740, deviceScaleFactor=1, mobile=False)
    for lang in ["zh-CN", "en"]:
        b.js("localStorage.setItem('flowbatch.lang', %s)" % json.dumps(lang))
        for page in ["approve", "dashboard"]:
            b.js("location.hash = '#/%s'; location.reload()" % page)
            time.sleep(0.3)
            b.wait("document.readyState === 'complete'")
            b.wait("!document.getElementById('nav-crontab').hidden && document.getElementById('who').textContent.indexOf('审批人甲') >= 0")
            time.sleep(0.5)
            at = "%s, #/%s" % (lang, page)
            if os.environ.get("FB_SHOT_DIR"):  # to look at the header by eye
                with open(os.path.join(os.environ["FB_SHOT_DIR"], "narrow-%s-%s.png" % (lang, page)), "wb") as f:
                    f.write(base64.b64decode(b.call("Page.captureScreenshot", format="png")["data"]))
            b.ok(b.js("document.documentElement.lang") == lang, "%s: the page is in its language" % at)
            w = b.js("""(() => {
                const wide = [];
                for (const e of document.querySelectorAll('header.top, header.top *'))
                    if (e.getBoundingClientRect().right > window.innerWidth + 0.5 && e.getClientRects().length)
                        wide.push(e.tagName + '#' + e.id + '.' + e.className);
                return [document.documentElement.scrollWidth, window.innerWidth, wide.slice(0, 5)];
            })()""")
            b.ok(w and w[0] <= 360 and w[1] == 360 and not w[2],
                 "%s: nothing sticks out sideways (scrollWidth, innerWidth, header parts past the edge): %s" % (at, w))
            for n in NAV:
                sel = "#nav-" + n
                r = b.js("""(() => {
                    const a = document.querySelector(%s);
                    a.scrollIntoView({block: 'nearest', inline: 'nearest'});
                    const r = a.getBoundingClientRect(), x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
                    const hit = document.elementFromPoint(x, y);
                    return [r.left, r.top, r.right, r.bottom, window.innerWidth, window.innerHeight,
                            !!hit && (hit === a || a.contains(hit)), x, y, a.getAttribute('href')];
                })()""" % json.dumps(sel))
                inside = r and r[0] >= 0 and r[1] >= 0 and r[2] <= r[4] and r[3] <= r[5] and r[2] - r[0] > 0
                b.ok(inside and r[6], "%s: %s inside the viewport and on top: %s" % (at, sel, r))
                if not (inside and r[6]):
                    continue
                for t in ["mousePressed", "mouseReleased"]:
                    b.call("Input.dispatchMouseEvent", type=t, x=r[7], y=r[8], button="left", clickCount=1)
                b.ok(b.wait("location.hash === %s" % json.dumps(r[9]), 5), "%s: a tap on %s opens %s" % (at, sel, r[9]))
                b.js("location.hash = '#/%s'" % page)
                b.wait("location.hash === '#/%s'" % page, 5)
sys.exit(1 if b.failed else 0)
PYEOF

it_browser_checks < <(/usr/bin/python3 "$IT_DIR/narrow_cdp.py" "$top_srcdir/tests/it" "$IT_BASE" "$BF_ME_TOKEN" "$IT_DIR/chrome" 2>&1)
it_done
