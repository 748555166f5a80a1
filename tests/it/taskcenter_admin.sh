#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Task center, administration and the retry job:
#  1. POST /api/task-center/platforms/{id}/test: a signed ping (the sink verifies the
#     signature with the platform's secret) and the answer reported — delivered, a 410
#     rejected with its answer, a platform down (connection refused) and a 500 to retry;
#     404 for no platform, 403 for non-admins, action_log, no secret anywhere.
#  2. POST /api/task-center/logs/retry: the list's filters select failed, abandoned and
#     rejected rows, queued again and delivered exactly once; the count answered;
#     action_log; other statuses refused.
#  3. GET /api/task-center/status: per platform, the last 24 hours by state.
#  4. taskcenter.retry is a system crontab of its own (batch.recover rounds publish no
#     taskcenter.retry any more) and gives the tasks of the last 3 days of non-test
#     versions that have no row for an enabled platform their events, in chunks (2,500
#     tasks), a platform added later too; older tasks and test versions are left alone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/taskcenter_fixture.sh"

export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1

bf_own_db
it_sql "UPDATE crontab SET enable = false WHERE system_key = 'taskcenter.retry'" >/dev/null
bf_users
bf_app "平台管理"
it_start_web
it_start_nginx
S_OK=sec-ok-$RANDOM$RANDOM$RANDOM S_GONE=sec-gone-$RANDOM$RANDOM S_BULK=sec-bulk-$RANDOM$RANDOM
S_SW=sec-sweep-$RANDOM$RANDOM S_LATE=sec-late-$RANDOM$RANDOM
tc_sink_start "{\"/ok\":{\"mode\":\"ok\",\"secret\":\"$S_OK\"},\"/gone\":{\"mode\":\"410\",\"secret\":\"$S_GONE\"},
\"/dead\":{\"mode\":\"500\",\"secret\":\"x\"},\"/bulk\":{\"mode\":\"ok\",\"secret\":\"$S_BULK\"},
\"/sweep\":{\"mode\":\"ok\",\"secret\":\"$S_SW\"},\"/late\":{\"mode\":\"ok\",\"secret\":\"$S_LATE\"}}"
it_start_runner

admin() { # METHOD PATH [JSON]
	if [[ -n ${3:-} ]]; then
		it_curl "$1" "$2" -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data-binary "$3"
	else
		it_curl "$1" "$2" -H "Authorization: Bearer $BF_ME_TOKEN"
	fi
}
it_sql "UPDATE users SET is_admin = true WHERE login = :'l'" l="$BF_ME" >/dev/null

# --- 1. test ping ------------------------------------------------------------------------------
P_OK=$(platform ok "$S_OK" true 5000 4)
P_GONE=$(platform gone "$S_GONE" false 5000 4)
P_DEAD=$(platform dead x true 5000 4)
FREE_PORT=$(svc_pick_port)
P_DOWN=$(it_sql "INSERT INTO task_center_platform (name, url, secret, connect_timeout_ms, timeout_ms)
	VALUES ('down ' || :'t', :'u', 'sec-down-0123456789', 500, 2000) RETURNING id" t="$BF_TAG" u="http://127.0.0.1:$FREE_PORT/down")

it_curl POST "/api/task-center/platforms/$P_OK/test" -H "Authorization: Bearer $BF_OTHER_TOKEN"
it_assert_status 403 "a non-admin may not test a platform"
admin POST "/api/task-center/platforms/$P_OK/test"
it_assert_eq "200 delivered 200 ok" "$IT_STATUS $(it_json outcome <<<"$IT_BODY") $(it_json status <<<"$IT_BODY") $(it_json answer <<<"$IT_BODY")" \
	"ping to a platform that answers 200: delivered, status and answer reported"
WID=$(it_json webhook_id <<<"$IT_BODY")
secs=$(it_json seconds <<<"$IT_BODY")
it_assert_match '^msg_tc_ping_'"$P_OK"'_[0-9a-f]{16}$' "$WID" "a webhook id of its own"
it_assert_eq "True" "$($PY -c "import sys; print(0 <= float(sys.argv[1]) < 5)" "$secs")" "the time of the request is reported ($secs s)"
it_assert_eq "1 True ping $P_OK ok $BF_TAG True" \
	"$(sink_q 'len([x for x in r if x["id"] == "'"$WID"'"]), next(x["sig_ok"] for x in r if x["id"] == "'"$WID"'"), next(x["body"]["event"] for x in r if x["id"] == "'"$WID"'"), next(x["body"]["platform"]["id"] for x in r if x["id"] == "'"$WID"'"), next(x["body"]["platform"]["name"] for x in r if x["id"] == "'"$WID"'"), "occurred_at" in next(x["body"] for x in r if x["id"] == "'"$WID"'")')" \
	"the sink got one ping, signed with the platform's secret: {event: ping, platform: {id, name}, occurred_at}"

admin POST "/api/task-center/platforms/$P_GONE/test"
it_assert_eq "200 rejected 410 gone: platform retired|HTTP 410: gone: platform retired" \
	"$IT_STATUS $(it_json outcome <<<"$IT_BODY") $(it_json status <<<"$IT_BODY") $(it_json answer <<<"$IT_BODY")|$(it_json reason <<<"$IT_BODY")" \
	"a disabled platform answering 410 is still tested: rejected, with its answer"
it_assert_eq "True" "$(sink_q 'all(x["sig_ok"] for x in r if x["path"] == "/gone")')" "signed with its own secret"
admin POST "/api/task-center/platforms/$P_DOWN/test"
it_assert_eq "200 retry null" "$IT_STATUS $(it_json outcome <<<"$IT_BODY") $(it_json status <<<"$IT_BODY")" \
	"a platform down (nothing listens): retry, no status"
it_assert_match 'onnect' "$(it_json reason <<<"$IT_BODY")" "the reason names the connection"
admin POST "/api/task-center/platforms/$P_DEAD/test"
it_assert_eq "200 retry 500" "$IT_STATUS $(it_json outcome <<<"$IT_BODY") $(it_json status <<<"$IT_BODY")" "a 500: retry"
admin POST "/api/task-center/platforms/999999999/test"
it_assert_status 404 "no such platform"
it_assert_eq "4|delivered,rejected,retry,retry" "$(it_sql "SELECT count(*), string_agg(detail->>'outcome', ',' ORDER BY id)
	FROM action_log WHERE action = 'taskcenter.platform.test'")" "every test in action_log with its outcome"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_center_log")" "a ping writes no outbox row"

# --- 2. bulk retry of a filter ----------------------------------------------------------------
P_BULK=$(platform bulk "$S_BULK" true 5000 4)
mapfile -t T < <(bf_tasks "$BF_N2" "$BF_ME_ID" 14)
# Older than the sweep's 3 days: only the rows planted here concern them.
it_sql "UPDATE tasks SET created = created - interval '4 days' WHERE id = ANY (:'ids'::bigint[])" ids="$(bf_arr_sql "${T[@]}")" >/dev/null
plant() { # PLATFORM STATUS TASK...
	local p=$1 s=$2
	shift 2
	it_sql "INSERT INTO task_center_log (task_id, platform_id, event, webhook_id, status, failed_at, next_at, retry_count)
		SELECT t, :p, 'create', 'msg_tc_' || t || '_' || :p || '_create', :'s',
		CASE WHEN :'s' IN ('failed', 'abandoned') THEN now() END, now() + interval '1 hour',
		CASE WHEN :'s' = 'abandoned' THEN 3 ELSE 0 END
		FROM unnest(:'ids'::bigint[]) t" p="$p" s="$s" ids="$(bf_arr_sql "$@")" >/dev/null
}
plant "$P_BULK" abandoned "${T[@]:0:5}"
plant "$P_BULK" rejected "${T[@]:5:3}"
plant "$P_BULK" failed "${T[@]:8:2}"
plant "$P_BULK" delivered "${T[@]:10:4}"
plant "$P_OK" abandoned "${T[@]:0:2}"
admin POST "/api/task-center/logs/retry?platform=$P_BULK&status=delivered"
it_assert_status 400 "only failed, abandoned or rejected rows are pushed again"
admin POST "/api/task-center/logs/retry?platform=$P_BULK&page=2"
it_assert_status 400 "no paging in a bulk retry"
it_curl POST "/api/task-center/logs/retry" -H "Authorization: Bearer $BF_OTHER_TOKEN"
it_assert_status 403 "for administrators"
admin POST "/api/task-center/logs/retry?platform=$P_BULK&status=abandoned&since=1h"
it_assert_eq "202 5" "$IT_STATUS $(it_json queued <<<"$IT_BODY")" "the abandoned rows of the platform queued again (5)"
bulk_n() { [[ $(n_status "$P_BULK" delivered) == "$1" ]]; }
it_wait_for 20 bulk_n 9 || it_fail "bulk: $(st "$P_BULK")"
it_assert_eq "delivered=9 failed=2 rejected=3" "$(st "$P_BULK")" "they were delivered; the rest untouched"
it_assert_eq "abandoned=2" "$(st "$P_OK")" "another platform's rows untouched"
admin POST "/api/task-center/logs/retry?platform=$P_BULK"
it_assert_eq "202 5" "$IT_STATUS $(it_json queued <<<"$IT_BODY")" "no status: the failed and rejected ones (5)"
it_wait_for 20 bulk_n 14 || it_fail "bulk: $(st "$P_BULK")"
it_assert_eq "delivered=14" "$(st "$P_BULK")" "everything delivered"
it_assert_eq "10 10 0" "$(sink_q 'len([x for x in r if x["path"] == "/bulk"]), len({x["id"] for x in r if x["path"] == "/bulk"}), sum(1 for x in r if x["path"] == "/bulk" and not x["sig_ok"])')" \
	"the platform got each of the 10 exactly once, signed"
it_assert_eq "0" "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p AND retry_count <> 0" p="$P_BULK")" "retries reset"
admin POST "/api/task-center/logs/retry?task_id=${T[0]}"
it_assert_eq "202 1" "$IT_STATUS $(it_json queued <<<"$IT_BODY")" "by task: the other platform's abandoned row of that task"
it_assert_eq '3 {"queued": 5, "status": "abandoned", "platform": '"$P_BULK"', "since_seconds": 3600}' \
	"$(it_sql "SELECT count(*) FROM action_log WHERE action = 'taskcenter.logs.retry'") $(it_sql "SELECT detail FROM action_log WHERE action = 'taskcenter.logs.retry' ORDER BY id LIMIT 1")" \
	"each bulk retry in action_log with its filter and count"

# --- 3. delivery status of the last 24 hours ------------------------------------------------
it_sql "UPDATE task_center_log SET created = now() - interval '25 hours' WHERE platform_id = :p AND task_id = :t" p="$P_BULK" t="${T[13]}" >/dev/null
it_sql "UPDATE task_center_log SET status = 'failed', failed_at = now(), next_at = now() + interval '1 hour' WHERE platform_id = :p AND task_id = :t" p="$P_BULK" t="${T[12]}" >/dev/null
ok_row() { [[ $(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p AND status = 'delivered'" p="$P_OK") == 1 ]]; }
it_wait_for 20 ok_row
admin GET /api/task-center/status
it_assert_eq "200 12 0 1 0 0" "$IT_STATUS $($PY -c 'import json,sys; p=next(x for x in json.load(sys.stdin)["items"] if x["id"] == int(sys.argv[1])); print(p["delivered"], p["pending"], p["failing"], p["rejected"], p["abandoned"])' "$P_BULK" <<<"$IT_BODY")" \
	"bulk: 12 delivered, 1 failing in the last 24 h (the row of 25 h ago is not counted)"
it_assert_eq "1 0 0 0 1 false" "$($PY -c 'import json,sys; b=json.load(sys.stdin)["items"]; p=next(x for x in b if x["id"] == int(sys.argv[1])); g=next(x for x in b if x["id"] == int(sys.argv[2])); print(p["delivered"], p["pending"], p["failing"], p["rejected"], p["abandoned"], str(g["enabled"]).lower())' "$P_OK" "$P_GONE" <<<"$IT_BODY")" \
	"ok: 1 delivered, 1 abandoned; every platform listed, disabled ones too"
it_curl GET /api/task-center/status -H "Authorization: Bearer $BF_OTHER_TOKEN"
it_assert_status 403 "for administrators"

# --- 4. taskcenter.retry: its own crontab; the sweep of tasks without rows -------------------
it_assert_eq "t|taskcenter.retry|low|* * * * *" "$(it_sql "SELECT is_system, job->>'type', job->>'stream', rule->'cron'->>0 FROM crontab WHERE system_key = 'taskcenter.retry'")" \
	"a system crontab every minute runs taskcenter.retry"
recovered() { [[ $(it_sql "SELECT count(*) FROM job_runs WHERE type = 'batch.recover' AND status = 'done'") -ge 3 ]]; }
it_wait_for 20 recovered || it_fail "batch.recover does not run"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM job_runs WHERE type = 'taskcenter.retry'")" \
	"batch.recover rounds publish no taskcenter.retry (its crontab is off here)"

# Platforms: none for /sweep yet.  Tasks: 1,250 sessions with a done task and a pending
# one (2,500 tasks, 3 chunks), 10 of them 4 days old, and 20 of a test version.
it_sql "UPDATE task_center_platform SET enabled = false WHERE id IN (:a, :b, :c, :d)" a="$P_OK" b="$P_DEAD" c="$P_DOWN" d="$P_BULK" >/dev/null
P_SW=$(platform sweep "$S_SW" true 5000 16)
mapfile -t NEW < <(bf_tasks "$BF_N2" "$BF_ME_ID" 1250 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
it_sql "UPDATE tasks SET created = now() - interval '4 days' WHERE session_id IN
	(SELECT session_id FROM tasks WHERE id = ANY (:'ids'::bigint[]))" ids="$(bf_arr_sql "${NEW[@]:0:5}")" >/dev/null
AV_MAIN=$BF_AV N2_MAIN=$BF_N2
bf_app "测试版本"
it_sql "UPDATE app_versions SET is_test = true WHERE id = :v" v="$BF_AV" >/dev/null
mapfile -t TESTV < <(bf_tasks "$BF_N2" "$BF_ME_ID" 20)
want=$(it_sql "SELECT count(*) + count(*) FILTER (WHERE t.state = 'done') FROM tasks t JOIN nodes n ON n.id = t.node_id
	WHERE n.app_version_id = :v AND t.created >= now() - interval '3 days'" v="$AV_MAIN")
it_assert_eq 3735 "$want" "expected: a create for each of the 2,490 recent tasks and a done for the 1,245 done ones"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p" p="$P_SW")" "nothing yet"
tc_retry_every 1
swept() { [[ $(n_status "$P_SW" delivered) == "$1" ]]; }
if it_wait_for 60 swept "$want"; then
	it_ok "the retry job gave the tasks without rows their $want events, all delivered"
else
	it_fail "sweep: $(st "$P_SW") of $want"
fi
it_assert_eq "0|0" "$(it_sql "SELECT count(*) FILTER (WHERE t.created < now() - interval '3 days'), count(*) FILTER (WHERE n.app_version_id <> :v)
	FROM task_center_log l JOIN tasks t ON t.id = l.task_id JOIN nodes n ON n.id = t.node_id WHERE l.platform_id = :p" p="$P_SW" v="$AV_MAIN")" \
	"none for tasks older than 3 days or of a test version"
it_assert_eq "$want $want 0" "$(sink_q 'len([x for x in r if x["path"] == "/sweep"]), len({x["id"] for x in r if x["path"] == "/sweep"}), sum(1 for x in r if x["path"] == "/sweep" and not x["sig_ok"])')" \
	"each reached the platform once, signed"
it_assert_eq "0" "$(sink_q 'sum(1 for d in r if d["path"] == "/sweep" and d["event"] == "done" and not any(c["path"] == "/sweep" and c["event"] == "create" and c["task"] == d["task"] and c["t"] <= d["t"] for c in r))')" \
	"a done never before its create"
it_assert_match '^[1-9]' "$(it_sql "SELECT count(*) FROM crontab_history h JOIN crontab c ON c.id = h.crontab_id
	WHERE c.system_key = 'taskcenter.retry' AND h.status = 'success'")" "the crontab fired and its jobs succeeded"
grep -q '"more":1' "$IT_RUNNER_LOG" && it_fail "the sweep needed more than one run" || it_ok "one run walked all 3 chunks"
P_LATE=$(platform late "$S_LATE" true 5000 16)
late() { [[ $(n_status "$P_LATE" delivered) == "$want" ]]; }
if it_wait_for 60 late; then
	it_ok "a platform added later gets the same $want events"
else
	it_fail "late platform: $(st "$P_LATE") of $want"
fi
it_assert_eq "$want" "$(n_status "$P_SW" delivered)" "and the first platform nothing more"
it_assert_eq 0 "$(cat "$IT_DIR"/web.log "$IT_DIR"/runner.*.log | grep -c -F -e "$S_OK" -e "$S_GONE" -e "$S_BULK" -e "$S_SW" -e sec-down-0123456789)" \
	"no secret in any log"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM action_log WHERE detail::text LIKE '%sec-%'")" "nor in action_log"
it_done
