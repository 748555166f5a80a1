#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# What scheduled runs do beyond firing, with the scheduler's clock sped up 60 times (a
# crontab minute is a real second):
#  1. misfires seen before any scheduler runs (/api/crontabs/misfires: run once, catch up
#     N, skip) and the next fire times of an unsaved expression (/api/crontabs/next?expr=,
#     422 naming the field and the position);
#  2. dependencies: a cycle is refused with 422 naming it; a downstream runs only after its
#     upstream of the same period succeeded (it waits while the upstream runs); a failed
#     upstream makes the downstream run "skipped (upstream failed)";
#  3. overlap replace: each new run cancels the one still going (the noop job sees the flag
#     between its steps and stops), which ends "cancelled"; no two runs overlap;
#  4. retry policy: a failing job runs max_attempts times, one history row per attempt,
#     each after its backoff;
#  5. http.call to a loopback sink: URLs off scheduler.http_allow refused with 422, a 2xx
#     answer stored in the history, a 500 a failure;
#  6. /api/crontabs/stats per status per day, in the caller's scope; action_log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/cron_fixture.sh"

cron_clock

# The sink: /ok answers 200 "pong <body>", /bad 500; one JSON line per request in the log.
cat >"$IT_DIR/sink.py" <<'EOF'
import http.server, json, sys
log, portfile = sys.argv[1:3]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def answer(self, body):
        code = 200 if self.path.startswith("/ok") else 500
        text = ("pong " + body.decode() if code == 200 else "down for maintenance").encode()
        with open(log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body.decode()}) + "\n")
        self.send_response(code)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)
    def do_GET(self):
        self.answer(b"")
    def do_POST(self):
        self.answer(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$IT_DIR/sink.py" "$IT_DIR/sink.log" "$IT_DIR/sink.port" &
IT_PIDS+=($!)
it_wait_for 10 test -s "$IT_DIR/sink.port" || it_bail "the sink did not start"
SINK="http://127.0.0.1:$(cat "$IT_DIR/sink.port")"
export FLOWBATCH_SCHEDULER_HTTP_ALLOW="$SINK/ok, $SINK/bad"

bf_own_db
it_start_web
it_start_nginx

cron_setup it_cronj
create() { # BODY -> id in $cid
	api POST /api/crontabs "$1"
	it_assert_status 201 "create $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$1")"
	cid=$(it_json id <<<"$IT_BODY")
}
details() { # the fields of a 422, sorted
	it_json error.details <<<"$IT_BODY" | python3 -c 'import json,sys; print(" ".join(sorted(d["field"] for d in json.load(sys.stdin))))'
}
history() { # ID: status list, in order of id
	it_psql -c "SELECT string_agg(status, ',' ORDER BY id) FROM crontab_history WHERE crontab_id = $1"
}

# --- 1. misfires (no scheduler runs yet), next times of an unsaved expression --------------------
declare -A mid
for p in run_once catch_up skip; do
	create "{\"name\":\"misfire $p\",\"type\":\"repeat\",\"rule\":{\"cron\":[\"* * * * *\"]},\"job\":{\"type\":\"noop\"},\"misfire\":\"$p\",\"overlap\":\"allow\",\"enable\":false}"
	mid[$p]=$cid
done
t0=$((($(fake_now) - 7200) / 60 * 60))
it_psql -c "UPDATE crontab SET enable = true, next_run_at = to_timestamp($t0)
	WHERE id IN (${mid[run_once]}, ${mid[catch_up]}, ${mid[skip]})" >/dev/null
api GET /api/crontabs/misfires
it_assert_status 200 "misfires"
got=$(python3 -c '
import json, sys
it = {x["id"]: x for x in json.load(sys.stdin)["items"]}
ids = sys.argv[1:]
print(" ".join("%s:%s:%s" % (it[int(i)]["misfire"], it[int(i)]["will_run"], 118 <= it[int(i)]["missed"] <= 125) for i in ids))
' "${mid[run_once]}" "${mid[catch_up]}" "${mid[skip]}" <<<"$IT_BODY")
it_assert_eq "run_once:1:True catch_up:50:True skip:0:True" "$got" \
	"misfires list each crontab missed for 2 hours with what will happen (run once / catch up 50 / skip)"
it_assert_match '^catch up 50 \(of 1[12][0-9] missed\)$' "$(python3 -c 'import json,sys; print([x["action"] for x in json.load(sys.stdin)["items"] if x["id"] == int(sys.argv[1])][0])' "${mid[catch_up]}" <<<"$IT_BODY")" \
	"the action says it in words"
it_curl GET /api/crontabs/misfires -H "Authorization: Bearer $utok"
it_assert_status 200 "a user may ask for misfires"
it_assert_eq 0 "$(it_json total <<<"$IT_BODY")" "a user sees only the misfires of their own crontabs"

api GET "/api/crontabs/next?expr=30%202%20*%20*%20MON-FRI&tz=Asia/Shanghai&count=5"
it_assert_status 200 "next times of an unsaved expression"
it_assert_eq "5 True" "$(python3 -c 'import json,sys,datetime as d
it=json.load(sys.stdin)["items"]
print(len(it), all(x["local"][11:] == "02:30:00+08:00" and d.date.fromisoformat(x["local"][:10]).weekday() < 5 for x in it))' <<<"$IT_BODY")" \
	"5 weekday 02:30 times in Asia/Shanghai"
api GET "/api/crontabs/next?expr=*%2015%2032%20*%20*&tz=Mars/Base"
it_assert_status 422 "a bad expression and zone: 422"
it_assert_eq "expr tz" "$(details)" "422 names expr and tz"
it_assert_match 'day-of-month field, position 6' "$(it_json error.details <<<"$IT_BODY" | python3 -c 'import json,sys; print([d["message"] for d in json.load(sys.stdin) if d["field"] == "expr"][0])')" \
	"the message of expr gives the cron field and the position"

# --- runners -------------------------------------------------------------------------------
it_start_runner
r1=$IT_RUNNER_PID
it_start_runner
it_wait_for 10 grep -q '"scheduler: leader"' "$IT_DIR"/runner.*.log || it_fail "no leader within 10 s"
it_wait_for 10 sql_is = 0 "SELECT count(*) FROM crontab WHERE id IN (${mid[run_once]}, ${mid[catch_up]}, ${mid[skip]})
	AND next_run_at < to_timestamp($t0 + 7000)" && it_ok "the misfires were handled once a leader ran" ||
	it_fail "misfires still pending"
for p in run_once catch_up skip; do api POST "/api/crontabs/${mid[$p]}/disable"; done
api GET /api/crontabs/misfires
it_assert_eq "" "$(python3 -c 'import json,sys; print(" ".join(str(x["id"]) for x in json.load(sys.stdin)["items"] if x["id"] in map(int, sys.argv[1:])))' "${mid[run_once]}" "${mid[catch_up]}" "${mid[skip]}" <<<"$IT_BODY")" \
	"no misfire left for them"

# --- 2. dependencies ---------------------------------------------------------------------------
create '{"name":"上游","type":"repeat","rule":{"cron":["* * * * *"]},"job":{"type":"noop","args":{"sleep_ms":400}},"overlap":"allow","enable":false}'
up=$cid
create "{\"name\":\"下游\",\"type\":\"repeat\",\"rule\":{\"cron\":[\"* * * * *\"]},\"job\":{\"type\":\"noop\"},\"overlap\":\"allow\",\"enable\":false,\"depends_on\":[$up]}"
down=$cid
it_assert_eq "[$up]" "$(it_json depends_on <<<"$IT_BODY" | tr -d ' ')" "depends_on is stored"
create "{\"name\":\"末端\",\"type\":\"repeat\",\"rule\":{\"cron\":[\"0 0 1 1 *\"]},\"job\":{\"type\":\"noop\"},\"enable\":false,\"depends_on\":[$down]}"
leaf=$cid
api PUT "/api/crontabs/$up" "{\"depends_on\":[$leaf]}"
it_assert_status 422 "a cycle is refused"
it_assert_eq depends_on "$(details)" "the 422 names depends_on"
it_assert_eq "would make a cycle: 上游 (#$up) -> 末端 (#$leaf) -> 下游 (#$down) -> 上游 (#$up)" \
	"$(it_json error.details.0.message <<<"$IT_BODY")" "the 422 names the cycle"
api PUT "/api/crontabs/$up" "{\"depends_on\":[$up]}"
it_assert_status 422 "depending on itself is refused"
api PUT "/api/crontabs/$up" '{"depends_on":[999999999]}'
it_assert_status 422 "depending on no crontab is refused"
api DELETE "/api/crontabs/$down"
it_assert_status 409 "an upstream of another crontab is not deleted"
api POST "/api/crontabs/$up/enable"
api POST "/api/crontabs/$down/enable"
it_wait_for 20 sql_is -ge 4 "SELECT count(*) FROM crontab_history WHERE crontab_id = $down AND status = 'success'" &&
	it_ok "the downstream runs" || it_fail "downstream: $(history "$down")"
api POST "/api/crontabs/$down/disable"
api POST "/api/crontabs/$up/disable"
sleep 1
read -r nd bad waited <<<"$(it_psql -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE u.finished IS NULL OR d.started < u.finished),
	count(*) FILTER (WHERE d.created < u.finished)
	FROM crontab_history d LEFT JOIN crontab_history u ON u.crontab_id = $up AND u.scheduled_at = d.scheduled_at
	WHERE d.crontab_id = $down AND d.status = 'success'")"
((nd >= 4)) && it_assert_eq 0 "$bad" "each of $nd downstream runs started after its upstream of the period succeeded"
((waited >= 1)) && it_ok "the downstream waited while its upstream ran ($waited of $nd runs)" ||
	it_fail "no downstream run was created before its upstream finished"

create '{"name":"failing upstream","type":"repeat","rule":{"cron":["* * * * *"]},"job":{"type":"noop","args":{"fail":true}},"overlap":"allow","enable":false}'
fup=$cid
create "{\"name\":\"after a failure\",\"type\":\"repeat\",\"rule\":{\"cron\":[\"* * * * *\"]},\"job\":{\"type\":\"noop\"},\"overlap\":\"allow\",\"enable\":false,\"depends_on\":[$fup]}"
fdown=$cid
api POST "/api/crontabs/$fup/enable"
api POST "/api/crontabs/$fdown/enable"
it_wait_for 15 sql_is -ge 2 "SELECT count(*) FROM crontab_history WHERE crontab_id = $fdown AND status = 'skipped'" &&
	it_ok "a failed upstream skips the downstream" || it_fail "downstream after a failure: $(history "$fdown")"
api POST "/api/crontabs/$fdown/disable"
api POST "/api/crontabs/$fup/disable"
it_assert_eq 0 "$(it_psql -c "SELECT count(*) FROM crontab_history WHERE crontab_id = $fdown AND status NOT IN ('skipped', 'waiting')")" \
	"the downstream never ran"
it_assert_match "^skipped \(upstream failed\): failing upstream \(#$fup\) failed$" \
	"$(it_psql -c "SELECT content FROM crontab_history WHERE crontab_id = $fdown AND status = 'skipped' ORDER BY id LIMIT 1")" \
	"its history says which upstream failed"

# --- 3. overlap replace ------------------------------------------------------------------------
create '{"name":"replaced","type":"repeat","rule":{"cron":["* * * * *"]},"job":{"type":"noop","args":{"sleep_ms":5000}},"overlap":"replace"}'
rid=$cid
it_wait_for 15 sql_is -ge 3 "SELECT count(*) FROM crontab_history WHERE crontab_id = $rid AND status = 'cancelled' AND started IS NOT NULL" &&
	it_ok "each new run cancels the running one" || it_fail "replace: $(history "$rid")"
api POST "/api/crontabs/$rid/disable"
it_wait_for 10 sql_is = 0 "SELECT count(*) FROM crontab_history WHERE crontab_id = $rid AND status IN ('pending', 'running', 'waiting')" ||
	it_fail "replace: runs still open: $(history "$rid")"
read -r quick slow <<<"$(it_psql -F ' ' -c "SELECT count(*) FILTER (WHERE finished - started < interval '2 s'), count(*) FILTER (WHERE finished - started >= interval '2 s')
	FROM crontab_history WHERE crontab_id = $rid AND status = 'cancelled' AND started IS NOT NULL")"
it_assert_eq 0 "$slow" "cancelled runs stopped cooperatively within 2 s of 5 ($quick)"
it_assert_match 'replaced by a newer run' "$(it_psql -c "SELECT string_agg(DISTINCT content, ',') FROM crontab_history WHERE crontab_id = $rid AND status = 'cancelled'")" \
	"a cancelled run says it was replaced"
it_assert_eq 0 "$(it_psql -c "SELECT count(*) FROM crontab_history a JOIN crontab_history b ON a.crontab_id = b.crontab_id
	AND a.id < b.id AND b.started < a.finished WHERE a.crontab_id = $rid AND a.started IS NOT NULL AND b.started IS NOT NULL")" \
	"replace: the new run started only after the old one stopped"
it_assert_eq 0 "$(it_psql -c "SELECT count(*) FROM dead_letter d JOIN crontab_history h ON h.job_id = d.job_id WHERE h.crontab_id = $rid")" \
	"a cancelled run is no dead letter"

# --- 4. retry policy ---------------------------------------------------------------------------
when=$(python3 -c "import datetime as d; print(d.datetime.fromtimestamp($(fake_now) + 30, d.timezone.utc).isoformat())")
create "{\"name\":\"flaky\",\"type\":\"once\",\"rule\":{\"runtime\":\"$when\"},\"job\":{\"type\":\"noop\",\"args\":{\"fail\":true,\"message\":\"boom\"},\"retry\":{\"max_attempts\":3,\"backoff_seconds\":1}}}"
fl=$cid
it_wait_for 20 sql_is = 3 "SELECT count(*) FROM crontab_history WHERE crontab_id = $fl AND status = 'failed'" &&
	it_ok "three attempts ran" || it_fail "retry: $(history "$fl")"
sleep 2
it_assert_eq "1:failed:boom 2:failed:boom 3:failed:boom|1" "$(it_psql -c "SELECT string_agg(attempt || ':' || status || ':' || content, ' ' ORDER BY attempt)
	|| '|' || count(DISTINCT scheduled_at) FROM crontab_history WHERE crontab_id = $fl")" \
	"one history row per attempt, for the same scheduled time, and no fourth"
read -r g1 g2 <<<"$(it_psql -F ' ' -c "SELECT extract(epoch FROM b.started - a.finished) >= 1, extract(epoch FROM c.started - b.finished) >= 2
	FROM crontab_history a, crontab_history b, crontab_history c WHERE a.crontab_id = $fl AND b.crontab_id = $fl AND c.crontab_id = $fl
	AND a.attempt = 1 AND b.attempt = 2 AND c.attempt = 3")"
it_assert_eq "t t" "$g1 $g2" "attempts wait their backoff (1 s, then 2 s)"

# --- 5. http.call ------------------------------------------------------------------------------
for u in "$SINK/evil" "$SINK/okevil" "http://127.0.0.2:1/ok" "file:///etc/passwd" "$SINK/ok@127.0.0.3/"; do
	api POST /api/crontabs "{\"name\":\"off the list\",\"type\":\"once\",\"rule\":{\"runtime\":\"2030-01-01T00:00:00Z\"},\"job\":{\"type\":\"http.call\",\"args\":{\"url\":\"$u\"}}}"
	it_assert_status 422 "http.call to $u is refused"
	it_assert_eq job.args.url "$(details)" "the 422 names job.args.url"
done
when=$(python3 -c "import datetime as d; print(d.datetime.fromtimestamp($(fake_now) + 30, d.timezone.utc).isoformat())")
create "{\"name\":\"call ok\",\"type\":\"once\",\"rule\":{\"runtime\":\"$when\"},\"job\":{\"type\":\"http.call\",\"args\":{\"url\":\"$SINK/ok/ping\",\"method\":\"POST\",\"body\":\"{\\\"hello\\\":1}\"},\"timeout\":5}}"
hok=$cid
create "{\"name\":\"call bad\",\"type\":\"once\",\"rule\":{\"runtime\":\"$when\"},\"job\":{\"type\":\"http.call\",\"args\":{\"url\":\"$SINK/bad\",\"method\":\"GET\"},\"timeout\":5}}"
hbad=$cid
it_wait_for 15 sql_is = 2 "SELECT count(*) FROM crontab_history WHERE crontab_id IN ($hok, $hbad) AND status IN ('success', 'failed')" ||
	it_fail "http.call did not finish: $(history "$hok") / $(history "$hbad")"
it_assert_eq 'success|HTTP 200: pong {"hello":1}' "$(it_psql -c "SELECT status || '|' || content FROM crontab_history WHERE crontab_id = $hok")" \
	"a 2xx answer is a success, its answer in the history"
it_assert_eq 'failed|HTTP 500: down for maintenance' "$(it_psql -c "SELECT status || '|' || content FROM crontab_history WHERE crontab_id = $hbad")" \
	"a 500 is a failure, its answer in the history"
it_assert_eq 'GET /bad |POST /ok/ping {"hello":1}' "$(python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]; print("|".join(sorted("%s %s %s" % (x["method"], x["path"], x["body"]) for x in r)))' "$IT_DIR/sink.log")" \
	"the sink got one POST with the body and one GET (in either order: two crontabs)"

# --- 6. stats, scope, action_log -----------------------------------------------------------------
# The system crontabs (fired every crontab minute here) stop, so that the counts stand still.
it_psql -c "UPDATE crontab SET enable = false WHERE is_system" >/dev/null
sleep 1
it_wait_for 10 sql_is = 0 "SELECT count(*) FROM crontab_history WHERE status IN ('pending', 'running', 'waiting')" ||
	it_fail "runs still open: $(it_psql -c "SELECT string_agg(crontab_id || ':' || status, ',') FROM crontab_history WHERE status IN ('pending', 'running', 'waiting')")"
api GET "/api/crontabs/stats?days=3"
it_assert_status 200 "stats"
want=$(it_psql -c "SELECT count(*) FILTER (WHERE status = 'success') || ' ' || count(*) FILTER (WHERE status = 'failed') || ' ' || count(*) FILTER (WHERE status = 'cancelled')
	FROM crontab_history WHERE created >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '2 days'")
it_assert_eq "3 $want $(date -u +%F)" "$(python3 -c 'import json,sys; o=json.load(sys.stdin); t=o["totals"]
print(len(o["items"]), t["success"], t["failed"], t["cancelled"], o["items"][-1]["day"])' <<<"$IT_BODY")" \
	"stats: 3 days, totals per status as in the history, today last"
it_psql -c "UPDATE crontab SET creator = (SELECT id FROM users WHERE login = '$user') WHERE id = $fl" >/dev/null
it_curl GET "/api/crontabs/stats?days=1" -H "Authorization: Bearer $utok"
it_assert_status 200 "a user may ask for stats"
it_assert_eq "3 0" "$(python3 -c 'import json,sys; t=json.load(sys.stdin)["totals"]; print(t["failed"], t["success"])' <<<"$IT_BODY")" \
	"a user's stats count only their own crontab's runs"
api GET "/api/crontabs?keyword=misfire&enable=false&page_size=2"
it_assert_eq "3 2" "$(python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["total"], len(o["items"]))' <<<"$IT_BODY")" \
	"the list filters by name and enable, paged"
api GET "/api/crontabs?last_state=failed&keyword=flaky"
it_assert_eq "1 $fl" "$(python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["total"], o["items"][0]["id"])' <<<"$IT_BODY")" \
	"and by last state"
api GET "/api/crontabs?last_state=bogus"
it_assert_status 400 "an unknown last state is refused"
api GET "/api/crontabs/stats?days=0"
it_assert_status 400 "days out of range"
it_assert_match 'crontab.create.*crontab.disable.*crontab.enable' "$(it_psql -c "SELECT string_agg(DISTINCT action, ',') FROM action_log WHERE target_type = 'crontab'")" \
	"changes are in action_log"

it_stop_runner TERM 20 >/dev/null
kill -TERM "$r1" 2>/dev/null
it_wait_exit "$r1" 20 >/dev/null
it_done
