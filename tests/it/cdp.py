# SPDX-License-Identifier: MIT
"""tests/it/cdp.py: headless Chromium for the console tests.

Browser(profile, extra_args) starts Chromium with a profile of the test's own, finds its
DevTools port and talks to its page: call() sends one DevTools method and waits for its
answer, js() evaluates an expression (promises awaited), wait() polls an expression until
it is truthy, text() reads an element's text.  close() stops the browser's whole process
group.  The caller prints "var|CHROMIUM_PID=<pid>" (done here) so that lib.sh can stop it
should the test die first.
"""
import json
import os
import signal
import subprocess
import time
import urllib.request

import websocket


class Browser:
    def __init__(self, profile, extra_args=()):
        args = [os.environ.get("FB_CHROMIUM", "chromium"), "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                "--remote-debugging-port=0", "--remote-allow-origins=*"]
        args += list(extra_args) + ["about:blank"]
        self.proc = subprocess.Popen(args, stdout=open(profile + ".log", "w"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        print("var|CHROMIUM_PID=%d" % self.proc.pid, flush=True)
        port = None
        for _ in range(300):
            try:
                port = open(os.path.join(profile, "DevToolsActivePort")).read().split()[0]
                break
            except (OSError, IndexError):
                time.sleep(0.1)
        tabs = json.load(urllib.request.urlopen("http://127.0.0.1:%s/json" % port, timeout=10))
        page = [t for t in tabs if t["type"] == "page"][0]
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.seq = 0

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
            try:
                v = self.js(expr)
            except Exception:
                v = None
            if v:
                return v
            time.sleep(0.1)
        return None

    def text(self, sel):
        return self.js("(() => { const e = document.querySelector(%s); return e ? e.textContent : null; })()"
                       % json.dumps(sel))

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except Exception:
            pass
