#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Task center: batch approvals push their to-do changes to platforms through the outbox.
# A sink of the test's own (Python http.server on loopback) verifies every signature with
# the platform's secret and records what it received; one path per platform answers as
# the scenario says: at once, slowly, 500, never in time, 429 with Retry-After, 400.
# Checked: one done per approved task and one create per next task per enabled platform
# (none for a disabled one), the request body, order per task, the per-platform
# concurrency limit and a slow platform not holding the others back, 400 rejected without
# retry, failures retried after retry_interval (with jitter; Retry-After honoured) and
# then delivered, abandoned at max_retries, and exactly-once per webhook-id with a runner
# killed with -9 mid-push (redeliveries with the same id counted and bounded).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/taskcenter_fixture.sh"

# Retry rounds every second (its system crontab, sped up) and no sweep of tasks without
# rows: the tasks this test makes by SQL have none on purpose (reconcile is tested on them).
export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1 FLOWBATCH_TASKCENTER_SWEEP_DAYS=0
TASK_URL='https://flow.example/#/task/'

bf_own_db
tc_retry_every 1
bf_users
bf_app "待办推送"
it_start_web
it_start_nginx

# --- the sink ----------------------------------------------------------------------------
S_OK=sec-ok-$RANDOM$RANDOM S_DOWN=sec-down-$RANDOM S_HANG=sec-hang-$RANDOM S_REJ=sec-rej-$RANDOM
S_429=sec-429-$RANDOM S_SLOW=sec-slow-$RANDOM S_DEAD=sec-dead-$RANDOM S_KILL=sec-kill-$RANDOM
ctl_json() { # MODE_DOWN MODE_HANG
	printf '{"/ok":{"mode":"ok","secret":"%s"},"/down":{"mode":"%s","secret":"%s"},
"/hang":{"mode":"%s","secret":"%s","delay":1.0},"/rej":{"mode":"400","secret":"%s"},
"/r429":{"mode":"429once","after":150,"secret":"%s"},"/slow":{"mode":"slow","delay":0.25,"secret":"%s"},
"/dead":{"mode":"500","secret":"%s"},"/kill":{"mode":"slow","delay":0.1,"secret":"%s"},
"/off":{"mode":"ok","secret":"x"}}' \
		"$S_OK" "$1" "$S_DOWN" "$2" "$S_HANG" "$S_REJ" "$S_429" "$S_SLOW" "$S_DEAD" "$S_KILL"
}
tc_sink_start "$(ctl_json 500 hang)"

P_OK=$(platform ok "$S_OK" true 5000 4)
P_DOWN=$(platform down "$S_DOWN" true 5000 4)
P_HANG=$(platform hang "$S_HANG" true 300 16)
P_REJ=$(platform rej "$S_REJ" true 5000 4)
P_429=$(platform r429 "$S_429" true 5000 4)
P_SLOW=$(platform slow "$S_SLOW" true 5000 2)
P_DEAD=$(platform dead "$S_DEAD" true 5000 8)
P_OFF=$(platform off x false 5000 4)
it_sql "UPDATE task_center_config SET max_retries = 2, retry_interval_minutes = 1" >/dev/null

quiet() { # nothing to send now
	[[ $(it_sql "SELECT count(*) FROM task_center_log WHERE status IN ('queued', 'sending')
		OR (status = 'failed' AND next_at <= now())") == 0 ]]
}
failed_n() { # PLATFORM N
	[[ $(n_status "$1" failed) == "$2" ]]
}
time_travel() { # every failed row is due as if its interval had passed
	it_sql "UPDATE task_center_log SET failed_at = failed_at - interval '5 minutes',
		next_at = next_at - interval '5 minutes' WHERE status = 'failed'" >/dev/null
}

it_start_runner FLOWBATCH_TASKCENTER_TASK_URL="$TASK_URL"

# --- batch 1: 30 approvals at node 2 → done for each, create for each next task ------------
bf_submit_approve 30
B1=$BF_BATCH
bf_wait_settled "$B1" 30
mapfile -t NEXT < <(it_sql "SELECT id FROM tasks WHERE node_id = :n3 AND state = 'pending' ORDER BY id" n3="$BF_N3")
it_assert_eq 30 "${#NEXT[@]}" "30 next tasks"
# --- batch 2: the reviewer approves the 30 next tasks (last node) → done for each ----------
REV_TOKEN=$(it_token "$BF_REVIEWER") || it_bail token
bf_submit "$REV_TOKEN" "{\"node_id\":$BF_N3,\"task_ids\":$(bf_ids_json "${NEXT[@]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "the reviewer's batch submitted"
B2=$BF_BATCH
bf_wait_settled "$B2" 30

it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p" p="$P_OFF")" \
	"a disabled platform gets no rows"
it_assert_eq "create=30 done=60" "$(it_sql "SELECT string_agg(event || '=' || n, ' ' ORDER BY event) FROM
	(SELECT event, count(*) n FROM task_center_log WHERE platform_id = :p GROUP BY 1) x" p="$P_OK")" \
	"per platform: a done per approved task (60), a create per next task (30)"
it_assert_eq 630 "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id IN
	(:a, :b, :c, :d, :e, :f, :g)" a="$P_OK" b="$P_DOWN" c="$P_HANG" d="$P_REJ" e="$P_429" f="$P_SLOW" g="$P_DEAD")" \
	"90 rows for each of the 7 enabled platforms"

if it_wait_for 20 all_delivered "$P_OK" 90; then
	it_ok "the immediate platform has all 90 delivered"
	slow_done=$(n_status "$P_SLOW" delivered)
	if ((slow_done < 90)); then
		it_ok "meanwhile the slow platform (2 at a time, 0.25 s each) has only $slow_done: it holds back no one"
	else
		it_fail "the slow platform was already done: the scenario shows nothing"
	fi
else
	it_fail "the immediate platform: $(st "$P_OK")"
fi
it_assert_eq "90 90 0" "$(sink_q 'len([x for x in r if x["path"] == "/ok"]), len({x["id"] for x in r if x["path"] == "/ok"}), len([x for x in r if not x["sig_ok"]])')" \
	"ok: 90 requests, 90 distinct webhook-ids; every signature verifies with the platform's secret"
it_assert_eq "True" "$(sink_q '[x for x in r if x["path"] == "/ok" and x["event"] == "done"][0]["body"]["task"]["url"].startswith("'"$TASK_URL"'")')" \
	"the task url is taskcenter.task_url + the id"
it_assert_eq "['assignee', 'created', 'due', 'id', 'node', 'session_id', 'state', 'title', 'url'] ['event', 'occurred_at', 'task'] done" \
	"$(sink_q 'sorted(next(x for x in r if x["path"] == "/ok" and x["event"] == "done")["body"]["task"].keys()), sorted(next(x for x in r if x["path"] == "/ok")["body"].keys()), next(x for x in r if x["path"] == "/ok" and x["event"] == "done")["body"]["task"]["state"]')" \
	"the body: event, task{id, session_id, title, node, assignee, state, url, created, due}, occurred_at"
it_assert_eq "$BF_REVIEWER 财务复核" "$(sink_q 'next((x["body"]["task"]["assignee"] + " " + x["body"]["task"]["node"]) for x in r if x["path"] == "/ok" and x["event"] == "create")')" \
	"a create names the next task's assignee login and node"

it_wait_for 30 settled "$P_SLOW" 90
it_assert_eq "delivered=90" "$(st "$P_SLOW")" "the slow platform got everything"
it_assert_eq 2 "$(sink_q 'max(x["inflight"] for x in r if x["path"] == "/slow")')" \
	"the slow platform never had more than its max_concurrency (2) requests at once"

# 400: rejected, reason kept, never retried.
it_wait_for 20 settled "$P_REJ" 90
it_assert_eq "rejected=90" "$(st "$P_REJ")" "400 → rejected"
it_assert_eq "HTTP 400: bad task 任务" "$(it_sql "SELECT DISTINCT result FROM task_center_log WHERE platform_id = :p" p="$P_REJ")" \
	"the reason is kept"

# 500 and timeouts: failed, next try retry_interval (60 s) later with up to 20 % jitter.
it_wait_for 30 failed_n "$P_DOWN" 60
it_wait_for 30 failed_n "$P_HANG" 60
sleep 0.5
it_assert_eq "60 60" "$(n_status "$P_DOWN" failed) $(n_status "$P_HANG" failed)" \
	"500 and timeouts failed (60 each; the 30 done of the next tasks wait behind their create)"
it_assert_eq "30 0" "$(n_status "$P_DOWN" queued) $(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p AND status = 'queued' AND event = 'create'" p="$P_DOWN")" \
	"what waits behind a failed create is a done"
it_assert_eq "t|t" "$(it_sql "SELECT bool_and(next_at - failed_at BETWEEN interval '60 s' AND interval '72.5 s'),
	count(DISTINCT next_at - failed_at) > 1 FROM task_center_log WHERE platform_id IN (:a, :b) AND status = 'failed'" a="$P_DOWN" b="$P_HANG")" \
	"next try between 60 and 72 s after the failure, spread by jitter"
it_assert_match 'Timeout' "$(it_sql "SELECT result FROM task_center_log WHERE platform_id = :p AND status = 'failed' LIMIT 1" p="$P_HANG")" \
	"a timeout is the reason of the hanging platform"
it_assert_eq "HTTP 500: down for maintenance" "$(it_sql "SELECT DISTINCT result FROM task_center_log WHERE platform_id = :p AND status = 'failed'" p="$P_DOWN")" \
	"a 500 keeps its answer"
it_wait_for 20 settled "$P_429" 90
it_assert_eq "t" "$(it_sql "SELECT next_at - failed_at >= interval '150 s' FROM task_center_log WHERE platform_id = :p AND status = 'failed'" p="$P_429")" \
	"429 with Retry-After: 150 → next try at least 150 s later"
sleep 3
it_assert_eq "60 60 1 0" "$(n_status "$P_DOWN" failed) $(n_status "$P_HANG" failed) $(n_status "$P_429" failed) $(it_sql "SELECT count(*) FROM task_center_log WHERE retry_count > 0")" \
	"three retry rounds later nothing is retried before its time"

# The platforms come back; the intervals pass.
sink_ctl "$(ctl_json ok ok)"
round=0
while ((round < 8)); do
	round=$((round + 1))
	time_travel
	sleep 1
	it_wait_for 20 quiet
	[[ $(it_sql "SELECT count(*) FROM task_center_log WHERE status = 'failed'") == 0 ]] && break
done
echo "# retry rounds: $round"
for p in "$P_DOWN" "$P_HANG" "$P_429"; do
	it_assert_eq "delivered=90" "$(st "$p")" "platform $p: everything delivered after the retries"
done
for path in /down /hang /r429; do
	it_assert_eq "90 True" "$(sink_q 'len({x["id"] for x in r if x["path"] == "'$path'" and x["code"] == 200}), all(len([1 for y in r if y["path"] == "'$path'" and y["id"] == i and y["code"] == 200]) == 1 for i in {x["id"] for x in r if x["path"] == "'$path'"})')" \
		"$path: 90 distinct webhook-ids accepted, each exactly once"
	it_assert_eq "0" "$(sink_q 'sum(1 for d in r if d["path"] == "'$path'" and d["event"] == "done" and not any(c["path"] == "'$path'" and c["event"] == "create" and c["task"] == d["task"] and c["code"] == 200 and c["t"] <= d["t"] for c in r) and any(c["path"] == "'$path'" and c["event"] == "create" and c["task"] == d["task"] for c in r))')" \
		"$path: no done was sent before its task's create was accepted"
done
it_assert_eq "abandoned=90" "$(st "$P_DEAD")" "a platform that always fails: abandoned at max_retries"
it_assert_eq "90 {3}" "$(sink_q 'len({x["id"] for x in r if x["path"] == "/dead"}), {len([1 for y in r if y["path"] == "/dead" and y["id"] == i]) for i in {x["id"] for x in r if x["path"] == "/dead"}}')" \
	"each of its 90 events was tried 1 + max_retries (2) times"
it_assert_eq "2" "$(it_sql "SELECT DISTINCT retry_count FROM task_center_log WHERE platform_id = :p" p="$P_DEAD")" \
	"retry_count = max_retries"
it_assert_eq "rejected=90" "$(st "$P_REJ")" "the rejected rows were never retried"
it_assert_eq 90 "$(sink_q 'len([x for x in r if x["path"] == "/rej"])')" "the 400 platform saw each event once"
it_assert_eq 0 "$(grep -c -F -e "$S_OK" -e "$S_DEAD" -e "$S_KILL" "$IT_RUNNER_LOG")" "no secret in the runner's log"

# --- kill -9 of the runner in the middle of a push ------------------------------------------
it_sql "UPDATE task_center_platform SET enabled = false WHERE url LIKE :'s' || '%'" s="$SINK" >/dev/null
P_KILL=$(platform kill "$S_KILL" true 1000 4)
bf_submit_approve 60
B3=$BF_BATCH
kill_seen() { [[ $(sink_q 'len([x for x in r if x["path"] == "/kill"])') -ge 20 ]]; }
it_wait_for 30 kill_seen || it_fail "no push to the kill platform started"
kill -KILL "$IT_RUNNER_PID"
wait "$IT_RUNNER_PID" 2>/dev/null
IT_RUNNER_PID=
before=$(sink_q 'len([x for x in r if x["path"] == "/kill"])')
echo "# killed the runner after $before requests to /kill"
it_start_runner FLOWBATCH_TASKCENTER_TASK_URL="$TASK_URL"
bf_wait_settled "$B3" 40
if it_wait_for 60 all_delivered "$P_KILL" 120; then
	it_ok "after kill -9 every event reached the platform (120)"
else
	it_fail "after kill -9: $(st "$P_KILL")"
fi
read -r total distinct <<<"$(sink_q 'len([x for x in r if x["path"] == "/kill"]), len({x["id"] for x in r if x["path"] == "/kill"})')"
echo "# kill -9: $total requests for $distinct distinct webhook-ids"
it_assert_eq 120 "$distinct" "120 distinct webhook-ids: nothing lost"
if ((total - distinct <= 4)); then
	it_ok "redeliveries with the same webhook-id ($((total - distinct))) within the 4 in flight at the kill"
else
	it_fail "$((total - distinct)) redeliveries, more than the 4 that can be in flight"
fi

# --- reconcile -------------------------------------------------------------------------------
# The tasks made by SQL (and those from before the platform existed) have no create for it:
# reconcile gives every task of the window its create, and its done when it is done.
n_rec=$(it_ctl taskcenter reconcile --since 1d --platform "$P_KILL" 2>/dev/null | wc -l)
n_exp=$(it_sql "SELECT count(*) + count(*) FILTER (WHERE state = 'done') - 120 FROM tasks")
it_assert_eq "$n_exp" "$n_rec" "reconcile queued a create per task and a done per done task, less the 120 there"
if it_wait_for 60 all_delivered "$P_KILL" $((n_rec + 120)); then
	it_ok "all $n_rec reached the platform"
else
	it_fail "after the first reconcile: $(st "$P_KILL")"
fi
# Rows deleted by SQL and an abandoned row are queued again, and nothing else.
mapfile -t GONE < <(it_sql "SELECT id FROM task_center_log WHERE platform_id = :p ORDER BY id DESC LIMIT 4" p="$P_KILL")
mark=$(sink_q 'len(r)')
LOST=$(it_sql "SELECT id FROM task_center_log WHERE platform_id = :p AND event = 'done' ORDER BY id LIMIT 1" p="$P_KILL")
want=$(it_sql "SELECT task_id || ' ' || platform_id || ' ' || event FROM task_center_log
	WHERE id = ANY (:'ids'::bigint[]) ORDER BY task_id, event = 'done', event" ids="{$(IFS=,; echo "${GONE[*]},$LOST")}")
it_sql "UPDATE tasks SET created = created - interval '2 days' WHERE id NOT IN
	(SELECT task_id FROM task_center_log WHERE id = ANY (:'ids'::bigint[]))" ids="{$(IFS=,; echo "${GONE[*]},$LOST")}" >/dev/null
it_sql "DELETE FROM task_center_log WHERE id = ANY (:'ids'::bigint[])" ids="{$(IFS=,; echo "${GONE[*]}")}" >/dev/null
it_sql "UPDATE task_center_log SET status = 'abandoned', retry_count = 2 WHERE id = :i" i="$LOST" >/dev/null
got=$(it_ctl taskcenter reconcile --since 1d --platform "$P_KILL" --dry-run 2>"$IT_DIR/reconcile.err")
it_assert_eq "$want" "$got" "reconcile --dry-run lists the 4 deleted events and the abandoned one"
it_assert_eq "$((n_rec + 116)) abandoned=1 delivered=$((n_rec + 115))" "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p" p="$P_KILL") $(st "$P_KILL")" \
	"--dry-run changed nothing"
it_assert_eq "" "$(it_ctl taskcenter reconcile --since 1d --platform "$P_OFF" --dry-run 2>/dev/null)" \
	"a disabled platform is left alone"
got=$(it_ctl taskcenter reconcile --since 1d 2>>"$IT_DIR/reconcile.err")
it_assert_eq "$want" "$got" "reconcile queues the same 5"
if it_wait_for 30 all_delivered "$P_KILL" $((n_rec + 120)); then
	it_ok "the 5 reached the platform"
else
	it_fail "after reconcile: $(st "$P_KILL")"
fi
it_assert_eq "$(sort <<<"$want" | awk '{print $3 "/" $1}' | sort | paste -sd' ')" \
	"$(sink_q '" ".join(sorted("%s/%s" % (x["event"], x["task"]) for x in r['"$mark"':]))')" \
	"the sink received exactly those after the mark"
it_assert_eq "0 0" "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p AND status <> 'delivered'" p="$P_KILL") $(it_ctl taskcenter reconcile --since 1d 2>/dev/null | wc -l)" \
	"a second reconcile finds nothing"

# --- admin API: config, logs, push again ----------------------------------------------------
admin() { # METHOD PATH [JSON]
	if [[ -n ${3:-} ]]; then
		it_curl "$1" "$2" -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data-binary "$3"
	else
		it_curl "$1" "$2" -H "Authorization: Bearer $BF_ME_TOKEN"
	fi
}
admin GET "/api/task-center/logs"
it_assert_status 403 "the task-center API is for administrators"
it_sql "UPDATE users SET is_admin = true WHERE login = :'l'" l="$BF_ME" >/dev/null
admin GET /api/task-center/config
it_assert_eq '2 1' "$(it_json max_retries <<<"$IT_BODY") $(it_json retry_interval_minutes <<<"$IT_BODY")" "GET config"
admin PUT /api/task-center/config '{"max_retries":5}'
it_assert_eq '200 5 1' "$IT_STATUS $(it_json max_retries <<<"$IT_BODY") $(it_json retry_interval_minutes <<<"$IT_BODY")" \
	"PUT config changes only what it names"
admin PUT /api/task-center/config '{"retry_interval_minutes":0}'
it_assert_status 422 "retry_interval_minutes 0 is refused"
admin PUT /api/task-center/config '{"max_retries":3,"typo":1}'
it_assert_match '^4' "$IT_STATUS" "an unknown member is refused"
it_assert_eq "5 1" "$(it_sql "SELECT max_retries || ' ' || retry_interval_minutes FROM task_center_config")" \
	"refused changes change nothing"
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM action_log WHERE action = 'taskcenter.config.set'")" \
	"the change is in action_log"
admin GET "/api/task-center/logs?platform=$P_REJ&status=rejected&page=2&page_size=10"
it_assert_eq "200 90 10 2 HTTP 400: bad task 任务" "$IT_STATUS $(it_json total <<<"$IT_BODY") $(it_json items <<<"$IT_BODY" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))') $(it_json page <<<"$IT_BODY") $(it_json items.0.result <<<"$IT_BODY")" \
	"logs filtered by platform and status, paged"
admin GET "/api/task-center/logs?task_id=${NEXT[0]}&since=1h"
it_assert_eq "200 16" "$IT_STATUS $(it_json total <<<"$IT_BODY")" "logs of one task: create and done on the 7 platforms and the reconciled one"
admin GET "/api/task-center/logs?page_size=500"
all_logs=$IT_BODY
it_assert_eq 0 "$(grep -c -F -e "$S_OK" -e "$S_DEAD" -e "$S_KILL" -e "$S_REJ" <<<"$all_logs")" "no secret in the logs API"
admin GET "/api/task-center/logs?since=3x"
it_assert_status 400 "a malformed since"
admin GET "/api/task-center/logs?status=pending"
it_assert_status 400 "an unknown status"
ROW=$(it_sql "UPDATE task_center_log SET status = 'rejected', result = 'HTTP 410: gone' WHERE id =
	(SELECT max(id) FROM task_center_log WHERE platform_id = :p) RETURNING id" p="$P_KILL")
mark=$(sink_q 'len(r)')
admin POST "/api/task-center/logs/$ROW/retry"
it_assert_status 202 "a rejected row pushed again"
row_delivered() { [[ $(it_sql "SELECT status FROM task_center_log WHERE id = :i" i="$ROW") == delivered ]]; }
it_wait_for 20 row_delivered && it_ok "it was delivered" || it_fail "row $ROW: $(it_sql "SELECT status FROM task_center_log WHERE id = :i" i="$ROW")"
it_assert_eq 1 "$(sink_q 'len(r['"$mark"':])')" "the platform got it once more"
admin POST "/api/task-center/logs/$ROW/retry"
it_assert_status 409 "a delivered row is not pushed again"
admin POST "/api/task-center/logs/999999999/retry"
it_assert_status 404 "no such row"
it_assert_eq 1 "$(it_sql "SELECT count(*) FROM action_log WHERE action = 'taskcenter.log.retry'")" \
	"the push is in action_log"

# Platforms: the secret is write-only.
admin POST /api/task-center/platforms "{\"name\":\"api $BF_TAG\",\"url\":\"$SINK/api\",\"max_concurrency\":3}"
it_assert_status 201 "POST a platform"
P_API=$(it_json id <<<"$IT_BODY")
SEC1=$(it_json secret <<<"$IT_BODY")
it_assert_eq "43 true true 3" "${#SEC1} $(it_json has_secret <<<"$IT_BODY") $(it_json enabled <<<"$IT_BODY") $(it_json max_concurrency <<<"$IT_BODY")" \
	"a generated secret is shown in the creating answer, defaults filled"
admin GET "/api/task-center/platforms/$P_API"
it_assert_eq "200 absent" "$IT_STATUS $(it_json secret <<<"$IT_BODY" || echo absent)" "GET one: no secret"
admin GET /api/task-center/platforms
it_assert_eq "200 0" "$IT_STATUS $(grep -c -F -e "$SEC1" -e "$S_OK" -e "$S_KILL" <<<"$IT_BODY")" "GET the list: no secret"
admin POST /api/task-center/platforms '{"name":"x","url":"ftp://example","timeout_ms":5}'
it_assert_eq "422 timeout_ms,url" "$IT_STATUS $(it_json error.details <<<"$IT_BODY" | $PY -c 'import json,sys; print(",".join(sorted(d["field"] for d in json.load(sys.stdin))))')" \
	"a bad URL and timeout are refused, each named"
admin POST /api/task-center/platforms "{\"name\":\"api $BF_TAG\",\"url\":\"$SINK/api\"}"
it_assert_status 409 "a name is taken once"
sink_ctl "$(ctl_json ok ok | $PY -c 'import json,sys; c=json.load(sys.stdin); c["/api"]={"mode":"ok","secret":sys.argv[1]}; print(json.dumps(c))' "$SEC1")"
mark=$(sink_q 'len(r)')
n_api=$(it_ctl taskcenter reconcile --since 1d --platform "$P_API" 2>/dev/null | wc -l)
if it_wait_for 20 all_delivered "$P_API" "$n_api" && ((n_api > 0)); then
	it_ok "the new platform got the $n_api events of the window"
else
	it_fail "new platform: $n_api reconciled, $(st "$P_API")"
fi
it_assert_eq "$n_api 0" "$(sink_q 'len([x for x in r['"$mark"':] if x["path"] == "/api"]), len([x for x in r['"$mark"':] if not x["sig_ok"]])')" \
	"signed with the generated secret"
admin PUT "/api/task-center/platforms/$P_API" '{"enabled":false,"rotate_secret":true}'
SEC2=$(it_json secret <<<"$IT_BODY")
it_assert_eq "200 false 43 3" "$IT_STATUS $(it_json enabled <<<"$IT_BODY") ${#SEC2} $(it_json max_concurrency <<<"$IT_BODY")" \
	"PUT changes what it names; rotate_secret shows the new secret once"
[[ $SEC1 != "$SEC2" ]] && it_ok "the secret changed" || it_fail "the secret did not change"
it_assert_eq "$SEC2" "$(it_sql "SELECT secret FROM task_center_platform WHERE id = :p" p="$P_API")" "the new secret is stored"
it_assert_eq "0|2" "$(it_sql "SELECT count(*) FILTER (WHERE detail::text LIKE '%' || :'a' || '%' OR detail::text LIKE '%' || :'b' || '%'),
	count(*) FROM action_log WHERE action LIKE 'taskcenter.platform.%'" a="$SEC1" b="$SEC2")" \
	"create and update in action_log, without the secret"
it_assert_eq 0 "$(cat "$IT_DIR"/web.log "$IT_DIR"/runner.*.log | grep -c -F -e "$SEC1" -e "$SEC2")" "no secret in any log"
admin DELETE "/api/task-center/platforms/$P_API"
it_assert_status 200 "DELETE"
admin GET "/api/task-center/platforms/$P_API"
it_assert_status 404 "gone"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p" p="$P_API")" "with its log rows"

it_done
