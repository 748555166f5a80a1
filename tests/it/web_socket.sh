#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Who may talk FastCGI to flowbatch-web.  The unix socket is mode 0660 with the group of
# web.socket_group (www-data by default), or the process's own group, said in the log,
# when that group does not exist; nginx still reaches it.  A TCP web.listen without
# web.allow does not start (exit 1, a message naming web.allow); with web.allow, a peer
# not in the list gets its connection closed and a listed one an answer.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

it_migrate

# fcgi_get HOST PORT SOURCE_ADDRESS: GET /healthz over FastCGI from SOURCE_ADDRESS; prints
# the Status line of the answer, or "no answer" when the connection is closed unanswered.
fcgi_get() {
	/usr/bin/python3 - "$@" <<'PYEOF'
import socket, struct, sys

def rec(kind, content):
    return struct.pack("!BBHHBx", 1, kind, 1, len(content), 0) + content

def pair(k, v):
    k, v = k.encode(), v.encode()
    return bytes([len(k), len(v)]) + k + v

host, port, src = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.settimeout(5)
s.bind((src, 0))
s.connect((host, port))
params = b"".join(pair(k, v) for k, v in [("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/healthz"),
    ("SCRIPT_NAME", "/healthz"), ("REQUEST_URI", "/healthz"), ("QUERY_STRING", "")])
out = b""
try:
    s.sendall(rec(1, struct.pack("!HB5x", 1, 0)) + rec(4, params) + rec(4, b"") + rec(5, b""))
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
except (OSError, socket.timeout):
    pass
body, i = b"", 0
while i + 8 <= len(out):
    _, kind, _, clen, plen = struct.unpack("!BBHHB", out[i:i + 7])
    if kind == 6:
        body += out[i + 8:i + 8 + clen]
    i += 8 + clen + plen
print(body.split(b"\r\n")[0].decode() if body else "no answer")
PYEOF
}

# --- the unix socket: 0660, nginx's group ------------------------------------------------------
if getent group www-data >/dev/null; then
	want_group=www-data
else
	want_group=$(id -gn)
fi
it_start_web
it_assert_eq "660 $want_group" "$(stat -c '%a %G' "$IT_SOCK")" "the socket is 0660, group $want_group"
it_start_nginx
it_curl GET /healthz
it_assert_status 200 "nginx reaches flowbatch-web through the socket"
it_stop_web

missing=fb_no_such_group_$$
FLOWBATCH_WEB_SOCKET_GROUP=$missing it_start_web
it_assert_eq "660 $(id -gn)" "$(stat -c '%a %G' "$IT_SOCK")" \
	"a group that does not exist: 0660 with the process's group"
it_assert_match "web.socket_group not found.*$missing" "$(cat "$IT_DIR/web.log")" "and the log says so"
it_stop_web

# --- TCP ---------------------------------------------------------------------------------------
port=$(svc_pick_port) || it_bail "no free port"
FLOWBATCH_WEB_LISTEN=127.0.0.1:$port "$IT_WEB_BIN" -c "$IT_CONF" >"$IT_DIR/tcp.out" 2>&1 </dev/null &
pid=$!
IT_PIDS+=("$pid")
it_wait_exit "$pid" 10
st=$?
it_assert_eq 1 "$st" "a TCP web.listen without web.allow: flowbatch-web exits 1"
it_assert_match "web\.listen: 127\.0\.0\.1:$port is a TCP address: set web\.allow" "$(cat "$IT_DIR/tcp.out")" \
	"with a message naming web.allow"
if ss -Htln "sport = :$port" | grep -q .; then
	it_fail "something listens on $port"
else
	it_ok "nothing listens on $port"
fi

FLOWBATCH_WEB_LISTEN=127.0.0.1:$port FLOWBATCH_WEB_ALLOW=bogus "$IT_WEB_BIN" -c "$IT_CONF" \
	>"$IT_DIR/tcp.out" 2>&1 </dev/null &
pid=$!
IT_PIDS+=("$pid")
it_wait_exit "$pid" 10
it_assert_eq 1 "$?" "a web.allow that is no address list: exit 1"

FLOWBATCH_WEB_LISTEN=127.0.0.1:$port FLOWBATCH_WEB_ALLOW=" 127.0.0.2, 127.0.0.4" "$IT_WEB_BIN" \
	-c "$IT_CONF" >>"$IT_DIR/web.log" 2>&1 </dev/null &
pid=$!
IT_PIDS+=("$pid")
listening() {
	ss -Htln "sport = :$port" | grep -q .
}
it_wait_for 10 listening || it_bail "flowbatch-web does not listen on 127.0.0.1:$port"
it_assert_eq "no answer" "$(fcgi_get 127.0.0.1 "$port" 127.0.0.1)" "a peer not in web.allow (127.0.0.1) is refused"
it_assert_eq "no answer" "$(fcgi_get 127.0.0.1 "$port" 127.0.0.3)" "nor is 127.0.0.3"
it_assert_match '^Status: 200' "$(fcgi_get 127.0.0.1 "$port" 127.0.0.2)" "a listed peer (127.0.0.2) is answered"
it_assert_match '^Status: 200' "$(fcgi_get 127.0.0.1 "$port" 127.0.0.4)" "and so is 127.0.0.4"
kill -TERM "$pid"
it_wait_exit "$pid" 15
it_assert_eq 0 "$?" "the TCP flowbatch-web stops on SIGTERM"

it_done
