#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# flowbatch-web behind nginx: health (per dependency, the reasons only in the log), identity
# only through a valid token (never through request headers), token expiry and tampering,
# login tokens absent from the web's and nginx's logs, JSON error envelopes, UTF-8 names.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"

it_migrate
it_start_web
it_start_nginx

# A department and a user of this test, with Chinese names.
login="it_web_$$"
dept="测试部-$$"
uname="张三丰·测试"
dept_id=$(it_sql "INSERT INTO departments (name) VALUES (:'dept') RETURNING id" dept="$dept") ||
	it_bail "cannot insert a department"
uid=$(it_sql "INSERT INTO users (login, name, dept_id, is_admin)
	SELECT :'login', :'uname', id, false FROM departments WHERE name = :'dept' RETURNING id" \
	login="$login" uname="$uname" dept="$dept") || it_bail "cannot insert a user"
uid=$(printf '%s' "$uid" | head -1)
login2="it_web2_$$"
it_sql "INSERT INTO users (login, name) VALUES (:'login2', '李四')" login2="$login2" ||
	it_bail "cannot insert a second user"

# --- health ---
it_curl GET /healthz
it_assert_status 200 "GET /healthz"
it_assert_eq ok "$(it_json status <<<"$IT_BODY")" "healthz status ok"
it_assert_eq ok "$(it_json postgresql <<<"$IT_BODY")" "healthz postgresql ok"
it_assert_eq ok "$(it_json redis <<<"$IT_BODY")" "healthz redis ok"

# --- no identity ---
it_curl GET /api/me
it_assert_status 401 "GET /api/me without a token"
it_assert_eq unauthorized "$(it_json error.code <<<"$IT_BODY")" "401 has the JSON error envelope"
it_assert_match '^application/json' "$(it_header Content-Type)" "401 is application/json"

it_curl GET /api/me -H "REMOTE_USER: $login" -H "Remote-User: $login" \
	-H "X-Remote-User: $login" -H "X-Flowbatch-User: $login" -H "X-Forwarded-User: $login"
it_assert_status 401 "forged identity headers without a token are refused"

it_curl GET /auth/verify -H "Authorization: Bearer $(it_token "$login")"
it_assert_status 404 "/auth/verify is internal to nginx"

# --- bearer token ---
token=$(it_token "$login") || it_bail "flowbatchctl token failed"
[[ -n $token ]] || it_bail "empty token"
it_curl GET /api/me -H "Authorization: Bearer $token"
it_assert_status 200 "GET /api/me with a bearer token"
it_assert_eq "$login" "$(it_json login <<<"$IT_BODY")" "login matches the token"
it_assert_eq "$uname" "$(it_json name <<<"$IT_BODY")" "Chinese user name round-trips as UTF-8"
it_assert_eq "$dept" "$(it_json dept_name <<<"$IT_BODY")" "Chinese department name round-trips"
it_assert_eq "$uid" "$(it_json id <<<"$IT_BODY")" "user id"
it_assert_eq false "$(it_json is_admin <<<"$IT_BODY")" "is_admin false"
if grep -qF "$uname" <<<"$IT_BODY"; then
	it_ok "name is raw UTF-8 in the body (not \\u escapes)"
else
	it_fail "name is not raw UTF-8 in the body: $IT_BODY"
fi

# A token for the same login with a forged REMOTE_USER of another user: identity stays
# the token's.
it_curl GET /api/me -H "Authorization: Bearer $token" -H "Remote-User: demo" -H "X-Flowbatch-User: demo"
it_assert_eq "$login" "$(it_json login <<<"$IT_BODY")" "headers cannot change the identity"

# --- cookie login ---
jar=$IT_DIR/cookies
it_curl GET "/auth/login?token=$token" -c "$jar"
it_assert_status 302 "GET /auth/login"
it_assert_eq / "$(it_header Location)" "login redirects to /"
cookie=$(it_header Set-Cookie)
it_assert_match '^fb_token=' "$cookie" "login sets the fb_token cookie"
it_assert_match '[Hh]ttp[Oo]nly' "$cookie" "cookie is HttpOnly"
it_assert_match '[Ss]ame[Ss]ite=Lax' "$cookie" "cookie is SameSite=Lax"
it_assert_match '[Pp]ath=/(;|$)' "$cookie" "cookie has Path=/"
it_curl GET /api/me -b "$jar"
it_assert_status 200 "GET /api/me with the cookie"
it_assert_eq "$login" "$(it_json login <<<"$IT_BODY")" "cookie login matches"

# The token of the login link is in no log: not in flowbatch-web's request log, not in
# nginx's access log (the snippet's log format redacts it), while the request itself is
# logged in both.
it_curl GET "/auth/login?a=1&token=$token&b=2"
it_assert_status 302 "GET /auth/login with the token among other parameters"
it_curl GET "/auth/login?TOKEN=$token"
it_curl GET "/?tok%65n=$token"
sleep 0.3
for f in "$IT_DIR/web.log" "$IT_NGINX_PREFIX/logs/access.log"; do
	it_assert_match '/auth/login' "$(cat "$f")" "$(basename "$f") records the login requests"
	if grep -qF "${token##*.}" "$f" || grep -qF "$token" "$f"; then
		it_fail "$(basename "$f") holds the login token: $(grep -F "${token##*.}" "$f" | head -2)"
	else
		it_ok "$(basename "$f") does not hold the login token"
	fi
done
it_assert_match 'auth/login\?a=1&token=\[redacted\]&b=2' "$(cat "$IT_DIR/web.log")" \
	"the web log keeps the other parameters"

it_curl GET "/auth/login?token=${token}x"
if [[ $IT_STATUS == 302 ]] && grep -q "fb_token=${token}x" <<<"$(it_header Set-Cookie)"; then
	it_fail "/auth/login accepted a tampered token"
else
	it_ok "/auth/login refuses a tampered token (HTTP $IT_STATUS)"
fi

# --- tampered and expired tokens ---
# Tokens are v1.<login base64url>.<expiry>.<hmac hex>.
last=${token: -1}
if [[ $last == 0 ]]; then repl=1; else repl=0; fi
it_curl GET /api/me -H "Authorization: Bearer ${token%?}$repl"
it_assert_status 401 "tampered token (signature changed)"
IFS=. read -r t_v t_login t_exp t_sig <<<"$token"
if [[ $t_exp =~ ^[0-9]+$ && -n $t_sig ]]; then
	it_curl GET /api/me -H "Authorization: Bearer $t_v.$t_login.$((t_exp + 3600)).$t_sig"
	it_assert_status 401 "tampered token (expiry extended, old signature)"
	other=$(printf '%s' "$login2" | base64 | tr '+/' '-_' | tr -d '=')
	it_curl GET /api/me -H "Authorization: Bearer $t_v.$other.$t_exp.$t_sig"
	it_assert_status 401 "tampered token (login swapped, old signature)"
else
	it_fail "token does not look like v1.<login>.<expiry>.<hmac>: $token"
fi
it_curl GET /api/me -H "Authorization: Bearer "
it_assert_status 401 "empty bearer token"
it_curl GET /api/me -b "fb_token=garbage"
it_assert_status 401 "garbage cookie"

nobody=$(it_token "nobody_$$") || it_bail "flowbatchctl token for an unknown login failed"
it_curl GET /api/me -H "Authorization: Bearer $nobody"
it_assert_status 401 "valid token of an unknown user"
it_assert_eq unauthorized "$(it_json error.code <<<"$IT_BODY")" "unknown user: JSON envelope"

short=$(it_token "$login" 1) || it_bail "flowbatchctl token --ttl 1 failed"
sleep 2.2
it_curl GET /api/me -H "Authorization: Bearer $short"
it_assert_status 401 "expired token (--ttl 1, 2 s later)"

# --- error envelopes of the application ---
it_curl GET /api/nope -H "Authorization: Bearer $token"
it_assert_status 404 "unknown API path"
it_assert_eq not_found "$(it_json error.code <<<"$IT_BODY")" "404 envelope code"
it_json error.message <<<"$IT_BODY" >/dev/null && it_ok "404 envelope has a message" ||
	it_fail "404 envelope has no message: $IT_BODY"

it_curl POST /api/me -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{}'
it_assert_status 405 "POST /api/me"
it_assert_eq method_not_allowed "$(it_json error.code <<<"$IT_BODY")" "405 envelope code"

# --- the console ---
it_curl GET /
it_assert_status 200 "console index"
it_assert_match '^text/html' "$(it_header Content-Type)" "console index is HTML"
console=$IT_BODY
# The page and the scripts it loads must call /api/me to show who is logged in.
for js in $(grep -oE '<script[^>]+src="/[^"]+"' <<<"$IT_BODY" | sed -E 's/.*src="([^"]+)"/\1/'); do
	it_curl GET "$js"
	it_assert_status 200 "console script $js"
	console+=$IT_BODY
done
if grep -q '/api/me' <<<"$console"; then
	it_ok "console calls /api/me"
else
	it_fail "console page (and its scripts) do not call /api/me"
fi
it_curl GET /some/console/route
it_assert_status 200 "unknown console paths get the single page"

# --- nginx's own errors are JSON too ---
it_curl GET "/api/$(head -c 9000 /dev/zero | tr '\0' a)" -H "Authorization: Bearer $token"
it_assert_status 414 "URI too long"
it_assert_eq uri_too_long "$(it_json error.code <<<"$IT_BODY")" "414 is a JSON envelope"

it_stop_web
it_curl GET /healthz
it_assert_status 502 "flowbatch-web down"
it_assert_eq unavailable "$(it_json error.code <<<"$IT_BODY")" "502 is a JSON envelope"

# PostgreSQL and Redis unreachable: 503 naming which, and nothing of why (host, port, user).
secret_user="fb_secret_user_$$"
FLOWBATCH_DB_CONNINFO="host=127.0.0.1 port=1 user=$secret_user dbname=nowhere connect_timeout=2" \
	FLOWBATCH_REDIS_PORT=1 it_start_web
it_curl GET /healthz
it_assert_status 503 "GET /healthz with PostgreSQL and Redis down"
it_assert_eq "unavailable|not ok|not ok" \
	"$(it_json status <<<"$IT_BODY")|$(it_json postgresql <<<"$IT_BODY")|$(it_json redis <<<"$IT_BODY")" \
	"healthz says which dependency is down"
if grep -qE "$secret_user|127\.0\.0\.1|port|connect" <<<"$IT_BODY"; then
	it_fail "healthz answer tells why: $IT_BODY"
else
	it_ok "healthz answer holds no host, port, user or error text"
fi
it_assert_match "health check failed.*postgresql.*port 1" "$(cat "$IT_DIR/web.log")" \
	"the reason is in the web log"
it_stop_web

it_done
