# SPDX-License-Identifier: MIT
# tests/it/taskcenter_sink.py CTL LOG PORTFILE: the webhook sink of the task-center tests.
# Listens on a free loopback port (written to PORTFILE), answers each path as the JSON
# file CTL says ({"/path": {"mode": ok|slow|hang|429once|500|410|400, "secret", "delay",
# "after"}}, read at every request), checks the Standard Webhooks signature with the
# path's secret and appends one JSON line per request to LOG.
import base64, hashlib, hmac, http.server, json, socketserver, sys, threading, time
ctl_path, log_path, port_path = sys.argv[1:4]
lock = threading.Lock()
state = {}
logf = open(log_path, "a", buffering=1)

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(ctl_path) as f:
            c = json.load(f).get(self.path, {"mode": "404"})
        wid = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        mac = hmac.new(c.get("secret", "").encode(), wid.encode() + b"." + ts.encode() + b"." + body,
                       hashlib.sha256).digest()
        sig_ok = self.headers.get("webhook-signature", "") == "v1," + base64.b64encode(mac).decode()
        with lock:
            st = state.setdefault(self.path, {"n": 0, "cur": 0, "max": 0})
            st["n"] += 1
            st["cur"] += 1
            st["max"] = max(st["max"], st["cur"])
            k, cur = st["n"], st["cur"]
        mode, code, hdrs, text = c["mode"], 200, {}, b"ok"
        try:
            if mode == "slow":
                time.sleep(c.get("delay", 0.3))
            elif mode == "hang":
                time.sleep(c.get("delay", 1.0))
                code = "hang"
            elif mode == "429once" and k == 1:
                code, hdrs = 429, {"Retry-After": str(c["after"])}
            elif mode == "500":
                code, text = 500, b"down for maintenance"
            elif mode == "410":
                code, text = 410, b"gone: platform retired"
            elif mode == "400":
                code, text = 400, "bad task 任务".encode()
            elif mode not in ("ok", "429once"):
                code = 404
        finally:
            with lock:
                st["cur"] -= 1
        try:
            ev = json.loads(body)
        except Exception:
            ev = {}
        task = ev.get("task") or {}
        with lock:
            logf.write(json.dumps({"path": self.path, "id": wid, "sig_ok": sig_ok, "code": code,
                                   "t": time.time(), "event": ev.get("event"), "task": task.get("id"),
                                   "inflight": cur, "body": ev}, ensure_ascii=False) + "\n")
        if code == "hang":
            return
        try:
            self.send_response(code)
            for h, v in hdrs.items():
                self.send_header(h, v)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
        except OSError:
            pass

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128

srv = S(("127.0.0.1", 0), H)
with open(port_path + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(port_path + ".tmp", port_path)
srv.serve_forever()
