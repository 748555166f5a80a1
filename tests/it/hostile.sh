#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Hostile input through nginx: every answer a 4xx (or a 503 that says when to come back)
# with the JSON error envelope, in bounded time and memory.
#   - JSON bodies whose top level is null, a number, a string or an array → 400;
#   - a JSON body over web.json_body_max → 413 before it is read: the RSS high-water mark
#     of flowbatch-web stays flat for an 8 MiB array of zeros (it grew by ~300 MB before);
#   - an xlsx whose shared string holds 15 MB of text or CDATA → 413 naming the string, in
#     well under a second (the time is printed);
#   - nginx's own errors on the snippet's locations are JSON: 400 (request header or cookie
#     too large, malformed request), 413 (/api/ and the small locations), 502 (web down),
#     504 (web too slow, through a copy of the snippet with short timeouts);
#   - imports and exports beyond web.max_excel_requests (default: half of web.threads) →
#     503 with Retry-After, while the admitted ones succeed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

PY=/usr/bin/python3
SLOW_NGINX=
SLOW_PID=
LOCK_PID=
it_test_cleanup() {
	[[ -n $LOCK_PID ]] && kill "$LOCK_PID" 2>/dev/null
	[[ -n $SLOW_PID ]] && kill "$SLOW_PID" 2>/dev/null
	[[ -n $SLOW_NGINX ]] && fb_nginx_stop "$SLOW_NGINX"
	bf_cleanup
}

bf_own_db
it_start_web
it_start_nginx
bf_users
bf_app "恶意输入"
tasks=$(bf_tasks "$BF_N2" "$BF_ME_ID" 20 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID") ||
	it_bail "cannot seed tasks"
AUTH=(-H "Authorization: Bearer $BF_ME_TOKEN")
JSON=(-H 'Content-Type: application/json')

# it_envelope STATUS CODE LABEL: the last answer has this status and a JSON error envelope
# with this code and a message.
it_envelope() {
	it_assert_status "$1" "$3" || return 1
	it_assert_eq "$2" "$(it_json error.code <<<"$IT_BODY")" "$3: error.code"
	if [[ -n $(it_json error.message <<<"$IT_BODY") ]]; then
		it_ok "$3: error.message"
	else
		it_fail "$3: no error.message in ${IT_BODY:0:300}"
	fi
}

hwm_kb() {
	awk '/^VmHWM:/ {print $2}' "/proc/$IT_WEB_PID/status"
}

# --- JSON bodies that are not objects ---
for body in null ' null ' 0 -1.5 '"x"' '[]' '[{"node_id":1}]' true; do
	it_curl POST /api/batch "${AUTH[@]}" "${JSON[@]}" --data-binary "$body"
	it_envelope 400 bad_request "POST /api/batch with the body $body"
	it_assert_match '^the request body must be a JSON object, not ' \
		"$(it_json error.message <<<"$IT_BODY")" "body $body: the message says what it got"
done
it_curl POST "/api/batch/1/retry" "${AUTH[@]}" "${JSON[@]}" --data-binary null
it_envelope 400 bad_request "POST /api/batch/1/retry with the body null"

# --- the JSON body limit, and what it costs ---
$PY -c 'import sys; sys.stdout.write("[" + ",".join(["0"] * (4 * 1024 * 1024)) + "]")' \
	>"$IT_DIR/zeros.json"
before=$(hwm_kb)
it_curl POST /api/batch "${AUTH[@]}" "${JSON[@]}" --data-binary "@$IT_DIR/zeros.json"
after=$(hwm_kb)
it_envelope 413 too_large "an 8 MiB array of zeros"
it_assert_match 'web\.json_body_max' "$(it_json error.message <<<"$IT_BODY")" \
	"413 names web.json_body_max"
echo "# VmHWM of flowbatch-web: ${before} kB before, ${after} kB after the 8 MiB JSON body"
if ((after - before < 16384)); then
	it_ok "8 MiB JSON body: RSS high-water mark grew by $(((after - before) / 1024)) MB (< 16 MB)"
else
	it_fail "8 MiB JSON body: RSS high-water mark grew from $before kB to $after kB"
fi
# Just under the limit is read and judged; just over is not.
$PY -c 'import sys; n = int(sys.argv[1]); sys.stdout.write("{\"node_id\":1,\"x\":\"" + "a" * (n - 20) + "\"}")' \
	1048576 >"$IT_DIR/at_limit.json"
$PY -c 'import sys; n = int(sys.argv[1]); sys.stdout.write("{\"node_id\":1,\"x\":\"" + "a" * (n - 20) + "\"}")' \
	1048577 >"$IT_DIR/over_limit.json"
it_curl POST /api/batch "${AUTH[@]}" "${JSON[@]}" --data-binary "@$IT_DIR/at_limit.json"
it_envelope 400 bad_request "a JSON body of exactly 1 MiB is parsed (unknown member)"
it_curl POST /api/batch "${AUTH[@]}" "${JSON[@]}" --data-binary "@$IT_DIR/over_limit.json"
it_envelope 413 too_large "a JSON body of 1 MiB + 1 byte"

# --- 15 MB of text in one shared string, or in one inline cell ---
cat >"$IT_DIR/bigtext.py" <<'PYEOF'
import sys, zipfile
kind, out = sys.argv[1], sys.argv[2]
body = "a" * (15 * 1024 * 1024)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
PKG = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
parts = {
    "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    "_rels/.rels": '<Relationships %s><Relationship Id="rId1" Type="%sofficeDocument" Target="xl/workbook.xml"/></Relationships>' % (PKG, REL),
    "xl/workbook.xml": '<workbook %s %s><sheets><sheet name="审批" sheetId="1" r:id="rId1"/></sheets></workbook>' % (NS, RNS),
    "xl/_rels/workbook.xml.rels": '<Relationships %s><Relationship Id="rId1" Type="%sworksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="%ssharedStrings" Target="sharedStrings.xml"/></Relationships>' % (PKG, REL, REL),
}
text = body if kind == "text" else "<![CDATA[" + body + "]]>"
parts["xl/sharedStrings.xml"] = '<sst %s><si><t>任务ID</t></si><si><t>%s</t></si></sst>' % (NS, text)
parts["xl/worksheets/sheet1.xml"] = '<worksheet %s><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row></sheetData></worksheet>' % NS
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    for name, data in parts.items():
        z.writestr(name, data)
PYEOF
for kind in text cdata; do
	$PY "$IT_DIR/bigtext.py" "$kind" "$IT_DIR/big-$kind.xlsx" || it_bail "bigtext.py $kind"
	# The reader's message in English (users get it in their language, zh-CN by default).
	t=$(curl -sS -o "$IT_DIR/big.body" -w '%{http_code} %{time_total}' --max-time 30 \
		-H 'Accept-Language: en' \
		"${AUTH[@]}" -F "file=@$IT_DIR/big-$kind.xlsx" "$IT_BASE/api/batch/import") ||
		t="curl-error 30"
	IT_STATUS=${t%% *}
	IT_BODY=$(cat "$IT_DIR/big.body")
	echo "# 15 MB $kind upload ($(stat -c %s "$IT_DIR/big-$kind.xlsx") bytes, stored): HTTP $IT_STATUS in ${t#* } s"
	it_envelope 413 too_large "15 MB $kind in one shared string"
	it_assert_match 'shared string 1 is longer than 32767 characters' \
		"$(it_json error.message <<<"$IT_BODY")" "15 MB $kind: the string is named"
	if $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)' "${t#* }"; then
		it_ok "15 MB $kind answered in ${t#* } s (< 1 s)"
	else
		it_fail "15 MB $kind answered in ${t#* } s"
	fi
done

# --- nginx's own errors carry the JSON envelope ---
big=$(head -c 12000 /dev/zero | tr '\0' a)
for loc in /api/me /healthz /auth/login /; do
	it_curl GET "$loc" "${AUTH[@]}" -H "X-Padding: $big"
	it_envelope 400 request_header_too_large "a 12 kB request header on $loc"
	it_assert_match '^application/json' "$(it_header Content-Type)" "header too large on $loc: JSON"
done
it_curl GET /api/me -H "Cookie: fb_token=$big"
it_envelope 400 request_header_too_large "a 12 kB cookie"
head -c 20000 /dev/zero >"$IT_DIR/20k"
for loc in /healthz /auth/logout; do
	it_curl POST "$loc" --data-binary "@$IT_DIR/20k"
	it_envelope 413 too_large "a 20 kB body on $loc"
done
head -c $((64 * 1024 * 1024 + 1)) /dev/zero >"$IT_DIR/64m"
it_curl POST /api/batch/import "${AUTH[@]}" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$IT_DIR/64m"
it_envelope 413 too_large "a body over 64 MiB on /api/"
rm -f "$IT_DIR/64m"
# A request line nginx cannot parse.
resp=$(printf 'GET /api/me HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n' |
	curl -sS --max-time 10 telnet://127.0.0.1:"$FB_NGINX_PORT" 2>/dev/null || true)
IT_STATUS=$(sed -nE '1s/^HTTP\/1\.[01] ([0-9]+).*/\1/p' <<<"$resp")
IT_BODY=$(sed -n '/^\r\{0,1\}$/,$p' <<<"$resp" | tail -n +2)
it_envelope 400 bad_request "a malformed request (Content-Length: -5)"

# --- at most N imports and exports at once ---
# lib.sh runs 4 web threads, so N = 2.  An exclusive lock on tasks holds the admitted
# template exports inside PostgreSQL; requests beyond N must be refused at once.
it_psql -c "BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;" \
	>/dev/null 2>&1 &
LOCK_PID=$!
tasks_locked() {
	[[ $(it_sql "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE c.relname = 'tasks' AND l.mode = 'AccessExclusiveLock' AND l.granted") -ge 1 ]]
}
it_wait_for 5 tasks_locked || it_bail "could not lock the tasks table"
pids=()
for i in 1 2 3 4 5 6; do
	curl -sS -o "$IT_DIR/slot.$i.body" -D "$IT_DIR/slot.$i.head" -w '%{http_code}' \
		--max-time 30 "${AUTH[@]}" "$IT_BASE/api/batch/template?node_id=$BF_N2" \
		>"$IT_DIR/slot.$i.status" 2>/dev/null &
	pids+=($!)
	sleep 0.2
done
# An upload while every slot is taken: refused without reading it.
sleep 0.5
printf 'not really an xlsx' >"$IT_DIR/small.xlsx"
it_curl POST /api/batch/import "${AUTH[@]}" -F "file=@$IT_DIR/small.xlsx"
it_envelope 503 busy "an import while 2 exports run"
it_assert_match '^[0-9]+$' "$(it_header Retry-After)" "503 has Retry-After"
wait "${pids[@]}"
wait "$LOCK_PID" 2>/dev/null
LOCK_PID=
ok=0 busy=0 other=()
for i in 1 2 3 4 5 6; do
	st=$(cat "$IT_DIR/slot.$i.status")
	if [[ $st == 200 ]]; then
		ok=$((ok + 1))
	elif [[ $st == 503 ]] && grep -qi '^Retry-After: [0-9]' "$IT_DIR/slot.$i.head" &&
		[[ $(it_json error.code <"$IT_DIR/slot.$i.body") == busy ]]; then
		busy=$((busy + 1))
	else
		other+=("$i:$st")
	fi
done
it_assert_eq "2 4 " "$ok $busy ${other[*]}" "6 exports at once: 2 admitted and done, 4 refused with 503 + Retry-After"
# The slots are free again afterwards.
it_curl GET "/api/batch/template?node_id=$BF_N2" "${AUTH[@]}"
it_assert_status 200 "an export after the burst"

# --- 504: flowbatch-web too slow, through a copy of the snippet with short timeouts ---
mkdir -p "$IT_DIR/slow-src"
cp -r "$top_srcdir/nginx" "$IT_DIR/slow-src/nginx"
sed -i 's/fastcgi_read_timeout 300s/fastcgi_read_timeout 2s/' "$IT_DIR/slow-src/nginx/flowbatch.conf"
sed -i 's/^\(\tkeepalive_timeout 30s;\)$/\1\n\tfastcgi_read_timeout 2s;/' \
	"$IT_DIR/slow-src/nginx/dev.conf.in"
grep -q 'fastcgi_read_timeout 2s' "$IT_DIR/slow-src/nginx/dev.conf.in" ||
	it_bail "could not shorten the timeout in the dev.conf copy"
# A FastCGI "server" that accepts and never answers.
$PY - "$IT_DIR/slow.sock" <<'PYEOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
PYEOF
SLOW_PID=$!
it_wait_for 5 test -S "$IT_DIR/slow.sock" || it_bail "the slow upstream did not start"
SLOW_NGINX=$IT_DIR/nginx-slow
main_port=$FB_NGINX_PORT
fb_nginx_start "$IT_DIR/slow-src" "$SLOW_NGINX" "$IT_DIR/slow.sock" "$top_srcdir/templates" ||
	it_bail "the slow nginx did not start"
slow_base=http://127.0.0.1:$FB_NGINX_PORT
FB_NGINX_PORT=$main_port
saved_base=$IT_BASE
IT_BASE=$slow_base
it_curl GET /healthz
it_envelope 504 timeout "flowbatch-web does not answer /healthz in time"
it_curl GET /auth/login?token=x
it_envelope 504 timeout "flowbatch-web does not answer /auth/login in time"
# /api/ is one FastCGI request (flowbatch-web checks the login itself): its timeout is 504.
it_curl GET /api/me "${AUTH[@]}"
it_envelope 504 timeout "flowbatch-web does not answer /api/me in time"
IT_BASE=$saved_base

# --- 502: flowbatch-web down ---
it_stop_web
for loc in /healthz /auth/login?token=x /api/me; do
	it_curl GET "$loc" "${AUTH[@]}"
	it_envelope 502 unavailable "flowbatch-web down: $loc"
done

it_done
