#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Alerts on the real stack: every rule fires in a provoked scenario and resolves after —
#   no_live_runner      the runners stopped (flowbatch-web's watch raises it and sends it)
#   batch_stalled       a runner executing a batch stopped with SIGSTOP, then SIGCONT
#   batch_failure_rate  a batch with suspended sessions, then resumed and retried
#   queue_oldest_entry  a paused stream holding an entry, then resumed
#   runner_memory       the limit lowered under the runner's RSS by SIGHUP, then raised
#   push_failures       a task-center platform answering 500, then 200
#   crontab_failing     a crontab failing three times in a row, then succeeding
# — shown by GET /api/alerts and the dashboard, counted by flowbatch_alerts_firing, and sent
# to a webhook sink that checks every signature: exactly one alert.raised and one
# alert.resolved delivered per alert, the raise first; a sink answering 500 gets the raise
# again until it takes it.  Thresholds are small through the configuration; the system
# crontab alert.evaluate runs every second here (its rule changed in this test's database).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"
. "$top_srcdir/tests/it/taskcenter_fixture.sh"

S_ALERT=alert-secret-$RANDOM$RANDOM
S_PUSH=push-secret-$RANDOM
ctl_json() { # MODE_OF_/alerts MODE_OF_/push
	printf '{"/alerts":{"mode":"%s","secret":"%s"},"/push":{"mode":"%s","secret":"%s"}}' \
		"$1" "$S_ALERT" "$2" "$S_PUSH"
}
tc_sink_start "$(ctl_json ok 500)"

# Reloadable keys in the file (SIGHUP changes them); the others from the environment.
cat >>"$IT_CONF" <<EOF
[alerts]
runner_rss_limit_mb = 4096
webhook_urls = $SINK/alerts
webhook_secret = $S_ALERT
webhook_timeout_ms = 2000
batch_stalled_seconds = 10
batch_failure_percent = 30
batch_failure_min_items = 5
queue_oldest_seconds = 3600
push_failures = 3
push_failures_minutes = 10
crontab_failures = 3
EOF
export FLOWBATCH_ALERTS_NO_RUNNER_SECONDS=2 FLOWBATCH_ALERTS_WATCH_SECONDS=1
export FLOWBATCH_BATCH_RECOVER_INTERVAL_SECONDS=1
# Runners: a liveness key that outlives a SIGSTOP (nothing takes a stopped runner's jobs
# over during the test; a clean exit still deletes it), batches in small chunks, one
# executor each.
RUNNER_ENV=(FLOWBATCH_RUNNER_LIVENESS_TTL_MS=600000 FLOWBATCH_BATCH_CHUNK_SIZE=5
	FLOWBATCH_BATCH_MAX_CONCURRENCY=1)

bf_own_db
bf_users
bf_app "告警"
it_sql "UPDATE users SET is_admin = true WHERE id = :u" u="$BF_REVIEWER_ID" >/dev/null
ADMIN=(-H "Authorization: Bearer $(it_token "$BF_REVIEWER")")
it_sql "UPDATE task_center_config SET max_retries = 5, retry_interval_minutes = 1" >/dev/null

it_assert_eq "t|alert.evaluate|forbid" \
	"$(it_sql "SELECT is_system, job->>'type', overlap FROM crontab WHERE system_key = 'alert.evaluate'")" \
	"the system crontab alert.evaluate (migration 0012), one run at a time"
it_assert_eq '* * * * *|UTC' \
	"$(it_sql "SELECT rule->'cron'->>0, rule->>'tz' FROM crontab WHERE system_key = 'alert.evaluate'")" "every minute"
# Here: every second, and overlapping: a run in the hands of a runner this test stops
# with SIGSTOP must not hold back the evaluations of the other runner.
it_sql "UPDATE crontab SET rule = '{\"every\": 1}', overlap = 'allow', next_run_at = now()
	WHERE system_key = 'alert.evaluate'" >/dev/null
# and so do the task-center retry rounds (the push_failures scenario retries its failed rows).
tc_retry_every 1

# --- helpers --------------------------------------------------------------------------
# alert_row RULE SUBJECT: "id|open" or "id|resolved" of the newest alert of rule for subject.
alert_row() {
	it_sql "SELECT id || '|' || CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END
		FROM alert WHERE rule = :'r' AND subject = :'s' ORDER BY id DESC LIMIT 1" r="$1" s="$2"
}
is_state() { # RULE SUBJECT STATE
	[[ $(alert_row "$1" "$2") == *"|$3" ]]
}
# delivered ID EVENT: requests of the sink answered 200 with that webhook id.
delivered() {
	sink_q "sum(1 for x in r if x['path'] == '/alerts' and x['id'] == 'alert_$1_$2' and x['code'] == 200)"
}
delivered_is() { # ID EVENT N
	[[ $(delivered "$1" "$2") == "$3" ]]
}
metric() { # RULE: the value of flowbatch_alerts_firing{rule=RULE}
	curl -sS "$IT_BASE/metrics" | sed -n "s/^flowbatch_alerts_firing{rule=\"$1\"} //p"
}
metric_is() { # RULE VALUE
	[[ $(metric "$1") == "$2" ]]
}

# check_raised NAME RULE SUBJECT SECONDS [undelivered]: the alert opens, is counted, and
# its raise is delivered once (unless the sink refuses it now); sets ID.
check_raised() {
	local name=$1 rule=$2 subject=$3 limit=$4 undelivered=${5:-}
	ID=
	if it_wait_for "$limit" is_state "$rule" "$subject" open; then
		ID=$(alert_row "$rule" "$subject")
		ID=${ID%%|*}
		it_ok "$name: $rule raised for $subject"
	else
		it_fail "$name: $rule not raised for $subject within $limit s (alerts: $(it_sql "SELECT string_agg(rule || ' ' || subject || ' ' || coalesce(resolved_at::text, 'open'), '; ') FROM alert"))"
		return 1
	fi
	it_wait_for 10 metric_is "$rule" 1 && it_ok "$name: flowbatch_alerts_firing{rule=\"$rule\"} 1" ||
		it_fail "$name: flowbatch_alerts_firing{rule=\"$rule\"} is $(metric "$rule")"
	[[ -n $undelivered ]] && return 0
	it_wait_for 15 delivered_is "$ID" raised 1 && it_ok "$name: alert.raised delivered" ||
		it_fail "$name: alert.raised of $ID delivered $(delivered "$ID" raised) times"
}
# check_resolved NAME RULE SUBJECT SECONDS: the alert of ID resolves, the count drops and
# its resolve is delivered once.
check_resolved() {
	local name=$1 rule=$2 subject=$3 limit=$4
	if it_wait_for "$limit" is_state "$rule" "$subject" resolved; then
		it_ok "$name: $rule resolved"
	else
		it_fail "$name: $rule for $subject not resolved within $limit s"
		return 1
	fi
	it_assert_eq "$ID|resolved" "$(alert_row "$rule" "$subject")" "$name: the same alert, resolved"
	it_wait_for 10 metric_is "$rule" 0 && it_ok "$name: flowbatch_alerts_firing{rule=\"$rule\"} 0" ||
		it_fail "$name: flowbatch_alerts_firing{rule=\"$rule\"} is $(metric "$rule")"
	it_wait_for 15 delivered_is "$ID" resolved 1 && it_ok "$name: alert.resolved delivered" ||
		it_fail "$name: alert.resolved of $ID delivered $(delivered "$ID" resolved) times"
}

runner_live() { # PID
	[[ $(it_redis EXISTS "$IT_PREFIX:runner:$(hostname):$1") == 1 ]]
}

# --- no_live_runner ---------------------------------------------------------------------
it_start_runner "${RUNNER_ENV[@]}"
R1=$IT_RUNNER_PID
it_wait_for 10 runner_live "$R1" || it_bail "the runner is not live"
it_start_web
it_start_nginx
it_wait_for 10 metric_is no_live_runner 0 && it_ok "flowbatch_alerts_firing{rule=\"no_live_runner\"} 0 with a runner" ||
	it_fail "no_live_runner is $(metric no_live_runner) with a live runner"
sleep 3
it_assert_eq "" "$(alert_row no_live_runner "$IT_PREFIX:runners")" "no alert while a runner lives"
it_stop_runner TERM 20
it_assert_eq 0 "$?" "the runner stops"
check_raised "runners stopped" no_live_runner "$IT_PREFIX:runners" 15
NOR=$ID
it_assert_eq critical "$(it_sql "SELECT severity FROM alert WHERE id = :i" i="$NOR")" "no_live_runner is critical"
it_start_runner "${RUNNER_ENV[@]}"
R1=$IT_RUNNER_PID
check_resolved "a runner back" no_live_runner "$IT_PREFIX:runners" 15

# --- batch_stalled ----------------------------------------------------------------------
# R1 executes the batch until the chunk holding task 31, whose session this test holds
# locked; then R1 is stopped with SIGSTOP and the lock let go.  R3 evaluates the alerts.
mapfile -t BF_IDS < <(bf_tasks "$BF_N2" "$BF_ME_ID" 60 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
bf_blocker_start "${BF_IDS[30]}" 60 sessions
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${BF_IDS[@]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "a 60-task batch"
B=$BF_BATCH
blocked() {
	[[ $(bf_count "$B" success) -ge 30 ]]
}
it_wait_for 20 blocked && it_ok "the batch runs up to the locked session" || it_fail "the batch did not run: $(bf_count "$B" success)"
kill -STOP "$R1"
bf_blocker_stop
it_start_runner "${RUNNER_ENV[@]}"
R3=$IT_RUNNER_PID
check_raised "a runner stopped mid-batch" batch_stalled "batch:$B" 30
it_assert_match '"idle_seconds": [0-9]+' "$(it_sql "SELECT params FROM alert WHERE id = :i" i="$ID")" "its params say for how long"
kill -CONT "$R1"
bf_wait_settled "$B" 30
check_resolved "the runner continued" batch_stalled "batch:$B" 15
it_stop_runner TERM 20
it_assert_eq 0 "$?" "the second runner stops"
IT_RUNNER_PID=$R1

# --- batch_failure_rate -----------------------------------------------------------------
mapfile -t BF_IDS < <(bf_tasks "$BF_N2" "$BF_ME_ID" 10 "$BF_FORM_OK" "$BF_N1" "$BF_APPLICANT_ID")
bf_sessions_set suspended "${BF_IDS[@]:0:4}"
bf_submit "$BF_ME_TOKEN" "{\"node_id\":$BF_N2,\"task_ids\":$(bf_ids_json "${BF_IDS[@]}"),\"examine\":{\"action\":\"approve\"}}"
it_assert_status 201 "a 10-task batch, 4 of its sessions suspended"
B=$BF_BATCH
bf_wait_settled "$B" 30
it_assert_eq 4 "$(bf_count "$B" failed)" "4 of 10 items failed (suspended)"
check_raised "40% failed" batch_failure_rate "batch:$B" 20
it_assert_eq "4 6 40.0" "$(it_sql "SELECT params->>'failed', params->>'success', params->>'failure_percent' FROM alert WHERE id = :i" i="$ID" | tr '|' ' ')" \
	"its params: 4 failed of 10"
bf_sessions_set running "${BF_IDS[@]:0:4}"
it_curl POST "/api/batch/$B/retry" -H "Authorization: Bearer $BF_ME_TOKEN" -H 'Content-Type: application/json' --data-binary '{}'
it_assert_status 202 "retry the failed items"
check_resolved "retried with success" batch_failure_rate "batch:$B" 30

# --- queue_oldest_entry, and a webhook that fails for a while --------------------------
sink_ctl "$(ctl_json 500 500)"
sed -i 's/^queue_oldest_seconds = .*/queue_oldest_seconds = 3/' "$IT_CONF"
kill -HUP "$R1"
it_curl POST /api/queue/common/pause "${ADMIN[@]}"
it_assert_status 200 "pause the common stream"
obeys() {
	[[ $(it_redis HGET "$IT_PREFIX:runnerinfo:$(hostname):$R1" paused) == common ]]
}
it_wait_for 5 obeys || it_fail "the runner does not report the pause"
sleep 0.5 # a read begun before the pause ends within block_ms (200)
it_ctl enqueue noop '{}' --priority common >/dev/null || it_fail "enqueue"
check_raised "a paused stream" queue_oldest_entry "$IT_PREFIX:jobs:common" 20 undelivered
it_assert_eq true "$(it_sql "SELECT params->>'paused' FROM alert WHERE rule = 'queue_oldest_entry' ORDER BY id DESC LIMIT 1")" \
	"its params say the stream is paused"
retried() {
	[[ $(it_sql "SELECT notify_attempts >= 2 AND raised_sent IS NULL FROM alert WHERE rule = 'queue_oldest_entry' ORDER BY id DESC LIMIT 1") == t ]]
}
it_wait_for 40 retried && it_ok "a raise answered 500 is tried again" || it_fail "no second attempt"
it_curl GET "/api/alerts?state=open" "${ADMIN[@]}"
it_assert_match '"notified": \{"raised": null, "resolved": null, "attempts": [0-9]+, "error": "URL 1: HTTP 500' \
	"$(/usr/bin/python3 -c 'import json,sys; print(json.dumps([a for a in json.load(sys.stdin)["items"] if a["rule"] == "queue_oldest_entry"][0], ensure_ascii=False))' <<<"$IT_BODY")" \
	"GET /api/alerts shows the delivery state and the last error"
it_curl GET "/api/alerts?page=1&page_size=2" "${ADMIN[@]}"
it_assert_eq "4 2 queue_oldest_entry None batch_failure_rate" "$(/usr/bin/python3 -c '
import json, sys
b = json.load(sys.stdin)
print(b["total"], len(b["items"]), b["items"][0]["rule"], b["items"][0]["resolved_at"], b["items"][1]["rule"])' <<<"$IT_BODY")" \
	"paged: the open alert first, then the newest resolved one"
sink_ctl "$(ctl_json ok 500)"
ID=$(alert_row queue_oldest_entry "$IT_PREFIX:jobs:common")
ID=${ID%%|*}
it_wait_for 60 delivered_is "$ID" raised 1 && it_ok "the raise delivered once the sink takes it" ||
	it_fail "the raise of $ID delivered $(delivered "$ID" raised) times"
it_curl POST /api/queue/common/resume "${ADMIN[@]}"
it_assert_status 200 "resume the common stream"
check_resolved "the stream resumed" queue_oldest_entry "$IT_PREFIX:jobs:common" 20
sed -i 's/^queue_oldest_seconds = .*/queue_oldest_seconds = 3600/' "$IT_CONF"
kill -HUP "$R1"

# --- runner_memory (reloadable) ---------------------------------------------------------
sed -i 's/^runner_rss_limit_mb = .*/runner_rss_limit_mb = 1/' "$IT_CONF"
kill -HUP "$R1"
check_raised "the limit under the RSS" runner_memory "$IT_PREFIX:runner:$(hostname):$R1" 20
sed -i 's/^runner_rss_limit_mb = .*/runner_rss_limit_mb = 4096/' "$IT_CONF"
kill -HUP "$R1"
check_resolved "the limit raised" runner_memory "$IT_PREFIX:runner:$(hostname):$R1" 20

# --- push_failures ----------------------------------------------------------------------
P_PUSH=$(platform push "$S_PUSH" true 2000 4)
bf_submit_approve 3
B=$BF_BATCH
bf_wait_settled "$B" 30
fails3() {
	[[ $(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p AND status = 'failed'" p="$P_PUSH") -ge 3 ]]
}
it_wait_for 30 fails3 && it_ok "pushes to the platform fail" || it_fail "pushes: $(st "$P_PUSH")"
check_raised "a platform answering 500" push_failures "platform:$P_PUSH" 20
sink_ctl "$(ctl_json ok ok)"
# Failed rows are due at once: also those whose 500 was still being recorded when the
# sink came back (each poll moves them).
retried_all() { # PLATFORM
	it_sql "UPDATE task_center_log SET next_at = now() WHERE platform_id = :p AND status = 'failed'
		AND next_at > now()" p="$1" >/dev/null
	all_delivered "$1" "$(it_sql "SELECT count(*) FROM task_center_log WHERE platform_id = :p" p="$1")"
}
it_wait_for 30 retried_all "$P_PUSH" &&
	it_ok "the pushes retried and delivered" || it_fail "pushes: $(st "$P_PUSH")"
check_resolved "the platform back" push_failures "platform:$P_PUSH" 20

# --- crontab_failing ---------------------------------------------------------------------
it_curl POST /api/crontabs "${ADMIN[@]}" -H 'Content-Type: application/json' --data-binary \
	'{"name":"always fails","type":"repeat","rule":{"every":1},"job":{"type":"noop","args":{"fail":true,"message":"asked to fail"}},"overlap":"allow"}'
it_assert_status 201 "a crontab that fails"
C=$(it_json id <<<"$IT_BODY")
check_raised "three failures in a row" crontab_failing "crontab:$C" 30
it_assert_match "asked to fail" "$(it_sql "SELECT params->>'last_error' FROM alert WHERE id = :i" i="$ID")" "its params keep the last error"
it_curl PUT "/api/crontabs/$C" "${ADMIN[@]}" -H 'Content-Type: application/json' --data-binary \
	'{"job":{"type":"noop","args":{}}}'
it_assert_status 200 "the crontab fixed"
check_resolved "a success" crontab_failing "crontab:$C" 30
it_curl POST "/api/crontabs/$C/disable" "${ADMIN[@]}"

# --- reads ------------------------------------------------------------------------------
it_curl GET /api/alerts "${ADMIN[@]}"
it_assert_status 200 "GET /api/alerts"
it_assert_eq "7 7 0" "$(/usr/bin/python3 -c '
import json, sys
b = json.load(sys.stdin)
print(b["total"], len({a["rule"] for a in b["items"]}), sum(1 for a in b["items"] if a["resolved_at"] is None))' <<<"$IT_BODY")" \
	"seven alerts, one per rule, all resolved"
it_curl GET "/api/alerts?state=bogus" "${ADMIN[@]}"
it_assert_status 400 "an unknown state is refused"
it_curl GET /api/alerts -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_status 403 "not for users"
it_curl GET /api/dashboard "${ADMIN[@]}"
it_assert_eq "7 ['first_seen', 'id', 'last_seen', 'message', 'resolved_at', 'rule', 'severity', 'subject'] True" \
	"$(/usr/bin/python3 -c '
import json, sys
a = json.load(sys.stdin)["alerts"]
print(len(a), sorted(a[0]), all(x["resolved_at"] for x in a))' <<<"$IT_BODY")" \
	"the dashboard's alerts: the seven resolved today, in the agreed shape"
it_curl GET /api/dashboard -H "Authorization: Bearer $BF_ME_TOKEN"
it_assert_eq False "$(/usr/bin/python3 -c 'import json,sys; print("alerts" in json.load(sys.stdin))' <<<"$IT_BODY")" \
	"a user's dashboard has no alerts"

# --- resolved alerts past alerts.history_days (90) are deleted --------------------------
OLD=$(it_sql "INSERT INTO alert (rule, subject, severity, message, first_seen, last_seen, resolved_at)
	VALUES ('batch_stalled', 'batch:0', 'warning', 'old', now() - interval '100 days',
	now() - interval '100 days', now() - interval '91 days') RETURNING id")
purged() {
	[[ $(it_sql "SELECT count(*) FROM alert WHERE id = :i" i="$OLD") == 0 ]]
}
it_wait_for 10 purged && it_ok "a resolved alert 91 days old is deleted" || it_fail "alert $OLD still there"
it_assert_eq 7 "$(it_sql "SELECT count(*) FROM alert")" "the seven of this test stay"

# --- the sink's view --------------------------------------------------------------------
IDS=$(it_sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM alert")
it_assert_eq "True True True True" "$(sink_q "(
all(x['sig_ok'] for x in r if x['path'] == '/alerts'),
sorted((x['id'], x['body']['type']) for x in r if x['path'] == '/alerts' and x['code'] == 200) ==
  sorted([('alert_%d_%s' % (i, e), 'alert.' + e) for i in ($IDS,) for e in ('raised', 'resolved')]),
all(min(x['t'] for x in r if x['id'] == 'alert_%d_raised' % i and x['code'] == 200) <
    min(x['t'] for x in r if x['id'] == 'alert_%d_resolved' % i and x['code'] == 200) for i in ($IDS,)),
all(x['body']['data']['id'] == int(x['id'].split('_')[1]) and x['body']['data']['rule'] and
    (x['body']['data']['resolved_at'] is None) == (x['body']['type'] == 'alert.raised')
    for x in r if x['path'] == '/alerts' and x['code'] == 200))")" \
	"every request signed; exactly one raise and one resolve delivered per alert, raise first, bodies as documented"
it_assert_eq 0 "$(it_sql "SELECT count(*) FROM alert WHERE raised_sent IS NULL OR resolved_sent IS NULL OR notify_at IS NOT NULL")" \
	"every alert row says both were delivered and nothing is due"

it_done
