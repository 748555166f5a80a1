#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Idempotency-Key on POST /api/batch and POST /api/batch/import: the same key from the same
# user gets the first answer (same status, same bytes) and creates nothing; the same key
# with a different request is refused (422) and creates nothing; eight concurrent requests
# with one key create one batch and all get its answer; another user's equal key is
# theirs; a malformed key is 400; a key older than 24 hours is forgotten (a new batch) and
# purged by batch.recover.  Last, the case the key exists for: flowbatch-web reaches
# PostgreSQL through a proxy that drops the connection once right after passing on a
# COMMIT, so that the batch is committed but its answer lost and db_tx runs the submission
# again: with a key, and without one, that makes one batch, not two.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=3600 FLOWBATCH_BATCH_RETRY_BACKOFF_SECONDS=3600

bf_xlsx_setup

bf_own_db
bf_users
bf_app "幂等"

# commit_dropper: a TCP proxy to PostgreSQL; while the file $IT_DIR/drop exists, the first
# client packet holding a COMMIT is passed on, then (the file removed) both sides are closed
# without the server's answer.
cat >"$IT_DIR/proxy.py" <<'PYEOF'
import os, select, socket, sys, threading, time
port_file, host, port, arm = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)

def pipe(c, s):
    try:
        while True:
            r, _, _ = select.select([c, s], [], [])
            for x in r:
                data = x.recv(65536)
                if not data:
                    return
                if x is c and b"COMMIT" in data and os.path.exists(arm):
                    try:
                        os.unlink(arm)
                    except FileNotFoundError:
                        pass
                    else:
                        s.sendall(data)
                        time.sleep(0.5)
                        return
                (s if x is c else c).sendall(data)
    except OSError:
        pass
    finally:
        c.close()
        s.close()

while True:
    c, _ = srv.accept()
    s = socket.create_connection((host, port))
    threading.Thread(target=pipe, args=(c, s), daemon=True).start()
PYEOF
/usr/bin/python3 "$IT_DIR/proxy.py" "$IT_DIR/proxy.port" "$FB_PGHOST" "$FB_PGPORT" "$IT_DIR/drop" &
IT_PIDS+=($!)
it_wait_for 10 test -s "$IT_DIR/proxy.port" || it_bail "the PostgreSQL proxy did not start"
FLOWBATCH_DB_CONNINFO="host=127.0.0.1 port=$(cat "$IT_DIR/proxy.port") user=$FB_PGUSER dbname=$BF_DB sslmode=disable connect_timeout=5" \
	it_start_web
it_start_nginx
it_start_runner

me=(-H "Authorization: Bearer $BF_ME_TOKEN")
json=(-H 'Content-Type: application/json')
batches() { # LOGIN: batches created by that user
	it_sql "SELECT count(*) FROM batch_task b JOIN users u ON u.id = b.creator WHERE u.login = :'l'" l="$1"
}
post() { # KEY BODY [TOKEN]
	it_curl POST /api/batch -H "Authorization: Bearer ${3:-$BF_ME_TOKEN}" "${json[@]}" \
		-H "Idempotency-Key: $1" --data-binary "$2"
}
settle_all() { # LABEL: every batch of the test settles; counts and locks hold
	local b
	for b in $(it_sql "SELECT id FROM batch_task ORDER BY id"); do
		bf_wait_settled "$b" 30 >/dev/null || it_fail "$1: batch $b did not settle"
	done
	it_assert_no_stale_locks "$1"
}

# --- malformed keys -----------------------------------------------------------------------
mapfile -t t1 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 3)
body1="{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${t1[@]}"),\"examine\":{\"action\":\"approve\"}}"
n0=$(batches "$BF_ME")
post "$(printf 'k%.0s' $(seq 1 129))" "$body1"
it_assert_eq "400 bad_request" "$IT_STATUS $(it_json error.code <<<"$IT_BODY")" "a key of 129 characters: 400"
post "key with spaces" "$body1"
it_assert_eq "400 bad_request" "$IT_STATUS $(it_json error.code <<<"$IT_BODY")" "a key with spaces: 400"
post "钥匙" "$body1"
it_assert_eq "400 bad_request" "$IT_STATUS $(it_json error.code <<<"$IT_BODY")" "a key that is not ASCII: 400"
it_assert_eq "$n0" "$(batches "$BF_ME")" "no batch from a malformed key"

# --- the same key twice ---------------------------------------------------------------------
K1=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
post "$K1" "$body1"
it_assert_status 201 "first request with key K1"
first_body=$IT_BODY
B1=$(it_json batch_id <<<"$IT_BODY")
post "$K1" "$body1"
it_assert_eq "201" "$IT_STATUS" "the same request again: 201 again"
it_assert_eq "$first_body" "$IT_BODY" "the same body, byte for byte"
# The same request written with other spacing is the same request.
post "$K1" "$($PY -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]), indent=2))' "$body1")"
it_assert_eq "201 $first_body" "$IT_STATUS $IT_BODY" "the same JSON with other spacing: the first answer"
it_assert_eq "$((n0 + 1))" "$(batches "$BF_ME")" "one batch for three requests"
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM batch_task_detail WHERE task_id = :t" t="${t1[0]}")" "its tasks are in one batch only"

# --- the same key, another request ----------------------------------------------------------
mapfile -t t2 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 2)
body2="{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${t2[@]}"),\"examine\":{\"action\":\"approve\"}}"
post "$K1" "$body2"
it_assert_eq "422 validation_failed" "$IT_STATUS $(it_json error.code <<<"$IT_BODY")" "K1 with another body: 422"
it_assert_match "already used for a different request" "$(it_json error.message <<<"$IT_BODY")" \
	"the message says the key was used for a different request"
it_assert_eq "Idempotency-Key" "$(it_json error.details.0.field <<<"$IT_BODY")" "the detail names the header"
it_assert_eq "$((n0 + 1))" "$(batches "$BF_ME")" "nothing created"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM tasks WHERE id = ANY (:'ids'::bigint[]) AND lock_kind IS NOT NULL" \
	ids="{$(IFS=,; echo "${t2[*]}")}")" "and nothing locked"

# --- another user's equal key is theirs -----------------------------------------------------
mapfile -t t3 < <(bf_tasks "$BF_N2" "$BF_OTHER_ID" 2)
post "$K1" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${t3[@]}"),\"examine\":{\"action\":\"approve\"}}" "$BF_OTHER_TOKEN"
it_assert_status 201 "another user with the same key string gets a batch of their own"
it_assert_eq 1 "$(batches "$BF_OTHER")" "one batch for the other user"
settle_all "single requests"

# --- eight concurrent requests with one key ---------------------------------------------------
mapfile -t t4 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 200)
body4="{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${t4[@]}"),\"examine\":{\"action\":\"approve\"}}"
printf '%s' "$body4" >"$IT_DIR/body4.json"
K4=concurrent-$RANDOM-$RANDOM
n1=$(batches "$BF_ME")
pids=()
for i in 1 2 3 4 5 6 7 8; do
	curl -sS --max-time 60 -X POST -o "$IT_DIR/c$i.body" -w '%{http_code}' "${me[@]}" "${json[@]}" \
		-H "Idempotency-Key: $K4" --data-binary "@$IT_DIR/body4.json" "$IT_BASE/api/batch" \
		>"$IT_DIR/c$i.status" 2>"$IT_DIR/c$i.err" &
	pids+=($!)
done
wait "${pids[@]}"
statuses=$(for f in "$IT_DIR"/c?.status; do cat "$f"; echo; done | sort | uniq -c | tr -s ' ' | sed 's/^ //')
it_assert_eq "8 201" "$statuses" "eight concurrent requests: all 201"
it_assert_eq 1 "$(md5sum "$IT_DIR"/c?.body | cut -d' ' -f1 | sort -u | wc -l)" "all eight bodies are the same"
it_assert_eq "$((n1 + 1))" "$(batches "$BF_ME")" "one batch created, not eight"
it_assert_eq "200" "$(it_json total <"$IT_DIR/c1.body")" "the batch holds the 200 tasks"
settle_all "concurrent requests"

# --- import with a key ------------------------------------------------------------------------
mapfile -t t5 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 3)
it_curl GET "/api/batch/template?node_id=$BF_N2&task_ids=${t5[0]},${t5[1]},${t5[2]}" "${me[@]}"
it_assert_status 200 "download a template"
cp "$IT_DIR/curl.body" "$IT_DIR/t5.xlsx"
$PY - "$IT_DIR/t5.xlsx" "$IT_DIR/f5.xlsx" "$IT_DIR/g5.xlsx" <<'PYEOF' || it_bail "fill the template with openpyxl"
import sys, openpyxl
for out, action in ((sys.argv[2], "同意"), (sys.argv[3], "驳回")):
    wb = openpyxl.load_workbook(sys.argv[1])
    ws = wb["审批"]
    h = {str(c.value).rstrip(" *"): c.column for c in ws[1] if c.value}
    for row in ws.iter_rows(min_row=2):
        if row[h["任务ID"] - 1].value not in (None, ""):
            ws.cell(row=row[0].row, column=h["操作"], value=action)
    wb.save(out)
PYEOF
upload() { # KEY FILE
	it_curl POST /api/batch/import "${me[@]}" -H "Idempotency-Key: $1" -F "node_id=$BF_N2" \
		-F "file=@$2;type=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
}
K5=import-$RANDOM-$RANDOM
n2=$(batches "$BF_ME")
upload "$K5" "$IT_DIR/f5.xlsx"
it_assert_status 201 "import with key K5"
first_body=$IT_BODY
upload "$K5" "$IT_DIR/f5.xlsx"
it_assert_eq "201 $first_body" "$IT_STATUS $IT_BODY" "the same upload again: the first answer"
it_assert_eq "$((n2 + 1))" "$(batches "$BF_ME")" "one batch for two uploads"
upload "$K5" "$IT_DIR/g5.xlsx"
it_assert_eq "422 validation_failed" "$IT_STATUS $(it_json error.code <<<"$IT_BODY")" "K5 with another file: 422"
it_assert_eq "$((n2 + 1))" "$(batches "$BF_ME")" "nothing created by it"
settle_all "import"

# --- after 24 hours a key is forgotten, and batch.recover purges it ---------------------------
it_sql "UPDATE idempotency_keys SET created = created - interval '25 hours' WHERE key = :'k' AND user_id = :u" \
	k="$K1" u="$BF_ME_ID" >/dev/null
mapfile -t t6 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 1)
post "$K1" "{\"node_id\":$BF_N2,\"task_ids\":[${t6[0]}],\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "K1 after 24 hours is a new key"
[[ $(it_json batch_id <<<"$IT_BODY") != "$B1" ]] && it_ok "a new batch" || it_fail "K1 still answered with batch $B1"
it_sql "UPDATE idempotency_keys SET created = created - interval '25 hours' WHERE key IN (:'a', :'b')" a="$K4" b="$K5" >/dev/null
it_ctl enqueue batch.recover '{}' >/dev/null || it_fail "flowbatchctl enqueue batch.recover"
purged() {
	[[ $(it_sql "SELECT count(*) FROM idempotency_keys WHERE key IN (:'a', :'b')" a="$K4" b="$K5") == 0 ]]
}
it_wait_for 20 purged && it_ok "batch.recover purged the keys older than 24 hours" ||
	it_fail "old keys not purged"
it_assert_eq 2 "$(it_sql "SELECT count(*) FROM idempotency_keys WHERE key NOT LIKE '~%'")" \
	"the live keys stay (K1 of each user)"
settle_all "after the purge"

# --- a COMMIT whose answer is lost --------------------------------------------------------
lost_commit() { # LABEL KEY|"": one POST while the proxy drops the connection after COMMIT
	local label=$1 key=$2 n tries
	mapfile -t t7 < <(bf_tasks "$BF_N2" "$BF_ME_ID" 4)
	n=$(batches "$BF_ME")
	tries=$(grep -c '"retrying transaction"' "$IT_DIR/web.log")
	touch "$IT_DIR/drop"
	if [[ -n $key ]]; then
		post "$key" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${t7[@]}"),\"examine\":{\"action\":\"approve\"}}"
	else
		it_curl POST /api/batch "${me[@]}" "${json[@]}" \
			--data-binary "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${t7[@]}"),\"examine\":{\"action\":\"approve\"}}"
	fi
	it_assert_eq "201 4 gone" "$IT_STATUS $(it_json total <<<"$IT_BODY") $([[ -e $IT_DIR/drop ]] && echo armed || echo gone)" \
		"$label: 201 although the connection was dropped after COMMIT"
	it_assert_eq "$((tries + 1))" "$(grep -c '"retrying transaction"' "$IT_DIR/web.log")" \
		"$label: db_tx ran the submission again"
	it_assert_eq "$((n + 1)) $(it_json batch_id <<<"$IT_BODY")" \
		"$(batches "$BF_ME") $(it_sql "SELECT string_agg(DISTINCT batch_id::text, ',') FROM batch_task_detail WHERE task_id = :t" t="${t7[0]}")" \
		"$label: one batch, the one answered"
}
lost_commit "with a key" "lost-$RANDOM-$RANDOM"
lost_commit "without a key" ""
settle_all "after the lost COMMITs"

it_done
