# SPDX-License-Identifier: MIT
# tests/it/cdp.py: headless Chromium driven over the DevTools protocol, for the console
# tests (imported by the Python part of process_console.sh and cron_console.sh; the
# directory of this file is put on sys.path by the caller).
#
#   with Browser(profile) as b:       # starts chromium; prints "var|CHROMIUM_PID=<pid>"
#       b.call("Page.navigate", url=...)
#       b.js(expr), b.wait(expr, secs), b.q(selector), b.click(selector)
#   ok(cond, msg)                      # prints "ok|msg" or "fail|msg"; failed() after
import json, os, signal, subprocess, time, urllib.request
import websocket

_failed = [False]


def ok(cond, msg):
    print("%s|%s" % ("ok" if cond else "fail", msg), flush=True)
    _failed[0] = _failed[0] or not cond
    return cond


def failed():
    return _failed[0]


class Browser:
    def __init__(self, profile, extra=()):
        self.proc = subprocess.Popen(
            [os.environ.get("FB_CHROMIUM", "chromium"), "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-background-networking", "--disable-dev-shm-usage",
             "--user-data-dir=" + profile, "--remote-debugging-port=0", "--remote-allow-origins=*",
             *extra, "about:blank"],
            stdout=open(profile + ".log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        print("var|CHROMIUM_PID=%d" % self.proc.pid, flush=True)
        port = None
        for _ in range(200):
            try:
                port = open(os.path.join(profile, "DevToolsActivePort")).read().split()[0]
                break
            except Exception:
                time.sleep(0.1)
        tabs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port))
        self.ws = websocket.create_connection([t for t in tabs if t["type"] == "page"][0]["webSocketDebuggerUrl"],
                                              timeout=60, suppress_origin=True)
        self.seq = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except Exception:
            pass
        return False

    def call(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({"id": self.seq, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.seq:
                return m.get("result", {})

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def wait(self, expr, secs=15):
        end = time.time() + secs
        while time.time() < end:
            v = self.js(expr)
            if v:
                return v
            time.sleep(0.1)
        return None

    def q(self, sel, what="textContent"):
        return self.js("(() => { const e = document.querySelector(%s); return e ? e.%s : null; })()" % (json.dumps(sel), what))

    def click(self, sel):
        return self.js("(() => { const e = document.querySelector(%s); if (!e) return false; e.click(); return true; })()" % json.dumps(sel))
