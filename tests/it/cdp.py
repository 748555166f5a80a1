# SPDX-License-Identifier: MIT
# tests/it/cdp.py: headless Chromium driven over the DevTools protocol (python3-websocket),
# for the console tests.  Import it (sys.path gets tests/it) and use:
#   b = cdp.Browser(profile)      start Chromium with its own profile directory (in zh-CN;
#                                 cdp.Browser(profile, ["--lang=en", ...]) for other flags)
#   b.ok(cond, msg)               print "ok|msg" or "fail|msg" for the shell side
#   b.call(method, **params)      one protocol call; b.js(expr) evaluates (promises awaited)
#   b.wait(expr, secs)            until expr is truthy; b.q(sel, what), b.click(sel), b.setv(sel, v)
#   b.close()                     stop Chromium; b.failed says whether a check failed
#   with cdp.Browser(profile) as b: ...   the same, closed on leaving the block
#   c = cdp.Checks(); c.ok(cond, msg); sys.exit(c.status())   checks kept apart from a browser
#   cdp.ok(cond, msg); cdp.failed()   the same on one set of checks for the whole script
# The first line printed is "var|CHROMIUM_PID=<pid>" (the shell side kills it on exit).
import json, os, signal, subprocess, time, urllib.request
import websocket


class Checks:
    def __init__(self):
        self.failed = False

    def ok(self, cond, msg):
        print("%s|%s" % ("ok" if cond else "fail", msg), flush=True)
        self.failed = self.failed or not cond
        return cond

    def status(self):
        return 1 if self.failed else 0


_checks = Checks()


def ok(cond, msg):
    return _checks.ok(cond, msg)


def failed():
    return _checks.failed


class Browser(Checks):
    def __init__(self, profile, extra_args=("--lang=zh-CN", "--accept-lang=zh-CN")):
        Checks.__init__(self)
        self.seq = 0
        self.proc = subprocess.Popen(
            [os.environ.get("FB_CHROMIUM", "chromium"), "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-background-networking", "--disable-dev-shm-usage",
             "--user-data-dir=" + profile, "--remote-debugging-port=0",
             "--remote-allow-origins=*"] + list(extra_args) + ["about:blank"],
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
        self.ws = websocket.create_connection(
            [t for t in tabs if t["type"] == "page"][0]["webSocketDebuggerUrl"], timeout=60,
            suppress_origin=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
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
        return self.js("(() => { const e = document.querySelector(%s); return e ? e.%s : null; })()"
                       % (json.dumps(sel), what))

    def text(self, sel):
        return self.q(sel)

    def click(self, sel):
        return self.js("(() => { const e = document.querySelector(%s); if (!e) return false;"
                       " e.click(); return true; })()" % json.dumps(sel))

    def setv(self, sel, v):
        self.js("document.querySelector(%s).value = %s" % (json.dumps(sel), json.dumps(v)))

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except Exception:
            pass
