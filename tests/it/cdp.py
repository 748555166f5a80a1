# SPDX-License-Identifier: MIT
"""tests/it/cdp.py: headless Chromium driven over the DevTools protocol, for console tests.

    from cdp import Browser, Checks
    c = Checks()                      # prints "ok|msg" / "fail|msg" lines for lib.sh
    with Browser(profile_dir) as b:   # prints "var|CHROMIUM_PID=N" so the test can reap it
        b.call("Page.navigate", url=...)
        c.ok(b.wait("document.title !== ''"), "a title")
    sys.exit(c.status())

Needs python3-websocket (Debian) and chromium; run with /usr/bin/python3.
"""
import json
import os
import signal
import subprocess
import time
import urllib.request

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


class Browser:
    def __init__(self, profile):
        self.profile = profile
        self.proc = None
        self.ws = None
        self.seq = 0

    def __enter__(self):
        self.proc = subprocess.Popen(
            [os.environ.get("FB_CHROMIUM", "chromium"), "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-background-networking", "--disable-dev-shm-usage",
             "--user-data-dir=" + self.profile, "--remote-debugging-port=0", "--remote-allow-origins=*",
             "about:blank"],
            stdout=open(self.profile + ".log", "w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        print("var|CHROMIUM_PID=%d" % self.proc.pid, flush=True)
        port = None
        for _ in range(300):
            try:
                port = open(os.path.join(self.profile, "DevToolsActivePort")).read().split()[0]
                break
            except Exception:
                time.sleep(0.1)
        tabs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port))
        page = [t for t in tabs if t["type"] == "page"][0]
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
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

    def text(self, sel):
        return self.js("(() => { const e = document.querySelector(%s); return e ? e.textContent : null; })()"
                       % json.dumps(sel))
