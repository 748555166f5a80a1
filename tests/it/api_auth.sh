#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# The two identity modes of /api/: flowbatch login (flowbatch.conf sends FLOWBATCH_AUTH
# token and flowbatch-web verifies the cookie or bearer token of each request itself, with
# no auth_request subrequest) and a site whose nginx authenticates users on its own (basic
# auth here) and sends REMOTE_USER: tampered, expired and missing cookies answer 401 JSON,
# forged identity headers change nothing, logout ends the cookie, the token is ignored
# where nginx names the user, client headers cannot choose the mode, a configuration written
# for the auth_request to /auth/verify still works; and the reuse of
# users rows (web.user_cache_ms) expires, never remembers an unknown login.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

it_migrate
it_start_web
it_start_nginx

login="it_aa_$$"
login2="it_aa2_$$"
it_sql "INSERT INTO users (login, name) VALUES (:'a', '甲'), (:'b', '乙')" a="$login" b="$login2" ||
	it_bail "cannot insert the users"
token=$(it_token "$login") || it_bail "flowbatchctl token failed"
token2=$(it_token "$login2") || it_bail "flowbatchctl token failed"

# unauthorized WHAT: the last answer is the app's 401 JSON envelope.
unauthorized() {
	it_assert_status 401 "$1"
	it_assert_eq unauthorized "$(it_json error.code <<<"$IT_BODY")" "$1: JSON envelope"
	it_assert_match '^application/json' "$(it_header Content-Type)" "$1: application/json"
}

# --- flowbatch login: the cookie checked by flowbatch-web itself ---
it_curl GET /api/me -b "fb_token=$token"
it_assert_status 200 "cookie on the direct path"
it_assert_eq "$login" "$(it_json login <<<"$IT_BODY")" "the cookie's login"
sleep 0.3
if grep -q '"uri":"/auth/verify"' "$IT_DIR/web.log"; then
	it_fail "an API request still cost an auth_request to /auth/verify"
else
	it_ok "no /auth/verify subrequest for an API request"
fi

last=${token: -1}
if [[ $last == 0 ]]; then repl=1; else repl=0; fi
it_curl GET /api/me -b "fb_token=${token%?}$repl"
unauthorized "tampered cookie (signature)"
IFS=. read -r t_v t_login t_exp t_sig <<<"$token"
it_curl GET /api/me -b "fb_token=$t_v.$t_login.$((t_exp + 3600)).$t_sig"
unauthorized "tampered cookie (expiry extended)"
other=$(printf '%s' "$login2" | base64 | tr '+/' '-_' | tr -d '=')
it_curl GET /api/me -b "fb_token=$t_v.$other.$t_exp.$t_sig"
unauthorized "tampered cookie (login swapped)"
it_curl GET /api/me -b "fb_token="
unauthorized "empty cookie"
it_curl GET /api/me -b "other=$token"
unauthorized "the token under another cookie name"
short=$(it_token "$login" 1) || it_bail "flowbatchctl token --ttl 1 failed"
sleep 2.2
it_curl GET /api/me -b "fb_token=$short"
unauthorized "expired cookie"
it_curl GET /api/me -H "Authorization: Bearer $short" -b "fb_token=$token"
unauthorized "an expired bearer token is not saved by a valid cookie"

# Forged identity and mode headers: the token decides, or nothing does.
it_curl GET /api/me -H "Remote-User: $login2" -H "X-Remote-User: $login2" \
	-H "X-Flowbatch-User: $login2" -H "Flowbatch-Auth: none" -H "REMOTE_USER: $login2"
unauthorized "forged identity headers without a token"
it_curl GET /api/me -b "fb_token=$token" -H "Remote-User: $login2" -H "X-Remote-User: $login2" \
	-H "X-Flowbatch-User: $login2" -H "Flowbatch-Auth: none"
it_assert_eq "200 $login" "$IT_STATUS $(it_json login <<<"$IT_BODY")" \
	"forged identity headers do not change the cookie's login"

# --- logout ---
jar=$IT_DIR/cookies
it_curl GET "/auth/login?token=$token" -c "$jar"
it_assert_status 302 "login link"
it_curl GET /api/me -b "$jar" -c "$jar"
it_assert_eq "200 $login" "$IT_STATUS $(it_json login <<<"$IT_BODY")" "signed in by the link's cookie"
it_curl POST /auth/logout -b "$jar" -c "$jar"
it_assert_status 302 "logout"
it_assert_match '^fb_token=;.*Max-Age=0' "$(it_header Set-Cookie)" "logout clears the cookie"
it_curl GET /api/me -b "$jar"
unauthorized "after logout"

# --- web.user_cache_ms: a login's users row reused by its thread for that long ---
it_stop_web
export FLOWBATCH_WEB_THREADS=1 FLOWBATCH_WEB_USER_CACHE_MS=2000
it_start_web
ms_now() { date +%s%3N; }
it_curl GET /api/me -b "fb_token=$token"
t0=$(ms_now)
it_assert_eq "200 false" "$IT_STATUS $(it_json is_admin <<<"$IT_BODY")" "user cache: first lookup"
it_sql "UPDATE users SET is_admin = true WHERE login = :'a'" a="$login" >/dev/null
it_curl GET /api/me -b "fb_token=$token"
if (($(ms_now) - t0 < 1500)); then
	it_assert_eq "200 false" "$IT_STATUS $(it_json is_admin <<<"$IT_BODY")" \
		"user cache: the row is reused within web.user_cache_ms"
fi
sleep 2.2
it_curl GET /api/me -b "fb_token=$token"
it_assert_eq "200 true" "$IT_STATUS $(it_json is_admin <<<"$IT_BODY")" \
	"user cache: a change to the user is seen after web.user_cache_ms"
it_sql "UPDATE users SET login = login || '_gone' WHERE login = :'a'" a="$login" >/dev/null
sleep 2.2
it_curl GET /api/me -b "fb_token=$token"
unauthorized "user cache: a removed user is refused after web.user_cache_ms"
it_sql "UPDATE users SET login = :'a' WHERE login = :'a' || '_gone'" a="$login" >/dev/null
late="it_aa3_$$"
late_token=$(it_token "$late") || it_bail "flowbatchctl token failed"
it_curl GET /api/me -b "fb_token=$late_token"
unauthorized "user cache: a login not in users"
it_sql "INSERT INTO users (login, name) VALUES (:'l', '丙')" l="$late" >/dev/null
it_curl GET /api/me -b "fb_token=$late_token"
it_assert_eq "200 $late" "$IT_STATUS $(it_json login <<<"$IT_BODY")" \
	"user cache: an unknown login is not remembered (added, it is served at once)"

# --- a site whose nginx authenticates users itself: REMOTE_USER ---
port2=$(svc_pick_port) || it_bail "no free port"
port3=$(svc_pick_port) || it_bail "no free port"
pass="pw-$$"
printf '%s:%s\n' "$login2" "$(openssl passwd -apr1 "$pass")" >"$IT_DIR/htpasswd"
conf=$IT_NGINX_PREFIX/nginx.conf
# Server 3: a configuration written for the auth_request to /auth/verify.
awk -v port2="$port2" -v port3="$port3" -v pw="$IT_DIR/htpasswd" '
/include flowbatch\/flowbatch.conf;/ {
	print
	print "\t}\n\n\tserver {\n\t\tlisten 127.0.0.1:" port2 ";\n\t\tserver_name localhost 127.0.0.1;"
	print "\t\tlocation /api/ {\n\t\t\tauth_basic \"flowbatch\";\n\t\t\tauth_basic_user_file " pw ";"
	print "\t\t\tfastcgi_param REMOTE_USER $remote_user;\n\t\t\tfastcgi_pass flowbatch_web;"
	print "\t\t\tinclude flowbatch/fastcgi.conf;\n\t\t}"
	print "\t}\n\n\tserver {\n\t\tlisten 127.0.0.1:" port3 ";\n\t\tserver_name localhost 127.0.0.1;"
	print "\t\tlocation = /auth/verify {\n\t\t\tinternal;\n\t\t\tfastcgi_pass flowbatch_web;"
	print "\t\t\tfastcgi_pass_request_body off;\n\t\t\tinclude flowbatch/fastcgi.conf;\n\t\t}"
	print "\t\tlocation /api/ {\n\t\t\tauth_request /auth/verify;"
	print "\t\t\tauth_request_set $fb_user $upstream_http_x_flowbatch_user;"
	print "\t\t\tfastcgi_param REMOTE_USER $fb_user;\n\t\t\tfastcgi_pass flowbatch_web;"
	print "\t\t\tinclude flowbatch/fastcgi.conf;\n\t\t}"
	next
}
{ print }' "$conf" >"$conf.new" && mv "$conf.new" "$conf"
nginx -p "$IT_NGINX_PREFIX/" -c "$conf" -e "$IT_NGINX_PREFIX/logs/error.log" -t >"$IT_DIR/nginx-t.log" 2>&1 ||
	it_bail "the site's nginx configuration is invalid: $(cat "$IT_DIR/nginx-t.log")"
nginx -p "$IT_NGINX_PREFIX/" -c "$conf" -e "$IT_NGINX_PREFIX/logs/error.log" -s reload ||
	it_bail "nginx reload failed"
BASE2=http://127.0.0.1:$port2
it_wait_for 10 curl -s -o /dev/null "$BASE2/api/me" || it_bail "the REMOTE_USER server does not answer"

IT_BASE=$BASE2
it_curl GET /api/me -u "$login2:$pass"
it_assert_eq "200 $login2" "$IT_STATUS $(it_json login <<<"$IT_BODY")" \
	"REMOTE_USER mode: the login nginx authenticated"
it_curl GET /api/me -u "$login2:$pass" -b "fb_token=$token"
it_assert_eq "200 $login2" "$IT_STATUS $(it_json login <<<"$IT_BODY")" \
	"REMOTE_USER mode: a flowbatch token of another user changes nothing"
it_curl GET /api/me -b "fb_token=$token2" -H "Remote-User: $login2" -H "Flowbatch-Auth: token"
it_assert_status 401 "REMOTE_USER mode: no site login, a valid token and forged headers are refused"
it_curl GET /api/me -u "$login2:wrong"
it_assert_status 401 "REMOTE_USER mode: a wrong password"

# A configuration written for the auth_request to /auth/verify keeps working.
IT_BASE=http://127.0.0.1:$port3
it_curl GET /api/me -b "fb_token=$token2" -H "Remote-User: $login"
it_assert_eq "200 $login2" "$IT_STATUS $(it_json login <<<"$IT_BODY")" \
	"auth_request configuration: the login /auth/verify names"
it_curl GET /api/me -b "fb_token=${token2%?}x" -H "Remote-User: $login"
it_assert_status 401 "auth_request configuration: a tampered cookie"

it_done
