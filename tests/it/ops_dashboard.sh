#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# GET /api/dashboard beyond the counts of ops_metrics.sh:
# - bulk process operations running and settled today, scoped like batches;
# - push delivery per platform over the last 24 hours and crontab failures of the last 24
#   hours, exactly the planted rows inside the window (admins only);
# - a running batch, held by a row lock: its progress, and the runner holding its executor
#   job (admins only; a user sees their batch without runners);
# - items settled per minute: 60 points, their sum = the batch's settled items for the
#   admin and the creator, 0 for another user;
# - the backlog ring: the scheduler's leader samples the streams every 5 s (a paused low
#   stream with 3 jobs waiting shows length 3);
# - job_runs.enqueued_at: each run's wait (started - enqueued_at) is recorded, >= 0, and
#   counted (there and in the runner's wait histogram) from the message's enqueue time.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/it/lib.sh"
. "$top_srcdir/tests/it/batch_fixture.sh"

PY=/usr/bin/python3
bf_own_db
bf_users
bf_app "概览"
it_start_web
it_start_nginx
it_sql "UPDATE users SET is_admin = true WHERE id = :u" u="$BF_REVIEWER_ID" >/dev/null
ADMIN_TOKEN=$(it_token "$BF_REVIEWER") || it_bail "token"
ADMIN=(-H "Authorization: Bearer $ADMIN_TOKEN")
ME=(-H "Authorization: Bearer $BF_ME_TOKEN")
OTHER=(-H "Authorization: Bearer $BF_OTHER_TOKEN")
# py EXPR...: evaluate over the last body as b.
py() { $PY -c "import json, sys; b = json.loads(sys.stdin.read()); $1" <<<"$IT_BODY"; }

# --- push health and cron failures (no runner yet: nothing moves the planted rows) ------
P=$(it_sql "INSERT INTO task_center_platform (name, url, enabled) VALUES ('甲平台', 'http://127.0.0.1:9/', true),
	('乙平台', 'http://127.0.0.1:9/', false) RETURNING id" | tr '\n' ' ')
read -r P1 P2 <<<"$P"
it_sql "INSERT INTO task_center_log (task_id, platform_id, event, webhook_id, status, delivered_at,
		lease_until, next_at, modified)
	SELECT g, :p1, 'create', 'msg_dash_' || g, s, d, l, now() + interval '1 hour', m
	FROM (VALUES (1, 'delivered', now() - interval '1 hour', NULL::timestamptz, now()),
	             (2, 'delivered', now() - interval '23 hours', NULL, now()),
	             (3, 'delivered', now() - interval '25 hours', NULL, now()),
	             (4, 'queued', NULL, NULL, now()),
	             (5, 'queued', NULL, NULL, now()),
	             (6, 'sending', NULL, now() + interval '1 minute', now()),
	             (7, 'failed', NULL, NULL, now()),
	             (8, 'abandoned', NULL, NULL, now() - interval '2 hours'),
	             (9, 'abandoned', NULL, NULL, now() - interval '30 hours'),
	             (10, 'rejected', NULL, NULL, now() - interval '1 minute')) v(g, s, d, l, m)" \
	p1="$P1" >/dev/null || it_bail "push rows"
C=$(it_sql "INSERT INTO crontab (name, type, rule, job, enable, next_run_at)
	VALUES ('夜间对账', 'repeat', '{\"cron\": [\"0 3 * * *\"], \"tz\": \"UTC\"}',
	'{\"type\": \"noop\", \"args\": {}, \"stream\": \"low\"}', false, now() + interval '1 day')
	RETURNING id") || it_bail "crontab"
it_sql "INSERT INTO crontab_history (crontab_id, status, content, created, finished)
	VALUES (:c, 'failed', '连接超时', now() - interval '61 minutes', now() - interval '1 hour'),
	       (:c, 'timed_out', NULL, now() - interval '3 hours', now() - interval '2 hours'),
	       (:c, 'failed', 'old', now() - interval '31 hours', now() - interval '30 hours'),
	       (:c, 'success', NULL, now() - interval '10 minutes', now() - interval '9 minutes')" \
	c="$C" >/dev/null || it_bail "history rows"

it_curl GET /api/dashboard "${ADMIN[@]}"
it_assert_status 200 "admin dashboard"
it_assert_eq "[['甲平台', True, 2, 3, 1, 1, 1], ['乙平台', False, 0, 0, 0, 0, 0]]" \
	"$(py "print([[p['name'], p['enabled'], p['delivered_24h'], p['pending'], p['failing'], p['abandoned_24h'], p['rejected_24h']] for p in b['push']])")" \
	"push per platform: delivered in 24 h 2 (not the one of 25 h), pending 3 (queued + sending), failing 1, abandoned in 24 h 1, rejected 1"
it_assert_eq "2 ['failed', 'timed_out'] ['夜间对账', '夜间对账'] 连接超时" \
	"$(py "c = b['cron_failures']; print(c['count'], [h['status'] for h in c['recent']], [h['name'] for h in c['recent']], c['recent'][0]['error'])")" \
	"crontab failures of the last 24 hours, newest first (not the one of 30 h, not the success)"
it_assert_eq "60 0 True" "$(py "t = b['charts']['throughput']; print(len(t), sum(p['items'] for p in t), t[-1]['t'] > t[0]['t'])")" \
	"throughput: 60 minutes, oldest first, nothing settled yet"
it_curl GET /api/dashboard "${ME[@]}"
it_assert_eq "mine False False False 60" \
	"$(py "print(b['scope'], 'push' in b, 'cron_failures' in b, 'backlog' in b['charts'], len(b['charts']['throughput']))")" \
	"a user sees neither push health, crontab failures nor the backlog"
it_sql "DELETE FROM task_center_platform" >/dev/null

# --- bulk process operations: active and settled today ---------------------------------
it_sql "INSERT INTO process_bulk_op (operation, status, total, success, failed, ignored, creator,
		created, modified, started, finished)
	VALUES ('suspend', 'finished', 4, 3, 1, 0, :me, now() - interval '5 seconds', now(), now() - interval '4 seconds', now()),
	       ('resume', 'cancelled', 5, 0, 0, 0, :other, now(), now(), NULL, now()),
	       ('stop', 'finished', 9, 9, 0, 0, :me, now() - interval '3 days', now() - interval '3 days',
	        now() - interval '3 days', now() - interval '3 days'),
	       ('suspend', 'running', 10, 4, 0, 0, :me, now(), now(), now(), NULL)" \
	me="$BF_ME_ID" other="$BF_OTHER_ID" >/dev/null || it_bail "operations"
it_curl GET /api/dashboard "${ADMIN[@]}"
it_assert_eq "1 1 1 3 1 0.75 True [('suspend', 'running', 10, 6, 0.4)]" \
	"$(py "o = b['operations']; t = o['today']; print(t['finished'], t['finished_with_failures'], t['cancelled'], t['items']['success'], t['items']['failed'], t['success_rate'], t['avg_item_seconds'] > 0, [(a['operation'], a['status'], a['total'], a['pending'], a['progress']) for a in o['active']])")" \
	"admin: operations settled today (not the one of 3 days ago) and the running one"
it_curl GET /api/dashboard "${ME[@]}"
it_assert_eq "1 0 1" "$(py "o = b['operations']; print(o['today']['finished'], o['today']['cancelled'], len(o['active']))")" \
	"the creator: their finished and running operations, not another user's cancelled one"
it_curl GET /api/dashboard "${OTHER[@]}"
it_assert_eq "0 1 0" "$(py "o = b['operations']; print(o['today']['finished'], o['today']['cancelled'], len(o['active']))")" \
	"another user: only their cancelled operation"
it_sql "DELETE FROM process_bulk_op" >/dev/null

# --- a running batch held by a row lock -------------------------------------------------
bf_held_batch 90
B=$BF_BATCH
RUNNER=$BF_RUNNER
it_curl GET /api/dashboard "${ADMIN[@]}"
SETTLED=$(it_sql "SELECT count(*) FROM batch_task_detail WHERE batch_id = :b AND status <> 'pending'" b="$B")
it_assert_eq "running 200 $((200 - SETTLED)) [['$RUNNER', 1]]" \
	"$(py "a = [x for x in b['batches']['active'] if x['batch_id'] == $B][0]; print(a['status'], a['total'], a['pending'], [[r['runner'], r['jobs']] for r in a['runners']])")" \
	"the admin sees the running batch, its progress and the runner holding its executor job"
it_assert_eq "True" "$(py "r = [x for x in b['runners']['items'] if x['runner'] == '$RUNNER'][0]; print(any(j['type'] == 'batch.execute' and j['batch_id'] == $B and j['stream'] in ('high', 'common') and len(j['job_id']) == 36 for j in r['jobs']) or r['jobs'])")" \
	"the runner's jobs in hand name the job type, the batch and the stream"
it_assert_eq "$SETTLED" "$(py "print(sum(p['items'] for p in b['charts']['throughput']))")" \
	"admin: items settled in the last hour = the batch's settled items ($SETTLED)"
it_curl GET /api/dashboard "${ME[@]}"
it_assert_eq "$SETTLED False" "$(py "a = [x for x in b['batches']['active'] if x['batch_id'] == $B][0]; print(sum(p['items'] for p in b['charts']['throughput']), 'runners' in a)")" \
	"the creator: the same throughput, their batch without runners"
it_curl GET /api/dashboard "${OTHER[@]}"
it_assert_eq "0 []" "$(py "print(sum(p['items'] for p in b['charts']['throughput']), b['batches']['active'])")" \
	"another user: no throughput, no batch"
bf_blocker_stop
bf_wait_settled "$B" 60 || it_fail "the batch did not finish after the lock went"
it_curl GET /api/dashboard "${ADMIN[@]}"
it_assert_eq "200 []" "$(py "print(sum(p['items'] for p in b['charts']['throughput']), [x['batch_id'] for x in b['batches']['active']])")" \
	"after the batch: 200 items in the chart, no active batch"
it_assert_eq "200" "$(it_sql "SELECT sum(items) FROM throughput_minute WHERE kind = 'batch' AND creator = :u" u="$BF_ME_ID")" \
	"throughput_minute holds the 200 items under the creator"

# --- the backlog ring -------------------------------------------------------------------
it_curl POST /api/queue/low/pause "${ADMIN[@]}"
it_assert_status 200 "pause the low stream"
sleep 1.5
for i in 1 2 3; do
	it_ctl enqueue noop '{}' --priority low >/dev/null || it_bail "enqueue"
done
backlog_low() {
	it_curl GET /api/dashboard "${ADMIN[@]}"
	[[ $(py "s = b['charts']['backlog']; print(len(s) > 0 and s[-1]['low']['length'] >= 3)") == True ]]
}
it_wait_for 12 backlog_low && it_ok "a backlog sample shows the 3 jobs waiting on the paused low stream" ||
	it_fail "backlog: ${IT_BODY:0:600}"
it_assert_eq "True True" "$(py "s = b['charts']['backlog']; print(all(set(x) == {'t', 'high', 'common', 'low'} for x in s), all(s[i]['t'] < s[i + 1]['t'] for i in range(len(s) - 1)))")" \
	"samples carry the three streams, oldest first"
it_assert_match '^[0-9]+$' "$(it_redis LLEN "$IT_PREFIX:backlog")" "the ring is a Redis list"
it_curl POST /api/queue/low/resume "${ADMIN[@]}"
it_assert_status 200 "resume the low stream"

# --- the wait of each run ---------------------------------------------------------------
it_assert_eq "0 0" "$(it_sql "SELECT count(*) FILTER (WHERE enqueued_at IS NULL) || ' ' || count(*) FILTER (WHERE started < enqueued_at)
	FROM job_runs WHERE type = 'batch.execute'")" "every executor run has its enqueue time, and started after it"


# A job whose message says it was enqueued 40 s ago (its stream entry is new): its wait in
# job_runs and in the runner's histogram is the message's, not the entry's.
OLD=$(date -u -d '40 seconds ago' +%Y-%m-%dT%H:%M:%S.%6NZ)
it_redis XADD "$IT_PREFIX:jobs:high" '*' job "{\"id\":\"dash-old-$$\",\"type\":\"noop\",\"args\":{},\"enqueued_at\":\"$OLD\",\"attempt\":1}" >/dev/null
old_done() { [[ $(it_sql "SELECT status FROM job_runs WHERE job_id = :'j'" j="dash-old-$$") == done ]]; }
it_wait_for 10 old_done || it_fail "the old job did not run"
it_assert_eq "t" "$(it_sql "SELECT started - enqueued_at BETWEEN interval '40 seconds' AND interval '50 seconds' FROM job_runs WHERE job_id = :'j'" j="dash-old-$$")" \
	"job_runs: its wait is counted from the message's enqueue time"
wait_hist() {
	it_curl GET /metrics
	[[ $(printf '%s\n' "$IT_BODY" | awk -v r="runner=\"$RUNNER\"" '
		index($0, "flowbatch_runner_job_wait_seconds_bucket{") == 1 && index($0, r) && index($0, "type=\"noop\"") {
			if (index($0, "le=\"30\"")) a = $NF; if (index($0, "le=\"60\"")) b = $NF }
		END { print b - a }') -ge 1 ]]
}
it_wait_for 5 wait_hist && it_ok "the runner's wait histogram has it between 30 and 60 s" ||
	it_fail "wait histogram: $(printf '%s\n' "$IT_BODY" | grep 'job_wait_seconds_bucket.*noop' | head -20)"

it_done
